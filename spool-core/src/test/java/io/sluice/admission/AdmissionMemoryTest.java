package io.sluice.admission;

import static io.sluice.admission.AdmissionTesting.quietContext;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetAddress;
import java.net.UnknownHostException;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.sluice.testing.TestClock;

/**
 * What a million tracked sources cost in heap, measured after full collections: a key (address, network, domain
 * or tenant), its table entry, and Bucket4j's state for each of its buckets. A regression guard with a loose
 * bound, and the source of the bytes-per-key figure (printed; not yet committed under benchmarks/results).
 */
class AdmissionMemoryTest
{
    private static final Logger LOG = LoggerFactory.getLogger(AdmissionMemoryTest.class);
    private static final int SOURCES = 1_000_000;

    private final TestClock clock = new TestClock();

    private static long usedHeapAfterGc()
    {
        final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++)
        {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    private static InetAddress source(final int i) throws UnknownHostException
    {
        return InetAddress.getByAddress(new byte[] {10, (byte)(i >>> 16), (byte)(i >>> 8), (byte)i});
    }

    private double bytesPerKey(final AdmissionContext context, final boolean everyTraffic) throws UnknownHostException
    {
        final long before = usedHeapAfterGc();
        try (Admission admission = Admission.open(context.maxTrackedKeys(SOURCES + SOURCES / 100), new TestPressure()))
        {
            for (int i = 0; i < SOURCES; i++)
            {
                final InetAddress client = source(i);
                if (everyTraffic)
                {
                    admission.admitConnection(client);
                    admission.admitRecipient(client, false, null);
                }
                admission.admitMessage(client, false, null, null, "mail");
            }
            final long after = usedHeapAfterGc();
            assertThat(admission.trackedKeys()).isEqualTo(SOURCES);
            return (double)(after - before) / admission.trackedKeys();
        }
    }

    @Test
    void shouldTrackAMillionSourcesInBoundedHeap() throws UnknownHostException
    {
        final double oneBucket = bytesPerKey(quietContext(clock)
            .ratePerSecond(KeyKind.IP, Traffic.MESSAGES, 1).burst(KeyKind.IP, Traffic.MESSAGES, 10), false);
        final double threeBuckets = bytesPerKey(quietContext(clock)
            .ratePerSecond(KeyKind.IP, Traffic.MESSAGES, 1).burst(KeyKind.IP, Traffic.MESSAGES, 10)
            .ratePerSecond(KeyKind.IP, Traffic.RECIPIENTS, 1).burst(KeyKind.IP, Traffic.RECIPIENTS, 10)
            .ratePerSecond(KeyKind.IP, Traffic.CONNECTIONS, 1).burst(KeyKind.IP, Traffic.CONNECTIONS, 10), true);
        LOG.info("heap per tracked IP key: {} bytes with a message bucket, {} bytes with connection, message and recipient "
            + "buckets", Math.round(oneBucket), Math.round(threeBuckets));
        assertThat(oneBucket).isLessThan(256);
        assertThat(threeBuckets).isLessThan(400);
    }

    /** Issue 12's bound: reputation for a million keys in at most 300 MB, i.e. 300 bytes a key. */
    @Test
    void shouldKeepTheReputationOfAMillionAddressesUnderThreeHundredBytesEach() throws UnknownHostException
    {
        final AdmissionContext context = quietContext(clock);
        context.reputation().maxKeys(SOURCES + SOURCES / 100);
        final long before = usedHeapAfterGc();
        try (Admission admission = Admission.open(context, new TestPressure()))
        {
            for (int i = 0; i < SOURCES; i++)
            {
                final InetAddress client = source(i);
                admission.learn(client, ReputationEvent.CLEAN_DELIVERY);
                admission.learn(client, ReputationEvent.POLICY_REJECTION);
            }
            final long after = usedHeapAfterGc();
            // A million addresses and their 3,907 /24 networks.
            assertThat(admission.reputationKeys()).isEqualTo(SOURCES + (SOURCES + 255) / 256);
            final double perKey = (double)(after - before) / admission.reputationKeys();
            LOG.info("heap per reputation key: {} bytes ({} MB for {} keys)", Math.round(perKey),
                (after - before) / (1024 * 1024), admission.reputationKeys());
            assertThat(perKey).isLessThan(300);
        }
    }
}
