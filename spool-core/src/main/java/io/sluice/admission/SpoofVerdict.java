package io.sluice.admission;

/** What to do with mail that shows the spoofing pattern: forged sender, often equal to the recipient. */
public enum SpoofVerdict
{
    /** Not the pattern. */
    PASS,
    /** The pattern, accepted into the low-priority {@code suspect} lane the drain serves last and slowest. */
    SUSPECT,
    /** The pattern, refused at RCPT time with {@code 550 5.7.1} (the default). */
    REFUSE,
    /**
     * The pattern, accepted (drawing on the suspect buckets, in the suspect lane) but held in the spool as it arrives:
     * never delivered until an operator releases it, kept for the operator to look at instead of refused.
     */
    QUARANTINE
}
