package io.sluice.ingress;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.sluice.admission.AdmissionCounter;
import io.sluice.admission.Decision;
import io.sluice.admission.ReputationEvent;
import io.sluice.admission.SourceClass;
import io.sluice.admission.SpoofVerdict;
import io.sluice.ingress.tls.SessionTls;
import io.sluice.spool.AppendResult;
import io.sluice.spool.Envelope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SMTP session's state machine (RFC 5321 §4.1.4 command order), on its channel's event loop.
 *
 * <p>Admission is asked at the cheapest point: the connection before the greeting, the message at MAIL,
 * each recipient at RCPT, so a flood is refused in-session before any DATA is read and never accepted to
 * be bounced later (backscatter). The {@code 250} for a message is sent only when the spool's append
 * future completes, i.e. after the msync that covers it. A recipient in a relay domain whose route verifies
 * recipients is answered only when its upstream has ({@link RecipientVerification}). While an append or a
 * verification is pending, further pipelined commands (RFC 2920) wait in arrival order, so replies keep their order.
 */
final class SmtpSession extends ChannelInboundHandlerAdapter
{
    private static final Logger LOG = LoggerFactory.getLogger(SmtpSession.class);
    private static final int CRLF = ('\r' << 8) | '\n';
    /**
     * One line per transaction that reached the end of DATA, with the queue id, as operators grep Postfix's
     * maillog. Refusals at connect, MAIL and RCPT are counted by reason instead: a flood makes thousands a second.
     */
    private static final Logger MAILLOG = LoggerFactory.getLogger("io.sluice.maillog");
    /** The listener is stopping: finish the transaction in progress, if any, then say 421 and close. */
    static final Object SHUTDOWN = new Object();

    private final IngressServices services;
    private final IngressContext context;
    private final SmtpFrameDecoder decoder;
    /** The socket this session came in on: what it demands (STARTTLS, authentication) before MAIL. */
    private final Listener listener;
    private SessionTls tls;
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private InetAddress client;
    private String clientText;
    private boolean trusted;
    private boolean notificationSource;
    private String tenant;
    private boolean slotHeld;
    private boolean closing;
    private boolean appending;
    /** A recipient's verification is pending: its RCPT reply, and every command behind it, wait for the verdict. */
    private boolean verifying;
    private boolean shuttingDown;
    private String sessionId;
    private int transactions;
    private String helo;
    private boolean esmtp;
    private String sender;
    private boolean smtputf8;
    private boolean eightBitMime;
    private final List<String> recipients = new ArrayList<>();
    private boolean suspect;
    /** A recipient drew the spoof action QUARANTINE: the message is held in the spool as it arrives. */
    private boolean quarantine;
    /** The class admission gave the transaction at MAIL FROM (SUSPECT is {@link #suspect}, per recipient). */
    private SourceClass sourceClass;
    private int commands;
    private int badCommands;
    /**
     * The last MAIL FROM was refused (a rate limit, a pause, a bad address): a pipelining client (RFC 2920 section 3.1)
     * has already sent its RCPT and DATA behind it, and their {@code 503} is our refusal's echo, not the client's fault,
     * so it neither counts towards {@code smtp.maxBadCommands} nor costs the source reputation. Counting it demoted a
     * single busy sender after its first rate-limited minute (two bad points per refused MAIL).
     */
    private boolean mailRefused;
    private ByteBuf data;
    private ScheduledFuture<?> dataTimeout;
    /** SMTP AUTH: the exchange, the pending check, the user once authenticated. */
    private final SessionAuth auth;

    SmtpSession(final IngressServices services, final SmtpFrameDecoder decoder, final Listener listener)
    {
        this.services = services;
        this.context = services.context();
        this.decoder = decoder;
        this.listener = listener;
        this.auth = new SessionAuth(services.authenticator());
    }

    /**
     * @return true once this connection is encrypted: its TLS handshake completed after STARTTLS, or on the
     *         implicit-TLS listener. AUTH asks it before it takes a password.
     */
    boolean secure()
    {
        return tls.secure();
    }

    /** @return true once the client has authenticated (SMTP AUTH, RFC 4954): a submission listener takes its MAIL. */
    boolean authenticated()
    {
        return auth.user() != null;
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx)
    {
        this.ctx = ctx;
        this.tls = new SessionTls(ctx.channel(), listener.startTls(), services.tls());
        if (context.proxyProtocol())
        {
            // The greeting waits for the PROXY header: the real client is only known then.
            return;
        }
        begin(((InetSocketAddress)ctx.channel().remoteAddress()).getAddress());
    }

    private void begin(final InetAddress address)
    {
        client = address;
        clientText = "[" + address.getHostAddress() + "]";
        sessionId = services.nextSessionId();
        if (!services.limiter().tryAcquire(address))
        {
            reply(SmtpReply.TOO_MANY_CONNECTIONS);
            flush();
            return;
        }
        slotHeld = true;
        if (services.isPaused())
        {
            reply(SmtpReply.PAUSED);
            flush();
            return;
        }
        trusted = services.policy().isTrusted(address);
        notificationSource = services.policy().isNotificationSource(address);
        tenant = services.policy().tenantOf(address);
        // Trust first: under backpressure the appliance's own senders keep their reserved share.
        final Decision decision = services.admission().admitConnection(address, trusted);
        if (!decision.isAccepted())
        {
            LOG.debug("{} refused at connect: {} {}", clientText, decision.verdict(), decision.detail());
            reply(SmtpReply.refuseConnection(decision));
            flush();
            return;
        }
        reply(SmtpReply.greeting(context.hostname()));
        flush();
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        if (msg instanceof HAProxyMessage proxy)
        {
            onProxyHeader(proxy);
            return;
        }
        if (closing || client == null)
        {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (busy())
        {
            waiting.add(msg);
            return;
        }
        handle(msg);
        if (shuttingDown && !busy() && !decoder.inData())
        {
            // A message refused at its end (too big, bare LF) while stopping: nothing is in progress any more.
            reply(SmtpReply.SHUTTING_DOWN);
        }
    }

    private void onProxyHeader(final HAProxyMessage proxy)
    {
        try
        {
            if (client != null || proxy.sourceAddress() == null)
            {
                return;
            }
            // PROXY v1/v2 carries a literal address; no name is ever resolved here.
            begin(InetAddress.getByName(proxy.sourceAddress()));
        }
        catch (final IOException ex)
        {
            LOG.debug("unusable PROXY header from {}", ctx.channel().remoteAddress(), ex);
            ctx.close();
        }
        finally
        {
            proxy.release();
        }
    }

    @Override
    public void channelReadComplete(final ChannelHandlerContext ctx)
    {
        flush();
    }

    private void handle(final Object msg)
    {
        if (msg instanceof SmtpFrameDecoder.CommandLine line && auth.inExchange())
        {
            // The answer to a 334: base64 for the exchange, never a command (and never logged).
            authenticate(auth.respond(line.text(), client));
            decoder.releaseHold();
        }
        else if (msg instanceof SmtpFrameDecoder.CommandLine line)
        {
            if (++commands > context.maxCommands())
            {
                reply(SmtpReply.TOO_MANY_COMMANDS);
            }
            else
            {
                command(line.text());
            }
            // A DATA line held the decoder until now: unless it started data, what follows is commands again.
            decoder.releaseHold();
        }
        else if (msg instanceof SmtpFrameDecoder.LineTooLong)
        {
            auth.abandon();
            bad(SmtpReply.LINE_TOO_LONG);
        }
        else if (msg instanceof SmtpFrameDecoder.DataEnd end)
        {
            endOfData(end);
        }
    }

    private void command(final String line)
    {
        final int space = line.indexOf(' ');
        final String verb = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
        final String argument = space < 0 ? "" : line.substring(space + 1);
        switch (verb)
        {
            case "EHLO" -> hello(argument, true);
            case "HELO" -> hello(argument, false);
            case "MAIL" -> mail(argument);
            case "RCPT" -> recipient(argument);
            case "DATA" -> data(argument);
            case "AUTH" -> authenticate(auth.command(argument, client, secure(), helo != null && esmtp, sender != null));
            case "RSET" ->
            {
                resetTransaction();
                reply(SmtpReply.RESET_OK);
            }
            case "NOOP" -> reply(SmtpReply.OK);
            case "VRFY" -> reply(SmtpReply.VRFY);
            case "HELP" -> reply(SmtpReply.HELP);
            case "QUIT" -> reply(SmtpReply.BYE);
            case "STARTTLS" -> startTls(argument);
            default -> bad(SmtpReply.UNRECOGNIZED);
        }
    }

    private void hello(final String argument, final boolean extended)
    {
        final String name = argument.trim();
        if (name.isEmpty() || !isVisibleAscii(name))
        {
            bad(SmtpReply.SYNTAX);
            return;
        }
        resetTransaction();
        helo = name;
        esmtp = extended;
        reply(extended
            ? SmtpReply.ehlo(context.hostname(), clientText, context.maxMessageBytes(), ehloExtensions())
            : SmtpReply.helo(context.hostname()));
    }

    /** A loop, not chars().allMatch: EHLO comes once a message from clients that connect for each. */
    private static boolean isVisibleAscii(final String text)
    {
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            if (c <= ' ' || c >= 0x7F)
            {
                return false;
            }
        }
        return true;
    }

    private void mail(final String argument)
    {
        mailRefused = sender == null;
        openTransaction(argument);
        mailRefused &= sender == null;
    }

    private void openTransaction(final String argument)
    {
        if (helo == null)
        {
            bad(SmtpReply.HELO_FIRST);
            return;
        }
        if (tls.required() || (listener.authenticationRequired() && !authenticated()))
        {
            // What this listener demands first: STARTTLS under smtp.tls.mode=require, AUTH on the submission ones.
            reply(tls.required() ? SmtpReply.STARTTLS_FIRST : SmtpReply.AUTHENTICATION_REQUIRED);
            return;
        }
        if (sender != null)
        {
            bad(SmtpReply.NESTED_MAIL);
            return;
        }
        final MailPath path = MailPath.parse(argument, "FROM");
        if (path == null)
        {
            bad(SmtpReply.BAD_SENDER_ADDRESS);
            return;
        }
        final MailParameters parameters = MailParameters.parse(path.parameters(), esmtp);
        if (parameters == null)
        {
            bad(SmtpReply.UNKNOWN_PARAMETER);
            return;
        }
        if (!path.isAscii() && !parameters.smtputf8())
        {
            bad(SmtpReply.UTF8_NOT_REQUESTED);
            return;
        }
        if (services.isPaused())
        {
            reply(SmtpReply.PAUSED_TRANSACTION);
            return;
        }
        final SmtpReply userRefusal = auth.refuseSender(path.address());
        if (userRefusal != null)
        {
            reply(userRefusal);
            return;
        }
        if (parameters.declaredSize() > context.maxMessageBytes())
        {
            services.admission().record(AdmissionCounter.TOO_BIG);
            reply(SmtpReply.SIZE_EXCEEDED);
            return;
        }
        // Before the buckets: a sender refused by name takes no token from anyone's budget.
        if (services.policy().rules().isBlockedSender(path.address()))
        {
            services.admission().record(AdmissionCounter.SENDER_BLOCKED);
            learn(ReputationEvent.REFUSED_COMMAND);
            reply(SmtpReply.SENDER_BLOCKED);
            return;
        }
        // An authenticated user is judged by its tenant, not by its address's reputation.
        final SourceClass standing = authenticated() ? SourceClass.AUTHENTICATED
            : services.admission().classOf(client, trusted);
        final Decision decision = services.admission().admitMessage(client, standing, tenant, path.domain(), baseLane());
        if (!decision.isAccepted())
        {
            reply(SmtpReply.refuseTransaction(decision));
            return;
        }
        sender = path.address();
        sourceClass = standing;
        smtputf8 = parameters.smtputf8();
        eightBitMime = parameters.eightBitMime();
        reply(SmtpReply.SENDER_OK);
    }

    /** @return the EHLO keywords that depend on this session's listener and state: STARTTLS, AUTH. */
    private List<String> ehloExtensions()
    {
        final List<String> extensions = new ArrayList<>(2);
        if (tls.offered())
        {
            extensions.add(SmtpReply.STARTTLS_KEYWORD);
        }
        if (auth.offered(client, secure()))
        {
            extensions.add(SessionAuth.KEYWORD);
        }
        return extensions;
    }

    /**
     * STARTTLS (RFC 3207): {@code 220}, then the TLS handshake. Nothing the client sent in clear text after the command
     * may be read as a command once TLS is on (CVE-2011-0411): if anything is buffered behind it, the session ends.
     */
    private void startTls(final String argument)
    {
        if (!argument.isBlank() && tls.offered())
        {
            bad(SmtpReply.SYNTAX);
            return;
        }
        switch (tls.start(!waiting.isEmpty() || decoder.hasBuffered(), this::tlsStarted))
        {
            case STARTED -> reply(SmtpReply.READY_FOR_TLS);
            case ALREADY_ACTIVE -> bad(SmtpReply.TLS_ALREADY_ACTIVE);
            case NOT_OFFERED -> bad(SmtpReply.UNRECOGNIZED);
            default ->
            {
                LOG.info("{} pipelined commands after STARTTLS in clear text; discarded, closing", clientText);
                reply(SmtpReply.CLEAR_TEXT_AFTER_STARTTLS);
            }
        }
    }

    /** RFC 3207 section 4.2: what the client said before TLS is forgotten; it starts again with EHLO. */
    private void tlsStarted()
    {
        helo = null;
        esmtp = false;
        resetTransaction();
        auth.forget();
        tenant = services.policy().tenantOf(client);
    }

    private String baseLane()
    {
        return notificationSource ? SourcePolicy.LANE_NOTIFICATIONS : SourcePolicy.LANE_MAIL;
    }

    private void recipient(final String argument)
    {
        if (sender == null)
        {
            withoutMail();
            return;
        }
        final MailPath path = MailPath.parse(argument, "TO");
        if (path == null || path.address().isEmpty())
        {
            bad(SmtpReply.BAD_ADDRESS);
            return;
        }
        if (!path.parameters().isEmpty())
        {
            bad(SmtpReply.UNKNOWN_PARAMETER);
            return;
        }
        if (!path.isAscii() && !smtputf8)
        {
            bad(SmtpReply.UTF8_NOT_REQUESTED);
            return;
        }
        if (recipients.size() >= context.maxRecipients())
        {
            reply(SmtpReply.TOO_MANY_RECIPIENTS);
            return;
        }
        if (!trusted && !authenticated() && !services.policy().isRelayDomain(path.domain()))
        {
            services.admission().record(AdmissionCounter.RELAY_DENIED);
            learn(ReputationEvent.REFUSED_COMMAND);
            reply(SmtpReply.RELAY_DENIED);
            return;
        }
        // What would only bounce later is refused now, to the real client.
        if (services.policy().rules().isUnknownRecipient(path.address()))
        {
            services.admission().record(AdmissionCounter.RECIPIENT_UNKNOWN);
            learn(ReputationEvent.UNKNOWN_RECIPIENT);
            reply(SmtpReply.RECIPIENT_UNKNOWN);
            return;
        }
        // An authenticated user's sender is not forged: it vouched for it with a password.
        final SpoofVerdict spoof = services.admission().classify(trusted || authenticated(), sender, path.address());
        if (spoof != SpoofVerdict.PASS)
        {
            // The flood's own signature: its network is demoted after a handful, its other mail tempfailed.
            learn(ReputationEvent.SPOOF);
        }
        // Without a quarantine to keep it in, QUARANTINE must not forward the spoof: it is refused.
        if (spoof == SpoofVerdict.REFUSE || (spoof == SpoofVerdict.QUARANTINE && services.quarantine() == null))
        {
            reply(SmtpReply.SPOOF_REFUSED);
            return;
        }
        final boolean suspected = spoof == SpoofVerdict.SUSPECT || spoof == SpoofVerdict.QUARANTINE;
        if (suspected && !suspect)
        {
            // Once per transaction: suspect mail draws on the suspect buckets of its address and network.
            final Decision suspectDecision = services.admission().admitSuspect(client);
            if (!suspectDecision.isAccepted())
            {
                reply(SmtpReply.refuseTransaction(suspectDecision));
                return;
            }
        }
        final Decision decision = services.admission().admitRecipient(client, trusted, tenant);
        if (!decision.isAccepted())
        {
            reply(SmtpReply.refuseTransaction(decision));
            return;
        }
        // Last, once everything cheap has passed: a probe costs the upstream a RCPT and the route a token of its budget.
        if (services.verification() != RecipientVerification.NONE && services.policy().isRelayDomain(path.domain()))
        {
            final CompletionStage<RecipientVerification.Verdict> verdict =
                services.verification().verify(tenant, lane(suspect || suspected), path.address());
            if (verdict != null)
            {
                awaitVerdict(path.address(), spoof, verdict.toCompletableFuture());
                return;
            }
        }
        take(path.address(), spoof);
    }

    private void take(final String address, final SpoofVerdict spoof)
    {
        suspect |= spoof == SpoofVerdict.SUSPECT || spoof == SpoofVerdict.QUARANTINE;
        // One quarantined recipient holds the whole message: it is one envelope in the spool.
        quarantine |= spoof == SpoofVerdict.QUARANTINE;
        recipients.add(address);
        reply(SmtpReply.RECIPIENT_OK);
    }

    /** Answers the RCPT now if the verdict is known, or once it is, on this session's event loop. */
    private void awaitVerdict(final String address, final SpoofVerdict spoof,
        final CompletableFuture<RecipientVerification.Verdict> verdict)
    {
        if (verdict.isDone())
        {
            verified(address, spoof, verdict.isCompletedExceptionally() ? null : verdict.getNow(null));
            return;
        }
        verifying = true;
        // Nothing more is read meanwhile (up to recipients.verify.timeoutMs): a client pipelining without end waits in
        // its own socket buffer, not in this session's queue.
        ctx.channel().config().setAutoRead(false);
        verdict.whenComplete((answer, failure) -> onLoop(() ->
        {
            verifying = false;
            if (closing)
            {
                return;
            }
            verified(address, spoof, answer);
            resume();
            if (!verifying && !closing)
            {
                // Unless a recipient pipelined behind it waits for its own verdict now.
                ctx.channel().config().setAutoRead(true);
            }
        }));
    }

    private void onLoop(final Runnable task)
    {
        try
        {
            ctx.executor().execute(task);
        }
        catch (final RejectedExecutionException ex)
        {
            LOG.debug("{} verdict arrived after the listener stopped", clientText);
        }
    }

    private void verified(final String address, final SpoofVerdict spoof, final RecipientVerification.Verdict verdict)
    {
        final SmtpReply refusal = SmtpReply.forVerdict(verdict, context, address);
        if (refusal == null)
        {
            take(address, spoof);
            return;
        }
        if (verdict == RecipientVerification.Verdict.UNKNOWN)
        {
            // Refused to the real client now: no DSN will ever be needed for it.
            learn(ReputationEvent.UNKNOWN_RECIPIENT);
        }
        reply(refusal);
    }

    /** The lane the transaction's message goes to: the spoof pattern to the suspect lane the drain serves last. */
    private String lane(final boolean suspectMail)
    {
        if (notificationSource)
        {
            return SourcePolicy.LANE_NOTIFICATIONS;
        }
        return suspectMail ? SourcePolicy.LANE_SUSPECT : SourcePolicy.LANE_MAIL;
    }

    /** True while a reply is pending (an append, a verification, a password check): pipelined commands wait behind it. */
    private boolean busy()
    {
        return appending || verifying || auth.isChecking();
    }

    /** Sends an AUTH reply now, or once the password check off the loop answers, on this session's loop. */
    private void authenticate(final SessionAuth.Outcome outcome)
    {
        if (outcome.pending() == null)
        {
            reply(outcome.reply());
            return;
        }
        // Nothing more is read meanwhile: what the client pipelined waits in its socket buffer.
        ctx.channel().config().setAutoRead(false);
        outcome.pending().whenComplete((result, failure) -> onLoop(() ->
        {
            final SmtpReply reply = auth.checked(result);
            if (closing)
            {
                return;
            }
            tenant = auth.tenant(tenant);
            reply(reply);
            resume();
            if (!busy() && !closing)
            {
                ctx.channel().config().setAutoRead(true);
            }
        }));
    }

    private void data(final String argument)
    {
        if (!argument.isBlank())
        {
            bad(SmtpReply.SYNTAX);
            return;
        }
        if (sender == null)
        {
            withoutMail();
            return;
        }
        if (recipients.isEmpty())
        {
            reply(SmtpReply.NO_VALID_RECIPIENTS);
            return;
        }
        transactions++;
        data = ctx.alloc().heapBuffer(16 * 1024);
        final int headerBytes = writeReceivedHeader(data);
        decoder.startData(data, context.maxMessageBytes() + headerBytes);
        dataTimeout = ctx.executor().schedule(this::dataTimedOut, context.dataTimeoutMs(), TimeUnit.MILLISECONDS);
        reply(SmtpReply.START_DATA);
    }

    /**
     * RFC 5321 §4.4: the trace header this hop adds; "for" only with one recipient, so others stay private. Written piece
     * by piece into the message's buffer: concatenated into a String first, it cost a StringBuilder, its growth and the
     * String's copy, then the UTF-8 copy, about 1.2 MB per 5,000 messages in session 6's JFR (issue 21).
     *
     * @return the bytes written
     */
    private int writeReceivedHeader(final ByteBuf into)
    {
        final int start = into.writerIndex();
        ByteBufUtil.writeAscii(into, "Received: from ");
        ByteBufUtil.writeUtf8(into, helo);
        ByteBufUtil.writeAscii(into, " (");
        ByteBufUtil.writeAscii(into, clientText);
        into.writeByte(')');
        ByteBufUtil.writeUtf8(into, auth.traceComment());
        ByteBufUtil.writeAscii(into, "\r\n\t");
        final String using = tls.receivedComment();
        if (!using.isEmpty())
        {
            ByteBufUtil.writeAscii(into, using);
            ByteBufUtil.writeAscii(into, "\r\n\t");
        }
        ByteBufUtil.writeAscii(into, "by ");
        ByteBufUtil.writeUtf8(into, context.hostname());
        ByteBufUtil.writeAscii(into, " (Sluice) with ");
        ByteBufUtil.writeAscii(into, ReceivedProtocol.of(esmtp, smtputf8, secure(), authenticated()));
        ByteBufUtil.writeAscii(into, " id ");
        ByteBufUtil.writeAscii(into, sessionId);
        into.writeByte('.');
        ByteBufUtil.writeAscii(into, Integer.toString(transactions));
        if (recipients.size() == 1)
        {
            ByteBufUtil.writeAscii(into, "\r\n\tfor <");
            ByteBufUtil.writeUtf8(into, recipients.get(0));
            into.writeByte('>');
        }
        ByteBufUtil.writeAscii(into, ";\r\n\t");
        ByteBufUtil.writeAscii(into, services.traceDate().now());
        ByteBufUtil.writeAscii(into, "\r\n");
        return into.writerIndex() - start;
    }

    private void dataTimedOut()
    {
        if (data != null)
        {
            LOG.info("{} DATA exceeded {} ms, closing", clientText, context.dataTimeoutMs());
            reply(SmtpReply.DATA_TIMEOUT);
            flush();
        }
    }

    private void endOfData(final SmtpFrameDecoder.DataEnd end)
    {
        dataTimeout.cancel(false);
        final ByteBuf content = data;
        data = null;
        if (end.tooLarge())
        {
            content.release();
            services.admission().record(AdmissionCounter.TOO_BIG);
            MAILLOG.info("NOQUEUE: client={}, from=<{}>: {}", clientText, sender, SmtpReply.SIZE_EXCEEDED.text());
            reply(SmtpReply.SIZE_EXCEEDED);
            resetTransaction();
            return;
        }
        if (end.bareNewline())
        {
            content.release();
            services.admission().record(AdmissionCounter.SMUGGLING);
            MAILLOG.info("NOQUEUE: client={}, from=<{}>: {}", clientText, sender, SmtpReply.BARE_NEWLINE.text());
            reply(SmtpReply.BARE_NEWLINE);
            resetTransaction();
            return;
        }
        // Notifications keep their own lane.
        final String lane = lane(suspect);
        // SMTPUTF8 and BODY=8BITMIME are journaled with the envelope, so delivery can pass them on when needed.
        final Envelope envelope = new Envelope(client.getHostAddress(), tenant, lane, sender, recipients,
            services.clock().millis(), smtputf8, eightBitMime, authenticated());
        final String classLabel = suspect ? SourceClass.SUSPECT.label() : sourceClass.label();
        final QuarantineIntake held = quarantine ? services.quarantine() : null;
        resetTransaction();
        appending = true;
        if (held != null)
        {
            held.expect(envelope);
        }
        services.spool().append(envelope, content.nioBuffer()).whenComplete((result, failure) ->
        {
            if (held != null && (result == null || !result.isAccepted()))
            {
                held.forget(envelope);
            }
            ctx.executor().execute(() -> appended(envelope, classLabel, result, content));
        });
    }

    private void appended(final Envelope envelope, final String classLabel, final AppendResult result,
        final ByteBuf content)
    {
        final int size = content.readableBytes();
        content.release();
        appending = false;
        final AppendResult outcome = result == null ? AppendResult.IO_FAILURE : result;
        final SmtpReply reply = SmtpReply.forAppend(outcome);
        if (MAILLOG.isInfoEnabled())
        {
            // The same line SLF4J formatted from "{}: client={}{}, from=<{}>, nrcpt={}, ...", without its garbage.
            MAILLOG.info(MailLogLine.start().append(outcome.isAccepted() ? outcome.queueId() : "NOQUEUE")
                .append(": client=").append(clientText).append(auth.logField())
                .append(", from=<").append(envelope.sender()).append(">, nrcpt=").append(envelope.recipients().size())
                .append(", size=").append(size).append(", tenant=").append(envelope.tenant())
                .append(", lane=").append(envelope.lane()).append(", class=").append(classLabel)
                .append(": ").append(reply.text()).toString());
        }
        reply(reply);
        resume();
    }

    /** A pending reply is out: the commands that waited behind it are handled, in order, until one waits again. */
    private void resume()
    {
        if (shuttingDown)
        {
            // Its reply is out; what was pipelined behind it is not started.
            reply(SmtpReply.SHUTTING_DOWN);
        }
        while (!busy() && !closing && !waiting.isEmpty())
        {
            handle(waiting.poll());
        }
        if (!busy() && !closing)
        {
            // Bytes behind a DATA that waited in the queue are still in the decoder: data if it got 354.
            decoder.decodeBuffered();
        }
        flush();
    }

    private void resetTransaction()
    {
        mailRefused = false;
        sender = null;
        sourceClass = null;
        smtputf8 = false;
        eightBitMime = false;
        recipients.clear();
        suspect = false;
        quarantine = false;
    }

    /** Tells admission's reputation what this untrusted client did; the trusted networks have no reputation. */
    private void learn(final ReputationEvent event)
    {
        if (!trusted)
        {
            services.admission().learn(client, event);
        }
    }

    /** RCPT or DATA with no transaction open: the client's mistake, unless it pipelined them behind a refused MAIL. */
    private void withoutMail()
    {
        if (mailRefused)
        {
            reply(SmtpReply.MAIL_FIRST);
        }
        else
        {
            bad(SmtpReply.MAIL_FIRST);
        }
    }

    private void bad(final SmtpReply reply)
    {
        learn(ReputationEvent.REFUSED_COMMAND);
        if (++badCommands >= context.maxBadCommands())
        {
            reply(SmtpReply.TOO_MANY_BAD_COMMANDS);
            return;
        }
        reply(reply);
    }

    private void reply(final SmtpReply reply)
    {
        if (closing)
        {
            return;
        }
        // Written straight into the buffer with its CRLF: no concatenated copy of the text first.
        final String text = reply.text();
        final ByteBuf out = ctx.alloc().buffer(ByteBufUtil.utf8Bytes(text) + 2);
        ByteBufUtil.writeUtf8(out, text);
        out.writeShort(CRLF);
        // No promise per reply: a failed write reaches exceptionCaught, which closes the session.
        ctx.write(out, ctx.voidPromise());
        if (reply.close())
        {
            closing = true;
            ctx.writeAndFlush(ctx.alloc().buffer(0)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void flush()
    {
        ctx.flush();
    }

    @Override
    public void userEventTriggered(final ChannelHandlerContext ctx, final Object event)
    {
        if (event == SHUTDOWN)
        {
            shutDown(ctx);
            return;
        }
        if (event instanceof IdleStateEvent)
        {
            reply(decoder.inData() ? SmtpReply.DATA_TIMEOUT : SmtpReply.IDLE_TIMEOUT);
            flush();
            if (!closing)
            {
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    /** The listener is stopping: 421 now, or once the message being received or appended has its reply. */
    private void shutDown(final ChannelHandlerContext ctx)
    {
        shuttingDown = true;
        if (client == null)
        {
            ctx.close();
            return;
        }
        if (!busy() && !decoder.inData())
        {
            reply(SmtpReply.SHUTTING_DOWN);
            flush();
        }
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx)
    {
        closing = true;
        if (slotHeld)
        {
            slotHeld = false;
            services.limiter().release(client);
        }
        if (dataTimeout != null)
        {
            dataTimeout.cancel(false);
        }
        if (data != null)
        {
            data.release();
            data = null;
        }
        while (!waiting.isEmpty())
        {
            ReferenceCountUtil.release(waiting.poll());
        }
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        // A TLS failure (a client refusing the certificate, garbage instead of a ClientHello) comes wrapped by the decoder.
        final Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof IOException)
        {
            // A client hanging up is routine, not an error.
            LOG.debug("{} connection error: {}", clientText, root.getMessage());
        }
        else
        {
            LOG.warn("{} session failed", clientText, cause);
        }
        ctx.close();
    }
}
