package io.sluice.admission;

/**
 * What a token bucket is keyed on. Every message is charged to one bucket of each kind that applies, most
 * specific first, so the refusal names the narrowest culprit (a botnet has thousands of IPs, so a source's
 * own bucket is not enough; its /24 or /64 and the shared pool need buckets of their own).
 */
public enum KeyKind
{
    /** One client address. */
    IP("admission.ip", "ip"),
    /** The client's network: IPv4 /24, IPv6 /64 by default (one customer's allocation, one botnet's subnet). */
    NETWORK("admission.network", "network"),
    /** The envelope sender's domain; the null sender {@code <>} has none and is never charged here. */
    SENDER_DOMAIN("admission.senderDomain", "sender domain"),
    /** The tenant the SMTP layer mapped the client to (one tenant must not sink the rest). */
    TENANT("admission.tenant", "tenant"),
    /** Everything from outside the trusted networks together: the appliance's own intake ceiling. */
    GLOBAL("admission.global", "global");

    private final String configPrefix;
    private final String label;

    KeyKind(final String configPrefix, final String label)
    {
        this.configPrefix = configPrefix;
        this.label = label;
    }

    /** @return the prefix of this kind's configuration keys, e.g. {@code admission.ip}. */
    public String configPrefix()
    {
        return configPrefix;
    }

    /** @return the words that name this kind in a refusal's detail, e.g. {@code "sender domain"}. */
    public String label()
    {
        return label;
    }

    /**
     * @param traffic what is counted.
     * @return whether a bucket of this kind can limit that traffic: connections are admitted before the sender
     *         or tenant is known, and recipients are admitted without the sender domain.
     */
    public boolean limits(final Traffic traffic)
    {
        return switch (traffic)
        {
            case CONNECTIONS -> this == IP || this == NETWORK;
            case MESSAGES -> true;
            case RECIPIENTS -> this != SENDER_DOMAIN;
        };
    }
}
