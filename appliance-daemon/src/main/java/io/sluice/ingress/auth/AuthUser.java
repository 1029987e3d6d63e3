package io.sluice.ingress.auth;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import io.sluice.net.MailAddress;

/**
 * One line of the users file: who may authenticate, the hash their password must match, the tenant their mail
 * belongs to, the sender domains they may use when {@code auth.senderBinding=domain}, and their own rate, if any.
 *
 * @param name    the login name, e.g. {@code alice} or {@code app@acme.example}
 * @param hash    the salted slow hash of the password
 * @param tenant  the tenant the user's mail is accounted to, held and routed as
 * @param domains the MAIL FROM domains the user owns (lower case); empty: none
 * @param rate    the user's own message rate, or null for none (the tenant's buckets still apply)
 */
public record AuthUser(String name, PasswordHash hash, String tenant, Set<String> domains, Rate rate)
{
    /** Login names: what mail clients send; no spaces, no colons, nothing a log line would need to quote. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@+-]{1,128}");
    /** As a tenant is named in {@code tenant.NAME.networks}. */
    static final Pattern TENANT = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    public AuthUser
    {
        // In the order the file names them, so that rewriting the file (sluice user passwd) keeps its lines as they
        // were: Set.copyOf iterates in an order salted per JVM.
        domains = Collections.unmodifiableSet(new LinkedHashSet<>(domains));
    }

    /** @return whether the envelope sender {@code address} is in one of the user's domains. */
    public boolean ownsSender(final String address)
    {
        final String domain = MailAddress.domain(address).toLowerCase(Locale.ROOT);
        return !domain.isEmpty() && domains.contains(domain);
    }

    /** @return this user with another password hash. */
    public AuthUser withHash(final PasswordHash newHash)
    {
        return new AuthUser(name, newHash, tenant, domains, rate);
    }

    /** @return whether {@code name} may be a login name. */
    public static boolean isValidName(final String name)
    {
        return NAME.matcher(name).matches();
    }

    /** @return whether {@code tenant} may be a tenant name. */
    public static boolean isValidTenant(final String tenant)
    {
        return TENANT.matcher(tenant).matches();
    }

    /** The hash is never shown. */
    @Override
    public String toString()
    {
        return "AuthUser[" + name + ", tenant " + tenant + "]";
    }

    /**
     * A user's own message rate: {@code messages} per {@code seconds}, written {@code 100/min}, {@code 5/s} or
     * {@code 2000/h}; the burst is the whole allowance.
     */
    public record Rate(long messages, long seconds)
    {
        /** @throws IllegalArgumentException naming what is expected. */
        public static Rate parse(final String text)
        {
            final int slash = text.indexOf('/');
            final String unit = slash < 0 ? "" : text.substring(slash + 1);
            final long seconds = switch (unit)
            {
                case "s" -> 1;
                case "min" -> 60;
                case "h" -> 3600;
                default -> throw new IllegalArgumentException("rate expects N/s, N/min or N/h, e.g. 100/min, not '" + text + "'");
            };
            try
            {
                final long messages = Long.parseLong(text.substring(0, slash));
                if (messages < 1 || messages > 1_000_000)
                {
                    throw new IllegalArgumentException("rate expects 1 to 1000000 messages, not " + messages);
                }
                return new Rate(messages, seconds);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("rate expects N/s, N/min or N/h, e.g. 100/min, not '" + text + "'", ex);
            }
        }

        @Override
        public String toString()
        {
            return messages + "/" + (seconds == 1 ? "s" : seconds == 60 ? "min" : "h");
        }
    }
}
