package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import io.sluice.drain.DeliveryGateway;
import io.sluice.drain.Dispatch;
import io.sluice.drain.DrainAgent;
import io.sluice.drain.DrainContext;
import io.sluice.spool.Envelope;
import io.sluice.spool.MutableClock;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolAwait;
import io.sluice.spool.SpoolContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Admission sees the drain's projected delay for a lane, not a constant. */
class SpoolPressureGaugeTest
{
    @TempDir
    Path dir;

    @Test
    void shouldProjectTheDelayTheDrainPublishes() throws Exception
    {
        final MutableClock clock = new MutableClock(System.currentTimeMillis());
        final DrainAgent agent = new DrainAgent(new DrainContext().clock(clock), new DeliveryGateway()
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
                agent.doWork();
                return agent.status().ready() == 40;
            });

            assertThat(gauge.projectedDelayMillis("mail")).isPositive().isEqualTo(agent.projectedDelayMillis("mail"));
            assertThat(gauge.pendingMessages()).isEqualTo(40);
            assertThat(new SpoolPressureGauge(spool).projectedDelayMillis("mail")).as("without a drain").isZero();
        }
    }
}
