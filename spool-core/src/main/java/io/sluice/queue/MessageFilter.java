package io.sluice.queue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;

/**
 * Which pending messages an operator means: every criterion given must match; none given matches everything. Written
 * and read as {@code key=value} words ({@code tenant=acme sender=@example.com older-than=30m state=deferred}), so the
 * console command and a JMX client send the same text, and it is parsed in one place.
 *
 * <p>An address criterion ({@code sender}, {@code recipient}) is an address ({@code a@example.com}, any case), a domain
 * ({@code example.com} or {@code @example.com}), or {@code <>} for the null sender. {@code recipient} matches a message
 * with that recipient still open (not yet delivered or failed).
 *
 * @param tenant     the tenant, exactly; null for any
 * @param sender     the envelope sender (see above); null for any
 * @param recipient  an open recipient (see above); null for any
 * @param route      the route it leaves by; null for any
 * @param olderThan  received at least this long ago; null for any age
 * @param state      its {@link QueueState}; null for any
 */
public record MessageFilter(String tenant, String sender, String recipient, String route, Duration olderThan,
    QueueState state)
{
    /** Matches every pending message. */
    public static final MessageFilter ANY = new MessageFilter(null, null, null, null, null, null);

    static final String TENANT = "tenant";
    static final String SENDER = "sender";
    static final String RECIPIENT = "recipient";
    static final String ROUTE = "route";
    static final String OLDER_THAN = "older-than";
    static final String STATE = "state";
    private static final List<String> KEYS = List.of(TENANT, SENDER, RECIPIENT, ROUTE, OLDER_THAN, STATE);

    /**
     * @param text {@code key=value} words separated by spaces; empty or null for {@link #ANY}.
     * @throws IllegalArgumentException naming the key or value that is wrong.
     */
    public static MessageFilter parse(final String text)
    {
        final Map<String, String> values = new LinkedHashMap<>();
        if (text != null && !text.isBlank())
        {
            for (final String word : text.trim().split("\\s+"))
            {
                final int eq = word.indexOf('=');
                final String key = eq < 0 ? word : word.substring(0, eq).toLowerCase(Locale.ROOT);
                if (eq < 0 || !KEYS.contains(key))
                {
                    throw new IllegalArgumentException("filter: expected key=value with a key of " + String.join(", ", KEYS)
                        + ", got: " + word);
                }
                if (values.put(key, word.substring(eq + 1)) != null)
                {
                    throw new IllegalArgumentException("filter: " + key + " given twice");
                }
            }
        }
        return of(values);
    }

    /**
     * @param values the criteria by key ({@code tenant}, {@code sender}, {@code recipient}, {@code route},
     *               {@code older-than}, {@code state}); absent or null for any.
     * @throws IllegalArgumentException naming the key whose value is wrong.
     */
    public static MessageFilter of(final Map<String, String> values)
    {
        final Duration olderThan;
        try
        {
            olderThan = values.get(OLDER_THAN) == null ? null : Durations.parse(values.get(OLDER_THAN));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(OLDER_THAN + ": " + ex.getMessage(), ex);
        }
        final QueueState state = values.get(STATE) == null ? null : QueueState.parse(values.get(STATE));
        return new MessageFilter(word(values, TENANT), address(values, SENDER), address(values, RECIPIENT),
            word(values, ROUTE), olderThan, state);
    }

    private static String word(final Map<String, String> values, final String key)
    {
        final String value = values.get(key);
        if (value != null && (value.isBlank() || value.chars().anyMatch(Character::isWhitespace)))
        {
            throw new IllegalArgumentException(key + ": expected a name without spaces, got: '" + value + "'");
        }
        return value;
    }

    private static String address(final Map<String, String> values, final String key)
    {
        final String value = values.get(key);
        if (value == null)
        {
            return null;
        }
        if ("<>".equals(value) || "".equals(value))
        {
            if (RECIPIENT.equals(key))
            {
                throw new IllegalArgumentException("recipient: expected an address or a domain, got: '" + value + "'");
            }
            return "";
        }
        if (value.chars().anyMatch(Character::isWhitespace) || value.endsWith("@"))
        {
            throw new IllegalArgumentException(key + ": expected an address or a domain, got: '" + value + "'");
        }
        return value.toLowerCase(Locale.ROOT);
    }

    /** @return true when no criterion is given: every message matches. */
    public boolean isEmpty()
    {
        return equals(ANY);
    }

    /**
     * @param message   a pending message's snapshot.
     * @param nowMillis the time its age and a deferral's retry are measured against.
     * @param route     the route it leaves by (asked only when {@code route} is a criterion).
     * @param state     its state (asked only when {@code state} is a criterion).
     * @return true if every criterion given matches.
     */
    public boolean matches(final PendingMessage message, final long nowMillis, final Supplier<String> route,
        final Supplier<QueueState> state)
    {
        final Envelope envelope = message.envelope();
        if (tenant != null && !tenant.equals(envelope.tenant()))
        {
            return false;
        }
        if (sender != null && !addressMatches(sender, envelope.sender()))
        {
            return false;
        }
        if (olderThan != null && nowMillis - envelope.receivedAtMillis() < olderThan.toMillis())
        {
            return false;
        }
        if (recipient != null && !hasOpenRecipient(message))
        {
            return false;
        }
        if (this.route != null && !this.route.equals(route.get()))
        {
            return false;
        }
        return this.state == null || this.state == state.get();
    }

    private boolean hasOpenRecipient(final PendingMessage message)
    {
        for (int i = 0; i < message.recipients().size(); i++)
        {
            if (!message.recipients().get(i).isFinal() && addressMatches(recipient, message.envelope().recipients().get(i)))
            {
                return true;
            }
        }
        return false;
    }

    /** {@code wanted} is lower case: an address, a domain ({@code @d} or {@code d}), or empty for the null sender. */
    static boolean addressMatches(final String wanted, final String address)
    {
        if (wanted.isEmpty())
        {
            return address.isEmpty();
        }
        if (wanted.indexOf('@') > 0)
        {
            return wanted.equalsIgnoreCase(address);
        }
        final String domain = wanted.startsWith("@") ? wanted.substring(1) : wanted;
        final int at = address.lastIndexOf('@');
        return at >= 0 && address.substring(at + 1).equalsIgnoreCase(domain);
    }

    /** @return the filter as {@link #parse} reads it back: {@code key=value} words, empty for {@link #ANY}. */
    @Override
    public String toString()
    {
        final List<String> words = new ArrayList<>();
        add(words, TENANT, tenant);
        add(words, SENDER, sender == null ? null : sender.isEmpty() ? "<>" : sender);
        add(words, RECIPIENT, recipient);
        add(words, ROUTE, route);
        add(words, OLDER_THAN, olderThan == null ? null : Durations.format(olderThan));
        add(words, STATE, state == null ? null : state.word());
        return String.join(" ", words);
    }

    private static void add(final List<String> words, final String key, final String value)
    {
        if (value != null)
        {
            words.add(key + "=" + value);
        }
    }
}
