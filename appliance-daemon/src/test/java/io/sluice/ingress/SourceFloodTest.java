package io.sluice.ingress;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import io.sluice.admission.KeyKind;
import io.sluice.admission.Traffic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A botnet flood in miniature: 2,000 concurrent connections from 2,000 addresses in eight /24 networks try to
 * send while one legitimate outside source sends its mail. Admission's clock is frozen, so no bucket refills
 * during the test and every count is exact: each flooding address gets at most its own burst, each network
 * at most the network burst, and the legitimate source, in a network of its own, gets every message in.
 */
class SourceFloodTest
{
    private static final int NETWORKS = 8;
    private static final int ADDRESSES_PER_NETWORK = 250;
    private static final int ATTEMPTS_PER_CONNECTION = 3;
    private static final long IP_BURST = 2;
    private static final long NETWORK_BURST = 40;

    @TempDir
    Path dir;

    @Test
    void shouldHoldEachFloodingAddressAndNetworkToItsBucketWhileALegitimateSourceGetsIn() throws Exception
    {
        try (IngressFixture fixture = IngressFixture.start(dir, c -> c.maxConnections(5_000).maxConnectionsPerIp(5),
            a -> a.nanoClock(() -> 0L)
                .burst(KeyKind.IP, Traffic.MESSAGES, IP_BURST)
                .burst(KeyKind.NETWORK, Traffic.MESSAGES, NETWORK_BURST)
                .burst(KeyKind.NETWORK, Traffic.CONNECTIONS, 1_000)))
        {
            final List<SmtpTestClient> flood = new ArrayList<>();
            final ExecutorService pool = Executors.newFixedThreadPool(64);
            try
            {
                final List<Future<SmtpTestClient>> connecting = new ArrayList<>();
                for (int network = 0; network < NETWORKS; network++)
                {
                    for (int host = 1; host <= ADDRESSES_PER_NETWORK; host++)
                    {
                        final String address = "127.1." + network + "." + host;
                        connecting.add(pool.submit(() ->
                        {
                            final SmtpTestClient client = SmtpTestClient.connect(fixture.address(), address);
                            expect(client.reply(), "220");
                            return client;
                        }));
                    }
                }
                for (final Future<SmtpTestClient> client : connecting)
                {
                    flood.add(client.get());
                }
                assertThat(fixture.server().openConnections()).as("all flood connections open at once").isEqualTo(2_000);

                final Map<String, AtomicInteger> acceptedPerNetwork = new ConcurrentHashMap<>();
                final AtomicInteger refusedByIp = new AtomicInteger();
                final AtomicInteger refusedByNetwork = new AtomicInteger();
                final List<Future<?>> sessions = new ArrayList<>();
                for (final SmtpTestClient client : flood)
                {
                    sessions.add(pool.submit(() -> flood(client, acceptedPerNetwork, refusedByIp, refusedByNetwork)));
                }

                int legitimate = 0;
                try (SmtpTestClient client = SmtpTestClient.connect(fixture.address(), "127.200.0.1"))
                {
                    expect(client.reply(), "220");
                    expect(client.command("EHLO legit.example"), "250");
                    for (int i = 0; i < IP_BURST; i++)
                    {
                        if (client.sendMessage("news@legit.example", "user@relay.test", "legit " + i).startsWith("250 2.0.0"))
                        {
                            legitimate++;
                        }
                    }
                }
                for (final Future<?> session : sessions)
                {
                    session.get();
                }

                assertThat(legitimate).as("the legitimate source is not stuck behind the flood").isEqualTo(IP_BURST);
                assertThat(acceptedPerNetwork).hasSize(NETWORKS);
                acceptedPerNetwork.forEach((network, accepted) ->
                    assertThat(accepted.get()).as("network %s", network).isEqualTo((int)NETWORK_BURST));
                assertThat(refusedByNetwork.get()).as("the /24 buckets bite").isGreaterThan(1_000);
                assertThat(fixture.spool().pendingCount()).isEqualTo((int)(NETWORKS * NETWORK_BURST + IP_BURST));
                System.out.printf("flood: %d connections, %d accepted, %d refused by address, %d by network%n",
                    flood.size(), NETWORKS * NETWORK_BURST, refusedByIp.get(), refusedByNetwork.get());
            }
            finally
            {
                for (final SmtpTestClient client : flood)
                {
                    client.close();
                }
                pool.shutdownNow();
            }
        }
    }

    private static Void flood(
        final SmtpTestClient client,
        final Map<String, AtomicInteger> acceptedPerNetwork,
        final AtomicInteger refusedByIp,
        final AtomicInteger refusedByNetwork) throws Exception
    {
        expect(client.command("EHLO flood.example"), "250");
        for (int i = 0; i < ATTEMPTS_PER_CONNECTION; i++)
        {
            // A plausible outside sender: since issue 12 the spoof pattern (victim@relay.test to itself) is refused at
            // RCPT and demotes its network, and this test counts what the buckets alone let through.
            final String mail = client.command("MAIL FROM:<billing@flood.example>");
            if (mail.startsWith("450 4.7.1"))
            {
                (mail.contains("network") ? refusedByNetwork : refusedByIp).incrementAndGet();
                continue;
            }
            expect(mail, "250");
            expect(client.command("RCPT TO:<victim@relay.test>"), "250");
            expect(client.command("DATA"), "354");
            client.send("Subject: invoice\r\n\r\nmalware\r\n.\r\n");
            expect(client.reply(), "250 2.0.0");
            final String network = client.localNetwork();
            acceptedPerNetwork.computeIfAbsent(network, n -> new AtomicInteger()).incrementAndGet();
        }
        return null;
    }
}
