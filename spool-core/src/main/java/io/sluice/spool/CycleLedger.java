package io.sluice.spool;

import java.util.Map;
import java.util.TreeMap;

/**
 * Per journal cycle file: how many bytes were written to it and how many of those still belong to pending
 * messages. Retention reads it to decide when the oldest file can go. Writer thread only.
 */
final class CycleLedger
{
    private final Map<Integer, long[]> cycles = new TreeMap<>();

    private long[] stats(final int cycle)
    {
        return cycles.computeIfAbsent(cycle, c -> new long[3]);
    }

    void written(final int cycle, final long bytes)
    {
        stats(cycle)[0] += bytes;
    }

    void live(final int cycle, final long bytes)
    {
        final long[] stats = stats(cycle);
        stats[1]++;
        stats[2] += bytes;
    }

    void dead(final int cycle, final long bytes)
    {
        final long[] stats = stats(cycle);
        stats[1]--;
        stats[2] -= bytes;
    }

    long writtenBytes(final int cycle)
    {
        final long[] stats = cycles.get(cycle);
        return stats == null ? 0 : stats[0];
    }

    long liveMessages(final int cycle)
    {
        final long[] stats = cycles.get(cycle);
        return stats == null ? 0 : stats[1];
    }

    long liveBytes(final int cycle)
    {
        final long[] stats = cycles.get(cycle);
        return stats == null ? 0 : stats[2];
    }

    /** @return bytes written to the files still on disk. */
    long writtenBytesTotal()
    {
        long written = 0;
        for (final long[] stats : cycles.values())
        {
            written += stats[0];
        }
        return written;
    }

    /** @return bytes of the records of pending messages, in every file. */
    long liveBytesTotal()
    {
        long live = 0;
        for (final long[] stats : cycles.values())
        {
            live += stats[2];
        }
        return live;
    }

    /** Receives one cycle's figures. */
    interface Visitor
    {
        void cycle(int cycle, long writtenBytes, long liveMessages, long liveBytes);
    }

    int cycles()
    {
        return cycles.size();
    }

    void forEach(final Visitor visitor)
    {
        for (final Map.Entry<Integer, long[]> entry : cycles.entrySet())
        {
            final long[] stats = entry.getValue();
            visitor.cycle(entry.getKey(), stats[0], stats[1], stats[2]);
        }
    }

    /** Sets the bytes written to a cycle as a checkpoint recorded them (what is live is counted again from its entries). */
    void restoreWritten(final int cycle, final long writtenBytes)
    {
        stats(cycle)[0] = writtenBytes;
    }

    /** Forgets every cycle before {@code firstCycle}: their files are gone. */
    void forgetBefore(final int firstCycle)
    {
        cycles.keySet().removeIf(cycle -> cycle < firstCycle);
    }

    void forget(final int cycle)
    {
        cycles.remove(cycle);
    }
}
