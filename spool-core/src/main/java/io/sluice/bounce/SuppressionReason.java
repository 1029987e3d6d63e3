package io.sluice.bounce;

/**
 * Why a bounce was not sent, in the order {@link BouncePolicy#decide} checks: the verdicts that hold whatever the
 * load (up to {@link #SUPPRESSION_LIST}) come before the limits, so a forged bounce is counted as forged, not as
 * rate limited, and takes no token from any bucket.
 */
public enum SuppressionReason
{
    /**
     * The message was a bounce (in the bounces lane): a bounce never bounces, so two routes that reject each
     * other's mail can never ping-pong notifications.
     */
    BOUNCE_OF_BOUNCE(BounceCounter.SUPPRESSED_BOUNCE_OF_BOUNCE, "the failed message was itself a bounce"),
    /**
     * The message had the null reverse-path {@code <>}: RFC 5321 section 4.5.5 forbids sending a notification to
     * it, and it is what a bounce itself carries.
     */
    NULL_SENDER(BounceCounter.SUPPRESSED_NULL_SENDER, "null sender: RFC 5321 4.5.5 forbids a bounce to <>"),
    /** The sender is not a mailbox a notification could reach. */
    INVALID_SENDER(BounceCounter.SUPPRESSED_INVALID_SENDER, "the sender is not a mailbox"),
    /**
     * From outside the trusted networks with a sender equal to a recipient, a sender in a protected domain, or a
     * message admission put in the suspect lane: the forged senders of a spoofing flood, whose owners never sent it.
     */
    SPOOF_PATTERN(BounceCounter.SUPPRESSED_SPOOF_PATTERN, "forged sender pattern from outside the trusted networks"),
    /**
     * The upstream refused it for policy or malware ({@code 5.7.x}); a flood's payload is refused this way, and
     * its sender is forged. Sent only if {@link BounceContext#POLICY_FAILURES_BOUNCE} is on.
     */
    POLICY_FAILURE(BounceCounter.SUPPRESSED_POLICY_FAILURE, "policy or malware rejection (5.7.x)"),
    /** The sender hard-bounced recently (its own bounce failed, or it is a mailbox the upstream says is unknown). */
    SUPPRESSION_LIST(BounceCounter.SUPPRESSED_SUPPRESSION_LIST, "the sender recently hard-bounced"),
    /** The same bounce (same bounce recipient, failed recipient and status) was sent within the dedup window. */
    DUPLICATE(BounceCounter.SUPPRESSED_DUPLICATE, "an identical bounce was sent within the dedup window"),
    /**
     * Bounces over the window reached their budget: a fraction of the mail accepted over the same window. Not a
     * suppression: the DSN is deferred in the spool ({@link BounceDecision.Action#DEFER}) and sent as the window
     * allows, or when an operator releases it. Whatever the verdicts above recognise as forged never gets this far.
     */
    BUDGET_EXCEEDED(BounceCounter.DEFERRED_OVER_BUDGET, "the global bounce budget is spent: deferred, not dropped"),
    /** The bounce recipient's own bucket is empty. */
    RATE_LIMITED_RECIPIENT(BounceCounter.SUPPRESSED_RATE_LIMITED_RECIPIENT, "too many bounces to this recipient"),
    /** The bounce recipient's domain's bucket is empty. */
    RATE_LIMITED_DOMAIN(BounceCounter.SUPPRESSED_RATE_LIMITED_DOMAIN, "too many bounces to this recipient's domain");

    private final BounceCounter counter;
    private final String description;

    SuppressionReason(final BounceCounter counter, final String description)
    {
        this.counter = counter;
        this.description = description;
    }

    /** @return the counter that counts this reason. */
    public BounceCounter counter()
    {
        return counter;
    }

    /** @return one line for an operator. */
    public String description()
    {
        return description;
    }
}
