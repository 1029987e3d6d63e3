package io.sluice.control;

import io.sluice.ingress.IngressContext;
import io.sluice.ingress.SmtpServer;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolCounter;

/** The spool's counters and the ingress switch, read from lock-free counters; cheap to poll. */
public final class SpoolControl implements SpoolControlMXBean
{
    /** The setting that keeps a pause across restarts. */
    public static final String INGRESS_PAUSED = IngressContext.PAUSED;

    private final Spool spool;
    private final SmtpServer smtp;
    private final ControlState state;

    public SpoolControl(final Spool spool, final SmtpServer smtp, final ControlState state)
    {
        this.spool = spool;
        this.smtp = smtp;
        this.state = state;
    }

    @Override
    public long getPendingMessages()
    {
        return spool.counters().get(SpoolCounter.PENDING_MESSAGES);
    }

    @Override
    public long getPendingBytes()
    {
        return spool.counters().get(SpoolCounter.PENDING_BYTES);
    }

    @Override
    public long getOldestPendingAgeSeconds()
    {
        return spool.counters().get(SpoolCounter.OLDEST_PENDING_AGE_MS) / 1000;
    }

    @Override
    public long getMessagesAppended()
    {
        return spool.counters().get(SpoolCounter.MESSAGES_APPENDED);
    }

    @Override
    public long getOutcomesAppended()
    {
        return spool.counters().get(SpoolCounter.OUTCOMES_APPENDED);
    }

    @Override
    public long getSyncBatches()
    {
        return spool.counters().get(SpoolCounter.SYNC_BATCHES);
    }

    @Override
    public long getAppendsRefusedDiskFull()
    {
        return spool.counters().get(SpoolCounter.APPENDS_REFUSED_DISK);
    }

    @Override
    public boolean isAcceptingMessages()
    {
        return spool.isAcceptingMessages();
    }

    @Override
    public boolean isIngressPaused()
    {
        return smtp.isPaused();
    }

    @Override
    public void pauseIngress()
    {
        final boolean was = smtp.isPaused();
        smtp.pause(true);
        state.changed(INGRESS_PAUSED, was, true);
    }

    @Override
    public void resumeIngress()
    {
        final boolean was = smtp.isPaused();
        smtp.pause(false);
        state.changed(INGRESS_PAUSED, was, false);
    }
}
