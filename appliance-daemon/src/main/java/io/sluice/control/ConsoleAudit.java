package io.sluice.control;

import java.util.Set;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit lines of the console's door, beside the changes {@link ControlState#audit} records: every refused call
 * (principal, operation, bean, why), every login and every refused login (who, from where, why).
 */
final class ConsoleAudit
{
    private static final Logger AUDIT = LoggerFactory.getLogger("io.sluice.audit");

    private ConsoleAudit()
    {
    }

    static void refused(final String principal, final String operation, final Object target, final String reason)
    {
        AUDIT.warn("audit: {} refused {} {}: {}", principal, operation, target, reason);
    }

    static void login(final String principal, final String from, final Set<Role> roles)
    {
        AUDIT.info("audit: {} logged in from {} as {}", principal, from,
            roles.stream().map(Role::word).collect(Collectors.joining(", ")));
    }

    static void loginRefused(final String principal, final String from, final String reason)
    {
        AUDIT.warn("audit: {} refused login from {}: {}", principal, from, reason);
    }
}
