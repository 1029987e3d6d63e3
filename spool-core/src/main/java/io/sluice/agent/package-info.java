/** What the spool's journal writer and the drain, both Agrona agents fed by other threads, share about waiting. */
package io.sluice.agent;
