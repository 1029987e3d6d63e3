package io.sluice.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import org.junit.jupiter.api.Test;

/** Rates over a sliding window, from samples at times the test gives: no wall clock. */
class CounterRatesTest
{
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final CounterRates rates = rates(10_000);

    private CounterRates rates(final long windowMillis)
    {
        final Map<String, LongSupplier> counters = new LinkedHashMap<>();
        counters.put("accepted", accepted::get);
        counters.put("delivered", delivered::get);
        return new CounterRates(counters, windowMillis);
    }

    @Test
    void shouldAverageGrowthOverTheWindowAndForgetWhatLeftIt()
    {
        assertThat(rates.ratePerSecond("accepted")).as("no samples yet").isZero();
        rates.sample(0);
        assertThat(rates.ratePerSecond("accepted")).as("one sample").isZero();
        for (long second = 1; second <= 10; second++)
        {
            accepted.addAndGet(100);
            delivered.addAndGet(second <= 5 ? 0 : 40);
            rates.sample(second * 1000);
        }
        assertThat(rates.ratePerSecond("accepted")).isEqualTo(100.0);
        assertThat(rates.ratePerSecond("delivered")).isEqualTo(20.0);

        for (long second = 11; second <= 20; second++)
        {
            delivered.addAndGet(40);
            rates.sample(second * 1000);
        }
        assertThat(rates.ratePerSecond("accepted")).as("nothing accepted in the last window").isZero();
        assertThat(rates.ratePerSecond("delivered")).isEqualTo(40.0);
    }

    @Test
    void shouldStartOverWhenTheClockGoesBack()
    {
        rates.sample(5_000);
        accepted.addAndGet(50);
        rates.sample(6_000);
        assertThat(rates.ratePerSecond("accepted")).isEqualTo(50.0);

        accepted.addAndGet(1_000_000);
        rates.sample(1_000);
        assertThat(rates.ratePerSecond("accepted")).as("one sample since the step back").isZero();
    }

    @Test
    void shouldRefuseAnUnknownCounterAndAnEmptyWindow()
    {
        assertThatThrownBy(() -> rates.ratePerSecond("bounced"))
            .hasMessage("no counter bounced (counters: [accepted, delivered])");
        assertThatThrownBy(() -> rates(0)).hasMessage("expected a window above 0 ms, got 0");
    }
}
