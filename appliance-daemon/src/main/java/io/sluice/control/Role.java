package io.sluice.control;

import java.util.Locale;
import java.util.Set;

/**
 * What a console principal may do. {@link #MONITOR}, {@link #OPERATOR} and {@link #ADMIN} are levels, each with the
 * rights of the one before; {@link #DIAGNOSTICS} stands apart (heap dumps, diagnostic commands, every JVM bean) and is
 * granted only where {@code jmx.diagnostics=true}: a heap dump holds mail content, envelopes and relay credentials.
 * No role may create or unregister MBeans or load classes.
 */
public enum Role
{
    /** Reads the io.sluice beans and the read-only platform beans (memory, threads, GC, buffer pools). */
    MONITOR,
    /**
     * Also changes limits, pauses and resumes, holds and releases, blocks; deletes quarantined messages it names one by
     * one, with a confirmation.
     */
    OPERATOR,
    /** Also purges a whole tenant's mail, and changes the appliance's configuration. */
    ADMIN,
    /** Every bean outside io.sluice: heap dumps, diagnostic commands, JVM settings. */
    DIAGNOSTICS;

    /** @return the word an access file uses for this role. */
    public String word()
    {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return the role an access file names, or null for an unknown word. */
    static Role parse(final String word)
    {
        for (final Role role : values())
        {
            if (role.word().equals(word))
            {
                return role;
            }
        }
        return null;
    }

    /** @return whether a principal holding {@code held} has the rights of {@code needed}. */
    static boolean allows(final Set<Role> held, final Role needed)
    {
        if (needed == DIAGNOSTICS)
        {
            return held.contains(DIAGNOSTICS);
        }
        for (final Role role : held)
        {
            if (role != DIAGNOSTICS && role.ordinal() >= needed.ordinal())
            {
                return true;
            }
        }
        return false;
    }
}
