/** What tests of several packages share: clocks they move by hand. */
package io.sluice.testing;
