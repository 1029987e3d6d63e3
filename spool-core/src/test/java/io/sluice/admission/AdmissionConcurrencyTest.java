package io.sluice.admission;

import static io.sluice.admission.AdmissionTesting.ip;
import static io.sluice.admission.AdmissionTesting.quietContext;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import io.sluice.testing.TestClock;

/** Event-loop threads deciding at once: the buckets neither lose nor invent a token. */
class AdmissionConcurrencyTest
{
    private static final int THREADS = 4;
    private static final int ATTEMPTS_PER_THREAD = 20_000;

    private final TestClock clock = new TestClock();

    private static int acceptedFromAllThreads(final Admission admission, final InetAddress client) throws Exception
    {
        final ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try
        {
            final CyclicBarrier start = new CyclicBarrier(THREADS);
            final List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++)
            {
                final Callable<Integer> task = () ->
                {
                    start.await();
                    int accepted = 0;
                    for (int i = 0; i < ATTEMPTS_PER_THREAD; i++)
                    {
                        if (admission.admitMessage(client, false, "acme", "example.org", "mail").isAccepted())
                        {
                            accepted++;
                        }
                    }
                    return accepted;
                };
                results.add(pool.submit(task));
            }
            int total = 0;
            for (final Future<Integer> result : results)
            {
                total += result.get();
            }
            return total;
        }
        finally
        {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldAdmitExactlyTheBurstWhenThreadsRaceForOneBucket() throws Exception
    {
        try (Admission admission = Admission.open(quietContext(clock)
            .ratePerSecond(KeyKind.IP, Traffic.MESSAGES, 0.001).burst(KeyKind.IP, Traffic.MESSAGES, 5000), new TestPressure()))
        {
            assertThat(acceptedFromAllThreads(admission, ip("198.51.100.7"))).isEqualTo(5000);
        }
    }

    @Test
    void shouldRefundExactlyWhatRefusedMessagesTookWhenThreadsRace() throws Exception
    {
        try (Admission admission = Admission.open(quietContext(clock)
            .ratePerSecond(KeyKind.IP, Traffic.MESSAGES, 0.001).burst(KeyKind.IP, Traffic.MESSAGES, 5000)
            .ratePerSecond(KeyKind.TENANT, Traffic.MESSAGES, 0.001).burst(KeyKind.TENANT, Traffic.MESSAGES, 2000),
            new TestPressure()))
        {
            final InetAddress client = ip("198.51.100.7");
            assertThat(acceptedFromAllThreads(admission, client)).isEqualTo(2000);
            admission.setDefaultLimit(KeyKind.TENANT, 0, 0);
            assertThat(acceptedFromAllThreads(admission, client))
                .as("the IP bucket lost only the 2000 tokens of admitted messages")
                .isEqualTo(3000);
        }
    }
}
