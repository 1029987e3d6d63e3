/**
 * SMTP-level benchmarks that drive a real server over real sockets: {@link
 * io.sluice.benchmarks.smtp.AcceptanceLoadClient} measures acceptance (messages answered {@code 250} per second)
 * against Sluice or any other MTA, such as the local Postfix of {@code benchmarks/acceptance-vs-postfix.sh}.
 */
package io.sluice.benchmarks.smtp;
