/**
 * JMH benchmarks for {@link io.sluice.drain.DrainScheduler}: the cost of one pick with many active queues.
 */
package io.sluice.benchmarks.drain;
