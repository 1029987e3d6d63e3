package io.sluice.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import io.sluice.spool.Disposition;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import org.junit.jupiter.api.Test;

/** The operator's filter and durations: what they match, how they read back, and what they refuse (naming it). */
class MessageFilterTest
{
    private static final long NOW = 1_700_000_000_000L;

    private static PendingMessage message(final String sender, final long ageMillis, final RecipientStatus... statuses)
    {
        final List<String> recipients = List.of("Ann@Example.ORG", "bob@other.test").subList(0, statuses.length);
        return new PendingMessage(7, new Envelope("192.0.2.1", "acme", "mail", sender, recipients, NOW - ageMillis), 100,
            List.of(statuses));
    }

    private static boolean matches(final String filter, final PendingMessage message)
    {
        return MessageFilter.parse(filter).matches(message, NOW, () -> "default",
            () -> QueueState.of(message, NOW, false));
    }

    @Test
    void shouldMatchEveryCriterionGivenAndEverythingWithNone()
    {
        final PendingMessage message = message("Alice@Example.net", 3_600_000, RecipientStatus.NEW,
            RecipientStatus.delivered(1, "250 ok"));

        assertThat(matches("", message)).isTrue();
        assertThat(MessageFilter.parse(" ").isEmpty()).isTrue();
        assertThat(matches("tenant=acme sender=alice@example.NET", message)).isTrue();
        assertThat(matches("sender=example.net recipient=@example.org route=default", message)).isTrue();
        assertThat(matches("older-than=59m state=ready", message)).isTrue();
        assertThat(matches("tenant=other", message)).isFalse();
        assertThat(matches("sender=bob@example.net", message)).isFalse();
        assertThat(matches("sender=<>", message)).isFalse();
        assertThat(matches("recipient=bob@other.test", message)).as("delivered already: not open").isFalse();
        assertThat(matches("older-than=2h", message)).isFalse();
        assertThat(matches("route=elsewhere", message)).isFalse();
        assertThat(matches("state=deferred", message)).isFalse();
        assertThat(matches("sender=<>", message("", 0, RecipientStatus.NEW))).isTrue();
    }

    @Test
    void shouldTellStatesApart()
    {
        final RecipientStatus later = RecipientStatus.deferred(2, NOW + 60_000, "451 4.3.0 later");
        final RecipientStatus due = RecipientStatus.deferred(2, NOW, "451 4.3.0 later");
        final RecipientStatus held = OperatorHold.held(2, "ops");

        assertThat(QueueState.of(message("a@b.test", 0, later), NOW, false)).isEqualTo(QueueState.DEFERRED);
        assertThat(QueueState.of(message("a@b.test", 0, due), NOW, false)).isEqualTo(QueueState.READY);
        assertThat(QueueState.of(message("a@b.test", 0, RecipientStatus.NEW), NOW, true)).isEqualTo(QueueState.PAUSED);
        assertThat(QueueState.of(message("a@b.test", 0, held, later), NOW, false)).isEqualTo(QueueState.DEFERRED);
        assertThat(QueueState.of(message("a@b.test", 0, held), NOW, false)).isEqualTo(QueueState.HELD);
        assertThat(QueueState.of(message("a@b.test", 0,
            new RecipientStatus(Disposition.HELD, 0, 0, "containment: held (volume)")), NOW, false)).isEqualTo(QueueState.HELD);
        assertThat(OperatorHold.isHeld(message("a@b.test", 0, held, later))).isTrue();
        assertThat(OperatorHold.isHeld(message("a@b.test", 0,
            new RecipientStatus(Disposition.HELD, 0, 0, "quarantine: spoof")))).isFalse();
    }

    @Test
    void shouldReadBackWhatItWrites()
    {
        final MessageFilter filter = MessageFilter.parse("state=HELD older-than=90m sender=<> tenant=acme route=relay"
            + " recipient=@Example.org");

        assertThat(filter.toString())
            .isEqualTo("tenant=acme sender=<> recipient=@example.org route=relay older-than=1h30m state=held");
        assertThat(MessageFilter.parse(filter.toString())).isEqualTo(filter);
        assertThat(filter.olderThan()).isEqualTo(Duration.ofMinutes(90));
    }

    @Test
    void shouldRefuseMalformedFiltersNamingTheWrongPart()
    {
        assertThatThrownBy(() -> MessageFilter.parse("older-than=5x"))
            .hasMessage("older-than: expected a duration such as 90s, 30m, 1h, 1h30m or 2d, got: 5x");
        assertThatThrownBy(() -> MessageFilter.parse("state=stuck"))
            .hasMessage("state: expected ready, deferred, held or paused, got: stuck");
        assertThatThrownBy(() -> MessageFilter.parse("colour=red")).hasMessageStartingWith("filter: expected key=value")
            .hasMessageEndingWith("got: colour=red");
        assertThatThrownBy(() -> MessageFilter.parse("tenant=a tenant=b")).hasMessage("filter: tenant given twice");
        assertThatThrownBy(() -> MessageFilter.parse("recipient=<>")).hasMessageStartingWith("recipient: expected");
        assertThatThrownBy(() -> MessageFilter.parse("sender=a@")).hasMessageStartingWith("sender: expected");
    }

    @Test
    void shouldParseAndFormatDurations()
    {
        assertThat(Durations.parse("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse(" 2D ")).isEqualTo(Duration.ofDays(2));
        assertThat(Durations.parse("300")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.format(Duration.ofSeconds(93_784))).isEqualTo("1d2h3m4s");
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
        assertThatThrownBy(() -> Durations.parse("5x")).hasMessageContaining("got: 5x");
        assertThatThrownBy(() -> Durations.parse("")).hasMessageContaining("got: ");
        assertThatThrownBy(() -> Durations.parse("-5m")).hasMessageContaining("got: -5m");
        assertThatThrownBy(() -> Durations.parse("99999999999999999999d")).hasMessageStartingWith("duration too long");
    }
}
