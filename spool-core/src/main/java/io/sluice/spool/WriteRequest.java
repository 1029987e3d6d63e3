package io.sluice.spool;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/** What producers hand the journal writer through its MPSC queue. */
abstract class WriteRequest
{
    /** A new message; completed with its {@link AppendResult} once durable. */
    static final class Append extends WriteRequest
    {
        final Envelope envelope;
        final ByteBuffer content;
        final CompletableFuture<AppendResult> future = new CompletableFuture<>();
        AppendResult result;
        long[] recordIndexes;
        long recordBytes;
        long headPosition;
        /** The statuses journaled with it (all new), kept for the index and the listener. */
        java.util.List<RecipientStatus> statuses;

        Append(final Envelope envelope, final ByteBuffer content)
        {
            this.envelope = envelope;
            this.content = content;
        }

        @Override
        void fail(final AppendResult.Status status)
        {
            future.complete(new AppendResult(status, 0));
        }
    }

    /** A recipient outcome; completed with true once durable, false if it changed nothing. */
    static final class Outcome extends WriteRequest
    {
        final long messageId;
        final int recipientIndex;
        final RecipientStatus status;
        final CompletableFuture<Boolean> future = new CompletableFuture<>();
        boolean written;
        /** Where the outcome record went: readers find the recipient's new status there. */
        long recordIndex;

        Outcome(final long messageId, final int recipientIndex, final RecipientStatus status)
        {
            this.messageId = messageId;
            this.recipientIndex = recipientIndex;
            this.status = status;
        }

        @Override
        void fail(final AppendResult.Status status)
        {
            future.completeExceptionally(new SpoolUnavailableException(
                "outcome for " + QueueIds.format(messageId) + " not journaled: " + status));
        }
    }

    /** Completes the request without writing it. */
    abstract void fail(AppendResult.Status status);
}
