package io.sluice.ingress;

import java.util.Locale;

/**
 * The ESMTP parameters of MAIL FROM this server advertises: SIZE (RFC 1870), BODY (RFC 6152) and SMTPUTF8
 * (RFC 6531), and AUTH (RFC 4954 section 5), accepted and not used: the identity it names is the client's word, and
 * the session's own authenticated user is what counts. Anything else is refused with {@code 555 5.5.4}.
 *
 * @param declaredSize the SIZE the client announced, or 0
 * @param smtputf8     the client asked for SMTPUTF8
 * @param eightBitMime the client declared BODY=8BITMIME
 */
record MailParameters(long declaredSize, boolean smtputf8, boolean eightBitMime)
{
    /** @return the parameters, or null if one is unknown, malformed, or given without EHLO. */
    static MailParameters parse(final String text, final boolean esmtp)
    {
        if (text.isEmpty())
        {
            return new MailParameters(0, false, false);
        }
        if (!esmtp)
        {
            return null;
        }
        long size = 0;
        boolean utf8 = false;
        boolean eightBit = false;
        for (final String parameter : text.trim().split("\\s+"))
        {
            final int eq = parameter.indexOf('=');
            final String key = (eq < 0 ? parameter : parameter.substring(0, eq)).toUpperCase(Locale.ROOT);
            final String value = eq < 0 ? null : parameter.substring(eq + 1);
            switch (key)
            {
                case "SIZE" ->
                {
                    if (value == null || value.isEmpty() || value.length() > 18 || !value.chars().allMatch(Character::isDigit))
                    {
                        return null;
                    }
                    size = Long.parseLong(value);
                }
                case "BODY" ->
                {
                    if (!"7BIT".equalsIgnoreCase(value) && !"8BITMIME".equalsIgnoreCase(value))
                    {
                        return null;
                    }
                    eightBit = "8BITMIME".equalsIgnoreCase(value);
                }
                case "AUTH" ->
                {
                    // RFC 4954 section 5: an xtext mailbox or <>; a server that advertises AUTH must accept it.
                    if (value == null || value.isEmpty())
                    {
                        return null;
                    }
                }
                case "SMTPUTF8" ->
                {
                    if (value != null)
                    {
                        return null;
                    }
                    utf8 = true;
                }
                default ->
                {
                    return null;
                }
            }
        }
        return new MailParameters(size, utf8, eightBit);
    }
}
