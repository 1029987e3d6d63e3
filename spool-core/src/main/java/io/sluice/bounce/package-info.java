/**
 * Bounce policy and the mail the appliance writes itself: whether a permanent delivery failure earns a delivery
 * status notification ({@link io.sluice.bounce.BouncePolicy}), the RFC 3464 report itself
 * ({@link io.sluice.bounce.DsnBuilder}) and plain notices to an operator ({@link io.sluice.bounce.NoticeBuilder}).
 *
 * <p>Why this package says no so often: on a gateway hit by a spoofing flood (sender == recipient, thousands of IPs)
 * the flood was blocked, but the gateway then sent one bounce per blocked message to the forged senders, doubling its own
 * load and spraying backscatter at innocent mailboxes. Here a bounce is the exception: never to the null sender
 * (RFC 5321 section 4.5.5), never for a bounce, never to a sender the message itself shows to be forged, rate
 * limited per recipient and per domain, and capped overall at a small fraction of the mail accepted. Every bounce
 * that is not sent is counted by reason and listed for the operator; nothing is dropped silently.
 *
 * <p>No sockets and no journal here: the daemon asks {@link io.sluice.bounce.BouncePolicy#decide}, appends the
 * returned DSN to the spool in the {@code bounces} lane (its own drain lane and rate, so bounces never crowd out
 * real mail) and journals the recipient's final status the decision gives it.
 */
package io.sluice.bounce;
