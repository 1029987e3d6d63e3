package io.sluice.net;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MailAddressTest
{
    @Test
    void splitsAtTheLastAtSignBecauseAQuotedLocalPartMayHoldOne()
    {
        final String address = "\"a@b\"@Example.COM";

        assertThat(MailAddress.separator(address)).isEqualTo(5);
        assertThat(MailAddress.localPart(address)).isEqualTo("\"a@b\"");
        assertThat(MailAddress.domain(address)).isEqualTo("Example.COM");
        assertThat(MailAddress.domainOf(address)).isEqualTo("example.com");
    }

    @Test
    void anAddressWithoutAtSignHasNoDomain()
    {
        assertThat(MailAddress.separator("postmaster")).isEqualTo(-1);
        assertThat(MailAddress.localPart("postmaster")).isEqualTo("postmaster");
        assertThat(MailAddress.domain("postmaster")).isEmpty();
        assertThat(MailAddress.domainOf("postmaster")).isEmpty();
        assertThat(MailAddress.domainOf("")).isEmpty();
    }

    @Test
    void aDomainComparesWithoutCaseSurroundingSpaceOrTheRootDot()
    {
        assertThat(MailAddress.normalizeDomain(" Mail.Example.ORG. ")).isEqualTo("mail.example.org");
        assertThat(MailAddress.domainOf("user@Mail.Example.ORG.")).isEqualTo("mail.example.org");
        assertThat(MailAddress.domain("user@")).isEmpty();
    }
}
