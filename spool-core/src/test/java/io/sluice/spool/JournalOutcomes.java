package io.sluice.spool;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.ExpandableArrayBuffer;

/**
 * Reads every outcome record a closed spool's journal holds, with the envelope of its message: what a test checks to
 * prove that something was journaled (a suppressed bounce, a purge), not only counted, even after the message left
 * the spool. Reads the files on disk as recovery does; never writes.
 */
public final class JournalOutcomes
{
    /**
     * One journaled outcome.
     *
     * @param envelope       the message's envelope, or null if its message record is not in the files any more
     * @param recipientIndex the recipient, or -1 for all of them
     */
    public record Outcome(long messageId, Envelope envelope, int recipientIndex, RecipientStatus status)
    {
        /** @return the recipient's address, or null when the outcome covers every recipient or the envelope is gone. */
        public String recipient()
        {
            return envelope == null || recipientIndex < 0 ? null : envelope.recipients().get(recipientIndex);
        }
    }

    private JournalOutcomes()
    {
    }

    /** @param directory the directory of a spool that is closed, written with the default roll cycle and block size. */
    public static List<Outcome> read(final Path directory)
    {
        final JournalRecordCodec codec = new JournalRecordCodec();
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64 * 1024);
        final Map<Long, Envelope> envelopes = new HashMap<>();
        final List<Outcome> outcomes = new ArrayList<>();
        try (Journal journal = new Journal(new SpoolContext().directory(directory));
             ExcerptTailer tailer = journal.queue().createTailer())
        {
            tailer.toStart();
            while (true)
            {
                final int length;
                try (DocumentContext dc = tailer.readingDocument())
                {
                    if (!dc.isPresent())
                    {
                        break;
                    }
                    length = Journal.copy(dc.wire().bytes(), buffer, dc.index());
                }
                final byte type = codec.verify(buffer, length);
                if (type == JournalRecordCodec.TYPE_MESSAGE)
                {
                    final JournalRecordCodec.MessageRecord message = codec.decodeMessage(buffer, length);
                    envelopes.put(message.messageId(), message.envelope());
                }
                else if (type == JournalRecordCodec.TYPE_OUTCOME)
                {
                    final JournalRecordCodec.OutcomeRecord outcome = codec.decodeOutcome(buffer, length);
                    outcomes.add(new Outcome(outcome.messageId(), envelopes.get(outcome.messageId()),
                        outcome.recipientIndex(), outcome.status()));
                }
            }
        }
        catch (final CorruptRecordException | java.io.IOException ex)
        {
            throw new AssertionError("corrupt record in " + directory, ex);
        }
        return outcomes;
    }
}
