package io.sluice.admission;

import static io.sluice.admission.AdmissionTesting.ip;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The decision path's reusable probe must find exactly the keys and entries a fresh key would: same hash, equal to
 * the stored key and to no other, for IPv4 and IPv6 addresses and networks, class keys and names.
 */
class KeyProbeTest
{
    private static final List<String> ADDRESSES = List.of("198.51.100.7", "0.0.0.0", "255.255.255.255", "2001:db8::1",
        "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "::1");

    @Test
    void shouldFindTheTrackedKeyOfEveryAddressNetworkAndClass()
    {
        final KeyProbe probe = KeyProbe.local();
        for (final String text : ADDRESSES)
        {
            final byte[] bytes = ip(text).getAddress();
            final int full = bytes.length * 8;
            final int network = bytes.length == 4 ? 24 : 64;
            for (final int sourceClass : new int[] {-1, SourceClass.CLEAN.ordinal(), SourceClass.SUSPECT.ordinal()})
            {
                final TrackedKey address = TrackedKey.fromParts(KeyKind.IP, bytes.length != 4, full,
                    TrackedKey.highBits(bytes, full), TrackedKey.lowBits(bytes, full), sourceClass);
                probe.address(KeyKind.IP, bytes, full, sourceClass);
                assertThat(probe.hashCode()).as(text).isEqualTo(address.hashCode());
                assertThat(probe.equals(address)).as(text).isTrue();
                assertThat(probe.toKey()).as(text).isEqualTo(address).hasSameHashCodeAs(address);

                final TrackedKey net = TrackedKey.fromParts(KeyKind.NETWORK, bytes.length != 4, network,
                    TrackedKey.highBits(bytes, network), TrackedKey.lowBits(bytes, network), sourceClass);
                probe.address(KeyKind.NETWORK, bytes, network, sourceClass);
                assertThat(probe.hashCode()).as(text).isEqualTo(net.hashCode());
                assertThat(probe.equals(net)).as(text).isTrue();
                assertThat(probe.equals(address)).as(text + ": a network is not its address").isFalse();
            }
            assertThat(KeyProbe.local().address(KeyKind.IP, bytes, full, SourceClass.CLEAN.ordinal())
                .equals(TrackedKey.ofBytes(KeyKind.IP, bytes, full))).as(text + ": a class key is not the kind's own").isFalse();
        }
    }

    @Test
    void shouldFindTheReputationEntryOfEveryAddressAndNetwork()
    {
        for (final String text : ADDRESSES)
        {
            final byte[] bytes = ip(text).getAddress();
            for (final int prefix : new int[] {bytes.length * 8, bytes.length == 4 ? 24 : 64})
            {
                final ReputationEntry entry = new ReputationEntry(bytes.length != 4, prefix,
                    TrackedKey.highBits(bytes, prefix), TrackedKey.lowBits(bytes, prefix));
                final KeyProbe probe = KeyProbe.local().entry(bytes, prefix);
                assertThat(probe.hashCode()).as(text + "/" + prefix).isEqualTo(entry.hashCode());
                assertThat(probe.equals(entry)).as(text + "/" + prefix).isTrue();
                assertThat(probe.toEntry()).as(text + "/" + prefix).isEqualTo(entry).hasSameHashCodeAs(entry);
            }
        }
    }

    @Test
    void shouldFindNameKeysAndNoOther()
    {
        final TrackedKey domain = TrackedKey.ofName(KeyKind.SENDER_DOMAIN, "example.com");
        assertThat(KeyProbe.local().name(KeyKind.SENDER_DOMAIN, "example.com").equals(domain)).isTrue();
        assertThat(KeyProbe.local().name(KeyKind.SENDER_DOMAIN, "example.com").hashCode()).isEqualTo(domain.hashCode());
        assertThat(KeyProbe.local().name(KeyKind.TENANT, "example.com").equals(domain)).isFalse();
        assertThat(KeyProbe.local().name(KeyKind.SENDER_DOMAIN, "example.org").equals(domain)).isFalse();
    }
}
