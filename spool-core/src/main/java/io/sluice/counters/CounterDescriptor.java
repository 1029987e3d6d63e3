package io.sluice.counters;

/** A counter's stable id (its slot in the counters buffer, never reused for another meaning) and its label. */
public interface CounterDescriptor
{
    int id();

    String label();

    /**
     * @return false for an id kept free because what it counted moved to another stage (ids are never reused), so
     *         consoles and metrics leave it out.
     */
    default boolean inUse()
    {
        return true;
    }
}
