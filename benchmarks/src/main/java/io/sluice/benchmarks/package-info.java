/**
 * Sluice's JMH benchmarks. Sub-packages mirror the packages they measure ({@code io.sluice.benchmarks.spool}
 * for {@code io.sluice.spool}); {@link io.sluice.benchmarks.BenchmarkMain} runs them with the JVM flags the
 * forked JVMs need.
 */
package io.sluice.benchmarks;
