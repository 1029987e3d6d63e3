package io.sluice.spool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import net.openhft.chronicle.queue.RollCycles;
import org.agrona.ExpandableArrayBuffer;

/**
 * An offline look at a spool folder, for {@code sluice spool verify}: every journal file walked straight from
 * disk (never through Chronicle, never written), its records, its damaged spans, and the messages a start
 * would find pending. Safe on the folder of a stopped daemon, a copy, or the {@code damaged/} files recovery kept.
 */
public final class SpoolInspection
{
    /** One journal file: where it is, how many good records it holds, and whether recovery already set it aside. */
    public record JournalFile(Path file, long records, long dataEnd, boolean setAside)
    {
    }

    /** A stretch of a journal file that could not be read; {@code recordsSkipped} is -1 when unknown. */
    public record DamagedSpan(Path file, long from, long to, long recordsSkipped, String cause)
    {
    }

    /** A message the journal holds that is not finished: {@code complete} false if damage or a crash cut its body. */
    public record Message(String queueId, String sender, int recipients, int openRecipients, long contentLength,
        boolean complete)
    {
    }

    /** What the folder holds. */
    public record Result(List<JournalFile> files, List<DamagedSpan> spans, List<Message> pending, List<Message> incomplete)
    {
        public boolean isClean()
        {
            return spans.isEmpty() && incomplete.isEmpty();
        }
    }

    private static final class State
    {
        final JournalRecordCodec.MessageRecord head;
        final RecipientStatus[] statuses;
        long received;

        State(final JournalRecordCodec.MessageRecord head)
        {
            this.head = head;
            this.statuses = head.statuses().toArray(new RecipientStatus[0]);
            this.received = head.partLength();
        }
    }

    private final JournalRecordCodec codec = new JournalRecordCodec();
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64 * 1024);
    private final Map<Long, State> messages = new TreeMap<>();

    private SpoolInspection()
    {
    }

    /**
     * @param directory a spool folder (the daemon's {@code spool.directory}).
     * @throws IOException if a file cannot be read at all.
     */
    public static Result verify(final Path directory) throws IOException
    {
        if (!Files.isDirectory(directory))
        {
            throw new IOException(directory + " is not a directory");
        }
        return new SpoolInspection().inspect(directory);
    }

    private Result inspect(final Path directory) throws IOException
    {
        final Path damaged = directory.resolve(JournalSalvage.DAMAGED_DIR);
        final List<Path> replayed = new ArrayList<>(list(directory, JournalSalvage.SUFFIX));
        // A file still being salvaged is replayed by the next start, in its place among the live ones.
        replayed.addAll(list(damaged, JournalSalvage.SALVAGING));
        replayed.sort(Comparator.comparing(p -> p.getFileName().toString()));
        final List<JournalFile> files = new ArrayList<>();
        final List<DamagedSpan> spans = new ArrayList<>();
        for (final Path file : replayed)
        {
            add(scan(file, true), file.getParent().equals(damaged), files, spans);
        }
        for (final Path file : list(damaged, ""))
        {
            if (!file.toString().endsWith(".txt") && !file.toString().endsWith(JournalSalvage.SALVAGING))
            {
                add(scan(file, false), true, files, spans);
            }
        }
        final List<Message> pending = new ArrayList<>();
        final List<Message> incomplete = new ArrayList<>();
        for (final State state : messages.values())
        {
            int open = 0;
            for (final RecipientStatus status : state.statuses)
            {
                open += status.isFinal() ? 0 : 1;
            }
            final boolean complete = state.received == state.head.contentLength();
            final Message message = new Message(QueueIds.format(state.head.messageId()), state.head.envelope().sender(),
                state.statuses.length, open, state.head.contentLength(), complete);
            if (!complete)
            {
                incomplete.add(message);
            }
            else if (open > 0)
            {
                pending.add(message);
            }
        }
        return new Result(files, spans, pending, incomplete);
    }

    private static void add(
        final JournalFileScan.Result scan, final boolean setAside, final List<JournalFile> files, final List<DamagedSpan> spans)
    {
        files.add(new JournalFile(scan.file(), scan.records(), scan.dataEnd(), setAside));
        for (final JournalFileScan.Span span : scan.spans())
        {
            spans.add(new DamagedSpan(scan.file(), span.from(), span.to(), span.recordsSkipped(), span.cause()));
        }
    }

    private JournalFileScan.Result scan(final Path file, final boolean replay) throws IOException
    {
        return JournalFileScan.scan(file, RollCycles.FAST_HOURLY.defaultIndexCount(),
            RollCycles.FAST_HOURLY.defaultIndexSpacing(), (position, bytes, offset, length) ->
            {
                if (replay)
                {
                    buffer.checkLimit(length);
                    buffer.putBytes(0, bytes, offset, length);
                    replay(length);
                }
            });
    }

    private void replay(final int length)
    {
        try
        {
            final byte type = codec.verify(buffer, length);
            final long messageId = JournalRecordCodec.messageId(buffer);
            if (type == JournalRecordCodec.TYPE_MESSAGE)
            {
                messages.put(messageId, new State(codec.decodeMessage(buffer, length)));
            }
            else if (type == JournalRecordCodec.TYPE_CHUNK)
            {
                final JournalRecordCodec.ChunkRecord chunk = codec.decodeChunk(buffer, length);
                final State state = messages.get(messageId);
                if (state != null && state.received == chunk.contentOffset())
                {
                    state.received += chunk.partLength();
                }
            }
            else if (type == JournalRecordCodec.TYPE_OUTCOME)
            {
                final JournalRecordCodec.OutcomeRecord outcome = codec.decodeOutcome(buffer, length);
                final State state = messages.get(messageId);
                for (int i = 0; state != null && i < state.statuses.length; i++)
                {
                    if ((outcome.recipientIndex() == JournalRecordCodec.ALL_RECIPIENTS || outcome.recipientIndex() == i)
                        && !state.statuses[i].isFinal())
                    {
                        state.statuses[i] = outcome.status();
                    }
                }
            }
        }
        catch (final CorruptRecordException | RuntimeException ex)
        {
            // The scan verified the record: a decode failure is a record of a newer layout; it is not pending mail.
        }
    }

    private static List<Path> list(final Path dir, final String suffix) throws IOException
    {
        if (!Files.isDirectory(dir))
        {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir))
        {
            return files.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }
}
