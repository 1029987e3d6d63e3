package io.sluice.control;

/**
 * The console for the bounce policy: what was bounced, what was suppressed and why, the budget; and the senders refused
 * at SMTP time, so what would only bounce is never accepted.
 */
@Description("Bounces: DSNs generated, bounces suppressed by reason, the bounce budget, the suppression list, blocked senders")
@Requires(Role.OPERATOR)
public interface BouncesControlMXBean
{
    @Description("Permanent failures the bounce policy decided")
    long getDecisions();

    @Description("Bounces allowed: DSNs built and handed to the spool")
    long getGenerated();

    @Description("DSNs the spool took (lane bounces)")
    long getDsnsSpooled();

    @Description("DSNs allowed but refused by the spool or not buildable; the failure was journaled anyway")
    long getDsnsRefused();

    @Description("Bounces suppressed, all reasons")
    long getSuppressed();

    @Description("Bounces suppressed, one line per reason: REASON count")
    String[] getSuppressedByReason();

    @Description("Bounces deferred over the budget: held in the spool and sent as the budget window allows, never dropped")
    long getDeferred();

    @Description("Deferred bounces waiting in the spool now")
    int getDeferredWaiting();

    @Description("Sends up to max deferred bounces now, oldest first, whatever the budget (charged to it); returns how many")
    int releaseDeferred(@Description(value = "how many at most, at least 1", name = "max") int max);

    @Description("The bounce budget over its sliding window: accepted, bounces, allowed")
    String getBudget();

    @Description("Recent suppressions, newest first: time, queue id, sender, recipient, reason, status")
    String[] getRecentSuppressions();

    @Description("Addresses on the suppression list, with their expiry")
    String[] getSuppressionList();

    @Description("Puts an address on the suppression list for a while")
    void suppress(
        @Description(value = "a mailbox such as user@example.com", name = "address") String address,
        @Description(value = "how long, in ms", name = "durationMs") long durationMs);

    @Description("Takes an address off the suppression list; false if it was not on it")
    boolean unsuppress(@Description(value = "the address", name = "address") String address);

    @Description("Envelope senders refused at MAIL FROM with 550 5.7.1 (admission.blockedSenders): addresses and domains")
    String[] getBlockedSenders();

    @Description("Refuses a sender at MAIL FROM from now on (saved): user@example.com, or example.com for the domain")
    void blockSender(@Description(value = "user@domain, domain or @domain", name = "entry") String entry);

    @Description("Accepts a blocked sender again (saved); false if it was not blocked")
    boolean unblockSender(@Description(value = "the entry as it was blocked", name = "entry") String entry);
}
