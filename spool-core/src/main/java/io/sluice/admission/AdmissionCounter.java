package io.sluice.admission;

import io.sluice.counters.EnumCounters;
import io.sluice.counters.CounterDescriptor;

/**
 * Admission's counters, each with a stable id and a label, in the manner of Aeron's system counters: ids never
 * change meaning, so a console can read them by id. Most count decisions by reason; the SMTP layer counts its
 * own refusals ({@link #TOO_BIG}, {@link #SMUGGLING}, {@link #RELAY_DENIED}, {@link #SENDER_BLOCKED},
 * {@link #RECIPIENT_UNKNOWN}) here too through
 * {@link Admission#record}, so every refusal is in one place. Gauges hold a current value instead and cannot
 * be recorded. {@link EnumCounters} refuses duplicate ids at start-up.
 */
public enum AdmissionCounter implements CounterDescriptor
{
    CONNECTIONS_ACCEPTED(0, "connections accepted", false),
    MESSAGES_ACCEPTED(1, "messages accepted at MAIL FROM", false),
    RECIPIENTS_ACCEPTED(2, "recipients accepted at RCPT TO", false),
    RATE_LIMITED(3, "refused: a token bucket was empty", false),
    BLOCKED(4, "refused: source on the blocklist", false),
    BACKPRESSURE(5, "refused: spool backlog over the watermark", false),
    DISK_FULL(6, "refused: spool disk under its reserve", false),
    PROJECTED_DELAY(7, "refused: projected delay over the bound", false),
    TOO_BIG(8, "refused: message over the size limit", false),
    SMUGGLING(9, "refused: SMTP smuggling attempt (bare LF or CR)", false),
    RELAY_DENIED(10, "refused: relay to a foreign domain", false),
    SPOOF_REFUSED(11, "recipients refused as spoofed", false),
    SPOOF_SUSPECT(12, "recipients accepted as suspected spoof", false),
    TRACKED_KEYS(13, "keys with a token bucket (gauge)", true),
    IDLE_KEYS_EVICTED(14, "keys dropped with every bucket full", false),
    ACTIVE_KEYS_EVICTED(15, "keys dropped with a bucket not full: the table was full of active sources", false),
    BACKPRESSURE_ACTIVE(16, "backpressure on: 1, off: 0 (gauge)", true),
    STATE_SNAPSHOTS_WRITTEN(17, "admission state files written", false),
    STATE_FILE_FAILURES(18, "admission state files that could not be read or written", false),
    SENDER_BLOCKED(19, "refused at MAIL FROM: sender on admission.blockedSenders", false),
    RECIPIENT_UNKNOWN(20, "refused at RCPT TO: not in relay.localRecipients for its domain", false),
    CLASS_LIMITED(21, "refused: the bucket of the message's class (clean, unknown, suspect, demoted) was empty", false),
    PRESSURE_TIGHTENED(22, "refused: the message's class is tightened at this spool pressure", false),
    REPUTATION_KEYS(23, "addresses and networks with a reputation (gauge)", true),
    DEMOTED_REFUSED(24, "refused: source or network demoted by its reputation", false),
    SPOOF_QUARANTINED(25, "recipients accepted as suspected spoof into the quarantine (spoof action QUARANTINE)", false),
    TENANT_RESERVE_KEPT(26, "refused: the tenant's bucket was down to the share kept for established sources", false),
    /** Also counted in {@link #BACKPRESSURE}, which counts every refusal for the backlog. */
    BACKLOG_FULL(27, "refused: spool backlog at its hard limit, trusted sources too", false);

    private final int id;
    private final String label;
    private final boolean gauge;

    AdmissionCounter(final int id, final String label, final boolean gauge)
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
