/** Benchmarks of the fleet's shared limits: a token decision on Redis beside the local one. */
package io.sluice.benchmarks.fleet;
