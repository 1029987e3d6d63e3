package io.sluice.net;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link Cidr#literal}: what an envelope's source key parses to (reputation), without a name ever being looked up. */
class CidrLiteralTest
{
    @Test
    void parsesDottedQuads()
    {
        assertThat(Cidr.literal("127.0.0.1")).containsExactly(127, 0, 0, 1);
        assertThat(Cidr.literal("255.255.255.255")).containsExactly(-1, -1, -1, -1);
        assertThat(Cidr.literal("192.0.2.007")).as("three digits, leading zeros").containsExactly(192, 0, 2, 7);
    }

    @Test
    void refusesWhatIsNotADottedQuad()
    {
        assertThat(Cidr.literal("")).isNull();
        assertThat(Cidr.literal("1.2.3")).isNull();
        assertThat(Cidr.literal("1.2.3.4.5")).isNull();
        assertThat(Cidr.literal("1.2.3.")).isNull();
        assertThat(Cidr.literal(".1.2.3")).isNull();
        assertThat(Cidr.literal("1..2.3")).isNull();
        assertThat(Cidr.literal("1.2.3.256")).isNull();
        assertThat(Cidr.literal("1.2.3.0001")).isNull();
        assertThat(Cidr.literal("...")).isNull();
        assertThat(Cidr.literal("local-submitter")).as("a source key that is no address").isNull();
        assertThat(Cidr.literal("abc")).isNull();
    }

    @Test
    void parsesIpv6LiteralsAndNeverNames()
    {
        assertThat(Cidr.literal("::1")).hasSize(16).endsWith(1);
        assertThat(Cidr.literal("2001:db8::1:2")).hasSize(16).startsWith(0x20, 0x01, 0x0d, 0xb8);
        assertThat(Cidr.literal("::ffff:192.0.2.1")).as("a mapped v4 address, as the JDK parses it").isNotNull();
        assertThat(Cidr.literal("fe80::1%eth0")).as("a scope is not part of a literal here").isNull();
        assertThat(Cidr.literal("localhost")).isNull();
    }
}
