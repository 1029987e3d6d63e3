package io.sluice.daemon;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.concurrent.Agent;

/**
 * An agent with a heartbeat: counts its duty cycles, for the watchdog, without touching the agent itself. The drain's
 * runner runs it; it beats at least every time the drain's idle strategy wakes (20 ms at most).
 */
final class BeatingAgent implements Agent
{
    private final Agent agent;
    private final AtomicLong dutyCycles = new AtomicLong();
    /** Test hook: while set, the next duty cycle waits on it, as a hung drain would. */
    private volatile CountDownLatch stall;

    BeatingAgent(final Agent agent)
    {
        this.agent = agent;
    }

    long heartbeat()
    {
        return dutyCycles.get();
    }

    /** Test hook: the duty cycle hangs until {@code release} is counted down. */
    void stallUntil(final CountDownLatch release)
    {
        stall = release;
    }

    @Override
    public void onStart()
    {
        agent.onStart();
    }

    @Override
    public int doWork() throws Exception
    {
        // Single writer: an ordered store, no read-modify-write fence, on every cycle.
        dutyCycles.lazySet(dutyCycles.get() + 1);
        final CountDownLatch hang = stall;
        if (hang != null)
        {
            stall = null;
            hang.await();
        }
        return agent.doWork();
    }

    @Override
    public void onClose()
    {
        agent.onClose();
    }

    @Override
    public String roleName()
    {
        return agent.roleName();
    }
}
