package io.sluice.admission;

import static io.sluice.admission.AdmissionTesting.ip;
import static io.sluice.admission.AdmissionTesting.quietContext;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import io.sluice.testing.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The seam a fleet shares tenant message rates through: admission asks the gate after the tenant's own bucket, with
 * the tenant's configured rate and burst, refuses with the gate's retry hint and gives the tenant's own token back,
 * and gives the gate's token back when a bucket further on refuses. The gate here is a counted stock of tokens, the
 * contract's simplest implementation.
 */
class TenantTokensTest
{
    private static final String LANE = "mail";

    private final TestClock clock = new TestClock();
    private final TestPressure pressure = new TestPressure();
    private final StockedGate gate = new StockedGate();
    private Admission admission;

    /** A gate that hands out the tokens a test stocks, and remembers what it was asked. */
    private static final class StockedGate implements TenantTokens
    {
        long stock;
        final List<String> asked = new ArrayList<>();
        double lastRate;
        long lastBurst;
        int refunds;

        @Override
        public long tryTake(final String tenant, final double ratePerSecond, final long burst, final long nowNanos)
        {
            asked.add(tenant);
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
        public void refund(final String tenant)
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
        assertThat(gate.asked).containsExactly("acme");
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
        assertThat(gate.asked).as("only the tenants' message rates are shared").isEmpty();
    }
}
