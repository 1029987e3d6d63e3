package io.sluice.fleet;

import java.time.Duration;

import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.RedisURI;

/** {@code fleet.redis} as Lettuce reads it, with the password from {@code fleet.passwordFile}. Loaded only with a fleet. */
final class RedisAddress
{
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private RedisAddress()
    {
    }

    /** @return what is wrong with the address, or null if Lettuce takes it. */
    static String problem(final String text)
    {
        final RedisURI uri;
        try
        {
            uri = RedisURI.create(text);
        }
        catch (final RuntimeException ex)
        {
            return "an address Redis' client reads (" + ex.getMessage() + ")";
        }
        final String afterScheme = text.substring(text.indexOf("://") + 3);
        if (afterScheme.split("[/#?]", 2)[0].contains("@"))
        {
            return "no password in the address: put it in `fleet.passwordFile`";
        }
        return null;
    }

    static RedisURI of(final FleetContext context)
    {
        final RedisURI uri = RedisURI.create(context.uri());
        final char[] password = context.password();
        if (password != null)
        {
            final String user = context.user();
            uri.setCredentialsProvider(RedisCredentialsProvider.from(() -> RedisCredentials.just(user, password)));
        }
        // Connecting (and the handshake after it) may take longer than a command: the first connection loads the
        // client's classes. Commands have their own timeout, fleet.timeoutMs (FleetRedis' TimeoutOptions).
        uri.setTimeout(CONNECT_TIMEOUT);
        return uri;
    }
}
