package io.sluice.control;

/** The console for the spool and ingress: what is pending, how old, and the switches for an incident. */
@Description("The mail spool: pending backlog, journal activity, and ingress switches")
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

    @Description("False while free disk space is under the reserve: new mail gets 452 4.3.1")
    boolean isAcceptingMessages();

    @Description("True while ingress is paused by an operator: new connections get 421 4.3.2")
    boolean isIngressPaused();

    @Description("Stops taking new mail: new connections get 421 4.3.2 and new transactions 452 4.3.1; senders retry")
    void pauseIngress();

    @Description("Takes new mail again")
    void resumeIngress();
}
