/** The appliance process: settings, start-up and shutdown of every stage. */
package io.sluice.daemon;
