package io.sluice.daemon;

import java.time.Clock;

import io.sluice.ingress.auth.AuthContext;
import io.sluice.ingress.auth.UserDirectory;

/**
 * Maps the {@code auth.*} settings onto SMTP AUTH's context, which validates them, and reads the users file, so
 * {@code --check-config} refuses a bad one (naming the file and the line) before the daemon starts.
 *
 * @param context the validated settings
 * @param users   the users read from {@code auth.usersFile} (none when it is empty)
 */
record AuthSettings(AuthContext context, UserDirectory users)
{
    static AuthSettings of(final DaemonSettings settings)
    {
        return of(settings, Clock.systemUTC());
    }

    /** With the clock failures are counted and backed off on: the system's in the daemon, a test's own in a test. */
    static AuthSettings of(final DaemonSettings settings, final Clock clock)
    {
        final AuthContext context = new AuthContext()
            .clock(clock)
            .usersFile(settings.get(AuthContext.USERS_FILE))
            .allowPlaintextOnLoopback(settings.get(AuthContext.ALLOW_PLAINTEXT_ON_LOOPBACK))
            .senderBinding(settings.get(AuthContext.SENDER_BINDING))
            .maxFailures(settings.get(AuthContext.MAX_FAILURES))
            .failureWindowMs(settings.get(AuthContext.FAILURE_WINDOW_MS))
            .lockoutMs(settings.get(AuthContext.LOCKOUT_MS))
            .maxLockoutMs(settings.get(AuthContext.MAX_LOCKOUT_MS))
            .checkThreads(settings.get(AuthContext.CHECK_THREADS))
            .conclude();
        return new AuthSettings(context, UserDirectory.open(context.usersFile()));
    }
}
