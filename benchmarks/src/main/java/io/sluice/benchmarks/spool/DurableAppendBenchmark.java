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
 * Durable append throughput ({@link Durability#DURABLE}: a future completes only after the msync covering the
 * record, so concurrent producers share msyncs, group commit, and throughput should grow with their number). Target
 * on a 2-core machine: at least 25,000 appends/s with 8 producers and 4 KiB messages.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar DurableAppendBenchmark
 * java -jar benchmarks/target/benchmarks.jar DurableAppendBenchmark.producers08 -p messageBytes=4096
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(1)
public class DurableAppendBenchmark extends AppendThroughputBenchmark
{
    @Override
    protected Durability durability()
    {
        return Durability.DURABLE;
    }
}
