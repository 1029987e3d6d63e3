package io.sluice.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.sluice.config.Setting;

/**
 * Writes the key tables of {@code docs/configuration.md} from the {@link SettingsCatalogue}: each table sits between
 * a begin and an end marker naming its section, and everything outside the markers is the hand-written prose, kept
 * as it is. DocumentationTest checks the committed page equals what this produces, so the reference cannot drift
 * from the declarations. Run after changing a declaration:
 * {@code java -cp ... io.sluice.daemon.ConfigurationReference docs/configuration.md}.
 */
public final class ConfigurationReference
{
    private static final Pattern BLOCK = Pattern.compile(
        "(<!-- BEGIN GENERATED settings: ([a-z-]+) -->\n).*?(<!-- END GENERATED settings -->)", Pattern.DOTALL);
    private static final long[] MS_UNITS = {86_400_000L, 3_600_000L, 60_000L, 1000L};
    private static final String[] MS_NAMES = {"days", "h", "min", "s"};

    private ConfigurationReference()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final Path page = Path.of(args.length > 0 ? args[0] : "docs/configuration.md");
        Files.writeString(page, render(Files.readString(page, StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    /**
     * @param page the reference page with its markers.
     * @return the page with every marked table written afresh from the catalogue.
     * @throws IllegalArgumentException for a marker naming no section.
     */
    public static String render(final String page)
    {
        final Matcher block = BLOCK.matcher(page);
        final StringBuilder out = new StringBuilder();
        while (block.find())
        {
            final String name = block.group(2);
            final SettingsCatalogue.Section section = SettingsCatalogue.SECTIONS.stream()
                .filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no settings section " + name + " in SettingsCatalogue"));
            block.appendReplacement(out, Matcher.quoteReplacement(block.group(1) + table(section) + block.group(3)));
        }
        block.appendTail(out);
        return out.toString();
    }

    static String table(final SettingsCatalogue.Section section)
    {
        final StringBuilder table = new StringBuilder("| key | default | allowed | what it does |\n| --- | --- | --- | --- |\n");
        for (final Setting<?> setting : section.settings())
        {
            table.append("| `").append(setting.key()).append("` | ").append(defaultCell(setting)).append(" | ")
                .append(escape(setting.allowed())).append(" | ")
                .append(setting.description()).append(" |\n");
        }
        return table.toString();
    }

    private static String defaultCell(final Setting<?> setting)
    {
        final String text = setting.defaultText();
        if (text.isEmpty())
        {
            return setting.derivedFrom() == null ? "(empty)" : "(empty) = " + setting.derivedFrom();
        }
        final String readable = readable(setting.unit(), setting.defaultValue());
        return "`" + text + "`" + (readable.isEmpty() ? "" : " (" + readable + ")");
    }

    /** @return a large default in the unit a reader thinks in (16 MiB, 5 min), or empty. */
    static String readable(final Setting.Unit unit, final Object value)
    {
        if (!(value instanceof Long || value instanceof Integer))
        {
            return "";
        }
        final long number = ((Number)value).longValue();
        if (unit == Setting.Unit.BYTES && number >= 1024)
        {
            final String[] names = {"GiB", "MiB", "KiB"};
            for (int i = 0; i < names.length; i++)
            {
                final long size = 1L << (10 * (3 - i));
                if (number % size == 0)
                {
                    return number / size + " " + names[i];
                }
            }
        }
        if (unit == Setting.Unit.MILLISECONDS && number >= 1000)
        {
            for (int i = 0; i < MS_UNITS.length; i++)
            {
                if (number % MS_UNITS[i] == 0)
                {
                    final long count = number / MS_UNITS[i];
                    return count + " " + (count == 1 && i == 0 ? "day" : MS_NAMES[i]);
                }
            }
        }
        return "";
    }

    /** A range may hold a pipe or a bracket only in code; Markdown tables need the pipe escaped. */
    private static String escape(final String text)
    {
        return text.replace("|", "\\|");
    }
}
