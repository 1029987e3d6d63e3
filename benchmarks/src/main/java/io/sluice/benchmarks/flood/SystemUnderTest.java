package io.sluice.benchmarks.flood;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;

/** A mail system the scenario drives: started towards the scenario's upstream sink, stopped by its own pid. */
interface SystemUnderTest extends AutoCloseable
{
    /** Settings a new user must make: the relay domain and where mail goes upstream. */
    String REQUIRED = "settingsRequired";
    /** Settings changed from the shipped defaults beyond the required ones, printed with every figure. */
    String CHANGED = "settingsChangedFromDefaults";
    /** Ports, folders and log files of this run: where, not how. */
    String PLUMBING = "settingsPlumbing";

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

    /**
     * @return what the report should say about the system: version, and its settings in three keys:
     *     {@link #REQUIRED} (what a new user must set), {@link #CHANGED} (anything else changed from the shipped
     *     defaults, "none" when nothing is) and {@link #PLUMBING} (this run's ports and folders)
     */
    Map<String, String> describe();

    /** @return what the system says it still holds at the end (held, deferred, quarantined mail), name to value */
    default Map<String, String> finalState()
    {
        return Map.of();
    }

    @Override
    void close() throws IOException, InterruptedException;
}
