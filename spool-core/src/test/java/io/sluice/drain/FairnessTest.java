package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.sluice.spool.PendingMessage;
import org.junit.jupiter.api.Test;

/**
 * Who waits behind whom. The bounds come from the scheduler's round robin, not from a stopwatch: with {@code N}
 * networks holding ready mail in a lane (one tenant, weight 1), each network gets one pick per round of {@code N}
 * picks, so a quiet source's {@code j}-th message is picked within {@code j × N} picks of joining, whatever the
 * flood's backlog.
 */
class FairnessTest
{
    /** A route fast enough that only the order of picks matters. */
    private static SimulatedDrain unlimited()
    {
        return new SimulatedDrain(SimulatedDrain.context(1_000_000, 1_000_000));
    }

    private static List<PendingMessage> add(final SimulatedDrain drain, final String source, final int count)
    {
        final List<PendingMessage> added = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final PendingMessage message = Mail.from(source);
            drain.add(message);
            added.add(message);
        }
        return added;
    }

    /** @return for each message id, the 1-based index of the pick that took it. */
    private static Map<Long, Integer> pickIndexes(final List<Dispatch> picks)
    {
        final Map<Long, Integer> indexes = new HashMap<>();
        for (int i = 0; i < picks.size(); i++)
        {
            indexes.put(picks.get(i).messageId(), i + 1);
        }
        return indexes;
    }

    @Test
    void shouldServeQuietSourcesWithinOneRoundOfActiveNetworksWhileAFloodDrains()
    {
        final SimulatedDrain drain = unlimited();
        add(drain, "203.0.113.7", 20_000);
        final List<List<PendingMessage>> quiet = new ArrayList<>();
        for (int i = 1; i <= 10; i++)
        {
            quiet.add(add(drain, "198.51." + i + ".10", 3));
        }

        final Map<Long, Integer> index = pickIndexes(drain.take("default", 33));

        final int networks = 11;
        for (final List<PendingMessage> source : quiet)
        {
            for (int j = 1; j <= source.size(); j++)
            {
                assertThat(index.get(source.get(j - 1).messageId()))
                    .as("quiet message %d of its source, behind a 20,000 message flood", j)
                    .isLessThanOrEqualTo(j * networks);
            }
        }
        assertThat(drain.scheduler.pendingCount()).as("the flood is still draining").isEqualTo(20_000 - 3);
    }

    @Test
    void shouldServeALateQuietMessageWithinActiveNetworksPicksNotBehindTheBacklog()
    {
        final SimulatedDrain drain = unlimited();
        add(drain, "203.0.113.7", 20_000);
        drain.take("default", 5_000);

        final PendingMessage late = add(drain, "192.0.2.55", 1).get(0);
        assertThat(pickIndexes(drain.take("default", 2))).as("2 active networks").containsKey(late.messageId());

        final List<PendingMessage> burst = new ArrayList<>();
        for (int i = 1; i <= 10; i++)
        {
            burst.addAll(add(drain, "198.51." + i + ".10", 1));
        }
        final Map<Long, Integer> index = pickIndexes(drain.take("default", 11));
        for (final PendingMessage message : burst)
        {
            assertThat(index).as("11 active networks").containsKey(message.messageId());
        }
        assertThat(drain.scheduler.pendingCount()).isEqualTo(20_000 - 5_000 + 1 - 2 + 10 - 11);
    }

    @Test
    void shouldDeliverQuietMailDuringAFloodWithinActiveNetworksOverRateInSimulatedTime()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20));
        add(drain, "203.0.113.7", 20_000);
        final Map<Long, Long> arrivals = new HashMap<>();
        final Map<Long, Long> waits = new HashMap<>();
        final long start = drain.now();
        // Ten quiet sources send three messages each, one every 5 simulated seconds, while the flood drains at 200/s.
        for (int burst = 0; burst < 3; burst++)
        {
            drain.run("default", 5_000, 1, true, pick -> recordWait(pick, arrivals, waits));
            final long projected = drain.scheduler.status().projectedDelayMillis("mail");
            assertThat(projected).as("(networks + 1) / rate, not backlog / rate").isLessThanOrEqualTo(12 * 5);
            for (int i = 1; i <= 10; i++)
            {
                final PendingMessage message = Mail.from("198.51." + i + ".10");
                arrivals.put(message.messageId(), drain.now());
                drain.add(message);
            }
        }
        drain.run("default", 5_000, 1, true, pick -> recordWait(pick, arrivals, waits));

        assertThat(waits).hasSize(30);
        // 11 networks: picked within 11 route picks of arriving, one token every 5 ms.
        assertThat(waits.values()).allSatisfy(wait -> assertThat(wait).isLessThanOrEqualTo(11 * 5L));
        assertThat(drain.scheduler.pendingCount()).as("the flood is far from drained").isGreaterThan(15_000);
        assertThat(drain.now() - start).isEqualTo(20_000);
    }

    private static void recordWait(final SimulatedDrain.Pick pick, final Map<Long, Long> arrivals, final Map<Long, Long> waits)
    {
        final Long arrived = arrivals.get(pick.dispatch().messageId());
        if (arrived != null)
        {
            waits.put(pick.dispatch().messageId(), pick.atMillis() - arrived);
        }
    }

    @Test
    void shouldAggregateADistributedFloodByNetwork()
    {
        final SimulatedDrain drain = unlimited();
        floodFromEightNetworks(drain);
        final List<PendingMessage> legit = legitimateFromTwentyNetworks(drain);

        final List<Dispatch> picks = drain.take("default", 2_828);

        final Map<Long, Integer> index = pickIndexes(picks);
        for (final PendingMessage message : legit)
        {
            assertThat(index.get(message.messageId())).as("28 active networks, 2,020 active addresses").isLessThanOrEqualTo(28);
        }
        final Map<String, Integer> perNetwork = new HashMap<>();
        final Map<String, Integer> perAddress = new HashMap<>();
        for (final Dispatch dispatch : picks)
        {
            final String source = dispatch.envelope().sourceKey();
            perNetwork.merge(source.substring(0, source.lastIndexOf('.')), 1, Integer::sum);
            perAddress.merge(source, 1, Integer::sum);
        }
        for (int k = 0; k < 8; k++)
        {
            assertThat(perNetwork.get("10.8." + k)).as("flood networks share equally").isEqualTo(351);
        }
        assertThat(perAddress.values()).as("addresses within a network take turns")
            .allSatisfy(n -> assertThat(n).isBetween(1, 2));
    }

    @Test
    void shouldLetTwoThousandAddressesOutnumberTwentyWithoutNetworkAggregation()
    {
        // The same flood with /32 "networks": fairness per address alone, which the design rejects.
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(1_000_000, 1_000_000).networkPrefixV4(32));
        floodFromEightNetworks(drain);
        final List<PendingMessage> legit = legitimateFromTwentyNetworks(drain);

        final Map<Long, Integer> index = pickIndexes(drain.take("default", 2_100));

        final int worst = legit.stream().mapToInt(m -> index.get(m.messageId())).max().orElseThrow();
        assertThat(worst).as("a legitimate message waits a round of 2,020 addresses").isGreaterThan(2_000);
    }

    private static void floodFromEightNetworks(final SimulatedDrain drain)
    {
        for (int round = 0; round < 10; round++)
        {
            for (int k = 0; k < 8; k++)
            {
                for (int host = 1; host <= 250; host++)
                {
                    drain.add(Mail.from("10.8." + k + "." + host));
                }
            }
        }
    }

    private static List<PendingMessage> legitimateFromTwentyNetworks(final SimulatedDrain drain)
    {
        final List<PendingMessage> legit = new ArrayList<>();
        for (int i = 0; i < 20; i++)
        {
            legit.addAll(add(drain, "172.16." + i + ".5", 1));
        }
        return legit;
    }

    @Test
    void shouldServeTheSuspectLaneLastAndLeast()
    {
        final SimulatedDrain drain = unlimited();
        for (int i = 0; i < 1_000; i++)
        {
            drain.add(Mail.message("10.9." + (i % 200) + ".1", "default", "suspect", 1));
        }
        add(drain, "192.0.2.10", 1_000);

        final List<Dispatch> picks = drain.take("default", 170);

        final List<Integer> suspectAt = new ArrayList<>();
        for (int i = 0; i < picks.size(); i++)
        {
            if (picks.get(i).lane().equals("suspect"))
            {
                suspectAt.add(i + 1);
            }
        }
        assertThat(suspectAt).as("mail:16 then suspect:1, every round")
            .containsExactly(17, 34, 51, 68, 85, 102, 119, 136, 153, 170);
    }

    @Test
    void shouldSendNotificationsFirstWhenTheyShareTheRoute()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(1_000_000, 1_000_000).laneRoutes(""));
        add(drain, "192.0.2.10", 1_000);
        drain.take("default", 10);

        final PendingMessage notification = Mail.message("127.0.0.1", "system", "notifications", 1);
        drain.add(notification);

        final Dispatch next = drain.scheduler.next("default");
        assertThat(next.messageId()).isEqualTo(notification.messageId());
        assertThat(next.lane()).isEqualTo("notifications");
    }

    @Test
    void shouldShareALaneByTenantWeight()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(1_000_000, 1_000_000).tenantWeights("big:3"));
        for (int i = 0; i < 1_000; i++)
        {
            drain.add(Mail.message("192.0.2." + (i % 50), "big", "mail", 1));
            drain.add(Mail.message("198.51.100." + (i % 50), "small", "mail", 1));
        }

        final List<Dispatch> picks = drain.take("default", 400);

        assertThat(picks.stream().filter(d -> d.envelope().tenant().equals("big")).count()).isEqualTo(300);
    }

    @Test
    void shouldNeverSendABringYourOwnSmtpTenantsMailByTheDefaultRoute()
    {
        final SimulatedDrain drain = new SimulatedDrain(new DrainContext()
            .routes("default:1000000:1000000,notifications:20:5,acme:1000000:1000000")
            .tenantRoutes("acme:acme"));
        for (int i = 0; i < 100; i++)
        {
            drain.add(Mail.message("192.0.2.1", "acme", i % 2 == 0 ? "mail" : "notifications", 1));
            drain.add(Mail.message("192.0.2.1", "other", "mail", 1));
        }

        final Set<String> defaultTenants = new HashSet<>();
        drain.take("default", 1_000).forEach(d -> defaultTenants.add(d.envelope().tenant()));
        final List<Dispatch> acme = drain.take("acme", 1_000);

        assertThat(defaultTenants).containsExactly("other");
        assertThat(acme).hasSize(100).allSatisfy(d -> assertThat(d.envelope().tenant()).isEqualTo("acme"));
    }
}
