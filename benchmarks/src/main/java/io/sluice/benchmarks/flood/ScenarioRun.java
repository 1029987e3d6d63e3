package io.sluice.benchmarks.flood;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One run of the scenario against one system: the upstream sink, the system, legitimate traffic from the start,
 * the flood after the warm-up, and samples until the flood's backlog is gone and the legitimate traffic has run
 * on for a while. What it saw goes into a {@link RunResult}.
 */
final class ScenarioRun
{
    private static final long SECOND = 1_000_000_000L;
    private static final long SAMPLE_NANOS = SECOND / 2;
    private static final int LEGIT_RETRY_LIMIT = 300;
    private static final Runnable NOTHING = ScenarioRun::nothing;

    private final ScenarioOptions options;
    private final FloodTraffic traffic;
    private final SystemUnderTest system;
    private final Ledger ledger;
    private final List<Sample> samples = new ArrayList<>();
    private volatile boolean legitRunning = true;
    /** Legitimate messages neither accepted nor given up on: still being tried or waiting for their next try. */
    private final AtomicInteger legitOutstanding = new AtomicInteger();
    private ScheduledExecutorService retryClock;
    private ExecutorService legitSenders;
    private volatile long floodStart = Ledger.NEVER;
    private long floodSent = Ledger.NEVER;
    private long floodDrained = Ledger.NEVER;
    private long legitStopped = Ledger.NEVER;
    private long end;
    private Map<String, String> finalState = Map.of();

    ScenarioRun(final ScenarioOptions options, final SystemUnderTest system)
    {
        this.options = options;
        this.traffic = new FloodTraffic(options);
        this.system = system;
        this.ledger = new Ledger(System.nanoTime(), options.floodMessages());
    }

    RunResult run() throws IOException, InterruptedException
    {
        try (UpstreamSink sink = new UpstreamSink(0, options.upstreamRate(), options.upstreamBurst(), ledger))
        {
            log("starting " + system.name() + " (upstream sink on 127.0.0.1:" + sink.port() + ", "
                + options.upstreamRate() + " msgs/s)");
            system.start(sink.port());
            log("settings changed from the defaults: " + system.describe().getOrDefault(SystemUnderTest.CHANGED, "?"));
            try
            {
                drive();
                finalState = system.finalState();
            }
            finally
            {
                system.close();
            }
        }
        final Map<String, String> description = new java.util.LinkedHashMap<>(system.describe());
        finalState.forEach((key, value) -> description.put("atTheEnd." + key, value));
        return new RunResult(options, system.name(), description, ledger, samples, floodStart, floodSent,
            floodDrained, legitStopped, end);
    }

    private void drive() throws InterruptedException
    {
        final long base = ledger.now();
        final ScheduledExecutorService clock = Executors.newScheduledThreadPool(2);
        // One thread per session in flight, however slow the server: a partner's MTAs send each message on its own,
        // and a queue in the harness would count as the server's latency. Retries wait on the clock, not in a thread.
        legitSenders = Executors.newCachedThreadPool();
        retryClock = clock;
        final ExecutorService flooders = Executors.newFixedThreadPool(options.floodSessions());
        try
        {
            clock.scheduleAtFixedRate(this::sample, 0, SAMPLE_NANOS, TimeUnit.NANOSECONDS);
            final AtomicInteger legitTick = new AtomicInteger();
            final AtomicInteger unknownUsersMade = new AtomicInteger();
            clock.scheduleAtFixedRate(() ->
            {
                if (legitRunning)
                {
                    final int tick = legitTick.getAndIncrement();
                    final int source = tick % options.legitSources();
                    // Unknown-users scenario: from the flood's start, every other message of the partner's steady
                    // stream goes to an unknown user until there are enough, so the stream keeps its rate.
                    final boolean unknownUser = floodStart != Ledger.NEVER && tick % 2 == 0
                        && unknownUsersMade.get() < options.unknownUserMessages()
                        && unknownUsersMade.incrementAndGet() <= options.unknownUserMessages();
                    final Ledger.LegitMessage message = ledger.legitMessage(source, ledger.now(), unknownUser);
                    legitOutstanding.incrementAndGet();
                    legitSenders.execute(() -> sendLegit(message, 0));
                }
            }, 0, (long)(SECOND / options.legitRate()), TimeUnit.NANOSECONDS);

            sleepUntil(base + options.warmupSeconds() * SECOND);
            floodStart = ledger.now();
            final List<int[]> sessions = traffic.floodSessions();
            log(options.floodKind().label() + " flood: " + options.floodMessages() + " messages from "
                + options.floodSources() + " sources in " + options.floodNetworks() + " networks, " + options.floodSessions()
                + " sessions at a time");
            for (final int[] messages : sessions)
            {
                flooders.execute(() -> sendFlood(messages));
            }
            flooders.shutdown();
            flooders.awaitTermination(options.maxSeconds(), TimeUnit.SECONDS);
            floodSent = ledger.now();
            log("flood sent in " + seconds(floodSent - floodStart) + " s: " + ledger.floodAcceptedCount() + " accepted");

            final long giveUp = floodStart + options.maxSeconds() * SECOND;
            final long idle = options.idleSeconds() * SECOND;
            int lastFinals = -1;
            long lastProgress = ledger.now();
            while (ledger.floodFinalCount() < ledger.floodAcceptedCount() && ledger.now() < giveUp
                && ledger.now() - lastProgress < idle)
            {
                // Progress is the flood's verdicts only: the partner's mail keeps arriving while a system holds or
                // quarantines the rest of the flood, and must not keep this wait going until --max-seconds.
                if (ledger.floodFinalCount() != lastFinals)
                {
                    lastFinals = ledger.floodFinalCount();
                    lastProgress = ledger.now();
                }
                Thread.sleep(100);
            }
            if (ledger.floodAcceptedCount() == 0)
            {
                // Refused whole in-session: there is no backlog, so no drain to time (floodDrained stays NEVER).
                log("no flood message was accepted: nothing to drain");
            }
            else if (ledger.floodFinalCount() >= ledger.floodAcceptedCount())
            {
                floodDrained = lastFloodFinal();
                log("flood drained " + seconds(floodDrained - floodStart) + " s after it started");
            }
            else
            {
                // Held, quarantined or stuck: the report counts them against what the system says it holds.
                log("stopped waiting after " + seconds(ledger.now() - floodStart) + " s (no verdict upstream for "
                    + options.idleSeconds() + " s, or --max-seconds): " + (ledger.floodAcceptedCount()
                    - ledger.floodFinalCount()) + " accepted flood messages without a verdict upstream");
            }
            sleepUntil(ledger.now() + options.afterSeconds() * SECOND);
            legitRunning = false;
            legitStopped = ledger.now();
            final long retriesEnd = ledger.now() + 120 * SECOND;
            while (legitOutstanding.get() > 0 && ledger.now() < retriesEnd)
            {
                Thread.sleep(100);
            }
            legitSenders.shutdown();
            legitSenders.awaitTermination(30, TimeUnit.SECONDS);
            awaitQuiet(giveUp, idle);
        }
        finally
        {
            clock.shutdownNow();
            legitSenders.shutdownNow();
            flooders.shutdownNow();
            end = ledger.now();
            sample();
        }
    }

    /**
     * Until every accepted message has its verdict and no bounce has arrived for five seconds, or nothing at all
     * reached the upstream for {@code idle} (what is left is held or stuck: the report says so), bounded.
     */
    private void awaitQuiet(final long giveUp, final long idle) throws InterruptedException
    {
        long lastActivity = -1;
        long quietSince = ledger.now();
        final long deadline = Math.max(giveUp, ledger.now() + 30 * SECOND);
        while (ledger.now() < deadline)
        {
            final long activity = ledger.bounces() + ledger.finalCount();
            if (activity != lastActivity)
            {
                lastActivity = activity;
                quietSince = ledger.now();
            }
            final long quiet = ledger.now() - quietSince;
            if (ledger.backlog() == 0 && quiet > 5 * SECOND || quiet > idle)
            {
                return;
            }
            Thread.sleep(200);
        }
    }

    private long lastFloodFinal()
    {
        long last = Ledger.NEVER;
        for (int m = 0; m < ledger.floodMessages(); m++)
        {
            last = Math.max(last, ledger.floodFinalAt(m));
        }
        return last;
    }

    private void sendFlood(final int[] messages)
    {
        final int sourceIndex = traffic.floodSourceOf(messages[0]);
        final InetAddress source = FloodTraffic.address(traffic.floodSource(sourceIndex));
        int sent = 0;
        try (SmtpClientSession session = SmtpClientSession.connect(source, system.smtp()))
        {
            SmtpClientSession.Reply reply = session.reply();
            if (reply.code() == 220)
            {
                reply = session.command("EHLO bot" + sourceIndex + ".invalid");
            }
            if (!reply.positive())
            {
                refuseRest(messages, 0, reply.reason());
                return;
            }
            for (; sent < messages.length; sent++)
            {
                final int message = messages[sent];
                ledger.floodTried(message, ledger.now());
                reply = transaction(session, traffic.floodSender(message), traffic.floodRecipient(message), NOTHING,
                    traffic.floodMessage(message));
                if (reply.code() == 250)
                {
                    ledger.floodAccepted(message, ledger.now());
                }
                else
                {
                    ledger.floodRefused(reply.reason());
                    if (reply.code() == 421 || reply.code() == 0)
                    {
                        refuseRest(messages, sent + 1, reply.reason());
                        return;
                    }
                }
            }
            session.quit();
        }
        catch (final IOException ex)
        {
            refuseRest(messages, sent, "connection failed: " + ex.getClass().getSimpleName());
        }
    }

    private void refuseRest(final int[] messages, final int from, final String reason)
    {
        final long now = ledger.now();
        for (int i = from; i < messages.length; i++)
        {
            ledger.floodTried(messages[i], now);
            ledger.floodRefused(reason);
        }
    }

    private static void nothing()
    {
        // a flood or partner message: nothing to mark when its recipient is taken
    }

    /**
     * MAIL, RCPT, DATA in lock step; the first reply that is not positive, or the reply to the final dot.
     * {@code recipientTaken} runs once the recipient was answered positively.
     */
    private static SmtpClientSession.Reply transaction(final SmtpClientSession session, final String from, final String to,
        final Runnable recipientTaken, final byte[] content) throws IOException
    {
        SmtpClientSession.Reply reply = session.command("MAIL FROM:<" + from + ">");
        if (!reply.positive())
        {
            session.command("RSET");
            return reply;
        }
        reply = session.command("RCPT TO:<" + to + ">");
        if (!reply.positive())
        {
            session.command("RSET");
            return reply;
        }
        recipientTaken.run();
        return session.data(content);
    }

    /**
     * One try of a legitimate message, as a real MTA sends it, one connection per try: after a temporary refusal the
     * next try is scheduled a second later (until accepted, or {@value #LEGIT_RETRY_LIMIT} tries); a permanent refusal
     * ends it (the sender's MTA would tell the sender at once).
     */
    private void sendLegit(final Ledger.LegitMessage message, final int attempt)
    {
        final InetAddress source = FloodTraffic.address(traffic.legitSource(message.source()));
        message.attempted();
        SmtpClientSession.Reply reply;
        try (SmtpClientSession session = SmtpClientSession.connect(source, system.smtp()))
        {
            reply = session.reply();
            if (reply.code() == 220)
            {
                reply = session.command("EHLO mta" + message.source() + ".partner.example");
            }
            if (reply.positive())
            {
                reply = message.unknownUser()
                    ? transaction(session, FloodTraffic.returnSender(message.number()),
                        traffic.unknownRecipient(message.number()), () -> ledger.legitRecipientTaken(message, ledger.now()),
                        traffic.unknownUserMessage(message.number()))
                    : transaction(session, traffic.legitSender(message.source()),
                        traffic.legitRecipient(message.number()), NOTHING,
                        traffic.legitMessage(message.number(), message.source()));
            }
            ledger.legitFirstReply(message, reply.code(), reply.code() == 250 ? "250" : reply.reason());
            if (reply.code() == 250)
            {
                ledger.legitAccepted(message, ledger.now());
                session.quit();
                legitOutstanding.decrementAndGet();
                return;
            }
            session.quit();
        }
        catch (final IOException ex)
        {
            reply = new SmtpClientSession.Reply(0, "connection failed: " + ex.getClass().getSimpleName());
            ledger.legitFirstReply(message, 0, reply.reason());
        }
        ledger.legitRefused(reply.reason());
        if (reply.code() >= 500)
        {
            ledger.legitRefusedPermanently(message, reply.reason());
            legitOutstanding.decrementAndGet();
        }
        else if (attempt + 1 >= LEGIT_RETRY_LIMIT || !retryLater(() -> sendLegit(message, attempt + 1)))
        {
            legitOutstanding.decrementAndGet();
        }
    }

    /** @return whether {@code retry} was scheduled a second from now (not once the run is being torn down) */
    private boolean retryLater(final Runnable retry)
    {
        try
        {
            retryClock.schedule(() ->
            {
                try
                {
                    legitSenders.execute(retry);
                }
                catch (final java.util.concurrent.RejectedExecutionException ex)
                {
                    legitOutstanding.decrementAndGet();
                }
            }, 1, TimeUnit.SECONDS);
            return true;
        }
        catch (final java.util.concurrent.RejectedExecutionException ex)
        {
            return false;
        }
    }

    private void sample()
    {
        final long pid = system.pid();
        final Sample sample = new Sample(ledger.now(), ledger.backlog(), ledger.acceptedCount(), ledger.finalCount(),
            ledger.bounces(), Processes.residentBytes(pid), Processes.cpuSeconds(pid), Processes.openFiles(pid),
            system.ownView());
        synchronized (samples)
        {
            samples.add(sample);
        }
    }

    private void sleepUntil(final long nanos) throws InterruptedException
    {
        long left;
        while ((left = nanos - ledger.now()) > 0)
        {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, SECOND / 10));
        }
    }

    static String seconds(final long nanos)
    {
        return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e9);
    }

    private void log(final String line)
    {
        System.err.printf(java.util.Locale.ROOT, "%8.1f s [%s] %s%n", ledger.now() / 1e9, system.name(), line);
    }
}
