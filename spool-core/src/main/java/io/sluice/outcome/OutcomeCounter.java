package io.sluice.outcome;

import io.sluice.counters.CounterDescriptor;

/**
 * The outcome stage's counters, each with a stable id and a label: ids never change meaning, so a console or a
 * benchmark can read them by id. (They were delivery's counters 11 to 13 and 15 until the outcome stage took over
 * journaling from delivery.)
 */
public enum OutcomeCounter implements CounterDescriptor
{
    OUTCOMES_JOURNALED(0, "recipient outcomes journaled"),
    OUTCOME_RETRIES(1, "outcome journal writes retried after the spool refused them"),
    OUTCOMES_UNJOURNALED(2, "outcomes given up after retries: sent again after drain.inFlightTimeoutMs"),
    FAILURES_REPORTED(3, "failed recipients handed to the bounce policy before they were journaled");

    private final int id;
    private final String label;

    OutcomeCounter(final int id, final String label)
    {
        this.id = id;
        this.label = label;
    }

    @Override
    public int id()
    {
        return id;
    }

    @Override
    public String label()
    {
        return label;
    }
}
