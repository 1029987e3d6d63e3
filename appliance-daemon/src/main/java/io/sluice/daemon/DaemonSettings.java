package io.sluice.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.sluice.config.InvalidSettingException;
import io.sluice.config.Setting;
import io.sluice.control.ControlState;
import io.sluice.drain.DrainContext;
import io.sluice.spool.SpoolContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's settings in three layers: the defaults (the declarations of {@link SettingsCatalogue}, and
 * {@code sluice-default.properties} for keys not declared there yet), then the configuration file, then
 * {@code --set key=value} overrides. A key that is not among the defaults is refused by name, so a typo never
 * silently falls back to a default.
 */
public final class DaemonSettings
{
    static final String DEFAULTS_RESOURCE = "/sluice-default.properties";
    private static final Logger LOG = LoggerFactory.getLogger(DaemonSettings.class);
    /** Keys that name something the operator defines (a tenant, a domain), so they cannot all be listed as defaults. */
    private static final List<Pattern> OPEN_KEYS = List.of(
        Pattern.compile("tenant\\.[A-Za-z0-9_-]+\\.networks"),
        // A target and a connection limit for each operator-defined drain route (drain.routes).
        Pattern.compile(DeliverySettings.ROUTE_KEY_PATTERN));
    private static final Pattern ROUTE_KEY = Pattern.compile(DeliverySettings.ROUTE_KEY_PATTERN);

    /** Where each key's effective value came from, as {@code sluice config} shows it. */
    public static final String DEFAULT = "default";
    public static final String FILE = "file";
    public static final String SET = "--set";
    public static final String LIVE = "live";

    private final Map<String, String> values;
    private final Map<String, String> sources;

    private DaemonSettings(final Map<String, String> values, final Map<String, String> sources)
    {
        this.values = Collections.unmodifiableMap(values);
        this.sources = Collections.unmodifiableMap(sources);
    }

    /**
     * @param file      the configuration file, or null for the embedded defaults alone.
     * @param overrides {@code --set} values, applied last.
     * @return the merged settings.
     * @throws InvalidSettingException for an unknown key.
     * @throws IOException             if the file cannot be read.
     */
    public static DaemonSettings load(final Path file, final Map<String, String> overrides) throws IOException
    {
        // The declarations' defaults, then the embedded file (which may set what a library leaves to its user).
        final Map<String, String> merged = new TreeMap<>(SettingsCatalogue.defaults());
        merged.putAll(read(defaults()));
        final Map<String, String> sources = new TreeMap<>();
        merged.keySet().forEach(key -> sources.put(key, DEFAULT));
        final Map<String, String> fromFile = new TreeMap<>();
        if (file != null)
        {
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
            {
                final Properties properties = new Properties();
                properties.load(reader);
                fromFile.putAll(read(properties));
                putKnown(merged, fromFile, file.toString());
                fromFile.keySet().forEach(key -> sources.put(key, FILE));
            }
        }
        operatorChanges(merged, sources, overrides);
        final Map<String, String> live = ControlState.read(controlFile(merged, overrides));
        putKnown(merged, overrides, SET);
        overrides.keySet().forEach(key -> sources.put(key, SET));
        warnOfDrift(live, fromFile, overrides);
        return new DaemonSettings(merged, sources);
    }

    private static Path controlFile(final Map<String, String> merged, final Map<String, String> overrides)
    {
        final String spool = overrides.getOrDefault(SpoolContext.DIRECTORY.key(), merged.get(SpoolContext.DIRECTORY.key()));
        return Path.of(spool).resolve(ControlState.FILE_NAME);
    }

    /**
     * Configuration management writes the file; a live change made once over JMX would silently beat it for ever. So a
     * live change that differs from the file's (or {@code --set}'s) value for its key is a WARN naming both values.
     */
    private static void warnOfDrift(final Map<String, String> live, final Map<String, String> fromFile,
        final Map<String, String> overrides)
    {
        for (final Map.Entry<String, String> change : live.entrySet())
        {
            final String key = change.getKey();
            final String value = change.getValue().trim();
            final String set = overrides.get(key);
            if (set != null && !set.trim().equals(value))
            {
                LOG.warn("configuration drift: {}={} from --set wins over the live change {}={} kept in {};"
                    + " sluice config forget {} drops the live change", key, set.trim(), key, value, ControlState.FILE_NAME, key);
            }
            else if (set == null && fromFile.containsKey(key) && !fromFile.get(key).equals(value))
            {
                LOG.warn("configuration drift: the live change {}={} kept in {} wins over the configuration file's {}={};"
                    + " sluice config forget {} drops it (the file's value then applies from the next restart)", key, value,
                    ControlState.FILE_NAME, key, fromFile.get(key), key);
            }
        }
    }

    /**
     * Changes operators made live through JMX, kept in the spool directory's {@code control.properties}: they
     * win over the file (the operator's latest word) and lose to {@code --set}. A key this version no longer
     * knows is skipped with a warning rather than stopping the appliance.
     */
    private static void operatorChanges(final Map<String, String> merged, final Map<String, String> sources,
        final Map<String, String> overrides)
    {
        final Map<String, String> changes = ControlState.read(controlFile(merged, overrides));
        if (!changes.isEmpty())
        {
            LOG.info("applying operator changes kept in {}: {}", ControlState.FILE_NAME, changes);
        }
        for (final Map.Entry<String, String> change : changes.entrySet())
        {
            final String key = change.getKey();
            // A route's connection limit set over JMX is an open key the file need not name, kept while the route is.
            if (merged.containsKey(key) || (isOpenKey(key) && routeStillConfigured(merged, key)))
            {
                merged.put(key, change.getValue().trim());
                sources.put(key, LIVE);
            }
            else
            {
                LOG.warn("ignoring unknown key {} in {}", key, ControlState.FILE_NAME);
            }
        }
    }

    private static Properties defaults() throws IOException
    {
        try (InputStream in = DaemonSettings.class.getResourceAsStream(DEFAULTS_RESOURCE))
        {
            if (in == null)
            {
                throw new IOException("embedded defaults " + DEFAULTS_RESOURCE + " missing from the classpath");
            }
            final Properties properties = new Properties();
            properties.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
            return properties;
        }
    }

    private static Map<String, String> read(final Properties properties)
    {
        final Map<String, String> map = new TreeMap<>();
        for (final String key : properties.stringPropertyNames())
        {
            map.put(key, properties.getProperty(key).trim());
        }
        return map;
    }

    private static void putKnown(final Map<String, String> merged, final Map<String, String> layer, final String source)
    {
        for (final Map.Entry<String, String> entry : layer.entrySet())
        {
            if (!merged.containsKey(entry.getKey()) && !isOpenKey(entry.getKey()))
            {
                throw new InvalidSettingException(entry.getKey(), entry.getValue(),
                    "expected a known setting (unknown key in " + source + "; see docs/configuration.md for the list)");
            }
            merged.put(entry.getKey(), entry.getValue().trim());
        }
    }

    private static boolean routeStillConfigured(final Map<String, String> merged, final String key)
    {
        final Matcher route = ROUTE_KEY.matcher(key);
        if (!route.matches())
        {
            return true;
        }
        for (final String entry : merged.getOrDefault(DrainContext.ROUTES.key(), "").split(","))
        {
            if (entry.trim().startsWith(route.group(1) + ":"))
            {
                return true;
            }
        }
        return false;
    }

    private static boolean isOpenKey(final String key)
    {
        return OPEN_KEYS.stream().anyMatch(p -> p.matcher(key).matches());
    }

    public String string(final String key)
    {
        final String value = values.get(key);
        if (value == null)
        {
            throw new IllegalArgumentException("no such setting: " + key);
        }
        return value;
    }

    /**
     * @param setting a declared setting.
     * @return its effective value, read and checked by the declaration.
     * @throws InvalidSettingException naming the key and value when it is not of the type or out of range.
     */
    public <T> T get(final Setting<T> setting)
    {
        return setting.parse(string(setting.key()));
    }

    /**
     * @param setting  a file setting whose empty value means "in the spool directory".
     * @param fileName the file's name there.
     * @return the file the setting names, or {@code <spool.directory>/fileName} when it is empty.
     */
    public Path fileInSpool(final Setting<String> setting, final String fileName)
    {
        final String file = get(setting);
        return file.isBlank() ? get(SpoolContext.DIRECTORY).resolve(fileName) : Path.of(file);
    }

    public long longValue(final String key)
    {
        final String value = string(key);
        try
        {
            return Long.parseLong(value.replace("_", ""));
        }
        catch (final NumberFormatException ex)
        {
            throw new InvalidSettingException(key, value, "expected a whole number");
        }
    }

    public int intValue(final String key)
    {
        final long value = longValue(key);
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE)
        {
            throw new InvalidSettingException(key, value, "expected a number within 32 bits");
        }
        return (int)value;
    }

    public boolean booleanValue(final String key)
    {
        final String value = string(key);
        if ("true".equalsIgnoreCase(value) || "false".equalsIgnoreCase(value))
        {
            return Boolean.parseBoolean(value);
        }
        throw new InvalidSettingException(key, value, "expected true or false");
    }

    public double doubleValue(final String key)
    {
        final String value = string(key);
        try
        {
            return Double.parseDouble(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new InvalidSettingException(key, value, "expected a decimal number");
        }
    }

    public <E extends Enum<E>> E enumValue(final String key, final Class<E> type)
    {
        final String value = string(key);
        for (final E constant : type.getEnumConstants())
        {
            if (constant.name().equalsIgnoreCase(value))
            {
                return constant;
            }
        }
        throw new InvalidSettingException(key, value, "expected one of " + java.util.Arrays.toString(type.getEnumConstants()));
    }

    /** @return where each effective setting came from: {@link #DEFAULT}, {@link #FILE}, {@link #LIVE} or {@link #SET}. */
    public Map<String, String> sources()
    {
        return sources;
    }

    /** @return every effective setting, sorted by key, for the start-up log. */
    public Map<String, String> all()
    {
        return values;
    }
}
