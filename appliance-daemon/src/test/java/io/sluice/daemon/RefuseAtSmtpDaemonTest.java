package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.management.MBeanServerConnection;
import javax.management.RuntimeMBeanException;
import javax.management.remote.JMXConnector;

import io.sluice.admission.AdmissionCounter;
import io.sluice.bounce.BounceCounter;
import io.sluice.control.ControlPlane;
import io.sluice.control.ConsoleClient;
import io.sluice.ingress.EnvelopeRules;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.SpoolAwait;
import io.sluice.spool.SpoolCounter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole daemon refuses in-session what it would otherwise accept and bounce: a recipient missing from
 * {@code relay.localRecipients} ({@code 550 5.1.1}, and the daemon picks up an edit of the file by itself), and a
 * sender an operator blocks over JMX ({@code 550 5.7.1} from the next MAIL FROM, still after a restart, until unblocked).
 * Nothing refused reaches the spool, so the bounce policy never has anything to decide.
 */
class RefuseAtSmtpDaemonTest
{
    @TempDir
    Path dir;

    private SluiceDaemon.Configuration configuration(final Path recipients) throws IOException
    {
        return SluiceDaemon.Configuration.of(DaemonSettings.load(null, Map.of(
            "spool.directory", dir.resolve("spool").toString(),
            "smtp.listen", "127.0.0.1:0",
            "relay.domains", "relay.test",
            "relay.localRecipients", recipients.toString())));
    }

    private static String rcpt(final SluiceDaemon daemon, final String from, final String to) throws IOException
    {
        try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), "127.0.0.9"))
        {
            expect(client.reply(), "220");
            expect(client.command("EHLO outside.example"), "250");
            final String mail = client.command("MAIL FROM:<" + from + ">");
            return mail.startsWith("250") ? client.command("RCPT TO:<" + to + ">") : mail;
        }
    }

    @Test
    void shouldRefuseUnknownRecipientsAndBlockedSendersInSession() throws Exception
    {
        final Path recipients = dir.resolve("recipients");
        Files.write(recipients, List.of("alice@relay.test"));
        final SluiceDaemon.Configuration configuration = configuration(recipients);
        try (SluiceDaemon daemon = SluiceDaemon.start(configuration);
             JMXConnector jmx = ConsoleClient.connect(ConsoleClient.socketOf(dir.resolve("spool"))))
        {
            final MBeanServerConnection mbeans = jmx.getMBeanServerConnection();
            assertThat(rcpt(daemon, "a@outside.test", "bob@relay.test")).startsWith("550 5.1.1");
            assertThat(rcpt(daemon, "a@outside.test", "alice@relay.test")).startsWith("250 2.1.5");

            Files.write(recipients, List.of("alice@relay.test", "bob@relay.test"));
            Files.setLastModifiedTime(recipients, FileTime.from(Instant.now().plusSeconds(5)));
            // The maintenance thread looks at the file every 2 s: wait for the rules the sessions read to take the
            // edit (no SMTP tries meanwhile, so the connection limits stay out of it), then prove it over SMTP.
            final EnvelopeRules rules = configuration.sources().rules();
            try
            {
                SpoolAwait.until(() -> !rules.isUnknownRecipient("bob@relay.test"), 30_000);
            }
            catch (final AssertionError notReloaded)
            {
                throw new AssertionError("relay.localRecipients edit not picked up within 30 s", notReloaded);
            }
            assertThat(rcpt(daemon, "a@outside.test", "bob@relay.test")).as("the edited file in force without a restart")
                .startsWith("250 2.1.5");

            mbeans.invoke(ControlPlane.name("Bounces"), "blockSender", new Object[] {"@spam.test"},
                new String[] {"java.lang.String"});
            assertThat(rcpt(daemon, "x@mail.spam.test", "alice@relay.test")).startsWith("550 5.7.1");
            assertThatThrownBy(() -> mbeans.invoke(ControlPlane.name("Bounces"), "blockSender",
                new Object[] {"not a sender"}, new String[] {"java.lang.String"}))
                .isInstanceOf(RuntimeMBeanException.class).hasRootCauseInstanceOf(IllegalArgumentException.class);
            assertThat((String[])mbeans.getAttribute(ControlPlane.name("Bounces"), "BlockedSenders"))
                .containsExactly("spam.test");
            assertThat(daemon.admission().counters().get(AdmissionCounter.RECIPIENT_UNKNOWN)).as("bob, until the edit")
                .isPositive();
            assertThat(daemon.admission().counters().get(AdmissionCounter.SENDER_BLOCKED)).isEqualTo(1);
            assertThat(daemon.spool().counters().get(SpoolCounter.MESSAGES_APPENDED)).isZero();
            assertThat(daemon.bounces().policy().counters().get(BounceCounter.DECISIONS)).isZero();
        }

        try (SluiceDaemon daemon = SluiceDaemon.start(configuration(recipients));
             JMXConnector jmx = ConsoleClient.connect(ConsoleClient.socketOf(dir.resolve("spool"))))
        {
            assertThat(rcpt(daemon, "x@spam.test", "alice@relay.test")).as("still blocked after a restart")
                .startsWith("550 5.7.1");
            assertThat(jmx.getMBeanServerConnection().invoke(ControlPlane.name("Bounces"), "unblockSender",
                new Object[] {"spam.test"}, new String[] {"java.lang.String"})).isEqualTo(true);
            assertThat(rcpt(daemon, "x@spam.test", "alice@relay.test")).startsWith("250 2.1.5");
        }
    }
}
