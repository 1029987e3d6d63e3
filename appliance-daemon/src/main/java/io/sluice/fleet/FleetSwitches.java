package io.sluice.fleet;

/**
 * An operator's switches the fleet shares: the drain's pauses, the blocklist and admission's per-key overrides. The
 * console's code tells the fleet of each change an operator makes on this node ({@link #changed}); the fleet applies the
 * other nodes' changes here through what each switch {@link #bind}s. {@link #NONE} is the single appliance: nothing
 * told, nothing applied.
 */
public interface FleetSwitches
{
    /** The switches shared, each its own hash in Redis and its own two words on the fleet's channel. */
    enum Kind
    {
        PAUSED_ROUTE("pauses:route", "pause-route", "resume-route"),
        PAUSED_TENANT("pauses:tenant", "pause-tenant", "resume-tenant"),
        PAUSED_SOURCE("pauses:source", "pause-source", "resume-source"),
        /** Value: the block's expiry, epoch ms, or 0 for until unblocked. */
        BLOCKED_NETWORK("blocks", "block", "unblock"),
        /** Entry: {@code <key kind>:<key>} (e.g. {@code tenant:acme}); value: {@code <rate per second> <burst>}. */
        LIMIT_OVERRIDE("overrides", "override", "unoverride");

        private final String hash;
        private final String onWord;
        private final String offWord;

        Kind(final String hash, final String onWord, final String offWord)
        {
            this.hash = hash;
            this.onWord = onWord;
            this.offWord = offWord;
        }

        String hash()
        {
            return hash;
        }

        String onWord()
        {
            return onWord;
        }

        String offWord()
        {
            return offWord;
        }
    }

    /** Applies another node's change here. */
    @FunctionalInterface
    interface Applier
    {
        /** @return true if it changed something here; false if it was so already or does not apply to this node. */
        boolean apply(String entry, boolean on, String value);
    }

    /** The single appliance. */
    FleetSwitches NONE = new FleetSwitches()
    {
        @Override
        public void changed(final Kind kind, final String entry, final boolean on, final String value)
        {
        }

        @Override
        public void bind(final Kind kind, final Applier applier)
        {
        }
    };

    /**
     * An operator's change on this node, already applied and saved here: told to the fleet. A change this node makes
     * because another did is not told again.
     *
     * @param value the entry's value when on ("" for a pause); ignored when off.
     */
    void changed(Kind kind, String entry, boolean on, String value);

    /** Binds how the other nodes' changes of one kind are applied here; they wait for it (the next catch-up). */
    void bind(Kind kind, Applier applier);
}
