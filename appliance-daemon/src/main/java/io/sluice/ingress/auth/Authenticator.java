package io.sluice.ingress.auth;

import java.net.InetAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.sluice.counters.EnumCounters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the credentials an {@link AuthExchange} yields against the users file, off the SMTP event loops: a PBKDF2
 * derivation costs a core about 220 ms, which on a loop would stall every other session on it. The checks run on
 * {@code auth.checkThreads} threads behind a queue of {@value #QUEUE}; beyond that a check is refused at once with
 * {@code 454 4.7.0} (the client retries), never queued without bound. Failures are counted per address and per user
 * ({@link AuthFailures}); a locked address is answered before any hash is computed.
 *
 * <p>The log names a user only once authenticated or if the name is a known user: a name that is not one may be a
 * password typed into the wrong field. No password, no base64 line, no hash is ever logged.
 */
public final class Authenticator implements AutoCloseable
{
    public static final String SUCCESS = "235 2.7.0 Authentication successful";
    public static final String INVALID = "535 5.7.8 Authentication credentials invalid";
    public static final String TEMPORARY_FAILURE = "454 4.7.0 Temporary authentication failure";
    public static final String ENCRYPTION_REQUIRED = "538 5.7.11 Encryption required for requested authentication mechanism";
    static final int QUEUE = 64;

    private static final Logger LOG = LoggerFactory.getLogger(Authenticator.class);

    private final AuthContext context;
    private final UserDirectory users;
    private final AuthFailures failures;
    private final UserBuckets buckets;
    private final EnumCounters<AuthCounter> counters = new EnumCounters<>(AuthCounter.class, "auth");
    private final ThreadPoolExecutor checks;
    /** Checked against when the user is unknown, so an unknown name costs the same time as a wrong password. */
    private final PasswordHash decoy;

    /**
     * The outcome of one check.
     *
     * @param user  the authenticated user, or null when refused
     * @param reply the reply to send: {@link #SUCCESS}, {@link #INVALID} or {@link #TEMPORARY_FAILURE}
     */
    public record Result(AuthUser user, String reply)
    {
    }

    public Authenticator(final AuthContext context, final UserDirectory users)
    {
        this.context = context.conclude();
        this.users = users;
        this.failures = new AuthFailures(context.clock(), context.maxFailures(), context.failureWindowMs(),
            context.lockoutMs(), context.maxLockoutMs(), 100_000);
        this.buckets = new UserBuckets(context.clock());
        final AtomicInteger threads = new AtomicInteger();
        this.checks = new ThreadPoolExecutor(context.checkThreads(), context.checkThreads(), 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(QUEUE), r ->
            {
                final Thread thread = new Thread(r, "sluice-auth-check-" + threads.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
        this.decoy = users.isConfigured() ? PasswordHash.of("decoy".toCharArray(), PasswordHash.DEFAULT_ITERATIONS) : null;
    }

    /** @return an authenticator with no users: AUTH is never offered. */
    public static Authenticator off()
    {
        return new Authenticator(new AuthContext(), UserDirectory.none());
    }

    public AuthContext context()
    {
        return context;
    }

    /**
     * RFC 4954 section 4: a password must not cross the network in clear. AUTH is offered under TLS, or in clear to a
     * loopback client when {@code auth.allowPlaintextOnLoopback} is set, and only when a users file is configured.
     */
    public boolean offers(final InetAddress client, final boolean underTls)
    {
        return users.isConfigured() && (underTls || (context.allowPlaintextOnLoopback() && client.isLoopbackAddress()));
    }

    /** @return whether a users file is configured (AUTH then exists, if only under TLS). */
    public boolean isConfigured()
    {
        return users.isConfigured();
    }

    /** @return whether {@code client} backs off now: its AUTH is answered {@link #TEMPORARY_FAILURE} unchecked. */
    public boolean isLocked(final InetAddress client)
    {
        final boolean locked = failures.isLocked(AuthFailures.Kind.ADDRESS, client.getHostAddress());
        if (locked)
        {
            counters.increment(AuthCounter.ADDRESS_LOCKED);
        }
        return locked;
    }

    /**
     * Checks {@code credentials} on a check thread and wipes the password. The future completes there, never
     * exceptionally: a full queue completes it at once with {@link #TEMPORARY_FAILURE}.
     */
    public CompletableFuture<Result> check(final InetAddress client, final Credentials credentials)
    {
        final CompletableFuture<Result> result = new CompletableFuture<>();
        try
        {
            checks.execute(() -> result.complete(checkNow(client, credentials)));
        }
        catch (final RejectedExecutionException ex)
        {
            credentials.wipe();
            counters.increment(AuthCounter.CHECKS_BUSY);
            result.complete(new Result(null, TEMPORARY_FAILURE));
        }
        return result;
    }

    private Result checkNow(final InetAddress client, final Credentials credentials)
    {
        final String address = client.getHostAddress();
        try
        {
            final AuthUser user = users.user(credentials.user());
            if (user != null && failures.isLocked(AuthFailures.Kind.USER, user.name()))
            {
                // Even the right password: an account under guessing stays shut until its back-off ends.
                counters.increment(AuthCounter.USER_LOCKED);
                failures.failed(AuthFailures.Kind.ADDRESS, address);
                LOG.info("AUTH from [{}] refused: user {} backs off after failed authentications", address, user.name());
                return new Result(null, INVALID);
            }
            final boolean proxied = !credentials.authorizationId().isEmpty()
                && !credentials.authorizationId().equals(credentials.user());
            final boolean matches;
            if (user == null)
            {
                // The same cost as a wrong password, so the reply's timing does not tell which names exist.
                decoy.matches(credentials.password());
                matches = false;
            }
            else
            {
                // PLAIN's authorization identity, if any, must be the user itself: nobody may act as another.
                matches = user.hash().matches(credentials.password()) && !proxied;
            }
            if (matches)
            {
                failures.succeeded(user.name());
                counters.increment(AuthCounter.SUCCEEDED);
                return new Result(user, SUCCESS);
            }
            counters.increment(AuthCounter.FAILED);
            final boolean addressLocked = failures.failed(AuthFailures.Kind.ADDRESS, address);
            final boolean userLocked = user != null && failures.failed(AuthFailures.Kind.USER, user.name());
            LOG.info("AUTH from [{}] failed for {}{}{}", address, user == null ? "an unknown user" : "user " + user.name(),
                addressLocked ? "; the address backs off" : "", userLocked ? "; the user backs off" : "");
            return new Result(null, INVALID);
        }
        finally
        {
            credentials.wipe();
        }
    }

    /**
     * Takes a token from the user's own bucket, if its line has a rate.
     *
     * @return 0 if the message may go on, else the milliseconds until the user may send again.
     */
    public long takeMessage(final AuthUser user)
    {
        final long waitMs = buckets.take(user);
        if (waitMs > 0)
        {
            counters.increment(AuthCounter.USER_RATE_LIMITED);
        }
        return waitMs;
    }

    /** Counts an AUTH refusal the session decided itself (clear text, malformed, sender binding). */
    public void record(final AuthCounter counter)
    {
        counters.increment(counter);
    }

    /** From a maintenance thread: reads a changed users file, forgets stale failure records, updates the gauge. */
    public void maintain()
    {
        switch (users.reloadIfChanged())
        {
            case LOADED ->
            {
                counters.increment(AuthCounter.RELOADS);
                buckets.retain(users.users());
            }
            case REFUSED -> counters.increment(AuthCounter.RELOAD_FAILURES);
            default ->
            {
                // unchanged
            }
        }
        failures.prune();
        counters.set(AuthCounter.LOCKED_KEYS, failures.lockedKeys());
    }

    public UserDirectory users()
    {
        return users;
    }

    public AuthFailures failures()
    {
        return failures;
    }

    public EnumCounters<AuthCounter> counters()
    {
        return counters;
    }

    @Override
    public void close()
    {
        checks.shutdownNow();
    }
}
