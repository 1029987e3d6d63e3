package io.sluice.benchmarks.flood;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Scenario generation: the flood the issue describes, every message sent exactly once, reproducibly. */
class FloodTrafficTest
{
    private final ScenarioOptions options = ScenarioOptions.parse("--out", "/tmp/unused");
    private final FloodTraffic traffic = new FloodTraffic(options);

    @Test
    void shouldSpreadTwoThousandDistinctSourcesEvenlyOverEightNetworks()
    {
        final Set<String> sources = new HashSet<>();
        final Map<String, Integer> perNetwork = new HashMap<>();
        for (int s = 0; s < options.floodSources(); s++)
        {
            final String address = traffic.floodSource(s);
            assertThat(address).startsWith("127.");
            sources.add(address);
            perNetwork.merge(address.substring(0, address.lastIndexOf('.')), 1, Integer::sum);
        }
        assertThat(sources).hasSize(2_000);
        assertThat(perNetwork).hasSize(8).allSatisfy((network, count) -> assertThat(count).isEqualTo(250));
        assertThat(traffic.legitSource(3)).isEqualTo("127.32.3.1");
    }

    @Test
    void shouldSendEveryFloodMessageExactlyOnceInOneSessionPerSourceInASeededOrder()
    {
        final List<int[]> sessions = traffic.floodSessions();
        final boolean[] seen = new boolean[options.floodMessages()];
        for (final int[] session : sessions)
        {
            final int source = traffic.floodSourceOf(session[0]);
            for (final int message : session)
            {
                assertThat(seen[message]).isFalse();
                seen[message] = true;
                assertThat(traffic.floodSourceOf(message)).isEqualTo(source);
            }
        }
        assertThat(sessions).hasSize(2_000);
        for (final boolean s : seen)
        {
            assertThat(s).isTrue();
        }
        assertThat(new FloodTraffic(options).floodSessions().get(0)).containsExactly(sessions.get(0));
    }

    @Test
    void shouldMakeTheFloodTheSpoofPatternWithTheMalwareMarkerAndLegitimateMailWithout()
    {
        final String flood = new String(traffic.floodMessage(42), StandardCharsets.US_ASCII);
        final String address = traffic.floodAddress(42);
        assertThat(address).endsWith("@protected.example");
        assertThat(flood).contains("From: <" + address + ">", "To: <" + address + ">", "X-Bench-Id: flood-42",
            FloodTraffic.MALWARE_HEADER + ":").endsWith("\r\n").doesNotContain("\r\n.");

        final String legit = new String(traffic.legitMessage(7, 3), StandardCharsets.US_ASCII);
        assertThat(legit).contains("From: <sender3@partner.example>", "X-Bench-Id: legit-7")
            .doesNotContain(FloodTraffic.MALWARE_HEADER);
        assertThat(traffic.legitRecipient(7)).endsWith("@protected.example").isNotEqualTo(traffic.legitSender(3));
        assertThat(legit.length()).isGreaterThanOrEqualTo(options.messageBytes());
    }

    @Test
    void shouldRefuseBadOptionsNamingTheOptionAndTheValue()
    {
        assertThatThrownBy(() -> ScenarioOptions.parse("--out", "x", "--flood", "ten"))
            .hasMessage("--flood ten: expected a whole number");
        assertThatThrownBy(() -> ScenarioOptions.parse("--out", "x", "--flood-sources", "3000", "--flood-networks", "8"))
            .hasMessageContaining("--flood-sources 3000").hasMessageContaining("250 per network");
        assertThatThrownBy(() -> ScenarioOptions.parse("--out", "x", "--systems", "exim"))
            .hasMessageContaining("--systems exim");
        assertThatThrownBy(() -> ScenarioOptions.parse("--flood", "10")).hasMessageContaining("--out is required");
        assertThatThrownBy(() -> ScenarioOptions.parse("--out", "x", "--sluice-set", "novalue"))
            .hasMessageContaining("expected key=value");
        assertThatThrownBy(() -> ScenarioOptions.parse("--out", "x", "--bogus", "1")).hasMessage("unknown option --bogus");
    }
}
