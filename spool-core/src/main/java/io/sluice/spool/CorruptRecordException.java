package io.sluice.spool;

/** A journal record that is torn, truncated or not ours: recovery skips it with a warning, never crashes. */
final class CorruptRecordException extends Exception
{
    private static final long serialVersionUID = 1L;

    CorruptRecordException(final String reason)
    {
        super(reason, null, false, false);
    }
}
