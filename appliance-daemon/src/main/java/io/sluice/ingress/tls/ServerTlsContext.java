package io.sluice.ingress.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners' certificate, replaced without a restart: when its files change (an operator's certbot renewal, seen
 * by {@link #reloadIfChanged()}, which the daemon's maintenance thread calls) or on the operator's JMX operation
 * ({@link #reload()}). A new pair is checked whole before it is used ({@link CertificatePair}); a bad one is refused
 * with a log line naming the file, and the pair in use stays. Sessions already encrypted keep theirs; each new
 * handshake takes the pair in use at its start.
 */
public final class ServerTlsContext
{
    private static final Logger LOG = LoggerFactory.getLogger(ServerTlsContext.class);

    private final Path certificateFile;
    private final Path keyFile;
    private final long handshakeTimeoutMs;
    private final Clock clock;
    private volatile CertificatePair current;
    /** The files as last tried, good or bad: a bad pair is reported once, not at every look. */
    private List<Object> triedStamp;
    private volatile String lastFailure = "";
    private final AtomicLong reloads = new AtomicLong();
    private final AtomicLong reloadFailures = new AtomicLong();
    private final AtomicLong handshakes = new AtomicLong();
    private final AtomicLong handshakeFailures = new AtomicLong();
    private final AtomicLong handshakeTimeouts = new AtomicLong();
    private final AtomicLong clearTextInjections = new AtomicLong();

    private ServerTlsContext(final Path certificateFile, final Path keyFile, final long handshakeTimeoutMs, final Clock clock)
    {
        this.certificateFile = certificateFile;
        this.keyFile = keyFile;
        this.handshakeTimeoutMs = handshakeTimeoutMs;
        this.clock = clock;
    }

    /**
     * @return the listeners' TLS, serving the pair the settings name, or null when no certificate is configured.
     * @throws IllegalArgumentException naming the file when the pair cannot be served: the daemon does not start.
     */
    public static ServerTlsContext open(final TlsContext settings, final Clock clock)
    {
        if (!settings.configured())
        {
            return null;
        }
        final ServerTlsContext tls = new ServerTlsContext(settings.certificate(), settings.key(),
            settings.handshakeTimeoutMs(), clock);
        tls.triedStamp = tls.stamp();
        tls.current = CertificatePair.load(tls.certificateFile, tls.keyFile, clock.instant());
        LOG.info("TLS certificate {} ({}), valid until {}", tls.certificateFile, tls.current.subject(), tls.current.notAfter());
        return tls;
    }

    /**
     * Reads the pair again if either file changed since it was last read (modified, replaced, or its link pointing
     * elsewhere). Cheap when nothing changed: two stats.
     *
     * @return true when a new pair is now in use.
     */
    public synchronized boolean reloadIfChanged()
    {
        if (Objects.equals(stamp(), triedStamp))
        {
            return false;
        }
        return reload();
    }

    /**
     * Reads the pair again now, as the operator asks.
     *
     * @return true when the new pair is in use; false when it was refused (logged, counted) and the old one stays.
     */
    public synchronized boolean reload()
    {
        triedStamp = stamp();
        final CertificatePair pair;
        try
        {
            pair = CertificatePair.load(certificateFile, keyFile, clock.instant());
        }
        catch (final IllegalArgumentException ex)
        {
            reloadFailures.incrementAndGet();
            LOG.error("TLS certificate reload refused: {}; the pair read before stays in use ({}, valid until {})",
                ex.getMessage(), current.subject(), current.notAfter());
            lastFailure = ex.getMessage();
            return false;
        }
        current = pair;
        reloads.incrementAndGet();
        lastFailure = "";
        LOG.info("TLS certificate reloaded from {} ({}), valid until {}", certificateFile, pair.subject(), pair.notAfter());
        return true;
    }

    /**
     * A TLS handler for one connection, with the handshake timeout, counting how its handshake ends.
     *
     * @param startTls true after STARTTLS: the {@code 220} written next still goes out in clear text.
     */
    public SslHandler newHandler(final ByteBufAllocator alloc, final boolean startTls)
    {
        final SslHandler handler = new SslHandler(current.context().newEngine(alloc), startTls);
        handler.setHandshakeTimeoutMillis(handshakeTimeoutMs);
        handler.handshakeFuture().addListener(done ->
        {
            if (done.isSuccess())
            {
                handshakes.incrementAndGet();
            }
            else if (done.cause() instanceof SslHandshakeTimeoutException)
            {
                handshakeTimeouts.incrementAndGet();
            }
            else
            {
                handshakeFailures.incrementAndGet();
            }
        });
        return handler;
    }

    /** Counts a session ended because commands followed STARTTLS in clear text (CVE-2011-0411). */
    public void clearTextInjection()
    {
        clearTextInjections.incrementAndGet();
    }

    /** @return the pair in use. */
    public CertificatePair current()
    {
        return current;
    }

    public Path certificateFile()
    {
        return certificateFile;
    }

    public Path keyFile()
    {
        return keyFile;
    }

    /** @return why the last reload was refused, or empty when it succeeded (or none failed yet). */
    public String lastFailure()
    {
        return lastFailure;
    }

    public long reloads()
    {
        return reloads.get();
    }

    public long reloadFailures()
    {
        return reloadFailures.get();
    }

    public long handshakes()
    {
        return handshakes.get();
    }

    public long handshakeFailures()
    {
        return handshakeFailures.get();
    }

    public long handshakeTimeouts()
    {
        return handshakeTimeouts.get();
    }

    public long clearTextInjections()
    {
        return clearTextInjections.get();
    }

    /** @return what tells a changed file: where its links lead, its modification time, size and inode. */
    private List<Object> stamp()
    {
        return List.of(stamp(certificateFile), stamp(keyFile));
    }

    private static List<Object> stamp(final Path file)
    {
        try
        {
            final BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            final Object inode = attributes.fileKey();
            return List.of(file.toRealPath().toString(), attributes.lastModifiedTime().toInstant(), attributes.size(),
                inode == null ? "" : inode);
        }
        catch (final IOException ex)
        {
            // Missing for a moment while a renewal replaces it: seen as a change, tried, refused, tried again later.
            return List.of(file.toString(), Instant.EPOCH, -1L, ex.getClass().getSimpleName());
        }
    }
}
