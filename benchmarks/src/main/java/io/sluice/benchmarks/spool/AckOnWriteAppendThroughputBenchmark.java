package io.sluice.benchmarks.spool;

import java.util.concurrent.TimeUnit;

import io.sluice.spool.Durability;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Non-durable append throughput ({@link Durability#ACK_ON_WRITE}: the future completes once the record is in the
 * mapped file, no msync; it survives {@code kill -9}, not a power cut). Short iterations, because every message stays
 * pending: at memory speed a 64 KiB run writes gigabytes a second, and the spool's disk guard would start refusing
 * (and the benchmark fail) on a small disk.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar AckOnWriteAppendThroughputBenchmark -p messageBytes=4096
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class AckOnWriteAppendThroughputBenchmark extends AppendThroughputBenchmark
{
    @Override
    protected Durability durability()
    {
        return Durability.ACK_ON_WRITE;
    }
}
