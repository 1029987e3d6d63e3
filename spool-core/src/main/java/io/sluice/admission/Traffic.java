package io.sluice.admission;

/** What a token bucket counts: one token per connection, per message (at MAIL FROM) or per recipient (at RCPT TO). */
public enum Traffic
{
    CONNECTIONS("connectionsPerSecond", "connectionBurst"),
    MESSAGES("ratePerSecond", "burst"),
    RECIPIENTS("recipientsPerSecond", "recipientBurst");

    private final String rateSuffix;
    private final String burstSuffix;

    Traffic(final String rateSuffix, final String burstSuffix)
    {
        this.rateSuffix = rateSuffix;
        this.burstSuffix = burstSuffix;
    }

    /** @return the last part of the rate's configuration key, e.g. {@code ratePerSecond}. */
    public String rateSuffix()
    {
        return rateSuffix;
    }

    /** @return the last part of the burst's configuration key, e.g. {@code burst}. */
    public String burstSuffix()
    {
        return burstSuffix;
    }
}
