package io.sluice.spool;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.RollingResourcesCache;

/**
 * Takes damaged journal files out of Chronicle's way before the journal opens, and keeps them for the operator.
 *
 * <p>Every cycle file is walked with {@link JournalFileScan} first. A file with any damaged span is never
 * repaired in place: it is moved, whole and unchanged, to {@value #DAMAGED_DIR}/ under the spool directory
 * (named {@code <file>.salvaging}), so Chronicle neither reads it (its tailer would stop at the damage) nor
 * appends to it (its appender trusts the file's index). Recovery then replays the file's good records from
 * there in cycle order and writes every message still pending in it forward into the live journal; only once
 * those copies are durable does the file lose its {@code .salvaging} suffix, with a {@code .txt} report beside
 * it. A crash before that leaves the {@code .salvaging} file, which the next start replays again, so no
 * acknowledged message depends on a step that has not finished.
 */
final class JournalSalvage
{
    static final String DAMAGED_DIR = "damaged";
    static final String SALVAGING = ".salvaging";
    static final String SUFFIX = ".cq4";
    /** Key prefix in Chronicle's metadata table: a cycle whose file was taken out as damaged, on purpose. */
    static final String QUARANTINED_KEY = "sluice.quarantinedCycle.";

    /** A damaged file taken out of the journal, still to be replayed from its good records. */
    record Quarantined(Path file, String name, int cycle)
    {
    }

    /** {@link #prepare(SpoolContext, int)}: every file is checked. */
    static final int CHECK_EVERY_FILE = Integer.MIN_VALUE;

    private final Path directory;
    private final List<Quarantined> files;
    private final List<Integer> keptCycles;
    private final int checked;
    private final int skipped;

    private JournalSalvage(final Path directory, final List<Quarantined> files, final List<Integer> keptCycles,
        final int checked, final int skipped)
    {
        this.directory = directory;
        this.files = files;
        this.keptCycles = keptCycles;
        this.checked = checked;
        this.skipped = skipped;
    }

    /** Scans every cycle file and moves the damaged ones aside; call before the journal opens. */
    static JournalSalvage prepare(final SpoolContext context)
    {
        return prepare(context, CHECK_EVERY_FILE);
    }

    /**
     * Scans every cycle file from {@code firstCycle} on and moves the damaged ones aside; call before the journal opens.
     * The files before it are left unread: a start from a checkpoint that covers them never reads them in sequence
     * (only the records the index points at, each checked by its CRC on the way), and a whole scan of each took most of
     * such a start (0.7 of 1.0 s at 1M pending, benchmarks/results/2026-12-06-vm-session5-backlog/).
     *
     * @param firstCycle the first cycle to check, or {@link #CHECK_EVERY_FILE}
     */
    static JournalSalvage prepare(final SpoolContext context, final int firstCycle)
    {
        return prepare(context, firstCycle, 0);
    }

    /**
     * As {@link #prepare(SpoolContext, int)}, and the file of {@code firstCycle} is walked from its record
     * {@code firstSequence} on, the last a checkpoint covers, not from its start ({@link JournalFileScan#scanFrom}): the
     * records before it are the checkpoint's as much as the files before are, and a whole walk of that file was most of
     * a start from the checkpoint when one file held the backlog.
     *
     * @param firstSequence the record of {@code firstCycle}'s file to walk from; 0 walks it whole
     */
    static JournalSalvage prepare(final SpoolContext context, final int firstCycle, final long firstSequence)
    {
        final Path directory = context.directory();
        final RollCycle rollCycle = context.rollCycle();
        final RollingResourcesCache names = new RollingResourcesCache(rollCycle, 0,
            name -> new File(name + SUFFIX), file -> file.getName().substring(0, file.getName().length() - SUFFIX.length()));
        final Path damaged = directory.resolve(DAMAGED_DIR);
        try
        {
            int checked = 0;
            int skipped = 0;
            for (final Path file : list(directory, SUFFIX))
            {
                if (firstCycle != CHECK_EVERY_FILE && cycleOf(names, file) < firstCycle)
                {
                    skipped++;
                    continue;
                }
                checked++;
                final JournalFileScan.Result scan = firstSequence > 0 && cycleOf(names, file) == firstCycle
                    ? JournalFileScan.scanFrom(file, rollCycle.defaultIndexCount(), rollCycle.defaultIndexSpacing(),
                        firstSequence, JournalSalvage::ignore)
                    : JournalFileScan.scan(file, rollCycle.defaultIndexCount(), rollCycle.defaultIndexSpacing(),
                        JournalSalvage::ignore);
                if (scan.fromSequence() > 0)
                {
                    // Partly unread: a start that cannot use the checkpoint walks it whole again.
                    skipped++;
                }
                if (!scan.isClean())
                {
                    Files.createDirectories(damaged);
                    Files.move(file, free(damaged, file.getFileName() + SALVAGING), StandardCopyOption.ATOMIC_MOVE);
                }
            }
            final List<Quarantined> files = new ArrayList<>();
            for (final Path file : list(damaged, SALVAGING))
            {
                final String name = baseName(file.getFileName().toString());
                files.add(new Quarantined(file, name, names.parseCount(name)));
            }
            files.sort(Comparator.comparingInt(Quarantined::cycle));
            final List<Integer> kept = new ArrayList<>();
            for (final Path file : list(damaged, ""))
            {
                final String name = baseName(file.getFileName().toString());
                if (!file.toString().endsWith(".txt") && name.length() > 0)
                {
                    try
                    {
                        kept.add(names.parseCount(name));
                    }
                    catch (final RuntimeException ex)
                    {
                        // Something an operator put there: not ours to read.
                    }
                }
            }
            return new JournalSalvage(directory, files, kept, checked, skipped);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot scan the journal in " + directory + " for damage", ex);
        }
    }

    /** @return the file's cycle, or {@link Integer#MAX_VALUE} (checked) if its name is not a cycle's. */
    private static int cycleOf(final RollingResourcesCache names, final Path file)
    {
        try
        {
            return names.parseCount(baseName(file.getFileName().toString()));
        }
        catch (final RuntimeException ex)
        {
            return Integer.MAX_VALUE;
        }
    }

    /** @return the journal files checked for damage. */
    int checked()
    {
        return checked;
    }

    /**
     * @return the journal files not checked whole: a checkpoint covers them, or the part of its own file before its
     *         position.
     */
    int skipped()
    {
        return skipped;
    }

    private static void ignore(final long position, final org.agrona.ExpandableArrayBuffer buffer, final int offset,
        final int length)
    {
        // Only the damage matters before the journal opens; the records are replayed afterwards.
    }

    /** @return the damaged files to replay, oldest cycle first. */
    List<Quarantined> files()
    {
        return files;
    }

    /** @return true if a file for {@code cycle} was taken out as damaged (so its absence is no loss). */
    boolean wasQuarantined(final long cycle)
    {
        return keptCycles.contains((int)cycle);
    }

    /**
     * Marks a salvaged file done: its pending messages are durable in the live journal.
     *
     * @return where the file is kept for the operator.
     */
    Path finish(final Quarantined file, final String report) throws IOException
    {
        final Path kept = free(file.file().getParent(), file.name() + SUFFIX);
        Files.writeString(file.file().getParent().resolve(kept.getFileName() + ".txt"), report, StandardCharsets.UTF_8);
        Files.move(file.file(), kept, StandardCopyOption.ATOMIC_MOVE);
        return directory.relativize(kept);
    }

    private static String baseName(final String fileName)
    {
        final int dot = fileName.indexOf('.');
        return dot < 0 ? fileName : fileName.substring(0, dot);
    }

    /** @return {@code name} in {@code dir}, or {@code name.2}, {@code name.3}... if taken (the same cycle damaged again). */
    private static Path free(final Path dir, final String name)
    {
        Path candidate = dir.resolve(name);
        for (int i = 2; Files.exists(candidate); i++)
        {
            candidate = dir.resolve(name.replace(SUFFIX, SUFFIX + "." + i));
        }
        return candidate;
    }

    /** @return the regular files in {@code dir} whose names end with {@code suffix}, sorted; none if it does not exist. */
    static List<Path> list(final Path dir, final String suffix) throws IOException
    {
        if (!Files.isDirectory(dir))
        {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir))
        {
            return files.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }
}
