package io.sluice.benchmarks.flood;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Small process and socket helpers over /proc and loopback, shared by the systems under test and the sampler. */
final class Processes
{
    private static final long CLOCK_TICKS = 100;
    private static final long PAGE_BYTES = 4096;

    private Processes()
    {
    }

    /** @return a free port on 127.0.0.1 (free when asked; the caller binds it soon after) */
    static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    /** Waits until 127.0.0.1:port greets with 220, or fails after {@code seconds}. */
    static void awaitGreeting(final int port, final int seconds, final String what, final ProcessHandle process)
        throws IOException, InterruptedException
    {
        final long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline)
        {
            if (process != null && !process.isAlive())
            {
                throw new IOException(what + " exited before it answered SMTP on port " + port);
            }
            try (Socket socket = new Socket())
            {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                socket.setSoTimeout(5000);
                final byte[] greeting = new byte[3];
                if (socket.getInputStream().readNBytes(greeting, 0, 3) == 3
                    && new String(greeting, StandardCharsets.US_ASCII).equals("220"))
                {
                    socket.getOutputStream().write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
                    return;
                }
            }
            catch (final IOException notYet)
            {
                // Not listening yet.
            }
            Thread.sleep(250);
        }
        throw new IOException(what + " did not greet on 127.0.0.1:" + port + " within " + seconds + " s");
    }

    /** @return {@code pid} and every live descendant */
    static List<Long> tree(final long pid)
    {
        final List<Long> tree = new ArrayList<>();
        tree.add(pid);
        ProcessHandle.of(pid).ifPresent(handle -> handle.descendants().forEach(child -> tree.add(child.pid())));
        return tree;
    }

    /** @return resident set size in bytes of the process tree (0 where gone) */
    static long residentBytes(final long root)
    {
        long bytes = 0;
        for (final long pid : tree(root))
        {
            final String[] statm = read("/proc/" + pid + "/statm").split(" ");
            if (statm.length > 1)
            {
                bytes += Long.parseLong(statm[1].trim()) * PAGE_BYTES;
            }
        }
        return bytes;
    }

    /**
     * @return CPU seconds (user + system) of the process tree, children that ended included (they move into
     *     their parent's cutime and cstime)
     */
    static double cpuSeconds(final long root)
    {
        long ticks = 0;
        final Set<Long> seen = new HashSet<>();
        for (final long pid : tree(root))
        {
            if (!seen.add(pid))
            {
                continue;
            }
            final String stat = read("/proc/" + pid + "/stat");
            final int end = stat.lastIndexOf(") ");
            if (end < 0)
            {
                continue;
            }
            final String[] fields = stat.substring(end + 2).split(" ");
            // After the command: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
            ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            ticks += Long.parseLong(fields[13]) + Long.parseLong(fields[14]);
        }
        return ticks / (double)CLOCK_TICKS;
    }

    /** @return open file descriptors of the process tree */
    static int openFiles(final long root)
    {
        int count = 0;
        for (final long pid : tree(root))
        {
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd")))
            {
                for (final Path ignored : fds)
                {
                    count++;
                }
            }
            catch (final IOException gone)
            {
                // The process ended or is not ours to look at.
            }
        }
        return count;
    }

    static String read(final String path)
    {
        try
        {
            return Files.readString(Path.of(path), StandardCharsets.ISO_8859_1);
        }
        catch (final IOException ex)
        {
            return "";
        }
    }

    /** Stops a process: SIGTERM, then SIGKILL after {@code graceSeconds}. By pid only. */
    static void stop(final ProcessHandle process, final int graceSeconds) throws InterruptedException
    {
        if (!process.isAlive())
        {
            return;
        }
        process.destroy();
        final long deadline = System.nanoTime() + graceSeconds * 1_000_000_000L;
        while (process.isAlive() && System.nanoTime() < deadline)
        {
            Thread.sleep(100);
        }
        if (process.isAlive())
        {
            System.err.println("pid " + process.pid() + " did not stop in " + graceSeconds + " s; killing it");
            process.destroyForcibly();
        }
    }

    /** Deletes a folder tree, best effort. */
    static void deleteTree(final Path root)
    {
        if (!Files.exists(root))
        {
            return;
        }
        try (var paths = Files.walk(root))
        {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
        catch (final IOException ex)
        {
            System.err.println("could not delete " + root + ": " + ex);
        }
    }
}
