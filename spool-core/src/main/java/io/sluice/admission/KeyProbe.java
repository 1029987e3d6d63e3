package io.sluice.admission;

import java.util.Objects;

/**
 * A reusable lookup key, one per thread, for the decision path: it equals the {@link TrackedKey} or the
 * {@link ReputationEntry} it describes and hashes like it, so a lookup in their tables needs no fresh key object.
 * Only a miss, which inserts, builds a real key ({@link #toKey}, {@link #toEntry}).
 *
 * <p>Why: a fresh probe per lookup cost a decision 250 to 530 bytes of garbage (five to nine probes and their
 * arrays) at every message, and the JIT could not drop them, since each probe was either stored on a miss or
 * merged with another key. Measured with AdmissionDecisionBenchmark and {@code -prof gc}.
 *
 * <p>Not thread-safe by design: each thread has its own ({@link #local}), and a caller fills it, looks up, and is
 * done with it before the next lookup fills it again; no probe is held across a call that may look up.
 */
final class KeyProbe
{
    private static final ThreadLocal<KeyProbe> LOCAL = ThreadLocal.withInitial(KeyProbe::new);

    private KeyKind kind;
    private boolean ipv6;
    private int prefixLength;
    private long high;
    private long low;
    private String name;
    private int sourceClass;
    /** Whether this probe stands for a {@link ReputationEntry} rather than a {@link TrackedKey}. */
    private boolean entry;
    private int hash;

    private KeyProbe()
    {
    }

    /** @return this thread's probe. */
    static KeyProbe local()
    {
        return LOCAL.get();
    }

    /** @return this probe, set to the key of {@code bytes}' first {@code prefixLength} bits; a class key unless -1. */
    KeyProbe address(final KeyKind kind, final byte[] bytes, final int prefixLength, final int sourceClass)
    {
        setAddress(bytes, prefixLength);
        this.kind = kind;
        this.name = null;
        this.sourceClass = sourceClass;
        this.entry = false;
        this.hash = TrackedKey.addressHash(kind, ipv6, high, low, sourceClass);
        return this;
    }

    /** @return this probe, set to the key of a sender domain or tenant. */
    KeyProbe name(final KeyKind kind, final String name)
    {
        this.kind = kind;
        this.ipv6 = false;
        this.prefixLength = 0;
        this.high = 0;
        this.low = 0;
        this.name = name;
        this.sourceClass = -1;
        this.entry = false;
        this.hash = TrackedKey.nameHash(kind, name);
        return this;
    }

    /** @return this probe, set to the reputation entry of {@code bytes}' first {@code prefixLength} bits. */
    KeyProbe entry(final byte[] bytes, final int prefixLength)
    {
        setAddress(bytes, prefixLength);
        this.kind = null;
        this.name = null;
        this.sourceClass = -1;
        this.entry = true;
        this.hash = ReputationEntry.hash(ipv6, prefixLength, high, low);
        return this;
    }

    private void setAddress(final byte[] bytes, final int prefixLength)
    {
        this.ipv6 = bytes.length != 4;
        this.prefixLength = prefixLength;
        this.high = TrackedKey.highBits(bytes, prefixLength);
        this.low = TrackedKey.lowBits(bytes, prefixLength);
    }

    KeyKind kind()
    {
        return kind;
    }

    /** @return a new tracked key equal to this probe, with no bucket state. */
    TrackedKey toKey()
    {
        return name != null ? TrackedKey.ofName(kind, name)
            : TrackedKey.fromParts(kind, ipv6, prefixLength, high, low, sourceClass);
    }

    /** @return a new reputation entry equal to this probe, with no points. */
    ReputationEntry toEntry()
    {
        return new ReputationEntry(ipv6, prefixLength, high, low);
    }

    @Override
    public boolean equals(final Object other)
    {
        if (entry)
        {
            return other instanceof ReputationEntry e && e.high == high && e.low == low && e.ipv6 == ipv6
                && e.prefixLength == (byte)prefixLength;
        }
        return other instanceof TrackedKey key && key.kind == kind && key.high == high && key.low == low
            && key.ipv6 == ipv6 && key.sourceClass == (byte)sourceClass && Objects.equals(name, key.name);
    }

    @Override
    public int hashCode()
    {
        return hash;
    }

    @Override
    public String toString()
    {
        return entry ? toEntry().text() : toKey().toString();
    }
}
