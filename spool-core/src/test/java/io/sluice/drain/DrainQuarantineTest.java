package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import io.sluice.spool.Disposition;
import io.sluice.spool.Envelope;
import io.sluice.spool.MutableClock;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;
import io.sluice.spool.TestMessages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Demotion with {@code drain.demotion.action=quarantine} on a real journal: a network the upstream rejects for policy
 * has its pending mail and its new mail held in the spool (journaled {@code HELD}, {@code quarantine: ...}), not
 * trickled on to the provider; other networks' mail flows; the hold survives a restart; a release sends it.
 */
class DrainQuarantineTest
{
    private static final String FLOOD = "203.0.113.";
    private static final String PARTNER = "198.51.100.";

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(System.currentTimeMillis());
    private final List<CompletableFuture<Boolean>> holds = new ArrayList<>();
    private final List<String> reasons = new ArrayList<>();
    private Spool spool;

    private SpoolContext spoolContext()
    {
        return new SpoolContext().directory(dir).blockSizeBytes(1 << 20).chunkBytes(64 << 10).diskReserveBytes(8 << 20);
    }

    /** What the daemon's quarantine does, minus its log and counters: journal the hold. */
    private void journalHold(final PendingMessage message, final String reason)
    {
        reasons.add(reason);
        holds.add(spool.recordOutcome(message.messageId(), -1,
            new RecipientStatus(Disposition.HELD, 0, 0, QuarantineSink.DETAIL_PREFIX + reason)));
    }

    private long append(final String source) throws Exception
    {
        final Envelope envelope = new Envelope(source, "default", "mail", "s@example.org", List.of("r@protected.example"),
            clock.millis());
        return spool.append(envelope, TestMessages.body(source, 512)).get().messageId();
    }

    private void awaitHolds() throws Exception
    {
        for (final CompletableFuture<Boolean> hold : holds)
        {
            assertThat(hold.get()).isTrue();
        }
    }

    /** Binds the quarantine, loads the empty spool, spools five of the flood's messages and sends them. */
    private void sendFive(final DrainAgent agent, final DrainAgent.DutyCycle thread, final RecordingGateway gateway)
        throws Exception
    {
        agent.quarantineTo(this::journalHold);
        agent.loadFrom(spool);
        for (int i = 1; i <= 5; i++)
        {
            append(FLOOD + i);
        }
        thread.doWork();
        assertThat(gateway.delivered).hasSize(5);
    }

    /** The upstream refuses the five for policy, and the refusals are journaled: the network's demotion. */
    private void rejectFive(final DrainAgent agent, final DrainContext settings, final RecordingGateway gateway)
        throws Exception
    {
        for (final Dispatch dispatch : List.copyOf(gateway.delivered.subList(0, 5)))
        {
            final ReplyOutcome outcome =
                Replies.onReply(agent, settings, dispatch, 0, SmtpReply.parse("554 5.7.1 Malware found"));
            assertThat(spool.recordOutcome(dispatch.messageId(), 0, outcome.status()).get()).isTrue();
        }
    }

    @Test
    void shouldQuarantineADemotedNetworksPendingAndNewMailAndKeepItAcrossARestartUntilReleased() throws Exception
    {
        final RecordingGateway gateway = new RecordingGateway().slots("default", 5);
        final DrainContext agentSettings = new DrainContext().clock(clock);
        final DrainAgent agent = new DrainAgent(agentSettings);
        final DrainAgent.DutyCycle agentThread = agent.deliveringTo(gateway);
        final List<Long> quarantined = new ArrayList<>();
        final List<Long> partner = new ArrayList<>();
        spool = Spool.open(spoolContext(), agent.listener());
        try
        {
            sendFive(agent, agentThread, gateway);
            // Spooled while the first five are out: the mail the drain would otherwise trickle on.
            for (int i = 6; i <= 9; i++)
            {
                quarantined.add(append(FLOOD + i));
            }
            partner.add(append(PARTNER + 1));
            rejectFive(agent, agentSettings, gateway);
            agentThread.doWork();
            // Arriving while the network stays demoted.
            quarantined.add(append(FLOOD + 77));
            partner.add(append(PARTNER + 2));
            gateway.slots("default", 100);
            agentThread.doWork();
            awaitHolds();
            // Past the status interval, so the held count is published.
            clock.advanceMillis(DrainContext.STATUS_INTERVAL_MS.defaultValue());
            agentThread.doWork();

            final List<Long> sent = gateway.delivered.stream().skip(5).map(Dispatch::messageId).collect(Collectors.toList());
            assertThat(sent).as("the other network's mail flows").containsExactlyInAnyOrderElementsOf(partner);
            assertThat(reasons).hasSize(5).allSatisfy(reason -> assertThat(reason)
                .isEqualTo("network 203.0.113.0/24 demoted after 5 policy rejections (5.7.x) upstream"));
            assertThat(quarantined).allSatisfy(id -> assertThat(spool.pending(id).recipients())
                .allSatisfy(status -> assertThat(status.detail()).startsWith(QuarantineSink.DETAIL_PREFIX)));
            assertThat(agent.counters().get(DrainCounter.QUARANTINED)).isEqualTo(5);
            assertThat(agent.status().held()).isEqualTo(5);
            for (final Dispatch dispatch : gateway.delivered.subList(5, gateway.delivered.size()))
            {
                final ReplyOutcome outcome =
                    Replies.onReply(agent, agentSettings, dispatch, 0, SmtpReply.parse("250 2.0.0 Ok"));
                assertThat(spool.recordOutcome(dispatch.messageId(), 0, outcome.status()).get()).isTrue();
            }
        }
        finally
        {
            spool.close();
        }

        final RecordingGateway after = new RecordingGateway().slots("default", 100);
        final DrainContext restartedSettings = new DrainContext().clock(clock);
        final DrainAgent restarted = new DrainAgent(restartedSettings);
        final DrainAgent.DutyCycle restartedThread = restarted.deliveringTo(after);
        spool = Spool.open(spoolContext(), restarted.listener());
        try
        {
            restarted.quarantineTo(this::journalHold);
            restarted.loadFrom(spool);
            restartedThread.doWork();
            assertThat(after.delivered).as("quarantined mail stays home after a restart").isEmpty();
            assertThat(restarted.status().held()).isEqualTo(5);

            final long released = quarantined.get(0);
            assertThat(spool.recordOutcome(released, -1,
                new RecipientStatus(Disposition.RELEASED, 0, 0, QuarantineSink.DETAIL_PREFIX + "released by an operator"))
                .get()).isTrue();
            restartedThread.doWork();
            assertThat(after.delivered).singleElement().satisfies(dispatch ->
            {
                assertThat(dispatch.messageId()).isEqualTo(released);
                assertThat(dispatch.lane()).isEqualTo("mail");
            });
        }
        finally
        {
            spool.close();
        }
    }

    @Test
    void shouldSendDemotedMailToTheSuspectLaneWhenTheActionSaysSo() throws Exception
    {
        final RecordingGateway gateway = new RecordingGateway().slots("default", 5);
        final DrainContext agentSettings = new DrainContext().clock(clock).demotionAction("suspect-lane");
        final DrainAgent agent = new DrainAgent(agentSettings);
        final DrainAgent.DutyCycle agentThread = agent.deliveringTo(gateway);
        spool = Spool.open(spoolContext(), agent.listener());
        try
        {
            sendFive(agent, agentThread, gateway);
            final long pending = append(FLOOD + 6);
            rejectFive(agent, agentSettings, gateway);
            gateway.slots("default", 100);
            agentThread.doWork();

            assertThat(reasons).isEmpty();
            assertThat(gateway.delivered).last().satisfies(dispatch ->
            {
                assertThat(dispatch.messageId()).isEqualTo(pending);
                assertThat(dispatch.lane()).isEqualTo("suspect");
            });
        }
        finally
        {
            spool.close();
        }
    }
}
