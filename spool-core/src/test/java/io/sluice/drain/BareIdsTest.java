package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

/** A source queue's bare ids: ascending, found by binary search, taken from the head or from inside. */
class BareIdsTest
{
    private final BareIds ids = new BareIds();

    @Test
    void shouldKeepWhatASortedSetKeepsThroughAppendsPollsAndRemovals()
    {
        final TreeSet<Long> expected = new TreeSet<>();
        final Random random = new Random(5);
        long next = 1;
        for (int step = 0; step < 200_000; step++)
        {
            final int action = random.nextInt(100);
            if (action < 50 || expected.isEmpty())
            {
                next += 1 + random.nextInt(3);
                assertThat(ids.append(next)).isTrue();
                expected.add(next);
            }
            else if (action < 70)
            {
                assertThat(ids.pollFirst()).isEqualTo(expected.pollFirst());
            }
            else if (action < 95)
            {
                final long id = expected.first() + random.nextInt((int)Math.min(1_000, next - expected.first() + 1));
                assertThat(ids.remove(id)).as("remove %d", id).isEqualTo(expected.remove(id));
            }
            else
            {
                final long id = random.nextInt((int)next + 2);
                assertThat(ids.contains(id)).isEqualTo(expected.contains(id));
            }
            assertThat(ids.size()).isEqualTo(expected.size());
            assertThat(ids.first()).isEqualTo(expected.isEmpty() ? 0 : expected.first());
        }
        assertThat(ids.ids()).containsExactly(expected.stream().mapToLong(Long::longValue).toArray());
    }

    @Test
    void shouldRefuseAnIdNotAfterTheLastOrNotPositive()
    {
        assertThat(ids.append(5)).isTrue();
        assertThat(ids.append(5)).isFalse();
        assertThat(ids.append(3)).isFalse();
        assertThat(ids.append(0)).isFalse();
        assertThat(ids.append(-7)).isFalse();
        assertThat(ids.ids()).containsExactly(5);
        assertThat(ids.remove(5)).isTrue();
        assertThat(ids.append(3)).as("once empty, any positive id").isTrue();
    }

    /** Retries come due in no order of ids: inserted out of order, removed known or searched, re-inserted after removal. */
    @Test
    void shouldKeepWhatASortedSetKeepsWithIdsInsertedInAnyOrder()
    {
        final TreeSet<Long> expected = new TreeSet<>();
        final Random random = new Random(11);
        for (int step = 0; step < 200_000; step++)
        {
            final int action = random.nextInt(100);
            final long id = 1 + random.nextInt(5_000);
            if (action < 45 || expected.isEmpty())
            {
                if (!expected.contains(id))
                {
                    assertThat(ids.insert(id)).isTrue();
                    expected.add(id);
                }
            }
            else if (action < 65)
            {
                assertThat(ids.pollFirst()).isEqualTo(expected.pollFirst());
            }
            else if (action < 80)
            {
                assertThat(ids.remove(id)).as("remove %d", id).isEqualTo(expected.remove(id));
            }
            else if (action < 90)
            {
                final long known = expected.ceiling(id) != null ? expected.ceiling(id) : expected.first();
                ids.removeKnown(known);
                expected.remove(known);
            }
            else
            {
                assertThat(ids.contains(id)).isEqualTo(expected.contains(id));
            }
            assertThat(ids.size()).isEqualTo(expected.size());
            assertThat(ids.first()).isEqualTo(expected.isEmpty() ? 0 : expected.first());
        }
        assertThat(ids.ids()).containsExactly(expected.stream().mapToLong(Long::longValue).toArray());
        assertThat(ids.insert(0)).isFalse();
    }
}
