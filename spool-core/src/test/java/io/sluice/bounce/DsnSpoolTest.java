package io.sluice.bounce;

import static io.sluice.bounce.BounceTesting.context;
import static io.sluice.bounce.BounceTesting.external;
import static io.sluice.bounce.BounceTesting.failed;
import static io.sluice.bounce.BounceTesting.originalContent;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import io.sluice.spool.AppendResult;
import io.sluice.spool.Disposition;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.sluice.testing.TestClock;

/** The daemon's sequence on a real journal: decide before journaling, append the DSN, journal the final status. */
class DsnSpoolTest
{
    @TempDir
    Path dir;

    private SpoolContext spoolContext()
    {
        return new SpoolContext().directory(dir).blockSizeBytes(1 << 20).chunkBytes(64 << 10).diskReserveBytes(8 << 20);
    }

    @Test
    void shouldSpoolTheDsnAndJournalBothTheFailureAndASuppressionAsFinal() throws Exception
    {
        final TestClock clock = new TestClock();
        final BouncePolicy policy = new BouncePolicy(context(clock));
        final DsnBuilder builder = new DsnBuilder(context(clock));
        try (Spool spool = Spool.open(spoolContext()))
        {
            final ByteBuffer content = originalContent();
            final long legit = spool.append(external(0, "alice@partner.test", "nobody@example.com").envelope(), content)
                .get().messageId();
            final long spoofed = spool.append(external(0, "victim@example.org", "victim@example.org").envelope(),
                originalContent()).get().messageId();

            final PendingMessage legitMessage = spool.pending(legit);
            final BounceDecision send = policy.decide(legitMessage, 0, failed("550 5.1.1 user unknown"));
            final GeneratedMail dsn = builder.build(send, spool.readContent(legit));
            final AppendResult appended = spool.append(dsn.envelope(), dsn.content()).get();
            assertThat(spool.recordOutcome(legit, 0, send.journalStatus()).get()).isTrue();

            final BounceDecision suppress = policy.decide(spool.pending(spoofed), 0, failed("554 5.7.1 malware"));
            assertThat(spool.recordOutcome(spoofed, 0, suppress.journalStatus()).get()).isTrue();

            assertThat(appended.isAccepted()).isTrue();
            assertThat(spool.pending(legit)).as("failed is final: the original left the spool").isNull();
            assertThat(spool.pending(spoofed)).as("suppressed is final too").isNull();
            final PendingMessage queuedDsn = spool.pending(appended.messageId());
            assertThat(queuedDsn.envelope().lane()).isEqualTo("bounces");
            assertThat(queuedDsn.envelope().hasNullSender()).isTrue();
            final ByteBuffer stored = spool.readContent(appended.messageId());
            final byte[] bytes = new byte[stored.remaining()];
            stored.get(bytes);
            assertThat(bytes).isEqualTo(dsn.bytes());
            assertThat(MimeMessage.parse(bytes).parts()).hasSize(3);
            assertThat(suppress.journalStatus()).isEqualTo(new RecipientStatus(Disposition.SUPPRESSED, 1, 0,
                "554 5.7.1 malware [bounce suppressed: SPOOF_PATTERN]"));
        }
    }
}
