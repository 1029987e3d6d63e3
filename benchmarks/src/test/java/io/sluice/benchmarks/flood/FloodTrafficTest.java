package io.sluice.benchmarks.flood;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
        assertThat(traffic.legitSource(0)).as("the partner: addresses .1, .2, ... of one /24 of its own")
            .isEqualTo("127.32.0.1");
        assertThat(traffic.legitSource(19)).isEqualTo("127.32.0.20");
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
    void shouldMakeTheSnowshoeFloodPlausibleDistinctSendersFromManyDomainsToRealMailboxesWithTheMarker()
    {
        final FloodTraffic snowshoe = new FloodTraffic(ScenarioOptions.parse("--out", "/tmp/unused", "--scenarios",
            "snowshoe"));
        final Set<String> senders = new HashSet<>();
        final Set<String> domains = new HashSet<>();
        for (int m = 0; m < 20_000; m++)
        {
            final String sender = snowshoe.floodSender(m);
            senders.add(sender);
            domains.add(sender.substring(sender.indexOf('@') + 1));
            assertThat(sender).doesNotEndWith("@protected.example").isNotEqualTo(snowshoe.floodRecipient(m));
            assertThat(FloodTraffic.isLegitSender(sender)).isFalse();
        }
        assertThat(senders).as("every message its own sender").hasSize(20_000);
        assertThat(domains.size()).as("many domains").isGreaterThan(500);
        assertThat(snowshoe.floodRecipient(42)).isEqualTo(snowshoe.legitRecipient(42));
        assertThat(new String(snowshoe.floodMessage(42), StandardCharsets.US_ASCII))
            .contains("From: <" + snowshoe.floodSender(42) + ">", FloodTraffic.MALWARE_HEADER + ":");
    }

    @Test
    void shouldSendABulkFloodThatIsNeitherSpoofedNorRejectedUpstream()
    {
        final FloodTraffic bulk = new FloodTraffic(ScenarioOptions.parse("--out", "/tmp/unused", "--scenarios", "bulk"));
        assertThat(bulk.floodSender(42)).doesNotEndWith("@protected.example").isNotEqualTo(bulk.floodRecipient(42));
        assertThat(bulk.floodRecipient(42)).isEqualTo(bulk.legitRecipient(42));
        assertThat(bulk.floodCarriesMalware()).isFalse();
        assertThat(new String(bulk.floodMessage(42), StandardCharsets.US_ASCII))
            .contains("X-Bench-Id: flood-42", "From: <" + bulk.floodSender(42) + ">")
            .doesNotContain(FloodTraffic.MALWARE_HEADER);
    }

    @Test
    void shouldSendUnknownUserMailFromASenderOfItsOwnSoEachDsnNamesItsMessage()
    {
        final FloodTraffic unknown = new FloodTraffic(ScenarioOptions.parse("--out", "/tmp/unused", "--scenarios",
            "unknown-users"));
        assertThat(FloodTraffic.returnSender(17)).isEqualTo("returns-17@partner.example");
        assertThat(FloodTraffic.isLegitSender(FloodTraffic.returnSender(17))).isTrue();
        assertThat(unknown.unknownRecipient(17)).isEqualTo("nosuchuser-17@protected.example");
        assertThat(new String(unknown.unknownUserMessage(17), StandardCharsets.US_ASCII))
            .contains("X-Bench-Id: legit-17", "From: <returns-17@partner.example>").doesNotContain(FloodTraffic.MALWARE_HEADER);
    }

    @Test
    void shouldRunEveryScenarioAtTheDefaultsUnlessBucketsAreOpenedExplicitly()
    {
        final ScenarioOptions defaults = ScenarioOptions.parse("--out", "x");
        assertThat(defaults.scenarios())
            .containsExactly(Scenario.SPOOFED, Scenario.SNOWSHOE, Scenario.UNKNOWN_USERS, Scenario.BULK);
        assertThat(defaults.openBuckets()).isFalse();
        assertThat(defaults.forScenario(Scenario.UNKNOWN_USERS).floodKind()).isEqualTo(Scenario.SNOWSHOE);
        assertThat(defaults.forScenario(Scenario.UNKNOWN_USERS).unknownUserMessages()).isEqualTo(50);
        assertThat(defaults.forScenario(Scenario.SNOWSHOE).unknownUserMessages()).isZero();
        assertThat(new SluiceSystem(defaults, List.of("sluice-daemon"), Path.of("/tmp/unused")).changedFromDefaults())
            .as("nothing beyond what a new user must set").isEmpty();

        final ScenarioOptions tuned = ScenarioOptions.parse("--out", "x", "--open-buckets", "--scenarios", "snowshoe,spoofed",
            "--upstream-rate", "500");
        assertThat(tuned.scenarios()).containsExactly(Scenario.SNOWSHOE, Scenario.SPOOFED);
        assertThat(new SluiceSystem(tuned, List.of("sluice-daemon"), Path.of("/tmp/unused")).changedFromDefaults())
            .contains("drain.routes=default:500:20,notifications:20:5", "admission.network.ratePerSecond=1000000",
                "admission.tenant.burst=1000000");
    }

    @Test
    void shouldRefuseBadOptionsNamingTheOptionAndTheValue()
    {
        assertThatThrownBy(() -> ScenarioOptions.parse("--out", "x", "--scenarios", "spoofed,ddos"))
            .hasMessage("--scenarios ddos: expected spoofed, snowshoe, unknown-users or bulk");
        assertThatThrownBy(() -> ScenarioOptions.parse("--out", "x", "--unknown-users-flood", "unknown-users"))
            .hasMessageContaining("expected spoofed, snowshoe or bulk");
        assertThatThrownBy(() -> ScenarioOptions.parse("--out", "x", "--legit-sources", "251"))
            .hasMessageContaining("--legit-sources 251");
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
