package io.sluice.drain;

import java.util.Objects;

/**
 * The upstream's answer for one recipient, as the delivery layer saw it: the SMTP reply code, the RFC 3463
 * enhanced status code when the server sent one, and the text. Failures below SMTP (no connection, a
 * connection lost before the reply) are expressed as synthetic replies, so one classifier handles them all.
 *
 * @param code              the three-digit reply code
 * @param enhancedCode      the RFC 3463 code ({@code class.subject.detail}, e.g. {@code 4.7.0}), or empty
 * @param text              the reply text, without code and enhanced code; may be empty
 * @param connectionFailure true when the reply was made up by the delivery layer because the connection failed
 */
public record SmtpReply(int code, String enhancedCode, String text, boolean connectionFailure)
{
    /** Longest reply text kept; journal details and logs need the gist, not a multi-kilobyte banner. */
    static final int MAX_TEXT = 400;

    public SmtpReply
    {
        if (code < 100 || code > 599)
        {
            throw new IllegalArgumentException("an SMTP reply code is 100 to 599: " + code);
        }
        Objects.requireNonNull(enhancedCode, "enhancedCode");
        Objects.requireNonNull(text, "text");
        if (text.length() > MAX_TEXT)
        {
            text = text.substring(0, MAX_TEXT);
        }
    }

    public static SmtpReply of(final int code, final String enhancedCode, final String text)
    {
        return new SmtpReply(code, enhancedCode == null ? "" : enhancedCode, text == null ? "" : text, false);
    }

    /**
     * The route could not be reached: refused, timed out or TLS failed before any transaction began. Counts as
     * throttling (the "connection refused"): an overwhelmed relay refuses connections first.
     */
    public static SmtpReply connectionRefused(final String why)
    {
        return new SmtpReply(421, "4.4.1", why == null ? "" : why, true);
    }

    /**
     * The connection broke during a transaction, before the final reply. Deferred, not throttling. If it broke
     * after the data was sent, the upstream may have taken the message: the retry can deliver it twice, which is
     * the one duplicate the at-least-once contract allows.
     */
    public static SmtpReply connectionLost(final String why)
    {
        return new SmtpReply(451, "4.4.2", why == null ? "" : why, true);
    }

    /**
     * The route's session could not be set up the way it is configured: TLS required but not offered or its handshake
     * failed, or the upstream refused our credentials. Deferred, never failed (the recipients are not at fault) and not
     * throttling either, though its class is {@code 4.7}: the relay asked nothing about our rate, so the route's rate
     * stays; the delivery layer pauses the route instead.
     *
     * @param enhancedCode the RFC 3463 code that says what went wrong, class 4 (e.g. {@code 4.7.8} for credentials)
     * @param why          what happened, for the journal and the operator
     */
    public static SmtpReply routeProblem(final String enhancedCode, final String why)
    {
        return new SmtpReply(454, enhancedCode, why == null ? "" : why, true);
    }

    /**
     * Parses the last line of a reply, e.g. {@code "421 4.7.0 Try again later"} or {@code "550-5.7.1 Spam"}.
     *
     * @throws IllegalArgumentException if it does not start with a reply code.
     */
    public static SmtpReply parse(final String line)
    {
        Objects.requireNonNull(line, "line");
        if (line.length() < 3 || !Character.isDigit(line.charAt(0)) || !Character.isDigit(line.charAt(1))
            || !Character.isDigit(line.charAt(2)) || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-'))
        {
            throw new IllegalArgumentException("not an SMTP reply: " + line);
        }
        final int code = Integer.parseInt(line.substring(0, 3));
        String rest = line.length() > 4 ? line.substring(4).trim() : "";
        String enhanced = "";
        final int space = rest.indexOf(' ');
        final String first = space < 0 ? rest : rest.substring(0, space);
        if (isEnhancedCode(first) && first.charAt(0) == line.charAt(0))
        {
            enhanced = first;
            rest = space < 0 ? "" : rest.substring(space + 1).trim();
        }
        return new SmtpReply(code, enhanced, rest, false);
    }

    /**
     * RFC 3463's {@code class.subject.detail}: class 2, 4 or 5, then one to three digits twice. Checked in place: a split
     * and a stream per reply line were about 740 of the 15,000 bytes each delivered message allocated (issue 21, session
     * 7's JFR).
     */
    private static boolean isEnhancedCode(final String text)
    {
        if (text.length() < 5 || text.charAt(1) != '.' || "245".indexOf(text.charAt(0)) < 0)
        {
            return false;
        }
        final int second = text.indexOf('.', 2);
        return second > 0 && isDigits(text, 2, second) && isDigits(text, second + 1, text.length());
    }

    /** @return true if {@code text} from {@code from} to {@code to} is one to three digits */
    private static boolean isDigits(final String text, final int from, final int to)
    {
        if (to - from < 1 || to - from > 3)
        {
            return false;
        }
        for (int i = from; i < to; i++)
        {
            if (!Character.isDigit(text.charAt(i)))
            {
                return false;
            }
        }
        return true;
    }

    /** @return true for {@code 2xx}: the upstream took the recipient. */
    public boolean isPositive()
    {
        return code >= 200 && code < 300;
    }

    /** @return true for {@code 5xx}: a definite verdict, never retried. */
    public boolean isPermanent()
    {
        return code >= 500;
    }

    /**
     * @return true when the upstream asks us to slow down: {@link #isThrottling(boolean)} for a reply that is not the
     *         first one a reused connection heard (a greeting, a reply in a fresh session or in a transaction under way).
     */
    public boolean isThrottling()
    {
        return isThrottling(false);
    }

    /**
     * Whether the upstream asks us to slow down, by RFC 3463's enhanced codes where it sends one; the one predicate
     * the drain (rate learner, requeue) and delivery (is a {@code 421} on a pooled connection a throttle or the server
     * closing its idle end?) both go by. The table is in docs/drain-and-delivery.md.
     *
     * <ul>
     * <li>Any transient reply whose code asks it: class {@code 4.7} (security or policy: {@code 450 4.7.0},
     * {@code 451 4.7.1}, {@code 421 4.7.0} as Gmail and Yahoo refuse the excess, Microsoft's {@code 451 4.7.500}
     * "server busy") or {@code 4.4.5}, RFC 3463's "system congestion", wherever it comes.</li>
     * <li>{@code 421} otherwise (RFC 5321 section 3.8, "service not available, closing"): at a greeting, or as a
     * refused connection ({@link #connectionRefused}), the server is shedding load, and so in a session under way.
     * Not as the first reply on a reused connection: a server closes an idle connection with a {@code 421}
     * ({@code 421 4.4.2} for Postfix's timeout, {@code 421 4.3.2} at its shutdown, a bare {@code 421} from servers
     * without enhanced codes) that may cross our next command; there it is a throttle only by the codes above.</li>
     * <li>Never: the recipient's own {@code 4.2.x} (mailbox busy, full, or receiving too fast), the upstream's system
     * ({@code 4.3.x}) short of a {@code 421}, a connection lost in a transaction ({@code 4.4.2}), a
     * {@link #routeProblem}.</li>
     * </ul>
     *
     * @param firstOnReusedConnection whether this is the first reply of a transaction on a connection kept open from
     *                                an earlier one
     */
    public boolean isThrottling(final boolean firstOnReusedConnection)
    {
        if (code == 421 && !firstOnReusedConnection)
        {
            return true;
        }
        return !connectionFailure && code >= 400 && code < 500
            && (enhancedCode.startsWith("4.7.") || "4.4.5".equals(enhancedCode));
    }

    /** @return true for a permanent policy rejection ({@code 5.7.x}): the upstream refuses this mail as abusive. */
    public boolean isPolicyRejection()
    {
        return isPermanent() && enhancedCode.startsWith("5.7.");
    }

    /** @return the reply as a line, e.g. {@code 421 4.7.0 Try again later}: what is journaled as the detail. */
    @Override
    public String toString()
    {
        final StringBuilder line = new StringBuilder(8 + enhancedCode.length() + text.length()).append(code);
        if (!enhancedCode.isEmpty())
        {
            line.append(' ').append(enhancedCode);
        }
        if (!text.isEmpty())
        {
            line.append(' ').append(text);
        }
        return line.toString();
    }
}
