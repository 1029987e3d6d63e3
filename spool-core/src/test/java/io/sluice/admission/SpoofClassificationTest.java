package io.sluice.admission;

import static io.sluice.admission.AdmissionTesting.quietContext;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import io.sluice.testing.TestClock;

/** The envelope of a spoofing flood: a protected domain from outside, or a sender writing to itself. */
class SpoofClassificationTest
{
    private final TestClock clock = new TestClock();
    private Admission admission;

    @BeforeEach
    void open()
    {
        // The SUSPECT action is set here because these tests are about it; REFUSE is the default now.
        admission = Admission.open(quietContext(clock).protectedDomains("example.com, payroll.example.net:REFUSE")
            .spoofDefaultAction(SpoofVerdict.SUSPECT), new TestPressure());
    }

    @AfterEach
    void close()
    {
        admission.close();
    }

    @Test
    void shouldSuspectAProtectedDomainFromOutsideTheTrustedNetworks()
    {
        assertThat(admission.classify(false, "ceo@example.com", "finance@example.com")).isEqualTo(SpoofVerdict.SUSPECT);
        assertThat(admission.classify(false, "CEO@Example.COM.", "finance@example.com")).isEqualTo(SpoofVerdict.SUSPECT);
        assertThat(admission.count(AdmissionCounter.SPOOF_SUSPECT)).isEqualTo(2);
    }

    @Test
    void shouldCoverTheSubdomainsOfAProtectedDomain()
    {
        assertThat(admission.classify(false, "billing@mail.example.com", "a@example.com")).isEqualTo(SpoofVerdict.SUSPECT);
        assertThat(admission.classify(false, "x@notexample.com", "a@example.com")).isEqualTo(SpoofVerdict.PASS);
    }

    @Test
    void shouldSuspectASenderWritingToItselfWhateverItsDomain()
    {
        assertThat(admission.classify(false, "Alice@Customer.Example", "alice@customer.example")).isEqualTo(SpoofVerdict.SUSPECT);
    }

    @Test
    void shouldApplyTheDomainsOwnAction()
    {
        assertThat(admission.classify(false, "hr@payroll.example.net", "bob@example.com")).isEqualTo(SpoofVerdict.REFUSE);
        assertThat(admission.classify(false, "hr@payroll.example.net", "hr@payroll.example.net")).isEqualTo(SpoofVerdict.REFUSE);
        assertThat(admission.count(AdmissionCounter.SPOOF_REFUSED)).isEqualTo(2);
    }

    @Test
    void shouldPassTrustedSources()
    {
        assertThat(admission.classify(true, "ceo@example.com", "finance@example.com")).isEqualTo(SpoofVerdict.PASS);
        assertThat(admission.classify(true, "hr@payroll.example.net", "hr@payroll.example.net")).isEqualTo(SpoofVerdict.PASS);
    }

    @Test
    void shouldPassTheNullSenderAndOrdinaryMail()
    {
        assertThat(admission.classify(false, "", "postmaster@example.com")).isEqualTo(SpoofVerdict.PASS);
        assertThat(admission.classify(false, null, "postmaster@example.com")).isEqualTo(SpoofVerdict.PASS);
        assertThat(admission.classify(false, "news@vendor.example", "alice@example.com")).isEqualTo(SpoofVerdict.PASS);
        assertThat(admission.count(AdmissionCounter.SPOOF_SUSPECT)).isZero();
    }

    @Test
    void shouldUseTheConfiguredDefaultAction()
    {
        try (Admission strict = Admission.open(
            quietContext(clock).protectedDomains("example.com").spoofDefaultAction(SpoofVerdict.REFUSE), new TestPressure()))
        {
            assertThat(strict.classify(false, "ceo@example.com", "a@example.com")).isEqualTo(SpoofVerdict.REFUSE);
            assertThat(strict.classify(false, "me@elsewhere.example", "me@elsewhere.example")).isEqualTo(SpoofVerdict.REFUSE);
        }
    }
}
