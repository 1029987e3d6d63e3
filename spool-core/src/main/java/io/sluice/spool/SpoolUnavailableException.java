package io.sluice.spool;

/**
 * An outcome could not be journaled (spool closed, journal I/O failure, disk under half its reserve).
 * Nothing changed: the recipient keeps its previous state, and the caller may record the outcome again.
 */
public final class SpoolUnavailableException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public SpoolUnavailableException(final String message)
    {
        super(message);
    }
}
