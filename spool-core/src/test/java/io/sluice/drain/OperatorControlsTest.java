package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.TimeUnit;

import io.sluice.config.InvalidSettingException;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import org.junit.jupiter.api.Test;

/**
 * What an operator does to the drain during an incident, on a clock the test moves: pause and resume a route,
 * pauses that are in force from start-up (the settings a restart reads back), containment's holds kept apart from
 * an operator's pauses, "retry deferred now", and the backlog's shape by age.
 */
class OperatorControlsTest
{
    private static final long MINUTE = TimeUnit.MINUTES.toMillis(1);

    private final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(1_000_000, 1_000_000));
    private final DrainScheduler scheduler = drain.scheduler;

    @Test
    void shouldSendNothingOnAPausedRouteAndCountItsMailAsPausedUntilResumed()
    {
        for (int i = 0; i < 5; i++)
        {
            drain.add(Mail.from("192.0.2." + i));
        }
        drain.add(Mail.message("192.0.2.50", "default", "notifications", 1));
        scheduler.switches().pauseRoute("default");

        assertThat(drain.take("default", 100)).isEmpty();
        assertThat(drain.take("notifications", 100)).as("another route flows").hasSize(1);
        final DrainStatus status = scheduler.status();
        assertThat(status.route("default").routePaused()).isTrue();
        assertThat(status.route("default").paused()).isEqualTo(5);
        assertThat(status.route("default").ready()).isZero();
        assertThat(status.route("default").etaMillis()).as("paused mail does not drain").isZero();
        assertThat(scheduler.switches().pausedRoutes()).containsExactly("default");

        scheduler.switches().resumeRoute("default");

        assertThat(drain.take("default", 100)).hasSize(5);
        assertThat(scheduler.status().route("default").routePaused()).isFalse();
        assertThatThrownBy(() -> scheduler.switches().pauseRoute("nowhere")).hasMessageContaining("no such route: nowhere");
    }

    @Test
    void shouldStartWithThePausesTheSettingsName()
    {
        final SimulatedDrain restarted = new SimulatedDrain(SimulatedDrain.context(1_000_000, 1_000_000)
            .pausedRoutes("notifications").pausedTenants("quiet, loud").pausedSources("2001:db8::7,192.0.2.9"));
        restarted.add(Mail.message("192.0.2.1", "quiet", "mail", 1));
        restarted.add(Mail.message("192.0.2.9", "default", "mail", 1));
        restarted.add(Mail.message("2001:db8::7", "default", "mail", 1));
        restarted.add(Mail.message("192.0.2.2", "default", "notifications", 1));
        restarted.add(Mail.message("192.0.2.3", "default", "mail", 1));

        assertThat(restarted.take("default", 100)).extracting(d -> d.envelope().sourceKey()).containsExactly("192.0.2.3");
        assertThat(restarted.take("notifications", 100)).isEmpty();
        assertThat(restarted.scheduler.switches().pausedTenants()).containsExactlyInAnyOrder("quiet", "loud");
        assertThat(restarted.scheduler.switches().pausedSources()).containsExactlyInAnyOrder("2001:db8::7", "192.0.2.9");
        assertThat(restarted.scheduler.status().paused()).isEqualTo(4);
    }

    @Test
    void shouldRefuseAPausedRouteThatIsNotConfigured()
    {
        assertThatThrownBy(() -> SimulatedDrain.context(10, 1).pausedRoutes("default,elsewhere").conclude())
            .isInstanceOf(InvalidSettingException.class)
            .hasMessageStartingWith("drain.pausedRoutes=default,elsewhere: expected routes listed in drain.routes");
        assertThatThrownBy(() -> SimulatedDrain.context(10, 1).pausedTenants("a b").conclude())
            .hasMessageStartingWith("drain.pausedTenants=a b: expected names separated by commas");
    }

    @Test
    void shouldKeepContainmentsHoldAndAnOperatorsPauseApart()
    {
        drain.add(Mail.message("192.0.2.1", "acme", "mail", 1));
        scheduler.switches().pauseTenant("acme");
        scheduler.switches().holdTenant("acme");

        scheduler.switches().resumeTenant("acme");
        assertThat(drain.take("default", 10)).as("an operator's resume does not lift containment's hold").isEmpty();
        scheduler.switches().pauseTenant("acme");
        scheduler.switches().unholdTenant("acme");
        assertThat(drain.take("default", 10)).as("a release does not lift an operator's pause").isEmpty();
        assertThat(scheduler.switches().isTenantPaused("acme")).isTrue();
        assertThat(scheduler.switches().isTenantHeld("acme")).isFalse();

        scheduler.switches().resumeTenant("acme");
        assertThat(drain.take("default", 10)).hasSize(1);
    }

    @Test
    void shouldRetryEveryDeferredMessageNowWithItsDeferredRecipientsThenFollowTheScheduleAgain()
    {
        PendingMessage twoRecipients = Mail.message("192.0.2.1", "default", "mail", 2);
        twoRecipients = Mail.with(twoRecipients, 0, RecipientStatus.deferred(2, drain.now() + 30 * MINUTE, "451 later"));
        twoRecipients = Mail.with(twoRecipients, 1, RecipientStatus.deferred(2, drain.now() + 50 * MINUTE, "451 later"));
        drain.add(twoRecipients);
        final PendingMessage oneRecipient =
            Mail.all(Mail.from("192.0.2.2"), RecipientStatus.deferred(1, drain.now() + 10 * MINUTE, "451 later"));
        drain.add(oneRecipient);
        assertThat(scheduler.next("default")).isNull();
        assertThat(scheduler.status().deferred()).isEqualTo(2);

        assertThat(scheduler.retryDeferredNow()).isEqualTo(2);

        final Dispatch first = scheduler.next("default");
        final Dispatch second = scheduler.next("default");
        assertThat(List.of(first.messageId(), second.messageId()))
            .containsExactlyInAnyOrder(twoRecipients.messageId(), oneRecipient.messageId());
        final Dispatch both = first.messageId() == twoRecipients.messageId() ? first : second;
        assertThat(both.recipientIndexes()).as("each deferred recipient goes now").containsExactly(0, 1);
        assertThat(scheduler.counters().get(DrainCounter.RETRIED_NOW)).isEqualTo(2);

        PendingMessage again = twoRecipients;
        for (final int index : both.recipientIndexes())
        {
            again = Mail.with(again, index,
                Replies.onReply(scheduler, both, index, SmtpReply.parse("451 4.3.0 still later")).status());
        }
        scheduler.onSnapshot(again);
        assertThat(scheduler.isInFlight(twoRecipients.messageId())).isFalse();
        assertThat(scheduler.next("default")).as("deferred again: the retry schedule applies, not the operator's retry")
            .isNull();
    }

    @Test
    void shouldCountThePendingMessagesByRouteLaneAndTenantAgainstTheirAge()
    {
        final long now = drain.now();
        drain.add(Mail.message("192.0.2.1", "acme", "mail", 1, now - MINUTE));
        drain.add(Mail.message("192.0.2.2", "acme", "mail", 1, now - 7 * MINUTE));
        drain.add(Mail.message("192.0.2.3", "zeta", "mail", 1, now - 7 * MINUTE));
        drain.add(Mail.message("192.0.2.4", "zeta", "mail", 1, now - 90 * MINUTE));
        drain.add(Mail.all(Mail.message("192.0.2.5", "zeta", "mail", 1, now - 2000 * MINUTE),
            RecipientStatus.deferred(1, now + MINUTE, "451 later")));
        drain.add(Mail.message("192.0.2.6", "acme", "notifications", 1, now - 3 * MINUTE));
        scheduler.switches().pauseTenant("zeta");
        scheduler.next("notifications");

        final DrainStatus.PendingAges ages = scheduler.status().ages();

        assertThat(ages.atMillis()).isEqualTo(now);
        assertThat(ages.oldestReceivedAtMillis()).isEqualTo(now - 2000 * MINUTE);
        assertThat(ages.lanes()).extracting(r -> r.route() + "/" + r.lane()).containsExactly("default/mail",
            "notifications/notifications");
        assertThat(ages.lanes().get(0).byAge()).as("<5, <10, ... <160 and over 1280 minutes")
            .containsExactly(1, 2, 0, 0, 0, 1, 0, 0, 0, 1);
        assertThat(ages.lanes().get(1).byAge()).as("in flight counts too").containsExactly(1, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        assertThat(ages.lanes().get(0).bytes()).as("Mail's 1 KiB each").isEqualTo(5 * 1024);
        assertThat(ages.tenants()).extracting(r -> r.route() + "/" + r.lane() + "/" + r.tenant() + "=" + r.total())
            .containsExactly("default/mail/zeta=3", "default/mail/acme=2", "notifications/notifications/acme=1");
        assertThat(ages.tenantRowsLeftOut()).isZero();

        drain.add(Mail.message("192.0.2.7", "acme", "mail", 1, now));
        assertThat(scheduler.status().ages().lanes().get(0).total()).as("counted at most every %d ms",
            DrainStatus.AGES_INTERVAL_MS).isEqualTo(5);
        drain.clock.advanceMillis(DrainStatus.AGES_INTERVAL_MS);
        final DrainStatus.AgeRow mail = scheduler.status().ages().lanes().get(0);
        assertThat(mail.total()).isEqualTo(6);
        assertThat(mail.byAge()[0]).isEqualTo(2);
    }

    @Test
    void shouldKeepOnlyTheBusiestTenantRows()
    {
        for (int t = 0; t < DrainStatus.MAX_TENANT_AGE_ROWS + 5; t++)
        {
            for (int m = 0; m <= t % 3; m++)
            {
                drain.add(Mail.message("192.0.2." + t, "t" + t, "mail", 1));
            }
        }

        final DrainStatus.PendingAges ages = scheduler.status().ages();

        assertThat(ages.tenants()).hasSize(DrainStatus.MAX_TENANT_AGE_ROWS);
        assertThat(ages.tenantRowsLeftOut()).isEqualTo(5);
        assertThat(ages.tenants().get(0).total()).isEqualTo(3);
        assertThat(ages.tenants().get(ages.tenants().size() - 1).total()).isEqualTo(1);
    }

    @Test
    void shouldPutEachAgeInQshapesBuckets()
    {
        assertThat(DrainStatus.ageBucket(-5)).isZero();
        assertThat(DrainStatus.ageBucket(5 * MINUTE - 1)).isZero();
        assertThat(DrainStatus.ageBucket(5 * MINUTE)).isEqualTo(1);
        assertThat(DrainStatus.ageBucket(1279 * MINUTE)).isEqualTo(8);
        assertThat(DrainStatus.ageBucket(1280 * MINUTE)).isEqualTo(9);
        assertThat(DrainStatus.ageBucket(Long.MAX_VALUE)).isEqualTo(DrainStatus.AGE_BUCKETS - 1);
    }
}
