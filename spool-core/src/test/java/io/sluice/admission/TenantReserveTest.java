package io.sluice.admission;

import static io.sluice.admission.AdmissionTesting.ip;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import io.sluice.testing.TestClock;

/**
 * The catch-all tenant's message bucket at the shipped defaults (50/s, burst 1,000) with the share kept for
 * established sources (half of it): a busy partner of long standing keeps its rate while a flood of new senders whose
 * mail is clean, and so is never demoted, drains what is open to them; the bucket still bounds the total.
 */
class TenantReserveTest
{
    private static final String TENANT = "default";
    private static final int PARTNER_ADDRESSES = 20;
    private static final int FLOOD_NETWORKS = 8;
    private static final int FLOOD_HOSTS = 25;
    /** 10 ms ticks: the partner sends every fifth (20/s), the flood 17 a tick (1,700/s, as the harness's 40 sessions). */
    private static final long TICK_MS = 10;
    private static final int FLOOD_PER_TICK = 17;

    private final TestClock clock = new TestClock();
    private Admission admission;
    private int partnerSent;
    private int partnerRefused;
    private int floodSent;
    private int floodAccepted;
    private Decision lastFloodRefusal;

    @AfterEach
    void close()
    {
        if (admission != null)
        {
            admission.close();
        }
    }

    private void open()
    {
        open(TenantReserveTest::atDefaults);
    }

    private static void atDefaults(final ReputationSettings settings)
    {
        assertThat(settings.tenantReserve()).isEqualTo(0.5);
        assertThat(settings.establishedAfter()).isEqualTo(200);
    }

    /** Every setting at its shipped default; only the clock is the test's and there is no state file. */
    private void open(final Consumer<ReputationSettings> change)
    {
        final AdmissionContext context = new AdmissionContext().clock(clock).nanoClock(clock).stateFile(null);
        change.accept(context.reputation());
        admission = Admission.open(context, new TestPressure());
    }

    private static InetAddress partner(final int n)
    {
        return ip("198.51.100." + (n % PARTNER_ADDRESSES + 1));
    }

    private static InetAddress flood(final int n)
    {
        return ip("10." + (n % FLOOD_NETWORKS + 1) + ".0." + (n / FLOOD_NETWORKS % FLOOD_HOSTS + 1));
    }

    /** One message at MAIL FROM as the SMTP layer asks; accepted mail is delivered cleanly at once (the worst case). */
    private Decision send(final InetAddress client, final String senderDomain)
    {
        final Decision decision = admission.admitMessage(client, admission.classOf(client, false), TENANT, senderDomain,
            "mail");
        if (decision.isAccepted())
        {
            admission.learn(client, ReputationEvent.CLEAN_DELIVERY);
        }
        return decision;
    }

    /** Runs {@code seconds} of the partner at 20/s, and of the flood at 1,700/s if {@code flooding}. */
    private void run(final int seconds, final boolean flooding)
    {
        for (long tick = 0; tick < seconds * 1000L / TICK_MS; tick++)
        {
            if (tick % 5 == 0)
            {
                partnerRefused += send(partner(partnerSent), "partner.example").isAccepted() ? 0 : 1;
                partnerSent++;
            }
            for (int i = 0; flooding && i < FLOOD_PER_TICK; i++)
            {
                final Decision decision = send(flood(floodSent), "bulk" + floodSent % 997 + ".example");
                floodSent++;
                if (decision.isAccepted())
                {
                    floodAccepted++;
                }
                else
                {
                    lastFloodRefusal = decision;
                }
            }
            clock.advanceMillis(TICK_MS);
        }
    }

    @Test
    void shouldKeepAnEstablishedPartnersRateWhileABulkFloodExhaustsTheCatchAllTenant()
    {
        open();
        run(20, false);
        assertThat(partnerRefused).as("the partner alone").isZero();
        assertThat(admission.classOf(partner(0), false)).isEqualTo(SourceClass.CLEAN);

        partnerSent = 0;
        run(10, true);

        assertThat(partnerRefused).as("partner messages refused during the flood, of %d", partnerSent).isZero();
        assertThat(partnerSent).isEqualTo(200);
        // The flood's networks turned clean on their first deliveries, and still only had the open share: the half of
        // the burst the partner left, then what the 50/s refill brings above the reserve beyond the partner's 20/s.
        assertThat(admission.classOf(flood(0), false)).isEqualTo(SourceClass.CLEAN);
        assertThat(floodAccepted).as("flood accepted of %d", floodSent).isBetween(500 + 10 * 29, 500 + 10 * 31);
        assertThat(lastFloodRefusal.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(lastFloodRefusal.detail()).isEqualTo("tenant " + TENANT + ", the rest kept for established sources");
        assertThat(admission.count(AdmissionCounter.TENANT_RESERVE_KEPT)).isGreaterThan(0);
        // The bucket still bounds the tenant: its burst and 50/s over the ten seconds, partner and flood together.
        assertThat(floodAccepted + partnerSent).isLessThanOrEqualTo(1000 + 10 * 50);
    }

    @Test
    void shouldRefuseThePartnerWithTheFloodWithoutTheReserve()
    {
        open(r -> r.tenantReserve(0));
        run(20, false);
        partnerSent = 0;
        run(10, true);

        assertThat(partnerRefused).as("what the reserve prevents: the partner refused with the flood, of %d", partnerSent)
            .isGreaterThan(50);
        assertThat(lastFloodRefusal.detail()).isEqualTo("tenant " + TENANT);
    }

    @Test
    void shouldLetACleanSourceUseTheReserveOnlyOnceItIsEstablished()
    {
        open();
        final InetAddress newcomer = ip("203.0.113.7");
        final InetAddress other = ip("192.0.2.9");
        // Take the open half of the burst: the bucket is down to its reserve of 500.
        int accepted = 0;
        for (int i = 0; i < 600; i++)
        {
            accepted += admission.admitMessage(flood(i), SourceClass.UNKNOWN, TENANT, "bulk.example", "mail")
                .isAccepted() ? 1 : 0;
        }
        assertThat(accepted).isEqualTo(500);

        for (int i = 0; i < 20; i++)
        {
            admission.learn(newcomer, ReputationEvent.CLEAN_DELIVERY);
        }
        assertThat(admission.classOf(newcomer, false)).isEqualTo(SourceClass.CLEAN);
        assertThat(admission.admitMessage(newcomer, SourceClass.CLEAN, TENANT, "new.example", "mail").isAccepted())
            .as("clean on twenty deliveries is not established").isFalse();

        for (int i = 20; i < 200; i++)
        {
            admission.learn(newcomer, ReputationEvent.CLEAN_DELIVERY);
        }
        assertThat(admission.admitMessage(newcomer, SourceClass.CLEAN, TENANT, "new.example", "mail").isAccepted())
            .as("established on two hundred").isTrue();
        assertThat(admission.admitMessage(other, SourceClass.TRUSTED, TENANT, "example.net", "mail").isAccepted())
            .as("trusted sources draw on the reserve by their class").isTrue();
        assertThat(admission.admitMessage(other, SourceClass.AUTHENTICATED, TENANT, "example.net", "mail").isAccepted())
            .as("and so do authenticated users").isTrue();
        assertThat(admission.admitMessage(other, SourceClass.UNKNOWN, TENANT, "example.net", "mail").isAccepted())
            .as("but not unknown mail").isFalse();
    }

    @Test
    void shouldLetAnOperatorsLimitForANetworkUseTheReserve()
    {
        open();
        for (int i = 0; i < 600; i++)
        {
            admission.admitMessage(flood(i), SourceClass.UNKNOWN, TENANT, "bulk.example", "mail");
        }
        final InetAddress relay = ip("203.0.113.7");
        assertThat(admission.admitMessage(relay, SourceClass.UNKNOWN, TENANT, "partner.example", "mail").isAccepted())
            .isFalse();
        admission.setOverride(KeyKind.NETWORK, "203.0.113.0/24", 100, 1000);
        assertThat(admission.admitMessage(relay, SourceClass.UNKNOWN, TENANT, "partner.example", "mail").isAccepted())
            .as("an operator's limit wins over the reserve, as over the class buckets").isTrue();
    }

    @Test
    void shouldKeepNoReserveInTheConnectionAndRecipientBuckets()
    {
        open();
        int recipients = 0;
        for (int i = 0; i < 10_000; i++)
        {
            recipients += admission.admitRecipient(flood(i), false, TENANT).isAccepted() ? 1 : 0;
        }
        assertThat(recipients).as("the tenant's whole recipient burst").isEqualTo(10_000);
    }
}
