package io.sluice.delivery;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

import io.sluice.admission.Admission;
import io.sluice.admission.AdmissionContext;
import io.sluice.daemon.SpoolPressureGauge;
import io.sluice.drain.DrainAgent;
import io.sluice.drain.DrainContext;
import io.sluice.drain.DrainStatus;
import io.sluice.drain.SmtpReply;
import io.sluice.ingress.IngressContext;
import io.sluice.ingress.SmtpServer;
import io.sluice.ingress.SourcePolicy;
import io.sluice.net.Cidr;
import io.sluice.outcome.OutcomeStage;
import io.sluice.spool.AppendResult;
import io.sluice.spool.Envelope;
import io.sluice.spool.MutableClock;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolAwait;
import io.sluice.spool.SpoolContext;
import io.sluice.spool.SpoolListener;
import org.agrona.concurrent.AgentRunner;

/**
 * The delivery stack as the daemon wires it, on a real journal in a test folder: spool (its listener feeding the
 * drain, and recording every journaled snapshot for the test), outcome stage, delivery, drain on its own thread. The drain's
 * clock is a {@link MutableClock} the test moves, so retry times are exact and deferred mail comes back only when the
 * test says so; retry jitter is off.
 */
final class DeliveryHarness implements AutoCloseable
{
    /** A failed recipient as the failure listener heard of it. */
    record Failure(long messageId, int recipientIndex, SmtpReply reply, RecipientStatus status)
    {
    }

    final MutableClock clock;
    final Spool spool;
    final DrainAgent agent;
    final OutcomeStage outcomes;
    final Delivery delivery;
    final AgentRunner runner;
    /** The latest journaled snapshot of every message, finished ones included. */
    final Map<Long, PendingMessage> journaled = new ConcurrentHashMap<>();
    final List<Failure> failures = new CopyOnWriteArrayList<>();
    /** What the drain thread's duty cycle threw: a test expects none. */
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    /** With {@link Builder#withIngress()}: admission and an SMTP listener on a loopback port, in front of the spool. */
    final Admission admission;
    final SmtpServer smtp;

    private DeliveryHarness(
        final Path dir,
        final MutableClock clock,
        final Map<String, String> targets,
        final UnaryOperator<DrainContext> drainSettings,
        final UnaryOperator<DeliveryContext> deliverySettings,
        final boolean ingress)
    {
        this.clock = clock;
        final DrainContext drain = drainSettings.apply(new DrainContext()
            .routes("default:1000:1000,notifications:100:100")
            .clock(clock)
            .retryJitter(0)
            .statusIntervalMs(1));
        final DeliveryContext context = new DeliveryContext()
            .heloName("client.test")
            .connectTimeoutMs(5_000)
            .connectionIdleMs(60_000)
            .reconnectDelayMs(0)
            .shutdownGraceMs(5_000)
            .clock(clock);
        targets.forEach(context::target);
        final DeliveryContext deliveryContext = deliverySettings.apply(context).conclude(drain);
        agent = new DrainAgent(drain);
        final SpoolListener drainListener = agent.listener();
        spool = Spool.open(new SpoolContext().directory(dir.resolve("spool")).blockSizeBytes(1 << 20)
            .chunkBytes(64 << 10).diskReserveBytes(8 << 20), new SpoolListener()
            {
                @Override
                public void onAccepted(final PendingMessage message)
                {
                    journaled.put(message.messageId(), message);
                    drainListener.onAccepted(message);
                }

                @Override
                public void onOutcome(final PendingMessage message)
                {
                    journaled.put(message.messageId(), message);
                    drainListener.onOutcome(message);
                }
            });
        for (final PendingMessage pending : spool.pendingMessages())
        {
            journaled.put(pending.messageId(), pending);
        }
        agent.loadFrom(spool);
        outcomes = new OutcomeStage(spool, drain, agent,
            (message, index, reply, status) ->
            {
                failures.add(new Failure(message.messageId(), index, reply, status));
                return status;
            });
        delivery = new Delivery(deliveryContext, spool, outcomes);
        runner = new AgentRunner(agent.idleStrategy(), errors::add, agent.errorCounter(), agent.deliveringTo(delivery));
        AgentRunner.startOnThread(runner);
        if (ingress)
        {
            admission = Admission.open(new AdmissionContext().stateFile(dir.resolve("admission.state"))
                .protectedDomains("relay.test"), new SpoolPressureGauge(spool, agent));
            final SourcePolicy policy = new SourcePolicy(Set.of("relay.test"), List.of(Cidr.parse("test", "127.0.0.1/32")),
                List.of(), Map.of());
            smtp = SmtpServer.start(new IngressContext().listen(new InetSocketAddress("127.0.0.1", 0)).hostname("sluice.test")
                .eventLoopThreads(1), policy, admission, spool, clock);
        }
        else
        {
            admission = null;
            smtp = null;
        }
    }

    static Builder in(final Path dir)
    {
        return new Builder(dir);
    }

    static final class Builder
    {
        private final Path dir;
        private MutableClock clock = new MutableClock(System.currentTimeMillis());
        private final Map<String, String> targets = new LinkedHashMap<>();
        private UnaryOperator<DrainContext> drain = d -> d;
        private UnaryOperator<DeliveryContext> delivery = d -> d;
        private boolean ingress;

        Builder(final Path dir)
        {
            this.dir = dir;
            targets.put("default", "dir:" + dir.resolve("delivered-default"));
            targets.put("notifications", "dir:" + dir.resolve("delivered-notifications"));
        }

        Builder clock(final MutableClock clock)
        {
            this.clock = clock;
            return this;
        }

        Builder target(final String route, final String target)
        {
            targets.put(route, target);
            return this;
        }

        Builder drain(final UnaryOperator<DrainContext> settings)
        {
            this.drain = settings;
            return this;
        }

        Builder delivery(final UnaryOperator<DeliveryContext> settings)
        {
            this.delivery = settings;
            return this;
        }

        /** Puts admission and an SMTP listener in front: relay domain {@code relay.test}, 127.0.0.1 trusted. */
        Builder withIngress()
        {
            this.ingress = true;
            return this;
        }

        DeliveryHarness start()
        {
            return new DeliveryHarness(dir, clock, targets, drain, delivery, ingress);
        }
    }

    /** @return an envelope received now, from a given source, on lane {@code mail}. */
    Envelope envelope(final String sender, final String... recipients)
    {
        return new Envelope("192.0.2.10", "default", "mail", sender, List.of(recipients), clock.millis());
    }

    /** Appends a message and returns its id once it is durable (and so on its way to the drain). */
    long append(final Envelope envelope, final String content) throws Exception
    {
        final AppendResult result = spool.append(envelope, ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8))).get();
        if (!result.isAccepted())
        {
            throw new AssertionError("append refused: " + result);
        }
        return result.messageId();
    }

    long append(final String content, final String... recipients) throws Exception
    {
        return append(envelope("sender@client.test", recipients), content);
    }

    /** @return the recipient's journaled status. */
    RecipientStatus status(final long messageId, final int recipientIndex)
    {
        return journaled.get(messageId).recipients().get(recipientIndex);
    }

    /** Waits until every recipient of the message has a journaled status with at least {@code attempts} attempts. */
    void awaitAttempts(final long messageId, final int attempts)
    {
        SpoolAwait.until(() ->
        {
            final PendingMessage message = journaled.get(messageId);
            return message != null && message.recipients().stream().allMatch(s -> s.attempts() >= attempts);
        });
    }

    /** Waits until the message has left the spool: every recipient final. */
    void awaitFinished(final long messageId)
    {
        SpoolAwait.until(() -> journaled.containsKey(messageId) && journaled.get(messageId).isFinished());
    }

    /** Waits until the drain holds nothing in flight and delivery nothing in progress. */
    void awaitQuiet()
    {
        SpoolAwait.until(() -> delivery.inFlight() == 0 && freshStatus().inFlight() == 0);
    }

    /** @return a status published after now: moves the clock by the publication interval and waits for it. */
    DrainStatus freshStatus()
    {
        clock.advanceMillis(1);
        final long now = clock.millis();
        SpoolAwait.until(() -> agent.status().atMillis() >= now);
        return agent.status();
    }

    /** @return the journaled statuses of one message, in recipient order. */
    List<RecipientStatus> statuses(final long messageId)
    {
        return new ArrayList<>(journaled.get(messageId).recipients());
    }

    /** Stops in the daemon's order: listener, drain thread, delivery, outcome stage, admission, spool. */
    @Override
    public void close()
    {
        if (smtp != null)
        {
            smtp.close();
        }
        runner.close();
        delivery.close();
        outcomes.close();
        if (admission != null)
        {
            admission.close();
        }
        spool.close();
    }
}
