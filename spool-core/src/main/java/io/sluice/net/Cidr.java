package io.sluice.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

import io.sluice.config.InvalidSettingException;

/**
 * An IPv4 or IPv6 network in CIDR notation ({@code 192.0.2.0/24}, {@code 2001:db8::/32}); a bare address
 * is a /32 or /128. Parsing never resolves names: a setting that is not a literal address is an error.
 */
public final class Cidr
{
    private final byte[] network;
    private final int prefixLength;

    private Cidr(final byte[] network, final int prefixLength)
    {
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /**
     * @param setting the key being parsed, named in the error.
     * @param text    the CIDR text.
     * @throws InvalidSettingException if it is not a literal address with a prefix length that fits it.
     */
    public static Cidr parse(final String setting, final String text)
    {
        final String trimmed = text == null ? "" : text.trim();
        final int slash = trimmed.indexOf('/');
        final String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
        final byte[] bytes = literal(address);
        if (bytes == null)
        {
            throw new InvalidSettingException(setting, text,
                "expected an IP address or CIDR such as 192.0.2.0/24 or 2001:db8::/32");
        }
        final int bits = bytes.length * 8;
        int prefix = bits;
        if (slash >= 0)
        {
            try
            {
                prefix = Integer.parseInt(trimmed.substring(slash + 1));
            }
            catch (final NumberFormatException ex)
            {
                prefix = -1;
            }
            if (prefix < 0 || prefix > bits)
            {
                throw new InvalidSettingException(setting, text, "expected a prefix length from 0 to " + bits);
            }
        }
        return new Cidr(mask(bytes, prefix), prefix);
    }

    /** @return the network of {@code address} with the given prefix, e.g. its /24 or /64. */
    public static Cidr networkOf(final InetAddress address, final int prefixLength)
    {
        return new Cidr(mask(address.getAddress(), prefixLength), prefixLength);
    }

    /**
     * @return the address bytes if {@code text} is a literal IPv4 or IPv6 address, else null; never a DNS lookup.
     *         Runs for every delivered message (its source's reputation), so the IPv4 form is parsed in one pass that
     *         allocates only the result: the streams and split it replaced were ~1.9 KB of garbage per message.
     */
    public static byte[] literal(final String text)
    {
        if (text.isEmpty())
        {
            return null;
        }
        boolean v4 = true;
        boolean v6 = false;
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            if (c == ':')
            {
                v6 = true;
                v4 = false;
            }
            else if (c != '.' && (c < '0' || c > '9'))
            {
                v4 = false;
                if (Character.digit(c, 16) < 0)
                {
                    return null;
                }
            }
        }
        if (v4)
        {
            return ipv4(text);
        }
        if (!v6)
        {
            return null;
        }
        try
        {
            // Safe: a string of hex digits, colons and dots is parsed as a literal, never looked up.
            return InetAddress.getByName(text).getAddress();
        }
        catch (final UnknownHostException ex)
        {
            return null;
        }
    }

    /** @return four dotted decimal parts of 1-3 digits, each up to 255 (text holds only digits and dots), or null. */
    private static byte[] ipv4(final String text)
    {
        final byte[] bytes = new byte[4];
        int part = 0;
        int value = 0;
        int digits = 0;
        for (int i = 0; i <= text.length(); i++)
        {
            final char c = i < text.length() ? text.charAt(i) : '.';
            if (c != '.')
            {
                value = value * 10 + (c - '0');
                digits++;
                continue;
            }
            if (digits == 0 || digits > 3 || value > 255 || part == 4)
            {
                return null;
            }
            bytes[part++] = (byte)value;
            value = 0;
            digits = 0;
        }
        return part == 4 ? bytes : null;
    }

    private static byte[] mask(final byte[] address, final int prefixLength)
    {
        final byte[] masked = address.clone();
        for (int i = 0; i < masked.length; i++)
        {
            final int keep = Math.max(0, Math.min(8, prefixLength - i * 8));
            masked[i] &= (byte)(0xFF << (8 - keep));
        }
        return masked;
    }

    public boolean contains(final InetAddress address)
    {
        final byte[] bytes = address.getAddress();
        if (bytes.length != network.length)
        {
            return false;
        }
        return Arrays.equals(mask(bytes, prefixLength), network);
    }

    /** @return a copy of the network's address bytes, host bits clear. */
    public byte[] networkBytes()
    {
        return network.clone();
    }

    public int prefixLength()
    {
        return prefixLength;
    }

    public boolean isIpv6()
    {
        return network.length == 16;
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof Cidr cidr && cidr.prefixLength == prefixLength && Arrays.equals(cidr.network, network);
    }

    @Override
    public int hashCode()
    {
        return Arrays.hashCode(network) * 31 + prefixLength;
    }

    @Override
    public String toString()
    {
        try
        {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefixLength;
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
