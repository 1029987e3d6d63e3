/**
 * JMH benchmarks for {@link io.sluice.bounce.BouncePolicy}: the cost of one bounce decision during a flood.
 */
package io.sluice.benchmarks.bounce;
