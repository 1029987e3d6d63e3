package io.sluice.spool;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.collections.LongArrayList;

/**
 * Walks one journal cycle file document by document, straight from the file (see {@link ChronicleLayout}),
 * and finds every record that is still good even when the file is damaged.
 *
 * <p>Chronicle's own tailer stops at the first header it cannot read, so everything after a bad block would be
 * lost. This walk instead checks each record against the journal's own framing and CRC32C
 * ({@link JournalRecordCodec}); where a header or a record is bad, it resynchronises: it tries every 4-byte
 * boundary after the last good document for the next one that is whole (a record whose Chronicle header, magic,
 * length and checksum agree, followed by a plausible next header; or one of Chronicle's index documents), and
 * carries on from there to the end of the file. What lies between is one damaged {@link Span}. Records that are
 * intact survive however close to the damage they lie.
 *
 * <p>Chronicle's index then counts what the damage took: its index arrays and the store header's last write
 * name the sequence of records at known offsets, so a good record after the damage gets its sequence back and
 * the gap in sequences is the number of records lost. Where no index entry or header covers a span (the index
 * itself damaged, or damage among the last records before the next index entry with a damaged header), the
 * count is reported as unknown rather than guessed. An index entry that points where no record starts is itself
 * damage (Chronicle would read the wrong record by it), reported as a span with no records lost.
 */
final class JournalFileScan
{
    private static final long UNKNOWN = Long.MIN_VALUE;
    /** Larger than any record the journal writes (a quarter of the largest block): a longer header is damage. */
    private static final int MAX_RECORD = (256 << 20) + 8192;
    /** Larger than Chronicle's largest index document. */
    private static final int MAX_METADATA = 16 << 20;

    /** Told of each good record, in file order; the bytes are only valid during the call. */
    interface RecordVisitor
    {
        void record(long position, ExpandableArrayBuffer buffer, int offset, int length);
    }

    /**
     * A stretch of a file whose records could not be read: from the end of the last good document to the start
     * of the next good one.
     *
     * @param recordsSkipped records lost in it, or -1 when Chronicle's index cannot tell.
     */
    record Span(long from, long to, long recordsSkipped, String cause)
    {
        String recordsText()
        {
            return recordsSkipped < 0 ? "an unknown number of records" : recordsSkipped + " record(s)";
        }
    }

    /** What one walk found. */
    /** @param fromSequence the record the walk began with: 0 for a whole file, else the one a checkpoint covers. */
    record Result(Path file, long records, long dataEnd, List<Span> spans, long fromSequence)
    {
        boolean isClean()
        {
            return spans.isEmpty();
        }

        /** @return records lost in every span whose count is known. */
        long recordsSkipped()
        {
            return spans.stream().mapToLong(s -> Math.max(0, s.recordsSkipped())).sum();
        }
    }

    private record PendingSpan(long from, long to, String cause)
    {
    }

    private final Path file;
    private final FileWindow window;
    private final RecordVisitor visitor;
    private final JournalRecordCodec codec = new JournalRecordCodec();
    private final LongArrayList positions = new LongArrayList();
    /** Index in {@link #positions} where each run of records after damage starts; their sequence is found later. */
    private final LongArrayList runStarts = new LongArrayList();
    private final List<PendingSpan> spans = new ArrayList<>();
    private final List<PendingSpan> indexDamage = new ArrayList<>();
    private final List<Map.Entry<Long, Map<String, ChronicleLayout.Field>>> indexDocuments = new ArrayList<>();
    private Map<String, ChronicleLayout.Field> storeHeader;
    private final int defaultIndexCount;
    private final int defaultIndexSpacing;
    /** Where the walk began: 0, or the record a checkpoint covers ({@link #scanFrom}). */
    private long fromPosition;
    /** The sequence of the record the walk began with. */
    private long fromSequence;

    private JournalFileScan(
        final Path file, final FileWindow window, final RecordVisitor visitor, final int indexCount, final int indexSpacing)
    {
        this.file = file;
        this.window = window;
        this.visitor = visitor;
        this.defaultIndexCount = indexCount;
        this.defaultIndexSpacing = indexSpacing;
    }

    /**
     * @param indexCount   Chronicle's entries per index array, used when the store header is unreadable.
     * @param indexSpacing Chronicle's records per index entry, likewise.
     */
    static Result scan(final Path file, final int indexCount, final int indexSpacing, final RecordVisitor visitor)
        throws IOException
    {
        try (FileWindow window = new FileWindow(file))
        {
            return new JournalFileScan(file, window, visitor, indexCount, indexSpacing).walk();
        }
    }

    /**
     * Walks a file from the record numbered {@code sequence} in it (the last one a checkpoint covers) to its end, as
     * {@link #scan} walks a whole file: the records before are the checkpoint's, and a start from it never reads them in
     * sequence (only the pending ones, when read back, each checked by its CRC). The store header and Chronicle's index
     * that lead to the record are read and checked on the way, since the journal opens and finds the record by them.
     * Where they do not lead to a record, the whole file is walked instead: a doubt costs time, never mail.
     *
     * @return what the walk found, from the record on; {@link Result#fromSequence()} says where it began.
     */
    static Result scanFrom(final Path file, final int indexCount, final int indexSpacing, final long sequence,
        final RecordVisitor visitor) throws IOException
    {
        try (FileWindow window = new FileWindow(file))
        {
            final JournalFileScan scan = new JournalFileScan(file, window, visitor, indexCount, indexSpacing);
            final long start = sequence > 0 ? scan.locate(sequence) : -1;
            if (start < 0)
            {
                return new JournalFileScan(file, window, visitor, indexCount, indexSpacing).walk();
            }
            return scan.walk(start, sequence);
        }
    }

    /**
     * @return the offset of the record numbered {@code sequence}, found through the store header, Chronicle's index of
     *         indexes and the index array that covers it, then document by document from the indexed record before it;
     *         -1 if any of them is unreadable or does not lead there.
     */
    private long locate(final long sequence) throws IOException
    {
        try
        {
            final Map<String, ChronicleLayout.Field> header = metadataAt(0);
            if (header == null)
            {
                return -1;
            }
            metadata(0, window.intAt(0) & ChronicleLayout.LENGTH_MASK);
            final long count = indexCount();
            final long spacing = indexSpacing();
            final long index2indexAt = storeHeader.get("header.indexing.index2Index").value();
            final Map<String, ChronicleLayout.Field> index2indexDocument = metadataAt(index2indexAt);
            final ChronicleLayout.Field index2index = index2indexDocument == null ? null : index2indexDocument.get("index2index");
            final long array = sequence / (count * spacing);
            if (index2index == null || array >= index2index.used())
            {
                return -1;
            }
            final long arrayAt = index2index.values()[(int)array];
            final Map<String, ChronicleLayout.Field> arrayDocument = arrayAt <= 0 ? null : metadataAt(arrayAt);
            final ChronicleLayout.Field entries = arrayDocument == null ? null : arrayDocument.get("index");
            final int entry = (int)(sequence / spacing % count);
            if (entries == null || entry >= entries.used() || entries.values()[entry] <= 0)
            {
                return -1;
            }
            final long start = walkTo(entries.values()[entry], sequence / spacing * spacing, sequence, spacing);
            // Checked with the rest once the walk is done; those after the start, the walk meets itself.
            if (start > index2indexAt)
            {
                indexDocuments.add(Map.entry(index2indexAt, index2indexDocument));
            }
            if (start > arrayAt)
            {
                indexDocuments.add(Map.entry(arrayAt, arrayDocument));
            }
            return start;
        }
        catch (final CorruptRecordException ex)
        {
            return -1;
        }
    }

    /** @return the fields of the metadata document at {@code at}, or null if there is none whole there. */
    private Map<String, ChronicleLayout.Field> metadataAt(final long at) throws IOException, CorruptRecordException
    {
        if (at < 0 || at + ChronicleLayout.HEADER_BYTES > window.size())
        {
            return null;
        }
        final int header = window.intAt(at);
        final int length = header & ChronicleLayout.LENGTH_MASK;
        if (!ChronicleLayout.isReadyMetaData(header) || length > MAX_METADATA
            || at + ChronicleLayout.HEADER_BYTES + length > window.size())
        {
            return null;
        }
        return ChronicleLayout.fields(window.buffer(), window.at(at + ChronicleLayout.HEADER_BYTES, length), length, at);
    }

    /**
     * @return the offset of record {@code sequence}, walking documents (their headers only) from {@code from}, where
     *         record {@code fromSequence} starts; -1 if a header on the way is not a whole document.
     */
    private long walkTo(final long from, final long fromSequence, final long sequence, final long spacing)
        throws IOException
    {
        long at = from;
        long current = fromSequence;
        // Index documents may lie between the records; a walk longer than the spacing allows for is no walk to trust.
        for (int documents = 0; documents <= 4 * spacing + 16; documents++)
        {
            if (at + ChronicleLayout.HEADER_BYTES > window.size())
            {
                return -1;
            }
            final int header = window.intAt(at);
            final int length = header & ChronicleLayout.LENGTH_MASK;
            if (ChronicleLayout.isReadyData(header))
            {
                if (current == sequence)
                {
                    return at;
                }
                current++;
            }
            else if (!ChronicleLayout.isReadyMetaData(header))
            {
                return -1;
            }
            if (at + ChronicleLayout.HEADER_BYTES + length > window.size())
            {
                return -1;
            }
            at = ChronicleLayout.next(at, length);
        }
        return -1;
    }

    private Result walk() throws IOException
    {
        return walk(0, 0);
    }

    /** Walks from {@code from}, where record {@code fromSequence} starts (0: the file's start, record 0). */
    private Result walk(final long from, final long fromSequence) throws IOException
    {
        this.fromPosition = from;
        this.fromSequence = fromSequence;
        final long size = window.size();
        long position = from;
        long lastGoodEnd = from;
        long dataEnd;
        while (true)
        {
            if (position + ChronicleLayout.HEADER_BYTES > size)
            {
                dataEnd = Math.min(position, size);
                break;
            }
            final int header = window.intAt(position);
            if (!ChronicleLayout.isReadyData(header) && !ChronicleLayout.isReadyMetaData(header))
            {
                // Nothing written here yet, the end of a rolled file, or a write a crash tore: the end, unless good
                // records follow (then the header itself was damaged).
                final long next = resync(position + ChronicleLayout.HEADER_BYTES);
                if (next < 0)
                {
                    dataEnd = position;
                    break;
                }
                damaged(lastGoodEnd, next, "header " + hex(header) + " at " + position + " where a document belongs");
                position = next;
                lastGoodEnd = next;
                continue;
            }
            final String problem = document(position, header);
            if (problem == null)
            {
                position = ChronicleLayout.next(position, header & ChronicleLayout.LENGTH_MASK);
                lastGoodEnd = position;
                continue;
            }
            final long next = resync(lastGoodEnd + ChronicleLayout.HEADER_BYTES);
            if (next < 0)
            {
                dataEnd = endOfBytes(lastGoodEnd);
                damaged(lastGoodEnd, dataEnd, problem + " at " + position);
                break;
            }
            damaged(lastGoodEnd, next, problem + " at " + position);
            position = next;
            lastGoodEnd = next;
        }
        return finish(dataEnd);
    }

    /** @return null if the document at {@code position} is good (and visited), else what is wrong with it. */
    private String document(final long position, final int header) throws IOException
    {
        final int length = header & ChronicleLayout.LENGTH_MASK;
        final boolean meta = ChronicleLayout.isReadyMetaData(header);
        if (length > (meta ? MAX_METADATA : MAX_RECORD) || position + ChronicleLayout.HEADER_BYTES + length > window.size())
        {
            return "header " + hex(header) + " gives a length of " + length + " bytes";
        }
        try
        {
            if (meta)
            {
                metadata(position, length);
                return null;
            }
            record(position, length);
            return null;
        }
        catch (final CorruptRecordException ex)
        {
            return ex.getMessage();
        }
    }

    private void record(final long position, final int length) throws IOException, CorruptRecordException
    {
        if (length >= JournalRecordCodec.HEADER_LENGTH)
        {
            // The magic first: a garbage length must not make the window read megabytes before failing.
            final int magic = window.intAt(position + ChronicleLayout.HEADER_BYTES + JournalRecordCodec.MAGIC_OFFSET);
            if (magic != JournalRecordCodec.MAGIC)
            {
                throw new CorruptRecordException("bad magic " + hex(magic));
            }
        }
        final int offset = window.at(position + ChronicleLayout.HEADER_BYTES, length);
        codec.verify(window.buffer(), offset, length);
        positions.addLong(position);
        visitor.record(position, window.buffer(), offset, length);
    }

    private void metadata(final long position, final int length) throws IOException, CorruptRecordException
    {
        final int offset = window.at(position + ChronicleLayout.HEADER_BYTES, length);
        final Map<String, ChronicleLayout.Field> fields = ChronicleLayout.fields(window.buffer(), offset, length, position);
        if (position == 0)
        {
            if (!fields.containsKey("header.writePosition") || !fields.containsKey("header.indexing.index2Index")
                || !fields.containsKey("header.indexing.indexCount") || !fields.containsKey("header.indexing.indexSpacing"))
            {
                throw new CorruptRecordException("store header lacks " + fields.keySet());
            }
            storeHeader = fields;
        }
        else if (fields.containsKey("index2index") || fields.containsKey("index"))
        {
            indexDocuments.add(Map.entry(position, fields));
        }
    }

    /** @return the offset of the next whole document after {@code from}, or -1 if none follows. */
    private long resync(final long from) throws IOException
    {
        final long size = window.size();
        for (long at = (from + 3) & ~3L; at + ChronicleLayout.HEADER_BYTES + JournalRecordCodec.HEADER_LENGTH <= size; at += 4)
        {
            final int header = window.intAt(at);
            if (ChronicleLayout.isReadyData(header))
            {
                if (window.intAt(at + ChronicleLayout.HEADER_BYTES + JournalRecordCodec.MAGIC_OFFSET) == JournalRecordCodec.MAGIC
                    && isWholeRecord(at, header)
                    && isPlausibleNext(ChronicleLayout.next(at, header & ChronicleLayout.LENGTH_MASK)))
                {
                    return at;
                }
            }
            else if (ChronicleLayout.isReadyMetaData(header) && isIndexDocument(at, header))
            {
                return at;
            }
        }
        return -1;
    }

    private boolean isWholeRecord(final long at, final int header) throws IOException
    {
        final int length = header & ChronicleLayout.LENGTH_MASK;
        if (length < JournalRecordCodec.HEADER_LENGTH || length > MAX_RECORD
            || at + ChronicleLayout.HEADER_BYTES + length > window.size()
            || window.intAt(at + ChronicleLayout.HEADER_BYTES + JournalRecordCodec.LENGTH_OFFSET) != length)
        {
            return false;
        }
        try
        {
            codec.verify(window.buffer(), window.at(at + ChronicleLayout.HEADER_BYTES, length), length);
            return true;
        }
        catch (final CorruptRecordException ex)
        {
            return false;
        }
    }

    /**
     * A record found by scanning must be followed by the end of the data or another whole document, so that a
     * record-shaped run of bytes inside a message body cannot pass for the resynchronisation point.
     */
    private boolean isPlausibleNext(final long at) throws IOException
    {
        if (at + ChronicleLayout.HEADER_BYTES > window.size())
        {
            return true;
        }
        final int header = window.intAt(at);
        if (ChronicleLayout.isReadyData(header))
        {
            return isWholeRecord(at, header);
        }
        if (ChronicleLayout.isReadyMetaData(header))
        {
            return isIndexDocument(at, header);
        }
        return (header & ChronicleLayout.LENGTH_MASK) == 0;
    }

    private boolean isIndexDocument(final long at, final int header) throws IOException
    {
        final int length = header & ChronicleLayout.LENGTH_MASK;
        if (length > MAX_METADATA || at + ChronicleLayout.HEADER_BYTES + length > window.size())
        {
            return false;
        }
        try
        {
            final Map<String, ChronicleLayout.Field> fields = ChronicleLayout.fields(
                window.buffer(), window.at(at + ChronicleLayout.HEADER_BYTES, length), length, at);
            return fields.containsKey("index2index") || fields.containsKey("index");
        }
        catch (final CorruptRecordException ex)
        {
            return false;
        }
    }

    private void damaged(final long from, final long to, final String cause)
    {
        spans.add(new PendingSpan(from, to, cause));
        runStarts.addLong(positions.size());
    }

    /** @return the offset just past the last non-zero byte from {@code from}, on a 4-byte boundary. */
    private long endOfBytes(final long from) throws IOException
    {
        final long size = window.size();
        long end = from;
        for (long at = from; at < size; at += 1 << 20)
        {
            final int bytes = (int)Math.min(1 << 20, size - at);
            final int offset = window.at(at, bytes);
            final byte[] array = window.buffer().byteArray();
            for (int i = bytes - 1; i >= 0; i--)
            {
                if (array[offset + i] != 0)
                {
                    end = at + i + 1;
                    break;
                }
            }
        }
        return (end + 3) & ~3L;
    }

    private Result finish(final long dataEnd)
    {
        final long[] at = positions.toLongArray();
        final long[] sequence = new long[at.length];
        final Map<Long, Long> anchors = anchors();
        assignSequences(at, sequence, anchors);
        checkAnchors(at, sequence, anchors, dataEnd);
        final List<Span> found = new ArrayList<>();
        for (final PendingSpan span : spans)
        {
            found.add(new Span(span.from(), span.to(), skipped(span, at, sequence, anchors), span.cause()));
        }
        for (final PendingSpan span : indexDamage)
        {
            found.add(new Span(span.from(), span.to(), 0, span.cause()));
        }
        found.sort((a, b) -> Long.compare(a.from(), b.from()));
        return new Result(file, at.length, dataEnd, merge(found), fromSequence);
    }

    private int indexCount()
    {
        final ChronicleLayout.Field field = storeHeader == null ? null : storeHeader.get("header.indexing.indexCount");
        return field == null || Long.bitCount(field.value()) != 1 ? defaultIndexCount : (int)field.value();
    }

    private int indexSpacing()
    {
        final ChronicleLayout.Field field = storeHeader == null ? null : storeHeader.get("header.indexing.indexSpacing");
        return field == null || Long.bitCount(field.value()) != 1 ? defaultIndexSpacing : (int)field.value();
    }

    /** @return record offset to sequence, from Chronicle's index arrays and the store header's last write. */
    private Map<Long, Long> anchors()
    {
        final Map<Long, Long> anchors = new HashMap<>();
        final Map<Long, Integer> arrayNumbers = arrayNumbers();
        final long count = indexCount();
        final long spacing = indexSpacing();
        for (final Map.Entry<Long, Map<String, ChronicleLayout.Field>> document : indexDocuments)
        {
            final ChronicleLayout.Field index = document.getValue().get("index");
            final Integer number = arrayNumbers.get(document.getKey());
            if (index == null || number == null)
            {
                continue;
            }
            for (int k = 0; k < index.used(); k++)
            {
                if (index.values()[k] != 0)
                {
                    anchors.put(index.values()[k], (number * count + k) * spacing);
                }
            }
        }
        final long[] last = lastWrite();
        if (last != null)
        {
            anchors.putIfAbsent(last[0], last[1]);
        }
        return anchors;
    }

    /**
     * @return each index array's offset and its number, from the index of indexes; if that was lost, from the order of
     *         the arrays in the file, which is the order Chronicle adds them in as the file grows.
     */
    private Map<Long, Integer> arrayNumbers()
    {
        final Map<Long, Integer> numbers = new HashMap<>();
        boolean listed = false;
        for (final Map.Entry<Long, Map<String, ChronicleLayout.Field>> document : indexDocuments)
        {
            final ChronicleLayout.Field index2index = document.getValue().get("index2index");
            if (index2index != null)
            {
                listed = true;
                for (int i = 0; i < index2index.used(); i++)
                {
                    numbers.put(index2index.values()[i], i);
                }
            }
        }
        if (!listed)
        {
            for (final Map.Entry<Long, Map<String, ChronicleLayout.Field>> document : indexDocuments)
            {
                if (document.getValue().containsKey("index"))
                {
                    numbers.put(document.getKey(), numbers.size());
                }
            }
        }
        return numbers;
    }

    /** @return {offset, sequence} of the last document the store header says was written, or null. */
    private long[] lastWrite()
    {
        final ChronicleLayout.Field field = storeHeader == null ? null : storeHeader.get("header.writePosition");
        if (field == null || field.values().length < 2)
        {
            return null;
        }
        final int shift = Math.max(32, 2 * Integer.numberOfTrailingZeros(indexCount())
            + Integer.numberOfTrailingZeros(indexSpacing()));
        final long position = field.values()[0];
        final long packed = field.values()[1];
        if (position <= 0 || packed >>> shift != (position & (-1L >>> shift)))
        {
            return null;
        }
        return new long[] {position, packed & ((1L << shift) - 1)};
    }

    private void assignSequences(final long[] at, final long[] sequence, final Map<Long, Long> anchors)
    {
        final long[] starts = runStarts.toLongArray();
        // Before any damage, records are numbered as Chronicle numbers them, from the one the walk began with.
        int run = -1;
        for (int i = 0; i < at.length; i++)
        {
            while (run + 1 < starts.length && starts[run + 1] <= i)
            {
                run++;
            }
            sequence[i] = run < 0 ? fromSequence + i : UNKNOWN;
        }
        for (int r = 0; r < starts.length; r++)
        {
            final int from = (int)starts[r];
            final int to = r + 1 < starts.length ? (int)starts[r + 1] : at.length;
            for (int i = from; i < to; i++)
            {
                final Long anchor = anchors.get(at[i]);
                if (anchor != null)
                {
                    for (int j = from; j < to; j++)
                    {
                        sequence[j] = anchor - (i - j);
                    }
                    break;
                }
            }
        }
    }

    /** An index entry that disagrees with the records is damage in Chronicle's index area. */
    private void checkAnchors(final long[] at, final long[] sequence, final Map<Long, Long> anchors, final long dataEnd)
    {
        final long count = indexCount();
        final long spacing = indexSpacing();
        final Map<Long, Integer> arrayNumbers = arrayNumbers();
        for (final Map.Entry<Long, Map<String, ChronicleLayout.Field>> document : indexDocuments)
        {
            final ChronicleLayout.Field index2index = document.getValue().get("index2index");
            if (index2index != null)
            {
                for (int i = index2index.used(); i < index2index.values().length; i++)
                {
                    if (index2index.values()[i] != 0)
                    {
                        final long entry = index2index.offset() + 8L * i;
                        indexDamage.add(new PendingSpan(entry, entry + 8, "unused entry " + i + " of Chronicle's index of indexes"
                            + " holds " + index2index.values()[i]));
                    }
                }
                checkStoreHeaderNames(document.getKey());
            }
        }
        for (final Map.Entry<Long, Map<String, ChronicleLayout.Field>> document : indexDocuments)
        {
            final ChronicleLayout.Field index = document.getValue().get("index");
            final Integer number = arrayNumbers.get(document.getKey());
            if (index == null)
            {
                continue;
            }
            if (number == null)
            {
                indexDamage.add(new PendingSpan(document.getKey(), document.getKey() + 8,
                    "Chronicle index array at " + document.getKey() + " is not in the index of indexes"));
                continue;
            }
            for (int k = 0; k < index.values().length; k++)
            {
                final long target = index.values()[k];
                final long expected = (number * count + k) * spacing;
                if (k < index.used() && expected < fromSequence)
                {
                    // A record before the walk's start: not read, so not checked (the checkpoint covers it).
                    continue;
                }
                if (target != 0 && (k >= index.used() || !agrees(at, sequence, target, expected)))
                {
                    final long entry = index.offset() + 8L * k;
                    indexDamage.add(new PendingSpan(entry, entry + 8, "Chronicle index entry for sequence " + expected
                        + " points at " + target + ", where that record does not start"));
                }
            }
        }
        final long[] last = lastWrite();
        final ChronicleLayout.Field writePosition = storeHeader == null ? null : storeHeader.get("header.writePosition");
        if (writePosition != null && last == null && writePosition.values()[0] != 0)
        {
            indexDamage.add(new PendingSpan(writePosition.offset(), writePosition.offset() + 16,
                "store header's last write " + Arrays.toString(writePosition.values()) + " is unreadable"));
        }
        else if (last != null && last[0] < dataEnd && !agrees(at, sequence, last[0], last[1]) && !inSpan(last[0])
            && last[0] >= fromPosition)
        {
            indexDamage.add(new PendingSpan(writePosition.offset(), writePosition.offset() + 16,
                "store header says record " + last[1] + " is the last, at " + last[0] + ", where it does not start"));
        }
        else if (last != null && last[0] >= dataEnd)
        {
            // The header says more was written than the walk found: the last records were lost to damage that
            // looks like the end of the data (zeros, or a header marked "not complete").
            spans.add(new PendingSpan(dataEnd, Math.max(last[0] + ChronicleLayout.HEADER_BYTES, dataEnd + 4),
                "store header says record " + last[1] + " was written at " + last[0] + ", past the last readable record"));
        }
    }

    private void checkStoreHeaderNames(final long index2indexPosition)
    {
        final ChronicleLayout.Field lastIndex = storeHeader == null ? null : storeHeader.get("header.indexing.lastIndex");
        final long[] last = lastWrite();
        final long spacing = indexSpacing();
        if (lastIndex != null && (lastIndex.value() < 0 || lastIndex.value() % spacing != 0
            || last != null && lastIndex.value() > last[1] + spacing))
        {
            indexDamage.add(new PendingSpan(lastIndex.offset(), lastIndex.offset() + 8,
                "store header's last indexed sequence " + lastIndex.value() + " is impossible"));
        }
        final ChronicleLayout.Field named = storeHeader == null ? null : storeHeader.get("header.indexing.index2Index");
        if (named != null && named.value() != index2indexPosition)
        {
            indexDamage.add(new PendingSpan(named.offset(), named.offset() + 8,
                "store header names the index of indexes at " + named.value() + ", not " + index2indexPosition));
        }
    }

    private boolean agrees(final long[] at, final long[] sequence, final long target, final long expected)
    {
        final int found = Arrays.binarySearch(at, target);
        if (found < 0)
        {
            return inSpan(target);
        }
        return sequence[found] == UNKNOWN || sequence[found] == expected;
    }

    private boolean inSpan(final long position)
    {
        for (final PendingSpan span : spans)
        {
            if (position >= span.from() && position < span.to())
            {
                return true;
            }
        }
        return false;
    }

    private long skipped(final PendingSpan span, final long[] at, final long[] sequence, final Map<Long, Long> anchors)
    {
        int before = Arrays.binarySearch(at, span.from());
        before = before >= 0 ? before - 1 : -before - 2;
        int after = Arrays.binarySearch(at, span.to());
        after = after >= 0 ? after : -after - 1;
        final long last = before < 0 ? fromSequence - 1 : sequence[before];
        final long next;
        if (after < at.length)
        {
            next = sequence[after];
        }
        else
        {
            // Nothing readable after the span: the store header's last write says how many records there were.
            final long[] lastWrite = lastWrite();
            next = lastWrite != null ? lastWrite[1] + 1 : UNKNOWN;
        }
        if (last == UNKNOWN || next == UNKNOWN || next - last - 1 < 0)
        {
            return -1;
        }
        return next - last - 1;
    }

    private static List<Span> merge(final List<Span> sorted)
    {
        final List<Span> merged = new ArrayList<>();
        for (final Span span : sorted)
        {
            final Span previous = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (previous != null && span.from() <= previous.to())
            {
                final long records = previous.recordsSkipped() < 0 || span.recordsSkipped() < 0
                    ? -1 : previous.recordsSkipped() + span.recordsSkipped();
                merged.set(merged.size() - 1, new Span(previous.from(), Math.max(previous.to(), span.to()), records,
                    previous.cause()));
            }
            else
            {
                merged.add(span);
            }
        }
        return merged;
    }

    private static String hex(final int value)
    {
        return "0x" + Integer.toHexString(value);
    }
}
