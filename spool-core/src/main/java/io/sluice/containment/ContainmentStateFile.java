package io.sluice.containment;

import io.sluice.counters.EnumCounters;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.sluice.config.AtomicFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file that carries containment across a restart: every held or paused tenant with its reason, time and note,
 * and every tenant's learned normal rate (so a restart neither forgets a hold nor hands a flooding tenant a fresh
 * baseline to hide under). Windows are not kept: they are minutes long and rebuild from the traffic.
 *
 * <p>Layout (big-endian): magic {@code "SLCT"}, version, save time (epoch ms), tenant count, then per tenant its
 * name, state ordinal, reason ordinal ({@code 0xFF} for none), held-since (epoch ms), note, learned rate per minute,
 * and (version 2) how much history the learned rate has, in ms; last, the CRC32C of everything before it. Anything
 * that does not parse, or fails the CRC, is corrupt as a whole. A version 1 file is still read: its learned rates
 * count as fully established, as they were judged before the warm-up existed.
 *
 * <p>Written atomically, as admission's state file: to a temporary file beside it, forced to disk, renamed over the
 * old one, and the directory forced, so a crash leaves the old file or the new one, never a torn one.
 *
 * <p>{@link #restore} and {@link #save} turn containment's tenant tracks into the file and back, so
 * {@link Containment} holds policy only.
 */
final class ContainmentStateFile
{
    private static final Logger LOG = LoggerFactory.getLogger(Containment.class);
    static final int MAGIC = 0x534C_4354;
    static final int VERSION = 2;
    private static final int VERSION_WITHOUT_HISTORY = 1;
    private static final int NO_REASON = 0xFF;
    /** Far above a million tenants with long names and notes; a bigger file is not ours. */
    private static final long MAX_FILE_BYTES = 1L << 30;

    /**
     * One tenant as saved.
     *
     * @param historyMs how long the learned rate was learned; {@link Long#MAX_VALUE} when a version 1 file did not say
     */
    record SavedTenant(String tenant, TenantState state, HoldReason reason, long sinceMillis, String note,
        double learnedPerMinute, long historyMs)
    {
    }

    /** Everything read back from a state file. */
    record Saved(long savedAtMillis, List<SavedTenant> tenants)
    {
    }

    private ContainmentStateFile()
    {
    }

    /**
     * Reads back the tenants the file holds, each as a track that counts again from now. A corrupt file is logged,
     * counted, moved aside to {@code <name>.corrupt}, and containment starts from the journal: a bad file never
     * stops the appliance from starting, and never releases a held tenant.
     *
     * @param path     the state file; null when none is configured.
     * @param context  containment's settings, for the tracks' windows.
     * @param nowNs    the nano clock now: the tracks' windows start here.
     * @param counters where an unreadable file is counted.
     * @return the tracks by tenant; null when there is no file or it could not be read (logged).
     */
    static Map<String, TenantTrack> restore(
        final Path path, final ContainmentContext context, final long nowNs, final EnumCounters<ContainmentCounter> counters)
    {
        if (path == null || !Files.exists(path))
        {
            LOG.info("containment: no state file{}; holds are recovered from the journal",
                path == null ? " configured" : " at " + path);
            return null;
        }
        try
        {
            final Map<String, TenantTrack> tracks = new LinkedHashMap<>();
            for (final SavedTenant tenant : read(path).tenants())
            {
                final TenantTrack track = new TenantTrack(tenant.tenant(), context, nowNs);
                track.restoreLearned(tenant.learnedPerMinute(), tenant.historyMs());
                track.state = tenant.state();
                track.reason = tenant.reason();
                track.sinceMillis = tenant.sinceMillis();
                track.note = tenant.note();
                tracks.put(tenant.tenant(), track);
            }
            return tracks;
        }
        catch (final IOException | RuntimeException ex)
        {
            counters.counter(ContainmentCounter.STATE_FILE_FAILURES).increment();
            LOG.error("containment: state file {} is unreadable ({}); holds are recovered from the journal", path,
                ex.toString());
            AtomicFiles.setAside(path, "containment", LOG);
            return null;
        }
    }

    /** Writes every tenant that holds or has a learned rate, once each. */
    static void save(final Path path, final Collection<TenantTrack> tracks, final long nowMillis) throws IOException
    {
        final List<SavedTenant> saved = new ArrayList<>();
        final Set<String> seen = new HashSet<>();
        for (final TenantTrack track : tracks)
        {
            final double learned = track.learnedPerMinute();
            if ((track.state.isHolding() || learned > 0) && seen.add(track.tenant))
            {
                saved.add(new SavedTenant(track.tenant, track.state, track.reason, track.sinceMillis, track.note, learned,
                    track.historyMs()));
            }
        }
        write(path, nowMillis, saved);
    }

    /**
     * @return what the file holds.
     * @throws IOException if it cannot be read or is corrupt.
     */
    static Saved read(final Path path) throws IOException
    {
        final DataInputStream in = AtomicFiles.readChecked(path, "state file", 20, MAX_FILE_BYTES);
        final int magic = in.readInt();
        final int version = in.readInt();
        if (magic != MAGIC || (version != VERSION && version != VERSION_WITHOUT_HISTORY))
        {
            throw new IOException("state file " + path + " is not a containment state file of version "
                + VERSION_WITHOUT_HISTORY + " or " + VERSION);
        }
        final long savedAtMillis = in.readLong();
        final int count = in.readInt();
        if (count < 0 || count > in.available())
        {
            throw new IOException("state file " + path + " has an impossible tenant count " + count);
        }
        final List<SavedTenant> tenants = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            final String tenant = in.readUTF();
            final TenantState state = ordinal(TenantState.values(), in.readUnsignedByte(), "state");
            final int reasonOrdinal = in.readUnsignedByte();
            final HoldReason reason = reasonOrdinal == NO_REASON ? null : ordinal(HoldReason.values(), reasonOrdinal, "reason");
            final long since = in.readLong();
            final String note = in.readUTF();
            final double learned = in.readDouble();
            final long historyMs = version == VERSION_WITHOUT_HISTORY ? Long.MAX_VALUE : in.readLong();
            if (tenant.isEmpty() || !(learned >= 0 && learned < Double.MAX_VALUE) || (state.isHolding() != (reason != null))
                || historyMs < 0)
            {
                throw new IOException("state file " + path + " has an impossible entry for tenant '" + tenant + "'");
            }
            tenants.add(new SavedTenant(tenant, state, reason, since, note, learned, historyMs));
        }
        if (in.available() != 0)
        {
            throw new IOException("state file " + path + " has " + in.available() + " bytes after its end");
        }
        return new Saved(savedAtMillis, tenants);
    }

    private static <T> T ordinal(final T[] values, final int ordinal, final String what) throws IOException
    {
        if (ordinal >= values.length)
        {
            throw new IOException("unknown " + what + " " + ordinal);
        }
        return values[ordinal];
    }

    /** Writes the file atomically (see the class comment). */
    static void write(final Path path, final long savedAtMillis, final List<SavedTenant> tenants) throws IOException
    {
        final ByteArrayOutputStream buffer = new ByteArrayOutputStream(64 + tenants.size() * 64);
        final DataOutputStream out = new DataOutputStream(buffer);
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeLong(savedAtMillis);
        out.writeInt(tenants.size());
        for (final SavedTenant tenant : tenants)
        {
            out.writeUTF(tenant.tenant());
            out.writeByte(tenant.state().ordinal());
            out.writeByte(tenant.reason() == null ? NO_REASON : tenant.reason().ordinal());
            out.writeLong(tenant.sinceMillis());
            out.writeUTF(tenant.note());
            out.writeDouble(tenant.learnedPerMinute());
            out.writeLong(tenant.historyMs());
        }
        out.flush();
        AtomicFiles.replaceChecked(path, buffer.toByteArray());
    }
}
