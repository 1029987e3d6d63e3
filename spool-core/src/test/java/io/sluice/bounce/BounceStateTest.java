package io.sluice.bounce;

import static io.sluice.bounce.BounceTesting.context;
import static io.sluice.bounce.BounceTesting.external;
import static io.sluice.bounce.BounceTesting.failed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.sluice.testing.TestClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bounce policy's memory across restarts: a restart in the middle of a flood keeps the suppression list, the
 * bounces sent within the dedup window and the budget already spent, on a clock the test moves (time the daemon was
 * down counts). A corrupt file is set aside and never stops a start; an operator's change is durable or undone.
 */
class BounceStateTest
{
    @TempDir
    Path dir;

    private final TestClock clock = new TestClock();

    private BouncePolicy open()
    {
        return open(dir.resolve("bounce.state"));
    }

    private BouncePolicy open(final Path stateFile)
    {
        return new BouncePolicy(context(clock).stateFile(stateFile).budgetMinimum(3).budgetFraction(0.01)
            .budgetWindowMs(Duration.ofHours(1).toMillis()).dedupWindowMs(Duration.ofHours(1).toMillis()));
    }

    private static BounceDecision unknownUser(final BouncePolicy policy, final long id, final String sender)
    {
        return policy.decide(external(id, sender, "gone@customer.test"), 0, failed("550 5.1.1 no such user"));
    }

    @Test
    void shouldKeepTheSuppressionListTheDedupTableAndTheBudgetAcrossARestart()
    {
        try (BouncePolicy policy = open())
        {
            policy.onAccepted(100);
            // A bounce that failed itself puts its recipient on the list; one to a legitimate sender is remembered.
            policy.decide(BounceTesting.message(1, "sluice-local", "bounces", "", "forged@victim.test"), 0,
                failed("550 5.1.1 no such user"));
            assertThat(unknownUser(policy, 2, "alice@partner.test").isSend()).isTrue();
            policy.suppress("bob@partner.test", Duration.ofDays(1).toMillis());
            assertThat(policy.snapshot()).as("the operator's change wrote everything when it was made").isFalse();
            policy.onAccepted(1);
            assertThat(policy.snapshot()).isTrue();
            assertThat(policy.snapshot()).as("nothing changed since").isFalse();
        }
        clock.advance(Duration.ofMinutes(10));

        try (BouncePolicy restarted = open())
        {
            assertThat(restarted.isSuppressed("forged@victim.test")).isTrue();
            assertThat(restarted.isSuppressed("BOB@partner.test")).isTrue();
            assertThat(unknownUser(restarted, 3, "alice@partner.test").reason())
                .as("the same bounce within the hour").isEqualTo(SuppressionReason.DUPLICATE);
            assertThat(restarted.budget().acceptedInWindow()).isEqualTo(101);
            assertThat(restarted.budget().bouncesInWindow()).isEqualTo(1);
            assertThat(unknownUser(restarted, 4, "carol@partner.test").isSend()).isTrue();
            assertThat(unknownUser(restarted, 5, "dave@partner.test").isSend()).isTrue();
            assertThat(unknownUser(restarted, 6, "erin@partner.test").reason())
                .as("the minimum of 3 was spent by one bounce before the restart and two after")
                .isEqualTo(SuppressionReason.BUDGET_EXCEEDED);
        }
    }

    @Test
    void shouldLetTimeSpentDownExpireDedupEntriesAndBudgetSlots()
    {
        try (BouncePolicy policy = open())
        {
            policy.onAccepted(1000);
            assertThat(unknownUser(policy, 1, "alice@partner.test").isSend()).isTrue();
        }
        clock.advance(Duration.ofMinutes(61));

        try (BouncePolicy restarted = open())
        {
            assertThat(restarted.budget().acceptedInWindow()).as("the window moved on while the daemon was down").isZero();
            assertThat(unknownUser(restarted, 2, "alice@partner.test").isSend()).as("the dedup window is over").isTrue();
            assertThat(restarted.isSuppressed("gone@customer.test")).as("7 days, not over").isTrue();
        }
    }

    @Test
    void shouldSetACorruptStateFileAsideAndStartEmpty() throws Exception
    {
        try (BouncePolicy policy = open())
        {
            policy.suppress("bob@partner.test", Duration.ofDays(1).toMillis());
        }
        final Path file = dir.resolve("bounce.state");
        final byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x20;
        Files.write(file, bytes);

        try (BouncePolicy restarted = open())
        {
            assertThat(restarted.isSuppressed("bob@partner.test")).isFalse();
            assertThat(restarted.counters().get(BounceCounter.STATE_FILE_FAILURES)).isEqualTo(1);
            assertThat(dir.resolve("bounce.state.corrupt")).exists();
            assertThat(file).doesNotExist();
        }
    }

    @Test
    void shouldUndoAnOperatorsChangeThatCannotBeMadeDurable()
    {
        final BouncePolicy policy = open(dir.resolve("missing-directory").resolve("bounce.state"));

        assertThatThrownBy(() -> policy.suppress("bob@partner.test", 60_000)).isInstanceOf(UncheckedIOException.class)
            .hasMessageContaining("did not happen");

        assertThat(policy.isSuppressed("bob@partner.test")).isFalse();
        assertThat(policy.suppressionList()).isEmpty();
        assertThat(policy.counters().get(BounceCounter.STATE_FILE_FAILURES)).isEqualTo(1);
    }
}
