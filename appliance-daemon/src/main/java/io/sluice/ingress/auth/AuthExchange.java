package io.sluice.ingress.auth;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;

/**
 * One SASL exchange after {@code AUTH} (RFC 4954 section 4), for the mechanisms PLAIN (RFC 4616) and LOGIN (the
 * de-facto one Outlook and many devices still use). The session starts it with the command's argument
 * ({@link #start}), sends the reply of each {@link Step}, and passes the client's next line to {@link #respond}
 * while the step {@link Step#continues()}; a step with {@link Step#credentials()} ends the exchange and the
 * credentials go to the {@link Authenticator}. Holds no socket and no clock; not thread-safe (one session's loop).
 *
 * <p>The client's lines are base64 of what they carry; none of them, decoded or not, is ever put in a reply or a log.
 */
public final class AuthExchange
{
    public static final String MECHANISMS = "PLAIN LOGIN";
    static final String SYNTAX = "501 5.5.4 Syntax: AUTH mechanism [initial-response]";
    static final String UNKNOWN_MECHANISM = "504 5.5.4 Unrecognized authentication type";
    static final String NOT_BASE64 = "501 5.5.2 Cannot decode response";
    static final String MALFORMED = "501 5.5.2 Malformed authentication response";
    static final String CANCELLED = "501 5.0.0 Authentication cancelled";
    private static final String USERNAME_CHALLENGE = "334 " + b64("Username:");
    private static final String PASSWORD_CHALLENGE = "334 " + b64("Password:");

    private final boolean plain;
    /** LOGIN: the user name once it has come, before the password. */
    private String loginUser;

    private AuthExchange(final boolean plain)
    {
        this.plain = plain;
    }

    /**
     * What to send next, and whether the exchange goes on.
     *
     * @param reply       the reply line: a {@code 334} challenge, or a refusal that ends the exchange; null when
     *                    credentials came and the check decides the reply
     * @param exchange    the exchange to pass the next line to while the reply is a challenge; else null
     * @param credentials what the client offered, when the exchange is complete
     */
    public record Step(String reply, AuthExchange exchange, Credentials credentials)
    {
        /** @return true while the reply is a {@code 334} challenge and the client's next line belongs to the exchange. */
        public boolean continues()
        {
            return exchange != null;
        }
    }

    /**
     * Starts an exchange from the argument of {@code AUTH}: a mechanism and, optionally, an initial response
     * (RFC 4954 section 4; {@code =} is an empty one).
     */
    public static Step start(final String argument)
    {
        final String[] words = argument.trim().split(" ");
        if (words.length == 0 || words[0].isEmpty() || words.length > 2)
        {
            return refusal(SYNTAX);
        }
        final String mechanism = words[0].toUpperCase(Locale.ROOT);
        if (!"PLAIN".equals(mechanism) && !"LOGIN".equals(mechanism))
        {
            return refusal(UNKNOWN_MECHANISM);
        }
        final AuthExchange exchange = new AuthExchange("PLAIN".equals(mechanism));
        if (words.length == 1)
        {
            return new Step(exchange.plain ? "334 " : USERNAME_CHALLENGE, exchange, null);
        }
        return exchange.respond(words[1]);
    }

    /** The client's line after a {@code 334}: base64, or {@code *} to cancel. */
    public Step respond(final String line)
    {
        final String text = line.trim();
        if ("*".equals(text))
        {
            return refusal(CANCELLED);
        }
        final byte[] bytes;
        try
        {
            bytes = "=".equals(text) ? new byte[0] : Base64.getDecoder().decode(text);
        }
        catch (final IllegalArgumentException ex)
        {
            return refusal(NOT_BASE64);
        }
        try
        {
            return plain ? plain(bytes) : login(bytes);
        }
        finally
        {
            Arrays.fill(bytes, (byte)0);
        }
    }

    /** RFC 4616: {@code [authzid] NUL authcid NUL passwd}, UTF-8. */
    private Step plain(final byte[] message)
    {
        final int first = indexOf(message, 0);
        final int second = first < 0 ? -1 : indexOf(message, first + 1);
        if (second < 0 || indexOf(message, second + 1) >= 0)
        {
            return refusal(MALFORMED);
        }
        final char[] authzid = utf8(message, 0, first);
        final char[] user = utf8(message, first + 1, second);
        final char[] password = utf8(message, second + 1, message.length);
        if (authzid == null || user == null || password == null || user.length == 0)
        {
            return refusal(MALFORMED);
        }
        return new Step(null, null, new Credentials(new String(authzid), new String(user), password));
    }

    private Step login(final byte[] response)
    {
        final char[] text = utf8(response, 0, response.length);
        if (text == null)
        {
            return refusal(MALFORMED);
        }
        if (loginUser == null)
        {
            if (text.length == 0)
            {
                return refusal(MALFORMED);
            }
            loginUser = new String(text);
            return new Step(PASSWORD_CHALLENGE, this, null);
        }
        return new Step(null, null, new Credentials("", loginUser, text));
    }

    private static Step refusal(final String reply)
    {
        return new Step(reply, null, null);
    }

    private static int indexOf(final byte[] bytes, final int from)
    {
        for (int i = from; i < bytes.length; i++)
        {
            if (bytes[i] == 0)
            {
                return i;
            }
        }
        return -1;
    }

    /** @return the UTF-8 text of {@code bytes[from, to)}, or null if it is not UTF-8. */
    private static char[] utf8(final byte[] bytes, final int from, final int to)
    {
        try
        {
            final CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes, from, to - from));
            final char[] text = new char[chars.remaining()];
            chars.get(text);
            Arrays.fill(chars.array(), '\0');
            return text;
        }
        catch (final CharacterCodingException ex)
        {
            return null;
        }
    }

    private static String b64(final String text)
    {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
    }
}
