package io.sluice.containment;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import io.sluice.testing.TestClock;

/** A context on a clock the test moves, a listener that records what it is told, and pending messages. */
final class ContainmentTesting
{
    private ContainmentTesting()
    {
    }

    /** The default thresholds; a one-hour half-life so a test learns a baseline in a few simulated hours. */
    static ContainmentContext context(final TestClock clock, final Path stateFile)
    {
        return new ContainmentContext()
            .clock(clock)
            .nanoClock(clock)
            .baselineHalfLifeMs(3_600_000)
            .stateFile(stateFile)
            .reportingMta("mx.example.net")
            // The test messages come from 192.0.2.0/24: a tenant's own sending; 198.51.100.0/24 is the outside world.
            .sendingNetworks("192.0.2.0/24");
    }

    static PendingMessage message(final long id, final String tenant, final RecipientStatus... statuses)
    {
        final List<String> recipients = new ArrayList<>();
        for (int i = 0; i < statuses.length; i++)
        {
            recipients.add("rcpt" + i + "@example.org");
        }
        final Envelope envelope = new Envelope("192.0.2.1", tenant, "mail", "sender@" + tenant + ".test", recipients,
            1_700_000_000_000L);
        return new PendingMessage(id, envelope, 100, List.of(statuses));
    }

    static PendingMessage fresh(final long id, final String tenant)
    {
        return message(id, tenant, Collections.nCopies(1, RecipientStatus.NEW).toArray(new RecipientStatus[0]));
    }

    /** Records every event as text and every hold with its figures. */
    static final class RecordingListener implements ContainmentListener
    {
        record Held(String tenant, HoldReason reason, ContainmentFigures figures)
        {
        }

        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final List<Held> holds = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onHold(final String tenant, final HoldReason reason, final ContainmentFigures figures)
        {
            events.add("hold " + tenant + " " + reason);
            holds.add(new Held(tenant, reason, figures));
        }

        @Override
        public void onRelease(final String tenant)
        {
            events.add("release " + tenant);
        }

        @Override
        public void onPurge(final String tenant, final String note)
        {
            events.add("purge " + tenant);
        }
    }
}
