package io.sluice.control;

import javax.management.ConstructorParameters;

/**
 * One tenant as containment sees it: its state (NORMAL, HELD by a threshold, PAUSED by an operator's hold), why and
 * since when, and its figures over containment's window: volume and upstream rejection rates. A row of JConsole's
 * table and of {@code sluice tenants}.
 */
public final class TenantRow
{
    private final String tenant;
    private final String state;
    private final String reason;
    private final long sinceMillis;
    private final String note;
    private final long windowSeconds;
    private final long messages;
    private final double ratePerMinute;
    private final double normalRatePerMinute;
    private final long verdicts;
    private final long permanentFailures;
    private final long policyRejections;

    @ConstructorParameters({"tenant", "state", "reason", "sinceMillis", "note", "windowSeconds", "messages", "ratePerMinute",
        "normalRatePerMinute", "verdicts", "permanentFailures", "policyRejections"})
    public TenantRow(final String tenant, final String state, final String reason, final long sinceMillis, final String note,
        final long windowSeconds, final long messages, final double ratePerMinute, final double normalRatePerMinute,
        final long verdicts, final long permanentFailures, final long policyRejections)
    {
        this.tenant = tenant;
        this.state = state;
        this.reason = reason == null ? "" : reason;
        this.sinceMillis = sinceMillis;
        this.note = note == null ? "" : note;
        this.windowSeconds = windowSeconds;
        this.messages = messages;
        this.ratePerMinute = ratePerMinute;
        this.normalRatePerMinute = normalRatePerMinute;
        this.verdicts = verdicts;
        this.permanentFailures = permanentFailures;
        this.policyRejections = policyRejections;
    }

    public String getTenant()
    {
        return tenant;
    }

    /** @return NORMAL, HELD (a threshold was crossed) or PAUSED (an operator's hold). */
    public String getState()
    {
        return state;
    }

    /** @return why it is held; empty when normal. */
    public String getReason()
    {
        return reason;
    }

    /** @return when it was held, epoch milliseconds; 0 when normal. */
    public long getSinceMillis()
    {
        return sinceMillis;
    }

    public String getNote()
    {
        return note;
    }

    public long getWindowSeconds()
    {
        return windowSeconds;
    }

    /** @return messages accepted for the tenant over the window. */
    public long getMessages()
    {
        return messages;
    }

    public double getRatePerMinute()
    {
        return ratePerMinute;
    }

    public double getNormalRatePerMinute()
    {
        return normalRatePerMinute;
    }

    /** @return upstream verdicts on its recipients over the window. */
    public long getVerdicts()
    {
        return verdicts;
    }

    public long getPermanentFailures()
    {
        return permanentFailures;
    }

    public long getPolicyRejections()
    {
        return policyRejections;
    }

    /** @return permanent failures (5xx) over verdicts, 0 without verdicts. */
    public double getPermanentFailureRatio()
    {
        return verdicts == 0 ? 0 : (double)permanentFailures / verdicts;
    }

    /** @return policy rejections (5.7.x) over verdicts, 0 without verdicts. */
    public double getPolicyRejectionRatio()
    {
        return verdicts == 0 ? 0 : (double)policyRejections / verdicts;
    }
}
