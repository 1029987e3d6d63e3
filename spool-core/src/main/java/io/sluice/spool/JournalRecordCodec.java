package io.sluice.spool;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The binary layout of journal records. Every record starts with the same 24-byte header:
 *
 * <pre>
 *   0  int   CRC32C of bytes [4, length)     10  short reserved
 *   4  int   magic "SLJ1"                    12  int   record length (header included)
 *   8  byte  type                            16  long  message id
 *   9  byte  flags
 * </pre>
 *
 * The CRC lets recovery tell a torn or overwritten record from a good one; Chronicle's own header only
 * says that a write finished, not that the bytes are the ones written. Little-endian throughout.
 *
 * <p>A MESSAGE record's flags: {@link #FLAG_CARRIED}, and the envelope's MAIL FROM parameters
 * ({@link #FLAG_SMTPUTF8}, {@link #FLAG_8BITMIME}), and whether its client authenticated ({@link #FLAG_AUTHENTICATED}).
 * These bits were added later in bits that every earlier
 * version wrote as zero and never read, so a journal from before them recovers unchanged, as mail without either
 * parameter, and the record layout and its length stay the same.
 */
final class JournalRecordCodec
{
    static final int MAGIC = 0x314A4C53;
    static final byte TYPE_MESSAGE = 1;
    static final byte TYPE_CHUNK = 2;
    static final byte TYPE_OUTCOME = 3;
    /**
     * First record of every journal file, naming the cycle of the file written before it (in the id field,
     * -1 for none), so recovery can tell a file deleted by hand from a quiet hour or from retention.
     */
    static final byte TYPE_CYCLE_MARKER = 4;
    /** A MESSAGE record that re-states a pending message so its old journal file can be deleted. */
    static final byte FLAG_CARRIED = 1;
    /** A MESSAGE record whose client asked for SMTPUTF8 at MAIL FROM (RFC 6531). */
    static final byte FLAG_SMTPUTF8 = 2;
    /** A MESSAGE record whose client declared BODY=8BITMIME at MAIL FROM (RFC 6152). */
    static final byte FLAG_8BITMIME = 4;
    /** A MESSAGE record whose client authenticated with SMTP AUTH (RFC 4954): its tenant's own sending. */
    static final byte FLAG_AUTHENTICATED = 8;
    /** Recipient index meaning "every recipient not yet final". */
    static final int ALL_RECIPIENTS = -1;

    static final int CRC_OFFSET = 0;
    static final int MAGIC_OFFSET = 4;
    static final int TYPE_OFFSET = 8;
    static final int FLAGS_OFFSET = 9;
    static final int LENGTH_OFFSET = 12;
    static final int ID_OFFSET = 16;
    private static final int CHECKED_FROM = MAGIC_OFFSET;
    static final int HEADER_LENGTH = 24;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    /** A recipient status before its detail string: disposition (1), attempts (4), not-before millis (8). */
    private static final int STATUS_FIXED_BYTES = 13;

    private final CRC32C crc = new CRC32C();

    /** A decoded MESSAGE record; the content part stays in the source buffer at {@code partOffset}. */
    record MessageRecord(
        long messageId, boolean carried, Envelope envelope, List<RecipientStatus> statuses, long contentLength,
        int partOffset, int partLength)
    {
    }

    /** A decoded CHUNK record: {@code partLength} bytes at {@code partOffset} belong at {@code contentOffset}. */
    record ChunkRecord(long messageId, long contentOffset, int partOffset, int partLength)
    {
    }

    /** A decoded OUTCOME record. */
    record OutcomeRecord(long messageId, int recipientIndex, RecipientStatus status)
    {
    }

    /** @return the encoded length of a MESSAGE record's envelope and statuses, before any content. */
    static int messageOverhead(final Envelope envelope, final List<RecipientStatus> statuses)
    {
        int length = HEADER_LENGTH + 8 + 8 + 4;
        length += stringLength(envelope.sourceKey()) + stringLength(envelope.tenant()) + stringLength(envelope.lane());
        length += stringLength(envelope.sender());
        for (int i = 0; i < statuses.size(); i++)
        {
            length += stringLength(envelope.recipients().get(i)) + statusLength(statuses.get(i));
        }
        return length + 4;
    }

    int encodeMessage(
        final ExpandableArrayBuffer buffer,
        final long messageId,
        final boolean carried,
        final Envelope envelope,
        final List<RecipientStatus> statuses,
        final long contentLength,
        final ByteBuffer part)
    {
        final int flags = (carried ? FLAG_CARRIED : 0) | (envelope.smtpUtf8() ? FLAG_SMTPUTF8 : 0)
            | (envelope.eightBitMime() ? FLAG_8BITMIME : 0) | (envelope.authenticated() ? FLAG_AUTHENTICATED : 0);
        int offset = header(buffer, TYPE_MESSAGE, flags, messageId);
        buffer.putLong(offset, envelope.receivedAtMillis(), ORDER);
        offset += 8;
        buffer.putLong(offset, contentLength, ORDER);
        offset += 8;
        offset = putString(buffer, offset, envelope.sourceKey());
        offset = putString(buffer, offset, envelope.tenant());
        offset = putString(buffer, offset, envelope.lane());
        offset = putString(buffer, offset, envelope.sender());
        buffer.putInt(offset, statuses.size(), ORDER);
        offset += 4;
        for (int i = 0; i < statuses.size(); i++)
        {
            offset = putString(buffer, offset, envelope.recipients().get(i));
            offset = putStatus(buffer, offset, statuses.get(i));
        }
        offset = putPart(buffer, offset, part);
        return seal(buffer, offset);
    }

    int encodeChunk(final ExpandableArrayBuffer buffer, final long messageId, final long contentOffset, final ByteBuffer part)
    {
        int offset = header(buffer, TYPE_CHUNK, 0, messageId);
        buffer.putLong(offset, contentOffset, ORDER);
        offset += 8;
        offset = putPart(buffer, offset, part);
        return seal(buffer, offset);
    }

    int encodeOutcome(
        final ExpandableArrayBuffer buffer, final long messageId, final int recipientIndex, final RecipientStatus status)
    {
        int offset = header(buffer, TYPE_OUTCOME, 0, messageId);
        buffer.putInt(offset, recipientIndex, ORDER);
        offset += 4;
        offset = putStatus(buffer, offset, status);
        return seal(buffer, offset);
    }

    int encodeCycleMarker(final ExpandableArrayBuffer buffer, final long previousCycle)
    {
        return seal(buffer, header(buffer, TYPE_CYCLE_MARKER, 0, previousCycle));
    }

    /**
     * Checks a record's framing and checksum.
     *
     * @param buffer holds the record from offset 0.
     * @param length the bytes the journal excerpt holds.
     * @return the record type.
     * @throws CorruptRecordException if the record is torn, truncated, foreign or altered.
     */
    byte verify(final ExpandableArrayBuffer buffer, final int length) throws CorruptRecordException
    {
        return verify(buffer, 0, length);
    }

    /**
     * Checks the framing and checksum of a record that starts at {@code offset}: recovery checks records where
     * they lie in a file window, and uses this to find the next good record after damage.
     *
     * @return the record type.
     * @throws CorruptRecordException if the record is torn, truncated, foreign or altered.
     */
    byte verify(final ExpandableArrayBuffer buffer, final int offset, final int length) throws CorruptRecordException
    {
        if (length < HEADER_LENGTH)
        {
            throw new CorruptRecordException("record of " + length + " bytes is shorter than its header");
        }
        if (buffer.getInt(offset + MAGIC_OFFSET, ORDER) != MAGIC)
        {
            throw new CorruptRecordException("bad magic " + Integer.toHexString(buffer.getInt(offset + MAGIC_OFFSET, ORDER)));
        }
        final int recordLength = buffer.getInt(offset + LENGTH_OFFSET, ORDER);
        if (recordLength != length)
        {
            throw new CorruptRecordException("record says " + recordLength + " bytes, excerpt holds " + length);
        }
        crc.reset();
        crc.update(buffer.byteArray(), offset + CHECKED_FROM, length - CHECKED_FROM);
        if ((int)crc.getValue() != buffer.getInt(offset + CRC_OFFSET, ORDER))
        {
            throw new CorruptRecordException("checksum mismatch");
        }
        final byte type = buffer.getByte(offset + TYPE_OFFSET);
        if (type < TYPE_MESSAGE || type > TYPE_CYCLE_MARKER)
        {
            throw new CorruptRecordException("unknown record type " + type);
        }
        return type;
    }

    static long messageId(final DirectBuffer buffer)
    {
        return buffer.getLong(ID_OFFSET, ORDER);
    }

    MessageRecord decodeMessage(final DirectBuffer buffer, final int length) throws CorruptRecordException
    {
        final Cursor in = new Cursor(buffer, length);
        final long messageId = in.getLong();
        final long receivedAt = in.getLong();
        final long contentLength = in.getLong();
        final String sourceKey = in.getString();
        final String tenant = in.getString();
        final String lane = in.getString();
        final String sender = in.getString();
        final int count = in.recipientCount();
        final List<String> recipients = new ArrayList<>(count);
        final List<RecipientStatus> statuses = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            recipients.add(in.getString());
            statuses.add(in.getStatus());
        }
        final int partOffset = in.contentPart(contentLength);
        final int partLength = partLength(buffer, partOffset);
        final byte flags = buffer.getByte(FLAGS_OFFSET);
        final boolean carried = (flags & FLAG_CARRIED) != 0;
        final Envelope envelope = new Envelope(sourceKey, tenant.intern(), lane.intern(), sender, recipients, receivedAt,
            (flags & FLAG_SMTPUTF8) != 0, (flags & FLAG_8BITMIME) != 0, (flags & FLAG_AUTHENTICATED) != 0);
        return new MessageRecord(messageId, carried, envelope, statuses, contentLength, partOffset, partLength);
    }

    /**
     * Finds a MESSAGE record's content part without decoding its envelope: what reading a body back for delivery needs.
     * Decoding the whole record there made eleven objects (strings, lists, statuses) per delivered message only to be
     * dropped, about 900 of the 15,000 bytes delivering allocated per message (issue 21, session 7's JFR). The record is
     * checked as {@link #decodeMessage} checks it, field lengths included.
     *
     * @return the part's offset in {@code buffer}; its length is {@link #partLength} there
     */
    int messagePartOffset(final DirectBuffer buffer, final int length) throws CorruptRecordException
    {
        final Cursor in = new Cursor(buffer, length);
        in.getLong();
        in.getLong();
        final long contentLength = in.getLong();
        for (int i = 0; i < 4; i++)
        {
            in.skipString();
        }
        final int count = in.recipientCount();
        for (int i = 0; i < count; i++)
        {
            in.skipString();
            in.skipStatus();
        }
        return in.contentPart(contentLength);
    }

    /** @return the length of the content part at {@code partOffset} (its length field is just before it) */
    static int partLength(final DirectBuffer buffer, final int partOffset)
    {
        return buffer.getInt(partOffset - 4, ORDER);
    }

    ChunkRecord decodeChunk(final DirectBuffer buffer, final int length) throws CorruptRecordException
    {
        final Cursor in = new Cursor(buffer, length);
        final long messageId = in.getLong();
        final long contentOffset = in.getLong();
        final int partLength = in.getInt();
        final int partOffset = in.skip(partLength);
        return new ChunkRecord(messageId, contentOffset, partOffset, partLength);
    }

    OutcomeRecord decodeOutcome(final DirectBuffer buffer, final int length) throws CorruptRecordException
    {
        final Cursor in = new Cursor(buffer, length);
        final long messageId = in.getLong();
        final int recipientIndex = in.getInt();
        return new OutcomeRecord(messageId, recipientIndex, in.getStatus());
    }

    private static int header(final MutableDirectBuffer buffer, final byte type, final int flags, final long messageId)
    {
        buffer.putInt(MAGIC_OFFSET, MAGIC, ORDER);
        buffer.putByte(TYPE_OFFSET, type);
        buffer.putByte(FLAGS_OFFSET, (byte)flags);
        buffer.putShort(FLAGS_OFFSET + 1, (short)0, ORDER);
        buffer.putLong(ID_OFFSET, messageId, ORDER);
        return HEADER_LENGTH;
    }

    private int seal(final ExpandableArrayBuffer buffer, final int length)
    {
        buffer.putInt(LENGTH_OFFSET, length, ORDER);
        crc.reset();
        crc.update(buffer.byteArray(), CHECKED_FROM, length - CHECKED_FROM);
        buffer.putInt(CRC_OFFSET, (int)crc.getValue(), ORDER);
        return length;
    }

    private static int putPart(final MutableDirectBuffer buffer, final int offset, final ByteBuffer part)
    {
        final int length = part.remaining();
        buffer.putInt(offset, length, ORDER);
        buffer.putBytes(offset + 4, part, part.position(), length);
        return offset + 4 + length;
    }

    /**
     * ASCII, the usual envelope (addresses, tenant, lane, source), is written char by char with no copy; only other text
     * is encoded to a UTF-8 array first. {@code getBytes} here and in {@link #stringLength} made two arrays per string,
     * a dozen per accepted message (issue 21, session 7's JFR).
     */
    private static int putString(final MutableDirectBuffer buffer, final int offset, final String value)
    {
        if (isAscii(value))
        {
            buffer.putInt(offset, value.length(), ORDER);
            return offset + 4 + buffer.putStringWithoutLengthAscii(offset + 4, value);
        }
        final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        buffer.putInt(offset, bytes.length, ORDER);
        buffer.putBytes(offset + 4, bytes);
        return offset + 4 + bytes.length;
    }

    private static boolean isAscii(final String value)
    {
        for (int i = 0; i < value.length(); i++)
        {
            if (value.charAt(i) >= 0x80)
            {
                return false;
            }
        }
        return true;
    }

    private static int putStatus(final MutableDirectBuffer buffer, final int offset, final RecipientStatus status)
    {
        buffer.putByte(offset, status.disposition().code());
        buffer.putInt(offset + 1, status.attempts(), ORDER);
        buffer.putLong(offset + 5, status.notBeforeMillis(), ORDER);
        return putString(buffer, offset + STATUS_FIXED_BYTES, status.detail());
    }

    private static int stringLength(final String value)
    {
        return 4 + (isAscii(value) ? value.length() : value.getBytes(StandardCharsets.UTF_8).length);
    }

    private static int statusLength(final RecipientStatus status)
    {
        return STATUS_FIXED_BYTES + stringLength(status.detail());
    }

    /** Bounds-checked reading: a length field pointing past the record is corruption, not an exception to crash on. */
    private static final class Cursor
    {
        private final DirectBuffer buffer;
        private final int limit;
        private int offset = ID_OFFSET;

        Cursor(final DirectBuffer buffer, final int limit)
        {
            this.buffer = buffer;
            this.limit = limit;
        }

        private void need(final int bytes) throws CorruptRecordException
        {
            if (bytes < 0 || offset + bytes > limit)
            {
                throw new CorruptRecordException("field of " + bytes + " bytes at " + offset + " runs past " + limit);
            }
        }

        long getLong() throws CorruptRecordException
        {
            need(8);
            final long value = buffer.getLong(offset, ORDER);
            offset += 8;
            return value;
        }

        int getInt() throws CorruptRecordException
        {
            need(4);
            final int value = buffer.getInt(offset, ORDER);
            offset += 4;
            return value;
        }

        int skip(final int bytes) throws CorruptRecordException
        {
            need(bytes);
            final int start = offset;
            offset += bytes;
            return start;
        }

        void skipString() throws CorruptRecordException
        {
            skip(getInt());
        }

        String getString() throws CorruptRecordException
        {
            final int length = getInt();
            final int start = skip(length);
            return buffer.getStringWithoutLengthUtf8(start, length);
        }

        /** @return the recipient count that follows the envelope's strings, checked. */
        int recipientCount() throws CorruptRecordException
        {
            final int count = getInt();
            if (count < 1 || count > Envelope.MAX_RECIPIENTS)
            {
                throw new CorruptRecordException("recipient count " + count);
            }
            return count;
        }

        /**
         * Passes the first content part, which follows the recipients: its length, then its bytes.
         *
         * @return the part's offset; its length is {@link #partLength} there.
         */
        int contentPart(final long contentLength) throws CorruptRecordException
        {
            final int partLength = getInt();
            final int partOffset = skip(partLength);
            if (contentLength < partLength)
            {
                throw new CorruptRecordException("content length " + contentLength + " < first part " + partLength);
            }
            return partOffset;
        }

        void skipStatus() throws CorruptRecordException
        {
            skip(STATUS_FIXED_BYTES);
            skipString();
        }

        RecipientStatus getStatus() throws CorruptRecordException
        {
            need(STATUS_FIXED_BYTES);
            final Disposition disposition = Disposition.fromCode(buffer.getByte(offset));
            final int attempts = buffer.getInt(offset + 1, ORDER);
            final long notBefore = buffer.getLong(offset + 5, ORDER);
            offset += STATUS_FIXED_BYTES;
            final String detail = getString();
            if (disposition == null || attempts < 0)
            {
                throw new CorruptRecordException("bad recipient status");
            }
            return new RecipientStatus(disposition, attempts, notBefore, detail);
        }
    }
}
