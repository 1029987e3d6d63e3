package io.sluice.admission;

import java.net.InetAddress;
import java.net.UnknownHostException;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.BucketState;
import io.github.bucket4j.MathType;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.sluice.net.Cidr;
import io.sluice.net.MailAddress;

/**
 * One key of the bucket table and the Bucket4j state of its buckets, one per {@link Traffic}. The entry is its
 * own key (a decision looks it up with its thread's {@link KeyProbe}, and a miss inserts a new key with no
 * state), which saves a separate key object per tracked source.
 *
 * <p>Addresses and networks are held as two longs rather than text, so a lookup neither formats nor parses;
 * names (sender domains, tenants) as strings.
 *
 * <p>Thread-safe: each bucket is a Bucket4j {@link BucketState} mutated in place under this key's monitor, the
 * scheme of Bucket4j's own {@code SynchronizedBucket}, held for the few dozen nanoseconds of its arithmetic and
 * never across anything that can wait (no I/O, no other key's monitor, no allocation but the rare configuration
 * change). All token arithmetic is Bucket4j's: refill, consumption, the delay until the next token, and
 * configuration replacement.
 *
 * <p>Why not Bucket4j's {@code LockFreeBucket} algorithm (copy the state, update the copy, swap it in by
 * compare-and-set): with a million keys, every decision then stored five fresh young objects into old ones, so
 * each young collection had to copy every recently updated state. Measured with AdmissionDecisionBenchmark
 * (accept, a million sources): 8.5 µs per decision on average with copy-and-swap, 1.4 µs in place; median
 * 1.45 µs against 1.0 µs. A {@code LockFreeBucket} object per bucket would also cost 208 bytes against 64 for
 * the bare state (five views and an {@code AtomicReference} beside it), tripling the heap per key.
 */
final class TrackedKey
{
    /** {@link Traffic#values()} once: eviction and the snapshot call {@link #fill} for every key, a million of them. */
    private static final Traffic[] TRAFFIC = Traffic.values();

    final KeyKind kind;
    /** For addresses and networks: whether it is IPv6, and its prefix length (32 or 128 for one address). */
    final boolean ipv6;
    final byte prefixLength;
    final long high;
    final long low;
    /** For names; null for addresses and networks. */
    final String name;
    /** For a class bucket ({@link ClassLimits}): the {@link SourceClass} ordinal; -1 for the kind's own buckets. */
    final byte sourceClass;

    /** Bucket4j state per traffic, mutated in place; all three guarded by {@code this}. */
    private BucketState connections;
    private BucketState messages;
    private BucketState recipients;
    /** Messages asked for lately, for {@code topSources}; racy increments and halving make it approximate by design. */
    int volume;

    private TrackedKey(final KeyKind kind, final boolean ipv6, final int prefixLength, final long high, final long low,
        final String name)
    {
        this(kind, ipv6, prefixLength, high, low, name, -1);
    }

    private TrackedKey(final KeyKind kind, final boolean ipv6, final int prefixLength, final long high, final long low,
        final String name, final int sourceClass)
    {
        this.sourceClass = (byte)sourceClass;
        this.kind = kind;
        this.ipv6 = ipv6;
        this.prefixLength = (byte)prefixLength;
        this.high = high;
        this.low = low;
        this.name = name;
    }

    /** @return the key of {@code address}, or of its network when {@code prefixLength} is shorter than the address. */
    static TrackedKey ofAddress(final KeyKind kind, final InetAddress address, final int prefixLength)
    {
        return ofBytes(kind, address.getAddress(), prefixLength);
    }

    static TrackedKey ofBytes(final KeyKind kind, final byte[] bytes, final int prefixLength)
    {
        return ofBytes(kind, bytes, prefixLength, -1);
    }

    private static TrackedKey ofBytes(final KeyKind kind, final byte[] bytes, final int prefixLength, final int sourceClass)
    {
        return new TrackedKey(kind, bytes.length != 4, prefixLength, highBits(bytes, prefixLength),
            lowBits(bytes, prefixLength), null, sourceClass);
    }

    /** @return the upper 64 bits of an IPv6 address's first {@code prefixLength} bits; 0 for IPv4. */
    static long highBits(final byte[] bytes, final int prefixLength)
    {
        if (bytes.length == 4)
        {
            return 0;
        }
        long high = 0;
        for (int i = 0; i < 8; i++)
        {
            high = (high << 8) | (bytes[i] & 0xFFL);
        }
        return high & mask(prefixLength);
    }

    /** @return the lower 64 bits of an IPv6 address's first {@code prefixLength} bits; an IPv4 address's 32 bits. */
    static long lowBits(final byte[] bytes, final int prefixLength)
    {
        if (bytes.length == 4)
        {
            final long value = ((bytes[0] & 0xFFL) << 24) | ((bytes[1] & 0xFFL) << 16)
                | ((bytes[2] & 0xFFL) << 8) | (bytes[3] & 0xFFL);
            return value & (0xFFFF_FFFFL << (32 - prefixLength)) & 0xFFFF_FFFFL;
        }
        long low = 0;
        for (int i = 8; i < 16; i++)
        {
            low = (low << 8) | (bytes[i] & 0xFFL);
        }
        return low & mask(prefixLength - 64);
    }

    /** @return the leading {@code bits} of a long set, the rest clear; all clear for {@code bits <= 0}. */
    private static long mask(final int bits)
    {
        if (bits <= 0)
        {
            return 0;
        }
        return bits >= 64 ? -1L : -1L << (64 - bits);
    }

    /** @return the key of an address or network as held elsewhere (a reputation entry), without buckets. */
    static TrackedKey fromParts(final KeyKind kind, final boolean ipv6, final int prefixLength, final long high,
        final long low)
    {
        return new TrackedKey(kind, ipv6, prefixLength, high, low, null);
    }

    /** @return the key of an address or network, of a class bucket unless {@code sourceClass} is -1, without buckets. */
    static TrackedKey fromParts(final KeyKind kind, final boolean ipv6, final int prefixLength, final long high,
        final long low, final int sourceClass)
    {
        return new TrackedKey(kind, ipv6, prefixLength, high, low, null, sourceClass);
    }

    /** @return whether this key holds a class bucket rather than one of its kind's own. */
    boolean isClassKey()
    {
        return sourceClass >= 0;
    }

    static TrackedKey ofName(final KeyKind kind, final String name)
    {
        return new TrackedKey(kind, false, 0, 0, 0, name);
    }

    /**
     * @return the key of {@code kind} written as {@code text}, in canonical form; never a DNS lookup.
     * @throws IllegalArgumentException if the text is not a key of that kind, saying what is expected.
     */
    static TrackedKey parse(final KeyKind kind, final String text, final int ipv4PrefixLength, final int ipv6PrefixLength)
    {
        final String trimmed = text == null ? "" : text.trim();
        switch (kind)
        {
            case IP ->
            {
                final byte[] bytes = Cidr.literal(trimmed);
                if (bytes == null)
                {
                    throw new IllegalArgumentException("IP key '" + text + "': expected an address such as 198.51.100.7");
                }
                return TrackedKey.ofBytes(KeyKind.IP, bytes, bytes.length * 8);
            }
            case NETWORK ->
            {
                final Cidr network = Cidr.parse("NETWORK key", trimmed);
                final int expected = network.isIpv6() ? ipv6PrefixLength : ipv4PrefixLength;
                if (network.prefixLength() != expected)
                {
                    throw new IllegalArgumentException("NETWORK key '" + text + "': expected a /" + ipv4PrefixLength
                        + " IPv4 or /" + ipv6PrefixLength + " IPv6 network, the grain networks are counted in");
                }
                return TrackedKey.ofBytes(KeyKind.NETWORK, network.networkBytes(), expected);
            }
            case SENDER_DOMAIN ->
            {
                final String domain = MailAddress.normalizeDomain(trimmed);
                if (!SpoofPolicy.isDomain(domain))
                {
                    throw new IllegalArgumentException("SENDER_DOMAIN key '" + text + "': expected a domain such as example.com");
                }
                return TrackedKey.ofName(KeyKind.SENDER_DOMAIN, domain);
            }
            case TENANT ->
            {
                if (trimmed.isEmpty() || trimmed.length() > Admission.MAX_NAME_LENGTH || !trimmed.equals(text))
                {
                    throw new IllegalArgumentException("TENANT key '" + text + "': expected a tenant name (1 to "
                        + Admission.MAX_NAME_LENGTH + " characters, no surrounding spaces)");
                }
                return TrackedKey.ofName(KeyKind.TENANT, trimmed);
            }
            default -> throw new IllegalArgumentException("GLOBAL has a single key: set its default limit instead");
        }
    }

    /** @return the key as an operator writes it: {@code 198.51.100.7}, {@code 2001:db8::/64}, {@code example.com}. */
    String text()
    {
        if (name != null)
        {
            return name;
        }
        final byte[] bytes = new byte[ipv6 ? 16 : 4];
        if (ipv6)
        {
            for (int i = 0; i < 8; i++)
            {
                bytes[i] = (byte)(high >>> (56 - 8 * i));
                bytes[i + 8] = (byte)(low >>> (56 - 8 * i));
            }
        }
        else
        {
            for (int i = 0; i < 4; i++)
            {
                bytes[i] = (byte)(low >>> (24 - 8 * i));
            }
        }
        try
        {
            final String address = InetAddress.getByAddress(bytes).getHostAddress();
            return kind == KeyKind.NETWORK ? address + "/" + prefixLength : address;
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** Guarded by {@code this}. */
    private BucketState state(final Traffic traffic)
    {
        return switch (traffic)
        {
            case CONNECTIONS -> connections;
            case MESSAGES -> messages;
            case RECIPIENTS -> recipients;
        };
    }

    /** Guarded by {@code this}. */
    private void state(final Traffic traffic, final BucketState state)
    {
        switch (traffic)
        {
            case CONNECTIONS -> connections = state;
            case MESSAGES -> messages = state;
            case RECIPIENTS -> recipients = state;
            default -> throw new IllegalArgumentException(String.valueOf(traffic));
        }
    }

    /**
     * Takes tokens from this key's bucket for {@code traffic}, creating it full or moving it to a changed
     * configuration first (tokens kept as they are, capped at the new burst).
     *
     * @return 0 if taken, else the nanoseconds until that many tokens will be there (at least 1).
     */
    long tryConsume(final Traffic traffic, final BucketConfiguration configuration, final long tokens, final long nowNs)
    {
        return tryConsume(traffic, configuration, tokens, 0, nowNs);
    }

    /**
     * Takes tokens as {@link #tryConsume(Traffic, BucketConfiguration, long, long)} does, only if {@code kept} tokens
     * are left after them (a share reserved for others, {@link TenantReserve}).
     *
     * @return 0 if taken, else the nanoseconds until that many tokens and the kept ones will be there.
     */
    synchronized long tryConsume(final Traffic traffic, final BucketConfiguration configuration, final long tokens,
        final long kept, final long nowNs)
    {
        final BucketState state = current(traffic, configuration, nowNs);
        state.refillAllBandwidth(nowNs);
        if (state.getAvailableTokens() < tokens + kept)
        {
            return Math.max(1, state.calculateDelayNanosAfterWillBePossibleToConsume(tokens + kept, nowNs, false));
        }
        state.consume(tokens);
        return 0;
    }

    /** Gives back tokens taken by {@link #tryConsume} for a decision that was refused further on; never above the burst. */
    synchronized void refund(final Traffic traffic, final long tokens, final long nowNs)
    {
        final BucketState state = state(traffic);
        if (state != null)
        {
            state.refillAllBandwidth(nowNs);
            state.addTokens(tokens);
        }
    }

    /** Installs a restored state (from the state file) if the bucket has none yet. */
    synchronized void restore(final Traffic traffic, final BucketState restored)
    {
        if (state(traffic) == null)
        {
            state(traffic, restored);
        }
    }

    /** @return the tokens available now in the bucket for {@code traffic}, or -1 if it has none. */
    synchronized long availableTokens(final Traffic traffic, final long nowNs)
    {
        final BucketState state = state(traffic);
        if (state == null)
        {
            return -1;
        }
        state.refillAllBandwidth(nowNs);
        return state.getAvailableTokens();
    }

    /** @return the burst of the bucket for {@code traffic}, or -1 if it has none. */
    synchronized long capacity(final Traffic traffic)
    {
        final BucketState state = state(traffic);
        return state == null ? -1 : state.getConfiguration().getBandwidths()[0].getCapacity();
    }

    /**
     * @return how full the emptiest of this key's buckets is now, 0.0 to 1.0; 1.0 when every bucket is full or
     *         absent, i.e. when the key carries no information and dropping it changes no decision.
     */
    synchronized double fill(final long nowNs)
    {
        double fill = 1.0;
        for (final Traffic traffic : TRAFFIC)
        {
            final BucketState state = state(traffic);
            if (state != null)
            {
                state.refillAllBandwidth(nowNs);
                final long capacity = state.getConfiguration().getBandwidths()[0].getCapacity();
                fill = Math.min(fill, (double)state.getAvailableTokens() / capacity);
            }
        }
        return fill;
    }

    /** Guarded by {@code this}. @return the bucket's state under {@code configuration}, created or moved to it if need be. */
    private BucketState current(final Traffic traffic, final BucketConfiguration configuration, final long nowNs)
    {
        final BucketState state = state(traffic);
        if (state == null)
        {
            final BucketState created = BucketState.createInitialState(configuration, MathType.INTEGER_64_BITS, nowNs);
            state(traffic, created);
            return created;
        }
        if (state.getConfiguration() != configuration)
        {
            // A default or override changed: the source keeps the tokens it has (capped at the new burst), so
            // raising a limit grants no instant burst and lowering one takes effect at once.
            state.refillAllBandwidth(nowNs);
            final BucketState moved = state.replaceConfiguration(configuration, TokensInheritanceStrategy.AS_IS, nowNs);
            state(traffic, moved);
            return moved;
        }
        return state;
    }

    @Override
    public boolean equals(final Object other)
    {
        if (this == other)
        {
            return true;
        }
        return other instanceof TrackedKey key && key.kind == kind && key.high == high && key.low == low
            && key.ipv6 == ipv6 && key.sourceClass == sourceClass && (name == null ? key.name == null : name.equals(key.name));
    }

    @Override
    public int hashCode()
    {
        return name != null ? nameHash(kind, name) : addressHash(kind, ipv6, high, low, sourceClass);
    }

    /** The hash of a name key; {@link KeyProbe} hashes the same way. */
    static int nameHash(final KeyKind kind, final String name)
    {
        return name.hashCode() * 31 + kind.ordinal();
    }

    /** The hash of an address or network key; {@link KeyProbe} hashes the same way. */
    static int addressHash(final KeyKind kind, final boolean ipv6, final long high, final long low, final int sourceClass)
    {
        // Spread the address bits: networks differ only in their upper bits, hosts in their lower ones.
        final long mixed = (high * 0x9E37_79B9_7F4A_7C15L) ^ low ^ (ipv6 ? 0x5555_5555_0000_0000L : 0);
        final long spread = mixed * 0xC2B2_AE3D_27D4_EB4FL;
        return ((int)(spread ^ (spread >>> 32)) * 31 + kind.ordinal()) * 7 + sourceClass;
    }

    @Override
    public String toString()
    {
        final String kindText = kind.label() + " " + text();
        return isClassKey() ? SourceClass.values()[sourceClass].label() + " " + kindText : kindText;
    }
}
