/**
 * What every module's context shares: the declaration of a setting ({@link io.sluice.config.Setting}: key, type,
 * default, range, description, once), the error that names a bad one, and the frozen-once-concluded life cycle.
 */
package io.sluice.config;
