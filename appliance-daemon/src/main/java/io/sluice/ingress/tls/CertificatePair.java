package io.sluice.ingress.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;

import javax.net.ssl.SSLException;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;

/**
 * A server certificate chain and its private key, read from the PEM files certbot and every CA tool write, checked
 * before anything serves them: the key must be PKCS#8 ({@code BEGIN PRIVATE KEY}), belong to the first certificate,
 * and that certificate must be valid now. Each refusal says which file and what is wrong, so an operator can mend it.
 *
 * @param chain   the server's certificate first, then its intermediates.
 * @param context what new TLS sessions are made from.
 */
public record CertificatePair(List<X509Certificate> chain, SslContext context)
{
    /** TLS 1.0 and 1.1 are deprecated (RFC 8996). */
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    /**
     * Forward-secret AEAD suites only (Mozilla's "intermediate" list): TLS 1.3's three, then TLS 1.2's ECDHE with
     * AES-GCM or ChaCha20. Suites the JDK lacks are dropped by the filter.
     */
    static final List<String> CIPHERS = List.of(
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    private static final String KEY_BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String KEY_END = "-----END PRIVATE KEY-----";

    /**
     * @param certificate the PEM chain, server certificate first.
     * @param key         the PEM PKCS#8 private key of that certificate, unencrypted.
     * @param now         the time the certificate must be valid at.
     * @throws IllegalArgumentException naming the file and the fault when the pair cannot be served.
     */
    public static CertificatePair load(final Path certificate, final Path key, final Instant now)
    {
        final List<X509Certificate> chain = readChain(certificate);
        final X509Certificate leaf = chain.get(0);
        try
        {
            leaf.checkValidity(Date.from(now));
        }
        catch (final CertificateExpiredException ex)
        {
            throw new IllegalArgumentException(certificate + ": the certificate expired on " + leaf.getNotAfter().toInstant());
        }
        catch (final CertificateNotYetValidException ex)
        {
            throw new IllegalArgumentException(certificate + ": the certificate is valid only from "
                + leaf.getNotBefore().toInstant());
        }
        final PrivateKey privateKey = readKey(key, leaf.getPublicKey().getAlgorithm());
        if (!matches(privateKey, leaf))
        {
            throw new IllegalArgumentException(key + ": the key does not belong to the certificate in " + certificate);
        }
        try
        {
            final SslContext context = SslContextBuilder.forServer(privateKey, chain.toArray(new X509Certificate[0]))
                .sslProvider(SslProvider.JDK)
                .protocols(PROTOCOLS)
                .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .build();
            return new CertificatePair(List.copyOf(chain), context);
        }
        catch (final SSLException | IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(certificate + " and " + key + ": cannot serve them: " + ex.getMessage(), ex);
        }
    }

    /** @return the server certificate's subject, e.g. {@code CN=mx.example.net}. */
    public String subject()
    {
        return chain.get(0).getSubjectX500Principal().getName();
    }

    /** @return when the server certificate expires. */
    public Instant notAfter()
    {
        return chain.get(0).getNotAfter().toInstant();
    }

    private static List<X509Certificate> readChain(final Path file)
    {
        final byte[] bytes = read(file);
        final List<X509Certificate> chain = new ArrayList<>();
        try
        {
            CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes))
                .forEach(c -> chain.add((X509Certificate)c));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalArgumentException(file + ": not a PEM certificate chain: " + ex.getMessage(), ex);
        }
        if (chain.isEmpty())
        {
            throw new IllegalArgumentException(file + ": holds no certificate");
        }
        return chain;
    }

    private static PrivateKey readKey(final Path file, final String algorithm)
    {
        final String text = new String(read(file), StandardCharsets.US_ASCII);
        final int begin = text.indexOf(KEY_BEGIN);
        final int end = text.indexOf(KEY_END);
        if (begin < 0 || end < begin)
        {
            final String hint = text.contains("ENCRYPTED PRIVATE KEY") ? "an encrypted key; the daemon needs it unencrypted"
                : text.contains("PRIVATE KEY") ? "a PKCS#1 or SEC1 key; convert it with `openssl pkcs8 -topk8 -nocrypt`"
                : "no private key";
            throw new IllegalArgumentException(file + ": expected a PEM PKCS#8 key (" + KEY_BEGIN + "), found " + hint);
        }
        try
        {
            final byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + KEY_BEGIN.length(), end));
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        }
        catch (final GeneralSecurityException | IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(file + ": not a readable " + algorithm + " private key: " + ex.getMessage(), ex);
        }
    }

    /** Signs a random challenge with the key and checks it with the certificate's public key. */
    private static boolean matches(final PrivateKey key, final X509Certificate certificate)
    {
        final String algorithm = switch (key.getAlgorithm())
        {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm();
        };
        try
        {
            final byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            final Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            final byte[] signature = signer.sign();
            final Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(challenge);
            return verifier.verify(signature);
        }
        catch (final GeneralSecurityException ex)
        {
            return false;
        }
    }

    private static byte[] read(final Path file)
    {
        try
        {
            return Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException(file + ": cannot read it: " + ex, ex);
        }
    }
}
