/**
 * The operator's view of the queue, message by message (what Postfix's {@code postqueue -j}, {@code postcat -q} and
 * {@code postsuper} give): which pending messages match a filter ({@link io.sluice.queue.MessageFilter}), in what state
 * each stands ({@link io.sluice.queue.QueueState}), a bounded page of them at a time from the live index
 * ({@link io.sluice.queue.QueueQuery}), and the journal statuses of an operator's hold, release and delete
 * ({@link io.sluice.queue.OperatorHold}). Reads the spool only: the daemon's console acts on what it finds, the drain
 * keeps an operator-held message from being picked. Its floor sits on the spool and the ground, beside the drain.
 */
package io.sluice.queue;
