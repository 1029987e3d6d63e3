package io.sluice.delivery;

import io.netty.handler.codec.smtp.SmtpCommand;

/**
 * One recipient probe on a pooled {@link SmtpConnection}: {@code MAIL FROM:<>}, {@code RCPT TO:<r>}, {@code RSET}, in
 * one flush when the server offers PIPELINING (RFC 2920), one at a time otherwise. DATA is never sent, so nothing can
 * be delivered; the null sender means no server sends a bounce for it either. The verdict is told as soon as the RCPT
 * is answered; the connection goes back to the pool once the RSET is.
 *
 * <p>Threads: confined to its connection's event loop.
 */
final class RecipientProbe
{
    /** The pool's side of a probe. */
    interface Listener
    {
        /** The verdict, told once, unless {@link #lost} is told instead. */
        void answered(ProbeVerdict verdict, String reply);

        /** The connection broke before any reply to the probe: nothing was learnt. */
        void lost(String why);

        /** The probe is over and the connection is idle again ({@code reusable}) or closing. */
        void ended(SmtpConnection connection, boolean reusable);
    }

    private final SmtpConnection connection;
    private final String recipient;
    private final Listener listener;
    private boolean pipelined;
    private boolean replied;
    private boolean answered;
    private UpstreamReply mailRefused;

    RecipientProbe(final SmtpConnection connection, final String recipient, final Listener listener)
    {
        this.connection = connection;
        this.recipient = recipient;
        this.listener = listener;
    }

    /**
     * @return what an upstream's reply to {@code RCPT} says about the mailbox. Only a refusal of the address itself
     *         (RFC 3463 {@code 5.1.x} but the sender's 5.1.7 and 5.1.8, or a bare 550, 551 or 553) makes it unknown: a
     *         relay that refuses the probe for policy ({@code 5.7.x}: relaying denied, authentication required) must not
     *         turn into "every user unknown".
     */
    static ProbeVerdict classify(final UpstreamReply reply)
    {
        final int code = reply.code();
        if (reply.isPositive())
        {
            return ProbeVerdict.EXISTS;
        }
        if (code >= 400 && code < 500)
        {
            return code == 421 ? ProbeVerdict.UNAVAILABLE : ProbeVerdict.TEMPFAIL;
        }
        if (code >= 500 && code < 600)
        {
            final String enhanced = reply.toDrainReply().enhancedCode();
            if (enhanced.isEmpty())
            {
                return code == 550 || code == 551 || code == 553 ? ProbeVerdict.UNKNOWN : ProbeVerdict.UNAVAILABLE;
            }
            final boolean address = enhanced.startsWith("5.1.") && !"5.1.7".equals(enhanced) && !"5.1.8".equals(enhanced);
            return address ? ProbeVerdict.UNKNOWN : ProbeVerdict.UNAVAILABLE;
        }
        return ProbeVerdict.UNAVAILABLE;
    }

    /** Sends the probe, or answers at once if the address cannot be asked about on this connection. */
    void start()
    {
        final boolean utf8 = !SmtpTransaction.isAscii(recipient);
        if (utf8 && !connection.extensions().offers("SMTPUTF8"))
        {
            answer(ProbeVerdict.UNAVAILABLE, "the address needs SMTPUTF8, which " + connection.peer() + " does not offer");
            end(true);
            return;
        }
        connection.counters().increment(DeliveryCounter.RECIPIENT_PROBES);
        if (utf8)
        {
            connection.command(SmtpCommand.MAIL, "FROM:<>", "SMTPUTF8");
        }
        else
        {
            connection.command(SmtpCommand.MAIL, "FROM:<>");
        }
        connection.expect("MAIL", connection.context().mailTimeoutMs(), this::onMail);
        pipelined = connection.offersPipelining();
        if (pipelined)
        {
            rcpt();
            rset();
        }
        connection.flush();
    }

    private void rcpt()
    {
        connection.command(SmtpCommand.RCPT, SmtpTransaction.wire("TO:<" + recipient + ">"));
        connection.expect("RCPT", connection.context().rcptTimeoutMs(), this::onRcpt);
    }

    private void rset()
    {
        connection.command(SmtpCommand.RSET);
        connection.expect("RSET", connection.context().commandTimeoutMs(), this::onRset);
    }

    private void onMail(final UpstreamReply reply)
    {
        replied = true;
        if (reply.code() == 421)
        {
            answer(ProbeVerdict.UNAVAILABLE, "MAIL answered " + reply);
            end(false);
            return;
        }
        if (!reply.isPositive())
        {
            mailRefused = reply;
        }
        if (pipelined)
        {
            return;
        }
        if (mailRefused != null)
        {
            answer(ProbeVerdict.UNAVAILABLE, "the null sender refused: " + reply);
            rset();
        }
        else
        {
            rcpt();
        }
        connection.flush();
    }

    private void onRcpt(final UpstreamReply reply)
    {
        if (mailRefused != null)
        {
            // Pipelined behind a refused MAIL: the RCPT's reply (a 503) says nothing about the mailbox.
            answer(ProbeVerdict.UNAVAILABLE, "the null sender refused: " + mailRefused);
        }
        else
        {
            answer(classify(reply), reply.toString());
        }
        if (reply.code() == 421)
        {
            end(false);
            return;
        }
        if (!pipelined)
        {
            rset();
            connection.flush();
        }
    }

    private void onRset(final UpstreamReply reply)
    {
        end(reply.isPositive());
    }

    private void answer(final ProbeVerdict verdict, final String reply)
    {
        if (!answered)
        {
            answered = true;
            listener.answered(verdict, reply);
        }
    }

    private void end(final boolean reusable)
    {
        connection.verificationEnded(reusable);
        listener.ended(connection, reusable);
    }

    /** The connection failed under the probe (the pool hears of the closed connection separately). */
    void connectionFailed(final String why)
    {
        if (answered)
        {
            return;
        }
        if (!replied)
        {
            answered = true;
            listener.lost(why);
            return;
        }
        answer(ProbeVerdict.UNAVAILABLE, why);
    }
}
