package io.sluice.spool;

/**
 * Where one recipient of a spooled message stands. A message leaves the spool once every recipient is
 * in a final disposition; until then it is pending and survives any restart.
 */
public enum Disposition
{
    /** Waiting for its first delivery attempt. */
    PENDING(0, false),
    /** A temporary failure; retried no earlier than the status's {@code notBeforeMillis}. */
    DEFERRED(1, false),
    /** Held by containment or an operator: kept, not sent, until released or purged. */
    HELD(2, false),
    /** Released from hold; eligible for delivery again. */
    RELEASED(3, false),
    /** The upstream accepted it. */
    DELIVERED(4, true),
    /** A permanent failure or an expired queue lifetime. */
    FAILED(5, true),
    /** Dropped by policy with its reason journaled (e.g. a bounce that must not be sent). */
    SUPPRESSED(6, true),
    /** Purged by an operator's explicit, confirmed request. */
    PURGED(7, true);

    private static final Disposition[] BY_CODE = values();

    private final byte code;
    private final boolean isFinal;

    Disposition(final int code, final boolean isFinal)
    {
        this.code = (byte)code;
        this.isFinal = isFinal;
    }

    public byte code()
    {
        return code;
    }

    /** @return true when nothing more will happen to the recipient. */
    public boolean isFinal()
    {
        return isFinal;
    }

    /**
     * @param code a journal code.
     * @return the disposition, or null if the code is not one (a corrupt record).
     */
    public static Disposition fromCode(final int code)
    {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
