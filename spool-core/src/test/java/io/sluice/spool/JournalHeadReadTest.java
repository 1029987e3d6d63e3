package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading a head record at the position the index keeps for it: one positioned read that finds exactly that
 * message's record, and a fall back to Chronicle's seek whenever what lies there is anything else.
 */
class JournalHeadReadTest
{
    private static final long START_MS = 1_700_000_000_000L;
    private static final List<RecipientStatus> NEW = List.of(RecipientStatus.NEW);

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(START_MS);

    private SpoolContext context()
    {
        return new SpoolContext().directory(dir).clock(clock).durability(Durability.ACK_ON_WRITE).conclude();
    }

    private static ByteBuffer body(final String text)
    {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void shouldReadTheHeadAtItsPositionWithoutChronicle() throws IOException
    {
        try (Journal journal = new Journal(context()); HeadReads reads = new HeadReads())
        {
            final long[] indexes = journal.writeMessage(11, false, TestMessages.envelope("a@example.org"), NEW,
                body("first"), 1 << 16);
            final long position = journal.lastHeadPosition();
            final long recordBytes = journal.lastWriteBytes();
            journal.writeMessage(12, false, TestMessages.envelope("b@example.org"), NEW, body("second"), 1 << 16);

            final ExpandableArrayBuffer into = new ExpandableArrayBuffer(64);
            assertThat(reads.read(journal.queue(), journal.cycleOf(indexes[0]), position, into))
                .as("the positioned read finds the whole record").isEqualTo(recordBytes);
            assertThat(JournalRecordCodec.messageId(into)).isEqualTo(11);
            assertThat(journal.readHead(11, indexes[0], position).envelope().recipients()).containsExactly("a@example.org");
        }
    }

    @Test
    void shouldFallBackToTheIndexWhenThePositionHoldsAnythingElse() throws IOException
    {
        try (Journal journal = new Journal(context()); HeadReads reads = new HeadReads())
        {
            final long[] first = journal.writeMessage(21, false, TestMessages.envelope("a@example.org"), NEW,
                body("first"), 1 << 16);
            final long firstPosition = journal.lastHeadPosition();
            final long[] second = journal.writeMessage(22, false, TestMessages.envelope("b@example.org"), NEW,
                body("second"), 1 << 16);
            final long secondPosition = journal.lastHeadPosition();
            final ExpandableArrayBuffer into = new ExpandableArrayBuffer(64);
            assertThat(reads.read(journal.queue(), journal.cycleOf(first[0]), firstPosition + 4, into))
                .as("not the start of a record").isEqualTo(-1);
            assertThat(reads.read(journal.queue(), journal.cycleOf(first[0]), Long.MAX_VALUE / 2, into))
                .as("past the file's end").isEqualTo(-1);

            // Another message's head, the middle of a record, past the end, none: each read is the right message's.
            for (final long position : new long[] {secondPosition, firstPosition + 4, Long.MAX_VALUE / 2, 0})
            {
                assertThat(journal.readHead(21, first[0], position).envelope().recipients())
                    .as("hint %d", position).containsExactly("a@example.org");
            }
            assertThat(journal.readHead(22, second[0], firstPosition).envelope().recipients())
                .containsExactly("b@example.org");
        }
    }

    @Test
    void shouldNotTrustAPositionedRecordThatFailsItsChecksum() throws IOException
    {
        final long[] indexes;
        final long position;
        try (Journal journal = new Journal(context()))
        {
            indexes = journal.writeMessage(31, false, TestMessages.envelope("a@example.org"), NEW,
                body("a body to damage"), 1 << 16);
            position = journal.lastHeadPosition();
        }
        final Path file;
        try (Stream<Path> files = Files.list(dir))
        {
            file = files.filter(p -> p.toString().endsWith(".cq4")).findFirst().orElseThrow();
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            // The last byte of the body: the record's length and header stay, its CRC no longer matches.
            channel.write(ByteBuffer.wrap(new byte[] {'#'}), position + JournalRecordCodec.HEADER_LENGTH + 40);
        }
        try (Journal journal = new Journal(context()))
        {
            assertThatThrownBy(() -> journal.readHead(31, indexes[0], position))
                .as("the fall back reads the same damaged record and says so").isInstanceOf(IOException.class)
                .hasMessageContaining("checksum");
        }
    }

    /**
     * A body of several records read from its head's position: each part is taken from just after the one before when it
     * is that part, whole; an index block Chronicle put between two parts, a wrong hint or none falls back to the seek.
     */
    @Test
    void shouldReadABodyOfSeveralRecordsFromItsHeadPosition() throws IOException
    {
        try (Journal journal = new Journal(new SpoolContext().directory(dir).clock(clock).durability(Durability.ACK_ON_WRITE)
            .blockSizeBytes(1 << 20).chunkBytes(16 << 10).conclude()))
        {
            final int messages = 400;
            final long[][] indexes = new long[messages][];
            final long[] positions = new long[messages];
            for (int m = 0; m < messages; m++)
            {
                // Three records each: Chronicle's index blocks fall between the parts of some of them.
                indexes[m] = journal.writeMessage(100 + m, false, TestMessages.envelope("a@example.org"), NEW,
                    TestMessages.body("m" + m, 2_500), 1_000);
                positions[m] = journal.lastHeadPosition();
            }
            for (int m = 0; m < messages; m++)
            {
                final ByteBuffer expected = TestMessages.body("m" + m, 2_500);
                assertThat(indexes[m]).hasSize(3);
                assertThat(journal.readContent(100 + m, indexes[m], 2_500, positions[m])).as("message %d", m)
                    .isEqualTo(expected);
                assertThat(journal.readContent(100 + m, indexes[m], 2_500, positions[(m + 1) % messages]))
                    .as("another message's position").isEqualTo(expected);
                assertThat(journal.readContent(100 + m, indexes[m], 2_500, positions[m] + 4)).as("a wrong position")
                    .isEqualTo(expected);
                assertThat(journal.readContent(100 + m, indexes[m], 2_500, 0)).as("none").isEqualTo(expected);
            }
        }
    }
}
