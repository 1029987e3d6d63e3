/**
 * Admission: per-source, per-network, per-sender-domain, per-tenant and global token buckets, the CIDR
 * blocklist, backpressure from the spool, and spoof classification, decided at the cheapest SMTP point.
 */
package io.sluice.admission;
