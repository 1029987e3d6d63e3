package io.sluice.spool;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.MappedBytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Test helper: where each record of a journal file lies, read through Chronicle's own tailer before any damage
 * (independent of the recovery code under test), what a damaged byte range must therefore cost, and what
 * recovery reported in the kept file's {@code .txt}.
 */
public final class JournalDamage
{
    /** One record as Chronicle wrote it: its file, its header's offset there, its length, its type and message id. */
    public record Record(Path file, long position, int length, byte type, long messageId)
    {
        public long end()
        {
            return position + 4 + length;
        }

        boolean overlaps(final Path damaged, final long from, final long to)
        {
            // By name: a test may damage a copy of the journal the records were read from.
            return file.getFileName().equals(damaged.getFileName()) && position < to && end() > from;
        }
    }

    /** What damage to [from, to) must cost: the records it touches and the messages they belong to. */
    public record Expected(List<Record> touched, Set<Long> lost, Set<Long> nameable, Set<Long> recovered)
    {
    }

    /** The damaged spans and the lost ids the operator's report names. */
    record Reported(List<long[]> spans, Set<Long> named)
    {
    }

    private JournalDamage()
    {
    }

    /** @return every record of the journal in {@code dir}, oldest first, with the file it lies in. */
    public static List<Record> records(final Path dir, final SpoolContext context) throws IOException
    {
        final List<Record> records = new ArrayList<>();
        try (SingleChronicleQueue queue = SingleChronicleQueueBuilder.binary(dir).rollCycle(context.rollCycle())
            .blockSize(context.blockSizeBytes()).build(); ExcerptTailer tailer = queue.createTailer())
        {
            while (true)
            {
                try (DocumentContext dc = tailer.readingDocument())
                {
                    if (!dc.isPresent())
                    {
                        break;
                    }
                    final Bytes<?> bytes = dc.wire().bytes();
                    final long position = bytes.readPosition() - 4;
                    final int length = (int)bytes.readRemaining();
                    final byte type = bytes.readByte(bytes.readPosition() + JournalRecordCodec.TYPE_OFFSET);
                    final long id = bytes.readLong(bytes.readPosition() + JournalRecordCodec.ID_OFFSET);
                    final Path file = ((MappedBytes)bytes).mappedFile().file().toPath();
                    records.add(new Record(file, position, length, type, id));
                }
            }
        }
        return records;
    }

    /** @return the journal index of {@code messageId}'s head record, read through Chronicle's own tailer. */
    static long headIndex(final Path dir, final SpoolContext context, final long messageId) throws IOException
    {
        try (SingleChronicleQueue queue = SingleChronicleQueueBuilder.binary(dir).rollCycle(context.rollCycle())
            .blockSize(context.blockSizeBytes()).build(); ExcerptTailer tailer = queue.createTailer())
        {
            while (true)
            {
                try (DocumentContext dc = tailer.readingDocument())
                {
                    if (!dc.isPresent())
                    {
                        throw new AssertionError("no head record of " + QueueIds.format(messageId));
                    }
                    final Bytes<?> bytes = dc.wire().bytes();
                    if (bytes.readByte(bytes.readPosition() + JournalRecordCodec.TYPE_OFFSET) == JournalRecordCodec.TYPE_MESSAGE
                        && bytes.readLong(bytes.readPosition() + JournalRecordCodec.ID_OFFSET) == messageId)
                    {
                        return dc.index();
                    }
                }
            }
        }
    }

    /** @return the single cycle file in {@code dir}. */
    public static Path cycleFile(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.list(dir))
        {
            final List<Path> found = files.filter(p -> p.toString().endsWith(".cq4")).toList();
            if (found.size() != 1)
            {
                throw new AssertionError("expected one cycle file in " + dir + ", found " + found);
            }
            return found.get(0);
        }
    }

    /** Changes every byte of [from, from + size) to a different random value (a bad block, never a no-op). */
    public static void damage(final Path file, final long from, final int size, final Random random) throws IOException
    {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            final byte[] bytes = new byte[size];
            raf.seek(from);
            raf.readFully(bytes);
            for (int i = 0; i < size; i++)
            {
                bytes[i] ^= (byte)(1 + random.nextInt(255));
            }
            raf.seek(from);
            raf.write(bytes);
        }
    }

    /** @return what damage to [from, to) of {@code file} must cost. */
    public static Expected expected(final List<Record> records, final Path file, final long from, final long to)
    {
        final List<Record> touched = new ArrayList<>();
        final Set<Long> all = new TreeSet<>();
        final Set<Long> lost = new TreeSet<>();
        for (final Record record : records)
        {
            if (record.type() == JournalRecordCodec.TYPE_MESSAGE)
            {
                all.add(record.messageId());
            }
            if (record.overlaps(file, from, to))
            {
                touched.add(record);
                if (record.type() == JournalRecordCodec.TYPE_MESSAGE || record.type() == JournalRecordCodec.TYPE_CHUNK)
                {
                    lost.add(record.messageId());
                }
            }
        }
        final Set<Long> nameable = new TreeSet<>();
        for (final Record record : records)
        {
            if (lost.contains(record.messageId()) && !record.overlaps(file, from, to))
            {
                nameable.add(record.messageId());
            }
        }
        final Set<Long> recovered = new TreeSet<>(all);
        recovered.removeAll(lost);
        return new Expected(touched, lost, nameable, recovered);
    }

    private static final Pattern SPAN =
        Pattern.compile("damaged at bytes (\\d+)\\.\\.(\\d+) .*?: (\\d+|an unknown number of) record");
    private static final Pattern ID = Pattern.compile("[0-9A-F]{16}");

    /** @return what the reports in {@code dir}/damaged say; each span as {from, to, records or -1}. */
    static Reported reported(final Path dir) throws IOException
    {
        final List<long[]> spans = new ArrayList<>();
        final Set<Long> named = new HashSet<>();
        final Path damaged = dir.resolve(JournalSalvage.DAMAGED_DIR);
        if (!Files.isDirectory(damaged))
        {
            return new Reported(spans, named);
        }
        try (Stream<Path> files = Files.list(damaged))
        {
            for (final Path report : files.filter(p -> p.toString().endsWith(".txt")).sorted().toList())
            {
                for (final String line : Files.readAllLines(report))
                {
                    final Matcher span = SPAN.matcher(line);
                    if (span.find())
                    {
                        final long records = span.group(3).startsWith("an") ? -1 : Long.parseLong(span.group(3));
                        spans.add(new long[] {Long.parseLong(span.group(1)), Long.parseLong(span.group(2)), records});
                        final int incomplete = line.indexOf("left incomplete: [");
                        if (incomplete >= 0)
                        {
                            final Matcher id = ID.matcher(line.substring(incomplete));
                            while (id.find())
                            {
                                named.add(QueueIds.parse(id.group()));
                            }
                        }
                    }
                }
            }
        }
        return new Reported(spans, named);
    }

    /** Writes {@code value} as the little-endian int at {@code position} of {@code file}: a header damaged on purpose. */
    static void putIntAt(final Path file, final long position, final int value) throws IOException
    {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.seek(position);
            raf.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
        }
    }

    /** @return the little-endian int at {@code position} of {@code file}. */
    static int intAt(final Path file, final long position) throws IOException
    {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r"))
        {
            final byte[] bytes = new byte[4];
            raf.seek(position);
            raf.readFully(bytes);
            return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt();
        }
    }
}
