package io.sluice.ingress.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;

import io.sluice.config.InvalidSettingException;
import org.junit.jupiter.api.Test;

/** The TLS settings: the derived default of the mode, and the combinations refused with the key named. */
class TlsContextTest
{
    @Test
    void modeIsOffWithoutACertificateAndOfferWithOne()
    {
        assertThat(new TlsContext().conclude().mode()).isEqualTo(TlsMode.OFF);
        assertThat(new TlsContext().certificate("/etc/c.pem").key("/etc/k.pem").conclude().mode()).isEqualTo(TlsMode.OFFER);
        assertThat(new TlsContext().certificate("/etc/c.pem").key("/etc/k.pem").mode("OFF").conclude().mode())
            .isEqualTo(TlsMode.OFF);
        assertThat(new TlsContext().certificate("/etc/c.pem").key("/etc/k.pem").mode("require").conclude().mode())
            .isEqualTo(TlsMode.REQUIRE);
    }

    @Test
    void badCombinationsNameTheKey()
    {
        assertThatThrownBy(() -> new TlsContext().certificate("/etc/c.pem").conclude())
            .isInstanceOf(InvalidSettingException.class).hasMessageContaining("smtp.tls.key");
        assertThatThrownBy(() -> new TlsContext().mode("require").conclude())
            .isInstanceOf(InvalidSettingException.class).hasMessageContaining("smtp.tls.mode=require");
        assertThatThrownBy(() -> new TlsContext().mode("sometimes").conclude())
            .isInstanceOf(InvalidSettingException.class).hasMessageContaining("off, offer or require");
        assertThatThrownBy(() -> new TlsContext().submissionTlsListen(new InetSocketAddress("127.0.0.1", 465)).conclude())
            .isInstanceOf(InvalidSettingException.class).hasMessageContaining("submission.tlsListen");
    }
}
