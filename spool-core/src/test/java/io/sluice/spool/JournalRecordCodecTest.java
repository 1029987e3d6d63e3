package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;

import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;

/**
 * The journal's record format: records round-trip, SMTPUTF8 and 8BITMIME ride in the header flags without a byte more,
 * and a MESSAGE record captured from the codec before those flags existed still decodes (as mail without them). Every
 * truncation, every flipped byte and 10,000 garbage records are refused as corrupt, never thrown as something else.
 */
class JournalRecordCodecTest
{
    private final JournalRecordCodec codec = new JournalRecordCodec();
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer();

    @Test
    void shouldRoundTripAMessageRecordWithEveryField() throws Exception
    {
        final Envelope envelope = new Envelope("192.0.2.7", "acme", "notifications", "", List.of("a@x.test", "bü@y.test"), 42L);
        final List<RecipientStatus> statuses = List.of(RecipientStatus.NEW, RecipientStatus.deferred(2, 99L, "451 4.7.1 later"));
        final ByteBuffer body = TestMessages.body("t1", 300);

        final int length = codec.encodeMessage(buffer, 7L, true, envelope, statuses, 300, body.duplicate());

        assertThat(codec.verify(buffer, length)).isEqualTo(JournalRecordCodec.TYPE_MESSAGE);
        final JournalRecordCodec.MessageRecord record = codec.decodeMessage(buffer, length);
        assertThat(record.messageId()).isEqualTo(7L);
        assertThat(record.carried()).isTrue();
        assertThat(record.envelope()).isEqualTo(envelope);
        assertThat(record.statuses()).isEqualTo(statuses);
        assertThat(record.contentLength()).isEqualTo(300);
        final byte[] part = new byte[record.partLength()];
        buffer.getBytes(record.partOffset(), part);
        assertThat(ByteBuffer.wrap(part)).isEqualTo(body);
        assertThat(length).isEqualTo(JournalRecordCodec.messageOverhead(envelope, statuses) + 300);
    }

    @Test
    void shouldFindTheContentPartWithoutDecodingTheEnvelopeWhereDecodingFindsIt() throws Exception
    {
        // ASCII strings take the copy-free path, the others the UTF-8 one: both must give the layout decoding reads.
        final Envelope envelope = new Envelope("192.0.2.7", "acme", "mail", "jörg@x.test",
            List.of("a@x.test", "zoë@y.test", "c@z.test"), 42L);
        final List<RecipientStatus> statuses = List.of(RecipientStatus.NEW, RecipientStatus.deferred(2, 99L, "451 4.7.1 später"),
            RecipientStatus.delivered(1, "250 ok"));
        final ByteBuffer body = TestMessages.body("t2", 500);

        final int length = codec.encodeMessage(buffer, 9L, false, envelope, statuses, 900, body.duplicate());

        final JournalRecordCodec.MessageRecord record = codec.decodeMessage(buffer, length);
        assertThat(record.envelope()).isEqualTo(envelope);
        assertThat(record.statuses()).isEqualTo(statuses);
        final int partOffset = codec.messagePartOffset(buffer, length);
        assertThat(partOffset).isEqualTo(record.partOffset());
        assertThat(JournalRecordCodec.partLength(buffer, partOffset)).isEqualTo(500).isEqualTo(record.partLength());
        assertThat(length).isEqualTo(JournalRecordCodec.messageOverhead(envelope, statuses) + 500);
        for (int cut = JournalRecordCodec.HEADER_LENGTH; cut < length; cut += 7)
        {
            final int truncated = cut;
            assertThatThrownBy(() -> codec.messagePartOffset(buffer, truncated)).isInstanceOf(CorruptRecordException.class);
        }
    }

    @Test
    void shouldRoundTripTheMailParametersInTheFlagsAndKeepTheLayout() throws Exception
    {
        final Envelope plain = new Envelope("192.0.2.7", "acme", "mail", "jörg@x.test", List.of("zoë@y.test"), 42L);
        final List<RecipientStatus> statuses = List.of(RecipientStatus.NEW);
        final Envelope authenticated = new Envelope("192.0.2.7", "acme", "mail", "jörg@x.test", List.of("zoë@y.test"), 42L,
            false, true, true);
        for (final Envelope envelope : List.of(plain, plain.withMailParameters(true, true),
            plain.withMailParameters(true, false), plain.withMailParameters(false, true), authenticated,
            authenticated.withMailParameters(true, false)))
        {
            final ByteBuffer part = ByteBuffer.wrap(new byte[] {1, 2, 3});
            final int length = codec.encodeMessage(buffer, 8L, true, envelope, statuses, 3, part);
            final JournalRecordCodec.MessageRecord record = codec.decodeMessage(buffer, length);
            assertThat(record.envelope()).isEqualTo(envelope);
            assertThat(record.carried()).isTrue();
            assertThat(length).as("the flags live in the header: no byte more").isEqualTo(
                JournalRecordCodec.messageOverhead(plain, statuses) + 3);
        }
    }

    /**
     * A MESSAGE record exactly as the codec wrote it before the MAIL FROM parameters were journaled (captured from that
     * version, header and CRC included): it still verifies and decodes, as a message without SMTPUTF8 or 8BITMIME.
     */
    @Test
    void shouldDecodeAMessageRecordWrittenBeforeTheMailParametersExisted() throws Exception
    {
        final String written = "33d8510e534c4a3101000000860000004d000000000000000068e5cf8b0100000900000000000000090000003139"
            + "322e302e322e370400000061636d65040000006d61696c0c0000006ac3b6726740782e74657374010000000b0000007a6fc3ab40792e74"
            + "6573740000000000000000000000000000000000090000005375626a6563743a0d";
        final byte[] bytes = new byte[written.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(written.substring(2 * i, 2 * i + 2), 16);
        }
        buffer.putBytes(0, bytes);

        assertThat(codec.verify(buffer, bytes.length)).isEqualTo(JournalRecordCodec.TYPE_MESSAGE);
        final JournalRecordCodec.MessageRecord record = codec.decodeMessage(buffer, bytes.length);
        assertThat(record.messageId()).isEqualTo(77L);
        assertThat(record.carried()).isFalse();
        assertThat(record.envelope()).isEqualTo(new Envelope("192.0.2.7", "acme", "mail", "jörg@x.test",
            List.of("zoë@y.test"), 1_700_000_000_000L));
        assertThat(record.envelope().smtpUtf8()).isFalse();
        assertThat(record.envelope().eightBitMime()).isFalse();
        assertThat(record.statuses()).containsExactly(RecipientStatus.NEW);
        assertThat(record.contentLength()).isEqualTo(9);

        final int rewritten = codec.encodeMessage(new ExpandableArrayBuffer(), 77L, false, record.envelope(), record.statuses(),
            9, ByteBuffer.wrap("Subject:\r".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        assertThat(rewritten).as("a message without the parameters is written byte for byte as before").isEqualTo(bytes.length);
    }

    @Test
    void shouldRoundTripChunkAndOutcomeRecords() throws Exception
    {
        int length = codec.encodeChunk(buffer, 9L, 1024, ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThat(codec.verify(buffer, length)).isEqualTo(JournalRecordCodec.TYPE_CHUNK);
        final JournalRecordCodec.ChunkRecord chunk = codec.decodeChunk(buffer, length);
        assertThat(chunk.messageId()).isEqualTo(9L);
        assertThat(chunk.contentOffset()).isEqualTo(1024);
        assertThat(chunk.partLength()).isEqualTo(3);

        length = codec.encodeOutcome(buffer, 9L, 4, RecipientStatus.failed(3, "550 5.1.1 no such user"));
        assertThat(codec.verify(buffer, length)).isEqualTo(JournalRecordCodec.TYPE_OUTCOME);
        final JournalRecordCodec.OutcomeRecord outcome = codec.decodeOutcome(buffer, length);
        assertThat(outcome.recipientIndex()).isEqualTo(4);
        assertThat(outcome.status()).isEqualTo(RecipientStatus.failed(3, "550 5.1.1 no such user"));
    }

    @Test
    void shouldRejectEveryTruncationOfARecord()
    {
        final int length = codec.encodeOutcome(buffer, 1L, 0, RecipientStatus.delivered(1, "250 ok"));
        for (int cut = 0; cut < length; cut++)
        {
            final int truncated = cut;
            assertThatThrownBy(() -> codec.verify(buffer, truncated)).isInstanceOf(CorruptRecordException.class);
        }
    }

    @Test
    void shouldRejectAnySingleFlippedByte()
    {
        final int length = codec.encodeMessage(buffer, 5L, false, TestMessages.envelope("r@x.test"),
            List.of(RecipientStatus.NEW), 64, TestMessages.body("flip", 64));
        final byte[] original = buffer.byteArray().clone();
        for (int i = 0; i < length; i++)
        {
            buffer.putBytes(0, original);
            buffer.putByte(i, (byte)(buffer.getByte(i) ^ 0x40));
            assertThatThrownBy(() -> codec.verify(buffer, length))
                .as("flipped byte %d", i).isInstanceOf(CorruptRecordException.class);
        }
    }

    @Test
    void shouldRejectGarbageWithoutThrowingAnythingElse()
    {
        final Random random = new Random(1234);
        for (int round = 0; round < 10_000; round++)
        {
            final int length = random.nextInt(600);
            final byte[] garbage = new byte[length];
            random.nextBytes(garbage);
            buffer.putBytes(0, garbage);
            if (round % 2 == 0 && length >= JournalRecordCodec.HEADER_LENGTH)
            {
                // Plausible framing, so the checks past the magic number are exercised too.
                buffer.putInt(JournalRecordCodec.MAGIC_OFFSET, JournalRecordCodec.MAGIC, java.nio.ByteOrder.LITTLE_ENDIAN);
                buffer.putInt(JournalRecordCodec.LENGTH_OFFSET, length, java.nio.ByteOrder.LITTLE_ENDIAN);
            }
            assertThatThrownBy(() -> codec.verify(buffer, length)).isInstanceOf(CorruptRecordException.class);
        }
    }

    @Test
    void shouldReportCorruptionWhenALengthFieldPointsPastTheRecord()
    {
        final int length = codec.encodeOutcome(buffer, 1L, 0, RecipientStatus.delivered(1, "250 ok"));
        // A detail length far past the end, with the checksum recomputed: the decoder must still refuse it.
        buffer.putInt(length - "250 ok".length() - 4, 1 << 30, java.nio.ByteOrder.LITTLE_ENDIAN);
        assertThatThrownBy(() -> codec.decodeOutcome(buffer, length))
            .isInstanceOf(CorruptRecordException.class).hasMessageContaining("runs past");
    }
}
