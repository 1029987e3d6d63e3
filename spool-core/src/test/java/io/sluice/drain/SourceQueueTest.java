package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** A source queue hands out its ready messages oldest first, however they came and left. */
class SourceQueueTest
{
    private final FairNode node = new FairNode(FairNode.SOURCE, "192.0.2.1", null, null, 1, null);
    private final SourceQueue queue = node.messages;

    private MessageEntry entry()
    {
        return new MessageEntry(Mail.from("192.0.2.1"), "default");
    }

    /** As the fair tree queues a ready entry. */
    private void add(final MessageEntry entry)
    {
        queue.add(entry);
        entry.leaf = node;
        entry.state = MessageEntry.READY;
    }

    /** As the fair tree takes one out (picked, or moved elsewhere). */
    private void remove(final MessageEntry entry)
    {
        queue.remove(entry);
        entry.leaf = null;
        entry.state = MessageEntry.NONE;
    }

    private List<Long> drain()
    {
        final List<Long> ids = new ArrayList<>();
        MessageEntry head;
        while ((head = queue.first()) != null)
        {
            ids.add(head.messageId);
            remove(head);
        }
        return ids;
    }

    private List<Long> contents()
    {
        final List<MessageEntry> found = new ArrayList<>();
        queue.addTo(found);
        return found.stream().map(entry -> entry.messageId).toList();
    }

    @Test
    void shouldHandOutOldestFirstWhenAnOlderMessageComesBack()
    {
        final MessageEntry first = entry();
        final MessageEntry second = entry();
        final MessageEntry third = entry();
        add(first);
        add(second);
        add(third);
        assertThat(queue.first()).isSameAs(first);
        remove(first);
        remove(second);

        add(first);

        assertThat(contents()).containsExactlyInAnyOrder(first.messageId, third.messageId);
        assertThat(drain()).containsExactly(first.messageId, third.messageId);
        assertThat(queue.isEmpty()).isTrue();
    }

    @Test
    void shouldSkipWhatLeftFromInsideAndCountAReturnOnce()
    {
        final List<MessageEntry> all = new ArrayList<>();
        for (int i = 0; i < 5; i++)
        {
            all.add(entry());
            add(all.get(i));
        }
        remove(all.get(2));
        add(all.get(2));
        remove(all.get(3));

        assertThat(contents()).containsExactlyInAnyOrder(
            all.get(0).messageId, all.get(1).messageId, all.get(2).messageId, all.get(4).messageId);
        assertThat(drain()).containsExactly(all.get(0).messageId, all.get(1).messageId, all.get(2).messageId,
            all.get(4).messageId);
    }

    @Test
    void shouldKeepItsOrderThroughCompactionsAndGrowth()
    {
        final List<MessageEntry> all = new ArrayList<>();
        final List<Long> kept = new ArrayList<>();
        for (int i = 0; i < 1_000; i++)
        {
            all.add(entry());
            add(all.get(i));
            if (i % 3 != 0 && i > 0)
            {
                // Leaves from inside the ring, the newest stays: stale slots pile up and are compacted.
                remove(all.get(i - 1));
                kept.remove(all.get(i - 1).messageId);
            }
            kept.add(all.get(i).messageId);
        }

        assertThat(contents()).containsExactlyElementsOf(kept);
        assertThat(drain()).containsExactlyElementsOf(kept);
        final MessageEntry older = all.get(0);
        add(older);
        assertThat(drain()).as("an emptied queue takes any id").containsExactly(older.messageId);
    }
}
