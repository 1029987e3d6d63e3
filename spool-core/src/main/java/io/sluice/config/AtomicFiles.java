package io.sluice.config;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Replacing a small state file so that a crash at any moment leaves either the old file or the new one, whole, and
 * the new one survives a power cut once this returns: write a temporary sibling, fsync it, rename it over the file,
 * fsync the folder. The admission, bounce and containment state files and the control plane's saved changes all go
 * through here. The binary ones end in a CRC32C of what precedes it ({@link #replaceChecked}, {@link #readChecked}),
 * so a file damaged on disk is refused instead of believed.
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

    /** Replaces {@code path} with {@code payload} followed by the CRC32C of {@code payload}, as {@link #replace} does. */
    public static void replaceChecked(final Path path, final byte[] payload) throws IOException
    {
        final CRC32C crc = new CRC32C();
        crc.update(payload);
        final byte[] bytes = Arrays.copyOf(payload, payload.length + Integer.BYTES);
        ByteBuffer.wrap(bytes, payload.length, Integer.BYTES).putInt((int)crc.getValue());
        replace(path, bytes);
    }

    /**
     * Reads a file that ends in the CRC32C of what precedes it.
     *
     * @param what     what the file is, for the messages ("state file")
     * @param minBytes the smallest size a whole file can have, CRC included
     * @param maxBytes the largest size it may have
     * @return the payload, without the CRC
     * @throws IOException if it cannot be read, has an impossible size or fails its CRC check
     */
    public static DataInputStream readChecked(final Path path, final String what, final long minBytes, final long maxBytes)
        throws IOException
    {
        final long size = Files.size(path);
        if (size > maxBytes || size < minBytes)
        {
            throw new IOException(what + " " + path + " has an impossible size: " + size + " bytes");
        }
        final byte[] bytes = Files.readAllBytes(path);
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - Integer.BYTES);
        if ((int)crc.getValue() != ByteBuffer.wrap(bytes, bytes.length - Integer.BYTES, Integer.BYTES).getInt())
        {
            throw new IOException(what + " " + path + " fails its CRC32C check");
        }
        return new DataInputStream(new ByteArrayInputStream(bytes, 0, bytes.length - Integer.BYTES));
    }

    /** @return the sibling a writer streams into before {@link #moveIntoPlace}. */
    /**
     * Moves a file that could not be read aside to {@code <name>.corrupt} (over an older one), so the state is rebuilt
     * without it and the file is kept for a post-mortem, not overwritten by the next save.
     *
     * @param path  the unreadable file.
     * @param owner the stage, for the log line when the move fails ({@code "admission"}).
     * @param log   where that line goes.
     * @return where it now is; null if it could not be moved (logged).
     */
    public static Path setAside(final Path path, final String owner, final org.slf4j.Logger log)
    {
        final Path aside = path.resolveSibling(path.getFileName() + ".corrupt");
        try
        {
            Files.move(path, aside, StandardCopyOption.REPLACE_EXISTING);
            return aside;
        }
        catch (final IOException ex)
        {
            log.error("{}: cannot move the unreadable file {} aside: {}", owner, path, ex.toString());
            return null;
        }
    }

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
