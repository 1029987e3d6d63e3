package io.sluice.control;

import java.lang.reflect.Method;
import java.security.Principal;

import javax.management.remote.JMXPrincipal;
import javax.security.auth.Subject;

/**
 * The JMX subject of the current call, for access checks and audit lines. {@code Subject.current()} exists
 * from Java 18 and is the only way from Java 23 on; Java 17 has only {@code Subject.getSubject}.
 */
final class CallerPrincipal
{
    private static final Method CURRENT = currentMethod();

    private CallerPrincipal()
    {
    }

    private static Method currentMethod()
    {
        try
        {
            return Subject.class.getMethod("current");
        }
        catch (final NoSuchMethodException ex)
        {
            return null;
        }
    }

    /**
     * @return the current call's subject, or null for a call the connector makes for itself: every call a console
     *     makes carries the subject its connector's authenticator gave it (both connectors require one).
     */
    @SuppressWarnings("removal")
    static Subject subject()
    {
        try
        {
            return CURRENT != null ? (Subject)CURRENT.invoke(null)
                : Subject.getSubject(java.security.AccessController.getContext());
        }
        catch (final ReflectiveOperationException | UnsupportedOperationException ex)
        {
            return null;
        }
    }

    /** @return the caller's principal name, or "local" for a call with no JMX subject (in-process). */
    static String current()
    {
        return name(subject());
    }

    static String name(final Subject subject)
    {
        if (subject == null)
        {
            return "local";
        }
        for (final Principal principal : subject.getPrincipals(JMXPrincipal.class))
        {
            return principal.getName();
        }
        return "local";
    }
}
