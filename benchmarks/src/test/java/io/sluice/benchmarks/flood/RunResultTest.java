package io.sluice.benchmarks.flood;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The report's maths on a made-up run: every figure is known in advance from the ledger written here. */
class RunResultTest
{
    private static final long S = 1_000_000_000L;
    private static final long FLOOD_START = 10 * S;
    private static final long FLOOD_SENT = 12 * S;

    private final ScenarioOptions options = ScenarioOptions.parse("--out", "/tmp/unused", "--flood", "4",
        "--flood-sources", "2", "--upstream-rate", "2", "--legit-rate", "1", "--legit-sources", "1");
    private final Ledger ledger = new Ledger(0, 4);
    private final List<Sample> samples = new ArrayList<>();

    private RunResult result(final long drained, final long end)
    {
        return new RunResult(options, "test", Map.of(), ledger, samples, FLOOD_START, FLOOD_SENT, drained, end, end);
    }

    private void legit(final long firstAttempt, final long arrival)
    {
        final Ledger.LegitMessage message = ledger.legitMessage(0, firstAttempt);
        ledger.legitAccepted(message, firstAttempt + S / 100);
        if (arrival != Ledger.NEVER)
        {
            ledger.arrived("legit-" + message.number(), 250, arrival);
        }
    }

    private void sample(final long at, final int backlog)
    {
        samples.add(new Sample(at, backlog, 0, 0, 0, 100L << 20, at / (double)S, 10, Map.of()));
    }

    @Test
    void shouldPutEachLegitimateMessageInThePhaseOfItsFirstTryAndTakeNearestRankPercentiles()
    {
        legit(5 * S, 5 * S + S / 10);                    // before: 0.1 s
        for (int i = 1; i <= 100; i++)
        {
            legit(FLOOD_START + i * S / 10, FLOOD_START + i * S / 10 + i * S / 100); // during: 0.01 .. 1.00 s
        }
        legit(40 * S, 40 * S + 3 * S / 100);             // after: 0.03 s
        legit(41 * S, Ledger.NEVER);                     // accepted, never arrived

        final RunResult result = result(30 * S, 50 * S);

        assertThat(result.latencySeconds.get("before")).containsExactly(0.1);
        assertThat(result.latencySeconds.get("after")).containsExactly(0.03);
        final double[] during = result.latencySeconds.get("during");
        assertThat(during).hasSize(100);
        assertThat(RunResult.percentile(during, 50)).isCloseTo(0.50, within(1e-9));
        assertThat(RunResult.percentile(during, 99)).isCloseTo(0.99, within(1e-9));
        assertThat(RunResult.percentile(during, 100)).isCloseTo(1.00, within(1e-9));
        assertThat(result.legitSent).isEqualTo(103);
        assertThat(result.legitDelivered).isEqualTo(102);
        assertThat(result.acknowledgedNotDelivered).as("the accepted message that never arrived").isEqualTo(1);
    }

    @Test
    void shouldMeasureTheDrainFromTheFloodsStartToTheLastFloodVerdict()
    {
        for (int m = 0; m < 4; m++)
        {
            ledger.floodAccepted(m, FLOOD_START + m * S / 4);
        }
        ledger.arrived("flood-0", 554, 11 * S);
        ledger.arrived("flood-1", 554, 12 * S);
        ledger.arrived("flood-2", 451, 12 * S);         // deferred upstream: not a verdict
        ledger.arrived("flood-2", 554, 13 * S);
        ledger.arrived("flood-3", 250, 14 * S);
        ledger.arrived("flood-3", 250, 15 * S);         // the same message twice: a duplicate
        legit(FLOOD_START, 12 * S);                     // a legitimate verdict inside the window counts as work
        ledger.bounce();

        final RunResult result = result(14 * S, 20 * S);

        assertThat(result.drained()).isTrue();
        assertThat(result.drainSeconds).isCloseTo(4.0, within(1e-9));
        assertThat(result.drainFinals).isEqualTo(5);
        assertThat(result.drainRate).isCloseTo(1.25, within(1e-9));
        assertThat(result.predictedDrainSeconds()).as("5 verdicts at 2/s").isCloseTo(2.5, within(1e-9));
        assertThat(result.floodOverRateSeconds()).isCloseTo(2.0, within(1e-9));
        assertThat(result.floodRejectedUpstream).isEqualTo(3);
        assertThat(result.floodDelivered).isEqualTo(1);
        assertThat(result.duplicates).isEqualTo(1);
        assertThat(result.deferredUpstream).isEqualTo(1);
        assertThat(result.acknowledgedNotDelivered).isZero();
        assertThat(result.bounceAmplification()).isCloseTo(0.25, within(1e-9));
    }

    @Test
    void shouldCountOnlySecondsThatStartedWithAFullSecondOfBacklogAsSteady()
    {
        sample(FLOOD_START, 10);
        sample(FLOOD_START + 2 * S, 1);                  // below the rate (2/s) from second 2 on
        final List<Long> finals = List.of(FLOOD_START + S / 2, FLOOD_START + S + S / 3, FLOOD_START + S + S / 2,
            FLOOD_START + 2 * S + 1);

        final double[] steady = RunResult.steadyRates(finals, FLOOD_START, FLOOD_START + 3 * S, samples, 2.0);

        assertThat(steady).containsExactly(1.0, 2.0);
    }

    @Test
    void shouldSayNotDrainedAndCountEveryAcceptedMessageWithoutAVerdictAsNotDelivered()
    {
        ledger.floodAccepted(0, FLOOD_START);
        ledger.floodAccepted(1, FLOOD_START);
        ledger.arrived("flood-0", 554, 11 * S);
        ledger.floodRefused("450 4.7.1 Rate limit exceeded");
        ledger.floodRefused("450 4.7.1 Rate limit exceeded");

        final RunResult result = result(Ledger.NEVER, 20 * S);

        assertThat(result.drained()).isFalse();
        assertThat(result.acknowledgedNotDelivered).isEqualTo(1);
        assertThat(result.floodRefusals).containsEntry("450 4.7.1 Rate limit exceeded", 2L);
        assertThat(result.floodRefused).isEqualTo(2);
    }

    @Test
    void shouldNameTheReplyByCodeAndWordsWithoutItsDetails()
    {
        assertThat(new SmtpClientSession.Reply(450, "4.7.1 Rate limit exceeded (network 127.64.3.0/24)").reason())
            .isEqualTo("450 4.7.1 Rate limit exceeded (network *)");
        assertThat(new SmtpClientSession.Reply(450, "4.7.1 Rate limit exceeded (source 127.64.3.9)").reason())
            .isEqualTo("450 4.7.1 Rate limit exceeded (source *)");
        assertThat(new SmtpClientSession.Reply(421, "4.3.2 Service paused: try later").reason())
            .isEqualTo("421 4.3.2 Service paused");
        assertThat(SmtpClientSession.Reply.CONNECTION_CLOSED.reason()).isEqualTo("connection closed by the server");
    }
}
