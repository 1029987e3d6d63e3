/**
 * The spool journal: every accepted message on a Chronicle Queue until each recipient is final, with group
 * commit, recovery after {@code kill -9}, retention by whole cycle files, and a guard against a full disk.
 * {@link io.sluice.spool.Spool} is the entry point.
 */
package io.sluice.spool;
