package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.sluice.config.Setting;
import org.junit.jupiter.api.Test;

/**
 * The README and {@code docs/} as a reader meets them: the README stays a front door (at most 10 KB) whose test command
 * is the one CI runs, every relative link in the manual reaches a file (and a heading, when it names one), the
 * hand-written configuration reference lists every key of the embedded defaults with that default (rows, and the
 * admission kind and class matrices), and nothing in the repository's text points at notes outside it, which its users
 * never see.
 */
class DocumentationTest
{
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern FENCE = Pattern.compile("```.*?```", Pattern.DOTALL);
    private static final Pattern HEADING = Pattern.compile("^#+\\s+(.*)$", Pattern.MULTILINE);
    /**
     * The team's notes and the numbered incident reports beside them live outside the repository: a number means
     * nothing to a reader of it; docs/design.md tells those stories. Built in pieces, so this file does not match itself.
     */
    private static final List<String> OUTSIDE =
        List.of("../" + "shared/", "DESIGN" + ".md", "incidents" + "/", "incident " + "00", "Incident " + "00");
    /** A reference row: {@code | `key` | `default` ...} or {@code | `key` | (empty) ...}. */
    private static final Pattern SETTING_ROW = Pattern.compile("^\\| `([^`]+)` \\| (?:`([^`]*)`|\\(empty\\))", Pattern.MULTILINE);
    /** The admission bucket matrix: a kind, then rate / burst for connections, messages and recipients. */
    private static final Pattern BUCKET_ROW = Pattern.compile(
        "^\\| `(ip|network|senderDomain|tenant|global)` \\| ([^|]+) \\| ([^|]+) \\| ([^|]+) \\|$", Pattern.MULTILINE);
    /** The admission class matrix: a class, then rate / burst of its address and network buckets. */
    private static final Pattern CLASS_ROW = Pattern.compile(
        "^\\| `(clean|unknown|suspect)` \\| ([^|]+) \\| ([^|]+) \\|$", Pattern.MULTILINE);
    private static final String[] CLASS_COLUMNS = {"ip", "network"};
    private static final String[][] BUCKET_COLUMNS =
        {{"connectionsPerSecond", "connectionBurst"}, {"ratePerSecond", "burst"}, {"recipientsPerSecond", "recipientBurst"}};
    private static final Set<String> TEXT = Set.of(".md", ".java", ".properties", ".sh", ".xml", ".service", ".conf");

    private static Path root()
    {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve(".ci/run")))
        {
            dir = dir.getParent();
        }
        assertThat(dir).as("the repository root (the folder with .ci/run) above the working directory").isNotNull();
        return dir;
    }

    @Test
    void shouldKeepTheReadmeAFrontDoorWhoseTestCommandIsWhatCiRuns() throws IOException
    {
        final Path readme = root().resolve("README.md");
        assertThat(Files.size(readme)).as("README.md bytes").isLessThanOrEqualTo(10 * 1024);
        final String text = Files.readString(readme);
        final List<String> ciCommands = Files.readAllLines(root().resolve(".ci/run")).stream()
            .map(String::trim).filter(l -> l.startsWith("mvn ")).toList();
        assertThat(ciCommands).as("the maven command .ci/run runs").hasSize(1);
        assertThat(text).contains("    " + ciCommands.get(0) + "\n");
        assertThat(text).contains("    mvn -B -q -DskipTests package && appliance-daemon/target/sluice-daemon\n");
    }

    @Test
    void shouldListEverySettingOfTheEmbeddedDefaultsWithItsDefault() throws IOException
    {
        final Properties defaults = new Properties();
        final Path embedded = root().resolve("appliance-daemon/src/main/resources/sluice-default.properties");
        try (InputStream in = Files.newInputStream(embedded))
        {
            defaults.load(in);
        }
        final String reference = Files.readString(root().resolve("docs/configuration.md"));
        final Map<String, String> documented = new HashMap<>();
        final Matcher row = SETTING_ROW.matcher(reference);
        while (row.find())
        {
            documented.put(row.group(1), row.group(2) == null ? "" : row.group(2));
        }
        final Matcher buckets = BUCKET_ROW.matcher(reference);
        while (buckets.find())
        {
            for (int column = 0; column < BUCKET_COLUMNS.length; column++)
            {
                final String cell = buckets.group(column + 2).trim();
                if (!cell.equals("-"))
                {
                    final String[] rateAndBurst = cell.replace(",", "").split(" / ");
                    for (int i = 0; i < 2; i++)
                    {
                        documented.put("admission." + buckets.group(1) + "." + BUCKET_COLUMNS[column][i], rateAndBurst[i]);
                    }
                }
            }
        }
        final Matcher classes = CLASS_ROW.matcher(reference);
        while (classes.find())
        {
            for (int column = 0; column < CLASS_COLUMNS.length; column++)
            {
                final String[] rateAndBurst = classes.group(column + 2).trim().replace(",", "").split(" / ");
                final String prefix = "admission.class." + classes.group(1) + "." + CLASS_COLUMNS[column];
                documented.put(prefix + ".ratePerSecond", rateAndBurst[0]);
                documented.put(prefix + ".burst", rateAndBurst[1]);
            }
        }
        // A declared key's default is checked against its declaration (below), which its generated row shows.
        final Map<String, Setting<?>> declared = SettingsCatalogue.byKey();
        final List<String> wrong = new ArrayList<>();
        for (final String key : new TreeSet<>(defaults.stringPropertyNames()))
        {
            final String value = defaults.getProperty(key).trim();
            if (!documented.containsKey(key))
            {
                wrong.add(key + " is missing");
            }
            else if (!declared.containsKey(key) && !documented.get(key).equals(value))
            {
                wrong.add(key + ": documented " + documented.get(key) + ", default " + value);
            }
        }
        assertThat(wrong).as("docs/configuration.md against sluice-default.properties").isEmpty();
    }

    /**
     * The key tables of the reference are what {@link ConfigurationReference} writes from the declarations; with
     * {@code -Dsluice.writeReference=true} this writes them (after a declaration changed) instead of failing.
     */
    @Test
    void shouldKeepTheGeneratedReferenceEqualToTheDeclarations() throws IOException
    {
        final Path page = root().resolve("docs/configuration.md");
        final String committed = Files.readString(page);
        final String generated = ConfigurationReference.render(committed);
        if (Boolean.getBoolean("sluice.writeReference"))
        {
            Files.writeString(page, generated);
        }
        else
        {
            assertThat(committed).as("docs/configuration.md against the declarations (rewrite it with "
                + "-Dsluice.writeReference=true)").isEqualTo(generated);
        }
        for (final SettingsCatalogue.Section section : SettingsCatalogue.SECTIONS)
        {
            assertThat(committed).as("the marked table of section " + section.name())
                .contains("<!-- BEGIN GENERATED settings: " + section.name() + " -->");
        }
    }

    /**
     * The embedded defaults name no key the catalogue lacks a declaration of (open keys aside: a route's, a tenant's),
     * and give a declared key its declared default; every declaration of a context is in the catalogue.
     */
    @Test
    void shouldDeclareEveryKeyOfTheDaemonInTheCatalogue() throws IOException, IllegalAccessException
    {
        final Map<String, Setting<?>> declared = SettingsCatalogue.byKey();
        final Properties defaults = new Properties();
        final Path embedded = root().resolve("appliance-daemon/src/main/resources/sluice-default.properties");
        try (InputStream in = Files.newInputStream(embedded))
        {
            defaults.load(in);
        }
        final List<String> wrong = new ArrayList<>();
        for (final String key : new TreeSet<>(defaults.stringPropertyNames()))
        {
            final Setting<?> setting = declared.get(key);
            if (setting != null && !setting.parse(defaults.getProperty(key)).equals(setting.defaultValue()))
            {
                wrong.add(key + ": embedded " + defaults.getProperty(key) + ", declared " + setting.defaultText());
            }
        }
        assertThat(wrong).as("sluice-default.properties against the declarations").isEmpty();
        for (final SettingsCatalogue.Section section : SettingsCatalogue.SECTIONS)
        {
            for (final Class<?> context : section.declaredIn())
            {
                for (final Field field : context.getFields())
                {
                    if (Modifier.isStatic(field.getModifiers()) && field.getType() == Setting.class)
                    {
                        assertThat(declared.get(((Setting<?>)field.get(null)).key()))
                            .as(context.getSimpleName() + "." + field.getName() + " in SettingsCatalogue").isNotNull();
                    }
                }
            }
        }
    }

    @Test
    void shouldResolveEveryRelativeLinkInTheManual() throws IOException
    {
        final Path root = root();
        final List<Path> pages = new ArrayList<>(List.of(root.resolve("README.md"), root.resolve("benchmarks/README.md")));
        try (Stream<Path> docs = Files.list(root.resolve("docs")))
        {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        final List<String> broken = new ArrayList<>();
        for (final Path page : pages)
        {
            final String text = FENCE.matcher(Files.readString(page)).replaceAll("");
            final Matcher link = LINK.matcher(text);
            while (link.find())
            {
                final String target = link.group(1);
                if (target.matches("^[a-z]+:.*"))
                {
                    continue;
                }
                final int hash = target.indexOf('#');
                final String file = hash < 0 ? target : target.substring(0, hash);
                final Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
                if (!Files.exists(resolved))
                {
                    broken.add(root.relativize(page) + ": " + target + " (no such file)");
                }
                else if (hash >= 0 && resolved.toString().endsWith(".md")
                    && !anchors(resolved).contains(target.substring(hash + 1)))
                {
                    broken.add(root.relativize(page) + ": " + target + " (no such heading)");
                }
            }
        }
        assertThat(broken).as("links that lead nowhere").isEmpty();
    }

    @Test
    void shouldNotPointAtNotesOutsideTheRepository() throws IOException
    {
        final Path root = root();
        final List<String> found = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>()
        {
            @Override
            public FileVisitResult preVisitDirectory(final Path dir, final BasicFileAttributes attributes)
            {
                final String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                final boolean skip = name.equals("target") || name.equals(".git") || dir.endsWith("benchmarks/results");
                return skip ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(final Path file, final BasicFileAttributes attributes) throws IOException
            {
                if (isSourceText(file))
                {
                    final String text = Files.readString(file);
                    OUTSIDE.stream().filter(text::contains).forEach(m -> found.add(root.relativize(file) + " names " + m));
                }
                return FileVisitResult.CONTINUE;
            }
        });
        assertThat(found).as("references to files outside the repository").isEmpty();
    }

    private static boolean isSourceText(final Path file)
    {
        final String name = file.getFileName().toString();
        final int dot = name.lastIndexOf('.');
        return dot >= 0 && TEXT.contains(name.substring(dot)) || file.endsWith(".ci/run");
    }

    /** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens. */
    private static Set<String> anchors(final Path page) throws IOException
    {
        final Set<String> anchors = new HashSet<>();
        final Matcher heading = HEADING.matcher(FENCE.matcher(Files.readString(page)).replaceAll(""));
        while (heading.find())
        {
            anchors.add(heading.group(1).trim().toLowerCase(Locale.ROOT).replaceAll("[^\\w\\- ]", "").replace(' ', '-'));
        }
        return anchors;
    }
}
