package io.sluice.daemon;

import java.nio.file.Path;

import io.sluice.control.JmxContext;
import io.sluice.spool.SpoolContext;

/** Maps the {@code jmx.*} settings onto the JMX context, which validates them. */
final class JmxSettings
{
    private JmxSettings()
    {
    }

    static JmxContext context(final DaemonSettings settings)
    {
        final String passwords = settings.string(JmxContext.PASSWORD_FILE);
        final String access = settings.string(JmxContext.ACCESS_FILE);
        final String keyStore = settings.string(JmxContext.SSL_KEY_STORE);
        final String keyStorePassword = settings.string(JmxContext.SSL_KEY_STORE_PASSWORD_FILE);
        final String socket = settings.string(JmxContext.SOCKET);
        return new JmxContext()
            .enabled(settings.booleanValue(JmxContext.ENABLED))
            .socket(socket.isBlank() ? settings.get(SpoolContext.DIRECTORY).resolve(JmxContext.SOCKET_FILE_NAME)
                : Path.of(socket))
            .socketGroup(settings.string(JmxContext.SOCKET_GROUP))
            .diagnostics(settings.booleanValue(JmxContext.DIAGNOSTICS))
            .remote(settings.booleanValue(JmxContext.REMOTE))
            .host(settings.string(JmxContext.HOST))
            .port(settings.intValue(JmxContext.PORT))
            .passwordFile(passwords.isBlank() ? null : Path.of(passwords))
            .accessFile(access.isBlank() ? null : Path.of(access))
            .ssl(settings.booleanValue(JmxContext.SSL))
            .keyStore(keyStore.isBlank() ? null : Path.of(keyStore))
            .keyStorePasswordFile(keyStorePassword.isBlank() ? null : Path.of(keyStorePassword))
            .conclude();
    }
}
