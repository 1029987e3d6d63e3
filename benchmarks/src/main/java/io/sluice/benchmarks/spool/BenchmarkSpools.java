package io.sluice.benchmarks.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;
import java.util.stream.Stream;

import io.sluice.spool.AppendResult;
import io.sluice.spool.Envelope;
import io.sluice.spool.Spool;

/** What the spool benchmarks share: scratch directories, a typical envelope and message bodies. */
final class BenchmarkSpools
{
    /**
     * Parent directory for the benchmarks' spools; the system temp dir when unset. It must be a real disk,
     * not tmpfs, or {@code msync} costs nothing and durable figures mean nothing.
     */
    static final String DIRECTORY_PROPERTY = "sluice.bench.dir";

    private BenchmarkSpools()
    {
    }

    /** @return a new, empty directory for one spool. */
    static Path newDirectory(final String prefix) throws IOException
    {
        final String parent = System.getProperty(DIRECTORY_PROPERTY);
        if (parent == null || parent.isBlank())
        {
            return Files.createTempDirectory(prefix);
        }
        final Path base = Files.createDirectories(Path.of(parent));
        return Files.createTempDirectory(base, prefix);
    }

    /** Deletes a spool directory and everything in it; null is ignored. */
    static void deleteRecursively(final Path directory) throws IOException
    {
        if (directory == null || !Files.exists(directory))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory))
        {
            final List<Path> deepestFirst = paths.sorted(Comparator.reverseOrder()).toList();
            for (final Path path : deepestFirst)
            {
                Files.deleteIfExists(path);
            }
        }
    }

    /** @return a one-recipient envelope like an SMTP session's. */
    static Envelope envelope()
    {
        return new Envelope("192.0.2.10", "bench", "mail", "sender@example.org",
            List.of("recipient@example.net"), System.currentTimeMillis());
    }

    /** @return a message of exactly {@code size} bytes: a few headers, then CRLF-terminated text lines. */
    static ByteBuffer body(final int size)
    {
        final byte[] bytes = new byte[size];
        final byte[] headers = ("From: sender@example.org\r\nTo: recipient@example.net\r\nSubject: benchmark\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(headers, 0, bytes, 0, Math.min(headers.length, size));
        for (int i = headers.length; i < size; i++)
        {
            final int column = (i - headers.length) % 78;
            bytes[i] = column == 76 ? (byte)'\r' : column == 77 ? (byte)'\n' : (byte)('a' + column % 26);
        }
        return ByteBuffer.wrap(bytes);
    }

    /**
     * Appends {@code messages} messages, {@code window} in flight at a time (well under the writer queue's capacity),
     * and waits until each is accepted.
     *
     * @param envelopes the envelope of the n-th message
     * @throws IllegalStateException if the spool refused one (see {@link #requireAccepted})
     */
    static void appendAll(final Spool spool, final int messages, final int window, final IntFunction<Envelope> envelopes,
        final ByteBuffer body)
    {
        final List<CompletableFuture<AppendResult>> inFlight = new ArrayList<>(window);
        int written = 0;
        while (written < messages)
        {
            final int batch = Math.min(window, messages - written);
            inFlight.clear();
            for (int i = 0; i < batch; i++)
            {
                inFlight.add(spool.append(envelopes.apply(written + i), body.duplicate()));
            }
            for (final CompletableFuture<AppendResult> future : inFlight)
            {
                requireAccepted(future.join());
            }
            written += batch;
        }
    }

    /**
     * @return the result, if the spool accepted the message.
     * @throws IllegalStateException otherwise: a refused append (overloaded, disk full) must fail the run,
     *                               not be counted as a fast one.
     */
    static AppendResult requireAccepted(final AppendResult result)
    {
        if (!result.isAccepted())
        {
            throw new IllegalStateException("append refused: " + result.status());
        }
        return result;
    }
}
