package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/**
 * The off-heap pending index on its own, with tiny chunks so that every chunk boundary, split, drop and merge is
 * crossed: order, look-ups, recipient states, and readers that never see a torn entry while the writer works.
 */
class PendingIndexTest
{
    private static final List<RecipientStatus> ONE = List.of(RecipientStatus.NEW);
    private static final List<RecipientStatus> TWO = List.of(RecipientStatus.NEW, RecipientStatus.NEW);

    /** Head index, receive time and size derived from the id, so a reader can tell a torn entry. */
    private static void add(final PendingIndex index, final long id, final List<RecipientStatus> statuses)
    {
        index.add(id, new long[] {id * 10}, 7, 100 + id, id % 1000, id * 3, statuses, null);
    }

    private static List<Long> ids(final PendingIndex index, final boolean newestFirst)
    {
        final List<Long> ids = new ArrayList<>();
        final PendingSlot slot = new PendingSlot();
        long after = newestFirst ? Long.MAX_VALUE : Long.MIN_VALUE;
        while (index.readNext(after, newestFirst, slot))
        {
            after = slot.messageId();
            ids.add(after);
        }
        return ids;
    }

    @Test
    void shouldKeepTheHeadPositionBesideTheMostRecipientsAndFlagsAndForgetItWhenTheHeadMoves()
    {
        final PendingIndex index = new PendingIndex(4);
        final List<RecipientStatus> most = java.util.Collections.nCopies(Envelope.MAX_RECIPIENTS, RecipientStatus.NEW);
        index.add(1, new long[] {10}, 7, 100, 5, 3, most, null, 0xFFFF_FFF0L);
        index.add(2, new long[] {20}, 7, 100, 5, 3, TWO, null, 1L << 32);
        index.add(3, new long[] {30}, 7, 100, 5, 3, ONE, null, 4096);
        index.forget(3);
        final PendingSlot slot = new PendingSlot();
        assertThat(index.read(1, slot)).isTrue();
        assertThat(slot.headPosition).isEqualTo(0xFFFF_FFF0L);
        assertThat(slot.recipients()).isEqualTo(Envelope.MAX_RECIPIENTS);
        assertThat(index.read(2, slot)).isTrue();
        assertThat(slot.headPosition).as("past 4 GiB: not kept, read by index").isZero();
        assertThat(slot.recipients()).isEqualTo(2);
        assertThat(index.read(3, slot)).as("the removed flag shares the short").isFalse();

        index.relocate(1, new long[] {40}, 8, 100, most);
        assertThat(index.read(1, slot)).isTrue();
        assertThat(slot.headIndex).isEqualTo(40);
        assertThat(slot.headPosition).as("a head written forward is read by its index").isZero();
        assertThat(slot.recipients()).isEqualTo(Envelope.MAX_RECIPIENTS);
    }

    @Test
    void shouldIterateInIdOrderBothWaysAcrossChunksAndSkipFinishedMessages()
    {
        final PendingIndex index = new PendingIndex(4);
        final List<Long> expected = new ArrayList<>();
        for (long id = 1; id <= 20; id++)
        {
            add(index, id, ONE);
            expected.add(id);
        }
        for (long id = 1; id <= 20; id += 3)
        {
            assertThat(index.apply(id, 0, RecipientStatus.delivered(1, "250 ok"), 1000 + id)).isEqualTo(PendingIndex.FINISHED);
            expected.remove(id);
        }
        // Ids 1..4 fill the first chunk; with 1 and 4 gone, finishing 2 and 3 empties it and it is dropped.
        index.apply(2, JournalRecordCodec.ALL_RECIPIENTS, RecipientStatus.failed(1, "550 no"), 2000);
        index.apply(3, 0, RecipientStatus.delivered(1, "250 ok"), 2001);
        expected.remove(2L);
        expected.remove(3L);

        assertThat(ids(index, false)).containsExactlyElementsOf(expected);
        final List<Long> reversed = new ArrayList<>(expected);
        Collections.reverse(reversed);
        assertThat(ids(index, true)).containsExactlyElementsOf(reversed);
        assertThat(index.size()).isEqualTo(expected.size());
        assertThat(index.offHeapBytes()).as("the emptied first chunk went").isEqualTo(4L * 4 * IndexChunk.ENTRY_BYTES);
        assertThat(index.read(4, new PendingSlot())).isFalse();
        final PendingSlot slot = new PendingSlot();
        assertThat(index.read(5, slot)).isTrue();
        assertThat(slot.recordIndexes()).containsExactly(50);
        assertThat(slot.contentLength()).isEqualTo(5);
        assertThat(index.oldestReceivedAtMillis()).isEqualTo(15);
        long bytes = 0;
        for (final long id : expected)
        {
            bytes += id % 1000;
        }
        assertThat(index.pendingBytes()).isEqualTo(bytes);
        assertThat(index.ledger().liveMessages(7)).isEqualTo(expected.size());
    }

    @Test
    void shouldInsertOutOfOrderIdsInPlaceSplittingFullChunks()
    {
        final PendingIndex index = new PendingIndex(4);
        for (long id = 100; id <= 1000; id += 100)
        {
            add(index, id, ONE);
        }
        // Recovery meets carried-forward copies of older messages after newer ones.
        for (final long id : new long[] {150, 50, 120, 130, 140, 950, 10})
        {
            add(index, id, ONE);
        }
        assertThat(ids(index, false)).containsExactly(10L, 50L, 100L, 120L, 130L, 140L, 150L, 200L, 300L, 400L, 500L, 600L,
            700L, 800L, 900L, 950L, 1000L);
        final PendingSlot slot = new PendingSlot();
        assertThat(index.read(130, slot)).isTrue();
        assertThat(slot.recordIndexes()).containsExactly(1300);
        assertThat(index.size()).isEqualTo(17);
    }

    @Test
    void shouldKeepTwoRecipientsInTheEntryAndMoreInTheOverflow()
    {
        final PendingIndex index = new PendingIndex(8);
        add(index, 1, TWO);
        assertThat(index.apply(1, 1, RecipientStatus.deferred(1, 99, "451 later"), 500)).isEqualTo(PendingIndex.APPLIED);
        assertThat(index.changes(1, 1)).as("deferred is not final").isTrue();
        assertThat(index.apply(1, 1, RecipientStatus.delivered(2, "250 ok"), 501)).isEqualTo(PendingIndex.APPLIED);
        assertThat(index.changes(1, 1)).isFalse();
        assertThat(index.apply(1, 1, RecipientStatus.delivered(3, "250 ok"), 502)).isEqualTo(PendingIndex.UNCHANGED);
        final PendingSlot slot = new PendingSlot();
        index.read(1, slot);
        assertThat(slot.overflow()).as("nothing on the heap for two recipients").isNull();
        assertThat(slot.outcomeIndex(0)).isZero();
        assertThat(slot.outcomeIndex(1)).isEqualTo(501);
        assertThat(slot.isFinal(1)).isTrue();

        final List<RecipientStatus> five = Collections.nCopies(5, RecipientStatus.NEW);
        add(index, 2, five);
        index.read(2, slot);
        assertThat(slot.overflow()).as("nothing on the heap before an outcome").isNull();
        assertThat(index.apply(2, 3, RecipientStatus.failed(1, "550 no"), 600)).isEqualTo(PendingIndex.APPLIED);
        index.read(2, slot);
        assertThat(slot.overflow()).isNotNull();
        assertThat(slot.outcomeIndex(3)).isEqualTo(600);
        assertThat(slot.isFinal(3)).isTrue();
        assertThat(slot.isFinal(4)).isFalse();
        assertThat(index.changes(2, 3)).isFalse();
        assertThat(index.apply(2, JournalRecordCodec.ALL_RECIPIENTS, RecipientStatus.delivered(1, "250"), 601))
            .isEqualTo(PendingIndex.FINISHED);
        assertThat(index.read(2, slot)).isFalse();
        assertThat(index.overflowOf(2)).as("the overflow goes with the message").isNull();
    }

    @Test
    void shouldKeepRecordIndexesThatAreNotConsecutive()
    {
        final PendingIndex index = new PendingIndex(8);
        index.add(9, new long[] {40, 41, 1L << 32}, 3, 500, 300, 1, ONE, null);
        final PendingSlot slot = new PendingSlot();
        index.read(9, slot);
        assertThat(slot.recordIndexes()).containsExactly(40, 41, 1L << 32);
        index.relocate(9, new long[] {70, 71, 72}, 4, 510, List.of(RecipientStatus.deferred(2, 5, "451")));
        index.read(9, slot);
        assertThat(slot.overflow()).isNull();
        assertThat(slot.recordIndexes()).containsExactly(70, 71, 72);
        assertThat(slot.cycle()).isEqualTo(4);
        assertThat(index.ledger().liveMessages(3)).isZero();
        assertThat(index.ledger().liveBytes(4)).isEqualTo(510);
    }

    @Test
    void shouldMergeSparseChunksKeepingOrderAndLookups()
    {
        final PendingIndex index = new PendingIndex(8);
        for (long id = 1; id <= 80; id++)
        {
            add(index, id, ONE);
        }
        final List<Long> kept = new ArrayList<>();
        for (long id = 1; id <= 80; id++)
        {
            if (id % 7 == 0 || id > 72)
            {
                kept.add(id);
                continue;
            }
            index.apply(id, 0, RecipientStatus.delivered(1, "250"), 1);
        }
        final long before = index.offHeapBytes();
        assertThat(index.compact()).isPositive();
        assertThat(index.offHeapBytes()).isLessThan(before);
        assertThat(ids(index, false)).containsExactlyElementsOf(kept);
        for (final long id : kept)
        {
            final PendingSlot slot = new PendingSlot();
            assertThat(index.read(id, slot)).isTrue();
            assertThat(slot.recordIndexes()).containsExactly(id * 10);
        }
        add(index, 81, ONE);
        assertThat(index.read(81, new PendingSlot())).isTrue();
    }

    @Test
    void shouldNeverShowAReaderATornEntryWhileTheWriterWorks() throws Exception
    {
        final PendingIndex index = new PendingIndex(16);
        final AtomicLong highest = new AtomicLong();
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicReference<String> torn = new AtomicReference<>();
        final List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++)
        {
            final Thread reader = new Thread(() ->
            {
                final PendingSlot slot = new PendingSlot();
                long reads = 0;
                while (running.get() && torn.get() == null)
                {
                    final long top = highest.get();
                    final long id = top == 0 ? 1 : 1 + (reads * 7919) % top;
                    if (index.read(id, slot) && !consistent(slot, id))
                    {
                        torn.set("read " + id + ": head " + slot.headIndex + " received " + slot.receivedAtMillis);
                    }
                    long after = Long.MIN_VALUE;
                    for (int n = 0; n < 50 && index.readNext(after, false, slot); n++)
                    {
                        if (slot.messageId() <= after || !consistent(slot, slot.messageId()))
                        {
                            torn.set("readNext after " + after + " gave " + slot.messageId());
                        }
                        after = slot.messageId();
                    }
                    reads++;
                }
            }, "index-reader-" + r);
            reader.start();
            readers.add(reader);
        }
        for (long id = 1; id <= 50_000 && torn.get() == null; id++)
        {
            add(index, id, TWO);
            highest.set(id);
            if (id > 30)
            {
                index.apply(id - 30, 0, RecipientStatus.delivered(1, "250"), id);
                if (id % 3 != 0)
                {
                    index.apply(id - 30, 1, RecipientStatus.delivered(1, "250"), id);
                }
            }
            if (id % 500 == 0)
            {
                index.compact();
            }
        }
        running.set(false);
        for (final Thread reader : readers)
        {
            reader.join(30_000);
        }
        assertThat(torn.get()).isNull();
        assertThat(index.size()).isEqualTo(30 + (50_000 - 30) / 3);
    }

    private static boolean consistent(final PendingSlot slot, final long id)
    {
        return slot.messageId() == id && slot.headIndex == id * 10 && slot.receivedAtMillis == id * 3
            && slot.contentLength() == id % 1000 && slot.recordBytes() == 100 + id;
    }
}
