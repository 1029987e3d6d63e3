package io.sluice.ingress.tls;

/** What the SMTP listener does about STARTTLS (RFC 3207). */
public enum TlsMode
{
    /** STARTTLS is neither advertised nor accepted. */
    OFF,
    /** STARTTLS is advertised; a client that does not use it still sends mail in clear (opportunistic, as MTAs do). */
    OFFER,
    /** STARTTLS is advertised and MAIL is refused before it: {@code 530 5.7.0 Must issue a STARTTLS command first}. */
    REQUIRE
}
