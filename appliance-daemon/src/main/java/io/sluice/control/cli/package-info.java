/**
 * The {@code sluice} command: the operator's shell view of a running daemon over JMX on loopback
 * ({@code sluice queue}, {@code limits}, {@code block}, {@code unblock}, {@code pause}, {@code resume}, {@code top},
 * {@code tenants}, {@code hold}, {@code release}, {@code purge}, {@code drain pause|resume}, {@code retry},
 * {@code rate}, {@code connections}), with {@code --json} for scripts and exit codes a shell can act on.
 */
package io.sluice.control.cli;
