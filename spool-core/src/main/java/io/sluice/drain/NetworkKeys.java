package io.sluice.drain;

import io.sluice.config.InvalidSettingException;
import io.sluice.net.Cidr;

/**
 * Groups admission source keys by network: an IPv4 address by its {@code drain.networkPrefixV4} network (a /24
 * by default), an IPv6 address by its {@code drain.networkPrefixV6} (a /64), anything else (a host name, a
 * local submitter's key) stands alone. Never resolves a name.
 */
final class NetworkKeys
{
    private final int prefixV4;
    private final int prefixV6;

    NetworkKeys(final int prefixV4, final int prefixV6)
    {
        this.prefixV4 = prefixV4;
        this.prefixV6 = prefixV6;
    }

    /** @return the key of the network {@code sourceKey} belongs to, e.g. {@code 198.51.100.0/24}. */
    String networkOf(final String sourceKey)
    {
        final int v4 = parseIpv4(sourceKey);
        if (v4 != -1 || "255.255.255.255".equals(sourceKey))
        {
            final int mask = prefixV4 == 0 ? 0 : -1 << (32 - prefixV4);
            final int network = v4 & mask;
            return (network >>> 24) + "." + ((network >>> 16) & 0xFF) + "." + ((network >>> 8) & 0xFF) + "." + (network & 0xFF)
                + "/" + prefixV4;
        }
        if (sourceKey.indexOf(':') >= 0)
        {
            try
            {
                return Cidr.parse("sourceKey", sourceKey + "/" + prefixV6).toString();
            }
            catch (final InvalidSettingException ex)
            {
                return sourceKey;
            }
        }
        return sourceKey;
    }

    /** @return the address as an int, or -1 if it is not a dotted-quad IPv4 literal (or is 255.255.255.255). */
    static int parseIpv4(final String text)
    {
        final int length = text.length();
        if (length < 7 || length > 15)
        {
            return -1;
        }
        int address = 0;
        int octet = -1;
        int dots = 0;
        for (int i = 0; i < length; i++)
        {
            final char c = text.charAt(i);
            if (c >= '0' && c <= '9')
            {
                octet = octet < 0 ? c - '0' : octet * 10 + (c - '0');
                if (octet > 255)
                {
                    return -1;
                }
            }
            else if (c == '.' && octet >= 0 && dots < 3)
            {
                address = (address << 8) | octet;
                octet = -1;
                dots++;
            }
            else
            {
                return -1;
            }
        }
        if (dots != 3 || octet < 0)
        {
            return -1;
        }
        return (address << 8) | octet;
    }
}
