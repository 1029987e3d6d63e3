package io.sluice.spool;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real child JVM running a main class from the test classpath, with the JVM flags the build defines once
 * (the parent pom's {@code sluice.jvm.flags}, handed to tests by Surefire). Its standard output is collected
 * as whole lines only, so a line cut short by {@code kill -9} is never mistaken for a report.
 */
public final class ChildJvm implements AutoCloseable
{
    private final Process process;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final Thread pump;

    private ChildJvm(final Process process)
    {
        this.process = process;
        this.pump = new Thread(() -> copy(process.getInputStream()), "child-stdout-" + process.pid());
        this.pump.setDaemon(true);
        this.pump.start();
    }

    /** Starts {@code mainClass} with {@code args}; stderr goes to this JVM's stderr. */
    public static ChildJvm start(final Class<?> mainClass, final String... args) throws IOException
    {
        return start(Map.of(), mainClass, args);
    }

    /**
     * As {@link #start(Class, String...)}, with {@code environment} set in the child on top of this JVM's
     * (e.g. {@code NOTIFY_SOCKET}, as systemd would set it), so no test has to change its own environment.
     */
    public static ChildJvm start(final Map<String, String> environment, final Class<?> mainClass, final String... args)
        throws IOException
    {
        return start("512m", environment, mainClass, args);
    }

    /** As {@link #start(Class, String...)} with a given {@code -Xmx}, e.g. the launcher's {@code 1g}. */
    public static ChildJvm startWithHeap(final String maxHeap, final Class<?> mainClass, final String... args)
        throws IOException
    {
        return start(maxHeap, Map.of(), mainClass, args);
    }

    private static ChildJvm start(
        final String maxHeap, final Map<String, String> environment, final Class<?> mainClass, final String... args)
        throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        final String flags = System.getProperty("sluice.jvm.flags", "");
        if (flags.isBlank())
        {
            throw new IllegalStateException("sluice.jvm.flags is not set: run tests through Maven (Surefire sets it)");
        }
        command.addAll(Arrays.asList(flags.trim().split("\\s+")));
        command.add("-Xmx" + maxHeap);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(Arrays.asList(args));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().putAll(environment);
        return new ChildJvm(builder.start());
    }

    private void copy(final InputStream in)
    {
        final byte[] buffer = new byte[8192];
        try
        {
            int read;
            while ((read = in.read(buffer)) >= 0)
            {
                synchronized (stdout)
                {
                    stdout.write(buffer, 0, read);
                }
            }
        }
        catch (final IOException ignored)
        {
            // The child is gone; what was read is all there is.
        }
    }

    public long pid()
    {
        return process.pid();
    }

    /** @return the complete lines the child has printed so far. */
    public List<String> lines()
    {
        final String text;
        synchronized (stdout)
        {
            text = stdout.toString(StandardCharsets.UTF_8);
        }
        final int end = text.lastIndexOf('\n');
        return end < 0 ? List.of() : Arrays.asList(text.substring(0, end).split("\n"));
    }

    /** Sends SIGKILL ({@code kill -9}) to this child alone, by its pid, and waits for it to die. */
    public void kill9() throws IOException, InterruptedException
    {
        new ProcessBuilder("kill", "-9", Long.toString(process.pid())).inheritIO().start().waitFor();
        process.waitFor(30, TimeUnit.SECONDS);
        pump.join(10_000);
    }

    /** Sends SIGTERM, as systemd does on stop, to this child alone, by its pid. */
    public void terminate() throws IOException, InterruptedException
    {
        new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).inheritIO().start().waitFor();
    }

    public boolean isAlive()
    {
        return process.isAlive();
    }

    /** @return the exit code, waiting up to {@code timeoutMs}; -1 if it is still running. */
    public int waitFor(final long timeoutMs) throws InterruptedException
    {
        if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
        {
            return -1;
        }
        pump.join(10_000);
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException
    {
        if (process.isAlive())
        {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
