package io.sluice.spool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A tmpfs of a few MiB mounted for one test, so a full disk is real, not simulated. Needs root (as the CI
 * machine has); {@link #mount} returns null elsewhere so the test can skip with a message.
 */
public final class SmallFilesystem implements AutoCloseable
{
    private final Path mountPoint;

    private SmallFilesystem(final Path mountPoint)
    {
        this.mountPoint = mountPoint;
    }

    /** @return the mounted filesystem, or null if this process may not mount one. */
    public static SmallFilesystem mount(final Path mountPoint, final int sizeMiB) throws IOException, InterruptedException
    {
        Files.createDirectories(mountPoint);
        final Process mount = new ProcessBuilder(
            "mount", "-t", "tmpfs", "-o", "size=" + sizeMiB + "m", "tmpfs", mountPoint.toString())
            .redirectErrorStream(true).start();
        final String output = new String(mount.getInputStream().readAllBytes());
        if (!mount.waitFor(30, TimeUnit.SECONDS) || mount.exitValue() != 0)
        {
            System.err.println("cannot mount a tmpfs (" + output.trim() + "): full-disk test skipped");
            return null;
        }
        return new SmallFilesystem(mountPoint);
    }

    public Path path()
    {
        return mountPoint;
    }

    @Override
    public void close() throws IOException, InterruptedException
    {
        // Lazy unmount: a mapping the JVM has not released yet must not keep the mount alive.
        new ProcessBuilder("umount", "-l", mountPoint.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
    }
}
