package io.sluice.spool;

import io.sluice.counters.EnumCounters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.ExpandableArrayBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The messages recovery found in damaged journal files ({@link JournalSalvage}): where their records lie in the
 * kept file, and, once the replay is over, writing those still pending forward into the live journal, then
 * reporting each damaged span in one WARN line.
 *
 * <p>A message whose body survived is written forward with its recipients' states as replayed; any outcome
 * record lost in the damage is simply absent, so that recipient is delivered again (at-least-once, never
 * dropped). A message with a part inside a damaged span cannot be rebuilt: it is named in the span's line as
 * left incomplete, when any of its records (its head, or a chunk, which carries the id) survived to name it.
 */
final class SalvagedMessages
{
    private static final Logger LOG = LoggerFactory.getLogger(SalvagedMessages.class);

    /** Where a pending message's parts are: a file position in a kept file, or (source null) a Chronicle index. */
    private record Parts(long[] placeholder, long[] locations, Path[] sources)
    {
    }

    /** One damaged file: its scan, and the ids left incomplete by its damage, with where each was seen. */
    private static final class FileReport
    {
        final JournalSalvage.Quarantined file;
        JournalFileScan.Result scan;
        final Map<Long, Long> incomplete = new LinkedHashMap<>();
        final Map<Long, Boolean> incompleteBeforeDamage = new LinkedHashMap<>();
        int rewritten;

        FileReport(final JournalSalvage.Quarantined file)
        {
            this.file = file;
        }
    }

    private final Journal journal;
    private final JournalSalvage salvage;
    private final int chunkBytes;
    private final Map<Long, Parts> messages = new LinkedHashMap<>();
    private final Map<Path, FileReport> files = new LinkedHashMap<>();
    private final JournalRecordCodec codec = new JournalRecordCodec();
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64 * 1024);
    private final Map<Path, FileWindow> windows = new LinkedHashMap<>();

    SalvagedMessages(final Journal journal, final JournalSalvage salvage, final int chunkBytes)
    {
        this.journal = journal;
        this.salvage = salvage;
        this.chunkBytes = chunkBytes;
    }

    void scanned(final JournalSalvage.Quarantined file, final JournalFileScan.Result scan)
    {
        files.computeIfAbsent(file.file(), f -> new FileReport(file)).scan = scan;
    }

    /** @return the placeholder record indexes the message is indexed under until it is written forward. */
    long[] add(final long messageId, final long[] locations, final Path[] sources)
    {
        final long[] placeholder = new long[locations.length];
        messages.put(messageId, new Parts(placeholder, locations, sources));
        return placeholder;
    }

    /**
     * A message of a damaged file that cannot be rebuilt.
     *
     * @param beforeDamage true if seen by its head (the damage follows it), false if by a chunk (the damage precedes).
     */
    void incomplete(final JournalSalvage.Quarantined file, final long messageId, final long position, final boolean beforeDamage)
    {
        final FileReport report = files.computeIfAbsent(file.file(), f -> new FileReport(file));
        if (!report.incomplete.containsKey(messageId))
        {
            report.incomplete.put(messageId, position);
            report.incompleteBeforeDamage.put(messageId, beforeDamage);
        }
    }

    /**
     * Writes every salvaged message still pending into the live journal, makes it durable, marks the kept files
     * done, and logs one WARN line per damaged span.
     *
     * @return the number of messages left incomplete (named).
     */
    int writeForward(final PendingIndex index, final EnumCounters<SpoolCounter> counters)
    {
        try
        {
            writeEach(index, counters);
        }
        finally
        {
            closeWindows();
        }
        journal.sync();
        int lost = 0;
        for (final FileReport report : files.values())
        {
            lost += finish(report, counters);
        }
        return lost;
    }

    private void writeEach(final PendingIndex index, final EnumCounters<SpoolCounter> counters)
    {
        for (final Map.Entry<Long, Parts> entry : messages.entrySet())
        {
            final PendingSlot slot = new PendingSlot();
            if (!index.read(entry.getKey(), slot) || slot.overflow() == null
                || slot.overflow().recordIndexes() != entry.getValue().placeholder() || slot.resident() == null)
            {
                continue;
            }
            final PendingMessage snapshot = slot.resident();
            final ByteBuffer content = read(snapshot, entry.getValue());
            final long[] indexes = journal.writeMessage(
                snapshot.messageId(), true, snapshot.envelope(), snapshot.recipients(), content, chunkBytes);
            final long bytes = journal.lastWriteBytes();
            final int cycle = journal.cycleOf(indexes[0]);
            index.ledger().written(cycle, bytes);
            index.relocate(snapshot.messageId(), indexes, cycle, bytes, snapshot.recipients());
            counters.counter(SpoolCounter.MESSAGES_CARRIED_FORWARD).increment();
            for (final Path source : entry.getValue().sources())
            {
                if (source != null && files.containsKey(source))
                {
                    files.get(source).rewritten++;
                    break;
                }
            }
        }
    }

    private int finish(final FileReport report, final EnumCounters<SpoolCounter> counters)
    {
        final List<JournalFileScan.Span> spans = report.scan.spans();
        final List<String> lines = new ArrayList<>();
        for (int s = 0; s < spans.size(); s++)
        {
            final JournalFileScan.Span span = spans.get(s);
            final TreeSet<String> ids = new TreeSet<>();
            for (final Map.Entry<Long, Long> seen : report.incomplete.entrySet())
            {
                if (attributedTo(spans, seen.getValue(), report.incompleteBeforeDamage.get(seen.getKey())) == s)
                {
                    ids.add(QueueIds.format(seen.getKey()));
                }
            }
            counters.counter(SpoolCounter.DAMAGED_SPANS).increment();
            counters.counter(SpoolCounter.CORRUPT_RECORDS_SKIPPED).getAndAdd(Math.max(0, span.recordsSkipped()));
            lines.add("journal file " + report.file.name() + JournalSalvage.SUFFIX + " is damaged at bytes " + span.from() + ".."
                + span.to() + " (" + (span.to() - span.from()) + " bytes, " + span.cause() + "): " + span.recordsText()
                + " skipped, " + (ids.isEmpty() ? "no message left incomplete that can be named"
                : "messages left incomplete: " + ids));
        }
        counters.counter(SpoolCounter.MESSAGES_LOST_TO_DAMAGE).getAndAdd(report.incomplete.size());
        final String summary = report.rewritten + " pending message(s) from it were written forward; any outcome lost"
            + " in the damage is delivered again";
        final Path kept;
        try
        {
            journal.queue().tableStorePut(JournalSalvage.QUARANTINED_KEY + report.file.cycle(), report.file.cycle());
            kept = salvage.finish(report.file, String.join(System.lineSeparator(), lines) + System.lineSeparator() + summary
                + System.lineSeparator());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot keep the damaged journal file " + report.file.file(), ex);
        }
        for (final String line : lines)
        {
            LOG.warn("{}; the file is kept as {}", line, kept);
        }
        LOG.info("{} (damaged journal file kept as {})", summary, kept);
        return report.incomplete.size();
    }

    /** @return the span a message is left incomplete by: the first after its head, or the last before its chunk. */
    private static int attributedTo(final List<JournalFileScan.Span> spans, final long position, final boolean beforeDamage)
    {
        if (beforeDamage)
        {
            for (int s = 0; s < spans.size(); s++)
            {
                if (spans.get(s).from() >= position)
                {
                    return s;
                }
            }
            return spans.size() - 1;
        }
        for (int s = spans.size() - 1; s >= 0; s--)
        {
            if (spans.get(s).to() <= position)
            {
                return s;
            }
        }
        return 0;
    }

    private ByteBuffer read(final PendingMessage snapshot, final Parts parts)
    {
        final ByteBuffer content = ByteBuffer.allocate((int)snapshot.contentLength());
        try (ExcerptTailer tailer = journal.queue().createTailer())
        {
            for (int i = 0; i < parts.locations().length; i++)
            {
                final int length = parts.sources()[i] == null
                    ? fromChronicle(tailer, parts.locations()[i]) : fromFile(parts.sources()[i], parts.locations()[i]);
                final byte type = codec.verify(buffer, length);
                if (type == JournalRecordCodec.TYPE_MESSAGE)
                {
                    final JournalRecordCodec.MessageRecord head = codec.decodeMessage(buffer, length);
                    content.position(0).put(buffer.byteArray(), head.partOffset(), head.partLength());
                }
                else
                {
                    final JournalRecordCodec.ChunkRecord chunk = codec.decodeChunk(buffer, length);
                    content.position((int)chunk.contentOffset()).put(buffer.byteArray(), chunk.partOffset(), chunk.partLength());
                }
            }
        }
        catch (final IOException | CorruptRecordException | RuntimeException ex)
        {
            // The scan read these very records moments ago: failing now means the disk is failing as we read.
            throw new SpoolRecoveryException("cannot read message " + snapshot.queueId()
                + " back from a damaged journal file to write it forward: " + ex.getMessage());
        }
        return content.clear();
    }

    private int fromFile(final Path file, final long position) throws IOException
    {
        FileWindow window = windows.get(file);
        if (window == null)
        {
            window = new FileWindow(file);
            windows.put(file, window);
        }
        final int length = window.intAt(position) & ChronicleLayout.LENGTH_MASK;
        final int offset = window.at(position + ChronicleLayout.HEADER_BYTES, length);
        buffer.checkLimit(length);
        buffer.putBytes(0, window.buffer(), offset, length);
        return length;
    }

    private void closeWindows()
    {
        for (final FileWindow window : windows.values())
        {
            try
            {
                window.close();
            }
            catch (final IOException ex)
            {
                LOG.debug("closing a damaged journal file failed", ex);
            }
        }
        windows.clear();
    }

    private int fromChronicle(final ExcerptTailer tailer, final long index) throws IOException
    {
        if (!tailer.moveToIndex(index))
        {
            throw new IOException("no journal record at index " + Long.toHexString(index));
        }
        try (DocumentContext dc = tailer.readingDocument())
        {
            if (!dc.isPresent())
            {
                throw new IOException("journal record at index " + Long.toHexString(index) + " is absent");
            }
            return Journal.copy(dc.wire().bytes(), buffer, index);
        }
    }
}
