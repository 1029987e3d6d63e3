package io.sluice.ingress;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listener's stop, as SIGTERM triggers it, over real sockets: an idle session is told {@code 421 4.3.2} at once,
 * a session in the middle of its DATA finishes it, gets its {@code 250} (the message is durable), then the
 * {@code 421}, and no new connection is taken.
 */
class SmtpShutdownTest
{
    /** Well beyond the stop's grace: a stop that hangs fails the test instead of blocking it. */
    private static final long STOP_SECONDS = TimeUnit.MILLISECONDS.toSeconds(SmtpServer.SHUTDOWN_GRACE_MS) + 10;

    @TempDir
    Path dir;

    @Test
    void shouldFinishTheMessageInProgressThenSay421AndTellIdleSessions421AtOnce() throws Exception
    {
        try (IngressFixture fixture = IngressFixture.start(dir, c -> c);
             SmtpTestClient idle = SmtpTestClient.connect(fixture.address(), "127.0.0.9");
             SmtpTestClient sending = SmtpTestClient.connect(fixture.address(), "127.0.0.10"))
        {
            expect(idle.reply(), "220");
            expect(idle.command("EHLO idle.example"), "250");
            expect(sending.reply(), "220");
            expect(sending.command("EHLO busy.example"), "250");
            expect(sending.command("MAIL FROM:<a@outside.test>"), "250");
            expect(sending.command("RCPT TO:<b@relay.test>"), "250");
            expect(sending.command("DATA"), "354");
            sending.send("Subject: in progress\r\n\r\nfirst half\r\n");

            final CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> fixture.server().close());
            assertThat(idle.reply()).as("between transactions: told at once").startsWith("421 4.3.2");
            sending.send("second half\r\n.\r\n");

            assertThat(sending.reply()).as("the message in progress is finished").startsWith("250 2.0.0 Ok: queued as ");
            assertThat(sending.reply()).startsWith("421 4.3.2");
            assertThat(sending.reply()).as("then the connection closes").isNull();
            stopping.get(STOP_SECONDS, TimeUnit.SECONDS);
            assertThat(fixture.spool().pendingMessages()).hasSize(1);
            assertThat(fixture.server().openConnections()).isZero();
            assertThatThrownBy(() -> SmtpTestClient.connect(fixture.address(), "127.0.0.11"))
                .as("no new connection is taken").isInstanceOf(ConnectException.class);
        }
    }
}
