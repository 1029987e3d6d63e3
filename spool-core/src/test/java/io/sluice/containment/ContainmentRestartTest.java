package io.sluice.containment;

import static io.sluice.containment.ContainmentTesting.context;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.zip.CRC32C;

import io.sluice.drain.ReplySignal;
import io.sluice.spool.Disposition;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.sluice.testing.TestClock;

/**
 * Containment and a real journal across simulated restarts, wired as the daemon wires them: a hold, release or purge
 * journals what {@link Containment#reconcile} or {@link Containment#purgeOutcomes} return, and every start reconciles
 * before anything else.
 */
class ContainmentRestartTest
{
    @TempDir
    Path dir;

    private final TestClock clock = new TestClock();

    /** The daemon's part, minus sockets: a spool, containment, and the listener that journals its decisions. */
    private final class Appliance implements ContainmentListener, AutoCloseable
    {
        final Spool spool;
        final Containment containment;
        final boolean journals;

        Appliance(final boolean journals)
        {
            this.journals = journals;
            spool = Spool.open(new SpoolContext().directory(dir.resolve("spool")).blockSizeBytes(1 << 20)
                .chunkBytes(64 << 10).diskReserveBytes(8 << 20));
            containment = Containment.open(context(clock, dir.resolve("containment.state")), this);
            journal(containment.reconcile(spool.pendingMessages()));
        }

        Appliance()
        {
            this(true);
        }

        void journal(final List<Reconciliation> outcomes)
        {
            if (!journals)
            {
                return;
            }
            for (final Reconciliation outcome : outcomes)
            {
                try
                {
                    spool.recordOutcome(outcome.messageId(), outcome.recipientIndex(), outcome.status()).get();
                }
                catch (final InterruptedException | ExecutionException ex)
                {
                    throw new AssertionError(ex);
                }
            }
        }

        @Override
        public void onHold(final String tenant, final HoldReason reason, final ContainmentFigures figures)
        {
            journal(containment.reconcile(spool.pendingMessages()));
        }

        @Override
        public void onRelease(final String tenant)
        {
            journal(containment.reconcile(spool.pendingMessages()));
        }

        @Override
        public void onPurge(final String tenant, final String note)
        {
            journal(containment.purgeOutcomes(spool.pendingMessages(), tenant));
        }

        long append(final String tenant, final String... recipients) throws Exception
        {
            final Envelope envelope = new Envelope("192.0.2.7", tenant, "mail", "sender@" + tenant + ".test",
                List.of(recipients), clock.millis());
            return spool.append(envelope, ByteBuffer.wrap("Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .get().messageId();
        }

        List<Disposition> dispositions(final long messageId)
        {
            final PendingMessage message = spool.pending(messageId);
            return message == null ? null : message.recipients().stream().map(RecipientStatus::disposition).toList();
        }

        void abuse(final String tenant)
        {
            for (int i = 0; i < 100; i++)
            {
                containment.recordReply(tenant, ReplySignal.POLICY_REJECTED);
            }
            containment.evaluate();
        }

        @Override
        public void close()
        {
            containment.close();
            spool.close();
        }
    }

    @Test
    void shouldKeepAHeldTenantHeldAndItsMailUnsentAcrossARestart() throws Exception
    {
        final long acme;
        final long other;
        try (Appliance appliance = new Appliance())
        {
            acme = appliance.append("acme", "a@example.org", "b@example.org");
            other = appliance.append("other", "c@example.org");
            appliance.spool.recordOutcome(acme, 1, RecipientStatus.deferred(2, clock.millis() + 60_000, "451 later")).get();

            appliance.abuse("acme");

            assertThat(appliance.dispositions(acme)).containsExactly(Disposition.HELD, Disposition.HELD);
            assertThat(appliance.spool.pending(acme).recipients().get(1).attempts()).as("attempts kept").isEqualTo(2);
        }

        try (Appliance restarted = new Appliance())
        {
            assertThat(restarted.containment.state("acme")).isEqualTo(TenantState.HELD);
            assertThat(restarted.containment.view("acme").reason()).isEqualTo(HoldReason.POLICY_REJECTIONS);
            assertThat(restarted.containment.holdingTenants()).containsExactly("acme");
            assertThat(restarted.containment.reconcile(restarted.spool.pendingMessages())).isEmpty();
            assertThat(restarted.dispositions(acme)).containsExactly(Disposition.HELD, Disposition.HELD);
            assertThat(restarted.containment.state("other")).isEqualTo(TenantState.NORMAL);
            assertThat(restarted.dispositions(other)).containsExactly(Disposition.PENDING);
        }
    }

    @Test
    void shouldReleaseAcrossARestartSoTheHeldMailDrainsAgain() throws Exception
    {
        final long acme;
        try (Appliance appliance = new Appliance())
        {
            acme = appliance.append("acme", "a@example.org");
            assertThat(appliance.containment.hold("acme", "complaint")).isTrue();
            assertThat(appliance.dispositions(acme)).containsExactly(Disposition.HELD);
        }
        try (Appliance restarted = new Appliance())
        {
            assertThat(restarted.containment.state("acme")).isEqualTo(TenantState.PAUSED);

            assertThat(restarted.containment.release("acme")).isTrue();

            assertThat(restarted.dispositions(acme)).containsExactly(Disposition.RELEASED);
        }
        try (Appliance again = new Appliance())
        {
            assertThat(again.containment.state("acme")).isEqualTo(TenantState.NORMAL);
            assertThat(again.dispositions(acme)).as("pending and sendable, never lost").containsExactly(Disposition.RELEASED);
        }
    }

    @Test
    void shouldPurgeOnlyWithConfirmationAndOnlyTheHeldTenantsMail() throws Exception
    {
        final long acme;
        final long other;
        try (Appliance appliance = new Appliance())
        {
            acme = appliance.append("acme", "a@example.org", "b@example.org");
            other = appliance.append("other", "c@example.org");
            appliance.abuse("acme");
        }
        try (Appliance restarted = new Appliance())
        {
            assertThatThrownBy(() -> restarted.containment.purge("acme", "other")).isInstanceOf(IllegalArgumentException.class);
            assertThat(restarted.dispositions(acme)).as("an unconfirmed purge removes nothing")
                .containsExactly(Disposition.HELD, Disposition.HELD);

            restarted.containment.purge("acme", "acme");

            assertThat(restarted.spool.pending(acme)).as("purged is final: the message left the spool").isNull();
        }
        try (Appliance again = new Appliance())
        {
            assertThat(again.spool.pending(acme)).isNull();
            assertThat(again.containment.state("acme")).isEqualTo(TenantState.HELD);
            assertThat(again.dispositions(other)).containsExactly(Disposition.PENDING);
        }
    }

    @Test
    void shouldFinishAHoldTheJournalMissedBeforeACrash() throws Exception
    {
        final long acme;
        try (Appliance crashing = new Appliance(false))
        {
            acme = crashing.append("acme", "a@example.org");
            crashing.abuse("acme");
            assertThat(crashing.dispositions(acme)).as("state written, journal not yet").containsExactly(Disposition.PENDING);
        }

        try (Appliance restarted = new Appliance())
        {
            assertThat(restarted.dispositions(acme)).containsExactly(Disposition.HELD);
        }
    }

    @Test
    void shouldHoldAgainFromTheJournalWhenTheStateFileIsLost() throws Exception
    {
        final long acme;
        try (Appliance appliance = new Appliance())
        {
            acme = appliance.append("acme", "a@example.org");
            appliance.abuse("acme");
        }
        Files.delete(dir.resolve("containment.state"));

        try (Appliance restarted = new Appliance())
        {
            assertThat(restarted.containment.state("acme")).isEqualTo(TenantState.HELD);
            assertThat(restarted.containment.view("acme").reason()).isEqualTo(HoldReason.RECOVERED);
            assertThat(restarted.dispositions(acme)).as("never released by a lost file").containsExactly(Disposition.HELD);
            assertThat(restarted.containment.counters().get(ContainmentCounter.HOLDS_RECOVERED)).isEqualTo(1);
        }
        try (Appliance again = new Appliance())
        {
            assertThat(again.containment.view("acme").reason()).as("the recovered hold is in the new file")
                .isEqualTo(HoldReason.RECOVERED);
        }
    }

    @Test
    void shouldSetACorruptStateFileAsideAndRecoverFromTheJournal() throws Exception
    {
        final long acme;
        try (Appliance appliance = new Appliance())
        {
            acme = appliance.append("acme", "a@example.org");
            appliance.abuse("acme");
        }
        final Path file = dir.resolve("containment.state");
        final byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(file, bytes);

        try (Appliance restarted = new Appliance())
        {
            assertThat(restarted.containment.counters().get(ContainmentCounter.STATE_FILE_FAILURES)).isEqualTo(1);
            assertThat(dir.resolve("containment.state.corrupt")).exists();
            assertThat(restarted.containment.state("acme")).isEqualTo(TenantState.HELD);
            assertThat(restarted.dispositions(acme)).containsExactly(Disposition.HELD);
        }
    }

    @Test
    void shouldKeepTheLearnedNormalRateAcrossARestart() throws Exception
    {
        final double learned;
        try (Appliance appliance = new Appliance())
        {
            for (int step = 0; step < 6 * 360; step++)
            {
                clock.advanceMillis(10_000);
                appliance.containment.recordAccepted("acme", 5);
                appliance.containment.evaluate();
            }
            learned = appliance.containment.view("acme").figures().normalRatePerMinute();
            assertThat(learned).isGreaterThan(25);
        }

        try (Appliance restarted = new Appliance())
        {
            assertThat(restarted.containment.view("acme").figures().normalRatePerMinute()).isEqualTo(learned);
            assertThat(restarted.containment.view("acme").figures().messages()).as("windows start afresh").isZero();
        }
    }

    @Test
    void shouldKeepAWarmUpsProgressAcrossARestartSoARestartNeverHandsATenantAFreshOne() throws Exception
    {
        try (Appliance appliance = new Appliance())
        {
            learn(appliance, 40);
            assertThat(appliance.containment.view("acme").figures().baselineEstablished()).isFalse();
        }

        try (Appliance restarted = new Appliance())
        {
            assertThat(restarted.containment.view("acme").figures().baselineEstablished()).isFalse();
            learn(restarted, 25);
            assertThat(restarted.containment.view("acme").figures().baselineEstablished())
                .as("40 + 25 minutes of history: past the one-hour warm-up").isTrue();
            assertThat(restarted.containment.view("acme").figures().normalRatePerMinute()).isCloseTo(30, within(1.0));
        }
    }

    /** Version 1 files (before the warm-up) are still read, and their learned rates count as established. */
    @Test
    void shouldReadAVersionOneStateFile() throws Exception
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(ContainmentStateFile.MAGIC);
        out.writeInt(1);
        out.writeLong(clock.millis());
        out.writeInt(1);
        out.writeUTF("acme");
        out.writeByte(TenantState.NORMAL.ordinal());
        out.writeByte(0xFF);
        out.writeLong(0);
        out.writeUTF("");
        out.writeDouble(42.0);
        final CRC32C crc = new CRC32C();
        crc.update(bytes.toByteArray());
        out.writeInt((int)crc.getValue());
        Files.write(dir.resolve("containment.state"), bytes.toByteArray());

        try (Appliance appliance = new Appliance())
        {
            assertThat(appliance.containment.view("acme").figures().normalRatePerMinute()).isEqualTo(42.0);
            assertThat(appliance.containment.view("acme").figures().baselineEstablished()).isTrue();
        }
    }

    /** 30 messages a minute for {@code minutes}, in 10 s steps. */
    private void learn(final Appliance appliance, final int minutes)
    {
        for (int step = 0; step < minutes * 6; step++)
        {
            clock.advanceMillis(10_000);
            appliance.containment.recordAccepted("acme", 5);
            appliance.containment.evaluate();
        }
    }

    @Test
    void shouldChangeNothingWhenAnOperatorsChangeCannotBeMadeDurable()
    {
        final ContainmentTesting.RecordingListener listener = new ContainmentTesting.RecordingListener();
        final Containment containment =
            Containment.open(context(clock, dir.resolve("missing-directory").resolve("containment.state")), listener);

        assertThatThrownBy(() -> containment.hold("acme", "x")).isInstanceOf(UncheckedIOException.class)
            .hasMessageContaining("did not happen");

        assertThat(containment.state("acme")).isEqualTo(TenantState.NORMAL);
        assertThat(listener.events).isEmpty();
        assertThat(containment.counters().get(ContainmentCounter.STATE_FILE_FAILURES)).isEqualTo(1);
    }
}
