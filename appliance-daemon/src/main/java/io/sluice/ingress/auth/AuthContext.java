package io.sluice.ingress.auth;

import java.time.Clock;
import java.util.List;

import io.sluice.config.Concludable;
import io.sluice.config.Setting;

/**
 * SMTP AUTH's settings, each key with its default side by side, validated in {@link #conclude()} with errors that
 * name the key. Without {@link #USERS_FILE} nothing is offered: AUTH is off by default.
 */
public final class AuthContext extends Concludable
{
    /** Whether MAIL FROM must be in the authenticated user's domains. */
    public enum SenderBinding
    {
        /** Any sender: the user's tenant answers for its mail whatever it claims. */
        OFF,
        /** MAIL FROM's domain must be one of the user's {@code domains=} ({@code 553 5.7.1} otherwise). */
        DOMAIN
    }

    public static final Setting<String> USERS_FILE = Setting.ofString("auth.usersFile", "")
        .expecting("a file path, or empty for no SMTP AUTH")
        .doc("The users who may authenticate (SMTP AUTH PLAIN and LOGIN): one a line, with a salted PBKDF2 hash, "
            + "a tenant and optional domains and rate; edited with `sluice user`, read again when it changes. "
            + "Empty: AUTH is not offered.")
        .build();
    /** RFC 4954 section 4: a password must not cross the network in clear; loopback never leaves the machine. */
    public static final Setting<Boolean> ALLOW_PLAINTEXT_ON_LOOPBACK =
        Setting.ofBoolean("auth.allowPlaintextOnLoopback", false)
        .doc("Offer AUTH without TLS to clients on a loopback address (a local application); everyone else "
            + "must use TLS first (`538 5.7.11` otherwise).")
        .build();
    public static final Setting<SenderBinding> SENDER_BINDING =
        Setting.ofEnum("auth.senderBinding", SenderBinding.class, SenderBinding.OFF, "off or domain")
        .doc("`domain`: an authenticated user's MAIL FROM must be in the user's `domains=` (`553 5.7.1` "
            + "otherwise); `off`: any sender.")
        .build();
    public static final Setting<Integer> MAX_FAILURES = Setting.ofInt("auth.maxFailures", 5)
        .range(1, 1000)
        .doc("Failed authentications from one address, or for one user, within `auth.failureWindowMs` before it "
            + "backs off: the address gets `454 4.7.0`, the user `535 5.7.8` even with the right password.")
        .build();
    public static final Setting<Long> FAILURE_WINDOW_MS = Setting.ofLong("auth.failureWindowMs", 600_000)
        .range(1_000, 86_400_000)
        .doc("The window failed authentications are counted in.")
        .build();
    public static final Setting<Long> LOCKOUT_MS = Setting.ofLong("auth.lockoutMs", 60_000)
        .range(1_000, 86_400_000)
        .doc("The first back-off after `auth.maxFailures`; each further one doubles it, up to "
            + "`auth.maxLockoutMs`.")
        .build();
    public static final Setting<Long> MAX_LOCKOUT_MS = Setting.ofLong("auth.maxLockoutMs", 3_600_000)
        .range(1_000, 604_800_000)
        .checkedWith("at least `auth.lockoutMs`")
        .doc("The longest back-off.")
        .build();
    /** A PBKDF2 check costs about 220 ms of one core at 600,000 iterations on the development machine. */
    public static final Setting<Integer> CHECK_THREADS = Setting.ofInt("auth.checkThreads", 1)
        .range(1, 64)
        .doc("Threads that check passwords (a slow hash, kept off the SMTP event loops); checks beyond what "
            + "they and their queue of 64 hold get `454 4.7.0`.")
        .build();

    /** Every declaration above, in the order the configuration reference lists them. */
    public static final List<Setting<?>> SETTINGS = List.of(USERS_FILE, ALLOW_PLAINTEXT_ON_LOOPBACK, SENDER_BINDING,
        MAX_FAILURES, FAILURE_WINDOW_MS, LOCKOUT_MS, MAX_LOCKOUT_MS, CHECK_THREADS);

    private String usersFile = USERS_FILE.defaultValue();
    private boolean allowPlaintextOnLoopback = ALLOW_PLAINTEXT_ON_LOOPBACK.defaultValue();
    private SenderBinding senderBinding = SENDER_BINDING.defaultValue();
    private int maxFailures = MAX_FAILURES.defaultValue();
    private long failureWindowMs = FAILURE_WINDOW_MS.defaultValue();
    private long lockoutMs = LOCKOUT_MS.defaultValue();
    private long maxLockoutMs = MAX_LOCKOUT_MS.defaultValue();
    private int checkThreads = CHECK_THREADS.defaultValue();
    private Clock clock = Clock.systemUTC();

    public AuthContext usersFile(final String value)
    {
        checkMutable();
        usersFile = value == null ? "" : value.trim();
        return this;
    }

    public AuthContext allowPlaintextOnLoopback(final boolean value)
    {
        checkMutable();
        allowPlaintextOnLoopback = value;
        return this;
    }

    public AuthContext senderBinding(final SenderBinding value)
    {
        checkMutable();
        senderBinding = value;
        return this;
    }

    public AuthContext maxFailures(final int value)
    {
        checkMutable();
        maxFailures = value;
        return this;
    }

    public AuthContext failureWindowMs(final long value)
    {
        checkMutable();
        failureWindowMs = value;
        return this;
    }

    public AuthContext lockoutMs(final long value)
    {
        checkMutable();
        lockoutMs = value;
        return this;
    }

    public AuthContext maxLockoutMs(final long value)
    {
        checkMutable();
        maxLockoutMs = value;
        return this;
    }

    public AuthContext checkThreads(final int value)
    {
        checkMutable();
        checkThreads = value;
        return this;
    }

    /** The clock failures are counted and backed off on; a test's own. */
    public AuthContext clock(final Clock value)
    {
        checkMutable();
        clock = value;
        return this;
    }

    /** @throws io.sluice.config.InvalidSettingException naming the first bad key. */
    public AuthContext conclude()
    {
        if (isConcluded())
        {
            return this;
        }
        SENDER_BINDING.validate(senderBinding);
        MAX_FAILURES.validate(maxFailures);
        FAILURE_WINDOW_MS.validate(failureWindowMs);
        LOCKOUT_MS.validate(lockoutMs);
        if (MAX_LOCKOUT_MS.validate(maxLockoutMs) < lockoutMs)
        {
            throw MAX_LOCKOUT_MS.invalid(maxLockoutMs, "at least " + LOCKOUT_MS + " (" + lockoutMs + ")");
        }
        CHECK_THREADS.validate(checkThreads);
        markConcluded();
        return this;
    }

    public String usersFile()
    {
        return usersFile;
    }

    public boolean allowPlaintextOnLoopback()
    {
        return allowPlaintextOnLoopback;
    }

    public SenderBinding senderBinding()
    {
        return senderBinding;
    }

    public int maxFailures()
    {
        return maxFailures;
    }

    public long failureWindowMs()
    {
        return failureWindowMs;
    }

    public long lockoutMs()
    {
        return lockoutMs;
    }

    public long maxLockoutMs()
    {
        return maxLockoutMs;
    }

    public int checkThreads()
    {
        return checkThreads;
    }

    public Clock clock()
    {
        return clock;
    }
}
