package io.sluice.delivery;

import io.sluice.counters.EnumCounters;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.sluice.config.InvalidSettingException;
import io.sluice.drain.DrainContext;
import io.sluice.testing.TestClock;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recipient verification against {@link TestSmtpSink} on loopback, over real sockets: the probe is {@code MAIL FROM:<>},
 * {@code RCPT}, {@code RSET} and never DATA; answers are cached for their TTL on a clock the test moves (and nothing is
 * asked again meanwhile: the sink counts every RCPT); the probe budget caps what a flood can make the upstream see; an
 * unreachable or slow upstream leaves recipients unverified at once or at the timeout; a policy refusal or a 4xx is never
 * taken for an unknown user; the route's TLS and AUTH settings hold for probes as for delivery.
 */
class RecipientVerifierTest
{
    @TempDir
    static Path certificateDir;
    private static TestCertificates certificates;

    @TempDir
    Path dir;

    private final TestClock clock = new TestClock();
    private final EnumCounters<DeliveryCounter> counters = new EnumCounters<>(DeliveryCounter.class, "delivery");
    private TestSmtpSink sink;
    private EventLoopGroup loops;
    private ExecutorService io;
    private final List<RecipientVerifier> verifiers = new ArrayList<>();

    @BeforeAll
    static void makeCertificates() throws Exception
    {
        certificates = TestCertificates.create(certificateDir);
    }

    @BeforeEach
    void startSink() throws IOException
    {
        sink = TestSmtpSink.start();
        loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        io = Executors.newSingleThreadExecutor();
    }

    @AfterEach
    void stop() throws IOException
    {
        verifiers.forEach(RecipientVerifier::close);
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        io.shutdownNow();
        sink.close();
    }

    private DeliveryContext delivery(final String target, final UnaryOperator<RouteSecurity> security)
    {
        final DeliveryContext context = new DeliveryContext().heloName("client.test").connectTimeoutMs(5_000)
            .connectionIdleMs(60_000).reconnectDelayMs(60_000).clock(clock)
            .target("default", target).target("notifications", "dir:" + dir.resolve("notifications"));
        security.apply(context.routeSecurity("default"));
        return context.conclude(new DrainContext());
    }

    private RecipientVerifier start(final UnaryOperator<RecipientVerificationContext> settings)
    {
        return start(sink.target(), settings, s -> s);
    }

    private RecipientVerifier start(final String target, final UnaryOperator<RecipientVerificationContext> settings,
        final UnaryOperator<RouteSecurity> security)
    {
        final DeliveryContext context = delivery(target, security);
        final RecipientVerificationContext verification =
            settings.apply(new RecipientVerificationContext().routes(List.of("default")).clock(clock)).conclude(context);
        final RecipientVerifier verifier = new RecipientVerifier(context.routes().get(0), verification, context, "client.test",
            counters, loops.next(), io);
        verifiers.add(verifier);
        return verifier;
    }

    private static ProbeVerdict verdict(final CompletionStage<ProbeVerdict> answer) throws Exception
    {
        return answer.toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    /** @return the RCPT commands the sink received, without their connection numbers. */
    private List<String> rcpts()
    {
        return sink.commands().stream().map(c -> c.substring(c.indexOf(' ') + 1)).filter(c -> c.startsWith("RCPT"))
            .toList();
    }

    @Test
    void shouldAskWithTheNullSenderAndResetNeverSendingData() throws Exception
    {
        final RecipientVerifier verifier = start(s -> s);

        assertThat(verdict(verifier.verify("alice@relay.test"))).isEqualTo(ProbeVerdict.EXISTS);
        // The verdict comes at the RCPT reply, the connection is kept at the RSET reply: asked in between, the pool
        // rightly opens a second one (CI under load did), so the reuse is asked for once the first is kept.
        SpoolAwait.until(() -> verifier.idleConnections() == 1);
        assertThat(verdict(verifier.verify("reject-bob@relay.test"))).isEqualTo(ProbeVerdict.UNKNOWN);

        assertThat(sink.commands()).containsSubsequence("1 MAIL FROM:<>", "1 RCPT TO:<alice@relay.test>", "1 RSET",
            "1 MAIL FROM:<>", "1 RCPT TO:<reject-bob@relay.test>", "1 RSET");
        assertThat(sink.commands()).noneMatch(c -> c.endsWith("DATA"));
        assertThat(sink.received()).isEmpty();
        assertThat(sink.connections()).as("one kept-open connection").isEqualTo(1);
        assertThat(sink.pipelinedTransactions()).as("MAIL, RCPT and RSET in one flush").isEqualTo(2);
        assertThat(counters.get(DeliveryCounter.RECIPIENT_PROBES)).isEqualTo(2);
        assertThat(counters.get(DeliveryCounter.RECIPIENTS_UNKNOWN)).isEqualTo(1);
    }

    @Test
    void shouldAnswerFromTheCacheWithoutAskingAgainUntilEachTtlRunsOut() throws Exception
    {
        final RecipientVerifier verifier = start(s -> s.positiveTtlMs(3_600_000).negativeTtlMs(600_000));
        assertThat(verdict(verifier.verify("alice@relay.test"))).isEqualTo(ProbeVerdict.EXISTS);
        assertThat(verdict(verifier.verify("reject-bob@relay.test"))).isEqualTo(ProbeVerdict.UNKNOWN);

        final CompletionStage<ProbeVerdict> known = verifier.verify("Alice@Relay.Test");
        assertThat(known.toCompletableFuture()).as("a cached answer comes back completed").isDone();
        assertThat(verdict(known)).isEqualTo(ProbeVerdict.EXISTS);
        assertThat(verdict(verifier.verify("reject-bob@relay.test"))).isEqualTo(ProbeVerdict.UNKNOWN);
        assertThat(rcpts()).hasSize(2);
        assertThat(counters.get(DeliveryCounter.RECIPIENT_CACHE_HITS)).isEqualTo(2);
        assertThat(counters.get(DeliveryCounter.RECIPIENTS_UNKNOWN)).as("refusals from the cache count too").isEqualTo(2);

        clock.advance(Duration.ofMinutes(10));
        assertThat(verdict(verifier.verify("reject-bob@relay.test"))).as("negative TTL over").isEqualTo(ProbeVerdict.UNKNOWN);
        assertThat(verdict(verifier.verify("alice@relay.test"))).isEqualTo(ProbeVerdict.EXISTS);
        assertThat(rcpts()).as("only the refusal asked again").hasSize(3).last().isEqualTo("RCPT TO:<reject-bob@relay.test>");

        clock.advance(Duration.ofMinutes(50));
        assertThat(verdict(verifier.verify("alice@relay.test"))).as("positive TTL over").isEqualTo(ProbeVerdict.EXISTS);
        assertThat(rcpts()).hasSize(4).last().isEqualTo("RCPT TO:<alice@relay.test>");
    }

    @Test
    void shouldShareOneProbeAmongSessionsAskingAboutTheSameAddress() throws Exception
    {
        final RecipientVerifier verifier = start(s -> s);
        final List<CompletionStage<ProbeVerdict>> answers = new ArrayList<>();
        for (int i = 0; i < 20; i++)
        {
            answers.add(verifier.verify("reject-carol@relay.test"));
        }
        for (final CompletionStage<ProbeVerdict> answer : answers)
        {
            assertThat(verdict(answer)).isEqualTo(ProbeVerdict.UNKNOWN);
        }
        assertThat(rcpts()).containsExactly("RCPT TO:<reject-carol@relay.test>");
        assertThat(counters.get(DeliveryCounter.RECIPIENTS_UNKNOWN)).isEqualTo(20);
    }

    @Test
    void shouldLeaveRecipientsUnverifiedOverTheProbeBudget() throws Exception
    {
        final RecipientVerifier verifier = start(s -> s.probeBurst(3).probesPerSecond(0.1));
        final List<ProbeVerdict> verdicts = new ArrayList<>();
        for (int i = 0; i < 6; i++)
        {
            verdicts.add(verdict(verifier.verify("reject-random" + i + "@relay.test")));
        }
        assertThat(verdicts).containsExactly(ProbeVerdict.UNKNOWN, ProbeVerdict.UNKNOWN, ProbeVerdict.UNKNOWN,
            ProbeVerdict.UNAVAILABLE, ProbeVerdict.UNAVAILABLE, ProbeVerdict.UNAVAILABLE);
        assertThat(rcpts()).as("what the provider saw of the flood").hasSize(3);
        assertThat(counters.get(DeliveryCounter.RECIPIENT_PROBES_OVER_BUDGET)).isEqualTo(3);
        assertThat(counters.get(DeliveryCounter.RECIPIENTS_UNVERIFIED)).isEqualTo(3);
        assertThat(verdict(verifier.verify("reject-random0@relay.test"))).as("a cached answer costs no budget")
            .isEqualTo(ProbeVerdict.UNKNOWN);

        clock.advance(Duration.ofSeconds(10));
        assertThat(verdict(verifier.verify("reject-random9@relay.test"))).as("one token back after 10 s at 0.1/s")
            .isEqualTo(ProbeVerdict.UNKNOWN);
        assertThat(verdict(verifier.verify("reject-random10@relay.test"))).isEqualTo(ProbeVerdict.UNAVAILABLE);
        assertThat(rcpts()).hasSize(4);
    }

    @Test
    void shouldAnswerAtOnceWhileTheUpstreamIsUnreachableAndAskAgainAfterTheReconnectDelay() throws Exception
    {
        final TestSmtpSink.DownRelay down = sink.goDown();
        // A timeout far beyond the test's wait: the answers must come from the refused connection, not from a deadline.
        final RecipientVerifier verifier = start(s -> s.timeoutMs(120_000));

        assertThat(verdict(verifier.verify("alice@relay.test"))).isEqualTo(ProbeVerdict.UNAVAILABLE);
        assertThat(verdict(verifier.verify("bob@relay.test"))).isEqualTo(ProbeVerdict.UNAVAILABLE);
        assertThat(counters.get(DeliveryCounter.CONNECT_FAILURES)).as("the second did not try again").isEqualTo(1);
        assertThat(counters.get(DeliveryCounter.RECIPIENTS_UNVERIFIED)).isEqualTo(2);
        assertThat(verifier.state()).contains("UNREACHABLE");

        sink = down.comeBack();
        clock.advance(Duration.ofMinutes(1));
        assertThat(verdict(verifier.verify("alice@relay.test"))).as("unverified answers are not cached")
            .isEqualTo(ProbeVerdict.EXISTS);
        assertThat(verifier.state()).doesNotContain("UNREACHABLE");
    }

    @Test
    void shouldLeaveTheRecipientUnverifiedWhenTheUpstreamAnswersTooSlowly() throws Exception
    {
        final RecipientVerifier verifier = start(s -> s.timeoutMs(300));
        sink.replyDelayMs = 2_000;

        assertThat(verdict(verifier.verify("alice@relay.test"))).isEqualTo(ProbeVerdict.UNAVAILABLE);
        assertThat(counters.get(DeliveryCounter.RECIPIENTS_UNVERIFIED)).isEqualTo(1);
    }

    @Test
    void shouldNeverTakeATemporaryOrPolicyRefusalForAnUnknownUser() throws Exception
    {
        final RecipientVerifier verifier = start(s -> s);

        assertThat(verdict(verifier.verify("defer-dan@relay.test"))).isEqualTo(ProbeVerdict.TEMPFAIL);
        assertThat(verdict(verifier.verify("defer-dan@relay.test"))).as("not cached").isEqualTo(ProbeVerdict.TEMPFAIL);
        assertThat(verdict(verifier.verify("policy-eve@relay.test"))).as("550 5.7.1 says nothing about the mailbox")
            .isEqualTo(ProbeVerdict.UNAVAILABLE);
        assertThat(rcpts()).hasSize(3);
        assertThat(counters.get(DeliveryCounter.RECIPIENT_PROBES_TEMPFAILED)).isEqualTo(2);
        assertThat(counters.get(DeliveryCounter.RECIPIENTS_UNKNOWN)).isZero();
    }

    @Test
    void shouldClassifyTheUpstreamsRepliesToRcpt()
    {
        assertThat(RecipientProbe.classify(new UpstreamReply(250, List.of("2.1.5 Ok")))).isEqualTo(ProbeVerdict.EXISTS);
        assertThat(RecipientProbe.classify(new UpstreamReply(550, List.of("5.1.1 no such user"))))
            .isEqualTo(ProbeVerdict.UNKNOWN);
        assertThat(RecipientProbe.classify(new UpstreamReply(550, List.of("no such user")))).isEqualTo(ProbeVerdict.UNKNOWN);
        assertThat(RecipientProbe.classify(new UpstreamReply(554, List.of("5.7.1 relay access denied"))))
            .isEqualTo(ProbeVerdict.UNAVAILABLE);
        assertThat(RecipientProbe.classify(new UpstreamReply(550, List.of("5.1.8 bad sender domain"))))
            .isEqualTo(ProbeVerdict.UNAVAILABLE);
        assertThat(RecipientProbe.classify(new UpstreamReply(450, List.of("4.2.1 mailbox busy"))))
            .isEqualTo(ProbeVerdict.TEMPFAIL);
        assertThat(RecipientProbe.classify(new UpstreamReply(421, List.of("4.7.0 closing")))).isEqualTo(ProbeVerdict.UNAVAILABLE);
    }

    @Test
    void shouldAskOneCommandAtATimeWithoutPipeliningAndFindAClosedConnectionBeforeItCosts() throws Exception
    {
        sink.pipelining = false;
        final RecipientVerifier verifier = start(s -> s);
        assertThat(verdict(verifier.verify("alice@relay.test"))).isEqualTo(ProbeVerdict.EXISTS);
        assertThat(sink.pipelinedTransactions()).isZero();

        // The upstream closes the kept-open connection, as a server's idle timeout does: the next probe finds it dead
        // and asks on a fresh one instead of leaving the recipient unverified.
        sink.closeConnections();
        assertThat(verdict(verifier.verify("reject-bob@relay.test"))).isEqualTo(ProbeVerdict.UNKNOWN);
        assertThat(sink.connections()).isEqualTo(2);
    }

    @Test
    void shouldOpenAFreshConnectionAfterAHandfulOfRefusals() throws Exception
    {
        final RecipientVerifier verifier = start(s -> s);
        for (int i = 0; i < ProbePool.MAX_REFUSALS_PER_CONNECTION + 1; i++)
        {
            assertThat(verdict(verifier.verify("reject-u" + i + "@relay.test"))).isEqualTo(ProbeVerdict.UNKNOWN);
        }
        assertThat(sink.commands()).filteredOn(c -> c.startsWith("1 RCPT")).hasSize(ProbePool.MAX_REFUSALS_PER_CONNECTION);
        assertThat(sink.commands()).contains("1 QUIT", "2 RCPT TO:<reject-u5@relay.test>");
    }

    @Test
    void shouldProbeOverTlsWithTheRoutesCredentials() throws Exception
    {
        sink.tls = certificates.loopbackServer();
        sink.authUser = "ann";
        sink.authPassword = "pw";
        final Path password = dir.resolve("password");
        Files.writeString(password, "pw\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
        final RecipientVerifier verifier = start(sink.target(), s -> s, security -> security.tls(RouteSecurity.Tls.REQUIRED)
            .trustStore(certificates.trustStore()).trustStorePassword(TestCertificates.PASSWORD).credentials("ann", password));

        assertThat(verdict(verifier.verify("alice@relay.test"))).isEqualTo(ProbeVerdict.EXISTS);
        assertThat(sink.authentications()).containsExactly("PLAIN ok tls");
        assertThat(counters.get(DeliveryCounter.TLS_SESSIONS)).isEqualTo(1);
    }

    @Test
    void shouldRefuseSettingsThatCannotWorkNamingTheKey()
    {
        final DeliveryContext delivery = delivery(sink.target(), s -> s);
        assertThatThrownBy(() -> new RecipientVerificationContext().routes(List.of("notifications")).conclude(delivery))
            .isInstanceOf(InvalidSettingException.class).hasMessageStartingWith("recipients.verify.routes=notifications: ")
            .hasMessageContaining("dir:");
        assertThatThrownBy(() -> new RecipientVerificationContext().routes(List.of("nosuch")).conclude(delivery))
            .isInstanceOf(InvalidSettingException.class).hasMessageStartingWith("recipients.verify.routes=nosuch: ");
        assertThatThrownBy(() -> new RecipientVerificationContext().timeoutMs(0).conclude(delivery))
            .isInstanceOf(InvalidSettingException.class).hasMessageStartingWith("recipients.verify.timeoutMs=0: ");
        assertThatThrownBy(() -> new RecipientVerificationContext().negativeTtlMs(-1).conclude(delivery))
            .isInstanceOf(InvalidSettingException.class).hasMessageStartingWith("recipients.verify.negativeTtlMs=-1: ");
        assertThatThrownBy(() -> new RecipientVerificationContext().cacheSize(0).conclude(delivery))
            .isInstanceOf(InvalidSettingException.class).hasMessageStartingWith("recipients.verify.cacheSize=0: ");
        assertThatThrownBy(() -> new RecipientVerificationContext().probesPerSecond(0).conclude(delivery))
            .isInstanceOf(InvalidSettingException.class).hasMessageStartingWith("recipients.verify.probesPerSecond=0.0: ");
        assertThatThrownBy(() -> new RecipientVerificationContext().probeBurst(0).conclude(delivery))
            .isInstanceOf(InvalidSettingException.class).hasMessageStartingWith("recipients.verify.probeBurst=0: ");
        assertThatThrownBy(() -> new RecipientVerificationContext().maxConnections(0).conclude(delivery))
            .isInstanceOf(InvalidSettingException.class).hasMessageStartingWith("recipients.verify.maxConnections=0: ");
    }
}
