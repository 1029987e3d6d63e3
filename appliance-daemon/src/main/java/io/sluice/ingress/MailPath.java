package io.sluice.ingress;

import java.util.Locale;

import io.sluice.net.MailAddress;

/**
 * The address in {@code MAIL FROM:<...>} or {@code RCPT TO:<...>} (RFC 5321 §4.1.2), with its parameters.
 * Parsing is strict where ambiguity could be abused (angle brackets required, no spaces or controls in
 * the address) and lenient where real clients differ harmlessly (a space after the colon, any case).
 *
 * @param address    the mailbox, {@code local@domain}; empty for the null reverse-path {@code <>}
 * @param parameters the text after the closing bracket, trimmed (e.g. {@code SIZE=1234 BODY=8BITMIME})
 */
record MailPath(String address, String parameters)
{
    /**
     * @param argument the command's argument after the verb, e.g. {@code FROM:<a@b.example> SIZE=10}.
     * @param keyword  {@code FROM} or {@code TO}.
     * @return the parsed path, or null if it is malformed.
     */
    static MailPath parse(final String argument, final String keyword)
    {
        final String trimmed = argument.trim();
        if (trimmed.length() < keyword.length() + 1
            || !trimmed.regionMatches(true, 0, keyword + ":", 0, keyword.length() + 1))
        {
            return null;
        }
        final String rest = trimmed.substring(keyword.length() + 1).stripLeading();
        if (!rest.startsWith("<"))
        {
            return null;
        }
        final int close = rest.indexOf('>');
        if (close < 0)
        {
            return null;
        }
        String address = rest.substring(1, close);
        // A source route (<@relay1,@relay2:user@domain>) is obsolete; RFC 5321 §4.1.2 says to ignore it.
        if (address.startsWith("@"))
        {
            final int colon = address.indexOf(':');
            if (colon < 0)
            {
                return null;
            }
            address = address.substring(colon + 1);
        }
        if (!address.isEmpty() && !isMailbox(address))
        {
            return null;
        }
        return new MailPath(address, rest.substring(close + 1).trim());
    }

    private static boolean isMailbox(final String address)
    {
        final int at = MailAddress.separator(address);
        if (at <= 0 || at == address.length() - 1 || address.length() > 320)
        {
            return false;
        }
        for (int i = 0; i < address.length(); i++)
        {
            final char c = address.charAt(i);
            if (c <= ' ' || c == 0x7F || c == '<' || c == '>')
            {
                return false;
            }
        }
        final String domain = address.substring(at + 1);
        if (domain.startsWith("["))
        {
            return domain.endsWith("]");
        }
        return !domain.startsWith(".") && !domain.endsWith(".") && !domain.contains("..");
    }

    /** @return the domain, lower-cased; empty for the null path. */
    String domain()
    {
        return MailAddress.domain(address).toLowerCase(Locale.ROOT);
    }

    boolean isAscii()
    {
        // A loop, not chars().allMatch: the stream's objects were a visible share of each message's allocations.
        for (int i = 0; i < address.length(); i++)
        {
            if (address.charAt(i) >= 0x80)
            {
                return false;
            }
        }
        return true;
    }
}
