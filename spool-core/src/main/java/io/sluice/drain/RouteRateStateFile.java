package io.sluice.drain;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.sluice.config.AtomicFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file that carries each route's learned rate across a restart ({@code drain.rate.stateFile}), so a daemon
 * restarted in the middle of a backlog starts just under the provider's limit instead of at the configured rate, and
 * does not draw the same burst of throttling again to learn what it knew.
 *
 * <p>Layout (big-endian): magic {@code "SLRR"}, version, save time (epoch ms), the route count, then per route its
 * name, configured rate, learned rate and learned ceiling (0: none); last, the CRC32C of everything before it.
 * Anything that does not parse, or fails the CRC, is corrupt as a whole: it is logged, moved aside to
 * {@code <name>.corrupt}, and every route starts at its configured rate, as without a file. Written atomically, as
 * every state file of the project ({@link AtomicFiles}): a crash leaves the old file or the new one, never a torn one.
 *
 * <p>A route whose configured rate changed since the save starts afresh: the operator's new rate says something the
 * old measurement could not know. Drain thread only; saved when a route's learned rate changed, at most every
 * {@value #SAVE_INTERVAL_MS} ms, and when the drain stops.
 */
final class RouteRateStateFile
{
    static final int MAGIC = 0x534C_5252;
    static final int VERSION = 1;
    static final long SAVE_INTERVAL_MS = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(RouteRateStateFile.class);
    /** Far above any number of routes; a bigger file is not ours. */
    private static final long MAX_FILE_BYTES = 1L << 20;
    private static final long SAVE_INTERVAL_NANOS = SAVE_INTERVAL_MS * 1_000_000L;

    /** One route's learned rate as saved. */
    record Saved(String route, double configuredRate, double rate, double ceiling)
    {
    }

    private final Path path;
    private final RouteState[] routes;
    private final double[] lastSaved;
    private long lastSaveNanos;

    /** @param path the file; null: nothing is kept. */
    RouteRateStateFile(final Path path, final RouteState[] routes, final long nowNanos)
    {
        this.path = path;
        this.routes = routes;
        this.lastSaved = new double[routes.length * 2];
        this.lastSaveNanos = nowNanos;
    }

    /**
     * Restores every route the file knows with the same configured rate. A missing file restores nothing; an unreadable
     * one is moved aside.
     *
     * @return how many routes were restored.
     */
    int restore(final long nowNanos)
    {
        if (path == null || !Files.exists(path))
        {
            return 0;
        }
        final List<Saved> saved;
        try
        {
            saved = read(path);
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.error("drain: learned route rates in {} are unreadable ({}); every route starts at its configured rate",
                path, ex.toString());
            AtomicFiles.setAside(path, "drain", LOG);
            return 0;
        }
        int restored = 0;
        for (final Saved route : saved)
        {
            for (final RouteState state : routes)
            {
                if (state.name.equals(route.route()) && state.configuredRate() == route.configuredRate())
                {
                    state.restoreLearned(route.rate(), route.ceiling(), nowNanos);
                    restored++;
                }
            }
        }
        remember();
        LOG.info("drain: restored the learned rates of {} routes from {}", restored, path);
        return restored;
    }

    /** Saves if a learned rate changed and the last save is {@value #SAVE_INTERVAL_MS} ms old. */
    void saveIfDue(final long nowNanos, final long nowMillis)
    {
        if (path != null && nowNanos - lastSaveNanos >= SAVE_INTERVAL_NANOS)
        {
            lastSaveNanos = nowNanos;
            if (changed())
            {
                save(nowMillis);
            }
        }
    }

    /** Saves now (the drain stops); a failure is logged, never thrown: the rates are an optimisation, not mail. */
    void save(final long nowMillis)
    {
        if (path == null)
        {
            return;
        }
        final List<Saved> saved = new ArrayList<>();
        for (final RouteState route : routes)
        {
            saved.add(new Saved(route.name, route.configuredRate(), route.effectiveRate(), route.learnedCeiling()));
        }
        try
        {
            write(path, saved, nowMillis);
            remember();
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.error("drain: cannot save the learned route rates to {} ({}); a restart starts at the configured rates",
                path, ex.toString());
        }
    }

    private boolean changed()
    {
        for (int i = 0; i < routes.length; i++)
        {
            if (lastSaved[2 * i] != routes[i].effectiveRate() || lastSaved[2 * i + 1] != routes[i].learnedCeiling())
            {
                return true;
            }
        }
        return false;
    }

    private void remember()
    {
        for (int i = 0; i < routes.length; i++)
        {
            lastSaved[2 * i] = routes[i].effectiveRate();
            lastSaved[2 * i + 1] = routes[i].learnedCeiling();
        }
    }

    /** Writes the file atomically (see the class comment). */
    static void write(final Path path, final List<Saved> routes, final long nowMillis) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes))
        {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeLong(nowMillis);
            out.writeInt(routes.size());
            for (final Saved route : routes)
            {
                out.writeUTF(route.route());
                out.writeDouble(route.configuredRate());
                out.writeDouble(route.rate());
                out.writeDouble(route.ceiling());
            }
        }
        AtomicFiles.replaceChecked(path, bytes.toByteArray());
    }

    /**
     * @return what the file holds.
     * @throws IOException if it cannot be read or is corrupt.
     */
    static List<Saved> read(final Path path) throws IOException
    {
        final DataInputStream in = AtomicFiles.readChecked(path, "route rate state file", 24, MAX_FILE_BYTES);
        if (in.readInt() != MAGIC || in.readInt() != VERSION)
        {
            throw new IOException("route rate state file " + path + " is not a route rate state file of version " + VERSION);
        }
        in.readLong();
        final int count = in.readInt();
        if (count < 0 || count > in.available())
        {
            throw new IOException("route rate state file " + path + " has an impossible count " + count);
        }
        final List<Saved> routes = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final Saved route = new Saved(in.readUTF(), in.readDouble(), in.readDouble(), in.readDouble());
            if (!isRate(route.configuredRate()) || !isRate(route.rate()) || !(route.ceiling() >= 0))
            {
                throw new IOException("route rate state file " + path + " has an impossible rate for " + route.route());
            }
            routes.add(route);
        }
        if (in.available() != 0)
        {
            throw new IOException("route rate state file " + path + " has " + in.available() + " bytes after its end");
        }
        return routes;
    }

    private static boolean isRate(final double rate)
    {
        return rate > 0 && rate <= DrainContext.MAX_RATE_PER_SEC;
    }
}
