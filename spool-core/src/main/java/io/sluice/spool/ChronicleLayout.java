package io.sluice.spool;

import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

import org.agrona.DirectBuffer;

/**
 * What recovery needs to know of a Chronicle Queue cycle file ({@code .cq4}, Chronicle Queue 2026.4), read
 * without Chronicle so that a damaged file can be read at all.
 *
 * <p>A cycle file is a chain of documents, each a 4-byte little-endian header and its bytes, every header
 * on a 4-byte boundary. The header holds the length in its low 30 bits, bit 30 for metadata and bit 31 for
 * "not complete" (a write under way, or torn by a crash); 0 means nothing was written there yet and
 * {@code 0xC0000000} marks the end of a rolled file. Data documents are the journal's records, numbered 0, 1, 2...
 * in file order: that number (the sequence) is the low part of the record's Chronicle index.
 *
 * <p>The metadata documents are Chronicle's, in its binary wire format: the first one, at offset 0, is the
 * store header ({@code header: !SCQStore}) with {@code writePosition} (the offset of the last document
 * written, and that offset and its sequence packed in one long) and {@code indexing} ({@code indexCount},
 * {@code indexSpacing}, {@code index2Index}: where the index of indexes lies, {@code lastIndex}). The index
 * of indexes ({@code index2index}) lists the offsets of the index arrays; index array {@code i}, entry
 * {@code k}, is the offset of the record with sequence {@code (i * indexCount + k) * indexSpacing}. Those
 * offsets let recovery name the sequence of a record found after damage, and so count exactly how many
 * records the damage took. {@link #fields} reads just the subset of the wire format these documents use.
 */
final class ChronicleLayout
{
    static final int HEADER_BYTES = 4;
    static final int LENGTH_MASK = 0x3FFF_FFFF;
    static final int META_DATA = 0x4000_0000;
    static final int NOT_COMPLETE = 0x8000_0000;
    static final int END_OF_DATA = 0xC000_0000;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final int BYTES_LENGTH32 = 0x82;
    private static final int I64_ARRAY = 0x8D;
    private static final int PADDING32 = 0x8E;
    private static final int PADDING = 0x8F;
    private static final int UINT8 = 0xA1;
    private static final int UINT16 = 0xA2;
    private static final int UINT32 = 0xA3;
    private static final int INT8 = 0xA4;
    private static final int INT16 = 0xA5;
    private static final int INT32 = 0xA6;
    private static final int INT64 = 0xA7;
    private static final int TYPE_PREFIX = 0xB6;
    private static final int FIELD_NAME_ANY = 0xB9;
    private static final int FIELD_NAME0 = 0xC0;
    private static final int FIELD_NAME31 = 0xDF;
    /** Chronicle's arrays hold a few thousand entries; a bigger capacity is damage, not an array. */
    private static final long MAX_ARRAY = 1 << 20;

    private ChronicleLayout()
    {
    }

    /** One value of a metadata document: a scalar is an array of one. */
    record Field(long[] values, int used, long offset)
    {
        long value()
        {
            return values[0];
        }
    }

    /** @return the offset of the document after the one whose header at {@code position} says {@code length}. */
    static long next(final long position, final int length)
    {
        return (position + HEADER_BYTES + length + 3) & ~3L;
    }

    static boolean isReadyData(final int header)
    {
        return (header & (META_DATA | NOT_COMPLETE)) == 0 && (header & LENGTH_MASK) > 0;
    }

    static boolean isReadyMetaData(final int header)
    {
        return (header & (META_DATA | NOT_COMPLETE)) == META_DATA && (header & LENGTH_MASK) > 0;
    }

    /**
     * Reads the named values of a metadata document, nested names joined with dots ({@code header.writePosition}).
     *
     * @param buffer   holds the document's bytes (after its 4-byte header) from {@code offset}.
     * @param position the document's offset in the file, so each field can say where its values lie.
     * @throws CorruptRecordException if the bytes are not the wire format Chronicle writes there.
     */
    static Map<String, Field> fields(final DirectBuffer buffer, final int offset, final int length, final long position)
        throws CorruptRecordException
    {
        final Map<String, Field> fields = new HashMap<>();
        new Reader(buffer, offset, position + HEADER_BYTES - offset).read(offset, offset + length, "", fields);
        return fields;
    }

    /** A reader of the binary wire subset in Chronicle's store header and index documents. */
    private static final class Reader
    {
        private final DirectBuffer buffer;
        private final int start;
        private final long fileDelta;

        Reader(final DirectBuffer buffer, final int start, final long fileDelta)
        {
            this.buffer = buffer;
            this.start = start;
            this.fileDelta = fileDelta;
        }

        void read(final int from, final int end, final String prefix, final Map<String, Field> into)
            throws CorruptRecordException
        {
            int at = skipPadding(from, end);
            while (at < end)
            {
                final int code = code(at, end);
                final int nameLength;
                final int nameAt;
                if (code >= FIELD_NAME0 && code <= FIELD_NAME31)
                {
                    nameLength = code - FIELD_NAME0;
                    nameAt = at + 1;
                }
                else if (code == FIELD_NAME_ANY)
                {
                    nameLength = code(at + 1, end);
                    nameAt = at + 2;
                }
                else
                {
                    throw new CorruptRecordException("wire code " + Integer.toHexString(code) + " where a field name belongs");
                }
                need(nameAt, nameLength, end);
                final String name = prefix + ascii(nameAt, nameLength);
                at = value(skipPadding(nameAt + nameLength, end), end, name, into);
                at = skipPadding(at, end);
            }
        }

        private int value(final int from, final int end, final String name, final Map<String, Field> into)
            throws CorruptRecordException
        {
            int at = from;
            int code = code(at, end);
            if (code == TYPE_PREFIX)
            {
                final int typeLength = code(at + 1, end);
                need(at + 2, typeLength, end);
                at = skipPadding(at + 2 + typeLength, end);
                code = code(at, end);
            }
            return switch (code)
            {
                case BYTES_LENGTH32 -> nested(at, end, name, into);
                case I64_ARRAY -> array(at, end, name, into);
                case UINT8, INT8 -> scalar(at, end, name, into, 1, code == UINT8 ? buffer.getByte(at + 1) & 0xFF
                    : buffer.getByte(at + 1));
                case UINT16, INT16 -> scalar(at, end, name, into, 2, code == UINT16 ? buffer.getShort(at + 1, ORDER) & 0xFFFF
                    : buffer.getShort(at + 1, ORDER));
                case UINT32, INT32 -> scalar(at, end, name, into, 4, code == UINT32 ? buffer.getInt(at + 1, ORDER) & 0xFFFF_FFFFL
                    : buffer.getInt(at + 1, ORDER));
                case INT64 -> scalar(at, end, name, into, 8, buffer.getLong(at + 1, ORDER));
                default -> throw new CorruptRecordException("wire code " + Integer.toHexString(code) + " for " + name);
            };
        }

        private int nested(final int at, final int end, final String name, final Map<String, Field> into)
            throws CorruptRecordException
        {
            need(at + 1, 4, end);
            final int length = buffer.getInt(at + 1, ORDER);
            need(at + 5, length, end);
            read(at + 5, at + 5 + length, name + ".", into);
            return at + 5 + length;
        }

        private int array(final int at, final int end, final String name, final Map<String, Field> into)
            throws CorruptRecordException
        {
            need(at + 1, 16, end);
            final long capacity = buffer.getLong(at + 1, ORDER);
            final long used = buffer.getLong(at + 9, ORDER);
            if (capacity < 0 || capacity > MAX_ARRAY || used < 0 || used > capacity)
            {
                throw new CorruptRecordException(name + " says " + used + " of " + capacity + " entries used");
            }
            need(at + 17, (int)capacity * 8, end);
            final long[] values = new long[(int)capacity];
            for (int i = 0; i < values.length; i++)
            {
                values[i] = buffer.getLong(at + 17 + i * 8, ORDER);
            }
            into.put(name, new Field(values, (int)used, at + 17 + fileDelta));
            return at + 17 + (int)capacity * 8;
        }

        private int scalar(
            final int at, final int end, final String name, final Map<String, Field> into, final int bytes, final long value)
            throws CorruptRecordException
        {
            need(at + 1, bytes, end);
            into.put(name, new Field(new long[] {value}, 1, at + 1 + fileDelta));
            return at + 1 + bytes;
        }

        private int skipPadding(final int from, final int end) throws CorruptRecordException
        {
            int at = from;
            while (at < end)
            {
                final int code = buffer.getByte(at) & 0xFF;
                if (code == PADDING)
                {
                    at++;
                }
                else if (code == PADDING32)
                {
                    need(at + 1, 4, end);
                    final int skip = buffer.getInt(at + 1, ORDER);
                    need(at + 5, skip, end);
                    at += 5 + skip;
                }
                else
                {
                    break;
                }
            }
            return at;
        }

        private int code(final int at, final int end) throws CorruptRecordException
        {
            need(at, 1, end);
            return buffer.getByte(at) & 0xFF;
        }

        private void need(final int at, final int bytes, final int end) throws CorruptRecordException
        {
            if (bytes < 0 || at < start || (long)at + bytes > end)
            {
                throw new CorruptRecordException("wire value of " + bytes + " bytes at " + (at + fileDelta) + " runs past "
                    + (end + fileDelta));
            }
        }

        private String ascii(final int at, final int length) throws CorruptRecordException
        {
            final char[] chars = new char[length];
            for (int i = 0; i < length; i++)
            {
                final int c = buffer.getByte(at + i);
                if (c < 0x20 || c > 0x7E)
                {
                    throw new CorruptRecordException("field name byte " + Integer.toHexString(c & 0xFF) + " at " + (at + i
                        + fileDelta));
                }
                chars[i] = (char)c;
            }
            return new String(chars);
        }
    }
}
