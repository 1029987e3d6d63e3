package io.sluice.containment;

import io.sluice.counters.EnumCounters;
import io.sluice.counters.CounterDescriptor;

/**
 * Containment's counters, each with a stable id and a label, in the manner of Aeron's system counters: ids never
 * change meaning, so a console can read them by id. Gauges hold a current value instead. {@link EnumCounters}
 * refuses duplicate ids at start-up.
 */
public enum ContainmentCounter implements CounterDescriptor
{
    HOLDS_AUTOMATIC(0, "tenants held automatically: a threshold crossed", false),
    HOLDS_VOLUME_SURGE(1, "automatic holds: volume over its normal rate", false),
    HOLDS_POLICY_REJECTIONS(2, "automatic holds: too many 5.7.x policy rejections", false),
    HOLDS_PERMANENT_FAILURES(3, "automatic holds: too many 5xx failures", false),
    HOLDS_OPERATOR(4, "tenants held by an operator", false),
    HOLDS_RECOVERED(5, "tenants held again at start from the journal: state file lost", false),
    RELEASES(6, "tenants released by an operator", false),
    PURGES(7, "held tenants purged by an operator, confirmed", false),
    PURGES_REFUSED(8, "purges refused: no or a wrong confirmation, or tenant not held", false),
    TENANTS_HOLDING(9, "tenants held or paused now (gauge)", true),
    TENANTS_TRACKED(10, "tenants with a window or a learned rate (gauge)", true),
    EVALUATIONS(11, "threshold evaluations run", false),
    STATE_FILES_WRITTEN(12, "containment state files written", false),
    STATE_FILE_FAILURES(13, "containment state files that could not be read or written", false),
    INBOUND_NOT_COUNTED(14, "inbound messages from outside the sending networks: never counted or held", false),
    HOLDS_REFUSED_EVERY_TENANT(15, "automatic holds refused: every sending tenant crossed at once", false);

    private final int id;
    private final String label;
    private final boolean gauge;

    ContainmentCounter(final int id, final String label, final boolean gauge)
    {
        this.id = id;
        this.label = label;
        this.gauge = gauge;
    }

    public int id()
    {
        return id;
    }

    public String label()
    {
        return label;
    }

    /** @return whether this holds a current value rather than counting events. */
    public boolean isGauge()
    {
        return gauge;
    }
}
