package io.sluice.net;

import java.util.Locale;

/**
 * Splits an envelope address ({@code local@domain}) into its two parts: the one place that decides where the
 * local part ends. The split is at the <em>last</em> {@code @}, because a quoted local part may itself contain
 * one (RFC 5321 section 4.1.2, {@code "a@b"@example.com}) while a domain never does. What makes an address
 * acceptable differs by purpose (an SMTP path, a bounce recipient, a settings entry) and stays with each caller;
 * only the split and the domain's comparison form live here.
 */
public final class MailAddress
{
    private MailAddress()
    {
    }

    /** @return the index of the {@code @} that separates local part and domain, or -1 if there is none. */
    public static int separator(final String address)
    {
        return address.lastIndexOf('@');
    }

    /** @return the text after the separating {@code @} as written; "" if there is no {@code @}. */
    public static String domain(final String address)
    {
        final int at = separator(address);
        return at < 0 ? "" : address.substring(at + 1);
    }

    /** @return the text before the separating {@code @}; the whole text if there is no {@code @}. */
    public static String localPart(final String address)
    {
        final int at = separator(address);
        return at < 0 ? address : address.substring(0, at);
    }

    /** @return the address's domain in the form it is compared by (see {@link #normalizeDomain}); "" if it has none. */
    public static String domainOf(final String address)
    {
        final int at = separator(address);
        return at < 0 ? "" : normalizeDomain(address.substring(at + 1));
    }

    /**
     * @return the domain trimmed, in lower case, without the trailing dot of a fully qualified name: DNS names
     *         compare without case (RFC 4343) and {@code example.com.} is {@code example.com}.
     */
    public static String normalizeDomain(final String domain)
    {
        String normalized = domain.trim().toLowerCase(Locale.ROOT);
        if (normalized.endsWith("."))
        {
            normalized = normalized.substring(0, normalized.length() - 1);
        }
        return normalized;
    }
}
