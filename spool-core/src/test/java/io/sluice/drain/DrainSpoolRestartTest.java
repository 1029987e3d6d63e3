package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.sluice.spool.MutableClock;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;
import io.sluice.spool.TestMessages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The drain on a real journal: a restart in the middle of a drain resumes where it was, with nothing sent twice. */
class DrainSpoolRestartTest
{
    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(System.currentTimeMillis());

    private SpoolContext spoolContext()
    {
        return new SpoolContext().directory(dir).blockSizeBytes(1 << 20).chunkBytes(64 << 10).diskReserveBytes(8 << 20);
    }

    @Test
    void shouldResumeADrainAfterRestartWithoutSendingDeliveredMailAgain() throws Exception
    {
        final Set<Long> delivered = new HashSet<>();
        final Set<Long> unanswered = new HashSet<>();
        final RecordingGateway gateway = new RecordingGateway().slots("default", 100);
        final DrainContext settings = new DrainContext().clock(clock);
        final DrainAgent agent = new DrainAgent(settings);
        final DrainAgent.DutyCycle thread = agent.deliveringTo(gateway);
        try (Spool spool = Spool.open(spoolContext(), agent.listener()))
        {
            agent.loadFrom(spool);
            for (int i = 0; i < 20; i++)
            {
                spool.append(TestMessages.envelope("r" + i + "@example.org"), TestMessages.body("m" + i, 2048)).get();
            }
            thread.doWork();
            assertThat(gateway.delivered).hasSize(20);
            for (int i = 0; i < 20; i++)
            {
                final Dispatch dispatch = gateway.delivered.get(i);
                if (i % 2 == 0)
                {
                    final ReplyOutcome outcome = Replies.classify(settings, dispatch, 0, SmtpReply.parse("250 2.0.0 Ok"));
                    agent.onOutcome(dispatch.route(), dispatch.envelope().sourceKey(), outcome);
                    assertThat(spool.recordOutcome(dispatch.messageId(), 0, outcome.status()).get()).isTrue();
                    delivered.add(dispatch.messageId());
                }
                else
                {
                    // Sent, but the process dies before the reply is journaled.
                    unanswered.add(dispatch.messageId());
                }
            }
            clock.advanceMillis(1_000);
            thread.doWork();
            assertThat(agent.status().inFlight()).isEqualTo(10);
        }

        final RecordingGateway after = new RecordingGateway().slots("default", 100);
        final DrainAgent restarted = new DrainAgent(new DrainContext().clock(clock));
        final DrainAgent.DutyCycle restartedThread = restarted.deliveringTo(after);
        try (Spool spool = Spool.open(spoolContext(), restarted.listener()))
        {
            restarted.loadFrom(spool);
            restartedThread.doWork();

            final List<Long> resent = new ArrayList<>();
            after.delivered.forEach(d -> resent.add(d.messageId()));
            assertThat(resent).as("exactly the unanswered ones, at least once").containsExactlyInAnyOrderElementsOf(unanswered);
            assertThat(resent).doesNotContainAnyElementsOf(delivered);
        }
    }
}
