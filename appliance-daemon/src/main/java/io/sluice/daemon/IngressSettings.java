package io.sluice.daemon;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.sluice.ingress.EnvelopeRules;
import io.sluice.ingress.IngressContext;
import io.sluice.ingress.SourcePolicy;
import io.sluice.net.Cidr;

/**
 * Maps the {@code smtp.*}, {@code relay.*} and {@code tenant.*} settings (and {@code admission.blockedSenders}, refused
 * in-session, and what RCPT answers when recipient verification has no verdict) onto the ingress context and source
 * policy.
 */
public final class IngressSettings
{
    /** Settings key pattern for a tenant's source networks. */
    public static final String TENANT_NETWORKS_PATTERN = "tenant\\.[A-Za-z0-9_-]+\\.networks";

    private IngressSettings()
    {
    }

    public static IngressContext context(final DaemonSettings settings)
    {
        return new IngressContext()
            .listen(IngressContext.parseListen(settings.get(IngressContext.LISTEN)))
            .hostname(settings.get(IngressContext.HOSTNAME))
            .proxyProtocol(settings.get(IngressContext.PROXY_PROTOCOL))
            .trustedProxies(cidrs(settings, IngressContext.TRUSTED_PROXIES.key()))
            .maxLineLength(settings.get(IngressContext.MAX_LINE_LENGTH))
            .maxMessageBytes(settings.get(IngressContext.MAX_MESSAGE_BYTES))
            .maxRecipients(settings.get(IngressContext.MAX_RECIPIENTS))
            .maxCommands(settings.get(IngressContext.MAX_COMMANDS))
            .maxBadCommands(settings.get(IngressContext.MAX_BAD_COMMANDS))
            .idleTimeoutMs(settings.get(IngressContext.IDLE_TIMEOUT_MS))
            .dataTimeoutMs(settings.get(IngressContext.DATA_TIMEOUT_MS))
            .maxConnections(settings.get(IngressContext.MAX_CONNECTIONS))
            .maxConnectionsPerIp(settings.get(IngressContext.MAX_CONNECTIONS_PER_IP))
            .eventLoopThreads(settings.get(IngressContext.EVENT_LOOP_THREADS))
            .paused(settings.get(IngressContext.PAUSED))
            .verifyOnUnreachable(settings.get(IngressContext.VERIFY_ON_UNREACHABLE))
            .verifyOnTempfail(settings.get(IngressContext.VERIFY_ON_TEMPFAIL))
            .conclude();
    }

    public static SourcePolicy policy(final DaemonSettings settings)
    {
        final Map<String, List<Cidr>> tenants = new LinkedHashMap<>();
        for (final String key : settings.all().keySet())
        {
            if (key.matches(TENANT_NETWORKS_PATTERN))
            {
                tenants.put(key.substring("tenant.".length(), key.length() - ".networks".length()), cidrs(settings, key));
            }
        }
        return new SourcePolicy(
            list(settings, SourcePolicy.RELAY_DOMAINS),
            cidrs(settings, SourcePolicy.TRUSTED_NETWORKS),
            cidrs(settings, SourcePolicy.NOTIFICATION_NETWORKS),
            tenants,
            EnvelopeRules.of(settings.string(EnvelopeRules.LOCAL_RECIPIENTS), settings.string(EnvelopeRules.BLOCKED_SENDERS)));
    }

    /** @return the comma-separated values of {@code key}, trimmed, empty ones dropped. */
    public static Set<String> list(final DaemonSettings settings, final String key)
    {
        final Set<String> values = new LinkedHashSet<>();
        Arrays.stream(settings.string(key).split(",")).map(String::trim).filter(v -> !v.isEmpty()).forEach(values::add);
        return values;
    }

    public static List<Cidr> cidrs(final DaemonSettings settings, final String key)
    {
        final List<Cidr> cidrs = new ArrayList<>();
        for (final String value : list(settings, key))
        {
            cidrs.add(Cidr.parse(key, value));
        }
        return cidrs;
    }
}
