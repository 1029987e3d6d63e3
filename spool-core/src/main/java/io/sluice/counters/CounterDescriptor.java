package io.sluice.counters;

/** A counter's stable id (its slot in the counters buffer, never reused for another meaning) and its label. */
public interface CounterDescriptor
{
    int id();

    String label();
}
