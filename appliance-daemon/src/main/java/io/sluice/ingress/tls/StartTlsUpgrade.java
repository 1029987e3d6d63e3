package io.sluice.ingress.tls;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;

/**
 * Puts TLS under a running SMTP session after its STARTTLS (RFC 3207): the handler goes first in the pipeline (after
 * a PROXY header decoder, whose header came in clear text), in STARTTLS mode so the {@code 220} written next still
 * leaves in clear text, and every byte read after it is decrypted before the SMTP decoder sees it.
 *
 * <p>The caller must have checked that no clear-text byte is left buffered behind the STARTTLS line: those would
 * otherwise be read as commands of the encrypted session (CVE-2011-0411).
 */
public final class StartTlsUpgrade
{
    /** The PROXY protocol decoder's pipeline name: its header precedes TLS. */
    static final String PROXY_HANDLER = "proxy";

    private StartTlsUpgrade()
    {
    }

    /**
     * @param onSecure run on the channel's event loop once the handshake completed; a failed or timed-out handshake
     *                 closes the connection instead (and is counted by {@code tls}).
     */
    public static void insert(final ChannelPipeline pipeline, final ServerTlsContext tls, final Runnable onSecure)
    {
        final SslHandler handler = tls.newHandler(pipeline.channel().alloc(), true);
        if (pipeline.get(PROXY_HANDLER) != null)
        {
            pipeline.addAfter(PROXY_HANDLER, SessionTls.HANDLER_NAME, handler);
        }
        else
        {
            pipeline.addFirst(SessionTls.HANDLER_NAME, handler);
        }
        handler.handshakeFuture().addListener(done ->
        {
            if (done.isSuccess())
            {
                onSecure.run();
            }
            else
            {
                pipeline.channel().close();
            }
        });
    }
}
