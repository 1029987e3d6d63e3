/**
 * The ground floor for text forms shared by the daemon's {@code sluice --json} output and the benchmarks' reports:
 * one JSON writer ({@link io.sluice.text.Json}). It depends on nothing else in Sluice, so every floor may use it.
 */
package io.sluice.text;
