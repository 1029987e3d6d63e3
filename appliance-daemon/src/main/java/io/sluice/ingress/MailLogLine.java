package io.sluice.ingress;

/**
 * A reused builder for the mail log's per-message line, one per thread (each event loop writes its sessions' lines).
 * SLF4J's parameterised form formatted the accepted-message line with a fresh {@code StringBuilder} that grew twice
 * past its first size, beside the argument array and the boxed counts: about 800 of the 10,600 bytes accepting
 * allocated per message (issue 21, session 7's JFR). Built here, the line costs the one String the log keeps. The line
 * is logged as a whole message without arguments, so braces in an address are written as they came.
 */
final class MailLogLine
{
    /** A builder that grew past this for an odd line is replaced, so a thread does not keep a large one for ever. */
    private static final int KEEP_CHARS = 2048;
    private static final ThreadLocal<StringBuilder> BUILDER = ThreadLocal.withInitial(() -> new StringBuilder(256));

    private MailLogLine()
    {
    }

    /** @return this thread's builder, emptied; only until the caller has made its line a String. */
    static StringBuilder start()
    {
        StringBuilder builder = BUILDER.get();
        if (builder.capacity() > KEEP_CHARS)
        {
            builder = new StringBuilder(256);
            BUILDER.set(builder);
        }
        builder.setLength(0);
        return builder;
    }
}
