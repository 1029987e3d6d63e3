package io.sluice.daemon;

import java.nio.file.Path;

import io.sluice.config.Setting;
import io.sluice.control.JmxContext;

/** Maps the {@code jmx.*} settings onto the JMX context, which validates them. */
final class JmxSettings
{
    private JmxSettings()
    {
    }

    static JmxContext context(final DaemonSettings settings)
    {
        return new JmxContext()
            .enabled(settings.get(JmxContext.ENABLED))
            .socket(settings.fileInSpool(JmxContext.SOCKET, JmxContext.SOCKET_FILE_NAME))
            .socketGroup(settings.get(JmxContext.SOCKET_GROUP))
            .diagnostics(settings.get(JmxContext.DIAGNOSTICS))
            .remote(settings.get(JmxContext.REMOTE))
            .host(settings.get(JmxContext.HOST))
            .port(settings.get(JmxContext.PORT))
            .passwordFile(optionalFile(settings, JmxContext.PASSWORD_FILE))
            .accessFile(optionalFile(settings, JmxContext.ACCESS_FILE))
            .ssl(settings.get(JmxContext.SSL))
            .keyStore(optionalFile(settings, JmxContext.SSL_KEY_STORE))
            .keyStorePasswordFile(optionalFile(settings, JmxContext.SSL_KEY_STORE_PASSWORD_FILE))
            .conclude();
    }

    /** @return the file a setting names, or null when it is empty (the context refuses a file set where none is used). */
    private static Path optionalFile(final DaemonSettings settings, final Setting<String> setting)
    {
        final String file = settings.get(setting);
        return file.isBlank() ? null : Path.of(file);
    }
}
