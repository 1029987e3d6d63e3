/** What every module's context shares: the error that names a bad setting. */
package io.sluice.config;
