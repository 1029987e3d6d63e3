/**
 * JMH benchmarks for {@link io.sluice.admission.Admission}: the cost of one decision with a million tracked
 * sources, on the accept path (every bucket charged) and on the flood path (refused at the source's own bucket).
 */
package io.sluice.benchmarks.admission;
