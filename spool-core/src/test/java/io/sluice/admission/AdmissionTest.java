package io.sluice.admission;

import static io.sluice.admission.AdmissionTesting.ip;
import static io.sluice.admission.AdmissionTesting.quietContext;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;

import io.sluice.net.Cidr;
import io.sluice.testing.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The decisions: each verdict path, refunds on partial refusal, backpressure hysteresis, projected delay. */
class AdmissionTest
{
    private static final InetAddress SOURCE = ip("198.51.100.7");
    private static final String LANE = "mail";

    private final TestClock clock = new TestClock();
    private final TestPressure pressure = new TestPressure();
    private Admission admission;

    @AfterEach
    void close()
    {
        if (admission != null)
        {
            admission.close();
        }
    }

    private Admission open(final AdmissionContext context)
    {
        admission = Admission.open(context, pressure);
        return admission;
    }

    private Decision message(final InetAddress client)
    {
        return admission.admitMessage(client, false, "acme", "example.org", LANE);
    }

    private AdmissionContext limit(final KeyKind kind, final Traffic traffic, final double rate, final long burst)
    {
        return quietContext(clock).ratePerSecond(kind, traffic, rate).burst(kind, traffic, burst);
    }

    @Test
    void shouldAcceptEverythingWhenNoLimitApplies()
    {
        open(quietContext(clock));
        for (int i = 0; i < 1000; i++)
        {
            assertThat(message(SOURCE)).isEqualTo(Decision.ACCEPT);
        }
        assertThat(admission.trackedKeys()).isZero();
        assertThat(admission.count(AdmissionCounter.MESSAGES_ACCEPTED)).isEqualTo(1000);
    }

    @Test
    void shouldRefuseTheIpWhenItsBucketIsEmpty()
    {
        open(limit(KeyKind.IP, Traffic.MESSAGES, 1, 3));
        assertThat(message(SOURCE).isAccepted()).isTrue();
        assertThat(message(SOURCE).isAccepted()).isTrue();
        assertThat(message(SOURCE).isAccepted()).isTrue();

        final Decision refused = message(SOURCE);
        assertThat(refused.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(refused.detail()).isEqualTo("ip 198.51.100.7");
        assertThat(refused.retryAfterMillis()).isEqualTo(1000);
        assertThat(message(ip("198.51.100.8")).isAccepted()).as("another address has its own bucket").isTrue();

        clock.advanceMillis(999);
        assertThat(message(SOURCE).verdict()).isEqualTo(Verdict.RATE_LIMITED);
        clock.advanceMillis(1);
        assertThat(message(SOURCE).isAccepted()).as("one token a second").isTrue();
        assertThat(message(SOURCE).verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(admission.count(AdmissionCounter.RATE_LIMITED)).isEqualTo(3);
    }

    @Test
    void shouldRefuseTheNetworkWhenItsBucketIsEmpty()
    {
        open(limit(KeyKind.NETWORK, Traffic.MESSAGES, 1, 5));
        for (int host = 1; host <= 5; host++)
        {
            assertThat(message(ip("198.51.100." + host)).isAccepted()).isTrue();
        }
        final Decision refused = message(ip("198.51.100.200"));
        assertThat(refused.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(refused.detail()).isEqualTo("network 198.51.100.0/24");
        assertThat(message(ip("198.51.101.1")).isAccepted()).as("the next /24 is another network").isTrue();
    }

    @Test
    void shouldGroupIpv6SourcesByTheirSlash64()
    {
        open(limit(KeyKind.NETWORK, Traffic.MESSAGES, 1, 2));
        assertThat(message(ip("2001:db8:1:2::1")).isAccepted()).isTrue();
        assertThat(message(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")).isAccepted()).isTrue();

        final Decision refused = message(ip("2001:db8:1:2:aaaa::7"));
        assertThat(refused.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(refused.detail()).isEqualTo("network " + Cidr.parse("test", "2001:db8:1:2::/64"));
        assertThat(message(ip("2001:db8:1:3::1")).isAccepted()).as("the next /64").isTrue();
    }

    @Test
    void shouldKeepIpv4AndIpv6KeysApart()
    {
        open(limit(KeyKind.IP, Traffic.MESSAGES, 1, 1));
        assertThat(message(ip("0.0.0.1")).isAccepted()).isTrue();
        assertThat(message(ip("::1")).isAccepted()).as("::1 is not 0.0.0.1").isTrue();
        assertThat(message(ip("::1")).isAccepted()).isFalse();
    }

    @Test
    void shouldRefuseTheSenderDomainButNeverChargeTheNullSender()
    {
        open(limit(KeyKind.SENDER_DOMAIN, Traffic.MESSAGES, 1, 2));
        assertThat(admission.admitMessage(SOURCE, false, null, "Example.ORG", LANE).isAccepted()).isTrue();
        assertThat(admission.admitMessage(ip("192.0.2.1"), false, null, "example.org.", LANE).isAccepted()).isTrue();
        final Decision refused = admission.admitMessage(ip("203.0.113.9"), false, null, "example.org", LANE);
        assertThat(refused.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(refused.detail()).isEqualTo("sender domain example.org");

        for (int i = 0; i < 10; i++)
        {
            assertThat(admission.admitMessage(SOURCE, false, null, "", LANE).isAccepted()).isTrue();
            assertThat(admission.admitMessage(SOURCE, false, null, null, LANE).isAccepted()).isTrue();
        }
    }

    @Test
    void shouldRefuseTheTenantWhateverItsSources()
    {
        open(limit(KeyKind.TENANT, Traffic.MESSAGES, 1, 2));
        assertThat(admission.admitMessage(ip("192.0.2.1"), true, "acme", "acme.example", LANE).isAccepted()).isTrue();
        assertThat(admission.admitMessage(ip("203.0.113.1"), true, "acme", "acme.example", LANE).isAccepted()).isTrue();
        final Decision refused = admission.admitMessage(ip("198.51.100.1"), true, "acme", "acme.example", LANE);
        assertThat(refused.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(refused.detail()).isEqualTo("tenant acme");
        assertThat(admission.admitMessage(ip("198.51.100.1"), true, "globex", "acme.example", LANE).isAccepted()).isTrue();
    }

    @Test
    void shouldRefuseGloballyButNeverChargeTrustedSourcesToTheGlobalBucket()
    {
        open(limit(KeyKind.GLOBAL, Traffic.MESSAGES, 1, 3));
        for (int i = 0; i < 3; i++)
        {
            assertThat(message(ip("203.0.113." + i)).isAccepted()).isTrue();
        }
        final Decision refused = message(ip("203.0.113.100"));
        assertThat(refused.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(refused.detail()).isEqualTo("global");
        assertThat(admission.admitMessage(ip("10.0.0.5"), true, "notifications", "appliance.example", LANE).isAccepted())
            .as("a flood that drains the global bucket must not silence the appliance's own notifications")
            .isTrue();
    }

    @Test
    void shouldGiveEarlierBucketsTheirTokensBackWhenALaterBucketRefuses()
    {
        final AdmissionContext context = limit(KeyKind.IP, Traffic.MESSAGES, 0.001, 5)
            .ratePerSecond(KeyKind.NETWORK, Traffic.MESSAGES, 0.001).burst(KeyKind.NETWORK, Traffic.MESSAGES, 5)
            .ratePerSecond(KeyKind.TENANT, Traffic.MESSAGES, 0.001).burst(KeyKind.TENANT, Traffic.MESSAGES, 1);
        open(context);
        assertThat(message(SOURCE).isAccepted()).isTrue();
        for (int i = 0; i < 20; i++)
        {
            final Decision refused = message(SOURCE);
            assertThat(refused.verdict()).isEqualTo(Verdict.RATE_LIMITED);
            assertThat(refused.detail()).isEqualTo("tenant acme");
        }

        admission.setDefaultLimit(KeyKind.TENANT, 0, 0);
        for (int i = 0; i < 4; i++)
        {
            assertThat(message(SOURCE).isAccepted())
                .as("the 20 refused messages took nothing from the IP and network buckets: 4 of 5 tokens are left")
                .isTrue();
        }
        assertThat(message(SOURCE).detail()).isEqualTo("ip 198.51.100.7");
    }

    @Test
    void shouldRefuseWhenTheDiskIsNotAccepting()
    {
        open(limit(KeyKind.IP, Traffic.MESSAGES, 1, 1));
        pressure.acceptingMessages = false;
        final Decision refused = message(SOURCE);
        assertThat(refused.verdict()).isEqualTo(Verdict.DISK_FULL);
        assertThat(admission.count(AdmissionCounter.DISK_FULL)).isEqualTo(1);

        pressure.acceptingMessages = true;
        assertThat(message(SOURCE).isAccepted()).as("the refusal took no token").isTrue();
    }

    @Test
    void shouldKeepBackpressureOnUntilTheBacklogIsBackToTheLowWatermark()
    {
        open(quietContext(clock).backlogHighWatermark(1000).backlogLowWatermark(500).backlogHardLimit(2000));
        pressure.pendingMessages = 1000;
        assertThat(message(SOURCE).isAccepted()).as("at the high watermark, not above it").isTrue();

        pressure.pendingMessages = 1001;
        assertThat(message(SOURCE).verdict()).isEqualTo(Verdict.BACKPRESSURE);
        assertThat(admission.isBackpressureOn()).isTrue();
        assertThat(admission.count(AdmissionCounter.BACKPRESSURE_ACTIVE)).isEqualTo(1);

        pressure.pendingMessages = 700;
        assertThat(message(SOURCE).verdict()).as("below the high watermark but above the low one")
            .isEqualTo(Verdict.BACKPRESSURE);
        assertThat(admission.admitConnection(SOURCE).verdict()).isEqualTo(Verdict.BACKPRESSURE);

        pressure.pendingMessages = 500;
        assertThat(message(SOURCE).isAccepted()).isTrue();
        assertThat(admission.isBackpressureOn()).isFalse();
        pressure.pendingMessages = 900;
        assertThat(message(SOURCE).isAccepted()).as("off again until the high watermark").isTrue();
        assertThat(admission.count(AdmissionCounter.BACKPRESSURE)).isEqualTo(3);
    }

    @Test
    void shouldDeriveAutoWatermarksFromTheCapacityAndAgainAsTheDiskFills()
    {
        final long reserve = 1L << 20;
        // Room above the reserve for 3000 messages of the assumed 4,608 B.
        pressure.capacity = new SpoolCapacity(reserve + 3000 * 4608L, reserve, 0, 0, 0, 0, 0);
        open(quietContext(clock));
        assertThat(admission.backlogWatermarks()).isEqualTo(new BacklogWatermarks(1000, 2000, 3000,
            "auto: disk, 13 MiB free above the 1 MiB reserve at 4608 B a message"));
        pressure.pendingMessages = 2001;
        final Decision refused = message(SOURCE);
        assertThat(refused.verdict()).isEqualTo(Verdict.BACKPRESSURE);
        assertThat(refused.detail()).isEqualTo("backlog 2001 messages (high watermark 2000), oldest 0 s");
        final InetAddress notifier = ip("10.0.0.5");
        pressure.pendingMessages = 3000;
        assertThat(admission.admitMessage(notifier, true, "appliance", "appliance.example", "notifications").detail())
            .isEqualTo("backlog 3000 messages at the hard limit 3000");

        // Something else takes the disk: 600 messages' worth of room is left beside 900 pending.
        pressure.pendingMessages = 900;
        pressure.capacity = new SpoolCapacity(reserve + 600 * 4608L, reserve, 900, 0, 0, 0, 0);
        clock.advanceMillis(9_999);
        assertThat(admission.backlogWatermarks().hardLimit()).as("not derived again before 10 s").isEqualTo(3000);
        clock.advanceMillis(1);
        assertThat(admission.backlogWatermarks()).isEqualTo(new BacklogWatermarks(500, 1000, 1500,
            "auto: disk, 2 MiB free above the 1 MiB reserve at 4608 B a message"));
        assertThat(message(SOURCE).verdict()).as("on until the new low watermark").isEqualTo(Verdict.BACKPRESSURE);
        pressure.pendingMessages = 500;
        assertThat(message(SOURCE).isAccepted()).isTrue();
    }

    @Test
    void shouldKeepBackpressureOnUntilBothTheBacklogAndTheOldestAgeAreLow()
    {
        open(quietContext(clock).backlogHighWatermark(1000).backlogLowWatermark(500)
            .oldestAgeHighWatermarkMs(60_000).oldestAgeLowWatermarkMs(10_000));
        pressure.oldestPendingAgeMillis = 60_001;
        assertThat(message(SOURCE).verdict()).as("the age alone turns it on").isEqualTo(Verdict.BACKPRESSURE);

        pressure.oldestPendingAgeMillis = 5_000;
        pressure.pendingMessages = 800;
        assertThat(message(SOURCE).verdict()).as("the age is low but the backlog is not").isEqualTo(Verdict.BACKPRESSURE);

        pressure.pendingMessages = 100;
        pressure.oldestPendingAgeMillis = 30_000;
        assertThat(message(SOURCE).verdict()).as("the backlog is low but the age is not").isEqualTo(Verdict.BACKPRESSURE);

        pressure.oldestPendingAgeMillis = 10_000;
        assertThat(message(SOURCE).isAccepted()).isTrue();
    }

    @Test
    void shouldAdmitTrustedSourcesThroughBackpressureUntilTheHardLimit()
    {
        open(quietContext(clock).backlogHighWatermark(1000).backlogLowWatermark(500).backlogHardLimit(3000));
        pressure.pendingMessages = 2000;
        assertThat(message(SOURCE).verdict()).isEqualTo(Verdict.BACKPRESSURE);
        assertThat(admission.admitConnection(SOURCE).verdict()).isEqualTo(Verdict.BACKPRESSURE);

        final InetAddress notifier = ip("10.0.0.5");
        assertThat(admission.admitConnection(notifier, true).isAccepted()).as("the reserved share").isTrue();
        assertThat(admission.admitMessage(notifier, true, "appliance", "appliance.example", "notifications").isAccepted())
            .isTrue();

        final long refusedBefore = admission.count(AdmissionCounter.BACKPRESSURE);
        pressure.pendingMessages = 3000;
        assertThat(admission.admitMessage(notifier, true, "appliance", "appliance.example", "notifications").verdict())
            .as("the hard limit, which says so").isEqualTo(Verdict.BACKLOG_FULL);
        assertThat(admission.admitConnection(notifier, true).verdict()).isEqualTo(Verdict.BACKLOG_FULL);
        assertThat(message(SOURCE).verdict()).as("untrusted sources meet the same limit").isEqualTo(Verdict.BACKLOG_FULL);
        assertThat(admission.count(AdmissionCounter.BACKLOG_FULL)).isEqualTo(3);
        assertThat(admission.count(AdmissionCounter.BACKPRESSURE)).as("among every refusal for the backlog")
            .isEqualTo(refusedBefore + 3);
    }

    @Test
    void shouldRefuseConnectionsUnderBackpressureWithoutTakingTheirTokens()
    {
        open(limit(KeyKind.IP, Traffic.CONNECTIONS, 0.001, 2).backlogHighWatermark(10).backlogLowWatermark(5));
        pressure.pendingMessages = 11;
        for (int i = 0; i < 5; i++)
        {
            assertThat(admission.admitConnection(SOURCE).verdict()).isEqualTo(Verdict.BACKPRESSURE);
        }
        pressure.pendingMessages = 0;
        assertThat(admission.admitConnection(SOURCE).isAccepted()).isTrue();
        assertThat(admission.admitConnection(SOURCE).isAccepted()).isTrue();
        final Decision refused = admission.admitConnection(SOURCE);
        assertThat(refused.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(refused.detail()).isEqualTo("ip 198.51.100.7");
        assertThat(admission.count(AdmissionCounter.CONNECTIONS_ACCEPTED)).isEqualTo(2);
    }

    @Test
    void shouldRateLimitConnectionsPerNetwork()
    {
        open(limit(KeyKind.NETWORK, Traffic.CONNECTIONS, 1, 2));
        assertThat(admission.admitConnection(ip("192.0.2.1")).isAccepted()).isTrue();
        assertThat(admission.admitConnection(ip("192.0.2.2")).isAccepted()).isTrue();
        assertThat(admission.admitConnection(ip("192.0.2.3")).detail()).isEqualTo("network 192.0.2.0/24");
    }

    @Test
    void shouldRateLimitRecipientsPerIpAndTenant()
    {
        open(limit(KeyKind.IP, Traffic.RECIPIENTS, 1, 3)
            .ratePerSecond(KeyKind.TENANT, Traffic.RECIPIENTS, 1).burst(KeyKind.TENANT, Traffic.RECIPIENTS, 4));
        for (int i = 0; i < 3; i++)
        {
            assertThat(admission.admitRecipient(SOURCE, false, "acme").isAccepted()).isTrue();
        }
        assertThat(admission.admitRecipient(SOURCE, false, "acme").detail()).isEqualTo("ip 198.51.100.7");
        assertThat(admission.admitRecipient(ip("192.0.2.1"), false, "acme").isAccepted()).isTrue();
        assertThat(admission.admitRecipient(ip("192.0.2.1"), false, "acme").detail()).isEqualTo("tenant acme");
        assertThat(admission.count(AdmissionCounter.RECIPIENTS_ACCEPTED)).isEqualTo(4);
        assertThat(message(SOURCE).isAccepted()).as("messages have buckets of their own").isTrue();
    }

    @Test
    void shouldRefuseAMessageWhoseProjectedDelayIsOverTheBound()
    {
        open(quietContext(clock).maxProjectedDelayMs(15 * 60_000));
        pressure.projectedDelayMillis.put(LANE, 20 * 60_000L);
        final Decision refused = message(SOURCE);
        assertThat(refused.verdict()).isEqualTo(Verdict.PROJECTED_DELAY);
        assertThat(refused.retryAfterMillis()).isEqualTo(5 * 60_000);
        assertThat(refused.detail()).contains("lane mail");
        assertThat(admission.admitMessage(SOURCE, true, "ops", "appliance.example", "notifications").isAccepted())
            .as("another lane has its own delay")
            .isTrue();
        assertThat(admission.count(AdmissionCounter.PROJECTED_DELAY)).isEqualTo(1);
    }

    @Test
    void shouldApplyAProjectedDelayBoundChangedLive()
    {
        open(quietContext(clock));
        pressure.projectedDelayMillis.put(LANE, 10 * 60_000L);
        assertThat(message(SOURCE).isAccepted()).isTrue();

        admission.setMaxProjectedDelayMs(5 * 60_000);
        assertThat(admission.maxProjectedDelayMs()).isEqualTo(5 * 60_000);
        assertThat(message(SOURCE).verdict()).isEqualTo(Verdict.PROJECTED_DELAY);

        admission.setMaxProjectedDelayMs(0);
        assertThat(message(SOURCE).isAccepted()).as("0 turns the bound off").isTrue();
    }

    @Test
    void shouldCountTheSmtpLayersOwnRefusalsBesideAdmissions()
    {
        open(quietContext(clock));
        admission.record(AdmissionCounter.TOO_BIG);
        admission.record(AdmissionCounter.SMUGGLING);
        admission.record(AdmissionCounter.SMUGGLING);
        admission.record(AdmissionCounter.RELAY_DENIED);
        assertThat(admission.count(AdmissionCounter.TOO_BIG)).isEqualTo(1);
        assertThat(admission.count(AdmissionCounter.SMUGGLING)).isEqualTo(2);
        assertThat(admission.count(AdmissionCounter.RELAY_DENIED)).isEqualTo(1);
        assertThat(admission.counters().reader().getCounterLabel(AdmissionCounter.SMUGGLING.id()))
            .isEqualTo(AdmissionCounter.SMUGGLING.label());
        assertThat(admission.counters().reader().getCounterValue(AdmissionCounter.SMUGGLING.id())).isEqualTo(2);
    }
}
