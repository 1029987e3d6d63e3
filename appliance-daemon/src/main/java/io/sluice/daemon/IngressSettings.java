package io.sluice.daemon;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.sluice.config.InvalidSettingException;
import io.sluice.config.Setting;
import io.sluice.ingress.EnvelopeRules;
import io.sluice.ingress.IngressContext;
import io.sluice.ingress.SourcePolicy;
import io.sluice.ingress.tls.ServerTlsContext;
import io.sluice.ingress.tls.TlsContext;
import io.sluice.net.Cidr;

/**
 * Maps the {@code smtp.*}, {@code submission.*}, {@code relay.*} and {@code tenant.*} settings (and
 * {@code admission.blockedSenders}, refused in-session, and what RCPT answers when recipient verification has no
 * verdict) onto the ingress context, the listeners' TLS and the source policy.
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

    /** The listeners' TLS and the submission listeners ({@code smtp.tls.*}, {@code submission.*}). */
    public static TlsContext tls(final DaemonSettings settings)
    {
        return new TlsContext()
            .certificate(settings.get(TlsContext.CERTIFICATE))
            .key(settings.get(TlsContext.KEY))
            .mode(settings.get(TlsContext.MODE))
            .handshakeTimeoutMs(settings.get(TlsContext.HANDSHAKE_TIMEOUT_MS))
            .submissionListen(optionalListen(settings, TlsContext.SUBMISSION_LISTEN))
            .submissionTlsListen(optionalListen(settings, TlsContext.SUBMISSION_TLS_LISTEN))
            .conclude();
    }

    /** @return the address {@code setting} names, parsed as {@code smtp.listen}'s, or null when it is empty (off). */
    private static InetSocketAddress optionalListen(final DaemonSettings settings, final Setting<String> setting)
    {
        final String text = settings.get(setting);
        return text.isBlank() ? null : IngressContext.parseListen(setting.key(), text);
    }

    /**
     * @return the listeners' certificate, read and checked now, or null when none is configured.
     * @throws InvalidSettingException naming {@code smtp.tls.certificate} when the pair cannot be served.
     */
    public static ServerTlsContext certificate(final TlsContext tls)
    {
        try
        {
            return ServerTlsContext.open(tls, Clock.systemUTC());
        }
        catch (final IllegalArgumentException ex)
        {
            throw TlsContext.CERTIFICATE.invalid(tls.certificate(), "a valid certificate and key pair: " + ex.getMessage());
        }
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
