package io.sluice.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import io.sluice.config.AtomicFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settings operators changed live through JMX, kept as {@code key=value} in the configuration's own key
 * space, so a restart reads them back between the configuration file and {@code --set}. Every change is
 * written atomically (temp file, fsync, rename) before it is acknowledged, and logged as an audit line.
 */
public final class ControlState
{
    public static final String FILE_NAME = "control.properties";
    private static final Logger AUDIT = LoggerFactory.getLogger("io.sluice.audit");

    private final Path file;
    private final Map<String, String> values;

    private ControlState(final Path file, final Map<String, String> values)
    {
        this.file = file;
        this.values = values;
    }

    /** Opens the state file in {@code directory}, empty if it does not exist yet. */
    public static ControlState open(final Path directory)
    {
        return new ControlState(directory.resolve(FILE_NAME), read(directory.resolve(FILE_NAME)));
    }

    /** @return what the file holds; empty if absent. */
    public static Map<String, String> read(final Path file)
    {
        final Map<String, String> values = new TreeMap<>();
        if (!Files.exists(file))
        {
            return values;
        }
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            final Properties properties = new Properties();
            properties.load(reader);
            properties.stringPropertyNames().forEach(key -> values.put(key, properties.getProperty(key)));
            return values;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read operator changes from " + file, ex);
        }
    }

    /** Records an operator's change of one setting: persisted first, then audited. */
    public synchronized void changed(final String key, final Object oldValue, final Object newValue)
    {
        values.put(key, String.valueOf(newValue));
        write();
        audit(key, oldValue, newValue);
    }

    /**
     * Drops an operator's live change of one setting, so the configuration file (or the default) applies again from the
     * next start: persisted first, then audited.
     *
     * @return the value the live change held, or null when there was none for {@code key} (nothing is written then).
     */
    public synchronized String forget(final String key)
    {
        final String old = values.remove(key);
        if (old != null)
        {
            write();
            audit(key, old + " (live change)", "forgotten; the configuration file or default applies from the next restart");
        }
        return old;
    }

    /** Logs an operator action that lives in another stage's own state (a block, an override, a hold). */
    public static void audit(final String what, final Object oldValue, final Object newValue)
    {
        AUDIT.info("audit: {} changed {}: {} -> {}", CallerPrincipal.current(), what, oldValue, newValue);
    }

    private void write()
    {
        try
        {
            final Properties properties = new Properties();
            properties.putAll(values);
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            properties.store(out, "Changed live by operators through JMX; read at start after the configuration file");
            // Written whole and renamed into place; the folder is fsynced too, so a saved change survives a power cut.
            AtomicFiles.replace(file, out.toByteArray());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot save the change to " + file, ex);
        }
    }
}
