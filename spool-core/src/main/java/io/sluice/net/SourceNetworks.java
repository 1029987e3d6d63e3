package io.sluice.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

import io.sluice.config.InvalidSettingException;

/**
 * A list of networks and the one question asked of it: is a message's source key (the client's address literal, as
 * ingress journals it) inside one of them? Used where a policy must tell the appliance's own senders from the rest of
 * the world: bounce policy (a trusted sender is not forged) and containment (only trusted senders are a tenant's own
 * sending). Never looks a name up; a source key that is not an address literal (generated mail) is in no network.
 */
public final class SourceNetworks
{
    private static final SourceNetworks NONE = new SourceNetworks(List.of());

    private final List<Cidr> networks;

    private SourceNetworks(final List<Cidr> networks)
    {
        this.networks = List.copyOf(networks);
    }

    /** @return the networks given. */
    public static SourceNetworks of(final List<Cidr> networks)
    {
        return networks.isEmpty() ? NONE : new SourceNetworks(networks);
    }

    /**
     * @param key  the setting parsed, named in an error.
     * @param list comma-separated CIDRs, or empty for none.
     * @throws InvalidSettingException naming the key if an entry is not an address or CIDR.
     */
    public static SourceNetworks parse(final String key, final String list)
    {
        if (list == null)
        {
            throw new InvalidSettingException(key, null, "expected comma-separated CIDRs, or empty");
        }
        final List<Cidr> parsed = new ArrayList<>();
        for (final String entry : list.split(","))
        {
            if (!entry.isBlank())
            {
                parsed.add(Cidr.parse(key, entry.trim()));
            }
        }
        return of(parsed);
    }

    public List<Cidr> list()
    {
        return networks;
    }

    public boolean isEmpty()
    {
        return networks.isEmpty();
    }

    /** @return true if {@code sourceKey} is an address literal inside one of the networks. */
    public boolean contains(final String sourceKey)
    {
        if (networks.isEmpty())
        {
            return false;
        }
        final InetAddress source = literal(sourceKey);
        if (source == null)
        {
            return false;
        }
        for (final Cidr network : networks)
        {
            if (network.contains(source))
            {
                return true;
            }
        }
        return false;
    }

    private static InetAddress literal(final String sourceKey)
    {
        if (sourceKey.isEmpty() || sourceKey.indexOf('/') >= 0)
        {
            return null;
        }
        try
        {
            Cidr.parse("sourceKey", sourceKey);
            // Safe: Cidr.parse accepted it as an address literal, so this parses it and never asks DNS.
            return InetAddress.getByName(sourceKey);
        }
        catch (final InvalidSettingException | UnknownHostException ex)
        {
            return null;
        }
    }
}
