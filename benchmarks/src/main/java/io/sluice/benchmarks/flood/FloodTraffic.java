package io.sluice.benchmarks.flood;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * What the scenario sends, generated from the options alone so that a run is reproducible: the flood's source
 * addresses and their messages, the legitimate sources, and every message's bytes.
 *
 * <p>The spoofed flood is a spoofing flood: mail whose envelope sender equals its recipient, in the protected domain,
 * from outside the trusted networks. The snowshoe flood has plausible senders instead, every message its own, from
 * many domains, to the protected domain's mailboxes: nothing in the envelope gives it away. Every flood message
 * carries a malware marker the upstream rejects with {@code 554 5.7.1}. Flood sources live in 127.64.0.0/10,
 * {@value #HOSTS_PER_NETWORK} at most per /24, spread round-robin over the configured number of networks (a
 * distributed flood). The legitimate partner sends from addresses .1, .2, ... of one /24 of its own,
 * 127.32.0.0/24, from a partner domain to the protected domain's mailboxes; in the unknown-users scenario some of
 * its messages go to recipients the upstream refuses ({@value #UNKNOWN_USER_PREFIX}N), each from a sender of its
 * own ({@value #RETURN_SENDER_PREFIX}N), so every DSN names the message it is owed for.
 */
public final class FloodTraffic
{
    /** Hosts .1 to .250 of each flood /24. */
    public static final int HOSTS_PER_NETWORK = 250;
    /** The header that names a message to the sink: {@code flood-N} or {@code legit-N}. */
    public static final String ID_HEADER = "X-Bench-Id";
    /** The flood's marker; the sink rejects every message carrying it, as an upstream's malware scan would. */
    public static final String MALWARE_HEADER = "X-Bench-Malware";
    /** Recipients the upstream refuses {@code 550 5.1.1}: this prefix and the legitimate message's number. */
    public static final String UNKNOWN_USER_PREFIX = "nosuchuser-";
    /** The envelope sender of legitimate message N to an unknown user: this prefix, N, the partner domain. */
    public static final String RETURN_SENDER_PREFIX = "returns-";
    /** The legitimate partner's domain: every legitimate sender is in it, no flood sender is. */
    public static final String PARTNER_DOMAIN = "partner.example";

    private static final String[] SNOWSHOE_NAMES = {"anna", "ben", "carla", "david", "eva", "felix", "greta", "hugo",
        "ines", "jonas", "karin", "lukas", "maria", "nils", "olga", "paul"};
    private static final String[] SNOWSHOE_DOMAINS = {"northwind-trading", "bluepeak-media", "cedar-logistics",
        "summit-insurance", "riverside-dental", "harbor-finance", "oakline-travel", "brightpath-hr"};

    private final ScenarioOptions options;
    private final byte[] padding;

    public FloodTraffic(final ScenarioOptions options)
    {
        this.options = options;
        this.padding = padding(options.messageBytes());
    }

    /** @return the /24 (index 0 .. networks - 1) flood message {@code message} comes from */
    public int floodNetworkOf(final int message)
    {
        return floodSourceOf(message) % options.floodNetworks();
    }

    /** @return the address of flood source {@code index}, spread round-robin over the flood's networks */
    public String floodSource(final int index)
    {
        final int network = index % options.floodNetworks();
        final int host = index / options.floodNetworks() + 1;
        return "127." + (64 + network / 256) + "." + (network % 256) + "." + host;
    }

    /** @return the address of legitimate source {@code index} */
    public String legitSource(final int index)
    {
        return "127.32.0." + (index + 1);
    }

    /** @return the flood's source of message {@code message} */
    public int floodSourceOf(final int message)
    {
        return message % options.floodSources();
    }

    /**
     * The flood's sessions: one per source, carrying that source's messages, in a seeded random order of sources.
     *
     * @return per session, the message numbers it sends
     */
    public List<int[]> floodSessions()
    {
        final List<List<Integer>> bySource = new ArrayList<>();
        for (int s = 0; s < options.floodSources(); s++)
        {
            bySource.add(new ArrayList<>());
        }
        for (int m = 0; m < options.floodMessages(); m++)
        {
            bySource.get(floodSourceOf(m)).add(m);
        }
        final List<int[]> sessions = new ArrayList<>();
        for (final List<Integer> messages : bySource)
        {
            if (!messages.isEmpty())
            {
                sessions.add(messages.stream().mapToInt(Integer::intValue).toArray());
            }
        }
        Collections.shuffle(sessions, new Random(options.seed()));
        return sessions;
    }

    /** @return the spoofed address of flood message {@code message}: its sender and its recipient */
    public String floodAddress(final int message)
    {
        return "victim" + (message % 1000) + "@" + options.protectedDomain();
    }

    /** @return the envelope sender of flood message {@code message}: spoofed, or a plausible one of its own */
    public String floodSender(final int message)
    {
        if (options.floodKind() == Scenario.SPOOFED)
        {
            return floodAddress(message);
        }
        final int domain = message % 997;
        return SNOWSHOE_NAMES[message % SNOWSHOE_NAMES.length] + "." + message + "@"
            + SNOWSHOE_DOMAINS[domain % SNOWSHOE_DOMAINS.length] + "-" + domain + ".example";
    }

    /** @return the recipient of flood message {@code message}: the spoofed address, or one of the partner's mailboxes */
    public String floodRecipient(final int message)
    {
        return options.floodKind() == Scenario.SPOOFED ? floodAddress(message) : legitRecipient(message);
    }

    public String legitSender(final int source)
    {
        return "sender" + source + "@" + PARTNER_DOMAIN;
    }

    /** @return the sender of legitimate message {@code message} to an unknown user */
    public static String returnSender(final int message)
    {
        return RETURN_SENDER_PREFIX + message + "@" + PARTNER_DOMAIN;
    }

    /** @return the recipient of legitimate message {@code message} to an unknown user: the upstream refuses it */
    public String unknownRecipient(final int message)
    {
        return UNKNOWN_USER_PREFIX + message + "@" + options.protectedDomain();
    }

    /** @return whether {@code address} is a legitimate sender (so a DSN to it is not backscatter) */
    public static boolean isLegitSender(final String address)
    {
        return address.toLowerCase(java.util.Locale.ROOT).endsWith("@" + PARTNER_DOMAIN);
    }

    public String legitRecipient(final int message)
    {
        return "user" + (message % 100) + "@" + options.protectedDomain();
    }

    /** @return flood message {@code message}, dot-safe, ending in CRLF */
    public byte[] floodMessage(final int message)
    {
        return content("flood-" + message, floodSender(message), floodRecipient(message),
            floodCarriesMalware() ? MALWARE_HEADER + ": EICAR-STANDARD-ANTIVIRUS-TEST-FILE\r\n" : "");
    }

    /** @return whether the flood carries the marker the upstream rejects: every flood but {@link Scenario#BULK} */
    public boolean floodCarriesMalware()
    {
        return options.floodKind() != Scenario.BULK;
    }

    /** @return legitimate message {@code message} from source {@code source}, dot-safe, ending in CRLF */
    public byte[] legitMessage(final int message, final int source)
    {
        return content("legit-" + message, legitSender(source), legitRecipient(message), "");
    }

    /** @return legitimate message {@code message} to an unknown user, dot-safe, ending in CRLF */
    public byte[] unknownUserMessage(final int message)
    {
        return content("legit-" + message, returnSender(message), unknownRecipient(message), "");
    }

    private byte[] content(final String id, final String from, final String to, final String extraHeaders)
    {
        final String headers = "From: <" + from + ">\r\n"
            + "To: <" + to + ">\r\n"
            + "Subject: flood scenario " + id + "\r\n"
            + "Message-ID: <" + id + "@bench.invalid>\r\n"
            + ID_HEADER + ": " + id + "\r\n"
            + extraHeaders
            + "\r\n";
        final byte[] head = headers.getBytes(StandardCharsets.US_ASCII);
        final byte[] bytes = new byte[head.length + padding.length];
        System.arraycopy(head, 0, bytes, 0, head.length);
        System.arraycopy(padding, 0, bytes, head.length, padding.length);
        return bytes;
    }

    /** Body lines of 76 letters and CRLF, never starting with a dot, {@code size} bytes give or take a line. */
    static byte[] padding(final int size)
    {
        final StringBuilder body = new StringBuilder(size + 80);
        int line = 0;
        while (body.length() < size)
        {
            for (int i = 0; i < 76; i++)
            {
                body.append((char)('a' + (line + i) % 26));
            }
            body.append("\r\n");
            line++;
        }
        return body.toString().getBytes(StandardCharsets.US_ASCII);
    }

    static InetAddress address(final String dotted)
    {
        try
        {
            return InetAddress.getByName(dotted);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException("not an address: " + dotted, ex);
        }
    }
}
