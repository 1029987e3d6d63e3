package io.sluice.admission;

import java.util.HashMap;
import java.util.Map;

import io.sluice.net.MailAddress;

/**
 * Recognises the envelope of a backscatter-raising spoofing flood: mail from outside the trusted networks
 * that claims a protected domain as its sender, or whose sender is its own recipient. Immutable.
 */
final class SpoofPolicy
{
    /** RFC 5321 section 4.5.3.1.2: a domain is at most 255 octets. */
    private static final int MAX_DOMAIN_LENGTH = 255;

    private final Map<String, SpoofVerdict> actions;
    private final SpoofVerdict defaultAction;

    /**
     * @param protectedDomains domain (lower case) to its own action, or to null for the default.
     * @param defaultAction    SUSPECT, REFUSE or QUARANTINE.
     */
    SpoofPolicy(final Map<String, SpoofVerdict> protectedDomains, final SpoofVerdict defaultAction)
    {
        this.actions = new HashMap<>();
        protectedDomains.forEach((domain, action) -> actions.put(domain, action == null ? defaultAction : action));
        this.defaultAction = defaultAction;
    }

    SpoofVerdict classify(final boolean fromTrustedNetwork, final String sender, final String recipient)
    {
        if (fromTrustedNetwork || sender == null || sender.isEmpty())
        {
            // The null sender is a bounce; it claims no domain to spoof.
            return SpoofVerdict.PASS;
        }
        final SpoofVerdict domainAction = protectedAction(MailAddress.domainOf(sender));
        if (domainAction != null)
        {
            return domainAction;
        }
        if (recipient != null && sender.equalsIgnoreCase(recipient))
        {
            return defaultAction;
        }
        return SpoofVerdict.PASS;
    }

    /** @return the action of the most specific protected domain that is {@code domain} or a parent of it, else null. */
    private SpoofVerdict protectedAction(final String domain)
    {
        if (actions.isEmpty() || domain.isEmpty())
        {
            return null;
        }
        String candidate = domain;
        while (true)
        {
            final SpoofVerdict action = actions.get(candidate);
            if (action != null)
            {
                return action;
            }
            final int dot = candidate.indexOf('.');
            if (dot < 0)
            {
                return null;
            }
            candidate = candidate.substring(dot + 1);
        }
    }

    /** @return whether {@code domain}, already normalized, can be a domain name (an A-label or a U-label). */
    static boolean isDomain(final String domain)
    {
        if (domain.isEmpty() || domain.length() > MAX_DOMAIN_LENGTH || domain.startsWith(".") || domain.contains(".."))
        {
            return false;
        }
        for (int i = 0; i < domain.length(); i++)
        {
            final char c = domain.charAt(i);
            if (Character.isWhitespace(c) || c == '@' || c == ':' || c == ',' || c == '/' || c == '[' || c == ']')
            {
                return false;
            }
        }
        return true;
    }
}
