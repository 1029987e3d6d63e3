package io.sluice.spool;

import io.sluice.counters.EnumCounters;
import io.sluice.counters.CounterDescriptor;

/**
 * The spool's counters, each with a stable id and a label, in the manner of Aeron's system counters:
 * ids never change meaning, so a console or a benchmark can read them by id. {@link EnumCounters}
 * refuses duplicate ids at start-up.
 */
public enum SpoolCounter implements CounterDescriptor
{
    MESSAGES_APPENDED(0, "messages appended to the journal"),
    BYTES_APPENDED(1, "message bytes appended to the journal"),
    OUTCOMES_APPENDED(2, "recipient outcomes appended to the journal"),
    MESSAGES_SYNCED(3, "messages made durable by an msync"),
    SYNC_BATCHES(4, "msync calls (group commits)"),
    PENDING_MESSAGES(5, "messages with a recipient not yet final"),
    PENDING_BYTES(6, "content bytes of pending messages"),
    OLDEST_PENDING_AGE_MS(7, "age of the oldest pending message, ms"),
    APPENDS_REFUSED_DISK(8, "appends refused: free space under the reserve"),
    APPENDS_REFUSED_OVERLOADED(9, "appends refused: writer queue full"),
    APPENDS_REFUSED_TOO_LARGE(10, "appends refused: message over the size limit"),
    CORRUPT_RECORDS_SKIPPED(11, "journal records skipped as torn or corrupt"),
    MESSAGES_CARRIED_FORWARD(12, "pending messages copied forward so an old cycle file can go"),
    CYCLE_FILES_DELETED(13, "journal cycle files deleted by retention"),
    WRITER_ERRORS(14, "errors caught in the journal writer's duty cycle"),
    JOURNAL_IO_FAILURES(15, "journal writes or syncs that failed"),
    DISK_PRESSURE_EPISODES(16, "times free disk space fell under the reserve (disk pressure began)"),
    DISK_PRESSURE_MS(17, "time under disk pressure since start, ms"),
    DISK_PRESSURE_CURRENT_MS(18, "time the current disk pressure has lasted, ms; 0 when there is none"),
    DISK_PRESSURE_ETA_MS(19, "estimated ms until new mail is accepted again; 0 when accepting, -1 when unknown"),
    DISK_FREE_BYTES(20, "free space on the spool's filesystem at the last check, bytes"),
    CYCLES_ROLLED_EARLY(21, "journal cycles started early so that a full disk could free space"),
    DAMAGED_SPANS(22, "damaged stretches of journal files skipped at recovery"),
    MESSAGES_LOST_TO_DAMAGE(23, "messages left incomplete by journal damage, by queue id"),
    PENDING_UNREADABLE(24, "pending messages whose envelope could not be read back from the journal"),
    INDEX_CHECKPOINTS(25, "pending-index checkpoints written"),
    INDEX_CHECKPOINT_FAILURES(26, "pending-index checkpoints that could not be written"),
    FULL_REPLAYS(27, "recoveries that replayed the whole journal: no usable pending-index checkpoint"),
    INDEX_OFF_HEAP_BYTES(28, "direct memory the pending index takes, bytes"),
    APPENDS_REFUSED_INDEX_MEMORY(29, "appends refused: no direct memory left for the pending index");

    private final int id;
    private final String label;

    SpoolCounter(final int id, final String label)
    {
        this.id = id;
        this.label = label;
    }

    public int id()
    {
        return id;
    }

    public String label()
    {
        return label;
    }
}
