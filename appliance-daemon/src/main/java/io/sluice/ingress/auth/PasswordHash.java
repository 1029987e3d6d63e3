package io.sluice.ingress.auth;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Salted slow password hashes, PBKDF2 with HMAC-SHA256 from the JDK: no dependency to keep up to date, and the
 * iteration count is stored in each hash, so raising {@link #DEFAULT_ITERATIONS} later strengthens new and changed
 * passwords without invalidating the old ones. Text form: {@code pbkdf2-sha256:ITERATIONS:SALT:HASH}, salt and hash
 * in base64 (16 and 32 bytes).
 *
 * <p>600,000 iterations is OWASP's 2023 figure for PBKDF2-HMAC-SHA256; on the 2-core development machine one check
 * took about 220 ms, which is why checks run off the event loop ({@link Authenticator}). A stored hash below
 * {@link #MIN_ITERATIONS} is refused when the users file is read, so a file edited down to a cheap hash is not
 * believed.
 */
public final class PasswordHash
{
    public static final String SCHEME = "pbkdf2-sha256";
    public static final int DEFAULT_ITERATIONS = 600_000;
    public static final int MIN_ITERATIONS = 100_000;
    public static final int MAX_ITERATIONS = 10_000_000;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BITS = 256;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final int iterations;
    private final byte[] salt;
    private final byte[] hash;

    private PasswordHash(final int iterations, final byte[] salt, final byte[] hash)
    {
        this.iterations = iterations;
        this.salt = salt;
        this.hash = hash;
    }

    /** @return a hash of {@code password} with a fresh random salt. The caller wipes the password afterwards. */
    public static PasswordHash of(final char[] password, final int iterations)
    {
        final byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        return new PasswordHash(iterations, salt, derive(password, salt, iterations));
    }

    /**
     * @param text the stored form.
     * @throws IllegalArgumentException saying what is wrong with it (never echoing it).
     */
    public static PasswordHash parse(final String text)
    {
        final String[] parts = text.split(":", -1);
        if (parts.length != 4 || !SCHEME.equals(parts[0]))
        {
            throw new IllegalArgumentException("the hash is not " + SCHEME + ":ITERATIONS:SALT:HASH");
        }
        final int iterations;
        try
        {
            iterations = Integer.parseInt(parts[1]);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("the hash's iteration count is not a number", ex);
        }
        if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS)
        {
            throw new IllegalArgumentException("the hash's iteration count " + iterations + " is outside " + MIN_ITERATIONS
                + " to " + MAX_ITERATIONS);
        }
        try
        {
            final byte[] salt = Base64.getDecoder().decode(parts[2]);
            final byte[] hash = Base64.getDecoder().decode(parts[3]);
            if (salt.length < SALT_BYTES || hash.length != HASH_BITS / 8)
            {
                throw new IllegalArgumentException("the hash's salt or digest has the wrong length");
            }
            return new PasswordHash(iterations, salt, hash);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("the hash's salt or digest is not base64 of the right length", ex);
        }
    }

    /** @return whether {@code password} is the one hashed; compares in constant time. Costs the full derivation. */
    public boolean matches(final char[] password)
    {
        return MessageDigest.isEqual(hash, derive(password, salt, iterations));
    }

    public int iterations()
    {
        return iterations;
    }

    /** @return the stored form. */
    public String encoded()
    {
        return SCHEME + ":" + iterations + ":" + Base64.getEncoder().encodeToString(salt) + ":"
            + Base64.getEncoder().encodeToString(hash);
    }

    private static byte[] derive(final char[] password, final byte[] salt, final int iterations)
    {
        final PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, HASH_BITS);
        try
        {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        }
        catch (final GeneralSecurityException ex)
        {
            // Every Java SE 8+ runtime has this algorithm; without it no password could ever be checked.
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available in this JVM", ex);
        }
        finally
        {
            spec.clearPassword();
        }
    }

    /** Never the hash itself: a log line or an exception message must not carry it. */
    @Override
    public String toString()
    {
        return SCHEME + " (" + iterations + " iterations)";
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof PasswordHash that && iterations == that.iterations && Arrays.equals(salt, that.salt)
            && Arrays.equals(hash, that.hash);
    }

    @Override
    public int hashCode()
    {
        return Arrays.hashCode(hash);
    }
}
