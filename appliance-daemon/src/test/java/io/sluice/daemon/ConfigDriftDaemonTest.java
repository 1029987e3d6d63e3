package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.control.ControlState;
import io.sluice.control.SettingRow;
import io.sluice.control.cli.SluiceCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Configuration drift over the real daemon and the real {@code sluice} console: a live change (made here with
 * {@code sluice pause}, kept in control.properties) that differs from the configuration file is a WARN at start,
 * {@code sluice config} shows each key's layer, and {@code sluice config forget} lets the file win from the next start.
 */
class ConfigDriftDaemonTest
{
    @TempDir
    Path dir;

    private Path configFile() throws IOException
    {
        final Path file = dir.resolve("sluice.properties");
        Files.writeString(file, String.join("\n",
            "spool.directory=" + dir.resolve("spool"),
            "smtp.listen=127.0.0.1:0",
            "relay.domains=relay.test",
            "smtp.paused=false",
            ""));
        return file;
    }

    private SluiceDaemon start(final Map<String, String> overrides) throws IOException
    {
        return SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(configFile(), overrides)));
    }

    private SluiceRun.Outcome sluice(final String... args)
    {
        return SluiceRun.sluice(dir.resolve("spool").resolve("jmx.sock"), args);
    }

    private static String source(final JsonNode config, final String key)
    {
        for (final JsonNode row : config.get("settings"))
        {
            if (row.get("key").asText().equals(key))
            {
                return row.get("source").asText() + " " + row.get("value").asText();
            }
        }
        throw new AssertionError("sluice config does not list " + key);
    }

    @Test
    void shouldWarnOfALiveChangeThatBeatsTheFileListEachKeysLayerAndForgetItSoTheFileWinsAtTheNextStart() throws Exception
    {
        try (SluiceDaemon daemon = start(Map.of("drain.defaultRoute", "default")))
        {
            assertThat(sluice("pause").exit()).isZero();
        }
        final Path control = dir.resolve("spool").resolve(ControlState.FILE_NAME);
        assertThat(ControlState.read(control)).containsEntry("smtp.paused", "true");

        final Logger log = (Logger)LoggerFactory.getLogger(DaemonSettings.class);
        final ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        log.addAppender(lines);
        try (SluiceDaemon daemon = start(Map.of("drain.defaultRoute", "default")))
        {
            assertThat(lines.list).as("a WARN naming the key, both values, who wins and how to drop it")
                .anyMatch(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().equals("configuration drift: the live"
                    + " change smtp.paused=true kept in control.properties wins over the configuration file's"
                    + " smtp.paused=false; sluice config forget smtp.paused drops it (the file's value then applies from"
                    + " the next restart)"));

            final SluiceRun.Outcome listed = sluice("--json", "config");
            assertThat(listed.exit()).as(listed.err()).isZero();
            final JsonNode config = listed.json();
            assertThat(source(config, "smtp.paused")).isEqualTo("live true");
            assertThat(source(config, "relay.domains")).isEqualTo("file relay.test");
            assertThat(source(config, "drain.defaultRoute")).isEqualTo("--set default");
            assertThat(source(config, "jmx.enabled")).startsWith("default ");
            assertThat(sluice("config").out()).containsPattern("(?m)^smtp\\.paused\\s+live\\s+true$");

            final SluiceRun.Outcome unknown = sluice("config", "forget", "smtp.nonsense");
            assertThat(unknown.exit()).isEqualTo(SluiceCommand.EXIT_REFUSED);
            assertThat(unknown.err()).contains("unknown setting smtp.nonsense");
            final SluiceRun.Outcome noChange = sluice("config", "forget", "relay.domains");
            assertThat(noChange.exit()).isEqualTo(SluiceCommand.EXIT_REFUSED);
            assertThat(noChange.err()).contains("relay.domains has no live change in control.properties");
            assertThat(sluice("config", "forget").exit()).isEqualTo(SluiceCommand.EXIT_USAGE);
            assertThat(sluice("config", "drop", "smtp.paused").exit()).isEqualTo(SluiceCommand.EXIT_USAGE);
            assertThat(ControlState.read(control)).as("nothing changed by bad input").containsEntry("smtp.paused", "true");

            final SluiceRun.Outcome forgotten = sluice("config", "forget", "smtp.paused");
            assertThat(forgotten.exit()).as(forgotten.err()).isZero();
            assertThat(forgotten.out()).contains("forgot the live change smtp.paused=true").contains("at the next restart");
            assertThat(ControlState.read(control)).doesNotContainKey("smtp.paused");
            assertThat(sluice("config", "forget", "smtp.paused").exit()).as("forgotten once")
                .isEqualTo(SluiceCommand.EXIT_REFUSED);
        }
        finally
        {
            log.detachAppender(lines);
        }
        try (SluiceDaemon daemon = start(new HashMap<>()))
        {
            assertThat(source(sluice("--json", "config").json(), "smtp.paused")).isEqualTo("file false");
            assertThat(sluice("--json", "queue").exit()).isZero();
        }
    }

    @Test
    void shouldWarnThatSetBeatsALiveChangeAndCountTheKeyAsSet() throws Exception
    {
        final Path spool = Files.createDirectories(dir.resolve("spool"));
        Files.writeString(spool.resolve(ControlState.FILE_NAME), "smtp.paused=true\n");
        final Logger log = (Logger)LoggerFactory.getLogger(DaemonSettings.class);
        final ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        log.addAppender(lines);
        try
        {
            final DaemonSettings settings = DaemonSettings.load(configFile(), Map.of("smtp.paused", "false"));
            assertThat(settings.string("smtp.paused")).isEqualTo("false");
            assertThat(settings.sources()).containsEntry("smtp.paused", DaemonSettings.SET)
                .containsEntry("relay.domains", DaemonSettings.FILE).containsEntry("jmx.enabled", DaemonSettings.DEFAULT);
            assertThat(lines.list).anyMatch(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().equals(
                "configuration drift: smtp.paused=false from --set wins over the live change smtp.paused=true kept in"
                    + " control.properties; sluice config forget smtp.paused drops the live change"));
        }
        finally
        {
            log.detachAppender(lines);
        }
    }

    @Test
    void shouldHideAPasswordsValueButNotAPasswordFilesPath()
    {
        assertThat(SettingRow.shown("delivery.route.up.trustStorePassword", "s3cret", DaemonSettings.FILE).getValue())
            .isEqualTo("(hidden)");
        assertThat(SettingRow.shown("jmx.passwordFile", "/etc/sluice/jmx.password", DaemonSettings.FILE).getValue())
            .isEqualTo("/etc/sluice/jmx.password");
    }
}
