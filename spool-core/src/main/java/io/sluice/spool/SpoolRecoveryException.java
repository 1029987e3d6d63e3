package io.sluice.spool;

/**
 * The journal cannot be recovered without losing pending mail (a cycle file is missing, say). The spool
 * refuses to open rather than start without it; the message says what is wrong and how to proceed.
 */
public final class SpoolRecoveryException extends IllegalStateException
{
    private static final long serialVersionUID = 1L;

    public SpoolRecoveryException(final String message)
    {
        super(message);
    }

    public SpoolRecoveryException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
