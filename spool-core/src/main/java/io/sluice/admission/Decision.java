package io.sluice.admission;

/**
 * One admission decision.
 *
 * @param verdict          the answer
 * @param retryAfterMillis for refusals, when trying again would likely pass (the reply's retry hint); 0 if unknown
 * @param detail           what bit, for the reply text and the log (e.g. {@code "network 198.51.100.0/24"})
 */
public record Decision(Verdict verdict, long retryAfterMillis, String detail)
{
    public static final Decision ACCEPT = new Decision(Verdict.ACCEPT, 0, "");

    public boolean isAccepted()
    {
        return verdict == Verdict.ACCEPT;
    }
}
