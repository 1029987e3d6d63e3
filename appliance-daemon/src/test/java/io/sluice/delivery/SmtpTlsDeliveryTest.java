package io.sluice.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.UnaryOperator;

import io.sluice.drain.DrainCounter;
import io.sluice.spool.Disposition;
import io.sluice.spool.RecipientStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STARTTLS (RFC 3207) and SMTP AUTH (RFC 4954) towards the upstream, against {@link TestSmtpSink} on loopback with
 * certificates made by keytool for the test: mail goes over TLS when it should, a route with {@code tls=required} never
 * sends anything in clear, the password never goes over a clear connection unless allowed, and refused credentials
 * defer the mail as a route problem instead of failing it.
 */
class SmtpTlsDeliveryTest
{
    private static final long RETRY_MS = 60_000;

    @TempDir
    static Path certificateDir;
    private static TestCertificates certificates;

    @TempDir
    Path dir;

    private TestSmtpSink sink;
    private DeliveryHarness harness;

    @BeforeAll
    static void makeCertificates() throws Exception
    {
        certificates = TestCertificates.create(certificateDir);
    }

    @BeforeEach
    void startSink() throws IOException
    {
        sink = TestSmtpSink.start();
    }

    @AfterEach
    void stop() throws IOException
    {
        if (harness != null)
        {
            harness.close();
            assertThat(harness.errors).as("drain duty cycle errors").isEmpty();
        }
        sink.close();
    }

    private DeliveryHarness start(final UnaryOperator<RouteSecurity> security)
    {
        return start(security, d -> d);
    }

    private DeliveryHarness start(final UnaryOperator<RouteSecurity> security, final UnaryOperator<DeliveryContext> more)
    {
        harness = DeliveryHarness.in(dir).target("default", sink.target())
            .drain(d -> d.retryInitialMs(RETRY_MS))
            .delivery(d ->
            {
                security.apply(d.routeSecurity("default"));
                return more.apply(d);
            })
            .start();
        return harness;
    }

    private static RouteSecurity required(final RouteSecurity security)
    {
        return security.tls(RouteSecurity.Tls.REQUIRED).trustStore(certificates.trustStore())
            .trustStorePassword(TestCertificates.PASSWORD);
    }

    private Path passwordFile(final String password) throws IOException
    {
        final Path file = dir.resolve("password-" + password);
        Files.writeString(file, password + "\n", StandardCharsets.UTF_8);
        // As an operator should keep it: readable by the daemon's user only.
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static String message(final String tag)
    {
        return "Subject: " + tag + "\r\n\r\nbody of " + tag + "\r\n";
    }

    @Test
    void shouldDeliverOverStartTlsCheckingTheCertificateAgainstTheTrustStoreAndTheAddress() throws Exception
    {
        sink.tls = certificates.loopbackServer();
        start(SmtpTlsDeliveryTest::required);

        final long id = harness.append(message("secret"), "ann@relay.test");
        harness.awaitFinished(id);

        assertThat(harness.status(id, 0).disposition()).isEqualTo(Disposition.DELIVERED);
        assertThat(sink.received()).singleElement().satisfies(r -> assertThat(r.tls()).as("over TLS").isTrue());
        assertThat(sink.commands()).as("EHLO again after TLS, as RFC 3207 asks")
            .containsSubsequence("1 EHLO client.test", "1 STARTTLS", "1 EHLO client.test", "1 MAIL FROM:<sender@client.test>");
        assertThat(harness.delivery.counters().get(DeliveryCounter.TLS_SESSIONS)).isEqualTo(1);
    }

    @Test
    void shouldNeverSendInClearWhenTlsIsRequired() throws Exception
    {
        start(SmtpTlsDeliveryTest::required);
        final long noStartTls = harness.append(message("no-starttls"), "ann@relay.test");
        harness.awaitAttempts(noStartTls, 1);

        sink.tls = certificates.otherHostServer();
        final long wrongHost = harness.append(message("wrong-host"), "bob@relay.test");
        harness.awaitAttempts(wrongHost, 1);

        sink.tlsGarbage = true;
        sink.tls = null;
        final long brokenTls = harness.append(message("broken-tls"), "cy@relay.test");
        harness.awaitAttempts(brokenTls, 1);

        sink.tlsGarbage = false;
        sink.tlsInjection = true;
        final long injected = harness.append(message("injected"), "dan@relay.test");
        harness.awaitAttempts(injected, 1);

        assertThat(harness.status(noStartTls, 0).detail()).isEqualTo("454 4.7.10 " + sink.target()
            + " does not offer STARTTLS; nothing sent in clear (delivery.route.default.tls=required)");
        assertThat(harness.status(wrongHost, 0).detail()).startsWith("454 4.7.5 TLS handshake with " + sink.target() + " failed")
            .contains("No subject alternative names matching IP address 127.0.0.1")
            .endsWith("nothing sent in clear (delivery.route.default.tls=required)");
        assertThat(harness.status(brokenTls, 0).detail()).startsWith("454 4.7.5 TLS handshake with " + sink.target() + " failed");
        assertThat(harness.status(injected, 0).detail())
            .startsWith("454 4.7.5 " + sink.target() + " sent data after its 220 to STARTTLS, before the TLS handshake");
        for (final long id : new long[] {noStartTls, wrongHost, brokenTls, injected})
        {
            assertThat(harness.status(id, 0).disposition()).as("deferred, never failed").isEqualTo(Disposition.DEFERRED);
        }
        assertThat(sink.transactions()).as("not one MAIL command in clear").isZero();
        assertThat(sink.received()).isEmpty();
        assertThat(harness.failures).isEmpty();
        assertThat(harness.delivery.counters().get(DeliveryCounter.TLS_FAILURES)).isEqualTo(4);
        assertThat(harness.freshStatus().route("default").rateDecreases()).as("a route problem, not throttling").isZero();
    }

    @Test
    void shouldRefuseASelfSignedCertificateWithTheJdksTrustStore() throws Exception
    {
        sink.tls = certificates.loopbackServer();
        start(security -> security.tls(RouteSecurity.Tls.REQUIRED));
        final long id = harness.append(message("self-signed"), "ann@relay.test");
        harness.awaitAttempts(id, 1);

        assertThat(harness.status(id, 0).disposition()).isEqualTo(Disposition.DEFERRED);
        assertThat(harness.status(id, 0).detail()).startsWith("454 4.7.5 TLS handshake with " + sink.target() + " failed")
            .contains("PKIX path building failed");
        assertThat(sink.transactions()).isZero();
    }

    @Test
    void shouldAcceptAnotherHostsCertificateOnlyWithHostNameVerificationOff() throws Exception
    {
        sink.tls = certificates.otherHostServer();
        start(security -> required(security).verifyHostname(false));
        final long id = harness.append(message("other-host"), "ann@relay.test");
        harness.awaitFinished(id);

        assertThat(harness.status(id, 0).disposition()).isEqualTo(Disposition.DELIVERED);
        assertThat(sink.received().get(0).tls()).isTrue();
    }

    @Test
    void shouldEncryptOpportunisticallyWithoutCheckingTheCertificateAndOtherwiseDeliverInClear() throws Exception
    {
        sink.tls = certificates.otherHostServer();
        start(security -> security.tls(RouteSecurity.Tls.OPPORTUNISTIC));
        harness.awaitFinished(harness.append(message("encrypted"), "ann@relay.test"));

        sink.tls = null;
        sink.closeConnections();
        harness.awaitFinished(harness.append(message("clear"), "bob@relay.test"));

        sink.tlsGarbage = true;
        sink.closeConnections();
        final long fallback = harness.append(message("fallback"), "cy@relay.test");
        harness.awaitFinished(fallback);

        assertThat(sink.received()).extracting(TestSmtpSink.Received::tls).containsExactly(true, false, false);
        assertThat(harness.status(fallback, 0)).as("the failed handshake cost no attempt: sent again in clear at once")
            .isEqualTo(RecipientStatus.delivered(1, "250 2.0.0 Ok: queued"));
        assertThat(harness.delivery.counters().get(DeliveryCounter.TLS_FAILURES)).isEqualTo(1);
        assertThat(harness.delivery.counters().get(DeliveryCounter.TLS_SESSIONS)).isEqualTo(1);
    }

    @Test
    void shouldAuthenticateWithPlainOrLoginOverTls() throws Exception
    {
        sink.tls = certificates.loopbackServer();
        sink.authUser = "ann";
        sink.authPassword = "s3cret pass";
        final Path password = passwordFile("s3cret pass");
        start(security -> required(security).credentials("ann", password));
        harness.awaitFinished(harness.append(message("plain"), "bob@relay.test"));

        sink.authMechanisms = "CRAM-MD5 LOGIN";
        sink.closeConnections();
        harness.awaitFinished(harness.append(message("login"), "cy@relay.test"));

        assertThat(sink.authentications()).containsExactly("PLAIN ok tls", "LOGIN ok tls");
        assertThat(sink.received()).extracting(TestSmtpSink.Received::user).containsExactly("ann", "ann");
        assertThat(harness.delivery.counters().get(DeliveryCounter.AUTHENTICATED)).isEqualTo(2);
    }

    @Test
    void shouldDeferAndPauseTheRouteWithoutFailingTheMailWhenTheCredentialsAreRefused() throws Exception
    {
        sink.tls = certificates.loopbackServer();
        sink.authUser = "ann";
        sink.authPassword = "right";
        final Path password = passwordFile("wrong");
        start(security -> required(security).credentials("ann", password), d -> d.reconnectDelayMs(30_000));
        final long first = harness.append(message("refused-1"), "bob@relay.test");
        harness.awaitAttempts(first, 1);

        assertThat(harness.status(first, 0).disposition()).isEqualTo(Disposition.DEFERRED);
        assertThat(harness.status(first, 0).detail()).isEqualTo("454 4.7.8 authentication as ann to " + sink.target()
            + " refused: 535 5.7.8 Authentication credentials invalid"
            + " (delivery.route.default.username, delivery.route.default.passwordFile)");
        assertThat(harness.failures).as("nothing failed, nothing bounced").isEmpty();
        assertThat(harness.delivery.counters().get(DeliveryCounter.AUTH_FAILURES)).isEqualTo(1);
        assertThat(harness.agent.counters().get(DrainCounter.THROTTLE_SIGNALS)).isZero();
        assertThat(sink.transactions()).isZero();
        assertThat(harness.delivery.routeStates().get(0)).as("what the Delivery MXBean shows the operator")
            .startsWith("default: ").contains("PAUSED, next try in ", "454 4.7.8 authentication as ann");

        final long second = harness.append(message("refused-2"), "cy@relay.test");
        harness.freshStatus();
        harness.freshStatus();
        assertThat(harness.status(second, 0)).as("the route waits before it tries again").isEqualTo(RecipientStatus.NEW);
        harness.clock.advanceMillis(30_000);
        harness.awaitAttempts(second, 1);
        assertThat(harness.status(second, 0).detail()).startsWith("454 4.7.8");
        assertThat(sink.authentications()).containsExactly("PLAIN refused tls", "PLAIN refused tls");
    }

    @Test
    void shouldNeverSendThePasswordOverAClearConnectionUnlessAllowed() throws Exception
    {
        sink.authUser = "ann";
        sink.authPassword = "pw";
        final Path password = passwordFile("pw");
        start(security -> security.tls(RouteSecurity.Tls.OPPORTUNISTIC).credentials("ann", password));
        final long id = harness.append(message("held-back"), "bob@relay.test");
        harness.awaitAttempts(id, 1);

        assertThat(harness.status(id, 0).disposition()).isEqualTo(Disposition.DEFERRED);
        assertThat(harness.status(id, 0).detail()).isEqualTo("454 4.7.11 not sending the password of ann to " + sink.target()
            + " over a clear connection (no STARTTLS; delivery.route.default.allowPlaintextAuth=false)");
        assertThat(sink.commands()).noneMatch(c -> c.contains("AUTH"));
        assertThat(sink.authentications()).isEmpty();
    }

    @Test
    void shouldAuthenticateInClearWhenTheRouteAllowsIt() throws Exception
    {
        sink.authUser = "ann";
        sink.authPassword = "pw";
        final Path password = passwordFile("pw");
        start(security -> security.credentials("ann", password).allowPlaintextAuth(true));
        harness.awaitFinished(harness.append(message("clear-auth"), "bob@relay.test"));

        assertThat(sink.authentications()).containsExactly("PLAIN ok clear");
        assertThat(sink.received().get(0).user()).isEqualTo("ann");
    }
}
