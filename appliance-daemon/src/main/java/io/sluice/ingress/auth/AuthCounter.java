package io.sluice.ingress.auth;

import io.sluice.counters.CounterDescriptor;

/** SMTP AUTH's counters, each with a stable id (never reused for another meaning) and a label. */
public enum AuthCounter implements CounterDescriptor
{
    SUCCEEDED(0, "authentications that succeeded"),
    FAILED(1, "authentications refused 535 5.7.8: unknown user or wrong password"),
    ADDRESS_LOCKED(2, "AUTH refused 454 4.7.0: the client address backs off after failed authentications"),
    USER_LOCKED(3, "authentications refused 535 5.7.8: the user backs off after failed authentications"),
    CLEARTEXT_REFUSED(4, "AUTH refused 538 5.7.11: not under TLS"),
    MALFORMED(5, "AUTH exchanges ended 501 or 504: malformed base64 or response, cancelled, unknown mechanism"),
    CHECKS_BUSY(6, "AUTH refused 454 4.7.0: the password checks' queue was full"),
    SENDER_REFUSED(7, "MAIL FROM refused 553 5.7.1: not in the authenticated user's domains"),
    USER_RATE_LIMITED(8, "MAIL FROM refused 450 4.7.1: the authenticated user's own rate"),
    RELOADS(9, "users file read again after a change"),
    RELOAD_FAILURES(10, "users file changes refused (the previous users stay)"),
    LOCKED_KEYS(11, "addresses and users backing off now (gauge)");

    private final int id;
    private final String label;

    AuthCounter(final int id, final String label)
    {
        this.id = id;
        this.label = label;
    }

    @Override
    public int id()
    {
        return id;
    }

    @Override
    public String label()
    {
        return label;
    }
}
