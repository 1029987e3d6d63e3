package io.sluice.control;

import java.util.List;

/** The quarantine as the consoles see it: what is held, and an operator's release and delete. Thread-safe. */
public interface QuarantinedMail
{
    /** @return the quarantined messages, oldest first. */
    List<QuarantineRow> list();

    /**
     * Releases the named messages: each goes back to the drain, in its own lane. All or nothing.
     *
     * @param queueIds queue ids as {@link #list} shows them.
     * @return how many were released.
     * @throws IllegalArgumentException naming an id that is not a quarantined message; nothing is released then.
     */
    int release(List<String> queueIds);

    /** @return how many were released: every quarantined message. */
    int releaseAll();

    /**
     * Deletes the named messages for good (journaled {@code PURGED}). All or nothing.
     *
     * @return how many were deleted.
     * @throws IllegalArgumentException naming an id that is not a quarantined message; nothing is deleted then.
     */
    int delete(List<String> queueIds);
}
