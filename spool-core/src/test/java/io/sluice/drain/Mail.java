package io.sluice.drain;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;

/** Pending-message snapshots for drain tests, as the spool would report them. */
final class Mail
{
    static final long RECEIVED_AT = 1_700_000_000_000L;

    private static long nextId = 1;

    private Mail()
    {
    }

    static synchronized long nextId()
    {
        return nextId++;
    }

    /** A new message from {@code source} in tenant {@code default}, lane {@code mail}, with one recipient. */
    static PendingMessage from(final String source)
    {
        return message(source, "default", "mail", 1);
    }

    static PendingMessage message(final String source, final String tenant, final String lane, final int recipients)
    {
        return message(source, tenant, lane, recipients, RECEIVED_AT);
    }

    static PendingMessage message(
        final String source, final String tenant, final String lane, final int recipients, final long receivedAtMillis)
    {
        final List<String> addresses = new ArrayList<>();
        for (int i = 0; i < recipients; i++)
        {
            addresses.add("rcpt" + i + "@example.org");
        }
        final Envelope envelope = new Envelope(source, tenant, lane, "sender@example.net", addresses, receivedAtMillis);
        return new PendingMessage(nextId(), envelope, 1024, Collections.nCopies(recipients, RecipientStatus.NEW));
    }

    /** @return the snapshot with recipient {@code index}'s status replaced, as the spool reports an outcome. */
    static PendingMessage with(final PendingMessage message, final int index, final RecipientStatus status)
    {
        final List<RecipientStatus> statuses = new ArrayList<>(message.recipients());
        statuses.set(index, status);
        return new PendingMessage(message.messageId(), message.envelope(), message.contentLength(), statuses);
    }

    /** @return the snapshot with every recipient set to {@code status}. */
    static PendingMessage all(final PendingMessage message, final RecipientStatus status)
    {
        return new PendingMessage(message.messageId(), message.envelope(), message.contentLength(),
            Collections.nCopies(message.recipients().size(), status));
    }

    /** @return the snapshot after every recipient of the dispatch was delivered. */
    static PendingMessage delivered(final Dispatch dispatch)
    {
        PendingMessage message = dispatch.message();
        for (final int index : dispatch.recipientIndexes())
        {
            message = with(message, index, RecipientStatus.delivered(1, "250 2.0.0 ok"));
        }
        return message;
    }
}
