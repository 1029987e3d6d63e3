package io.sluice.control;

import java.lang.reflect.Method;
import java.security.Principal;

import javax.security.auth.Subject;

/**
 * The JMX principal of the current call, for access checks and audit lines. {@code Subject.current()} exists
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

    /** @return the caller's principal name, or "local" for a call with no JMX subject (loopback, no password). */
    @SuppressWarnings("removal")
    static String current()
    {
        Subject subject;
        try
        {
            subject = CURRENT != null ? (Subject)CURRENT.invoke(null)
                : Subject.getSubject(java.security.AccessController.getContext());
        }
        catch (final ReflectiveOperationException | UnsupportedOperationException ex)
        {
            subject = null;
        }
        if (subject == null || subject.getPrincipals().isEmpty())
        {
            return "local";
        }
        final Principal principal = subject.getPrincipals().iterator().next();
        return principal.getName();
    }
}
