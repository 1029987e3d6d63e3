package io.sluice.daemon;

import java.lang.management.ManagementFactory;
import java.util.function.Supplier;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.sluice.admission.SpoolCapacity;
import io.sluice.drain.DrainContext;
import io.sluice.drain.RouteSpec;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolCounter;

/**
 * What bounds the backlog this appliance can hold, for admission's automatic watermarks: free space from the spool's
 * filesystem, the pending count and bytes from the spool's counters, the reserve from its settings, the direct memory
 * the JVM allows (the pending index lives there), and the drain's configured rates and queue lifetime.
 */
final class SpoolCapacityGauge implements Supplier<SpoolCapacity>
{
    /**
     * Direct memory left to others than the pending index: Netty's pooled buffers for the SMTP sessions (a few
     * arenas of 4 MiB chunks, their thread caches), the index checkpoint's staging buffers, the counters.
     */
    static final long OTHER_DIRECT_BYTES = 128L << 20;

    private final Spool spool;
    private final DiskSpace disk;
    private final long indexBytesLimit;
    private final double drainRatePerSec;
    private final long maxWaitMs;

    SpoolCapacityGauge(final Spool spool, final DiskSpace disk, final long maxDirectBytes, final DrainContext drain)
    {
        this.spool = spool;
        this.disk = disk;
        this.indexBytesLimit = Math.max(0, maxDirectBytes - OTHER_DIRECT_BYTES);
        this.drainRatePerSec = drain.routeSpecs().stream().mapToDouble(RouteSpec::ratePerSec).sum();
        this.maxWaitMs = drain.maxQueueLifetimeMs();
    }

    /** The gauge of a running daemon: the spool directory's filesystem and this JVM's direct memory limit. */
    static SpoolCapacityGauge of(final Spool spool, final DrainContext drain)
    {
        return new SpoolCapacityGauge(spool, DiskSpace.of(spool.context().directory()), maxDirectMemoryBytes(), drain);
    }

    /** @return {@code -XX:MaxDirectMemorySize}, or the heap's maximum, which the JVM uses when the flag is not set. */
    static long maxDirectMemoryBytes()
    {
        final String value = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
            .getVMOption("MaxDirectMemorySize").getValue();
        final long bytes = Long.parseLong(value);
        return bytes > 0 ? bytes : Runtime.getRuntime().maxMemory();
    }

    @Override
    public SpoolCapacity get()
    {
        return new SpoolCapacity(disk.usableBytes(), spool.context().diskReserveBytes(),
            spool.counters().get(SpoolCounter.PENDING_MESSAGES), spool.counters().get(SpoolCounter.PENDING_BYTES),
            indexBytesLimit, drainRatePerSec, maxWaitMs);
    }
}
