package io.sluice.benchmarks.flood;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every message of one run, seen from both ends: what the clients were told at the SMTP door and what reached the
 * upstream sink. Times are nanoseconds since the run's start on this JVM's monotonic clock, the clients and the
 * sink being in the same process, so a latency needs no clock agreement with the system under test.
 *
 * <p>"Final" means the upstream gave its verdict: delivered ({@code 2xx}) or rejected ({@code 5xx}). A message
 * is in the system's backlog from its {@code 250} at the door until its first final verdict upstream. A legitimate
 * message to an unknown user gets its verdict at RCPT ({@code 550 5.1.1}); DSNs (null sender) are counted by the
 * address they went to.
 */
public final class Ledger
{
    /** Not (yet) happened. */
    public static final long NEVER = Long.MIN_VALUE;

    private final long startNanos;
    private final AtomicLongArray floodAccepted;
    private final AtomicLongArray floodFinal;
    private final AtomicLongArray floodTried;
    private final AtomicIntegerArray floodFinalCode;
    private final Map<String, LongAdder> bouncesTo = new ConcurrentHashMap<>();
    private final LongAdder recipientProbes = new LongAdder();
    private final Map<String, LongAdder> floodRefusals = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> legitRefusals = new ConcurrentHashMap<>();
    private final Map<Integer, LegitMessage> legit = new ConcurrentHashMap<>();
    private final AtomicInteger legitSent = new AtomicInteger();
    private final AtomicInteger acceptedCount = new AtomicInteger();
    private final AtomicInteger finalCount = new AtomicInteger();
    private final AtomicInteger floodAcceptedCount = new AtomicInteger();
    private final AtomicInteger floodFinalCount = new AtomicInteger();
    private final AtomicInteger floodDelivered = new AtomicInteger();
    private final AtomicInteger floodRejectedUpstream = new AtomicInteger();
    private final LongAdder bounces = new LongAdder();
    private final LongAdder unknownArrivals = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder deferredUpstream = new LongAdder();

    public Ledger(final long startNanos, final int floodMessages)
    {
        this.startNanos = startNanos;
        this.floodAccepted = filled(floodMessages);
        this.floodFinal = filled(floodMessages);
        this.floodTried = filled(floodMessages);
        this.floodFinalCode = new AtomicIntegerArray(floodMessages);
    }

    private static AtomicLongArray filled(final int length)
    {
        final AtomicLongArray array = new AtomicLongArray(length);
        for (int i = 0; i < length; i++)
        {
            array.set(i, NEVER);
        }
        return array;
    }

    /** @return nanoseconds since the run started */
    public long now()
    {
        return System.nanoTime() - startNanos;
    }

    // --- the door ------------------------------------------------------------------------------------

    /** The client offered flood message {@code message} (or gave it up with its session's refusal) at {@code at}. */
    public void floodTried(final int message, final long at)
    {
        floodTried.compareAndSet(message, NEVER, at);
    }

    public void floodAccepted(final int message, final long at)
    {
        floodAccepted.set(message, at);
        floodAcceptedCount.incrementAndGet();
        acceptedCount.incrementAndGet();
    }

    public void floodRefused(final String reason)
    {
        floodRefusals.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    /** @return a new legitimate message, its first attempt starting now */
    public LegitMessage legitMessage(final int source)
    {
        return legitMessage(source, now());
    }

    /** @return a new legitimate message whose first attempt was at {@code firstAttempt} */
    LegitMessage legitMessage(final int source, final long firstAttempt)
    {
        return legitMessage(source, firstAttempt, false);
    }

    /**
     * @param unknownUser whether it goes to a recipient the upstream refuses {@code 550 5.1.1}
     * @return a new legitimate message whose first attempt was at {@code firstAttempt}
     */
    LegitMessage legitMessage(final int source, final long firstAttempt, final boolean unknownUser)
    {
        final LegitMessage message = new LegitMessage(legitSent.getAndIncrement(), source, firstAttempt, unknownUser);
        legit.put(message.number(), message);
        return message;
    }

    public void legitAccepted(final LegitMessage message, final long at)
    {
        synchronized (message)
        {
            message.accepted = at;
            acceptedCount.incrementAndGet();
            if (message.earlyRefusal != NEVER && message.finalAt == NEVER)
            {
                // The system delivered it, and the upstream refused it, before its 250 reached this client.
                message.finalAt = message.earlyRefusal;
                message.finalCode = 550;
                finalCount.incrementAndGet();
            }
        }
    }

    /**
     * The system answered the recipient of {@code message} positively: from here on an upstream refusal of that
     * recipient is a delivery attempt (a recipient callout happens before the RCPT reply), even if it comes before the
     * client has read the 250 that ends the transaction: the system may deliver as soon as the message is durable.
     */
    public void legitRecipientTaken(final LegitMessage message, final long at)
    {
        message.recipientTaken = at;
    }

    /** The reply to the first try of {@code message}: 250, or the refusal it was retried after (or gave up on). */
    public void legitFirstReply(final LegitMessage message, final int code, final String reason)
    {
        if (message.firstReason == null)
        {
            message.firstCode = code;
            message.firstReason = reason;
        }
    }

    /** The system refused {@code message} permanently (5xx) in the session: the sender knows at once, no DSN owed. */
    public void legitRefusedPermanently(final LegitMessage message, final String reason)
    {
        message.permanentRefusal = reason;
    }

    public void legitRefused(final String reason)
    {
        legitRefusals.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    // --- the upstream --------------------------------------------------------------------------------

    /** A message reached the upstream, which answered {@code code}; {@code id} is its {@code X-Bench-Id}. */
    public void arrived(final String id, final int code, final long at)
    {
        final boolean isFinal = code >= 200 && code < 300 || code >= 500;
        if (!isFinal)
        {
            deferredUpstream.increment();
        }
        if (id != null && id.startsWith("flood-"))
        {
            final int message = parse(id, 6);
            if (message >= 0 && message < floodFinal.length())
            {
                if (isFinal && floodFinal.compareAndSet(message, NEVER, at))
                {
                    floodFinalCode.set(message, code);
                    floodFinalCount.incrementAndGet();
                    finalCount.incrementAndGet();
                    (code < 300 ? floodDelivered : floodRejectedUpstream).incrementAndGet();
                }
                else if (isFinal)
                {
                    duplicates.increment(); // sent again after the upstream's final verdict
                }
                return;
            }
        }
        else if (id != null && id.startsWith("legit-"))
        {
            final LegitMessage message = legit.get(parse(id, 6));
            if (message != null)
            {
                synchronized (message)
                {
                    if (isFinal && message.finalAt == NEVER)
                    {
                        message.finalAt = at;
                        message.finalCode = code;
                        finalCount.incrementAndGet();
                    }
                    else if (isFinal)
                    {
                        duplicates.increment();
                    }
                }
                return;
            }
        }
        unknownArrivals.increment();
    }

    /**
     * The upstream refused the recipient of legitimate message {@code number} ({@code 550 5.1.1} at RCPT): its final
     * verdict. A refusal for a message not yet accepted at the door is a recipient probe (a callout), not a delivery.
     */
    public void unknownUserRefused(final int number, final long at)
    {
        final LegitMessage message = legit.get(number);
        if (message == null || !message.unknownUser)
        {
            unknownArrivals.increment();
            return;
        }
        synchronized (message)
        {
            if (message.accepted == NEVER && message.recipientTaken != NEVER && message.earlyRefusal == NEVER)
            {
                message.earlyRefusal = at;
            }
            else if (message.accepted == NEVER)
            {
                recipientProbes.increment();
            }
            else if (message.finalAt == NEVER)
            {
                message.finalAt = at;
                message.finalCode = 550;
                finalCount.incrementAndGet();
            }
            else
            {
                duplicates.increment();
            }
        }
    }

    /** A message from the null sender reached the upstream: a bounce (DSN) the system generated, to no one known. */
    public void bounce()
    {
        bounce(List.of());
    }

    /** A message from the null sender reached the upstream, for {@code recipients}: a DSN the system generated. */
    public void bounce(final List<String> recipients)
    {
        bounces.increment();
        for (final String recipient : recipients)
        {
            bouncesTo.computeIfAbsent(recipient.toLowerCase(java.util.Locale.ROOT), r -> new LongAdder()).increment();
        }
    }

    private static int parse(final String id, final int from)
    {
        try
        {
            return Integer.parseInt(id.substring(from).trim());
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    // --- what the report reads -----------------------------------------------------------------------

    /** @return messages answered 250 at the door and not yet given a final verdict upstream */
    public int backlog()
    {
        return Math.max(0, acceptedCount.get() - finalCount.get());
    }

    public int acceptedCount()
    {
        return acceptedCount.get();
    }

    public int finalCount()
    {
        return finalCount.get();
    }

    public int floodAcceptedCount()
    {
        return floodAcceptedCount.get();
    }

    public int floodFinalCount()
    {
        return floodFinalCount.get();
    }

    public int floodDelivered()
    {
        return floodDelivered.get();
    }

    public int floodRejectedUpstream()
    {
        return floodRejectedUpstream.get();
    }

    public long floodAcceptedAt(final int message)
    {
        return floodAccepted.get(message);
    }

    public long floodFinalAt(final int message)
    {
        return floodFinal.get(message);
    }

    /** @return the upstream's final reply code for flood message {@code message}, 0 when it had none */
    public int floodFinalCode(final int message)
    {
        return floodFinalCode.get(message);
    }

    /** @return when the client offered flood message {@code message}, {@link #NEVER} if it never came to it */
    public long floodTriedAt(final int message)
    {
        return floodTried.get(message);
    }

    /** @return DSNs that reached the upstream, per recipient address (lower case) */
    public Map<String, Long> bouncesTo()
    {
        return counts(bouncesTo);
    }

    /** @return RCPT refusals upstream for legitimate messages not accepted at the door (recipient callouts) */
    public long recipientProbes()
    {
        return recipientProbes.sum();
    }

    public int floodMessages()
    {
        return floodFinal.length();
    }

    public Map<String, Long> floodRefusals()
    {
        return counts(floodRefusals);
    }

    public Map<String, Long> legitRefusals()
    {
        return counts(legitRefusals);
    }

    private static Map<String, Long> counts(final Map<String, LongAdder> adders)
    {
        final Map<String, Long> counts = new TreeMap<>();
        adders.forEach((reason, count) -> counts.put(reason, count.sum()));
        return counts;
    }

    public Iterable<LegitMessage> legitMessages()
    {
        return new TreeMap<>(legit).values();
    }

    public int legitSent()
    {
        return legitSent.get();
    }

    public long bounces()
    {
        return bounces.sum();
    }

    public long unknownArrivals()
    {
        return unknownArrivals.sum();
    }

    public long duplicates()
    {
        return duplicates.sum();
    }

    public long deferredUpstream()
    {
        return deferredUpstream.sum();
    }

    /** One legitimate message: when it was first tried, when the door said 250, when the upstream had it. */
    public static final class LegitMessage
    {
        private final int number;
        private final int source;
        private final long firstAttempt;
        private final boolean unknownUser;
        private volatile int firstCode;
        private volatile String firstReason;
        private volatile String permanentRefusal;
        private volatile long accepted = NEVER;
        private volatile long recipientTaken = NEVER;
        private volatile long earlyRefusal = NEVER;
        private volatile long finalAt = NEVER;
        private volatile int finalCode;
        private volatile int attempts;

        LegitMessage(final int number, final int source, final long firstAttempt, final boolean unknownUser)
        {
            this.number = number;
            this.source = source;
            this.firstAttempt = firstAttempt;
            this.unknownUser = unknownUser;
        }

        /** @return whether it goes to a recipient the upstream refuses (the unknown-users scenario) */
        public boolean unknownUser()
        {
            return unknownUser;
        }

        /** @return the first try's reply code (250 when accepted at once; 0: no reply, or not tried yet) */
        public int firstCode()
        {
            return firstCode;
        }

        /** @return the first try's reply as a reason to count by, null if not tried yet */
        public String firstReason()
        {
            return firstReason;
        }

        /** @return the permanent refusal in the session, null if there was none */
        public String permanentRefusal()
        {
            return permanentRefusal;
        }

        public int number()
        {
            return number;
        }

        public int source()
        {
            return source;
        }

        public long firstAttempt()
        {
            return firstAttempt;
        }

        public long accepted()
        {
            return accepted;
        }

        public long finalAt()
        {
            return finalAt;
        }

        public int finalCode()
        {
            return finalCode;
        }

        public int attempts()
        {
            return attempts;
        }

        void attempted()
        {
            attempts++;
        }
    }
}
