package io.sluice.delivery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;

import io.sluice.drain.Dispatch;
import io.sluice.drain.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code dir:} route: each dispatch is written as one {@code .eml} file into a maildir-style folder, so a newcomer
 * sees mail flow with no other server, and a test or a local mail reader can pick it up.
 *
 * <p>Atomic: the file is written into {@code tmp/}, synced to disk, then renamed into {@code new/} (same filesystem,
 * an atomic rename), and {@code new/} is synced so the rename survives power loss. A reader never sees half a message.
 * Only then are the recipients journaled as delivered ({@code 250 2.0.0}).
 *
 * <p>The file name is the queue id and the recipient indexes, e.g. {@code 00000190A1B2C3D4-r0-2.eml}, the same on every
 * attempt: a redelivery after a crash between the rename and the journal write replaces the file instead of adding a
 * second copy. The file starts with {@code Return-Path} and one {@code Delivered-To} per recipient, as a local delivery
 * agent writes them, then the message as received. A write that fails (disk full, permissions) defers the recipients
 * with {@code 451 4.3.0}: temporary trouble, retried.
 *
 * <p>{@code maxConnections} is the number of files written at once; the writes run on the delivery I/O executor.
 */
final class DirRoute implements RouteDelivery
{
    /** Longer recipient lists are named by their first index, count and a checksum, to stay inside NAME_MAX (255). */
    private static final int MAX_NAME_LENGTH = 160;
    private static final Logger LOG = LoggerFactory.getLogger(DirRoute.class);

    private final DeliveryContext.Route route;
    private final Path directory;
    private final Path tmp;
    private final Path fresh;
    private final RouteServices services;
    private final AtomicInteger inUse = new AtomicInteger();
    private volatile boolean closing;

    DirRoute(final DeliveryContext.Route route, final RouteServices services)
    {
        this.route = route;
        this.directory = ((RouteTarget.Dir)route.target()).directory().toAbsolutePath().normalize();
        this.tmp = directory.resolve("tmp");
        this.fresh = directory.resolve("new");
        this.services = services;
        try
        {
            Files.createDirectories(tmp);
            Files.createDirectories(fresh);
            Files.createDirectories(directory.resolve("cur"));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create the maildir folders of route " + route.name() + " in " + directory
                + " (" + DeliveryContext.targetKey(route.name()) + ")", ex);
        }
    }

    @Override
    public String state()
    {
        return route.name() + ": " + inUse() + " of " + route.maxConnections() + " writers in use";
    }

    @Override
    public String describe()
    {
        return route.name() + " -> dir:" + directory + " (maildir, up to " + services.maxConnections(route.name()) + " writers)";
    }

    @Override
    public int capacity()
    {
        return closing || !services.budget().hasRoom() ? 0
            : Math.max(0, services.maxConnections(route.name()) - inUse.get());
    }

    @Override
    public int inUse()
    {
        return inUse.get();
    }

    @Override
    public void deliver(final Dispatch dispatch)
    {
        inUse.incrementAndGet();
        services.budget().acquire(dispatch.message().contentLength());
        try
        {
            services.io().execute(() -> write(dispatch));
        }
        catch (final RejectedExecutionException ex)
        {
            endSlot(dispatch);
            services.giveBack(dispatch);
        }
    }

    private void endSlot(final Dispatch dispatch)
    {
        services.budget().release(dispatch.message().contentLength());
        inUse.decrementAndGet();
    }

    /** @return the file name for a dispatch: stable across attempts of the same recipients. */
    static String fileName(final Dispatch dispatch)
    {
        final StringBuilder name = new StringBuilder(dispatch.message().queueId()).append("-r");
        final List<Integer> indexes = dispatch.recipientIndexes();
        for (int i = 0; i < indexes.size(); i++)
        {
            int j = i;
            while (j + 1 < indexes.size() && indexes.get(j + 1) == indexes.get(j) + 1)
            {
                j++;
            }
            name.append(i == 0 ? "" : "_").append(indexes.get(i));
            if (j > i)
            {
                name.append('-').append(indexes.get(j));
            }
            i = j;
        }
        if (name.length() > MAX_NAME_LENGTH)
        {
            final CRC32C crc = new CRC32C();
            for (final int index : indexes)
            {
                crc.update(ByteBuffer.allocate(4).putInt(0, index));
            }
            name.setLength(0);
            name.append(dispatch.message().queueId()).append("-r").append(indexes.get(0)).append('+').append(indexes.size())
                .append('-').append(Long.toHexString(crc.getValue()));
        }
        return name.append(".eml").toString();
    }

    private void write(final Dispatch dispatch)
    {
        try
        {
            final ByteBuffer content;
            try
            {
                content = services.spool().readContent(dispatch.messageId());
            }
            catch (final IOException ex)
            {
                services.counters().increment(DeliveryCounter.LOCAL_ERRORS);
                LOG.error("{}: content unreadable, deferred", dispatch.message().queueId(), ex);
                record(dispatch, SmtpReply.of(451, "4.3.0", "local error: message content unreadable: " + ex.getMessage()));
                return;
            }
            if (content == null)
            {
                services.giveBack(dispatch);
                return;
            }
            final String name = fileName(dispatch);
            try
            {
                store(dispatch, content, name);
            }
            catch (final IOException | RuntimeException ex)
            {
                services.counters().increment(DeliveryCounter.LOCAL_ERRORS);
                LOG.warn("route {}: cannot write {} into {}: {}", route.name(), name, directory, ex.toString());
                record(dispatch, SmtpReply.of(451, "4.3.0", "local error writing " + fresh.resolve(name) + ": " + ex));
                return;
            }
            services.counters().increment(DeliveryCounter.FILES_WRITTEN);
            record(dispatch, SmtpReply.of(250, "2.0.0", "delivered to " + fresh.resolve(name)));
        }
        finally
        {
            endSlot(dispatch);
        }
    }

    private void record(final Dispatch dispatch, final SmtpReply reply)
    {
        final TreeMap<Integer, SmtpReply> replies = new TreeMap<>();
        for (final int index : dispatch.recipientIndexes())
        {
            replies.put(index, reply);
        }
        services.reports().report(dispatch, replies);
    }

    private void store(final Dispatch dispatch, final ByteBuffer content, final String name) throws IOException
    {
        final StringBuilder head = new StringBuilder(128);
        head.append("Return-Path: <").append(dispatch.envelope().sender()).append(">\r\n");
        for (final int index : dispatch.recipientIndexes())
        {
            head.append("Delivered-To: ").append(dispatch.recipient(index)).append("\r\n");
        }
        final Path staged = tmp.resolve(name);
        try (FileChannel file = FileChannel.open(staged,
            StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))
        {
            final ByteBuffer header = ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.UTF_8));
            while (header.hasRemaining())
            {
                file.write(header);
            }
            final ByteBuffer body = content.duplicate();
            while (body.hasRemaining())
            {
                file.write(body);
            }
            file.force(true);
        }
        Files.move(staged, fresh.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(fresh);
    }

    /** Makes a rename durable: on Linux a directory opened for reading can be fsynced. */
    private static void syncDirectory(final Path dir) throws IOException
    {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ))
        {
            channel.force(true);
        }
    }

    @Override
    public void beginClose()
    {
        closing = true;
    }

    @Override
    public void abort()
    {
        closing = true;
    }
}
