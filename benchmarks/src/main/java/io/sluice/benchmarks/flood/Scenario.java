package io.sluice.benchmarks.flood;

import java.util.Locale;

/**
 * The flood scenarios of the admission issue (issue 12, item 8), each run beside the legitimate partner stream:
 * <ul>
 * <li>{@link #SPOOFED}: a spoofing flood, envelope sender == recipient in the protected domain, malware inside;</li>
 * <li>{@link #SNOWSHOE}: plausible, distinct senders from many domains to the protected domain's mailboxes, no spoof
 *     pattern, malware inside, from the same sources;</li>
 * <li>{@link #UNKNOWN_USERS}: one of those floods plus legitimate messages to recipients the upstream refuses
 *     {@code 550 5.1.1}, whose senders are owed exactly one DSN each (or an in-session refusal);</li>
 * <li>{@link #BULK}: a flood that is neither spoofed nor malicious (issue 17): snowshoe's plausible senders and real
 *     mailboxes, clean content the upstream accepts, so no spoof refusal, no upstream rejection and no demotion
 *     moves it out of the partner's way; the partner's latency rests on admission's buckets and the drain's
 *     fairness alone.</li>
 * </ul>
 */
public enum Scenario
{
    SPOOFED("spoofed"),
    SNOWSHOE("snowshoe"),
    UNKNOWN_USERS("unknown-users"),
    BULK("bulk");

    private final String label;

    Scenario(final String label)
    {
        this.label = label;
    }

    /** @return the name on the command line and in the results */
    public String label()
    {
        return label;
    }

    /**
     * @param label spoofed, snowshoe, unknown-users or bulk
     * @return the scenario
     * @throws IllegalArgumentException naming the value and the choices
     */
    static Scenario of(final String option, final String label)
    {
        for (final Scenario scenario : values())
        {
            if (scenario.label.equals(label.trim().toLowerCase(Locale.ROOT)))
            {
                return scenario;
            }
        }
        throw new IllegalArgumentException(option + " " + label + ": expected spoofed, snowshoe, unknown-users or bulk");
    }
}
