package io.sluice.benchmarks.flood;

import java.util.Map;

/**
 * One look at the run, every half second: the backlog as the clients and the sink see it, and the system's
 * process tree (resident memory, CPU so far, open files) and its own view of its queue.
 *
 * @param nanos time since the run started
 * @param backlog accepted at the door, no final verdict upstream yet
 * @param accepted accepted at the door so far
 * @param finals final verdicts upstream so far
 * @param bounces bounces that reached the upstream so far
 * @param residentBytes resident set size of the system's process tree
 * @param cpuSeconds CPU seconds the system's process tree used so far
 * @param openFiles open file descriptors of the system's process tree
 * @param own the system's own view (Sluice: the drain over JMX; Postfix: queue files)
 */
record Sample(long nanos, int backlog, int accepted, int finals, long bounces, long residentBytes, double cpuSeconds,
              int openFiles, Map<String, Double> own)
{
}
