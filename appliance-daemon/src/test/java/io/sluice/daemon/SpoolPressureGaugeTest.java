package io.sluice.daemon;

import static io.sluice.admission.BacklogWatermarks.AUTO;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.sluice.admission.Admission;
import io.sluice.admission.AdmissionContext;
import io.sluice.admission.BacklogWatermarks;
import io.sluice.admission.Decision;
import io.sluice.admission.SpoolCapacity;
import io.sluice.admission.Verdict;

import io.sluice.drain.DeliveryGateway;
import io.sluice.drain.Dispatch;
import io.sluice.drain.DrainAgent;
import io.sluice.drain.DrainContext;
import io.sluice.spool.Envelope;
import io.sluice.spool.MutableClock;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolAwait;
import io.sluice.spool.SpoolContext;
import io.sluice.spool.SpoolListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admission sees the drain's projected delay for a lane, not a constant; and what the spool can hold: its disk above
 * the reserve (from an injected free-space figure, a real filesystem of a chosen size cannot be had here), the real
 * spool's pending count and bytes, the index's direct memory and the drain's rates.
 */
class SpoolPressureGaugeTest
{
    private static final long MIB = 1L << 20;
    private static final long RESERVE = 8 * MIB;
    private static final byte[] CONTENT = "Subject: x\r\n\r\ny\r\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private static void append(final Spool spool, final int count) throws Exception
    {
        final List<CompletableFuture<?>> appended = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final Envelope envelope = new Envelope("198.51.100." + i % 200, "default", "mail", "a@client.test",
                List.of("b" + i + "@relay.test"), System.currentTimeMillis());
            appended.add(spool.append(envelope, ByteBuffer.wrap(CONTENT)));
        }
        CompletableFuture.allOf(appended.toArray(new CompletableFuture<?>[0])).get();
    }

    private Spool openSpool() throws Exception
    {
        return Spool.open(new SpoolContext().directory(dir).blockSizeBytes(1 << 20).chunkBytes(64 << 10)
            .diskReserveBytes(RESERVE), SpoolListener.NONE);
    }

    @Test
    void shouldReadWhatBoundsTheBacklogFromTheRealSpoolAndTheInjectedDisk() throws Exception
    {
        final AtomicLong free = new AtomicLong(RESERVE + 100 * MIB);
        final DrainContext drain = new DrainContext().routes("default:200:20,notifications:20:5").conclude();
        try (Spool spool = openSpool())
        {
            append(spool, 1500);
            final SpoolCapacityGauge gauge = new SpoolCapacityGauge(spool, free::get, 1024 * MIB, drain);
            final SpoolCapacity capacity = gauge.get();
            assertThat(capacity).isEqualTo(new SpoolCapacity(RESERVE + 100 * MIB, RESERVE, 1500, 1500L * CONTENT.length,
                1024 * MIB - SpoolCapacityGauge.OTHER_DIRECT_BYTES, 220, TimeUnit.DAYS.toMillis(5)));

            // 1,500 pending of 19 B measure their own size: 531 B a message on disk.
            final BacklogWatermarks marks = BacklogWatermarks.derive(AUTO, AUTO, AUTO, capacity);
            assertThat(marks.hardLimit()).isEqualTo(1500 + 100 * MIB / (CONTENT.length + 512));
            assertThat(marks.basis()).startsWith("auto: disk, 100 MiB free above the 8 MiB reserve");

            free.set(RESERVE - 1);
            assertThat(BacklogWatermarks.derive(AUTO, AUTO, AUTO, gauge.get()).hardLimit())
                .as("under the reserve: no more than is pending").isEqualTo(1500);
        }
    }

    @Test
    void shouldRefuseAtTheHardLimitTheIndexsDirectMemoryAllowsWithAReasonNotRunOutOfIt() throws Exception
    {
        // The launcher's index share scaled down: direct memory for 3,000 index entries beside the others' share.
        final long maxDirect = SpoolCapacityGauge.OTHER_DIRECT_BYTES + 3000 * 64;
        final DrainContext drainContext = new DrainContext().conclude();
        final DrainAgent drain = new DrainAgent(drainContext);
        try (Spool spool = openSpool())
        {
            final SpoolPressureGauge pressure = new SpoolPressureGauge(spool, drain,
                new SpoolCapacityGauge(spool, () -> RESERVE + 1024 * MIB, maxDirect, drainContext));
            final Admission admission = Admission.open(new AdmissionContext().stateFile(null), pressure);
            try
            {
                final BacklogWatermarks marks = admission.backlogWatermarks();
                assertThat(List.of(marks.low(), marks.high(), marks.hardLimit())).containsExactly(1000L, 2000L, 3000L);
                assertThat(marks.basis()).startsWith("auto: index memory");
                final InetAddress client = InetAddress.getByName("198.51.100.7");
                final InetAddress notifier = InetAddress.getByName("127.0.0.1");
                append(spool, 2001);
                SpoolAwait.until(() -> pressure.pendingMessages() == 2001);
                final Decision busy = admission.admitConnection(client);
                assertThat(busy.verdict()).isEqualTo(Verdict.BACKPRESSURE);
                assertThat(busy.detail()).startsWith("backlog 2001 messages (high watermark 2000), oldest ");
                assertThat(admission.admitConnection(notifier, true).isAccepted()).as("trusted sources keep their share")
                    .isTrue();
                append(spool, 999);
                SpoolAwait.until(() -> pressure.pendingMessages() == 3000);
                final Decision full = admission.admitConnection(notifier, true);
                assertThat(full.verdict()).isEqualTo(Verdict.BACKLOG_FULL);
                assertThat(full.detail()).isEqualTo("backlog 3000 messages at the hard limit 3000");
            }
            finally
            {
                admission.close();
            }
        }
    }

    @Test
    void shouldProjectTheDelayTheDrainPublishes() throws Exception
    {
        final MutableClock clock = new MutableClock(System.currentTimeMillis());
        final DrainAgent agent = new DrainAgent(new DrainContext().clock(clock));
        final DrainAgent.DutyCycle thread = agent.deliveringTo(new DeliveryGateway()
        {
            @Override
            public int capacity(final String route)
            {
                return 0;
            }

            @Override
            public void deliver(final Dispatch dispatch)
            {
                throw new IllegalStateException("no capacity was offered");
            }
        });
        try (Spool spool = Spool.open(new SpoolContext().directory(dir).blockSizeBytes(1 << 20).chunkBytes(64 << 10)
            .diskReserveBytes(8 << 20), agent.listener()))
        {
            agent.load(spool.pendingMessages());
            final SpoolPressureGauge gauge = new SpoolPressureGauge(spool, agent);
            assertThat(gauge.projectedDelayMillis("mail")).isZero();
            for (int i = 0; i < 40; i++)
            {
                final Envelope envelope = new Envelope("198.51.100." + i, "default", "mail", "a@client.test",
                    List.of("b@relay.test"), clock.millis());
                spool.append(envelope, ByteBuffer.wrap("Subject: x\r\n\r\ny\r\n".getBytes(StandardCharsets.US_ASCII))).get();
            }
            SpoolAwait.until(() ->
            {
                clock.advanceMillis(DrainContext.STATUS_INTERVAL_MS.defaultValue());
                thread.doWork();
                return agent.status().ready() == 40;
            });

            assertThat(gauge.projectedDelayMillis("mail")).isPositive().isEqualTo(agent.projectedDelayMillis("mail"));
            assertThat(gauge.pendingMessages()).isEqualTo(40);
            assertThat(new SpoolPressureGauge(spool).projectedDelayMillis("mail")).as("without a drain").isZero();
        }
    }
}
