/** Counters every stage shares the shape of: an enum of stable ids and labels over an Agrona counters buffer. */
package io.sluice.counters;
