package io.sluice.admission;

import static io.sluice.admission.AdmissionTesting.ip;
import static io.sluice.admission.AdmissionTesting.quietContext;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import io.sluice.testing.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The seam a fleet shares message rates through: admission asks the gate after a shared kind's own bucket (tenant,
 * sender domain, global), with the key's configured rate and burst, refuses with the gate's retry hint and gives the
 * key's own token back, and gives the gate's token back when a bucket further on refuses; kinds the gate does not
 * share (address, network) are never asked. The gate here is a counted stock of tokens, the contract's simplest
 * implementation.
 */
class SharedRatesTest
{
    private static final String LANE = "mail";

    private final TestClock clock = new TestClock();
    private final TestPressure pressure = new TestPressure();
    private final StockedGate gate = new StockedGate();
    private Admission admission;

    /** A gate that hands out the tokens a test stocks, and remembers what it was asked. */
    private static final class StockedGate implements SharedRates
    {
        Set<KeyKind> kinds = EnumSet.of(KeyKind.TENANT);
        long stock;
        final List<String> asked = new ArrayList<>();
        double lastRate;
        long lastBurst;
        int refunds;

        @Override
        public boolean shares(final KeyKind kind)
        {
            return kinds.contains(kind);
        }

        @Override
        public long tryTake(final KeyKind kind, final String name, final double ratePerSecond, final long burst,
            final long nowNanos)
        {
            asked.add(kind == KeyKind.GLOBAL ? "global" : kind.label() + " " + name);
            lastRate = ratePerSecond;
            lastBurst = burst;
            if (stock <= 0)
            {
                return 250_000_000L;
            }
            stock--;
            return 0;
        }

        @Override
        public void refund(final KeyKind kind, final String name)
        {
            refunds++;
            stock++;
        }
    }

    @AfterEach
    void close()
    {
        if (admission != null)
        {
            admission.close();
        }
    }

    private Decision message(final String tenant, final String source)
    {
        return admission.admitMessage(ip(source), false, tenant, "example.org", LANE);
    }

    @Test
    void shouldAskTheGateWithTheTenantsRateAndRefuseWithItsRetryHintKeepingTheTenantsOwnToken()
    {
        admission = Admission.open(quietContext(clock).ratePerSecond(KeyKind.TENANT, Traffic.MESSAGES, 10)
            .burst(KeyKind.TENANT, Traffic.MESSAGES, 2), pressure, gate);
        gate.stock = 1;

        assertThat(message("acme", "192.0.2.1").isAccepted()).isTrue();
        assertThat(gate.asked).containsExactly("tenant acme");
        assertThat(gate.lastRate).isEqualTo(10.0);
        assertThat(gate.lastBurst).isEqualTo(2);

        final Decision refused = message("acme", "192.0.2.2");
        assertThat(refused.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(refused.detail()).isEqualTo("tenant acme (shared rate)");
        assertThat(refused.retryAfterMillis()).isEqualTo(250);

        gate.stock = 1;
        assertThat(message("acme", "192.0.2.3").isAccepted())
            .as("the refusal gave the tenant's own token back: its burst of 2 still holds one")
            .isTrue();
    }

    @Test
    void shouldGiveTheGatesTokenBackWhenALaterBucketRefuses()
    {
        admission = Admission.open(quietContext(clock).ratePerSecond(KeyKind.TENANT, Traffic.MESSAGES, 10)
            .burst(KeyKind.TENANT, Traffic.MESSAGES, 100).ratePerSecond(KeyKind.GLOBAL, Traffic.MESSAGES, 0.001)
            .burst(KeyKind.GLOBAL, Traffic.MESSAGES, 1), pressure, gate);
        gate.stock = 5;

        assertThat(message("acme", "192.0.2.1").isAccepted()).isTrue();
        assertThat(message("acme", "192.0.2.2").detail()).isEqualTo("global");
        assertThat(gate.refunds).isEqualTo(1);
        assertThat(gate.stock).as("the message the global bucket refused cost the shared rate nothing").isEqualTo(4);
    }

    @Test
    void shouldNotAskTheGateForRecipients()
    {
        admission = Admission.open(quietContext(clock).ratePerSecond(KeyKind.TENANT, Traffic.RECIPIENTS, 10)
            .burst(KeyKind.TENANT, Traffic.RECIPIENTS, 100), pressure, gate);

        assertThat(admission.admitRecipient(ip("192.0.2.1"), false, "acme").isAccepted()).isTrue();
        assertThat(gate.asked).as("only message rates are shared").isEmpty();
    }

    @Test
    void shouldAskTheGateForEachSharedKindInOrderAndNeverForTheAddressOrNetwork()
    {
        gate.kinds = EnumSet.of(KeyKind.SENDER_DOMAIN, KeyKind.TENANT, KeyKind.GLOBAL);
        admission = Admission.open(quietContext(clock).ratePerSecond(KeyKind.SENDER_DOMAIN, Traffic.MESSAGES, 7)
            .burst(KeyKind.SENDER_DOMAIN, Traffic.MESSAGES, 3).ratePerSecond(KeyKind.TENANT, Traffic.MESSAGES, 10)
            .ratePerSecond(KeyKind.IP, Traffic.MESSAGES, 10).ratePerSecond(KeyKind.NETWORK, Traffic.MESSAGES, 10)
            .ratePerSecond(KeyKind.GLOBAL, Traffic.MESSAGES, 40)
            .burst(KeyKind.GLOBAL, Traffic.MESSAGES, 400), pressure, gate);
        gate.stock = 3;

        assertThat(admission.admitMessage(ip("192.0.2.1"), false, "acme", "Example.ORG", LANE).isAccepted()).isTrue();
        assertThat(gate.asked).as("most specific first; the sender domain as admission keys it")
            .containsExactly("sender domain example.org", "tenant acme", "global");
        assertThat(gate.lastRate).as("the global bucket's rate").isEqualTo(40.0);
        assertThat(gate.lastBurst).isEqualTo(400);
    }

    @Test
    void shouldRefuseOnASenderDomainsSharedRateAndGiveBackWhatTheEarlierGatesTook()
    {
        gate.kinds = EnumSet.of(KeyKind.SENDER_DOMAIN, KeyKind.GLOBAL);
        admission = Admission.open(quietContext(clock).ratePerSecond(KeyKind.SENDER_DOMAIN, Traffic.MESSAGES, 10)
            .ratePerSecond(KeyKind.GLOBAL, Traffic.MESSAGES, 100), pressure, gate);
        gate.stock = 1;

        final Decision refused = admission.admitMessage(ip("192.0.2.1"), false, null, "example.org", LANE);
        assertThat(refused.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(refused.detail()).as("the domain's gate gave its token; the global gate had none")
            .isEqualTo("global (shared rate)");
        assertThat(gate.refunds).isEqualTo(1);
        assertThat(gate.stock).as("the refused message cost the shared rates nothing").isEqualTo(1);

        assertThat(admission.admitMessage(ip("192.0.2.1"), true, null, "example.org", LANE).isAccepted())
            .as("a trusted source is not charged to the global bucket, nor to its shared rate").isTrue();
        assertThat(gate.stock).isZero();
    }
}
