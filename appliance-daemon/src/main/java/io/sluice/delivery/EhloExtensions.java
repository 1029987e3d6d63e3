package io.sluice.delivery;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What an upstream server offers in its reply to EHLO (RFC 5321 §4.1.1.1): each keyword, upper case, with its
 * parameters, e.g. {@code AUTH -> "PLAIN LOGIN"}. Forgotten and read again after STARTTLS (RFC 3207 §4.2).
 */
final class EhloExtensions
{
    private final Map<String, String> offered = new HashMap<>();

    /** Forgets what was offered before and reads the keywords of a positive EHLO reply: its lines after the first. */
    void read(final UpstreamReply reply)
    {
        offered.clear();
        for (int i = 1; i < reply.lines().size(); i++)
        {
            final String line = reply.lines().get(i).trim();
            int end = 0;
            while (end < line.length() && line.charAt(end) != ' ' && line.charAt(end) != '=')
            {
                end++;
            }
            final String parameters = end < line.length() ? line.substring(end + 1).trim() : "";
            // "AUTH=LOGIN" is the pre-RFC 4954 form some servers still send beside "AUTH LOGIN".
            offered.merge(line.substring(0, end).toUpperCase(Locale.ROOT), parameters, (a, b) -> a + " " + b);
        }
    }

    void clear()
    {
        offered.clear();
    }

    /** @param keyword upper case, e.g. {@code PIPELINING}. */
    boolean offers(final String keyword)
    {
        return offered.containsKey(keyword);
    }

    /** @return the keyword's parameters as offered; "" if it has none or is not offered. */
    String parameters(final String keyword)
    {
        return offered.getOrDefault(keyword, "");
    }

    /** @return the keywords offered, for the log. */
    Set<String> keywords()
    {
        return offered.keySet();
    }
}
