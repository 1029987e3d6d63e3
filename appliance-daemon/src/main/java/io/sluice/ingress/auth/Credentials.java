package io.sluice.ingress.auth;

import java.util.Arrays;

/**
 * What a client offered in one SASL exchange: the name it authenticates as, the identity it asks to act as (PLAIN's
 * authorization identity, RFC 4616; empty for "the same"), and the password. {@link #toString()} never shows the
 * password; {@link #wipe()} clears it once it has been checked.
 *
 * @param authorizationId PLAIN's authzid, or empty
 * @param user            the authentication identity (the login name)
 * @param password        the password, wiped after the check
 */
public record Credentials(String authorizationId, String user, char[] password)
{
    /** Overwrites the password, so it does not linger on the heap for a dump to find. */
    public void wipe()
    {
        Arrays.fill(password, '\0');
    }

    @Override
    public String toString()
    {
        return "Credentials[" + user + "]";
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof Credentials that && authorizationId.equals(that.authorizationId) && user.equals(that.user)
            && Arrays.equals(password, that.password);
    }

    @Override
    public int hashCode()
    {
        return user.hashCode();
    }
}
