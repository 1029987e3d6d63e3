package io.sluice.admission;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.sluice.config.AtomicFiles;

/**
 * The file that carries reputation across a restart, so a flood's networks are still demoted and a partner still
 * clean after an upgrade. Points are saved as they were at the save time (epoch ms) and decay from there when read
 * back, so the time the appliance was down counts like any other.
 *
 * <p>Layout (big-endian): magic {@code "SLRP"}, version, save time, the number of event counts per entry, the
 * entry count; per entry a flags byte (bit 0: IPv6), prefix length, the address as two longs, clean and bad
 * points (floats), the time they were last updated, one int per event count, and the last bad event's ordinal
 * (-1 for none); last, the CRC32C of everything before it ({@link AtomicFiles#replaceChecked}). Anything that does
 * not parse, or fails the CRC, is corrupt as a whole: the caller reports it and starts with no reputation.
 */
final class ReputationStateFile
{
    static final int MAGIC = 0x534C_5250;
    static final int VERSION = 1;
    /** Flags, prefix length, two longs, two floats, a long and the last bad event: 35 bytes, plus the counts. */
    private static final int FIXED_ENTRY_BYTES = 35;
    /** A file for 100 million entries would be far bigger than any table this appliance keeps. */
    private static final long MAX_FILE_BYTES = 1L << 31;

    /** One entry as saved. */
    record SavedEntry(boolean ipv6, int prefixLength, long high, long low, ReputationEntry.Saved points)
    {
    }

    private ReputationStateFile()
    {
    }

    /** Collects entries one at a time, then writes them all, atomically and durably. Not thread-safe. */
    static final class Writer
    {
        private final int eventCount = ReputationEvent.values().length;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream(1 << 16);
        private final DataOutputStream out = new DataOutputStream(body);
        private int count;

        void entry(final boolean ipv6, final int prefixLength, final long high, final long low,
            final ReputationEntry.Saved points) throws IOException
        {
            out.writeByte(ipv6 ? 1 : 0);
            out.writeByte(prefixLength);
            out.writeLong(high);
            out.writeLong(low);
            out.writeFloat(points.clean());
            out.writeFloat(points.bad());
            out.writeLong(points.updatedMillis());
            for (int i = 0; i < eventCount; i++)
            {
                out.writeInt(points.counts()[i]);
            }
            out.writeByte(points.lastBad());
            count++;
        }

        /** @return the entries written, now durable under {@code path}. */
        int commit(final Path path, final long savedAtMillis) throws IOException
        {
            out.flush();
            final ByteArrayOutputStream file = new ByteArrayOutputStream(body.size() + 21);
            final DataOutputStream header = new DataOutputStream(file);
            header.writeInt(MAGIC);
            header.writeInt(VERSION);
            header.writeLong(savedAtMillis);
            header.writeByte(eventCount);
            header.writeInt(count);
            header.flush();
            body.writeTo(file);
            AtomicFiles.replaceChecked(path, file.toByteArray());
            return count;
        }
    }

    /**
     * @return the entries the file holds.
     * @throws IOException if it cannot be read or is corrupt in any way.
     */
    static List<SavedEntry> read(final Path path) throws IOException
    {
        final DataInputStream in = AtomicFiles.readChecked(path, "reputation file", 25, MAX_FILE_BYTES);
        if (in.readInt() != MAGIC || in.readInt() != VERSION)
        {
            throw new IOException("reputation file " + path + " is not a reputation file of version " + VERSION);
        }
        in.readLong();
        final int eventCount = in.readUnsignedByte();
        if (eventCount != ReputationEvent.values().length)
        {
            throw new IOException("reputation file " + path + " counts " + eventCount + " events, expected "
                + ReputationEvent.values().length);
        }
        final int count = in.readInt();
        if (count < 0 || (long)count * (FIXED_ENTRY_BYTES + 4 * eventCount) != in.available())
        {
            throw new IOException("reputation file " + path + " claims " + count + " entries in " + in.available() + " bytes");
        }
        final List<SavedEntry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            final boolean ipv6 = in.readUnsignedByte() == 1;
            final int prefixLength = in.readUnsignedByte();
            if (prefixLength > (ipv6 ? 128 : 32))
            {
                throw new IOException("reputation file " + path + ": impossible prefix length " + prefixLength);
            }
            final long high = in.readLong();
            final long low = in.readLong();
            final float clean = in.readFloat();
            final float bad = in.readFloat();
            final long updated = in.readLong();
            final int[] counts = new int[eventCount];
            for (int e = 0; e < eventCount; e++)
            {
                counts[e] = in.readInt();
            }
            final byte lastBad = in.readByte();
            if (!(clean >= 0) || !(bad >= 0) || Float.isInfinite(clean) || Float.isInfinite(bad))
            {
                throw new IOException("reputation file " + path + ": impossible points " + clean + "/" + bad);
            }
            entries.add(new SavedEntry(ipv6, prefixLength, high, low,
                new ReputationEntry.Saved(clean, bad, updated, counts, lastBad)));
        }
        return entries;
    }
}
