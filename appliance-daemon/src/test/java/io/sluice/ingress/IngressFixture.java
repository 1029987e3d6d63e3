package io.sluice.ingress;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

import io.sluice.admission.Admission;
import io.sluice.admission.AdmissionContext;
import io.sluice.daemon.SpoolPressureGauge;
import io.sluice.ingress.tls.ServerTlsContext;
import io.sluice.ingress.tls.TlsContext;
import io.sluice.net.Cidr;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;

/**
 * A real spool, real admission and a real SMTP listener on an ephemeral loopback port: 127.0.0.1 is trusted,
 * {@code relay.test} is the relay domain, every other 127.x.y.z is an outside source.
 */
public final class IngressFixture implements AutoCloseable
{
    private final Spool spool;
    private final Admission admission;
    private final SmtpServer server;

    private IngressFixture(final Spool spool, final Admission admission, final SmtpServer server)
    {
        this.spool = spool;
        this.admission = admission;
        this.server = server;
    }

    public static IngressFixture start(final Path dir, final UnaryOperator<IngressContext> settings)
    {
        return start(dir, settings, a -> a);
    }

    public static IngressFixture start(
        final Path dir, final UnaryOperator<IngressContext> settings, final UnaryOperator<AdmissionContext> admissionSettings)
    {
        return start(dir, settings, admissionSettings, EnvelopeRules.none());
    }

    /** With senders and recipients refused by name. */
    public static IngressFixture start(final Path dir, final EnvelopeRules rules)
    {
        return start(dir, c -> c, a -> a, rules);
    }

    private static IngressFixture start(final Path dir, final UnaryOperator<IngressContext> settings,
        final UnaryOperator<AdmissionContext> admissionSettings, final EnvelopeRules rules)
    {
        return start(dir, settings, admissionSettings, rules, new TlsContext());
    }

    /**
     * With the listeners {@code tls} sets: its certificate (if any) loaded as the daemon does, on the system clock.
     * {@link #server()}'s {@code tls()} is then the reloadable certificate.
     */
    public static IngressFixture startWithTls(final Path dir, final TlsContext tls)
    {
        return start(dir, c -> c, a -> a, EnvelopeRules.none(), tls);
    }

    private static IngressFixture start(final Path dir, final UnaryOperator<IngressContext> settings,
        final UnaryOperator<AdmissionContext> admissionSettings, final EnvelopeRules rules, final TlsContext tls)
    {
        final Spool spool = Spool.open(new SpoolContext().directory(dir.resolve("spool")).blockSizeBytes(1 << 20)
            .chunkBytes(64 << 10).diskReserveBytes(8 << 20));
        final Admission admission = Admission.open(
            admissionSettings.apply(new AdmissionContext().stateFile(dir.resolve("admission.state"))
                .protectedDomains("relay.test")), new SpoolPressureGauge(spool));
        final SourcePolicy policy = new SourcePolicy(Set.of("relay.test"), List.of(Cidr.parse("test", "127.0.0.1/32")),
            List.of(), Map.of("acme", List.of(Cidr.parse("test", "127.0.1.0/24"))), rules);
        final IngressContext context = settings.apply(new IngressContext()
            .listen(new InetSocketAddress("127.0.0.1", 0)).hostname("sluice.test").eventLoopThreads(2));
        final ServerTlsContext certificate;
        try
        {
            certificate = ServerTlsContext.open(tls.conclude(), Clock.systemUTC());
        }
        catch (final RuntimeException ex)
        {
            admission.close();
            spool.close();
            throw ex;
        }
        return new IngressFixture(spool, admission, SmtpServer.start(context, policy, admission, RecipientVerification.NONE,
            spool, Clock.systemUTC(), null, tls, certificate));
    }

    public InetSocketAddress address()
    {
        return server.localAddress();
    }

    public Spool spool()
    {
        return spool;
    }

    public Admission admission()
    {
        return admission;
    }

    public SmtpServer server()
    {
        return server;
    }

    @Override
    public void close()
    {
        server.close();
        admission.close();
        spool.close();
    }
}
