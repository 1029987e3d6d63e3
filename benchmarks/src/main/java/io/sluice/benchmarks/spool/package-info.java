/**
 * JMH benchmarks for {@link io.sluice.spool.Spool}: durable append throughput, append latency when
 * acknowledging on write, and recovery time with many pending messages. Each opens its spool on a fresh
 * directory under {@code -Dsluice.bench.dir} (default: the system temp dir) and deletes it afterwards.
 */
package io.sluice.benchmarks.spool;
