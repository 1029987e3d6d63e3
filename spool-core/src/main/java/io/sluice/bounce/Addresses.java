package io.sluice.bounce;

import java.util.Locale;

import io.sluice.net.MailAddress;

/** Envelope address helpers: comparisons are case-insensitive, as every MTA in practice treats mailboxes. */
final class Addresses
{
    /** RFC 5321 section 4.5.3.1.3: a path is at most 256 octets, so an address at most 254. */
    static final int MAX_ADDRESS_LENGTH = 254;

    private Addresses()
    {
    }

    /** @return the address trimmed and in lower case: the key it is compared and stored by. */
    static String normalize(final String address)
    {
        return address.trim().toLowerCase(Locale.ROOT);
    }

    /**
     * @return whether {@code address} can receive a bounce: {@code local@domain} with both parts present, no
     *         whitespace, control characters or angle brackets, within the RFC 5321 length.
     */
    static boolean isMailbox(final String address)
    {
        if (address.isEmpty() || address.length() > MAX_ADDRESS_LENGTH)
        {
            return false;
        }
        final int at = MailAddress.separator(address);
        if (at <= 0 || at == address.length() - 1)
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
        return !domain.startsWith(".") && !domain.contains("..");
    }

    /** @return whether the domain can be a domain name: not empty, no spaces, '@', or empty labels. */
    static boolean isDomain(final String domain)
    {
        if (domain.isEmpty() || domain.length() > 255 || domain.startsWith(".") || domain.contains(".."))
        {
            return false;
        }
        for (int i = 0; i < domain.length(); i++)
        {
            final char c = domain.charAt(i);
            if (c <= ' ' || c == '@' || c == ':' || c == ',' || c == '/' || c == '[' || c == ']' || c == 0x7F)
            {
                return false;
            }
        }
        return true;
    }

    static boolean isAscii(final String text)
    {
        for (int i = 0; i < text.length(); i++)
        {
            if (text.charAt(i) >= 0x80)
            {
                return false;
            }
        }
        return true;
    }
}
