package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.control.cli.SluiceCommand;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.ingress.auth.AuthCounter;
import io.sluice.ingress.auth.AuthUser;
import io.sluice.ingress.auth.PasswordHash;
import io.sluice.ingress.auth.UsersFile;
import io.sluice.ingress.tls.PemCertificates;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.SpoolAwait;
import io.sluice.testing.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * SMTP AUTH in the running daemon, over real sockets: under TLS (STARTTLS on {@code smtp.listen}, implicit TLS on the
 * submission listener, which takes MAIL only once authenticated, with a certificate the test makes) and on the
 * clear-text-on-loopback path (every test address is loopback): refused in clear by default, allowed on loopback only
 * with the setting, forgotten at STARTTLS; PLAIN and LOGIN; a guesser backed off;
 * the user's tenant for the mail (relay anywhere, containment, the trace header, the mail log); the sender binding;
 * and {@code sluice user} editing the file the daemon reloads. Failures back off on a clock the test moves.
 */
class AuthDaemonTest
{
    private static final String ALICE_PASSWORD = "alice-Pa55word";
    private static final String OUTSIDE = "127.0.5.9";

    @RegisterExtension
    final MailLogCapture mailLog = new MailLogCapture();

    private final TestClock authClock = new TestClock();
    /** Every line any logger writes during the test, to prove no password or base64 line is among them. */
    private final ListAppender<ILoggingEvent> allLogs = new ListAppender<>();
    private final Logger root = (Logger)LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    @TempDir
    Path dir;

    private TestSmtpSink upstream;
    private Path users;

    @BeforeEach
    void start() throws IOException
    {
        upstream = TestSmtpSink.start();
        allLogs.start();
        root.addAppender(allLogs);
        users = dir.resolve("users");
        // The floor of iterations keeps the test quick; the count is read from each line.
        UsersFile.empty(users)
            .withUser(new AuthUser("alice", PasswordHash.of(ALICE_PASSWORD.toCharArray(), PasswordHash.MIN_ITERATIONS), "acme",
                Set.of("acme.example"), null))
            .write();
    }

    @AfterEach
    void stop() throws IOException
    {
        root.detachAppender(allLogs);
        upstream.close();
    }

    private SluiceDaemon daemon(final String... extra) throws IOException
    {
        final Map<String, String> settings = DaemonOnTestClocks.settings(dir, upstream);
        settings.put("auth.usersFile", users.toString());
        for (int i = 0; i < extra.length; i += 2)
        {
            settings.put(extra[i], extra[i + 1]);
        }
        return DaemonOnTestClocks.start(settings, null, null, authClock);
    }

    private static String plain(final String user, final String password)
    {
        return Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static SmtpTestClient connect(final SluiceDaemon daemon, final String from) throws IOException
    {
        final SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), from);
        expect(client.reply(), "220");
        return client;
    }

    private static String ehlo(final SmtpTestClient client) throws IOException
    {
        return expect(client.command("EHLO client.example"), "250");
    }

    @Test
    void shouldRefuseAuthInClearUnlessAllowedOnLoopback() throws Exception
    {
        try (SluiceDaemon daemon = daemon(); SmtpTestClient client = connect(daemon, OUTSIDE))
        {
            assertThat(ehlo(client)).doesNotContain("AUTH");
            assertThat(client.command("AUTH PLAIN " + plain("alice", ALICE_PASSWORD)))
                .isEqualTo("538 5.7.11 Encryption required for requested authentication mechanism");
            assertThat(client.command("MAIL FROM:<a@acme.example>")).startsWith("250");
            assertThat(client.command("RCPT TO:<someone@outside.example>")).as("not authenticated: no relay")
                .startsWith("554 5.7.1");
            assertThat(daemon.authenticator().counters().get(AuthCounter.CLEARTEXT_REFUSED)).isEqualTo(1);
        }
    }

    @Test
    void shouldOfferAuthUnderTlsOnlyAndLetTheSubmissionListenerTakeAuthenticatedMail() throws Exception
    {
        final PemCertificates certificates = new PemCertificates(dir);
        final PemCertificates.Pair pair = certificates.valid("daemon.sluice.test");
        try (SluiceDaemon daemon = daemon("smtp.tls.certificate", pair.certificateFile().toString(),
            "smtp.tls.key", pair.keyFile().toString(), "submission.tlsListen", "127.0.0.1:0"))
        {
            try (SmtpTestClient client = connect(daemon, OUTSIDE))
            {
                assertThat(ehlo(client)).contains("250-STARTTLS").doesNotContain("AUTH");
                client.startTls(certificates.clientContext());
                assertThat(ehlo(client)).contains("250-AUTH PLAIN LOGIN").doesNotContain("STARTTLS");
                expect(client.command("AUTH PLAIN " + plain("alice", ALICE_PASSWORD)), "235 2.7.0");
                expect(client.sendMessage("news@acme.example", "someone@outside.example", "Subject: tls\r\n\r\nover TLS"),
                    "250 2.0.0");
            }
            SpoolAwait.until(() -> upstream.received().size() == 1);
            assertThat(upstream.received().get(0).text()).contains("(authenticated as alice)").contains("with ESMTPSA id");

            try (SmtpTestClient client = SmtpTestClient.connectTls(daemon.smtp().localAddress("submissions"),
                certificates.clientContext()))
            {
                expect(client.reply(), "220");
                assertThat(ehlo(client)).contains("250-AUTH PLAIN LOGIN");
                assertThat(client.command("MAIL FROM:<news@acme.example>")).isEqualTo("530 5.7.0 Authentication required");
                expect(client.command("AUTH PLAIN " + plain("alice", ALICE_PASSWORD)), "235 2.7.0");
                expect(client.command("MAIL FROM:<news@acme.example>"), "250");
            }
        }
    }

    @Test
    void shouldForgetAClearTextAuthenticationAtStartTls() throws Exception
    {
        final PemCertificates certificates = new PemCertificates(dir);
        final PemCertificates.Pair pair = certificates.valid("daemon.sluice.test");
        try (SluiceDaemon daemon = daemon("auth.allowPlaintextOnLoopback", "true",
            "smtp.tls.certificate", pair.certificateFile().toString(), "smtp.tls.key", pair.keyFile().toString());
             SmtpTestClient client = connect(daemon, OUTSIDE))
        {
            ehlo(client);
            expect(client.command("AUTH PLAIN " + plain("alice", ALICE_PASSWORD)), "235");
            client.startTls(certificates.clientContext());
            assertThat(ehlo(client)).as("RFC 3207 section 4.2: the client starts again").contains("250-AUTH PLAIN LOGIN");
            expect(client.command("MAIL FROM:<news@acme.example>"), "250");
            assertThat(client.command("RCPT TO:<someone@outside.example>")).as("no longer authenticated").startsWith("554 5.7.1");
        }
    }

    @Test
    void shouldAuthenticateAndSendAsTheUsersTenantToAnyDomain() throws Exception
    {
        final String blob = plain("alice", ALICE_PASSWORD);
        try (SluiceDaemon daemon = daemon("auth.allowPlaintextOnLoopback", "true");
             SmtpTestClient client = connect(daemon, OUTSIDE))
        {
            assertThat(ehlo(client)).contains("250-AUTH PLAIN LOGIN").endsWith("250 HELP");
            assertThat(client.command("AUTH PLAIN " + blob)).isEqualTo("235 2.7.0 Authentication successful");
            assertThat(client.command("AUTH PLAIN " + blob)).isEqualTo("503 5.5.1 Already authenticated");
            assertThat(ehlo(client)).as("not offered again").doesNotContain("AUTH");
            expect(client.command("MAIL FROM:<news@acme.example> AUTH=<>"), "250");
            expect(client.command("RCPT TO:<someone@outside.example>"), "250");
            expect(client.command("DATA"), "354");
            client.send("Subject: hello\r\n\r\nbody\r\n.\r\n");
            expect(client.reply(), "250 2.0.0");

            SpoolAwait.until(() -> upstream.received().size() == 1);
            final String message = upstream.received().get(0).text();
            assertThat(message).contains("(authenticated as alice)").contains("with ESMTPA id");
            assertThat(mailLog.lines()).anySatisfy(line -> assertThat(line).contains("sasl_username=alice")
                .contains("tenant=acme"));
            assertThat(daemon.authenticator().counters().get(AuthCounter.SUCCEEDED)).isEqualTo(1);
        }
        assertThat(allLogs.list).extracting(ILoggingEvent::getFormattedMessage)
            .noneMatch(line -> line.contains(ALICE_PASSWORD) || line.contains(blob));
    }

    @Test
    void shouldTakeLoginAndAnswerMalformedCancelledAndMisplacedAuth() throws Exception
    {
        try (SluiceDaemon daemon = daemon("auth.allowPlaintextOnLoopback", "true");
             SmtpTestClient client = connect(daemon, OUTSIDE))
        {
            assertThat(client.command("AUTH PLAIN " + plain("alice", ALICE_PASSWORD))).as("before EHLO").startsWith("503");
            ehlo(client);
            assertThat(client.command("AUTH PLAIN ###")).isEqualTo("501 5.5.2 Cannot decode response");
            assertThat(client.command("AUTH LOGIN")).isEqualTo("334 VXNlcm5hbWU6");
            assertThat(client.command("*")).isEqualTo("501 5.0.0 Authentication cancelled");
            assertThat(client.command("AUTH DIGEST-MD5")).isEqualTo("504 5.5.4 Unrecognized authentication type");
            expect(client.command("MAIL FROM:<news@acme.example>"), "250");
            assertThat(client.command("AUTH PLAIN " + plain("alice", ALICE_PASSWORD)))
                .isEqualTo("503 5.5.1 AUTH not permitted during a mail transaction");
            expect(client.command("RSET"), "250");
            assertThat(client.command("AUTH LOGIN")).isEqualTo("334 VXNlcm5hbWU6");
            assertThat(client.command(Base64.getEncoder().encodeToString("alice".getBytes(StandardCharsets.UTF_8))))
                .isEqualTo("334 UGFzc3dvcmQ6");
            assertThat(client.command(Base64.getEncoder().encodeToString(ALICE_PASSWORD.getBytes(StandardCharsets.UTF_8))))
                .isEqualTo("235 2.7.0 Authentication successful");
            assertThat(daemon.authenticator().counters().get(AuthCounter.MALFORMED)).isEqualTo(3);
        }
    }

    @Test
    void shouldBackOffAGuessingAddressAndTheGuessedUser() throws Exception
    {
        try (SluiceDaemon daemon = daemon("auth.allowPlaintextOnLoopback", "true"))
        {
            try (SmtpTestClient guesser = connect(daemon, OUTSIDE))
            {
                ehlo(guesser);
                for (int i = 0; i < 5; i++)
                {
                    assertThat(guesser.command("AUTH PLAIN " + plain("alice", "guess-" + i)))
                        .isEqualTo("535 5.7.8 Authentication credentials invalid");
                }
                assertThat(guesser.command("AUTH PLAIN " + plain("alice", ALICE_PASSWORD))).as("backing off, unchecked")
                    .isEqualTo("454 4.7.0 Temporary authentication failure");
            }
            try (SmtpTestClient owner = connect(daemon, "127.0.6.1"))
            {
                ehlo(owner);
                assertThat(owner.command("AUTH PLAIN " + plain("alice", ALICE_PASSWORD))).as("the guessed user backs off")
                    .isEqualTo("535 5.7.8 Authentication credentials invalid");
            }
            final SluiceRun.Outcome top = SluiceRun.sluice(dir.resolve("spool").resolve("jmx.sock"), "--json", "top");
            assertThat(top.exit()).as(top.err()).isZero();
            assertThat(top.json().get("authFailures").findValuesAsText("key")).contains(OUTSIDE, "alice");
            assertThat(SluiceRun.sluice(dir.resolve("spool").resolve("jmx.sock"), "top").out())
                .containsPattern("address\\s+" + OUTSIDE.replace(".", "\\.") + "\\s+0\\s+until ");
            assertThat(daemon.authenticator().counters().get(AuthCounter.ADDRESS_LOCKED)).isEqualTo(1);
            assertThat(daemon.authenticator().counters().get(AuthCounter.USER_LOCKED)).isEqualTo(1);

            authClock.advance(Duration.ofMinutes(2));
            try (SmtpTestClient owner = connect(daemon, "127.0.6.1"))
            {
                ehlo(owner);
                assertThat(owner.command("AUTH PLAIN " + plain("alice", ALICE_PASSWORD))).as("the back-off is over")
                    .isEqualTo("235 2.7.0 Authentication successful");
            }
        }
        assertThat(allLogs.list).extracting(ILoggingEvent::getFormattedMessage)
            .noneMatch(line -> line.contains("guess-") || line.contains(ALICE_PASSWORD));
    }

    @Test
    void shouldBindTheSenderToTheUsersDomains() throws Exception
    {
        try (SluiceDaemon daemon = daemon("auth.allowPlaintextOnLoopback", "true", "auth.senderBinding", "domain");
             SmtpTestClient client = connect(daemon, OUTSIDE))
        {
            ehlo(client);
            expect(client.command("AUTH PLAIN " + plain("alice", ALICE_PASSWORD)), "235");
            assertThat(client.command("MAIL FROM:<ceo@bank.example>"))
                .isEqualTo("553 5.7.1 Sender address not owned by the authenticated user");
            expect(client.command("MAIL FROM:<news@acme.example>"), "250");
            assertThat(daemon.authenticator().counters().get(AuthCounter.SENDER_REFUSED)).isEqualTo(1);
        }
    }

    @Test
    void shouldHoldAHeldTenantsMailFromItsAuthenticatedUser() throws Exception
    {
        try (SluiceDaemon daemon = daemon("auth.allowPlaintextOnLoopback", "true"))
        {
            assertThat(daemon.containment().hold("acme", "test")).isTrue();
            try (SmtpTestClient client = connect(daemon, OUTSIDE))
            {
                ehlo(client);
                expect(client.command("AUTH PLAIN " + plain("alice", ALICE_PASSWORD)), "235");
                expect(client.sendMessage("news@acme.example", "someone@outside.example", "Subject: held\r\n\r\nheld"),
                    "250 2.0.0");
            }
            try (SmtpTestClient inbound = connect(daemon, "127.0.7.1"))
            {
                ehlo(inbound);
                expect(inbound.sendMessage("partner@partner.example", "user@relay.test", "Subject: in\r\n\r\nin"), "250 2.0.0");
            }
            // The upstream has the message before its outcome is journaled: wait for both.
            SpoolAwait.until(() -> upstream.received().size() == 1 && daemon.spool().pendingCount() == 1);
            assertThat(upstream.received().get(0).from()).as("the other tenant's mail flows")
                .isEqualTo("partner@partner.example");
            final List<PendingMessage> pending = daemon.spool().pendingMessages();
            assertThat(pending).singleElement().satisfies(m ->
            {
                assertThat(m.envelope().tenant()).isEqualTo("acme");
                assertThat(m.envelope().authenticated()).isTrue();
                assertThat(daemon.containment().isSending(m.envelope()))
                    .as("an authenticated user's mail is its tenant's own sending, wherever it connects from").isTrue();
            });
        }
    }

    @Test
    void shouldAddListAndRemoveUsersTheRunningDaemonReloadsAndRefuseABadFile() throws Exception
    {
        try (SluiceDaemon daemon = daemon("auth.allowPlaintextOnLoopback", "true"))
        {
            final Outcome added = user("bob-Pa55word\n", "user", "add", "bob", "--tenant", "other", "--rate", "100/min",
                "--file", users.toString());
            assertThat(added.exit()).as(added.err()).isZero();
            assertThat(added.out()).contains("user bob added");
            final Outcome listed = user("", "--json", "user", "list", "--file", users.toString());
            assertThat(listed.out()).contains("\"name\":\"bob\",\"tenant\":\"other\",\"domains\":[],\"rate\":\"100/min\"")
                .doesNotContain("pbkdf2");
            assertThat(user("again-Pa55\n", "user", "add", "bob", "--tenant", "other", "--file", users.toString()).exit())
                .as("exists already").isEqualTo(SluiceCommand.EXIT_REFUSED);
            assertThat(Files.readString(users)).doesNotContain("bob-Pa55word");

            SpoolAwait.until(() -> daemon.authenticator().users().user("bob") != null, 10_000);
            assertThat(authenticate(daemon, "bob", "bob-Pa55word")).isEqualTo("235 2.7.0 Authentication successful");

            final PasswordHash before = daemon.authenticator().users().user("bob").hash();
            final Outcome changed = user("bob-N3wPassword\n", "user", "passwd", "bob", "--file", users.toString());
            assertThat(changed.exit()).as(changed.err()).isZero();
            SpoolAwait.until(() -> !daemon.authenticator().users().user("bob").hash().equals(before), 10_000);
            assertThat(authenticate(daemon, "bob", "bob-Pa55word")).startsWith("535 5.7.8");
            assertThat(authenticate(daemon, "bob", "bob-N3wPassword")).isEqualTo("235 2.7.0 Authentication successful");
            assertThat(daemon.authenticator().users().user("bob").rate()).as("passwd keeps the rest of the line")
                .isEqualTo(new AuthUser.Rate(100, 60));

            assertThat(user("", "user", "remove", "bob", "--file", users.toString()).exit()).isZero();
            SpoolAwait.until(() -> daemon.authenticator().users().user("bob") == null, 10_000);
            assertThat(authenticate(daemon, "bob", "bob-N3wPassword")).startsWith("535 5.7.8");

            Files.writeString(users, Files.readString(users) + "carol not-a-hash tenant=acme\n");
            SpoolAwait.until(() -> daemon.authenticator().counters().get(AuthCounter.RELOAD_FAILURES) == 1, 10_000);
            assertThat(allLogs.list).extracting(ILoggingEvent::getFormattedMessage).anySatisfy(line ->
                assertThat(line).contains("auth.usersFile refused: " + users + " line 3").contains("stay in force"));
            assertThat(authenticate(daemon, "alice", ALICE_PASSWORD)).as("the old users stay")
                .isEqualTo("235 2.7.0 Authentication successful");
            assertThat(SluiceDaemon.run("--check-config", "--set", "spool.directory=" + dir.resolve("spool2"),
                "--set", "auth.usersFile=" + users)).as("--check-config refuses it too").isEqualTo(SluiceDaemon.EXIT_CONFIG);
        }
    }

    private static String authenticate(final SluiceDaemon daemon, final String user, final String password)
        throws IOException
    {
        try (SmtpTestClient client = connect(daemon, "127.0.8.1"))
        {
            ehlo(client);
            return client.command("AUTH PLAIN " + plain(user, password));
        }
    }

    /** What {@code sluice user} printed, and its exit code. */
    private record Outcome(int exit, String out, String err)
    {
    }

    private static Outcome user(final String stdin, final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = SluiceCommand.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
