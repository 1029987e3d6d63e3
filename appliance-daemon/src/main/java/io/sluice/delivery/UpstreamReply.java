package io.sluice.delivery;

import java.util.List;

import io.sluice.drain.SmtpReply;

/**
 * One complete reply from an upstream server: its code and the text of each of its lines (without code and
 * separator). Multi-line replies ({@code 250-...} then {@code 250 ...}) arrive as one.
 *
 * @param code  the three-digit reply code
 * @param lines the text after {@code code} and its separator on each line, possibly empty
 */
record UpstreamReply(int code, List<String> lines)
{
    UpstreamReply
    {
        lines = List.copyOf(lines);
    }

    boolean isPositive()
    {
        return code >= 200 && code < 300;
    }

    boolean isIntermediate()
    {
        return code >= 300 && code < 400;
    }

    /**
     * @return the reply for the drain: the code, the RFC 3463 enhanced code of the first line if it has one, and the
     *         text of every line joined by spaces with their enhanced codes taken off.
     */
    SmtpReply toDrainReply()
    {
        String enhanced = "";
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < lines.size(); i++)
        {
            final SmtpReply line = SmtpReply.parse(code + " " + lines.get(i));
            if (i == 0)
            {
                enhanced = line.enhancedCode();
            }
            if (!line.text().isEmpty())
            {
                if (text.length() > 0)
                {
                    text.append(' ');
                }
                text.append(line.text());
            }
        }
        return SmtpReply.of(code, enhanced, text.toString());
    }

    @Override
    public String toString()
    {
        return toDrainReply().toString();
    }
}
