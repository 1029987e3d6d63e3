package io.sluice.admission;

import java.util.Locale;

/**
 * What admission knows of a message's source when it decides, at MAIL FROM and RCPT TO. Buckets are kept per
 * class and key ({@link ClassLimits}), so a network's suspect or demoted mail is throttled hard without touching
 * the clean mail of the same network, and a busy partner is not mistaken for a flood. Ordered from most to least
 * trusted: under spool pressure the classes at the end are tightened first ({@link ClassLimits#pressureCut}).
 */
public enum SourceClass
{
    /** From {@code relay.trustedNetworks}: only its own IP, network and tenant buckets apply. */
    TRUSTED,
    /**
     * A client that authenticated with SMTP AUTH: judged by its user's tenant (its buckets, containment), not by its
     * address's reputation, so a user on a demoted network still sends; the IP, network, sender-domain, tenant and
     * global buckets apply as to any untrusted source, besides the user's own.
     */
    AUTHENTICATED,
    /** A source (address or network) with enough clean deliveries and almost no bad outcomes: the larger buckets. */
    CLEAN,
    /** No history worth the name: a new partner and a new flood look alike until the first outcomes are in. */
    UNKNOWN,
    /** The spoof pattern (forged senders) where its action keeps the mail: the low-rate suspect lane. */
    SUSPECT,
    /**
     * A source or network with a bad record (policy rejections, spoofs, unknown users): every message tempfailed
     * at MAIL FROM until the points decay below the mark, its network's connections tightened.
     */
    DEMOTED;

    /** @return the lower-case name used in settings keys and the console, e.g. {@code demoted}. */
    public String label()
    {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return whether this class has buckets of its own ({@link ClassLimits}): trusted sources have none. */
    public boolean hasBuckets()
    {
        return this == CLEAN || this == UNKNOWN || this == SUSPECT;
    }
}
