package io.sluice.spool;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.function.Supplier;

import io.sluice.config.InvalidSettingException;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;
import org.agrona.concurrent.IdleStrategy;

/**
 * The spool's settings: each has its configuration key and default side by side, a fluent setter, and
 * one {@link #conclude()} that validates them all and names the key of the first bad one.
 */
public final class SpoolContext
{
    public static final String DIRECTORY = "spool.directory";
    public static final String DEFAULT_DIRECTORY = "spool";

    public static final String DURABILITY = "spool.durability";
    public static final Durability DEFAULT_DURABILITY = Durability.DURABLE;

    /**
     * Chronicle's roll cycle: how much time one journal file covers, and so the grain of retention, which deletes a
     * file only once a newer one exists. Five minutes keeps what stays on disk close to what is pending without disk
     * pressure ever having to act; under pressure the spool starts the next file early (SpaceReclaimer), which moves
     * the journal's file names ahead of the clock by at most one cycle each time, so a short cycle also keeps them
     * near the real time.
     */
    public static final String ROLL_CYCLE = "spool.rollCycle";
    public static final String DEFAULT_ROLL_CYCLE = "FIVE_MINUTELY";

    /**
     * Chronicle maps the journal in blocks of this size and caps one record at a quarter of it; bodies
     * larger than {@link #CHUNK_BYTES} are split across records, so this only sets the mapping grain. Files are
     * sparse, so a block costs disk only as it is written (a new file's first pages are about 12 KiB), but the reserve
     * must hold four blocks so that even outcomes, which may use the last quarter of it, never make Chronicle touch a
     * block the disk cannot back: 16 MiB keeps that at 64 MiB, well inside the 256 MiB default reserve.
     */
    public static final String BLOCK_SIZE_BYTES = "spool.blockSizeBytes";
    public static final long DEFAULT_BLOCK_SIZE_BYTES = 16L << 20;

    public static final String CHUNK_BYTES = "spool.chunkBytes";
    public static final int DEFAULT_CHUNK_BYTES = 1 << 20;

    public static final String MAX_MESSAGE_BYTES = "spool.maxMessageBytes";
    public static final long DEFAULT_MAX_MESSAGE_BYTES = 64L << 20;

    /**
     * Free space under which new messages are refused (SMTP 452 4.3.1): the spool is then under disk pressure and
     * works to free space until it is back above the reserve by an eighth of it (see DiskGuard). Chronicle dies
     * with SIGBUS when it touches a mapped block the filesystem cannot back (Chronicle Queue issue #1282), so the
     * reserve must cover several blocks; the spool's own maintenance may use its upper half, and outcome records,
     * which are what let a full spool drain, may go down to its last quarter.
     */
    public static final String DISK_RESERVE_BYTES = "spool.diskReserveBytes";
    public static final long DEFAULT_DISK_RESERVE_BYTES = 256L << 20;

    public static final String DISK_CHECK_INTERVAL_MS = "spool.diskCheckIntervalMs";
    public static final long DEFAULT_DISK_CHECK_INTERVAL_MS = 100;

    public static final String WRITE_QUEUE_CAPACITY = "spool.writeQueueCapacity";
    public static final int DEFAULT_WRITE_QUEUE_CAPACITY = 65_536;

    /** Upper bound on records one group commit covers; bounds the latency the first of them waits. */
    public static final String MAX_BATCH = "spool.maxBatch";
    public static final int DEFAULT_MAX_BATCH = 512;

    /**
     * Retention copies the still-pending messages out of the oldest journal file once they are no more than
     * this fraction of it, so the file can be deleted: disk use follows what is pending, not history.
     */
    public static final String COMPACTION_LIVE_RATIO = "spool.compactionLiveRatio";
    public static final double DEFAULT_COMPACTION_LIVE_RATIO = 0.25;

    public static final String MAINTENANCE_INTERVAL_MS = "spool.maintenanceIntervalMs";
    public static final long DEFAULT_MAINTENANCE_INTERVAL_MS = 1000;

    /**
     * Start even when a journal file that retention never deleted is missing (its pending mail is lost).
     * Off by default: recovery refuses and says which file, so an operator decides, not the daemon.
     */
    public static final String ALLOW_MISSING_CYCLES = "spool.allowMissingCycles";
    public static final boolean DEFAULT_ALLOW_MISSING_CYCLES = false;

    private static final long MIN_BLOCK_SIZE_BYTES = 256 << 10;
    /** Room in a record for the fixed header and recipient statuses beside a body chunk. */
    private static final int RECORD_OVERHEAD_BYTES = 4096;

    private Path directory = Path.of(DEFAULT_DIRECTORY);
    private Durability durability = DEFAULT_DURABILITY;
    private String rollCycleName = DEFAULT_ROLL_CYCLE;
    private RollCycle rollCycle;
    private long blockSizeBytes = DEFAULT_BLOCK_SIZE_BYTES;
    private int chunkBytes = DEFAULT_CHUNK_BYTES;
    private long maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    private long diskReserveBytes = DEFAULT_DISK_RESERVE_BYTES;
    private long diskCheckIntervalMs = DEFAULT_DISK_CHECK_INTERVAL_MS;
    private int writeQueueCapacity = DEFAULT_WRITE_QUEUE_CAPACITY;
    private int maxBatch = DEFAULT_MAX_BATCH;
    private double compactionLiveRatio = DEFAULT_COMPACTION_LIVE_RATIO;
    private long maintenanceIntervalMs = DEFAULT_MAINTENANCE_INTERVAL_MS;
    private boolean allowMissingCycles = DEFAULT_ALLOW_MISSING_CYCLES;
    private Clock clock = Clock.systemUTC();
    // Null: the spool's own, which parks until maintenance is due and is woken by every request (Spool).
    private Supplier<IdleStrategy> writerIdleStrategy;
    private boolean concluded;

    /**
     * Validates every setting.
     *
     * @return this, frozen.
     * @throws InvalidSettingException naming the first setting that cannot work.
     */
    public SpoolContext conclude()
    {
        if (directory == null)
        {
            throw new InvalidSettingException(DIRECTORY, null, "expected a directory for the journal");
        }
        if (durability == null)
        {
            throw new InvalidSettingException(DURABILITY, null, "expected DURABLE or ACK_ON_WRITE");
        }
        rollCycle = parseRollCycle(rollCycleName);
        if (blockSizeBytes < MIN_BLOCK_SIZE_BYTES || Long.bitCount(blockSizeBytes) != 1 || blockSizeBytes > (1L << 30))
        {
            throw new InvalidSettingException(BLOCK_SIZE_BYTES, blockSizeBytes, "expected a power of two from 256 KiB to 1 GiB");
        }
        final long maxChunk = blockSizeBytes / 4 - RECORD_OVERHEAD_BYTES;
        if (chunkBytes < 1024 || chunkBytes > maxChunk)
        {
            throw new InvalidSettingException(CHUNK_BYTES, chunkBytes,
                "expected 1024 to " + maxChunk + " (a quarter of " + BLOCK_SIZE_BYTES + " less record overhead)");
        }
        if (maxMessageBytes < 1024)
        {
            throw new InvalidSettingException(MAX_MESSAGE_BYTES, maxMessageBytes, "expected at least 1024");
        }
        if (diskReserveBytes < 4 * blockSizeBytes)
        {
            throw new InvalidSettingException(DISK_RESERVE_BYTES, diskReserveBytes,
                "expected at least 4 x " + BLOCK_SIZE_BYTES + " (" + 4 * blockSizeBytes
                + "): Chronicle must never touch a block the disk cannot back");
        }
        requirePositive(DISK_CHECK_INTERVAL_MS, diskCheckIntervalMs);
        if (writeQueueCapacity < 2 || Integer.bitCount(writeQueueCapacity) != 1)
        {
            throw new InvalidSettingException(WRITE_QUEUE_CAPACITY, writeQueueCapacity, "expected a power of two >= 2");
        }
        if (maxBatch < 1 || maxBatch > writeQueueCapacity)
        {
            throw new InvalidSettingException(MAX_BATCH, maxBatch, "expected 1 to " + WRITE_QUEUE_CAPACITY);
        }
        if (!(compactionLiveRatio >= 0 && compactionLiveRatio <= 1))
        {
            throw new InvalidSettingException(COMPACTION_LIVE_RATIO, compactionLiveRatio, "expected 0.0 to 1.0");
        }
        requirePositive(MAINTENANCE_INTERVAL_MS, maintenanceIntervalMs);
        if (clock == null)
        {
            throw new InvalidSettingException("clock", null, "expected a clock");
        }
        concluded = true;
        return this;
    }

    private static void requirePositive(final String key, final long value)
    {
        if (value <= 0)
        {
            throw new InvalidSettingException(key, value, "expected a positive number");
        }
    }

    private static RollCycle parseRollCycle(final String name)
    {
        final String upper = name == null ? "" : name.trim().toUpperCase(Locale.ROOT);
        for (final RollCycles cycle : RollCycles.values())
        {
            if (cycle.name().equals(upper))
            {
                return cycle;
            }
        }
        for (final TestRollCycles cycle : TestRollCycles.values())
        {
            if (cycle.name().equals(upper))
            {
                return cycle;
            }
        }
        throw new InvalidSettingException(ROLL_CYCLE, name,
            "expected a Chronicle roll cycle such as FIVE_MINUTELY, FAST_HOURLY or FAST_DAILY");
    }

    private void checkMutable()
    {
        if (concluded)
        {
            throw new IllegalStateException("SpoolContext is concluded and can no longer change");
        }
    }

    public SpoolContext directory(final Path directory)
    {
        checkMutable();
        this.directory = directory;
        return this;
    }

    public Path directory()
    {
        return directory;
    }

    public SpoolContext durability(final Durability durability)
    {
        checkMutable();
        this.durability = durability;
        return this;
    }

    public Durability durability()
    {
        return durability;
    }

    public SpoolContext rollCycle(final String rollCycleName)
    {
        checkMutable();
        this.rollCycleName = rollCycleName;
        return this;
    }

    /** @return the roll cycle, resolved by {@link #conclude()}. */
    public RollCycle rollCycle()
    {
        return rollCycle;
    }

    public SpoolContext blockSizeBytes(final long blockSizeBytes)
    {
        checkMutable();
        this.blockSizeBytes = blockSizeBytes;
        return this;
    }

    public long blockSizeBytes()
    {
        return blockSizeBytes;
    }

    public SpoolContext chunkBytes(final int chunkBytes)
    {
        checkMutable();
        this.chunkBytes = chunkBytes;
        return this;
    }

    public int chunkBytes()
    {
        return chunkBytes;
    }

    public SpoolContext maxMessageBytes(final long maxMessageBytes)
    {
        checkMutable();
        this.maxMessageBytes = maxMessageBytes;
        return this;
    }

    public long maxMessageBytes()
    {
        return maxMessageBytes;
    }

    public SpoolContext diskReserveBytes(final long diskReserveBytes)
    {
        checkMutable();
        this.diskReserveBytes = diskReserveBytes;
        return this;
    }

    public long diskReserveBytes()
    {
        return diskReserveBytes;
    }

    public SpoolContext diskCheckIntervalMs(final long diskCheckIntervalMs)
    {
        checkMutable();
        this.diskCheckIntervalMs = diskCheckIntervalMs;
        return this;
    }

    public long diskCheckIntervalMs()
    {
        return diskCheckIntervalMs;
    }

    public SpoolContext writeQueueCapacity(final int writeQueueCapacity)
    {
        checkMutable();
        this.writeQueueCapacity = writeQueueCapacity;
        return this;
    }

    public int writeQueueCapacity()
    {
        return writeQueueCapacity;
    }

    public SpoolContext maxBatch(final int maxBatch)
    {
        checkMutable();
        this.maxBatch = maxBatch;
        return this;
    }

    public int maxBatch()
    {
        return maxBatch;
    }

    public SpoolContext compactionLiveRatio(final double compactionLiveRatio)
    {
        checkMutable();
        this.compactionLiveRatio = compactionLiveRatio;
        return this;
    }

    public double compactionLiveRatio()
    {
        return compactionLiveRatio;
    }

    public SpoolContext maintenanceIntervalMs(final long maintenanceIntervalMs)
    {
        checkMutable();
        this.maintenanceIntervalMs = maintenanceIntervalMs;
        return this;
    }

    public long maintenanceIntervalMs()
    {
        return maintenanceIntervalMs;
    }

    public SpoolContext allowMissingCycles(final boolean allowMissingCycles)
    {
        checkMutable();
        this.allowMissingCycles = allowMissingCycles;
        return this;
    }

    public boolean allowMissingCycles()
    {
        return allowMissingCycles;
    }

    /** The clock for ids, ages and journal roll cycles; tests inject one they can move. */
    public SpoolContext clock(final Clock clock)
    {
        checkMutable();
        this.clock = clock;
        return this;
    }

    public Clock clock()
    {
        return clock;
    }

    /** Replaces the journal writer's own idle strategy (parks, woken by every request); null restores it. */
    public SpoolContext writerIdleStrategy(final Supplier<IdleStrategy> writerIdleStrategy)
    {
        checkMutable();
        this.writerIdleStrategy = writerIdleStrategy;
        return this;
    }

    /** @return the idle strategy that replaces the writer's own, or null. */
    public Supplier<IdleStrategy> writerIdleStrategy()
    {
        return writerIdleStrategy;
    }
}
