package io.sluice.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every figure the README or {@code docs/} quote comes from a committed results file (issue 17). The convention, which
 * docs/benchmarks.md states for writers:
 * <ul>
 *   <li>a section (a heading to the next) that links a file under {@code benchmarks/results/} is a <em>figures
 *   section</em>, and the files it links are its sources (charts, {@code .svg}, are not sources);</li>
 *   <li>in a figures section every measured figure, a number with a unit ({@code msgs/s}, {@code ops/s}, {@code ns},
 *   {@code µs}, {@code ms}, {@code s}, {@code %}, {@code x}, {@code MiB} ...) in the text, and every number in a table
 *   cell, must appear in one of the sources, written the same or rounded from it;</li>
 *   <li>not figures: numbers in {@code `code`} (settings, commands), in link targets, in a table's first column (what
 *   the row is) and in a column headed "target", and numbers right after {@code <}, {@code >}, {@code ≤} or {@code ≥}
 *   (targets and bounds);</li>
 *   <li>a figure may be quoted in the next larger unit than its source's (a source's {@code 1842 ns} as {@code 1.84 µs},
 *   {@code 1500 ms} as {@code 1.5 s}): the number a thousand times smaller counts as the source's too;</li>
 *   <li>a section without a source fails when a sentence of its prose quotes a number with a unit beside a word of
 *   measurement ({@code p50}, {@code p99}, {@code median}, {@code mean}, {@code measured}, {@code took},
 *   {@code ops/s}, {@code throughput}): that is a figure with nothing behind it. Sections whose heading says "not yet"
 *   (the list of what is not yet re-measured, which gives commands, not figures) are not checked.</li>
 * </ul>
 * The check is text against text: it cannot tell a figure from its neighbour in the file, but it does catch a figure
 * typed from memory, one from a run that was never committed, and one whose source moved.
 */
class QuotedFiguresTest
{
    /** A number with a measurement unit after it. */
    private static final Pattern WITH_UNIT = Pattern.compile(
        "(?<![\\w.,/-])(\\d{1,3}(?:,\\d{3})+|\\d+)(\\.\\d+)?\\s?(msgs/s|msg/s|ops/s|/s|ns|µs|us|ms|s|min|minutes|%|x|MiB|GiB|KiB)"
            + "(?![\\w/])");
    private static final Pattern ANY_NUMBER = Pattern.compile("(?<![\\w.,/-])(\\d{1,3}(?:,\\d{3})+|\\d+)(\\.\\d+)?(?![\\w])");
    private static final Pattern FILE_NUMBER = Pattern.compile("\\d[\\d,]*(?:\\.\\d+)?");
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern CODE = Pattern.compile("`[^`]*`");
    private static final Pattern MEASUREMENT_WORD =
        Pattern.compile("\\b(p50|p90|p95|p99|median|mean|measured|took|ops/s|throughput)\\b", Pattern.CASE_INSENSITIVE);
    private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);
    private static final Pattern BOUND_BEFORE = Pattern.compile("(<|>|≤|≥|<=|>=)\\s?$");
    /** Link targets, then code spans, are blanked (not removed) so that offsets stay put. */
    private static final Pattern LINK_TARGET = Pattern.compile("\\]\\([^)]*\\)");

    /**
     * A figure found in a page: where, the text of the number, and whether it stands beside a word of measurement
     * (what makes it a figure even in a section without a source).
     */
    record Figure(String page, int line, String number, boolean measured)
    {
        @Override
        public String toString()
        {
            return page + ":" + line + " " + number;
        }
    }

    private static Path root()
    {
        return Path.of(System.getProperty("basedir", ".")).toAbsolutePath().getParent();
    }

    @Test
    void everyQuotedFigureAppearsInTheCommittedResultsFileItsSectionLinks() throws IOException
    {
        final List<String> missing = new ArrayList<>();
        int checked = 0;
        for (final Path page : pages())
        {
            final List<String> lines = Files.readAllLines(page);
            int start = 0;
            for (int i = 1; i <= lines.size(); i++)
            {
                if (i == lines.size() || lines.get(i).startsWith("#"))
                {
                    checked += checkSection(page, lines, start, i, missing);
                    start = i;
                }
            }
        }
        assertThat(missing).as("figures quoted in README.md or docs/ that no linked results file holds (%d checked)", checked)
            .isEmpty();
        assertThat(checked).as("the check found the figures it is about").isPositive();
    }

    /** The convention itself: a figure typed from memory fails; one from its source, rounded, passes. */
    @Test
    void aFigureIsCheckedAgainstItsSectionsSourceOnly(@TempDir final Path dir) throws IOException
    {
        final Path results = Files.createDirectories(dir.resolve("benchmarks/results/run"));
        Files.writeString(results.resolve("out.txt"), "rate 11534.4 msgs/s\np99 174 ms\n");
        final Path page = Files.createDirectories(dir.resolve("docs")).resolve("page.md");
        Files.writeString(page, String.join("\n", "# measured", "From [out](../benchmarks/results/run/out.txt): 11,534 msgs/s,"
            + " p99 0.17 s, target < 2 s, `smtp.rate=500/s`.", "| what | figure | target |", "| --- | --- | --- |",
            "| rate 2 | 11,534 msgs/s | 10 x |", "## unsourced", "It measured 9.29 x.", "A 5 s timeout.",
            "## Not yet re-measured", "about 5 ms"));
        final List<String> missing = new ArrayList<>();
        final List<String> lines = Files.readAllLines(page);
        assertThat(checkSection(page, lines, 0, 5, missing)).isEqualTo(3);
        assertThat(missing).isEmpty();
        assertThat(checkSection(page, lines, 5, 8, missing)).isEqualTo(1);
        assertThat(missing).singleElement().asString().contains("9.29").contains("no results file");
        assertThat(checkSection(page, lines, 8, 10, missing)).isZero();
        Files.writeString(results.resolve("out.txt"), "rate 11000 msgs/s\n");
        missing.clear();
        checkSection(page, lines, 0, 5, missing);
        assertThat(missing).hasSize(3);
    }

    private static List<Path> pages() throws IOException
    {
        final List<Path> pages = new ArrayList<>(List.of(root().resolve("README.md")));
        try (Stream<Path> docs = Files.list(root().resolve("docs")))
        {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    /** @return how many figures the section [from, to) quotes; each one not found in its sources is added to missing. */
    private static int checkSection(final Path page, final List<String> lines, final int from, final int to,
        final List<String> missing) throws IOException
    {
        final Set<Path> sources = new LinkedHashSet<>();
        final List<Figure> figures = new ArrayList<>();
        boolean fenced = false;
        Set<Integer> skipColumns = Set.of(0);
        for (int i = from; i < to; i++)
        {
            final String line = lines.get(i);
            if (line.startsWith("```"))
            {
                fenced = !fenced;
                continue;
            }
            final Matcher link = LINK.matcher(line);
            while (link.find())
            {
                final Path target = page.getParent().resolve(link.group(1).replaceAll("#.*", "")).normalize();
                if (target.toString().contains("benchmarks/results/") && Files.isRegularFile(target)
                    && !target.toString().endsWith(".svg"))
                {
                    sources.add(target);
                }
            }
            if (fenced || line.startsWith("#") || line.startsWith("    "))
            {
                continue;
            }
            final String text = blank(CODE, blank(LINK_TARGET, line));
            if (text.startsWith("|"))
            {
                final String[] cells = text.split("\\|", -1);
                if (i + 1 < to && lines.get(i + 1).startsWith("| ---"))
                {
                    skipColumns = targetColumns(cells);
                    continue;
                }
                for (int c = 1; c < cells.length; c++)
                {
                    if (!skipColumns.contains(c - 1) && !cells[c].startsWith(" ---"))
                    {
                        collect(ANY_NUMBER, cells[c], page, i, figures, false);
                    }
                }
            }
            else
            {
                skipColumns = Set.of(0);
                collect(WITH_UNIT, text, page, i, figures, MEASUREMENT_WORD.matcher(text).find());
            }
        }
        final boolean notYet = lines.get(from).toLowerCase().contains("not yet");
        if (notYet)
        {
            return 0;
        }
        final Set<BigDecimal> known = new HashSet<>();
        for (final Path source : sources)
        {
            final Matcher number = FILE_NUMBER.matcher(Files.readString(source));
            while (number.find())
            {
                final BigDecimal value = new BigDecimal(number.group().replace(",", ""));
                known.add(value);
                known.add(value.divide(THOUSAND));
            }
        }
        for (final Figure figure : figures)
        {
            if (sources.isEmpty())
            {
                if (figure.measured())
                {
                    missing.add(figure + ": a measured figure, and its section links no results file");
                }
            }
            else if (!found(new BigDecimal(figure.number().replace(",", "")), known))
            {
                missing.add(figure + ": not in " + sources.stream().map(p -> root().relativize(p).toString()).toList());
            }
        }
        return sources.isEmpty() ? (int)figures.stream().filter(Figure::measured).count() : figures.size();
    }

    /** @return the header's first column and every column headed "target". */
    private static Set<Integer> targetColumns(final String[] header)
    {
        final Set<Integer> columns = new HashSet<>(Set.of(0));
        for (int c = 1; c < header.length; c++)
        {
            if (header[c].toLowerCase().contains("target"))
            {
                columns.add(c - 1);
            }
        }
        return columns;
    }

    private static void collect(final Pattern pattern, final String text, final Path page, final int line,
        final List<Figure> figures, final boolean measured)
    {
        final Matcher number = pattern.matcher(text);
        while (number.find())
        {
            if (!BOUND_BEFORE.matcher(text.substring(0, number.start())).find())
            {
                figures.add(new Figure(root().relativize(page).toString(), line + 1,
                    number.group(1) + (number.group(2) == null ? "" : number.group(2)), measured));
            }
        }
    }

    /** A figure is found when a source holds it, or a number that rounds to it at the figure's precision. */
    private static boolean found(final BigDecimal figure, final Set<BigDecimal> known)
    {
        for (final BigDecimal value : known)
        {
            if (value.setScale(figure.scale(), RoundingMode.HALF_UP).compareTo(figure) == 0)
            {
                return true;
            }
        }
        return false;
    }

    private static String blank(final Pattern pattern, final String text)
    {
        final Matcher matcher = pattern.matcher(text);
        final StringBuilder out = new StringBuilder(text);
        while (matcher.find())
        {
            for (int i = matcher.start(); i < matcher.end(); i++)
            {
                out.setCharAt(i, ' ');
            }
        }
        return out.toString();
    }
}
