package io.sluice.benchmarks.smtp;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The load client's TLS for {@code --tls}: it measures what TLS costs, not whom it trusts, so it takes whatever
 * certificate the server presents (the benchmark's own, made for the run). Never a model for a real client.
 */
final class AnyCertificate
{
    private AnyCertificate()
    {
    }

    static SSLContext trusted()
    {
        final X509TrustManager any = new X509TrustManager()
        {
            @Override
            public void checkClientTrusted(final X509Certificate[] chain, final String authType)
            {
                // Not asked of a client.
            }

            @Override
            public void checkServerTrusted(final X509Certificate[] chain, final String authType)
            {
                // Any certificate: see above.
            }

            @Override
            public X509Certificate[] getAcceptedIssuers()
            {
                return new X509Certificate[0];
            }
        };
        try
        {
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {any}, null);
            return context;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("no TLS in this JDK", ex);
        }
    }
}
