package io.sluice.ingress;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Generates hostile SMTP sessions from a seeded {@link Random}, so any failure is replayed by its seed. Every step is
 * raw bytes, pipelined without waiting for a reply, so the server sees them in whatever grouping TCP delivers. Steps:
 * valid transactions (dot-stuffed bodies), random commands with random arguments, lines over the limit, NULs, binary
 * garbage, bare CR/LF mixes, the SMTP smuggling variants ({@code <LF>.<LF>}, {@code <CR>.<CR>}, {@code <LF>.<CR><LF>}
 * ...) wrapped around a second, smuggled transaction whose content starts with {@link #SMUGGLED}, and mutants of
 * recorded well-formed dialogues (bytes flipped, cut, duplicated, or a CR, LF, NUL or dot slipped in). One session in
 * {@link #CLEAN_EVERY} is well-formed instead ({@link Session#clean()}): pipelined, split into reads at random places,
 * but every command valid for its source, so the oracle knows each reply and each stored envelope in advance.
 */
final class FuzzSessions
{
    /** The first header of every smuggled inner message: no stored message may start with it. */
    static final String SMUGGLED = "X-Fuzz-Smuggled: yes";

    /** Sources: the trusted 127.0.0.1 (may relay anywhere) and outside addresses (relay.test only). */
    private static final List<String> SOURCES = List.of("127.0.0.1", "127.0.9.1", "127.0.9.2", "127.0.10.7");
    private static final String TRUSTED = "127.0.0.1";
    /**
     * Well-formed sessions come from the trusted address or from /24s of their own: admission's reputation rightly
     * demotes a network that sent the hostile sessions, and a refusal for that is not the protocol's to test here.
     */
    private static final List<String> CLEAN_SOURCES = List.of(TRUSTED, "127.0.20.1", "127.0.21.5", "127.0.22.9");
    /** One session in this many is well-formed. */
    private static final int CLEAN_EVERY = 4;

    /** Senders any source may use: no spoof of the protected domain, the null sender included. */
    private static final List<String> CLEAN_SENDERS = List.of("a@outside.test", "", "first.last+tag@mail.outside.test",
        "bounces-42@lists.outside.test");
    /** Recipients every source may relay to (the relay domain), and more the trusted source may use. */
    private static final List<String> RELAY_RECIPIENTS = List.of("b@relay.test", "c@relay.test", "sales@relay.test",
        "x.y@relay.test");
    private static final List<String> TRUSTED_RECIPIENTS = List.of("d@elsewhere.test", "e@far.test");

    private static final List<String> VERBS = List.of("EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "VRFY",
        "HELP", "BDAT", "STARTTLS", "AUTH", "ETRN", "EXPN", "TURN", "XCLIENT", "data", "Mail", "rcpt", "DATA ", "MAIL FROM:");

    private static final List<String> ARGUMENTS = List.of("", " ", "FROM:<a@outside.test>", "FROM:<>", "FROM: <a@b.test> SIZE=10",
        "FROM:<a@b.test> SIZE=99999999999", "FROM:<a@b.test> BODY=8BITMIME SMTPUTF8", "FROM:<\u00fc@b.test>",
        "FROM:<\u00fc@b.test> SMTPUTF8", "FROM:a@b.test", "FROM:<@r1,@r2:a@b.test>", "FROM:<a@[127.0.0.1]>", "FROM:<a@.test>",
        "TO:<b@relay.test>", "TO:<b@elsewhere.test>", "TO:<postmaster>", "TO:<b@relay.test> NOTIFY=NEVER", "TO:<>",
        "TO:<b@relay.test", "fuzz.test", "x y z", "\u0000", "<>", "TO:<a@relay.test> SIZE=1", "FROM:<a@relay.test>",
        "TO:<\u00e9@relay.test>", ":", "FROM:<" + "a".repeat(400) + "@b.test>");

    private static final List<String> LINE_ENDS = List.of("\r\n", "\r\n", "\r\n", "\n", "\r", "\r\r\n", "");

    /** Between the two halves of a smuggling attempt: each ends data only for a lax server. */
    private static final List<String> SMUGGLING = List.of("\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n", "\r\n.\r",
        "\n.\r", "\r\n\n.\r\n", "\n\r\n.\r\n\r", "\r\n.\u0000\r\n", "\r\n .\r\n\n", "\n..\n");

    private static final List<String> BODY_LINES = List.of(".", "..", "...", "", "Subject: fuzz", "\u00e9t\u00e9 \u2603",
        "\t.", ". ", "DATA", "QUIT", "RSET", "MAIL FROM:<x@outside.test>", "RCPT TO:<y@relay.test>");

    /** Well-formed dialogues as real clients send them (pipelined), the seeds of the mutation steps. */
    private static final List<String> RECORDED = List.of(
        "EHLO client.test\r\nMAIL FROM:<a@outside.test>\r\nRCPT TO:<b@relay.test>\r\nDATA\r\n"
            + "Subject: recorded\r\n\r\nline one\r\n..stuffed\r\n.\r\n",
        "HELO client.test\r\nMAIL FROM:<> SIZE=100\r\nRCPT TO:<b@relay.test>\r\nRCPT TO:<c@relay.test>\r\nDATA\r\n"
            + "From: <>\r\n\r\nbounce\r\n.\r\nRSET\r\nNOOP\r\n",
        "EHLO client.test\r\nMAIL FROM:<a@outside.test> BODY=8BITMIME\r\nRCPT TO:<b@relay.test>\r\nDATA\r\n\u00e9\r\n.\r\n"
            + "MAIL FROM:<c@outside.test>\r\nRCPT TO:<d@relay.test>\r\nDATA\r\n.\r\n");

    private static final byte[] SPECIALS = {'\r', '\n', 0, '.', ' ', (byte)0xFF};

    private final Random random;

    FuzzSessions(final long seed)
    {
        this.random = new Random(seed);
    }

    /**
     * A session's raw bytes, as sent.
     *
     * @param source the loopback address the client connects from
     * @param steps  what it sends, in order
     * @param writes how many pieces the client writes the bytes in, a moment apart
     */
    record Session(String source, List<Step> steps, int writes, List<Transaction> transactions, List<String> expected)
    {
        Session(final String source, final List<Step> steps, final int writes)
        {
            this(source, steps, writes, List.of(), List.of());
        }

        /** @return true for a well-formed session: {@link #expected} holds every reply's start, in order. */
        boolean clean()
        {
            return !expected.isEmpty();
        }

        byte[] bytes()
        {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (final Step step : steps)
            {
                out.writeBytes(step.bytes());
            }
            return out.toByteArray();
        }
    }

    /**
     * A well-formed transaction and what must be stored for it once acknowledged.
     *
     * @param sender     the reverse-path, {@code ""} for {@code <>}
     * @param recipients the forward-paths, in order, distinct
     * @param content    the message as stored (unstuffed), before the server's trace header
     */
    record Transaction(String sender, List<String> recipients, String content)
    {
    }

    /** One generated piece of a session; its {@code toString} is what a failure report shows. */
    record Step(String kind, byte[] bytes)
    {
        static Step of(final String kind, final String text)
        {
            return new Step(kind, text.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String toString()
        {
            final String text = new String(bytes, 0, Math.min(bytes.length, 300), StandardCharsets.ISO_8859_1);
            final StringBuilder shown = new StringBuilder(kind).append('(').append(bytes.length).append(")\"");
            for (final char c : text.toCharArray())
            {
                shown.append(c == '\r' ? "\\r" : c == '\n' ? "\\n" : c < ' ' || c > '~' ? String.format("\\x%02x", (int)c)
                    : String.valueOf(c));
            }
            return shown.append(bytes.length > 300 ? "...\"" : "\"").toString();
        }
    }

    /** @return the next session: a clean one, or a hostile one (most greet first, as real clients do, then 1 to 12 steps). */
    Session next()
    {
        if (random.nextInt(CLEAN_EVERY) == 0)
        {
            return clean();
        }
        final List<Step> steps = new ArrayList<>();
        if (random.nextInt(5) > 0)
        {
            steps.add(Step.of("hello", "EHLO fuzz.test\r\n"));
        }
        final int count = 1 + random.nextInt(12);
        for (int i = 0; i < count; i++)
        {
            steps.add(step());
        }
        // One write in two, the rest in up to four pieces: replies and appends then interleave with arriving bytes.
        return new Session(pick(SOURCES), steps, random.nextBoolean() ? 1 : 2 + random.nextInt(3));
    }

    private Step step()
    {
        final int roll = random.nextInt(24);
        if (roll < 6)
        {
            return transaction();
        }
        if (roll < 11)
        {
            return command();
        }
        if (roll < 13)
        {
            return Step.of("hello", pick(List.of("EHLO fuzz.test\r\n", "HELO fuzz.test\r\n", "EHLO\r\n", "ehlo a b\r\n",
                "HELO [127.0.0.1]\r\n", "EHLO f\u00fcz.test\r\n")));
        }
        return switch (roll)
        {
            case 13 -> hugeLine();
            case 14 -> Step.of("nul", pick(List.of("\u0000\r\n", "MAIL FROM:<a\u0000@b.test>\r\n", "EHLO \u0000\r\n",
                "DATA\u0000\r\n", "RCPT TO:<b@relay.test>\u0000\r\n", "\u0000\u0000\u0000", ".\u0000\r\n")));
            case 15, 16 -> garbage();
            case 17 -> newlines();
            case 18, 19, 20 -> smuggling();
            default -> mutant();
        };
    }

    /**
     * EHLO, one to four well-formed transactions with an RSET or NOOP now and then, QUIT; the expected replies are those
     * of RFC 5321 for each command (the EHLO's multi-line reply counted once, by its last line).
     */
    private Session clean()
    {
        final String source = pick(CLEAN_SOURCES);
        final List<Step> steps = new ArrayList<>();
        final List<Transaction> transactions = new ArrayList<>();
        final List<String> expected = new ArrayList<>(List.of("220 ", "250 "));
        steps.add(Step.of("hello", pick(List.of("EHLO fuzz.test\r\n", "EHLO [127.0.0.1]\r\n"))));
        final int count = 1 + random.nextInt(4);
        for (int t = 0; t < count; t++)
        {
            if (random.nextInt(4) == 0)
            {
                steps.add(Step.of("command", pick(List.of("RSET\r\n", "NOOP\r\n"))));
                expected.add("250 ");
            }
            final List<String> allowed = new ArrayList<>(RELAY_RECIPIENTS);
            if (TRUSTED.equals(source))
            {
                allowed.addAll(TRUSTED_RECIPIENTS);
            }
            Collections.shuffle(allowed, random);
            final Transaction transaction =
                new Transaction(pick(CLEAN_SENDERS), List.copyOf(allowed.subList(0, 1 + random.nextInt(3))), asciiBody());
            final StringBuilder text = new StringBuilder("MAIL FROM:<").append(transaction.sender()).append(">\r\n");
            expected.add("250 ");
            for (final String recipient : transaction.recipients())
            {
                text.append("RCPT TO:<").append(recipient).append(">\r\n");
                expected.add("250 ");
            }
            text.append("DATA\r\n").append(stuffed(transaction.content())).append(".\r\n");
            expected.add("354 ");
            expected.add("250 2.0.0 Ok: queued as ");
            steps.add(Step.of("clean", text.toString()));
            transactions.add(transaction);
        }
        expected.add("221 ");
        return new Session(source, steps, random.nextBoolean() ? 1 : 2 + random.nextInt(6), transactions, expected);
    }

    /** Like {@link #body()} but 7-bit only (8-bit data needs {@code BODY=8BITMIME}); dots and command-like lines kept. */
    private String asciiBody()
    {
        final StringBuilder body = new StringBuilder();
        final int lines = random.nextInt(30);
        for (int i = 0; i < lines; i++)
        {
            final int kind = random.nextInt(3);
            final String line = kind == 0 ? pick(BODY_LINES) : (kind == 1 ? "." : "") + printable(random.nextInt(80));
            body.append(line.chars().allMatch(c -> c < 128) ? line : "8-bit line left out").append("\r\n");
        }
        return body.toString();
    }

    /** MAIL, RCPT (one to three), DATA and a dot-stuffed body, as a pipelining client sends them. */
    private Step transaction()
    {
        final StringBuilder text = new StringBuilder("MAIL FROM:<")
            .append(pick(List.of("a@outside.test", "", "b@relay.test"))).append(">\r\n");
        final int recipients = 1 + random.nextInt(3);
        for (int i = 0; i < recipients; i++)
        {
            text.append("RCPT TO:<").append(pick(List.of("b@relay.test", "c@relay.test", "d@elsewhere.test"))).append(">\r\n");
        }
        return Step.of("transaction", text.append("DATA\r\n").append(stuffed(body())).append(".\r\n").toString());
    }

    /** Lines of printable text, some starting with dots, some empty, some 8-bit or command-like; ends with CRLF. */
    private String body()
    {
        final StringBuilder body = new StringBuilder();
        final int lines = random.nextInt(30);
        for (int i = 0; i < lines; i++)
        {
            final int kind = random.nextInt(3);
            body.append(kind == 0 ? pick(BODY_LINES) : (kind == 1 ? "." : "") + printable(random.nextInt(80))).append("\r\n");
        }
        return body.toString();
    }

    private static String stuffed(final String body)
    {
        return (body.startsWith(".") ? "." : "") + body.replace("\r\n.", "\r\n..");
    }

    private Step command()
    {
        final String argument = pick(ARGUMENTS);
        return Step.of("command", pick(VERBS) + (argument.isEmpty() ? "" : " " + argument) + pick(LINE_ENDS));
    }

    /** Over the 2,048-byte line limit: mostly a few KiB, sometimes hundreds. */
    private Step hugeLine()
    {
        final int length = random.nextInt(20) == 0 ? 100_000 + random.nextInt(300_000) : 2_000 + random.nextInt(18_000);
        return Step.of("huge", pick(List.of("MAIL FROM:<", "RCPT TO:<", "", "EHLO ")) + "x".repeat(length) + pick(LINE_ENDS));
    }

    private Step garbage()
    {
        final byte[] bytes = new byte[1 + random.nextInt(2_048)];
        random.nextBytes(bytes);
        return new Step("garbage", bytes);
    }

    private Step newlines()
    {
        final StringBuilder text = new StringBuilder();
        final int length = 1 + random.nextInt(40);
        for (int i = 0; i < length; i++)
        {
            text.append("\r\n. a".charAt(random.nextInt(5)));
        }
        return Step.of("newlines", text.toString());
    }

    /**
     * A complete transaction whose body hides a second one behind a smuggling variant: one DATA as a strict server
     * sees it, two as a lax one does. It starts by ending any partial line and resetting, so the outer DATA is
     * accepted whatever came before (unless earlier bytes left the server in DATA, which only makes it longer data).
     */
    private Step smuggling()
    {
        return Step.of("smuggling",
            "\r\nRSET\r\nEHLO smuggler.test\r\nMAIL FROM:<a@outside.test>\r\nRCPT TO:<b@relay.test>\r\nDATA\r\n"
                + "Subject: outer\r\n\r\n" + pick(List.of("outer", "", ".dot")) + pick(SMUGGLING)
                + "MAIL FROM:<evil@outside.test>\r\nRCPT TO:<victim@relay.test>\r\nDATA\r\n"
                + SMUGGLED + "\r\n\r\nsmuggled\r\n.\r\n");
    }

    /** A recorded dialogue with one to four mutations: a byte changed, a span cut or doubled, a special byte slipped in. */
    private Step mutant()
    {
        byte[] bytes = pick(RECORDED).getBytes(StandardCharsets.UTF_8);
        final int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations && bytes.length > 1; m++)
        {
            final int at = random.nextInt(bytes.length);
            final int span = Math.min(bytes.length - at, 1 + random.nextInt(16));
            bytes = switch (random.nextInt(4))
            {
                case 0 -> replaced(bytes, at, (byte)random.nextInt(256));
                case 1 -> replaced(bytes, at, SPECIALS[random.nextInt(SPECIALS.length)]);
                case 2 -> joined(Arrays.copyOfRange(bytes, 0, at), Arrays.copyOfRange(bytes, at + span, bytes.length));
                default -> joined(Arrays.copyOfRange(bytes, 0, at + span), Arrays.copyOfRange(bytes, at, bytes.length));
            };
        }
        return new Step("mutant", bytes);
    }

    private static byte[] replaced(final byte[] bytes, final int at, final byte value)
    {
        final byte[] copy = bytes.clone();
        copy[at] = value;
        return copy;
    }

    private static byte[] joined(final byte[] first, final byte[] second)
    {
        final byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    private String printable(final int length)
    {
        final char[] chars = new char[length];
        for (int i = 0; i < length; i++)
        {
            chars[i] = (char)(' ' + random.nextInt(95));
        }
        return new String(chars);
    }

    private <T> T pick(final List<T> values)
    {
        return values.get(random.nextInt(values.size()));
    }
}
