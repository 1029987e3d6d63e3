package io.sluice.spool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A tmpfs of a few MiB mounted for one test, so a full disk is real, not simulated. Mounting needs root, which
 * CI has; where it is missing the test fails and says why, rather than skip: a full-disk test that quietly does
 * not run proves nothing.
 */
public final class SmallFilesystem implements AutoCloseable
{
    private final Path mountPoint;

    private SmallFilesystem(final Path mountPoint)
    {
        this.mountPoint = mountPoint;
    }

    /**
     * @return the mounted filesystem.
     * @throws IllegalStateException if this process may not mount one (not root).
     */
    public static SmallFilesystem mount(final Path mountPoint, final int sizeMiB) throws IOException, InterruptedException
    {
        Files.createDirectories(mountPoint);
        final Process mount = new ProcessBuilder(
            "mount", "-t", "tmpfs", "-o", "size=" + sizeMiB + "m", "tmpfs", mountPoint.toString())
            .redirectErrorStream(true).start();
        final String output = new String(mount.getInputStream().readAllBytes());
        if (!mount.waitFor(30, TimeUnit.SECONDS) || mount.exitValue() != 0)
        {
            throw new IllegalStateException("cannot mount a " + sizeMiB + " MiB tmpfs at " + mountPoint + " ("
                + output.trim() + "): the full-disk tests need a real small filesystem; run them as root, as CI does");
        }
        return new SmallFilesystem(mountPoint);
    }

    public Path path()
    {
        return mountPoint;
    }

    /** @return free space as the spool's disk guard sees it. */
    public long usableBytes() throws IOException
    {
        return Files.getFileStore(mountPoint).getUsableSpace();
    }

    @Override
    public void close() throws IOException, InterruptedException
    {
        // Lazy unmount: a mapping the JVM has not released yet must not keep the mount alive.
        new ProcessBuilder("umount", "-l", mountPoint.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
    }
}
