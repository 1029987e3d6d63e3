package io.sluice.benchmarks.admission;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.sluice.spool.AppendResult;
import io.sluice.spool.Durability;
import io.sluice.spool.Envelope;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;

/**
 * A real spool holding a given number of pending messages, filled once and kept for every JMH fork that asks for the
 * same number: a 10M fill takes minutes, a start from its checkpoint seconds. The fill acknowledges on write ({@code
 * spool.durability=ACK_ON_WRITE}, printed), not after each msync: what admission reads of the spool does not depend on
 * how its records reached the disk, and on a loaded 2-core machine the durable fill ran at 900 msgs/s. The spool closes
 * cleanly (flushed, its checkpoint written) before it is used. The bodies are small ({@value #BODY_BYTES} B) on
 * purpose: admission reads the spool's counters, never a body, so the body size changes only the disk the fill takes
 * (10M at 4 KiB would be ~43 GB).
 *
 * <p>Kept under {@code <base>/admission-backlog-<count>}, marked filled by a file written after the spool closed
 * cleanly (its checkpoint written); a directory without the mark is from a fill that did not finish, filled again.
 * The script that runs the benchmark deletes the directories.
 */
public final class FilledSpool
{
    static final int BODY_BYTES = 256;
    /** Appends in flight while filling, as the backlog harness does: well under the writer queue's capacity. */
    private static final int WINDOW = 4096;
    /** Distinct sources the backlog came from, so the drain would have many queues, as after a flood. */
    private static final int SOURCES = 10_000;
    private static final String MARK = "filled";

    private FilledSpool()
    {
    }

    /** {@code FilledSpool BASE COUNT}: fills (or finds) the spool, for a script that times something else on it. */
    public static void main(final String[] args) throws IOException
    {
        if (args.length != 2)
        {
            System.err.println("usage: FilledSpool BASE COUNT");
            System.exit(64);
        }
        System.out.println("SPOOL " + of(Path.of(args[0]), Long.parseLong(args[1])));
    }

    /** @return the directory of a spool with {@code count} pending messages under {@code base}, filled if need be. */
    static Path of(final Path base, final long count) throws IOException
    {
        final Path directory = base.resolve("admission-backlog-" + count);
        final Path mark = directory.resolve(MARK);
        if (Files.exists(mark))
        {
            System.out.printf("%nFilledSpool: reusing %s (%s)%n", directory, Files.readString(mark).trim());
            return directory;
        }
        deleteRecursively(directory);
        Files.createDirectories(directory);
        final long startNs = System.nanoTime();
        final ByteBuffer body = ByteBuffer.wrap(bodyBytes());
        final List<CompletableFuture<AppendResult>> window = new ArrayList<>(WINDOW);
        try (Spool spool = Spool.open(new SpoolContext().directory(directory).durability(Durability.ACK_ON_WRITE)))
        {
            for (long n = 0; n < count; )
            {
                window.clear();
                final int batch = (int)Math.min(WINDOW, count - n);
                for (int i = 0; i < batch; i++)
                {
                    window.add(spool.append(envelope(n + i), body.duplicate()));
                }
                for (final CompletableFuture<AppendResult> future : window)
                {
                    final AppendResult result = future.join();
                    if (!result.isAccepted())
                    {
                        throw new IllegalStateException("fill refused after " + n + " messages: " + result.status());
                    }
                }
                n += batch;
            }
            if (spool.pendingCount() != count)
            {
                throw new IllegalStateException("filled " + count + " but " + spool.pendingCount() + " are pending");
            }
        }
        final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        final String what = String.format("%,d pending messages of %d B filled (ACK_ON_WRITE) in %,d ms, %,d msgs/s", count,
            BODY_BYTES, ms, count * 1000 / Math.max(1, ms));
        Files.writeString(mark, what + "\n");
        System.out.printf("%nFilledSpool: %s into %s%n", what, directory);
        return directory;
    }

    private static Envelope envelope(final long n)
    {
        final int source = (int)(n % SOURCES);
        return new Envelope("10.0." + (source >>> 8) + "." + (source & 0xFF), "default", "mail",
            "s" + n + "@backlog.example.org", List.of("rcpt@example.net"), System.currentTimeMillis());
    }

    private static byte[] bodyBytes()
    {
        final byte[] bytes = new byte[BODY_BYTES];
        Arrays.fill(bytes, (byte)'a');
        final byte[] headers = "Subject: backlog\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(headers, 0, bytes, 0, headers.length);
        bytes[BODY_BYTES - 2] = '\r';
        bytes[BODY_BYTES - 1] = '\n';
        return bytes;
    }

    private static void deleteRecursively(final Path directory) throws IOException
    {
        if (!Files.exists(directory))
        {
            return;
        }
        try (var paths = Files.walk(directory))
        {
            for (final Path path : paths.sorted((a, b) -> b.compareTo(a)).toList())
            {
                Files.deleteIfExists(path);
            }
        }
    }
}
