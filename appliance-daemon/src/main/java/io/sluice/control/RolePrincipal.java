package io.sluice.control;

import java.io.Serializable;
import java.security.Principal;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;

import javax.management.remote.JMXPrincipal;
import javax.security.auth.Subject;

/** A role held by the subject of a console connection, beside its {@link JMXPrincipal} (who it is). */
record RolePrincipal(Role role) implements Principal, Serializable
{
    @Override
    public String getName()
    {
        return "role:" + role.word();
    }

    /** @return the read-only subject the authenticators hand the connector: who, and the roles they hold. */
    static Subject subject(final String name, final Set<Role> roles)
    {
        final Set<Principal> principals = new HashSet<>();
        principals.add(new JMXPrincipal(name));
        roles.forEach(role -> principals.add(new RolePrincipal(role)));
        return new Subject(true, principals, Set.of(), Set.of());
    }

    /** @return the roles {@code subject} holds. */
    static Set<Role> roles(final Subject subject)
    {
        final Set<Role> roles = EnumSet.noneOf(Role.class);
        subject.getPrincipals(RolePrincipal.class).forEach(principal -> roles.add(principal.role()));
        return roles;
    }
}
