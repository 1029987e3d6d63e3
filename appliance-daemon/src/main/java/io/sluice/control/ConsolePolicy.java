package io.sluice.control;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.Set;

import javax.management.ObjectName;

/**
 * Who may see and do what on the console, one decision per call: the io.sluice beans by the {@link Requires} role of
 * each setter and operation; the read-only platform beans (memory, threads, class loading, GC, buffer pools, the MBean
 * server's delegate) readable by every role and writable by none but {@link Role#DIAGNOSTICS}; every other bean
 * ({@code com.sun.management} with its heap dump and diagnostic commands, JFR, logging) invisible but to diagnostics.
 * Creating, registering and unregistering MBeans and loading classes are refused by {@link ConsoleGuard} to everyone.
 */
final class ConsolePolicy
{
    /** Platform beans whose attributes are metrics; their few operations (gc, thread dumps) need diagnostics. */
    private static final Set<String> PLATFORM_DOMAINS = Set.of("java.lang", "java.nio", "JMImplementation");

    private final Map<ObjectName, Class<?>> sluiceBeans;

    /** @param sluiceBeans each io.sluice bean's name and the MXBean interface whose annotations say who may change it. */
    ConsolePolicy(final Map<ObjectName, Class<?>> sluiceBeans)
    {
        this.sluiceBeans = Map.copyOf(sluiceBeans);
    }

    static boolean isSluice(final ObjectName name)
    {
        return ControlPlane.DOMAIN.equals(name.getDomain());
    }

    /** @return whether a principal with {@code roles} may know that {@code name} exists. */
    boolean visible(final Set<Role> roles, final ObjectName name)
    {
        return roles.contains(Role.DIAGNOSTICS) || isSluice(name) || PLATFORM_DOMAINS.contains(name.getDomain());
    }

    /** @return why {@code roles} may not read {@code name}, or null if they may. */
    String refuseRead(final Set<Role> roles, final ObjectName name)
    {
        return visible(roles, name) ? null : "only the diagnostics role sees beans outside io.sluice and the platform metrics";
    }

    /** @return why {@code roles} may not set {@code attribute} of {@code name}, or null if they may. */
    String refuseSet(final Set<Role> roles, final ObjectName name, final String attribute)
    {
        return refuse(roles, name, "set" + attribute, 1);
    }

    /** @return why {@code roles} may not invoke {@code operation} on {@code name}, or null if they may. */
    String refuseInvoke(final Set<Role> roles, final ObjectName name, final String operation, final String[] signature)
    {
        return refuse(roles, name, operation, signature == null ? 0 : signature.length);
    }

    private String refuse(final Set<Role> roles, final ObjectName name, final String method, final int parameters)
    {
        final Role needed = isSluice(name) ? required(sluiceBeans.get(name), method, parameters) : Role.DIAGNOSTICS;
        if (Role.allows(roles, needed))
        {
            return null;
        }
        return isSluice(name) ? "needs the " + needed.word() + " role"
            : visible(roles, name) ? "platform beans are read-only but to the diagnostics role"
            : "only the diagnostics role sees beans outside io.sluice and the platform metrics";
    }

    /**
     * @return the role {@code method} of {@code type} needs: its own {@link Requires}, else its interface's, else admin;
     *     for overloads (none today) the highest, and admin for a bean or method the interface does not declare.
     */
    static Role required(final Class<?> type, final String method, final int parameters)
    {
        if (type == null)
        {
            return Role.ADMIN;
        }
        Role needed = null;
        for (final Method candidate : type.getMethods())
        {
            if (candidate.getName().equals(method) && candidate.getParameterCount() == parameters)
            {
                final Requires own = candidate.getAnnotation(Requires.class);
                final Requires general = type.getAnnotation(Requires.class);
                final Role role = own != null ? own.value() : general != null ? general.value() : Role.ADMIN;
                needed = needed == null || role.ordinal() > needed.ordinal() ? role : needed;
            }
        }
        return needed == null ? Role.ADMIN : needed;
    }
}
