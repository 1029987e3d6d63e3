package io.sluice.benchmarks.flood;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;

/** A mail system the scenario drives: started towards the scenario's upstream sink, stopped by its own pid. */
interface SystemUnderTest extends AutoCloseable
{
    /** @return "sluice" or "postfix" */
    String name();

    /**
     * Starts the system relaying the protected domain to the sink; returns once it answers SMTP.
     *
     * @param sinkPort the upstream sink's port on 127.0.0.1
     */
    void start(int sinkPort) throws IOException, InterruptedException;

    InetSocketAddress smtp();

    /** @return the pid whose process tree is the system (for RSS and CPU) */
    long pid();

    /** @return the system's own view of its backlog (name to value), empty when it has none to offer */
    Map<String, Double> ownView();

    /** @return what the report should say about the system: version, settings */
    Map<String, String> describe();

    @Override
    void close() throws IOException, InterruptedException;
}
