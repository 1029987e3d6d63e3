package io.sluice.control;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import javax.management.Attribute;
import javax.management.MBeanServer;
import javax.management.ObjectInstance;
import javax.management.ObjectName;
import javax.management.remote.MBeanServerForwarder;
import javax.security.auth.Subject;

/**
 * The one place the console's rights are enforced: every call a JMX client makes passes this forwarder, which asks
 * {@link ConsolePolicy}, hides what the caller may not see from queries, and refuses, with an audit line, what it may
 * not do. Any MBeanServer method not named here (creating, registering, unregistering MBeans, instantiating,
 * deserializing, class loaders: remote code loading such as an {@code MLet}) is refused to every role.
 */
final class ConsoleGuard implements InvocationHandler
{
    private final ConsolePolicy policy;
    private MBeanServer target;

    private ConsoleGuard(final ConsolePolicy policy)
    {
        this.policy = policy;
    }

    static MBeanServerForwarder forwarder(final ConsolePolicy policy)
    {
        return (MBeanServerForwarder)Proxy.newProxyInstance(MBeanServerForwarder.class.getClassLoader(),
            new Class<?>[] {MBeanServerForwarder.class}, new ConsoleGuard(policy));
    }

    @Override
    public Object invoke(final Object proxy, final Method method, final Object[] args) throws Throwable
    {
        final String name = method.getName();
        if (name.equals("setMBeanServer"))
        {
            target = (MBeanServer)args[0];
            return null;
        }
        if (name.equals("getMBeanServer"))
        {
            return target;
        }
        final Subject subject = CallerPrincipal.subject();
        // No subject: the connector's own bookkeeping (its notification buffer). Every client call carries one.
        if (subject == null || method.getDeclaringClass() == Object.class)
        {
            return forward(method, args);
        }
        final Set<Role> roles = RolePrincipal.roles(subject);
        switch (name)
        {
            case "queryNames":
                return visibleNames(roles, (Set<?>)forward(method, args));
            case "queryMBeans":
                return ((Set<?>)forward(method, args)).stream()
                    .filter(instance -> policy.visible(roles, ((ObjectInstance)instance).getObjectName()))
                    .collect(Collectors.toSet());
            case "getMBeanCount":
                return visibleNames(roles, target.queryNames(null, null)).size();
            case "getDomains":
                return visibleNames(roles, target.queryNames(null, null)).stream().map(ObjectName::getDomain)
                    .collect(Collectors.toCollection(TreeSet::new)).toArray(String[]::new);
            case "getDefaultDomain":
                return forward(method, args);
            case "isRegistered":
                return policy.visible(roles, (ObjectName)args[0]) && (Boolean)forward(method, args);
            case "getAttribute", "getAttributes", "getMBeanInfo", "getObjectInstance", "isInstanceOf":
                check(subject, name, (ObjectName)args[0], null, policy.refuseRead(roles, (ObjectName)args[0]));
                return forward(method, args);
            case "addNotificationListener", "removeNotificationListener":
                // The variant with an MBean as the listener wires beans together inside the server: nobody's business.
                check(subject, name, (ObjectName)args[0], null, args[1] instanceof ObjectName
                    ? "no role may make an MBean listen to another" : policy.refuseRead(roles, (ObjectName)args[0]));
                return forward(method, args);
            case "setAttribute":
            {
                final String attribute = ((Attribute)args[1]).getName();
                check(subject, name, (ObjectName)args[0], attribute, policy.refuseSet(roles, (ObjectName)args[0], attribute));
                return forward(method, args);
            }
            case "setAttributes":
                for (final Attribute attribute : ((javax.management.AttributeList)args[1]).asList())
                {
                    check(subject, name, (ObjectName)args[0], attribute.getName(),
                        policy.refuseSet(roles, (ObjectName)args[0], attribute.getName()));
                }
                return forward(method, args);
            case "invoke":
                check(subject, name, (ObjectName)args[0], (String)args[1],
                    policy.refuseInvoke(roles, (ObjectName)args[0], (String)args[1], (String[])args[3]));
                return forward(method, args);
            default:
                check(subject, name, args != null && args.length > 0 ? args[0] : "", null,
                    "no role may create or unregister MBeans or load classes");
                throw new IllegalStateException("unreachable");
        }
    }

    private Set<ObjectName> visibleNames(final Set<Role> roles, final Set<?> names)
    {
        return names.stream().map(ObjectName.class::cast).filter(name -> policy.visible(roles, name))
            .collect(Collectors.toSet());
    }

    /** Refuses, audited, when {@code reason} is not null. */
    private static void check(final Subject subject, final String operation, final Object bean, final String member,
        final String reason)
    {
        if (reason == null)
        {
            return;
        }
        final String principal = CallerPrincipal.name(subject);
        final String what = member == null ? String.valueOf(bean) : bean + " " + member;
        ConsoleAudit.refused(principal, operation, what, reason);
        throw new SecurityException("access denied: " + principal + " (" + RolePrincipal.roles(subject).stream().map(Role::word)
            .collect(Collectors.joining(", ")) + ") may not " + operation + " " + what + ": " + reason);
    }

    private Object forward(final Method method, final Object[] args) throws Throwable
    {
        try
        {
            return method.invoke(target, args);
        }
        catch (final InvocationTargetException ex)
        {
            throw ex.getCause();
        }
    }
}
