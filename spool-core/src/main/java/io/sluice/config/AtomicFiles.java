package io.sluice.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Replacing a small state file so that a crash at any moment leaves either the old file or the new one, whole, and
 * the new one survives a power cut once this returns: write a temporary sibling, fsync it, rename it over the file,
 * fsync the folder. The admission, bounce and containment state files and the control plane's saved changes all go
 * through here.
 */
public final class AtomicFiles
{
    private AtomicFiles()
    {
    }

    /** Replaces {@code path} with {@code bytes}, durably and atomically. */
    public static void replace(final Path path, final byte[] bytes) throws IOException
    {
        final Path temporary = temporarySibling(path);
        try (FileChannel channel = FileChannel.open(temporary,
            StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))
        {
            final ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining())
            {
                channel.write(buffer);
            }
            channel.force(true);
        }
        moveIntoPlace(temporary, path);
    }

    /** @return the sibling a writer streams into before {@link #moveIntoPlace}. */
    public static Path temporarySibling(final Path path)
    {
        return path.resolveSibling(path.getFileName() + ".tmp");
    }

    /**
     * Renames an already fsynced {@code temporary} over {@code path} and makes the rename durable.
     */
    public static void moveIntoPlace(final Path temporary, final Path path) throws IOException
    {
        try
        {
            Files.move(temporary, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final AtomicMoveNotSupportedException ex)
        {
            Files.move(temporary, path, StandardCopyOption.REPLACE_EXISTING);
        }
        forceDirectory(path.toAbsolutePath().getParent());
    }

    private static void forceDirectory(final Path directory)
    {
        // The rename is durable only once the directory is; Linux allows forcing a directory opened read-only.
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ))
        {
            dir.force(true);
        }
        catch (final IOException ex)
        {
            // Some platforms cannot open a directory as a file; the rename is still atomic there.
        }
    }
}
