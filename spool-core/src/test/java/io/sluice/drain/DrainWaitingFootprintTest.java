package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.sluice.spool.Disposition;
import io.sluice.spool.Envelope;
import io.sluice.spool.MutableClock;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a deferred or held message costs the drain's heap, measured after full collections, as {@code DrainFootprint}
 * measures it at 1M and 10M: 200,000 messages from 2,000 addresses, every one deferred (the outage: the upstream
 * refuses for hours, retries spread over an hour) or every one held, their snapshots computed from their ids by the
 * source the drain reads (the spool's own heap is not here). With an entry each (the drain before {@link WaitingIds}),
 * this test measured 135 bytes a deferred message (entry, index slot, timer) and 98 a held one; without, 37 and 16. The
 * bounds fail the first and leave room above the second (the arrays' growth by half moves them a few bytes).
 */
class DrainWaitingFootprintTest
{
    private static final Logger LOG = LoggerFactory.getLogger(DrainWaitingFootprintTest.class);
    private static final int MESSAGES = 200_000;
    private static final long START_MILLIS = 1_700_000_000_000L;
    private static final List<String> RECIPIENTS = List.of("rcpt@example.org");

    private static long usedHeapAfterGc()
    {
        final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++)
        {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    /** Message {@code id}'s snapshot, computed from it: 1,000 arrivals a second, deferred over the next hour or held. */
    private static PendingMessage message(final long id, final boolean deferred)
    {
        final long address = id % 2_000;
        final Envelope envelope = new Envelope("10.9." + address / 250 + "." + (address % 250 + 1), "default", "mail",
            "s@example.net", RECIPIENTS, START_MILLIS + id);
        final RecipientStatus status = deferred
            ? RecipientStatus.deferred(3, START_MILLIS + 2 * MESSAGES + id * 7919 % 3_600_000L, "451 4.7.0 try later")
            : new RecipientStatus(Disposition.HELD, 0, 0, "containment: held");
        return new PendingMessage(id, envelope, 4_096, List.of(status));
    }

    /** @return bytes per message loaded; with {@code retried}, after every retry came due, too. */
    private static double[] bytesPerMessage(final boolean deferred, final boolean retried)
    {
        return bytesPerMessage(deferred, retried, false);
    }

    /**
     * @param byOperator the retries made due by an operator's retry of every deferred message, not by the time.
     * @return bytes per message loaded; with {@code retried}, after every retry came due, too.
     */
    private static double[] bytesPerMessage(final boolean deferred, final boolean retried, final boolean byOperator)
    {
        final MutableClock clock = new MutableClock(START_MILLIS + 2 * MESSAGES);
        final DrainScheduler scheduler = new DrainScheduler(new DrainContext().clock(clock));
        scheduler.readFrom(id -> id >= 1 && id <= MESSAGES ? message(id, deferred) : null);
        final long before = usedHeapAfterGc();
        for (long id = 1; id <= MESSAGES; id++)
        {
            scheduler.onSnapshot(message(id, deferred));
        }
        final long after = usedHeapAfterGc();
        final DrainStatus status = scheduler.status();
        assertThat(deferred ? status.deferred() : status.held()).isEqualTo(MESSAGES);
        assertThat(scheduler.pendingCount()).isEqualTo(MESSAGES);
        if (!retried)
        {
            return new double[] {(double)(after - before) / MESSAGES};
        }
        if (byOperator)
        {
            assertThat(scheduler.retryDeferredNow()).isEqualTo(MESSAGES);
            while (scheduler.waitingBareCount() > 0)
            {
                scheduler.tick();
            }
        }
        else
        {
            clock.advanceMillis(TimeUnit.HOURS.toMillis(1));
            // Placed a slice a tick, as the drain agent's duty cycles would.
            while (scheduler.waitingBareCount() > 0)
            {
                scheduler.tick();
            }
        }
        final long ready = usedHeapAfterGc();
        assertThat(scheduler.status().ready()).isEqualTo(MESSAGES);
        return new double[] {(double)(after - before) / MESSAGES, (double)(ready - before) / MESSAGES};
    }

    @Test
    void shouldKeepADeferredMessageInLessThanHalfWhatItsEntryTook()
    {
        final double perDeferred = bytesPerMessage(true, false)[0];
        LOG.info("drain heap per deferred message at {}: {} bytes", MESSAGES, Math.round(perDeferred));
        assertThat(perDeferred).isLessThan(60);
    }

    @Test
    void shouldKeepAHeldMessageAsAnIdInASet()
    {
        final double perHeld = bytesPerMessage(false, false)[0];
        LOG.info("drain heap per held message at {}: {} bytes", MESSAGES, Math.round(perHeld));
        assertThat(perHeld).isLessThan(35);
    }

    /**
     * The outage ends: every retry comes due within the hour, far faster than the route sends. Each goes back to its
     * source queue bare (an id in its {@link BareIds}, in no order of ids): with an entry each, as before,
     * {@code DrainFootprint flood 100000 deferred} measured 151.6 bytes a retried message, and ten million would not fit
     * the launcher's heap.
     */
    @Test
    void shouldPutTheRetriesThatCameDueBackInTheirQueuesBare()
    {
        final double[] perMessage = bytesPerMessage(true, true);
        LOG.info("drain heap per retried message at {}: {} bytes (deferred: {})", MESSAGES, Math.round(perMessage[1]),
            Math.round(perMessage[0]));
        assertThat(perMessage[1]).isLessThan(40);
    }

    /**
     * The provider is back and the operator retries every deferred message at once: the request is recorded once, each
     * message goes back to its source queue bare (its id in its {@link BareIds}, and kept in the retry-all set, negated,
     * in the slot its deferral had): 31 bytes a message. With an entry each, as before, this test measured 162 bytes:
     * after a ten-million outage the retry-all would not fit the launcher's heap.
     */
    @Test
    void shouldRetryEveryDeferredMessageAtAnOperatorsRequestWithoutAnEntryEach()
    {
        final double[] perMessage = bytesPerMessage(true, true, true);
        LOG.info("drain heap per message retried by an operator at {}: {} bytes (deferred: {})", MESSAGES,
            Math.round(perMessage[1]), Math.round(perMessage[0]));
        assertThat(perMessage[1]).isLessThan(50);
    }
}
