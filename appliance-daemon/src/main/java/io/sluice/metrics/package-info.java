/**
 * What fleet monitoring scrapes: the stages' counters and the drain's status as Prometheus metrics, the spool's
 * timings as histograms, and the HTTP endpoints {@code /metrics}, {@code /healthz} and {@code /readyz}. Everything
 * here reads what the stages already publish (Agrona counters, the drain's status snapshot); nothing takes a lock on
 * a hot path.
 */
package io.sluice.metrics;
