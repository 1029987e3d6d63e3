package io.sluice.spool;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

import io.sluice.config.Concludable;
import io.sluice.config.InvalidSettingException;
import io.sluice.config.Setting;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;
import org.agrona.concurrent.IdleStrategy;

/**
 * The spool's settings: each declared once ({@link Setting}: key, default, range, description), a fluent setter, and
 * one {@link #conclude()} that validates them all and names the key of the first bad one.
 */
public final class SpoolContext extends Concludable
{
    public static final Setting<Path> DIRECTORY = Setting.ofPath("spool.directory", "spool")
        .doc("Where the journal lives. The directory is created if missing.")
        .build();

    public static final Setting<Durability> DURABILITY = Setting.ofEnum("spool.durability", Durability.class, Durability.DURABLE)
        .doc("DURABLE: a 250 only after an msync covers the message (survives power loss). ACK_ON_WRITE: a "
            + "250 once the message is in the page cache (survives kill -9, not power loss).")
        .build();

    /**
     * Chronicle's roll cycle: how much time one journal file covers, and so the grain of retention, which deletes a
     * file only once a newer one exists. Five minutes keeps what stays on disk close to what is pending without disk
     * pressure ever having to act; under pressure the spool starts the next file early (SpaceReclaimer), which moves
     * the journal's file names ahead of the clock by at most one cycle each time, so a short cycle also keeps them
     * near the real time.
     */
    public static final Setting<String> ROLL_CYCLE = Setting.ofString("spool.rollCycle", "FIVE_MINUTELY")
        .check(SpoolContext::isRollCycle, "a Chronicle roll cycle such as FIVE_MINUTELY, FAST_HOURLY or FAST_DAILY")
        .doc("How much time one journal file covers: FIVE_MINUTELY, TEN_MINUTELY, HALF_HOURLY, FAST_HOURLY, "
            + "FAST_DAILY ... Retention deletes a file once a newer one exists and nothing in it is pending; "
            + "under disk pressure the spool starts the next file early whatever the cycle "
            + "([spool.md](spool.md#disk-pressure)).")
        .build();

    /** The largest {@link #BLOCK_SIZE_BYTES}: it also bounds the longest record a journal can hold ({@code Journal.copy}). */
    static final long MAX_BLOCK_SIZE_BYTES = 1L << 30;

    /**
     * Chronicle maps the journal in blocks of this size and caps one record at a quarter of it; bodies
     * larger than {@link #CHUNK_BYTES} are split across records, so this only sets the mapping grain. Files are
     * sparse, so a block costs disk only as it is written (a new file's first pages are about 12 KiB), but the reserve
     * must hold four blocks so that even outcomes, which may use the last quarter of it, never make Chronicle touch a
     * block the disk cannot back: 16 MiB keeps that at 64 MiB, well inside the 256 MiB default reserve.
     */
    public static final Setting<Long> BLOCK_SIZE_BYTES = Setting.ofLong("spool.blockSizeBytes", 16L << 20)
        .check(size -> size >= 256 << 10 && Long.bitCount(size) == 1 && size <= MAX_BLOCK_SIZE_BYTES,
            "a power of two from 256 KiB to 1 GiB")
        .doc("Chronicle maps the journal in blocks of this size and caps one record at a quarter of it; "
            + "bodies larger than `spool.chunkBytes` are split across records, so this only sets the mapping "
            + "grain.")
        .build();

    public static final Setting<Integer> CHUNK_BYTES = Setting.ofInt("spool.chunkBytes", 1 << 20)
        .atLeast(1024)
        .checkedWith("at most a quarter of `spool.blockSizeBytes` less 4096 (the record overhead)")
        .doc("Size of the records a message body is split into.")
        .build();

    public static final Setting<Long> MAX_MESSAGE_BYTES = Setting.ofLong("spool.maxMessageBytes", 64L << 20)
        .atLeast(1024)
        .doc("The largest message the spool takes (`REFUSED_TOO_LARGE`, `552 5.3.4`); keep "
            + "`smtp.maxMessageBytes` under it.")
        .build();

    /**
     * Free space under which new messages are refused (SMTP 452 4.3.1): the spool is then under disk pressure and
     * works to free space until it is back above the reserve by an eighth of it (see DiskGuard). Chronicle dies
     * with SIGBUS when it touches a mapped block the filesystem cannot back (Chronicle Queue issue #1282), so the
     * reserve must cover several blocks; the spool's own maintenance may use its upper half, and outcome records,
     * which are what let a full spool drain, may go down to its last quarter.
     */
    public static final Setting<Long> DISK_RESERVE_BYTES = Setting.ofLong("spool.diskReserveBytes", 256L << 20)
        .checkedWith("at least 4 x `spool.blockSizeBytes`")
        .doc("Free space under which new mail is refused with `452 4.3.1`, long before the disk is full "
            + "([spool.md](spool.md#disk-guard)). The spool then frees space "
            + "by itself and takes mail again once free space is back above the reserve by an eighth of it "
            + "([spool.md](spool.md#disk-pressure)).")
        .build();

    public static final Setting<Long> DISK_CHECK_INTERVAL_MS = Setting.ofLong("spool.diskCheckIntervalMs", 100)
        .positive()
        .doc("How often free space is checked.")
        .build();

    public static final Setting<Integer> WRITE_QUEUE_CAPACITY = Setting.ofInt("spool.writeQueueCapacity", 65_536)
        .check(capacity -> capacity >= 2 && Integer.bitCount(capacity) == 1, "a power of two >= 2")
        .doc("Appends waiting for the journal writer; when it is full, new appends are "
            + "refused as overloaded (`451 4.3.0`).")
        .build();

    public static final Setting<Integer> MAX_BATCH = Setting.ofInt("spool.maxBatch", 512)
        .atLeast(1)
        .checkedWith("at most `spool.writeQueueCapacity`")
        .doc("Upper bound on records one group commit covers; bounds the latency the first of them waits.")
        .build();

    public static final Setting<Double> COMPACTION_LIVE_RATIO = Setting.ofDouble("spool.compactionLiveRatio", 0.25)
        .range(0.0, 1.0)
        .doc("Retention copies the still-pending messages out of the oldest journal file once they are no "
            + "more than this fraction of it, so the file can be deleted: disk use follows what is pending, "
            + "not history.")
        .build();

    public static final Setting<Long> MAINTENANCE_INTERVAL_MS = Setting.ofLong("spool.maintenanceIntervalMs", 1000)
        .positive()
        .doc("How often retention (deleting and carrying forward) runs.")
        .build();

    public static final Setting<Long> CHECKPOINT_INTERVAL_MS = Setting.ofLong("spool.checkpointIntervalMs", 300_000)
        .atLeast(0)
        .doc("How often the journal writer checkpoints the pending index (and always at a clean stop), so a start "
            + "after a crash replays only the journal written since; 0 checkpoints only at a clean stop. The 64 bytes "
            + "per pending message are copied and written on their own thread; the writer only notes where the "
            + "journal is.")
        .build();

    /**
     * Start even when a journal file that retention never deleted is missing (its pending mail is lost).
     * Off by default: recovery refuses and says which file, so an operator decides, not the daemon.
     */
    public static final Setting<Boolean> ALLOW_MISSING_CYCLES = Setting.ofBoolean("spool.allowMissingCycles", false)
        .doc("A journal file missing without retention having deleted it stops the start (its pending mail "
            + "would be lost); true starts anyway, with an error in the log.")
        .build();

    /** Every declaration above, in the order the configuration reference lists them. */
    public static final List<Setting<?>> SETTINGS = List.of(DIRECTORY, DURABILITY, ROLL_CYCLE, BLOCK_SIZE_BYTES, CHUNK_BYTES,
        MAX_MESSAGE_BYTES, DISK_RESERVE_BYTES, DISK_CHECK_INTERVAL_MS, WRITE_QUEUE_CAPACITY, MAX_BATCH, COMPACTION_LIVE_RATIO,
        MAINTENANCE_INTERVAL_MS, CHECKPOINT_INTERVAL_MS, ALLOW_MISSING_CYCLES);

    /** Room in a record for the fixed header and recipient statuses beside a body chunk. */
    private static final int RECORD_OVERHEAD_BYTES = 4096;

    private Path directory = DIRECTORY.defaultValue();
    private Durability durability = DURABILITY.defaultValue();
    private String rollCycleName = ROLL_CYCLE.defaultValue();
    private RollCycle rollCycle;
    private long blockSizeBytes = BLOCK_SIZE_BYTES.defaultValue();
    private int chunkBytes = CHUNK_BYTES.defaultValue();
    private long maxMessageBytes = MAX_MESSAGE_BYTES.defaultValue();
    private long diskReserveBytes = DISK_RESERVE_BYTES.defaultValue();
    private long diskCheckIntervalMs = DISK_CHECK_INTERVAL_MS.defaultValue();
    private int writeQueueCapacity = WRITE_QUEUE_CAPACITY.defaultValue();
    private int maxBatch = MAX_BATCH.defaultValue();
    private double compactionLiveRatio = COMPACTION_LIVE_RATIO.defaultValue();
    private long maintenanceIntervalMs = MAINTENANCE_INTERVAL_MS.defaultValue();
    private boolean allowMissingCycles = ALLOW_MISSING_CYCLES.defaultValue();
    private long checkpointIntervalMs = CHECKPOINT_INTERVAL_MS.defaultValue();
    private Clock clock = Clock.systemUTC();
    // Null: the spool's own, which parks until maintenance is due and is woken by every request (Spool).
    private Supplier<IdleStrategy> writerIdleStrategy;

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
            throw DIRECTORY.invalid(null, "a directory for the journal");
        }
        DURABILITY.validate(durability);
        rollCycle = findRollCycle(ROLL_CYCLE.validate(rollCycleName));
        BLOCK_SIZE_BYTES.validate(blockSizeBytes);
        final long maxChunk = blockSizeBytes / 4 - RECORD_OVERHEAD_BYTES;
        if (CHUNK_BYTES.validate(chunkBytes) > maxChunk)
        {
            throw CHUNK_BYTES.invalid(chunkBytes,
                "1024 to " + maxChunk + " (a quarter of " + BLOCK_SIZE_BYTES + " less record overhead)");
        }
        MAX_MESSAGE_BYTES.validate(maxMessageBytes);
        if (diskReserveBytes < 4 * blockSizeBytes)
        {
            throw DISK_RESERVE_BYTES.invalid(diskReserveBytes,
                "at least 4 x " + BLOCK_SIZE_BYTES + " (" + 4 * blockSizeBytes
                + "): Chronicle must never touch a block the disk cannot back");
        }
        DISK_CHECK_INTERVAL_MS.validate(diskCheckIntervalMs);
        WRITE_QUEUE_CAPACITY.validate(writeQueueCapacity);
        if (MAX_BATCH.validate(maxBatch) > writeQueueCapacity)
        {
            throw MAX_BATCH.invalid(maxBatch, "1 to " + WRITE_QUEUE_CAPACITY);
        }
        COMPACTION_LIVE_RATIO.validate(compactionLiveRatio);
        MAINTENANCE_INTERVAL_MS.validate(maintenanceIntervalMs);
        CHECKPOINT_INTERVAL_MS.validate(checkpointIntervalMs);
        if (clock == null)
        {
            throw new InvalidSettingException("clock", null, "expected a clock");
        }
        markConcluded();
        return this;
    }

    private static boolean isRollCycle(final String name)
    {
        return findRollCycle(name) != null;
    }

    private static RollCycle findRollCycle(final String name)
    {
        final String upper = name.trim().toUpperCase(Locale.ROOT);
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
        return null;
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

    public SpoolContext checkpointIntervalMs(final long checkpointIntervalMs)
    {
        checkMutable();
        this.checkpointIntervalMs = checkpointIntervalMs;
        return this;
    }

    public long checkpointIntervalMs()
    {
        return checkpointIntervalMs;
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
