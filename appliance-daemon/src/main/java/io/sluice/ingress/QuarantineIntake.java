package io.sluice.ingress;

import io.sluice.spool.Envelope;

/**
 * Where the SMTP listener announces spoofed mail it accepts with the {@code QUARANTINE} spoof action, just before it
 * appends it: the spool's listener then holds it as it arrives, so it is never delivered until an operator releases it.
 * Called on Netty's threads: must be quick. A listener started without one refuses such mail as {@code REFUSE} would:
 * never forwarded.
 */
public interface QuarantineIntake
{
    /** Before the append: the envelope (by identity) arrives to be quarantined. */
    void expect(Envelope envelope);

    /** The append was refused: nothing arrives. */
    void forget(Envelope envelope);
}
