package io.sluice.ingress;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;

import io.sluice.admission.Admission;
import io.sluice.ingress.auth.Authenticator;
import io.sluice.ingress.tls.ServerTlsContext;
import io.sluice.spool.Spool;

/**
 * What every session of one listener shares: settings, policy, admission, recipient verification, the spool and the
 * connection caps.
 */
final class IngressServices
{
    private final IngressContext context;
    private final SourcePolicy policy;
    private final Admission admission;
    private final RecipientVerification verification;
    private final Spool spool;
    private final ConnectionLimiter limiter;
    private final Clock clock;
    private final AtomicLong sessions = new AtomicLong();
    private volatile boolean paused;
    private final String sessionPrefix;
    private final QuarantineIntake quarantine;
    private final Authenticator authenticator;
    private final ServerTlsContext tls;
    private final TraceDate traceDate;

    /**
     * @param quarantine    where spoofed mail with the QUARANTINE action is announced; null: it is refused instead.
     * @param tls           the listeners' certificate, or null when none is configured (no STARTTLS, no implicit TLS).
     * @param authenticator SMTP AUTH's users and checks ({@link Authenticator#off()}: AUTH is not offered).
     */
    IngressServices(final IngressContext context, final SourcePolicy policy, final Admission admission,
        final RecipientVerification verification, final Spool spool, final Clock clock, final QuarantineIntake quarantine,
        final ServerTlsContext tls, final Authenticator authenticator)
    {
        this.tls = tls;
        this.quarantine = quarantine;
        this.authenticator = authenticator;
        this.context = context;
        this.policy = policy;
        this.admission = admission;
        this.verification = verification;
        this.spool = spool;
        this.clock = clock;
        this.traceDate = new TraceDate(clock);
        this.limiter = new ConnectionLimiter(context.maxConnections(), context.maxConnectionsPerIp());
        this.sessionPrefix = Long.toHexString(clock.millis() / 1000).toUpperCase(java.util.Locale.ROOT);
        this.paused = context.paused();
    }

    /** @return the Received: header's date, formatted once a second for every session of the listener. */
    TraceDate traceDate()
    {
        return traceDate;
    }

    /** True while an operator has paused ingress: sessions tempfail so senders keep their mail and retry. */
    boolean isPaused()
    {
        return paused;
    }

    void pause(final boolean pause)
    {
        paused = pause;
    }

    IngressContext context()
    {
        return context;
    }

    SourcePolicy policy()
    {
        return policy;
    }

    Admission admission()
    {
        return admission;
    }

    RecipientVerification verification()
    {
        return verification;
    }

    Spool spool()
    {
        return spool;
    }

    ConnectionLimiter limiter()
    {
        return limiter;
    }

    Clock clock()
    {
        return clock;
    }

    /** @return an id for the Received header, unique across restarts (start second + sequence). */
    String nextSessionId()
    {
        return sessionPrefix + "-" + Long.toHexString(sessions.incrementAndGet()).toUpperCase(java.util.Locale.ROOT);
    }

    /** @return SMTP AUTH's users and password checks. */
    Authenticator authenticator()
    {
        return authenticator;
    }

    /** @return where spoofed mail to quarantine is announced, or null when there is no quarantine. */
    QuarantineIntake quarantine()
    {
        return quarantine;
    }

    /** @return the listeners' certificate, or null when none is configured. */
    ServerTlsContext tls()
    {
        return tls;
    }
}
