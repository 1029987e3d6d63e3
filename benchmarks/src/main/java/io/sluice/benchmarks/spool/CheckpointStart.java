package io.sluice.benchmarks.spool;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;

/**
 * Times starts from the checkpoint of an existing spool, stopped cleanly: {@code CheckpointStart DIR ROUNDS} opens it at
 * its defaults and closes it again ROUNDS times, printing {@code START ms pending} for each (the spool's own log line
 * says how much of it was the damage check). It uses only what every spool version has, so the same class times an
 * older spool-core put first on the classpath: {@code benchmarks/checkpoint-start.sh} times the code before and after a
 * change, interleaved, on one spool.
 */
public final class CheckpointStart
{
    private CheckpointStart()
    {
    }

    public static void main(final String[] args)
    {
        if (args.length != 2)
        {
            System.err.println("usage: CheckpointStart DIR ROUNDS");
            System.exit(64);
        }
        final Path directory = Path.of(args[0]);
        final int rounds = Integer.parseInt(args[1]);
        for (int i = 0; i < rounds; i++)
        {
            final long startNs = System.nanoTime();
            final long pending;
            try (Spool spool = Spool.open(new SpoolContext().directory(directory)))
            {
                pending = spool.pendingCount();
                System.out.printf("START %d %d%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs), pending);
            }
        }
    }
}
