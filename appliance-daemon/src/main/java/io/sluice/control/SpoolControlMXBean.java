package io.sluice.control;

/** The console for the spool, ingress and the drain: what is pending, how old, and the switches for an incident. */
@Description("The mail spool: pending backlog, journal activity, outcomes, drain rate and ETA; ingress and drain switches")
@Requires(Role.OPERATOR)
public interface SpoolControlMXBean
{
    @Description("Messages with a recipient not yet delivered, failed or otherwise final")
    long getPendingMessages();

    @Description("Content bytes of the pending messages")
    long getPendingBytes();

    @Description("Age of the oldest pending message, seconds")
    long getOldestPendingAgeSeconds();

    @Description("Messages appended to the journal since start")
    long getMessagesAppended();

    @Description("Recipient outcomes appended to the journal since start")
    long getOutcomesAppended();

    @Description("msync calls (group commits) since start")
    long getSyncBatches();

    @Description("Appends refused since start because free disk space was under the reserve")
    long getAppendsRefusedDiskFull();

    @Description("False while free disk space is under the reserve (disk pressure): new mail gets 452 4.3.1")
    boolean isAcceptingMessages();

    @Description("Free space on the spool's filesystem at the last check, bytes")
    long getDiskFreeBytes();

    @Description("Free space under which new mail is refused (spool.diskReserveBytes), bytes")
    long getDiskReserveBytes();

    @Description("Seconds the current disk pressure has lasted; 0 when there is none")
    long getDiskPressureSeconds();

    @Description("Seconds under disk pressure since start, all episodes")
    long getDiskPressureTotalSeconds();

    @Description("Times free disk space fell under the reserve since start")
    long getDiskPressureEpisodes();

    @Description("Estimated seconds until new mail is accepted again: 0 when accepting, -1 while it cannot be estimated yet")
    long getDiskPressureEtaSeconds();

    @Description("True while ingress is paused by an operator: new connections get 421 4.3.2")
    boolean isIngressPaused();

    @Description("Stops taking new mail: new connections get 421 4.3.2 and new transactions 452 4.3.1; senders retry")
    void pauseIngress();

    @Description("Takes new mail again")
    void resumeIngress();

    @Description("Messages accepted per second, over the last minute")
    double getAcceptedPerSecond();

    @Description("Recipients delivered per second, over the last minute")
    double getDeliveredPerSecond();

    @Description("Recipient deferrals per second, over the last minute")
    double getDeferredPerSecond();

    @Description("Recipients failed for good per second, over the last minute")
    double getFailedPerSecond();

    @Description("Recipients delivered (2xx) since start")
    long getDeliveredRecipients();

    @Description("Recipient deferrals (4xx, retried later) since start")
    long getDeferredRecipients();

    @Description("Recipients failed for good (5xx or expired) since start")
    long getFailedRecipients();

    @Description("Messages whose open recipients are all held (containment or an operator)")
    long getHeldMessages();

    @Description("Pending messages per route and lane, by state, and their bytes (counted every few seconds)")
    String[] getPendingByRouteAndLane();

    @Description("Messages per second the drain sends, measured over its recent window")
    double getDrainRatePerSecond();

    @Description("Seconds until the ready backlog is gone at the current rates")
    long getDrainEtaSeconds();

    @Description("Routes whose drain an operator paused")
    String[] getDrainPausedRoutes();

    @Description("Stops sending mail upstream on one route (or every route): it stays in the spool; kept across restarts")
    void pauseDrain(@Description(value = "the route, e.g. default; empty for every route", name = "route") String route);

    @Description("Sends mail on a paused route (or every route) again")
    void resumeDrain(@Description(value = "the route, e.g. default; empty for every route", name = "route") String route);

    @Description("Retries every deferred message now instead of at its retry time; returns how many")
    int retryDeferred();

    @Description("Quarantined messages, oldest first: held in the spool (a demoted network's mail, spoofed mail with the"
        + " quarantine action), never delivered until released; they fail after quarantine.expiryMs")
    QuarantineRow[] getQuarantine();

    @Description("Quarantined messages held in the spool now (counted among HeldMessages too)")
    long getQuarantinedMessages();

    @Description("Releases quarantined messages by queue id: each goes back to the drain in its own lane; all or nothing;"
        + " returns how many")
    int releaseQuarantined(@Description(value = "queue ids, as getQuarantine shows them", name = "queueIds") String[] queueIds);

    @Description("Releases every quarantined message; returns how many")
    int releaseAllQuarantined();

    @Description("Deletes quarantined messages by queue id for good (journaled PURGED); all or nothing; confirm must be"
        + " true; returns how many")
    int deleteQuarantined(@Description(value = "queue ids, as getQuarantine shows them", name = "queueIds") String[] queueIds,
        @Description(value = "true: yes, delete them for good", name = "confirm") boolean confirm);

    @Description("Pending messages matching a filter, one bounded page: tenant=T sender=S recipient=R route=R older-than=D"
        + " state=ready|deferred|held|paused (key=value words, every one must match; empty for all); next says where the"
        + " following page starts")
    @Requires(Role.MONITOR)
    QueuePage listQueue(@Description(value = "key=value words, e.g. tenant=acme state=deferred; empty for all",
        name = "filter") String filter,
        @Description(value = "the previous page's next queue id; empty for the first page", name = "after") String after,
        @Description(value = "the most rows, 1 to 500", name = "limit") int limit,
        @Description(value = "true: newest first; false: oldest first", name = "newestFirst") boolean newestFirst);

    @Description("One pending message: envelope, each recipient's state, attempts and last reply, size, age, lane, route,"
        + " tenant, hold reason")
    @Requires(Role.MONITOR)
    QueueRow showQueued(@Description(value = "the queue id", name = "queueId") String queueId);

    @Description("A pending message's content, read back from the journal (operator: it is the mail itself)")
    String readQueuedContent(@Description(value = "the queue id", name = "queueId") String queueId);

    @Description("Holds messages by queue id or filter (ids all or nothing): never delivered until released, kept across"
        + " restarts; one in delivery now is held after that attempt")
    QueueChange holdQueued(@Description(value = "queue ids; empty with a filter", name = "queueIds") String[] queueIds,
        @Description(value = "key=value words as listQueue takes; empty with ids", name = "filter") String filter);

    @Description("Releases an operator's hold by queue id or filter: the messages are ready to send at once")
    QueueChange releaseQueued(@Description(value = "queue ids; empty with a filter", name = "queueIds") String[] queueIds,
        @Description(value = "key=value words as listQueue takes; empty with ids", name = "filter") String filter);

    @Description("Makes deferred messages due now by queue id or filter (their attempts count stays)")
    QueueChange requeueQueued(@Description(value = "queue ids; empty with a filter", name = "queueIds") String[] queueIds,
        @Description(value = "key=value words as listQueue takes; empty with ids", name = "filter") String filter);

    @Description("Deletes messages for good by queue id or filter: every open recipient PURGED, no DSN sent; confirm must"
        + " be true above one message")
    QueueChange deleteQueued(@Description(value = "queue ids; empty with a filter", name = "queueIds") String[] queueIds,
        @Description(value = "key=value words as listQueue takes; empty with ids", name = "filter") String filter,
        @Description(value = "true: yes, delete them for good (needed above one message)", name = "confirm")
        boolean confirm);
}
