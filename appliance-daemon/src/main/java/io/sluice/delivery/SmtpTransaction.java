package io.sluice.delivery;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.smtp.DefaultLastSmtpContent;
import io.netty.handler.codec.smtp.DefaultSmtpContent;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.netty.handler.codec.smtp.SmtpContent;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.Future;
import io.sluice.drain.Dispatch;
import io.sluice.drain.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mail transaction on an {@link SmtpConnection}: MAIL, RCPT per recipient and DATA, written in one flush when the
 * server offers PIPELINING (RFC 2920), one command at a time otherwise, then the content in blocks. It ends with a reply
 * for every dispatched recipient: the server's, or one it stands for (a refused sender, a 421, a lost connection:
 * {@link SmtpReply#connectionLost}).
 *
 * <p>Threads: confined to its connection's event loop.
 */
final class SmtpTransaction
{
    /** The connection's own log category: one session, one place to read it. */
    private static final Logger LOG = LoggerFactory.getLogger(SmtpConnection.class);

    /** Content blocks written in one turn of the event loop at most: see {@link #writeContent}. */
    private static final int BLOCKS_PER_TURN = 8;

    private final SmtpConnection connection;
    private final Dispatch dispatch;
    private final OutboundMessage message;
    private final SmtpConnection.TransactionDone done;
    /** Told instead of {@link #done} if a reused connection turns out dead before the first reply. */
    private final Runnable dead;
    private final boolean reused;
    private final List<Integer> toSend = new ArrayList<>();
    private final List<Integer> accepted = new ArrayList<>();
    private final TreeMap<Integer, SmtpReply> replies = new TreeMap<>();
    private boolean pipelined;
    private SmtpReply mailRefused;
    private boolean dataSent;
    private boolean replied;

    SmtpTransaction(
        final SmtpConnection connection, final Dispatch dispatch, final OutboundMessage message,
        final SmtpConnection.TransactionDone done, final Runnable dead, final boolean reused)
    {
        this.connection = connection;
        this.dispatch = dispatch;
        this.message = message;
        this.done = done;
        this.dead = dead;
        this.reused = reused;
    }

    /** @return the text as bytes on the wire: ASCII as is, UTF-8 (SMTPUTF8 addresses) byte for byte. */
    static CharSequence wire(final String text)
    {
        return new AsciiString(text.getBytes(StandardCharsets.UTF_8), false);
    }

    static boolean isAscii(final String text)
    {
        // A loop, not chars().allMatch: the stream's objects were a visible share of each message's allocations.
        for (int i = 0; i < text.length(); i++)
        {
            if (text.charAt(i) >= 128)
            {
                return false;
            }
        }
        return true;
    }

    /** Sends MAIL, and with PIPELINING every RCPT and DATA behind it; or ends at once if nothing can be sent. */
    void start()
    {
        final String peer = connection.peer();
        final String sender = dispatch.envelope().sender();
        final EhloExtensions extensions = connection.extensions();
        final boolean utf8 = extensions.offers("SMTPUTF8");
        // RFC 6531 §3.4: SMTPUTF8 only when the transaction needs it: a UTF-8 address, or UTF-8 header fields in a
        // message whose client sent it as SMTPUTF8 mail. A server without SMTPUTF8 must not get such mail: it fails.
        boolean needsUtf8 = !isAscii(sender) || dispatch.envelope().smtpUtf8() && message.headerEightBit();
        if (needsUtf8 && !utf8)
        {
            all(isAscii(sender)
                ? SmtpReply.of(554, "5.6.9", "the message has UTF-8 header fields and needs SMTPUTF8, which " + peer
                    + " does not offer")
                : SmtpReply.of(553, "5.6.7", "the sender address needs SMTPUTF8, which " + peer + " does not offer"));
            finish(true);
            return;
        }
        for (final int index : dispatch.recipientIndexes())
        {
            final String recipient = dispatch.recipient(index);
            if (isAscii(recipient))
            {
                toSend.add(index);
            }
            else if (utf8)
            {
                needsUtf8 = true;
                toSend.add(index);
            }
            else
            {
                replies.put(index, SmtpReply.of(553, "5.6.7", "the address needs SMTPUTF8, which " + peer + " does not offer"));
            }
        }
        if (toSend.isEmpty())
        {
            finish(true);
            return;
        }
        connection.counters().increment(DeliveryCounter.TRANSACTIONS);
        final List<CharSequence> mail = new ArrayList<>(4);
        mail.add(wire("FROM:<" + sender + ">"));
        if (extensions.offers("SIZE"))
        {
            mail.add("SIZE=" + message.size());
        }
        if (message.eightBit() && extensions.offers("8BITMIME"))
        {
            mail.add("BODY=8BITMIME");
        }
        if (needsUtf8)
        {
            mail.add("SMTPUTF8");
        }
        connection.command(SmtpCommand.MAIL, mail.toArray(new CharSequence[0]));
        connection.needsReset(true);
        connection.expect("MAIL", connection.context().mailTimeoutMs(), this::onMail);
        if (connection.offersPipelining())
        {
            connection.counters().increment(DeliveryCounter.PIPELINED_TRANSACTIONS);
            pipelined = true;
            for (final int index : toSend)
            {
                rcpt(index);
            }
            data();
        }
        connection.flush();
    }

    private void rcpt(final int index)
    {
        connection.command(SmtpCommand.RCPT, wire("TO:<" + dispatch.recipient(index) + ">"));
        connection.expect("RCPT", connection.context().rcptTimeoutMs(), reply -> onRcpt(index, reply));
    }

    private void data()
    {
        connection.command(SmtpCommand.DATA);
        connection.expect("DATA", connection.context().dataInitTimeoutMs(), this::onData);
    }

    private void onMail(final UpstreamReply reply)
    {
        if (closing(reply))
        {
            return;
        }
        if (!reply.isPositive())
        {
            mailRefused = reply.toDrainReply();
            if (!pipelined)
            {
                all(mailRefused);
                finish(true);
            }
            return;
        }
        if (!pipelined)
        {
            rcpt(toSend.get(0));
            connection.flush();
        }
    }

    private void onRcpt(final int index, final UpstreamReply reply)
    {
        if (closing(reply))
        {
            return;
        }
        if (mailRefused == null)
        {
            if (reply.isPositive())
            {
                accepted.add(index);
            }
            else
            {
                replies.put(index, reply.toDrainReply());
            }
        }
        if (pipelined)
        {
            return;
        }
        final int next = toSend.indexOf(index) + 1;
        if (next < toSend.size())
        {
            rcpt(toSend.get(next));
        }
        else if (accepted.isEmpty())
        {
            finish(true);
            return;
        }
        else
        {
            data();
        }
        connection.flush();
    }

    private void onData(final UpstreamReply reply)
    {
        if (closing(reply))
        {
            return;
        }
        if (mailRefused != null)
        {
            all(mailRefused);
        }
        if (reply.code() != 354)
        {
            allAccepted(reply.toDrainReply());
            finish(true);
            return;
        }
        if (mailRefused != null || accepted.isEmpty())
        {
            // Pipelined and every recipient refused, yet the server wants data: an empty message ends it (RFC 2920 §3.1).
            connection.contentEnded();
            connection.channel().writeAndFlush(new DefaultLastSmtpContent(Unpooled.EMPTY_BUFFER));
            connection.expect("the end of an empty data", connection.context().dataEndTimeoutMs(), ignored ->
            {
                connection.needsReset(false);
                finish(true);
            });
            return;
        }
        writeContent(0);
    }

    /**
     * Writes the content from {@code offset} on, a block at a time. A block the socket took at once is done: the next one
     * follows in this loop, and only a block still being written has the data-block timeout set (issue 21: the timer set
     * and cancelled for every message's one block, which the socket always took at once). After
     * {@link #BLOCKS_PER_TURN} blocks the rest waits for the loop's next turn, so a large message to a fast server does not
     * hold the loop's other connections up (as Netty's listener chain did, which runs 8 deep before it queues).
     */
    private void writeContent(final int offset)
    {
        final DeliveryContext context = connection.context();
        final ByteBuf data = message.data();
        int at = offset;
        for (int blocks = 0; ; blocks++)
        {
            if (blocks == BLOCKS_PER_TURN)
            {
                final int next = at;
                connection.loop().execute(() ->
                {
                    if (connection.isTransacting(this))
                    {
                        writeContent(next);
                    }
                });
                return;
            }
            final int remaining = data.readableBytes() - at;
            final int length = Math.min(SmtpConnection.DATA_BLOCK_BYTES, remaining);
            final boolean last = length == remaining;
            final ByteBuf block = data.retainedSlice(data.readerIndex() + at, length);
            final SmtpContent content = last ? new DefaultLastSmtpContent(block) : new DefaultSmtpContent(block);
            if (last)
            {
                connection.contentEnded();
                connection.expect("the end of data", context.dataEndTimeoutMs(), this::onEndOfData);
            }
            final ChannelFuture written = connection.channel().writeAndFlush(content);
            if (!written.isDone())
            {
                final ScheduledFuture<?> blockTimer = connection.loop().schedule(() ->
                {
                    connection.counters().increment(DeliveryCounter.TIMEOUTS);
                    connection.fail(connection.peer() + " took no data for " + context.dataBlockTimeoutMs() + " ms");
                }, context.dataBlockTimeoutMs(), TimeUnit.MILLISECONDS);
                final int next = at + length;
                written.addListener(f ->
                {
                    blockTimer.cancel(false);
                    if (blockWritten(f, last))
                    {
                        writeContent(next);
                    }
                });
                return;
            }
            if (!blockWritten(written, last))
            {
                return;
            }
            at += length;
        }
    }

    /** @return true if the block was written and another one follows. */
    private boolean blockWritten(final Future<?> written, final boolean last)
    {
        if (!connection.isTransacting(this))
        {
            return false;
        }
        if (!written.isSuccess())
        {
            connection.fail("writing data to " + connection.peer() + " failed: " + SmtpConnection.describe(written.cause()));
            return false;
        }
        if (last)
        {
            dataSent = true;
            return false;
        }
        return true;
    }

    private void onEndOfData(final UpstreamReply reply)
    {
        if (closing(reply))
        {
            return;
        }
        connection.needsReset(false);
        allAccepted(reply.toDrainReply());
        finish(true);
    }

    /**
     * A {@code 421} answers the command and says the server is closing (RFC 5321 §3.8): it is the reply of every
     * recipient still without one.
     *
     * @return true if the reply was a 421 and the transaction is over.
     */
    private boolean closing(final UpstreamReply reply)
    {
        if (reply.code() != 421)
        {
            return false;
        }
        if (mailRefused != null)
        {
            all(mailRefused);
        }
        allOpen(reply.toDrainReply());
        finish(false);
        return true;
    }

    private void finish(final boolean reusable)
    {
        connection.transactionEnded(reusable);
        done.done(replies, reusable);
    }

    /**
     * Notes the transaction's first reply.
     *
     * @return true if it is a 421 on a reused connection that is not a throttle: the server closed the idle connection
     *         as this transaction reached it, so nothing was taken. A throttle there ({@code 421 4.7.x}, "rate limited,
     *         try again later", as large providers refuse the excess; {@code 421 4.4.5}, congestion) is the server's
     *         answer to this transaction, which the drain must hear, not a dead connection to retry at once: decided
     *         by the drain's own predicate, {@code SmtpReply.isThrottling(true)}, so the two never disagree.
     */
    boolean closedBeforeFirstReply(final UpstreamReply reply)
    {
        if (replied)
        {
            return false;
        }
        if (reply.code() == 421 && reused && !reply.toDrainReply().isThrottling(true))
        {
            return true;
        }
        replied = true;
        return false;
    }

    /**
     * The connection failed under this transaction: a reused connection found dead before any reply tells
     * {@code dead} (nothing of it reached the server's queue, since the content is only sent after a reply, so it is
     * not an attempt); otherwise every recipient without a reply is reported lost.
     */
    void connectionFailed(final String why)
    {
        if (reused && !replied && !dataSent)
        {
            connection.counters().increment(DeliveryCounter.DEAD_CONNECTIONS);
            LOG.debug("pooled connection {} found dead by its next transaction: {}", connection, why);
            dead.run();
            return;
        }
        connection.counters().increment(DeliveryCounter.CONNECTIONS_LOST);
        final String detail;
        if (dataSent)
        {
            connection.counters().increment(DeliveryCounter.LOST_AFTER_DATA);
            detail = why + " after the end of data, before its reply: " + connection.peer()
                + " may have taken the message, which will be sent again (at-least-once)";
            LOG.warn("{} by {}: {}", dispatch.message().queueId(), dispatch.route(), detail);
        }
        else
        {
            detail = why;
        }
        if (mailRefused != null)
        {
            all(mailRefused);
        }
        allOpen(SmtpReply.connectionLost(detail));
        done.done(replies, false);
    }

    /** Every recipient gets this reply (a refused sender). */
    private void all(final SmtpReply reply)
    {
        for (final int index : dispatch.recipientIndexes())
        {
            replies.putIfAbsent(index, reply);
        }
    }

    /** Every recipient the server accepted at RCPT gets the reply to the data. */
    private void allAccepted(final SmtpReply reply)
    {
        for (final int index : accepted)
        {
            replies.put(index, reply);
        }
    }

    /** Every recipient without a reply yet gets this one. */
    private void allOpen(final SmtpReply reply)
    {
        for (final int index : dispatch.recipientIndexes())
        {
            replies.putIfAbsent(index, reply);
        }
    }
}
