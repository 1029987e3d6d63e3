package io.sluice.admission;

import java.util.Locale;

/**
 * What the spool learns about a source, as reputation counts it. Each event adds its weight to the source's clean
 * or bad points, for its address and its network alike; both decay ({@link ReputationTable}).
 *
 * <p>The weights are the measured trade-off of the issue that introduced them: a policy rejection or a spoof is
 * the flood's own signature and weighs a full point; an unknown recipient is also what a legitimate sender's typo
 * looks like, so it weighs a quarter; a refused command (a relay attempt, a syntax error) a tenth, since broken
 * clients make those too.
 */
public enum ReputationEvent
{
    /** The upstream accepted a recipient of the source's mail ({@code 2xx}). */
    CLEAN_DELIVERY(1.0, false),
    /** The upstream refused the source's mail for policy ({@code 5.7.x}: malware, spam, blocked). */
    POLICY_REJECTION(1.0, true),
    /** The source sent the spoof pattern (a protected domain forged, or sender equal to recipient). */
    SPOOF(1.0, true),
    /** A recipient that does not exist ({@code 5.1.1}, at RCPT from the local list or from the upstream). */
    UNKNOWN_RECIPIENT(0.25, true),
    /** A command the session refused: relay denied, a bad command, a blocked sender. */
    REFUSED_COMMAND(0.1, true);

    private final double weight;
    private final boolean bad;

    ReputationEvent(final double weight, final boolean bad)
    {
        this.weight = weight;
        this.bad = bad;
    }

    public double weight()
    {
        return weight;
    }

    public boolean isBad()
    {
        return bad;
    }

    /** @return the lower-case words for the console, e.g. {@code policy rejection}. */
    public String label()
    {
        return name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
