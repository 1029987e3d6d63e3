package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;

import io.sluice.spool.Disposition;
import io.sluice.spool.MutableClock;
import io.sluice.spool.PendingMessage;
import org.junit.jupiter.api.Test;

/** The drain thread's duty cycle, driven by hand: events cross threads through its queue, dispatches go out by capacity. */
class DrainAgentTest
{
    private final MutableClock clock = new MutableClock(SimulatedDrain.START_MILLIS);
    private final RecordingGateway gateway = new RecordingGateway().slots("default", 5).slots("notifications", 5);
    private final DrainContext settings = new DrainContext().clock(clock);
    private final DrainAgent agent = new DrainAgent(settings);
    /** The drain thread's agent: each doWork() is one duty cycle, run here on the test's thread. */
    private final DrainAgent.DutyCycle thread = agent.deliveringTo(gateway);

    @Test
    void shouldApplySpoolEventsOnItsOwnThreadAndDispatchWithinCapacity() throws Exception
    {
        CompletableFuture.runAsync(() ->
        {
            for (int i = 0; i < 10; i++)
            {
                agent.listener().onAccepted(Mail.from("192.0.2." + i));
            }
        }).get();
        assertThat(gateway.delivered).as("nothing happens off the drain thread").isEmpty();

        assertThat(thread.doWork()).isPositive();
        assertThat(gateway.delivered).as("five free connections").hasSize(5);

        gateway.slots("default", 10);
        thread.doWork();
        assertThat(gateway.delivered).hasSize(10);
        assertThat(agent.counters().get(DrainCounter.DISPATCHES)).isEqualTo(10);
    }

    @Test
    void shouldTakeOutcomesFromAnyThreadAndFeedThemBackOnTheDrainThread() throws Exception
    {
        agent.listener().onAccepted(Mail.from("192.0.2.1"));
        thread.doWork();
        final Dispatch dispatch = gateway.delivered.get(0);

        final ReplyOutcome outcome = Replies.classify(settings, dispatch, 0, SmtpReply.parse("421 4.7.0 slow down"));
        CompletableFuture.runAsync(() -> agent.onOutcome(dispatch.route(), dispatch.envelope().sourceKey(), outcome)).get();

        assertThat(outcome.status().disposition()).isEqualTo(Disposition.DEFERRED);
        assertThat(agent.counters().get(DrainCounter.THROTTLE_SIGNALS)).isZero();
        clock.advanceMillis(DrainContext.STATUS_INTERVAL_MS.defaultValue());
        thread.doWork();
        assertThat(agent.counters().get(DrainCounter.THROTTLE_SIGNALS)).isEqualTo(1);
        assertThat(agent.status().route("default").effectiveRatePerSec())
            .as("nothing measured: the cut is the decrease factor's, held 3 % under").isCloseTo(97, within(1e-9));
    }

    @Test
    void shouldPublishStatusForAdmissionAtTheInterval()
    {
        for (int i = 0; i < 400; i++)
        {
            agent.listener().onAccepted(Mail.from("192.0.2." + (i % 100)));
        }
        thread.doWork();
        assertThat(agent.status().ready()).as("not yet published").isZero();

        clock.advanceMillis(DrainContext.STATUS_INTERVAL_MS.defaultValue());
        thread.doWork();

        assertThat(agent.status().ready()).isEqualTo(400 - 5);
        assertThat(agent.status().inFlight()).isEqualTo(5);
        assertThat(agent.projectedDelayMillis("mail")).isPositive();
    }

    @Test
    void shouldPauseAndResumeThroughTheQueue()
    {
        agent.pauseTenant("default");
        agent.listener().onAccepted(Mail.from("192.0.2.1"));
        thread.doWork();
        assertThat(gateway.delivered).isEmpty();

        agent.resumeTenant("default");
        thread.doWork();
        assertThat(gateway.delivered).hasSize(1);
    }

    @Test
    void shouldTakeBackADispatchTheGatewayFailedToTake()
    {
        final PendingMessage message = Mail.from("192.0.2.1");
        agent.listener().onAccepted(message);
        gateway.failure = new IllegalStateException("connection pool closed");

        assertThatThrownBy(thread::doWork).isSameAs(gateway.failure);

        gateway.failure = null;
        thread.doWork();
        assertThat(gateway.delivered).hasSize(1);
        assertThat(gateway.delivered.get(0).messageId()).isEqualTo(message.messageId());
        assertThat(agent.counters().get(DrainCounter.DISPATCHES_RETURNED)).isEqualTo(1);
    }

    @Test
    void shouldRefuseABadRateChangeAtOnce()
    {
        assertThatThrownBy(() -> agent.setRouteRate("nowhere", 10, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> agent.setRouteRate("default", 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(thread.roleName()).isEqualTo("sluice-drain");
        assertThatThrownBy(() -> agent.deliveringTo(gateway)).as("one drain thread").isInstanceOf(IllegalStateException.class);
    }
}
