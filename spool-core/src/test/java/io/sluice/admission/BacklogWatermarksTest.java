package io.sluice.admission;

import static io.sluice.admission.BacklogWatermarks.AUTO;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;

import io.sluice.config.InvalidSettingException;
import org.junit.jupiter.api.Test;

/** The automatic backlog watermarks: each bound (disk, index memory, drain) at its limits, and what overrides them. */
class BacklogWatermarksTest
{
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;
    private static final long RESERVE = 256 * MIB;
    private static final long FIVE_DAYS_MS = TimeUnit.DAYS.toMillis(5);
    /** 4 KiB assumed content + 512 B around it. */
    private static final long ASSUMED = 4096 + 512;

    private static SpoolCapacity disk(final long freeBytes, final long pending, final long pendingBytes)
    {
        return new SpoolCapacity(freeBytes, RESERVE, pending, pendingBytes, 0, 0, 0);
    }

    private static BacklogWatermarks auto(final SpoolCapacity capacity)
    {
        return BacklogWatermarks.derive(AUTO, AUTO, AUTO, capacity);
    }

    @Test
    void shouldHoldWhatTheDiskAboveItsReserveHoldsAtTheAssumedSizeWhileFewArePending()
    {
        final BacklogWatermarks marks = auto(disk(RESERVE + 1000 * ASSUMED + ASSUMED - 1, 0, 0));
        assertThat(marks.hardLimit()).as("whole messages only").isEqualTo(1000);
        assertThat(marks.high()).isEqualTo(666);
        assertThat(marks.low()).isEqualTo(333);
        assertThat(marks.basis()).startsWith("auto: disk").contains("at 4608 B a message");
    }

    @Test
    void shouldUseThePendingMessagesOwnSizeOnceThereAreEnoughToMeasure()
    {
        // 999 pending of 100 KiB: too few, the assumed size stands; 1000: their own average.
        final long free = RESERVE + 10 * GIB;
        assertThat(auto(disk(free, 999, 999 * 102_400)).hardLimit()).isEqualTo(999 + 10 * GIB / ASSUMED);
        assertThat(auto(disk(free, 1000, 1000 * 102_400)).hardLimit()).isEqualTo(1000 + 10 * GIB / (102_400 + 512));
    }

    @Test
    void shouldCountThePendingMessagesSoTheFigureStaysPutWhileTheBacklogFillsTheDisk()
    {
        final long room = 46L * GIB;
        final BacklogWatermarks empty = auto(disk(RESERVE + room, 0, 0));
        final long pending = 5_000_000;
        final BacklogWatermarks half = auto(disk(RESERVE + room - pending * ASSUMED, pending, pending * 4096));
        assertThat(half.hardLimit()).isEqualTo(empty.hardLimit());
        assertThat(empty.hardLimit()).isEqualTo(room / ASSUMED).isGreaterThan(10_000_000);
    }

    @Test
    void shouldHoldNoMoreThanThePendingOnceTheDiskIsAtOrUnderItsReserve()
    {
        assertThat(auto(disk(RESERVE, 40_000, 40_000 * 4096)).hardLimit()).isEqualTo(40_000);
        assertThat(auto(disk(RESERVE / 2, 40_000, 40_000 * 4096)).hardLimit()).isEqualTo(40_000);
        assertThat(auto(disk(RESERVE / 2, 40_000, 40_000 * 4096)).high()).as("backpressure is on").isLessThan(40_000);
        final BacklogWatermarks full = auto(disk(0, 0, 0));
        assertThat(full.hardLimit()).isEqualTo(1);
        assertThat(full.high()).isEqualTo(1);
        assertThat(full.low()).isZero();
    }

    @Test
    void shouldHoldNoMoreThanTheIndexsDirectMemory()
    {
        // 640 MiB for the index: 10,485,760 entries of 64 B, on a disk that holds far more.
        final SpoolCapacity capacity = new SpoolCapacity(RESERVE + 200 * GIB, RESERVE, 0, 0, 640 * MIB, 0, 0);
        final BacklogWatermarks marks = auto(capacity);
        assertThat(marks.hardLimit()).isEqualTo(10_485_760);
        assertThat(marks.high()).isEqualTo(6_990_506);
        assertThat(marks.low()).isEqualTo(3_495_253);
        assertThat(marks.basis()).isEqualTo("auto: index memory, 640 MiB of direct memory at 64 B a message");
        assertThat(auto(new SpoolCapacity(RESERVE + 200 * GIB, RESERVE, 0, 0, 63, 0, 0)).hardLimit())
            .as("less than one entry still leaves a watermark").isEqualTo(1);
    }

    @Test
    void shouldHoldNoMoreThanTheDrainSendsBeforeTheMessagesWouldBounce()
    {
        // 1 msg/s for 5 days: 432,000; the 2 TiB disk and the memory hold more.
        final SpoolCapacity capacity = new SpoolCapacity(RESERVE + 2048 * GIB, RESERVE, 0, 0, 640 * MIB, 1, FIVE_DAYS_MS);
        final BacklogWatermarks marks = auto(capacity);
        assertThat(marks.hardLimit()).isEqualTo(432_000);
        assertThat(marks.basis()).isEqualTo("auto: drain, 1 msgs/s for the 120 h a message may wait");
        assertThat(auto(new SpoolCapacity(RESERVE + GIB, RESERVE, 0, 0, 0, 0, FIVE_DAYS_MS)).hardLimit())
            .as("no rate known: no drain bound").isEqualTo(GIB / ASSUMED);
    }

    @Test
    void shouldNotOverflowOnAnUnboundedCapacity()
    {
        final BacklogWatermarks marks = auto(new SpoolCapacity(Long.MAX_VALUE, 0, Long.MAX_VALUE / 2, 0, 0, 0, 0));
        assertThat(marks.hardLimit()).isPositive();
        assertThat(marks.high()).isPositive().isLessThan(marks.hardLimit());
        assertThat(marks.low()).isPositive().isLessThan(marks.high());
    }

    @Test
    void shouldTakeConfiguredFiguresAsTheyAreAndHoldTheAutoOnesAroundThem()
    {
        final SpoolCapacity capacity = disk(RESERVE + 3000 * ASSUMED, 0, 0);
        assertThat(BacklogWatermarks.derive(10, 20, 30, capacity)).isEqualTo(new BacklogWatermarks(10, 20, 30, "configured"));
        assertThat(BacklogWatermarks.derive(10, 20, 30, null).basis()).isEqualTo("configured");

        final BacklogWatermarks highSet = BacklogWatermarks.derive(AUTO, 5000, AUTO, capacity);
        assertThat(highSet.hardLimit()).as("the hard limit is never under the configured high").isEqualTo(5000);
        assertThat(highSet.low()).isEqualTo(2500);
        assertThat(highSet.basis()).startsWith("partly configured; auto: disk");

        final BacklogWatermarks hardSet = BacklogWatermarks.derive(AUTO, AUTO, 900, capacity);
        assertThat(hardSet.high()).as("held at the configured hard limit").isEqualTo(900);
        assertThat(hardSet.low()).isEqualTo(450);

        final BacklogWatermarks lowSet = BacklogWatermarks.derive(2500, AUTO, AUTO, capacity);
        assertThat(lowSet.high()).isEqualTo(2000);
        assertThat(lowSet.low()).as("held at the derived high").isEqualTo(2000);
    }

    @Test
    void shouldFallBackToTheFixedFiguresWhenTheCapacityIsUnknown()
    {
        assertThat(auto(null)).isEqualTo(new BacklogWatermarks(50_000, 100_000, 150_000, "auto: fixed: no spool capacity known"));
    }

    @Test
    void shouldReadAutoOrANumberAndNameTheKeyAndValueOfAnythingElse()
    {
        assertThat(AdmissionContext.BACKLOG_HIGH_WATERMARK.defaultText()).isEqualTo("auto");
        assertThat(AdmissionContext.backlogValue(AdmissionContext.BACKLOG_HIGH_WATERMARK.parse(" AUTO "))).isEqualTo(AUTO);
        assertThat(AdmissionContext.backlogValue(AdmissionContext.BACKLOG_HARD_LIMIT.parse("10_000_000"))).isEqualTo(10_000_000);
        assertThat(AdmissionContext.backlogValue(AdmissionContext.BACKLOG_LOW_WATERMARK.parse("0"))).isZero();
        for (final String bad : new String[] {"lots", "-1", "1.5", ""})
        {
            assertThatThrownBy(() -> AdmissionContext.BACKLOG_HIGH_WATERMARK.parse(bad))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("admission.backlog.highWatermark")
                .hasMessageContaining("auto or a whole number of at least 1");
        }
        assertThatThrownBy(() -> AdmissionContext.BACKLOG_HARD_LIMIT.parse("0"))
            .hasMessageContaining("admission.backlog.hardLimit=0");
    }
}
