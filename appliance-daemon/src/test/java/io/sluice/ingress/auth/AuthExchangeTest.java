package io.sluice.ingress.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.junit.jupiter.api.Test;

/** The SASL exchanges PLAIN (RFC 4616) and LOGIN as RFC 4954 frames them, and every way a client can get them wrong. */
class AuthExchangeTest
{
    private static String b64(final String text)
    {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static void assertCredentials(final AuthExchange.Step step, final String authzid, final String user,
        final String password)
    {
        assertThat(step.reply()).isNull();
        assertThat(step.continues()).isFalse();
        assertThat(step.credentials()).isEqualTo(new Credentials(authzid, user, password.toCharArray()));
    }

    @Test
    void shouldTakePlainWithAnInitialResponse()
    {
        assertCredentials(AuthExchange.start("PLAIN " + b64("\0alice\0s3cret-pass")), "", "alice", "s3cret-pass");
        assertCredentials(AuthExchange.start("plain " + b64("alice\0alice\0pässwörd")), "alice", "alice", "pässwörd");
    }

    @Test
    void shouldChallengePlainWithoutAnInitialResponse()
    {
        final AuthExchange.Step challenge = AuthExchange.start("PLAIN");
        assertThat(challenge.reply()).isEqualTo("334 ");
        assertThat(challenge.continues()).isTrue();
        assertCredentials(challenge.exchange().respond(b64("\0bob\0hunter22")), "", "bob", "hunter22");
    }

    @Test
    void shouldAskLoginForNameThenPassword()
    {
        final AuthExchange.Step name = AuthExchange.start("LOGIN");
        assertThat(name.reply()).isEqualTo("334 VXNlcm5hbWU6");
        final AuthExchange.Step password = name.exchange().respond(b64("carol"));
        assertThat(password.reply()).isEqualTo("334 UGFzc3dvcmQ6");
        assertCredentials(password.exchange().respond(b64("c0rrect horse")), "", "carol", "c0rrect horse");
        // Some clients send the name with the command.
        final AuthExchange.Step initial = AuthExchange.start("LOGIN " + b64("dave"));
        assertThat(initial.reply()).isEqualTo("334 UGFzc3dvcmQ6");
        assertCredentials(initial.exchange().respond(b64("pw-of-dave")), "", "dave", "pw-of-dave");
    }

    @Test
    void shouldRefuseMalformedBase64AndResponses()
    {
        assertThat(AuthExchange.start("PLAIN not*base64!").reply()).isEqualTo("501 5.5.2 Cannot decode response");
        assertThat(AuthExchange.start("PLAIN").exchange().respond("%%%").reply()).isEqualTo("501 5.5.2 Cannot decode response");
        assertThat(AuthExchange.start("PLAIN " + b64("no-nul-at-all")).reply()).startsWith("501 5.5.2");
        assertThat(AuthExchange.start("PLAIN " + b64("\0\0password")).reply()).as("no user").startsWith("501 5.5.2");
        assertThat(AuthExchange.start("PLAIN " + b64("a\0b\0c\0d")).reply()).as("three NULs").startsWith("501 5.5.2");
        assertThat(AuthExchange.start("LOGIN =").reply()).as("an empty name").startsWith("501 5.5.2");
        final byte[] notUtf8 = {0, 'x', 0, (byte)0xC3, (byte)0x28};
        assertThat(AuthExchange.start("PLAIN " + Base64.getEncoder().encodeToString(notUtf8)).reply()).startsWith("501 5.5.2");
    }

    @Test
    void shouldEndOnCancelUnknownMechanismAndSyntax()
    {
        assertThat(AuthExchange.start("LOGIN").exchange().respond("*").reply()).isEqualTo("501 5.0.0 Authentication cancelled");
        assertThat(AuthExchange.start("CRAM-MD5").reply()).isEqualTo("504 5.5.4 Unrecognized authentication type");
        assertThat(AuthExchange.start("").reply()).startsWith("501 5.5.4");
        assertThat(AuthExchange.start("PLAIN a b").reply()).startsWith("501 5.5.4");
    }

    @Test
    void shouldNeverShowThePasswordInToString()
    {
        final Credentials credentials = AuthExchange.start("PLAIN " + b64("\0alice\0s3cret-pass")).credentials();
        assertThat(credentials.toString()).doesNotContain("s3cret");
        credentials.wipe();
        assertThat(new String(credentials.password())).isEqualTo("\0".repeat("s3cret-pass".length()));
    }
}
