package io.sluice.benchmarks.flood;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The admission issue's figures on hand-made ledgers: every count is known in advance from what the test wrote.
 * Times are made up; nothing here depends on a clock.
 */
class AdmissionFiguresTest
{
    private static final long S = 1_000_000_000L;
    private static final long FLOOD_START = 10 * S;
    private static final long DRAIN_END = 30 * S;

    /** 8 flood messages from 4 sources in 2 /24s: message m comes from source m % 4, network (m % 4) % 2. */
    private final ScenarioOptions snowshoe = ScenarioOptions.parse("--out", "/tmp/unused", "--scenarios", "snowshoe",
        "--flood", "8", "--flood-sources", "4", "--flood-networks", "2", "--upstream-rate", "2", "--legit-rate", "1",
        "--legit-sources", "1");
    private final Ledger ledger = new Ledger(0, 8);

    private AdmissionFigures figures(final ScenarioOptions options)
    {
        return new AdmissionFigures(ledger, FLOOD_START, DRAIN_END, new FloodTraffic(options)::floodNetworkOf);
    }

    private Ledger.LegitMessage partner(final long firstTry, final int code, final String reason)
    {
        final Ledger.LegitMessage message = ledger.legitMessage(0, firstTry, false);
        ledger.legitFirstReply(message, code, reason);
        if (code == 250)
        {
            ledger.legitAccepted(message, firstTry);
            ledger.arrived("legit-" + message.number(), 250, firstTry + S);
        }
        return message;
    }

    @Test
    void shouldCountPartnerRefusalsAtTheFirstTryInThePhaseOfThatTryByReply()
    {
        partner(5 * S, 250, "250");
        partner(6 * S, 421, "421 4.7.0 Too many connections (network *)");
        partner(FLOOD_START, 450, "450 4.7.1 Rate limit exceeded (network *)"); // the flood's first instant: during
        partner(20 * S, 450, "450 4.7.1 Rate limit exceeded (network *)");
        partner(21 * S, 250, "250");
        partner(DRAIN_END, 250, "250");                                        // the backlog's last instant: during
        partner(31 * S, 250, "250");
        final Ledger.LegitMessage retried = ledger.legitMessage(0, 32 * S, false);
        ledger.legitFirstReply(retried, 0, "connection closed by the server");
        ledger.legitFirstReply(retried, 250, "250");                           // a later try: not the first
        ledger.legitMessage(0, 33 * S, false);                                 // not tried yet at the end: not counted

        final AdmissionFigures figures = figures(snowshoe);

        final AdmissionFigures.PhaseRefusals before = figures.partnerFirstTry.get("before");
        assertThat(before.tried).isEqualTo(2);
        assertThat(before.refused).isEqualTo(1);
        assertThat(before.byReason).containsExactly(Map.entry("421 4.7.0 Too many connections (network *)", 1L));
        final AdmissionFigures.PhaseRefusals during = figures.partnerFirstTry.get("during");
        assertThat(during.tried).isEqualTo(4);
        assertThat(during.refused).isEqualTo(2);
        assertThat(during.fraction()).isCloseTo(0.5, within(1e-9));
        assertThat(during.byReason).containsExactly(Map.entry("450 4.7.1 Rate limit exceeded (network *)", 2L));
        final AdmissionFigures.PhaseRefusals after = figures.partnerFirstTry.get("after");
        assertThat(after.tried).isEqualTo(2);
        assertThat(after.byReason).containsExactly(Map.entry("connection closed by the server", 1L));
        assertThat(figures.partnerFirstTryAll().refused).isEqualTo(4);
        assertThat(figures.partnerFirstTryAll().tried).isEqualTo(8);
    }

    @Test
    void shouldCountFloodReachingTheUpstreamAfterTheFirstRejectionOfItsOwnNetwork()
    {
        // Network 0: messages 0, 2, 4, 6. Network 1: messages 1, 3, 5, 7.
        for (int m = 0; m < 8; m++)
        {
            ledger.floodTried(m, FLOOD_START + m * S);
            ledger.floodAccepted(m, FLOOD_START + m * S);
        }
        ledger.arrived("flood-0", 554, 12 * S);     // network 0's first rejection
        ledger.arrived("flood-2", 554, 12 * S);     // the same instant: not after it
        ledger.arrived("flood-4", 554, 15 * S);     // after: counts
        ledger.arrived("flood-6", 451, 16 * S);     // deferred upstream: no verdict, never counts
        ledger.arrived("flood-1", 250, 11 * S);     // network 1 delivered before any rejection: reached, not after
        ledger.arrived("flood-3", 554, 13 * S);     // network 1's first rejection (a 250 is not one)
        ledger.arrived("flood-5", 554, 14 * S);     // after: counts
        // flood-7 never reached the upstream.

        final AdmissionFigures figures = figures(snowshoe);

        assertThat(figures.floodReachedUpstream).isEqualTo(6);
        assertThat(figures.floodReachedAfterFirstRejection).isEqualTo(2);
        assertThat(figures.firstRejectionSeconds).containsExactly(Map.entry(0, 2.0), Map.entry(1, 3.0));
        // Offered after the first rejection of their network: 4 (14 s), 6 (16 s); 5 (15 s), 7 (17 s).
        assertThat(figures.floodTriedAfterFirstRejection).isEqualTo(4);
    }

    @Test
    void shouldOweEachLegitimateUnknownUserSenderExactlyOneDsnUnlessRefusedInTheSession()
    {
        final List<Ledger.LegitMessage> owed = new ArrayList<>();
        for (int i = 0; i < 5; i++)
        {
            owed.add(ledger.legitMessage(0, FLOOD_START + i * S, true));
        }
        ledger.legitRefusedPermanently(owed.get(0), "550 5.1.1 Recipient unknown"); // refused in-session: nothing owed
        for (int i = 1; i < 4; i++)
        {
            ledger.legitAccepted(owed.get(i), FLOOD_START + i * S);
            ledger.unknownUserRefused(owed.get(i).number(), 20 * S);
        }
        // owed.get(4): still being retried at the end.
        final Ledger.LegitMessage held = ledger.legitMessage(0, FLOOD_START, true);
        ledger.legitAccepted(held, FLOOD_START);                                 // accepted, never left: held
        ledger.bounce(List.of(FloodTraffic.returnSender(owed.get(1).number())));                 // exactly one
        ledger.bounce(List.of(FloodTraffic.returnSender(owed.get(2).number())));                 // two: one too many
        ledger.bounce(List.of(FloodTraffic.returnSender(owed.get(2).number()).toUpperCase()));
        // owed.get(3) got none.
        ledger.bounce(List.of("victim7@protected.example", "anna.12@northwind-trading-12.example")); // backscatter
        ledger.bounce(List.of("sender0@partner.example"));                                     // legit, never owed

        final AdmissionFigures figures = figures(snowshoe);

        assertThat(figures.unknownUserMessages).isEqualTo(6);
        assertThat(figures.unknownUserRefusedInSession).isEqualTo(1);
        assertThat(figures.unknownUserAccepted).isEqualTo(4);
        assertThat(figures.unknownUserHeld).isEqualTo(1);
        assertThat(figures.unknownUserExactlyOneDsn).isEqualTo(1);
        assertThat(figures.unknownUserSeveralDsns).isEqualTo(1);
        assertThat(figures.unknownUserNoDsn).isEqualTo(1);
        assertThat(figures.unknownUserNotTried).isEqualTo(1);
        assertThat(figures.dsnsToForgedSenders).isEqualTo(2);
        assertThat(figures.dsnsToOtherLegitSenders).isEqualTo(1);
        assertThat(figures.legitAcceptedWithoutVerdict).as("the held one").isEqualTo(1);
        assertThat(figures.partnerFirstTryAll().tried).as("unknown-user mail is not the partner's stream").isZero();
    }

    @Test
    void shouldTakeAnUpstreamRefusalBeforeTheDoorAcceptedTheMessageAsAProbeNotAVerdict()
    {
        final Ledger.LegitMessage message = ledger.legitMessage(0, FLOOD_START, true);
        ledger.unknownUserRefused(message.number(), FLOOD_START + 1);  // a callout while the session is open
        assertThat(ledger.recipientProbes()).isEqualTo(1);
        assertThat(message.finalAt()).isEqualTo(Ledger.NEVER);

        ledger.legitAccepted(message, FLOOD_START + 2);
        assertThat(ledger.backlog()).isEqualTo(1);
        ledger.unknownUserRefused(message.number(), FLOOD_START + 3);
        assertThat(message.finalAt()).isEqualTo(FLOOD_START + 3);
        assertThat(ledger.backlog()).isZero();
        ledger.unknownUserRefused(message.number(), FLOOD_START + 4); // delivered again after its verdict
        assertThat(ledger.duplicates()).isEqualTo(1);
    }

    @Test
    void shouldTakeAnUpstreamRefusalAfterTheRecipientWasTakenAsTheVerdictEvenBeforeThe250IsRead()
    {
        final Ledger.LegitMessage message = ledger.legitMessage(0, FLOOD_START, true);
        ledger.legitRecipientTaken(message, FLOOD_START + 1);
        ledger.unknownUserRefused(message.number(), FLOOD_START + 2); // delivered while the 250 is on its way
        assertThat(ledger.recipientProbes()).isZero();
        assertThat(message.finalAt()).isEqualTo(Ledger.NEVER);

        ledger.legitAccepted(message, FLOOD_START + 3);
        assertThat(message.finalAt()).isEqualTo(FLOOD_START + 2);
        assertThat(ledger.backlog()).isZero();
        ledger.unknownUserRefused(message.number(), FLOOD_START + 4); // delivered again after its verdict
        assertThat(ledger.duplicates()).isEqualTo(1);
    }

    @Test
    void shouldJudgeTheTargetsOfTheRunsScenario()
    {
        final ScenarioOptions unknownUsers = ScenarioOptions.parse("--out", "/tmp/unused", "--scenarios",
            "unknown-users", "--unknown-users-flood", "spoofed", "--flood", "8", "--flood-sources", "4",
            "--flood-networks", "2", "--upstream-rate", "2", "--legit-rate", "1", "--legit-sources", "1");
        partner(5 * S, 250, "250");
        for (int i = 0; i < 99; i++)
        {
            partner(FLOOD_START + i * S / 10, 250, "250");
        }
        partner(FLOOD_START + 10 * S, 450, "450 4.7.1 Rate limit exceeded (network *)"); // 1 of 100 during: met
        ledger.floodAccepted(0, FLOOD_START);
        ledger.arrived("flood-0", 554, 11 * S);                                           // 1 of 8: missed (> 1 %)
        final Ledger.LegitMessage owed = ledger.legitMessage(0, FLOOD_START, true);
        ledger.legitRefusedPermanently(owed, "550 5.1.1 Recipient unknown");

        final RunResult run = new RunResult(unknownUsers, "test", Map.of(), ledger, List.of(), FLOOD_START, FLOOD_START,
            DRAIN_END, DRAIN_END, DRAIN_END);
        final Map<String, String> verdicts = new java.util.LinkedHashMap<>();
        for (final AdmissionTargets.Row row : AdmissionTargets.of(run))
        {
            verdicts.put(row.target().replaceAll(" [<=].*", ""), row.verdict());
        }

        assertThat(verdicts).containsEntry("partner mail refused at first try before the flood", "MET")
            .containsEntry("partner mail refused at first try during the flood", "MET")
            .containsEntry("partner mail refused at first try after the flood", "n/a")
            .containsEntry("DSNs to forged senders", "MET")
            .containsEntry("spoofed flood reaching the upstream", "MISSED")
            .containsEntry("each legitimate 550 sender: exactly one DSN, or refused in-session", "MET")
            .containsEntry("acknowledged but lost", "MET");
        assertThat(verdicts).doesNotContainKey("snowshoe flood: no legitimate message held");
    }
}
