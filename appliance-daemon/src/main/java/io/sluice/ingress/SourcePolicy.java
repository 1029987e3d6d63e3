package io.sluice.ingress;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import io.sluice.net.Cidr;

/**
 * Who a client is: whether it may relay anywhere (trusted networks, such as the appliance's own senders),
 * whether its mail is the appliance's system notifications (their own lane, so a customer flood never
 * delays an alert about a suspended route), which tenant it belongs to, which recipient domains anyone
 * may send to (the relay domains), and which senders and recipients are refused outright ({@link EnvelopeRules}).
 * Immutable but for the rules' live lists; shared by every session.
 */
public final class SourcePolicy
{
    public static final String RELAY_DOMAINS = "relay.domains";
    public static final String TRUSTED_NETWORKS = "relay.trustedNetworks";
    public static final String NOTIFICATION_NETWORKS = "relay.notificationNetworks";
    public static final String DEFAULT_TENANT = "default";
    public static final String LANE_MAIL = "mail";
    public static final String LANE_NOTIFICATIONS = "notifications";
    public static final String LANE_SUSPECT = "suspect";

    private final Set<String> relayDomains;
    private final List<Cidr> trustedNetworks;
    private final List<Cidr> notificationNetworks;
    private final Map<String, List<Cidr>> tenantNetworks;
    private final EnvelopeRules rules;

    /** A policy that refuses no sender or recipient by name ({@link EnvelopeRules#none()}). */
    public SourcePolicy(
        final Set<String> relayDomains,
        final List<Cidr> trustedNetworks,
        final List<Cidr> notificationNetworks,
        final Map<String, List<Cidr>> tenantNetworks)
    {
        this(relayDomains, trustedNetworks, notificationNetworks, tenantNetworks, EnvelopeRules.none());
    }

    /**
     * @param relayDomains         domains this appliance accepts mail for from anyone
     * @param trustedNetworks      sources that may send to any domain
     * @param notificationNetworks sources whose mail is the appliance's own notifications
     * @param tenantNetworks       tenant name to its source networks, first match wins
     * @param rules                senders and recipients refused by name
     */
    public SourcePolicy(
        final Set<String> relayDomains,
        final List<Cidr> trustedNetworks,
        final List<Cidr> notificationNetworks,
        final Map<String, List<Cidr>> tenantNetworks,
        final EnvelopeRules rules)
    {
        this.relayDomains = relayDomains.stream().map(d -> d.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        this.trustedNetworks = List.copyOf(trustedNetworks);
        this.notificationNetworks = List.copyOf(notificationNetworks);
        this.tenantNetworks = new LinkedHashMap<>(tenantNetworks);
        this.rules = rules;
    }

    /** @return the senders and recipients refused by name; live, shared with the console. */
    public EnvelopeRules rules()
    {
        return rules;
    }

    public boolean isTrusted(final InetAddress client)
    {
        return matches(trustedNetworks, client);
    }

    public boolean isNotificationSource(final InetAddress client)
    {
        return matches(notificationNetworks, client);
    }

    public String tenantOf(final InetAddress client)
    {
        for (final Map.Entry<String, List<Cidr>> tenant : tenantNetworks.entrySet())
        {
            if (matches(tenant.getValue(), client))
            {
                return tenant.getKey();
            }
        }
        return DEFAULT_TENANT;
    }

    /** @return true if mail to {@code domain} is accepted from an untrusted source (not an open relay). */
    public boolean isRelayDomain(final String domain)
    {
        return relayDomains.contains(domain.toLowerCase(Locale.ROOT));
    }

    public Set<String> relayDomains()
    {
        return relayDomains;
    }

    private static boolean matches(final List<Cidr> networks, final InetAddress client)
    {
        for (final Cidr network : networks)
        {
            if (network.contains(client))
            {
                return true;
            }
        }
        return false;
    }
}
