package io.sluice.admission;

import static io.sluice.admission.AdmissionTesting.ip;
import static io.sluice.admission.AdmissionTesting.quietContext;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import io.sluice.testing.TestClock;

/**
 * Buckets per class and key at the shipped class limits: suspect and demoted mail of a network is throttled hard
 * without touching the clean mail of the same network, connection limits tighten for a demoted network only, and
 * under spool pressure the unknown and suspect classes are tightened before the known-good.
 */
class ClassBucketsTest
{
    private static final String NETWORK = "198.51.100.";

    private final TestClock clock = new TestClock();
    private final TestPressure pressure = new TestPressure();
    private Admission admission;

    @AfterEach
    void close()
    {
        admission.close();
    }

    /** The test context with the class buckets and tiers at their defaults, and no kind bucket in the way. */
    private void open()
    {
        final AdmissionContext context = quietContext(clock).backlogHighWatermark(1000).backlogLowWatermark(500)
            .backlogHardLimit(2000).maxProjectedDelayMs(0);
        for (final SourceClass sourceClass : ReputationSettings.bucketClasses())
        {
            for (final KeyKind kind : ReputationSettings.bucketKinds())
            {
                context.reputation().ratePerSecond(sourceClass, kind, ReputationSettings.defaultRatePerSecond(sourceClass, kind))
                    .burst(sourceClass, kind, ReputationSettings.defaultBurst(sourceClass, kind));
            }
        }
        context.reputation().demotedConnections(ReputationSettings.DEMOTED_CONNECTIONS_PER_SECOND.defaultValue(),
                ReputationSettings.DEMOTED_CONNECTION_BURST.defaultValue())
            .pressureSuspectAt(ReputationSettings.PRESSURE_SUSPECT_AT.defaultValue())
            .pressureUnknownAt(ReputationSettings.PRESSURE_UNKNOWN_AT.defaultValue());
        admission = Admission.open(context, pressure);
    }

    private Decision message(final InetAddress client)
    {
        return admission.admitMessage(client, admission.classOf(client, false), null, "partner.example", "mail");
    }

    private void earnClean()
    {
        for (int i = 1; i <= 200; i++)
        {
            admission.learn(ip(NETWORK + i), ReputationEvent.CLEAN_DELIVERY);
        }
    }

    @Test
    void shouldThrottleSuspectMailHardWithoutTouchingCleanMailOfTheSameNetwork()
    {
        open();
        earnClean();
        final InetAddress spoofer = ip(NETWORK + 66);
        int suspects = 0;
        while (admission.admitSuspect(spoofer).isAccepted())
        {
            suspects++;
        }
        assertThat(suspects).as("the suspect burst of one address").isEqualTo(5);
        final Decision refused = admission.admitSuspect(spoofer);
        assertThat(refused.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(refused.detail()).isEqualTo("suspect ip " + NETWORK + "66");
        assertThat(admission.count(AdmissionCounter.CLASS_LIMITED)).isEqualTo(2);

        int clean = 0;
        for (int i = 1; i <= 200; i++)
        {
            clean += message(ip(NETWORK + (i % 20 + 1))).isAccepted() ? 1 : 0;
        }
        assertThat(clean).as("the clean network's burst, spoofs or not").isEqualTo(200);
    }

    @Test
    void shouldGiveAnUnknownNetworkItsBurstThenItsRate()
    {
        open();
        int accepted = 0;
        for (int i = 0; i < 300; i++)
        {
            accepted += message(ip(NETWORK + (i % 250 + 1))).isAccepted() ? 1 : 0;
        }
        assertThat(accepted).as("the unknown network burst").isEqualTo(200);
        clock.advanceMillis(1000);
        accepted = 0;
        for (int i = 0; i < 50; i++)
        {
            accepted += message(ip(NETWORK + (i + 1))).isAccepted() ? 1 : 0;
        }
        assertThat(accepted).as("one second at 10/s").isEqualTo(10);
    }

    @Test
    void shouldTempfailADemotedNetworkAndTightenItsConnections()
    {
        open();
        final InetAddress other = ip("192.0.2.1");
        for (int i = 1; i <= 5; i++)
        {
            admission.learn(ip(NETWORK + i), ReputationEvent.POLICY_REJECTION);
        }
        int accepted = 0;
        for (int i = 1; i <= 20; i++)
        {
            accepted += message(ip(NETWORK + (100 + i))).isAccepted() ? 1 : 0;
        }
        assertThat(accepted).as("every message of the demoted network tempfailed").isZero();
        assertThat(admission.count(AdmissionCounter.DEMOTED_REFUSED)).isEqualTo(20);
        assertThat(message(ip(NETWORK + 101)).detail()).isEqualTo("demoted by reputation: 198.51.100.101 or its network");
        assertThat(message(other).isAccepted()).isTrue();

        int connections = 0;
        for (int i = 1; i <= 50; i++)
        {
            connections += admission.admitConnection(ip(NETWORK + (100 + i))).isAccepted() ? 1 : 0;
        }
        assertThat(connections).as("the demoted network's connection burst").isEqualTo(10);
        for (int i = 0; i < 50; i++)
        {
            assertThat(admission.admitConnection(other).isAccepted()).isTrue();
        }
    }

    @Test
    void shouldLetAnOperatorsLimitForANetworkWinOverItsClass()
    {
        open();
        for (int i = 1; i <= 5; i++)
        {
            admission.learn(ip(NETWORK + i), ReputationEvent.POLICY_REJECTION);
        }
        admission.setOverride(KeyKind.NETWORK, NETWORK + "0/24", 100, 1000);
        for (int i = 1; i <= 50; i++)
        {
            assertThat(message(ip(NETWORK + (100 + i))).isAccepted()).as("demoted, but the operator said so").isTrue();
            assertThat(admission.admitConnection(ip(NETWORK + (100 + i))).isAccepted()).isTrue();
        }
        assertThat(admission.classOf(ip(NETWORK + 100), false)).as("its record is still shown")
            .isEqualTo(SourceClass.DEMOTED);
    }

    @Test
    void shouldTightenSuspectThenUnknownThenCleanAsTheBacklogRises()
    {
        open();
        earnClean();
        final InetAddress partner = ip(NETWORK + 1);
        final InetAddress stranger = ip("203.0.113.9");
        pressure.pendingMessages = 300;
        assertThat(admission.admitSuspect(stranger).verdict()).as("30 % of the watermark").isEqualTo(Verdict.BACKPRESSURE);
        assertThat(message(stranger).isAccepted()).isTrue();
        assertThat(message(partner).isAccepted()).isTrue();

        pressure.pendingMessages = 600;
        final Decision unknown = message(stranger);
        assertThat(unknown.verdict()).isEqualTo(Verdict.BACKPRESSURE);
        assertThat(unknown.detail()).isEqualTo("unknown mail tightened at 60% of the backlog watermark or delay bound");
        assertThat(message(partner).isAccepted()).as("the known-good last").isTrue();
        assertThat(admission.count(AdmissionCounter.PRESSURE_TIGHTENED)).isEqualTo(2);

        pressure.pendingMessages = 1001;
        assertThat(message(partner).verdict()).isEqualTo(Verdict.BACKPRESSURE);
        assertThat(admission.admitMessage(partner, SourceClass.TRUSTED, null, null, "mail").isAccepted())
            .as("trusted keeps its share up to the hard limit").isTrue();
    }

    @Test
    void shouldTightenByProjectedDelayAsByBacklog()
    {
        open();
        admission.setMaxProjectedDelayMs(100_000);
        pressure.projectedDelayMillis.put("mail", 60_000L);
        assertThat(message(ip("203.0.113.9")).verdict()).isEqualTo(Verdict.BACKPRESSURE);
        earnClean();
        assertThat(message(ip(NETWORK + 1)).isAccepted()).isTrue();
    }
}
