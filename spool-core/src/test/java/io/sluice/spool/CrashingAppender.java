package io.sluice.spool;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The child side of {@link SpoolCrashTest}: appends from several threads, as fast as it can, and records
 * delivery outcomes for some of what it appended, printing a line only after each promise is durable:
 * {@code A <id> <tag> <size>} for an acknowledged append, {@code D <id> <recipient>} for a durable outcome
 * (announced beforehand by {@code I <id> <recipient>}). It runs until it is killed.
 *
 * <p>Given a third argument, it checkpoints the pending index that often (ms) and prints {@code K <n>} once the n-th
 * checkpoint is on disk, so a test can kill it with appends past a checkpoint.
 */
public final class CrashingAppender
{
    private CrashingAppender()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Path dir = Path.of(args[0]);
        final String round = args[1];
        final SpoolContext context = new SpoolContext().directory(dir).blockSizeBytes(1 << 20).chunkBytes(32 << 10)
            .diskReserveBytes(8 << 20).rollCycle("FAST_HOURLY");
        if (args.length > 2)
        {
            context.checkpointIntervalMs(Long.parseLong(args[2])).maintenanceIntervalMs(5);
        }
        final Spool spool = Spool.open(context);
        if (args.length > 2)
        {
            final Thread watcher = new Thread(() -> watchCheckpoints(spool), "checkpoint-watcher");
            watcher.setDaemon(true);
            watcher.start();
        }
        final LinkedBlockingQueue<long[]> toDeliver = new LinkedBlockingQueue<>();
        for (int t = 0; t < 4; t++)
        {
            final int thread = t;
            final Thread producer = new Thread(() -> produce(spool, round + "-" + thread, toDeliver), "producer-" + t);
            producer.start();
        }
        while (true)
        {
            final long[] message = toDeliver.take();
            final int recipient = (int)message[1];
            // Said before asking: a kill may land after the outcome is durable but before "D" is printed.
            print("I " + message[0] + " " + recipient);
            if (spool.recordOutcome(message[0], recipient, RecipientStatus.delivered(1, "250 2.0.0 ok")).join())
            {
                print("D " + message[0] + " " + recipient);
            }
        }
    }

    private static void watchCheckpoints(final Spool spool)
    {
        long reported = 0;
        while (true)
        {
            final long written = spool.counters().get(SpoolCounter.INDEX_CHECKPOINTS);
            if (written > reported)
            {
                reported = written;
                print("K " + written);
            }
            try
            {
                Thread.sleep(1);
            }
            catch (final InterruptedException ex)
            {
                return;
            }
        }
    }

    private static void produce(final Spool spool, final String prefix, final LinkedBlockingQueue<long[]> toDeliver)
    {
        final ThreadLocalRandom random = ThreadLocalRandom.current();
        for (long n = 0; ; n++)
        {
            final String tag = prefix + "-" + n;
            // Now and then a body that spans several chunk records, so a kill can land between them.
            final int size = random.nextInt(20) == 0 ? 100_000 + random.nextInt(100_000) : 500 + random.nextInt(4000);
            final ByteBuffer body = TestMessages.body(tag, size);
            final AppendResult result = spool.append(
                TestMessages.envelope(List.of("a@x.test", "b@x.test").toArray(new String[0])), body).join();
            if (result.isAccepted())
            {
                print("A " + result.messageId() + " " + tag + " " + size);
                if (random.nextBoolean())
                {
                    // Recipient 0, recipient 1, or both at once (-1), which finishes the message.
                    toDeliver.add(new long[] {result.messageId(), random.nextInt(3) - 1});
                }
            }
        }
    }

    private static synchronized void print(final String line)
    {
        System.out.println(line);
    }
}
