package io.sluice.control;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Predicate;

import io.sluice.drain.DrainAgent;
import io.sluice.drain.RouteTable;
import io.sluice.queue.MessageFilter;
import io.sluice.queue.OperatorHold;
import io.sluice.queue.QueueQuery;
import io.sluice.queue.QueueState;
import io.sluice.spool.Disposition;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.QueueIds;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue message by message, behind the Spool console (Postfix's {@code postqueue -j}, {@code postcat -q},
 * {@code postsuper -h/-H/-r/-d}): list a bounded page, show one message, read its content back from the journal, and
 * an operator's hold, release, requeue and delete. An action names queue ids or gives a filter; ids are all or nothing
 * (an unknown one, or one the action does not apply to, is refused by name and nothing changes), a filter acts on what
 * it matches that the action applies to, and matching nothing is refused too. Every change is journaled with the
 * principal's name in its detail ({@link OperatorHold}) and is one mail-log line per message; the console audits it.
 *
 * <p>A hold goes through the drain's thread ({@link DrainAgent#hold}), so the drain never picks the message between
 * the request and the journal's record; a message in delivery is held once that attempt's outcome is journaled. A
 * delete journals {@code PURGED} for every open recipient and sends no DSN, as {@code postsuper -d} bounces nothing.
 * Each call waits for the journal (at most {@link #WAIT_SECONDS}) so that an answer means the change is durable.
 * Thread-safe.
 */
public final class OperatorQueue
{
    /** The most rows one page returns. */
    public static final int MAX_PAGE = 500;
    /** The most messages a page looks at: bounds one call's work on a large backlog with a narrow filter. */
    static final int MAX_SCANNED = 50_000;
    /** The most messages one action by filter takes: narrow the filter (or pause a tenant, purge it) beyond. */
    static final int MAX_ACTION = 100_000;
    static final long WAIT_SECONDS = 10;
    private static final Logger MAILLOG = LoggerFactory.getLogger("io.sluice.maillog");
    private static final Logger LOG = LoggerFactory.getLogger(OperatorQueue.class);

    private final Spool spool;
    private final DrainAgent drain;
    private final QueueQuery query;

    public OperatorQueue(final Spool spool, final DrainAgent drain, final QueueQuery query)
    {
        this.spool = spool;
        this.drain = drain;
        this.query = query;
    }

    /**
     * @param switches the operator's pauses: a message ready to send on a paused tenant, source or route is "paused".
     * @param routes   the drain's route table, for each message's route.
     */
    public static OperatorQueue of(final Spool spool, final DrainAgent drain, final DrainSwitches switches,
        final RouteTable routes, final Clock clock)
    {
        final Predicate<Envelope> paused = envelope -> switches.pausedTenants().contains(envelope.tenant())
            || switches.pausedSources().contains(envelope.sourceKey())
            || switches.pausedRoutes().contains(routes.route(envelope.tenant(), envelope.lane()));
        return new OperatorQueue(spool, drain, new QueueQuery(spool, routes::route, paused, clock::millis));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reading

    /**
     * @param filter      {@code key=value} words ({@link MessageFilter}), empty for every message.
     * @param after       the previous page's {@link QueuePage#getNext()}, empty for the first page.
     * @param limit       the most rows, from 1 to {@link #MAX_PAGE}.
     * @param newestFirst the newest message first instead of the oldest.
     */
    public QueuePage list(final String filter, final String after, final int limit, final boolean newestFirst)
    {
        if (limit < 1 || limit > MAX_PAGE)
        {
            throw new IllegalArgumentException("limit: expected 1 to " + MAX_PAGE + " rows per page, got " + limit);
        }
        final MessageFilter parsed = MessageFilter.parse(filter);
        final Long start = after == null || after.isBlank() ? null : parseId(after);
        final QueueQuery.Page page = query.page(parsed, start, newestFirst, limit, MAX_SCANNED);
        final QueueRow[] rows = page.messages().stream().map(this::row).toArray(QueueRow[]::new);
        return new QueuePage(rows, page.next() == null ? "" : QueueIds.format(page.next()), page.scanned());
    }

    /** @throws IllegalArgumentException naming an id that is not a queued message. */
    public QueueRow show(final String queueId)
    {
        return row(find(queueId));
    }

    /** @return the message's content as the journal holds it (decoded as UTF-8). */
    public String content(final String queueId) throws IOException
    {
        final PendingMessage message = find(queueId);
        final ByteBuffer content = spool.readContent(message.messageId());
        if (content == null)
        {
            throw new IllegalArgumentException("no message " + message.queueId() + " in the queue (it just left it)");
        }
        return StandardCharsets.UTF_8.decode(content).toString();
    }

    private QueueRow row(final PendingMessage message)
    {
        final List<QueueRecipient> recipients = new ArrayList<>();
        String holdReason = "";
        for (int i = 0; i < message.recipients().size(); i++)
        {
            final RecipientStatus status = message.recipients().get(i);
            recipients.add(new QueueRecipient(message.envelope().recipients().get(i),
                status.disposition().name().toLowerCase(Locale.ROOT), status.attempts(),
                status.disposition() == Disposition.DEFERRED ? status.notBeforeMillis() : 0, status.detail()));
            if (holdReason.isEmpty() && status.disposition() == Disposition.HELD)
            {
                holdReason = status.detail();
            }
        }
        final long now = query.nowMillis();
        return new QueueRow(message.queueId(), query.state(message).word(), message.envelope().tenant(),
            message.envelope().lane(), query.route(message), message.envelope().sourceKey(), message.envelope().sender(),
            message.contentLength(), message.envelope().receivedAtMillis(),
            Math.max(0, now - message.envelope().receivedAtMillis()) / 1000, holdReason,
            recipients.toArray(QueueRecipient[]::new));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Acting

    /** Holds messages with something waiting to be sent: the drain never picks them until released. */
    public QueueChange hold(final List<String> queueIds, final String filter, final String principal)
    {
        final List<PendingMessage> messages = select(queueIds, filter, "held", OperatorQueue::whyNotHoldable);
        final Map<Long, PendingMessage> byId = new LinkedHashMap<>();
        messages.forEach(message -> byId.put(message.messageId(), message));
        final ConcurrentLinkedQueue<CompletableFuture<Boolean>> writes = new ConcurrentLinkedQueue<>();
        final int inFlight = await(drain.hold(byId.keySet(), snapshot -> journalHold(snapshot, principal, writes)));
        awaitAll(writes);
        return change("held", messages, inFlight == 0 ? "" : inFlight + " of them in delivery now: held after that attempt,"
            + " unless it delivers them");
    }

    /** On the drain thread: journals the hold of every recipient waiting to be sent; never throws. */
    private boolean journalHold(final PendingMessage snapshot, final String principal,
        final ConcurrentLinkedQueue<CompletableFuture<Boolean>> writes)
    {
        try
        {
            final PendingMessage latest = spool.pending(snapshot.messageId());
            if (latest == null)
            {
                return false;
            }
            int held = 0;
            for (int i = 0; i < latest.recipients().size(); i++)
            {
                final RecipientStatus status = latest.recipients().get(i);
                if (OperatorHold.isHoldable(status))
                {
                    writes.add(journal(latest, i, OperatorHold.held(status.attempts(), principal), "hold"));
                    held++;
                }
            }
            if (held > 0)
            {
                mailLog(latest, "held by an operator (" + principal + ")");
            }
            return held > 0;
        }
        catch (final RuntimeException ex)
        {
            LOG.error("{}: the operator's hold failed; it is not held", snapshot.queueId(), ex);
            return false;
        }
    }

    /** Releases an operator's hold: the held recipients are ready to send at once. */
    public QueueChange release(final List<String> queueIds, final String filter, final String principal)
    {
        final List<PendingMessage> messages = select(queueIds, filter, "released", OperatorQueue::whyNotReleasable);
        final List<CompletableFuture<Boolean>> writes = new ArrayList<>();
        for (final PendingMessage message : messages)
        {
            for (int i = 0; i < message.recipients().size(); i++)
            {
                final RecipientStatus status = message.recipients().get(i);
                if (OperatorHold.isHold(status))
                {
                    writes.add(journal(message, i, OperatorHold.released(status.attempts(), principal), "release"));
                }
            }
            mailLog(message, "released by an operator (" + principal + ")");
        }
        awaitAll(writes);
        return change("released", messages, "");
    }

    /** Makes deferred messages due now (attempts kept); a ready one is due already. */
    public QueueChange requeue(final List<String> queueIds, final String filter, final String principal)
    {
        final List<PendingMessage> messages = select(queueIds, filter, "requeued", this::whyNotRequeueable);
        final int due = await(drain.retryNow(messages.stream().map(PendingMessage::messageId).toList()));
        for (final PendingMessage message : messages)
        {
            mailLog(message, "requeued by an operator (" + principal + "): due now");
        }
        return change("requeued", messages, due == messages.size() ? ""
            : (messages.size() - due) + " of them were not waiting for a retry time (due already or in delivery)");
    }

    /** Deletes messages for good: every open recipient {@code PURGED}, no DSN. */
    public QueueChange delete(final List<String> queueIds, final String filter, final String principal,
        final boolean confirm)
    {
        final List<PendingMessage> messages = select(queueIds, filter, "deleted", message -> null);
        if (messages.size() > 1 && !confirm)
        {
            throw new IllegalArgumentException("deleting " + messages.size() + " messages is irreversible: confirm"
                + " (sluice queue delete ... --confirm); nothing was deleted");
        }
        final List<CompletableFuture<Boolean>> writes = new ArrayList<>();
        for (final PendingMessage message : messages)
        {
            writes.add(journal(message, -1, OperatorHold.deleted(principal), "delete"));
            mailLog(message, "deleted by an operator (" + principal + "), PURGED, no DSN");
        }
        awaitAll(writes);
        return change("deleted", messages, "");
    }

    private static String whyNotHoldable(final PendingMessage message)
    {
        for (final RecipientStatus status : message.recipients())
        {
            if (OperatorHold.isHoldable(status))
            {
                return null;
            }
        }
        return OperatorHold.isHeld(message) ? "it is held by an operator already" : "nothing in it waits to be sent ("
            + heldBy(message) + ")";
    }

    private static String whyNotReleasable(final PendingMessage message)
    {
        if (OperatorHold.isHeld(message))
        {
            return null;
        }
        final String by = heldBy(message);
        return by.isEmpty() ? "it is not held by an operator" : "it is not held by an operator but by " + by
            + " (sluice quarantine, dsns or release TENANT lets that go)";
    }

    private String whyNotRequeueable(final PendingMessage message)
    {
        final QueueState state = query.state(message);
        return state == QueueState.HELD ? "it is held (" + heldBy(message) + "): release it instead" : null;
    }

    private static String heldBy(final PendingMessage message)
    {
        for (final RecipientStatus status : message.recipients())
        {
            if (status.disposition() == Disposition.HELD)
            {
                return status.detail();
            }
        }
        return "";
    }

    /**
     * @param why null if the action applies to the message, else why not.
     * @return the messages named (each one, or nothing changes) or matched (those the action applies to).
     */
    private List<PendingMessage> select(final List<String> queueIds, final String filter, final String done,
        final Function<PendingMessage, String> why)
    {
        final boolean byIds = queueIds != null && !queueIds.isEmpty();
        final boolean byFilter = filter != null && !filter.isBlank();
        if (byIds == byFilter)
        {
            throw new IllegalArgumentException("expected queue ids or a filter, not " + (byIds ? "both" : "neither")
                + "; nothing was changed");
        }
        if (byFilter)
        {
            final MessageFilter parsed = MessageFilter.parse(filter);
            final List<PendingMessage> found = new ArrayList<>();
            for (final PendingMessage message : query.all(parsed, MAX_ACTION))
            {
                if (why.apply(message) == null)
                {
                    found.add(message);
                }
            }
            if (found.isEmpty())
            {
                throw new IllegalArgumentException("no queued message matches '" + parsed + "' that can be " + done
                    + "; nothing was changed");
            }
            return found;
        }
        final Map<Long, PendingMessage> found = new LinkedHashMap<>();
        for (final String queueId : queueIds)
        {
            final PendingMessage message = find(queueId);
            final String reason = why.apply(message);
            if (reason != null)
            {
                throw new IllegalArgumentException(message.queueId() + " cannot be " + done + ": " + reason
                    + "; nothing was changed");
            }
            found.put(message.messageId(), message);
        }
        return List.copyOf(found.values());
    }

    private PendingMessage find(final String queueId)
    {
        final PendingMessage message = spool.pending(parseId(queueId));
        if (message == null)
        {
            throw new IllegalArgumentException("no message " + queueId.trim() + " in the queue (delivered, deleted or never"
                + " there); nothing was changed");
        }
        return message;
    }

    private static long parseId(final String queueId)
    {
        try
        {
            return QueueIds.parse(queueId == null ? "" : queueId.trim());
        }
        catch (final IllegalArgumentException notHex)
        {
            // Without the parser's cause: a console shows the deepest message, and this one names the id.
            throw new IllegalArgumentException("not a queue id: '" + queueId + "' (expected 16 hex digits as sluice queue"
                + " list shows them); nothing was changed");
        }
    }

    private CompletableFuture<Boolean> journal(final PendingMessage message, final int recipient,
        final RecipientStatus status, final String what)
    {
        return spool.recordOutcome(message.messageId(), recipient, status).whenComplete((done, failure) ->
        {
            if (failure != null)
            {
                LOG.error("{}: the operator's {} was not journaled ({})", message.queueId(), what, failure.toString());
            }
        });
    }

    private static void mailLog(final PendingMessage message, final String what)
    {
        MAILLOG.info("{}: {}, from=<{}>, to=<{}>", message.queueId(), what, message.envelope().sender(),
            String.join(">, <", message.envelope().recipients()));
    }

    private static QueueChange change(final String action, final List<PendingMessage> messages, final String note)
    {
        return new QueueChange(action, messages.stream().map(PendingMessage::queueId).toArray(String[]::new), note);
    }

    private static <T> T await(final Future<T> future)
    {
        try
        {
            return future.get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final TimeoutException ex)
        {
            throw new IllegalStateException("no answer within " + WAIT_SECONDS + " s; the change happens when it comes");
        }
        catch (final ExecutionException ex)
        {
            throw new IllegalStateException("the change failed: " + ex.getCause(), ex.getCause());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the change");
        }
    }

    private static void awaitAll(final Iterable<CompletableFuture<Boolean>> writes)
    {
        for (final CompletableFuture<Boolean> write : writes)
        {
            await(write);
        }
    }
}
