package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;
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
    private final DrainAgent agent = new DrainAgent(new DrainContext().clock(clock), gateway);

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

        assertThat(agent.doWork()).isPositive();
        assertThat(gateway.delivered).as("five free connections").hasSize(5);

        gateway.slots("default", 10);
        agent.doWork();
        assertThat(gateway.delivered).hasSize(10);
        assertThat(agent.counters().get(DrainCounter.DISPATCHES)).isEqualTo(10);
    }

    @Test
    void shouldClassifyRepliesOnTheCallerAndFeedThemBackOnTheDrainThread() throws Exception
    {
        agent.listener().onAccepted(Mail.from("192.0.2.1"));
        agent.doWork();
        final Dispatch dispatch = gateway.delivered.get(0);

        final ReplyOutcome outcome = CompletableFuture.supplyAsync(
            () -> agent.onReply(dispatch, 0, SmtpReply.parse("421 4.7.0 slow down"))).get();

        assertThat(outcome.status().disposition()).isEqualTo(Disposition.DEFERRED);
        assertThat(agent.counters().get(DrainCounter.THROTTLE_SIGNALS)).isZero();
        clock.advanceMillis(DrainContext.STATUS_INTERVAL_MS.defaultValue());
        agent.doWork();
        assertThat(agent.counters().get(DrainCounter.THROTTLE_SIGNALS)).isEqualTo(1);
        assertThat(agent.status().route("default").effectiveRatePerSec()).isEqualTo(100);
    }

    @Test
    void shouldPublishStatusForAdmissionAtTheInterval()
    {
        for (int i = 0; i < 400; i++)
        {
            agent.listener().onAccepted(Mail.from("192.0.2." + (i % 100)));
        }
        agent.doWork();
        assertThat(agent.status().ready()).as("not yet published").isZero();

        clock.advanceMillis(DrainContext.STATUS_INTERVAL_MS.defaultValue());
        agent.doWork();

        assertThat(agent.status().ready()).isEqualTo(400 - 5);
        assertThat(agent.status().inFlight()).isEqualTo(5);
        assertThat(agent.projectedDelayMillis("mail")).isPositive();
    }

    @Test
    void shouldPauseAndResumeThroughTheQueue()
    {
        agent.pauseTenant("default");
        agent.listener().onAccepted(Mail.from("192.0.2.1"));
        agent.doWork();
        assertThat(gateway.delivered).isEmpty();

        agent.resumeTenant("default");
        agent.doWork();
        assertThat(gateway.delivered).hasSize(1);
    }

    @Test
    void shouldTakeBackADispatchTheGatewayFailedToTake()
    {
        final PendingMessage message = Mail.from("192.0.2.1");
        agent.listener().onAccepted(message);
        gateway.failure = new IllegalStateException("connection pool closed");

        assertThatThrownBy(agent::doWork).isSameAs(gateway.failure);

        gateway.failure = null;
        agent.doWork();
        assertThat(gateway.delivered).hasSize(1);
        assertThat(gateway.delivered.get(0).messageId()).isEqualTo(message.messageId());
        assertThat(agent.counters().get(DrainCounter.DISPATCHES_RETURNED)).isEqualTo(1);
    }

    @Test
    void shouldRefuseABadRateChangeAtOnce()
    {
        assertThatThrownBy(() -> agent.setRouteRate("nowhere", 10, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> agent.setRouteRate("default", 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(agent.roleName()).isEqualTo("sluice-drain");
    }
}
