package io.sluice.daemon;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Free space on the spool's filesystem, for the automatic backlog watermarks. Production reads the {@link FileStore}
 * (one statfs); tests give a figure of their own, since a real filesystem of a chosen size cannot be had here.
 */
@FunctionalInterface
interface DiskSpace
{
    /** @return usable bytes now; 0 when the filesystem cannot say (unknown free space is never read as plenty). */
    long usableBytes();

    /** @return the free space of the filesystem that holds {@code directory}. */
    static DiskSpace of(final Path directory)
    {
        final FileStore store;
        try
        {
            store = Files.getFileStore(directory);
        }
        catch (final IOException ex)
        {
            return () -> 0;
        }
        return () ->
        {
            try
            {
                return store.getUsableSpace();
            }
            catch (final IOException ex)
            {
                return 0;
            }
        };
    }
}
