package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class QueueIdsTest
{
    @Test
    void formatsSixteenUpperCaseHexDigitsThatParseBack()
    {
        assertThat(QueueIds.format(0)).isEqualTo("0000000000000000");
        assertThat(QueueIds.format(0xABCL)).isEqualTo("0000000000000ABC");
        assertThat(QueueIds.format(-1L)).isEqualTo("FFFFFFFFFFFFFFFF");
        final long id = QueueIds.next(0, 1_765_000_000_000L);
        assertThat(QueueIds.format(id)).isEqualTo(String.format("%016X", id));
        assertThat(QueueIds.parse(QueueIds.format(id))).isEqualTo(id);
        assertThat(QueueIds.parse(QueueIds.format(Long.MIN_VALUE))).isEqualTo(Long.MIN_VALUE);
    }
}
