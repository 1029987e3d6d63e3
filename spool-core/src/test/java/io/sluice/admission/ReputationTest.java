package io.sluice.admission;

import static io.sluice.admission.AdmissionTesting.ip;
import static io.sluice.admission.AdmissionTesting.quietContext;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import io.sluice.testing.TestClock;

/** Reputation from outcomes, on the test clock: what earns each class, how it decays, and who it spares. */
class ReputationTest
{
    private static final String PARTNER = "198.51.100.";
    private static final String FLOOD = "203.0.113.";

    private final TestClock clock = new TestClock();
    private Admission admission;

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
        admission = Admission.open(quietContext(clock), new TestPressure());
    }

    private void learn(final String prefix, final int hosts, final ReputationEvent event)
    {
        for (int i = 1; i <= hosts; i++)
        {
            admission.learn(ip(prefix + i), event);
        }
    }

    @Test
    void shouldStartUnknownAndEarnCleanForTheWholeNetworkFromItsDeliveries()
    {
        open();
        assertThat(admission.classOf(ip(PARTNER + 7), false)).isEqualTo(SourceClass.UNKNOWN);
        assertThat(admission.classOf(ip(PARTNER + 7), true)).isEqualTo(SourceClass.TRUSTED);

        learn(PARTNER, 19, ReputationEvent.CLEAN_DELIVERY);
        assertThat(admission.classOf(ip(PARTNER + 200), false)).as("19 of the 20 deliveries it takes")
            .isEqualTo(SourceClass.UNKNOWN);
        learn(PARTNER, 1, ReputationEvent.CLEAN_DELIVERY);
        assertThat(admission.classOf(ip(PARTNER + 200), false)).as("a host of the network that never sent")
            .isEqualTo(SourceClass.CLEAN);
        assertThat(admission.classOf(ip(FLOOD + 1), false)).isEqualTo(SourceClass.UNKNOWN);
    }

    @Test
    void shouldDemoteANetworkAfterAHandfulOfPolicyRejectionsSpreadOverItsAddresses()
    {
        open();
        learn(FLOOD, 4, ReputationEvent.POLICY_REJECTION);
        assertThat(admission.classOf(ip(FLOOD + 99), false)).isEqualTo(SourceClass.UNKNOWN);
        learn(FLOOD, 1, ReputationEvent.POLICY_REJECTION);
        assertThat(admission.classOf(ip(FLOOD + 99), false)).as("one rejection per address, five in the /24")
            .isEqualTo(SourceClass.DEMOTED);
        assertThat(admission.classOf(ip(PARTNER + 1), false)).isEqualTo(SourceClass.UNKNOWN);

        final SourceReputation network = admission.reputation(FLOOD + "0/24");
        assertThat(network.network()).isTrue();
        assertThat(network.sourceClass()).isEqualTo(SourceClass.DEMOTED);
        assertThat(network.counts()).containsEntry("policy rejection", 5);
        assertThat(network.score()).isLessThan(0);
        assertThat(network.why()).startsWith("demoted").contains("5 policy rejection").contains("last bad: policy rejection");
        assertThat(admission.worstReputations(1).get(0).key()).isEqualTo(FLOOD + "0/24");
    }

    @Test
    void shouldCountAHandfulArrivingOverSomeMinutesAsTheHandfulItIs()
    {
        open();
        for (int i = 1; i <= 5; i++)
        {
            admission.learn(ip(FLOOD + i), ReputationEvent.POLICY_REJECTION);
            clock.advance(Duration.ofMinutes(4));
        }
        assertThat(admission.classOf(ip(FLOOD + 99), false)).as("five over twenty minutes, decayed to 4.9")
            .isEqualTo(SourceClass.DEMOTED);
        for (int i = 1; i <= 20; i++)
        {
            admission.learn(ip(PARTNER + i), ReputationEvent.CLEAN_DELIVERY);
            clock.advance(Duration.ofSeconds(1));
        }
        assertThat(admission.classOf(ip(PARTNER + 99), false)).isEqualTo(SourceClass.CLEAN);
    }

    @Test
    void shouldForgiveAsThePointsDecay()
    {
        open();
        learn(FLOOD, 8, ReputationEvent.SPOOF);
        assertThat(admission.classOf(ip(FLOOD + 1), false)).isEqualTo(SourceClass.DEMOTED);

        clock.advance(Duration.ofHours(12));
        assertThat(admission.reputation(FLOOD + "0/24").bad()).as("one half-life").isCloseTo(4.0, Offset.offset(0.01));
        assertThat(admission.classOf(ip(FLOOD + 1), false)).isEqualTo(SourceClass.UNKNOWN);
    }

    @Test
    void shouldKeepAPartnerCleanThroughAFewVirusesButNotThroughAFlood()
    {
        open();
        learn(PARTNER, 200, ReputationEvent.CLEAN_DELIVERY);
        learn(PARTNER, 5, ReputationEvent.POLICY_REJECTION);
        assertThat(admission.classOf(ip(PARTNER + 250), false)).as("5 bad points within 5 % of 200 clean")
            .isEqualTo(SourceClass.CLEAN);
        learn(PARTNER, 20, ReputationEvent.POLICY_REJECTION);
        assertThat(admission.classOf(ip(PARTNER + 250), false)).isEqualTo(SourceClass.DEMOTED);
    }

    @Test
    void shouldDemoteOneBadHostWithoutItsCleanNetwork()
    {
        open();
        learn(PARTNER, 200, ReputationEvent.CLEAN_DELIVERY);
        for (int i = 0; i < 6; i++)
        {
            admission.learn(ip(PARTNER + 77), ReputationEvent.SPOOF);
        }
        assertThat(admission.classOf(ip(PARTNER + 77), false)).isEqualTo(SourceClass.DEMOTED);
        assertThat(admission.classOf(ip(PARTNER + 78), false)).isEqualTo(SourceClass.CLEAN);
    }

    @Test
    void shouldWeighUnknownRecipientsAndRefusedCommandsLess()
    {
        open();
        learn(FLOOD, 19, ReputationEvent.UNKNOWN_RECIPIENT);
        assertThat(admission.classOf(ip(FLOOD + 1), false)).as("19 x 0.25 = 4.75 points").isEqualTo(SourceClass.UNKNOWN);
        learn(FLOOD, 1, ReputationEvent.UNKNOWN_RECIPIENT);
        assertThat(admission.classOf(ip(FLOOD + 1), false)).isEqualTo(SourceClass.DEMOTED);
        assertThat(admission.learn("not-an-address", ReputationEvent.SPOOF)).isFalse();
        assertThat(admission.learn("2001:db8::1", ReputationEvent.SPOOF)).isTrue();
        assertThat(admission.reputation("2001:db8::/64").bad()).isEqualTo(1.0);
    }

    @Test
    void shouldDemoteAnIpv6HostOnItsOwnRecordInACleanNetwork()
    {
        open();
        for (int i = 1; i <= 200; i++)
        {
            admission.learn(ip("2001:db8::" + Integer.toHexString(i)), ReputationEvent.CLEAN_DELIVERY);
        }
        final InetAddress host = ip("2001:db8::dead");
        for (int i = 0; i < 5; i++)
        {
            admission.learn(host, ReputationEvent.POLICY_REJECTION);
        }
        assertThat(admission.classOf(ip("2001:db8::1"), false)).isEqualTo(SourceClass.CLEAN);
        assertThat(admission.classOf(host, false)).as("its own /128 record, looked up at the decision")
            .isEqualTo(SourceClass.DEMOTED);
    }

    @Test
    void shouldCapCleanPointsSoALongHistoryCannotHideAFlood()
    {
        open();
        final InetAddress relay = ip(PARTNER + 1);
        for (int i = 0; i < 5000; i++)
        {
            admission.learn(relay, ReputationEvent.CLEAN_DELIVERY);
        }
        assertThat(admission.reputation(PARTNER + "1").clean()).isEqualTo(ReputationEntry.CLEAN_CAP);
        for (int i = 0; i < 51; i++)
        {
            admission.learn(relay, ReputationEvent.POLICY_REJECTION);
        }
        assertThat(admission.classOf(relay, false)).isEqualTo(SourceClass.DEMOTED);
    }

    @Test
    void shouldStayBoundedAndDropTheLeastInformativeFirst()
    {
        final AdmissionContext context = quietContext(clock);
        context.reputation().maxKeys(16);
        admission = Admission.open(context, new TestPressure());
        for (int i = 0; i < 20; i++)
        {
            admission.learn(ip(FLOOD + 1), ReputationEvent.SPOOF);
        }
        for (int i = 2; i <= 100; i++)
        {
            admission.learn(ip(PARTNER + i), ReputationEvent.REFUSED_COMMAND);
        }
        assertThat(admission.reputationKeys()).isLessThanOrEqualTo(17);
        assertThat(admission.classOf(ip(FLOOD + 1), false)).as("the heaviest entry is kept").isEqualTo(SourceClass.DEMOTED);
    }
}
