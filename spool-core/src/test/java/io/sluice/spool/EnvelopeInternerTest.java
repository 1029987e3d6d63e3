package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pending messages share their repeated envelope strings and fresh statuses (one copy per sender, not per message), on
 * the append path and after a restart, without changing what any message says; the table stays within its bound.
 */
class EnvelopeInternerTest
{
    @TempDir
    Path dir;

    private SpoolContext context()
    {
        return new SpoolContext().directory(dir).blockSizeBytes(1 << 20).chunkBytes(64 << 10).diskReserveBytes(8 << 20);
    }

    /** A fresh copy of every string, as an SMTP session that decoded them from the wire would have. */
    private static Envelope decodedEnvelope(final String recipient)
    {
        return new Envelope(new String("192.0.2.7"), new String("acme"), new String("mail"),
            new String("news@acme.example"), List.of(recipient), 1_700_000_000_000L, true, false, true);
    }

    @Test
    void shouldReturnTheSameEnvelopeWhenItsStringsAreAlreadyShared()
    {
        final EnvelopeInterner interner = new EnvelopeInterner();
        final Envelope first = interner.canonical(decodedEnvelope("a@x.test"));

        assertThat(interner.canonical(first)).isSameAs(first);
        assertThat(interner.canonical(decodedEnvelope("a@x.test"))).isEqualTo(first).isNotSameAs(first);
    }

    @Test
    void shouldStayWithinItsBoundWhateverTheNumberOfDistinctSenders()
    {
        final EnvelopeInterner interner = new EnvelopeInterner(100);
        for (int i = 0; i < 10_000; i++)
        {
            assertThat(interner.intern("bounce+" + i + "@lists.example")).isEqualTo("bounce+" + i + "@lists.example");
            assertThat(interner.size()).isLessThanOrEqualTo(100);
        }
    }

    @Test
    void shouldKeepStatusesThatAreNotFresh()
    {
        final RecipientStatus deferred = RecipientStatus.deferred(1, 5, "451 4.7.1 later");
        final List<RecipientStatus> canonical = EnvelopeInterner.canonical(
            List.of(new RecipientStatus(Disposition.PENDING, 0, 0, new String("")), deferred));

        assertThat(canonical.get(0)).isSameAs(RecipientStatus.NEW);
        assertThat(canonical.get(1)).isSameAs(deferred);
        assertThatThrownBy(() -> new EnvelopeInterner(0)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("capacity");
    }
}
