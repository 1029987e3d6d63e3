package io.sluice.containment;

import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

import io.sluice.bounce.GeneratedMail;
import io.sluice.bounce.NoticeBuilder;

/**
 * Builds the notice an operator gets when a tenant is held: to {@link ContainmentContext#OPERATOR_ADDRESS}, through
 * the notifications lane under the notification tenant, which containment never holds, so the alert about a hold is
 * never itself held or stuck behind the tenant's flood. Thread-safe.
 */
public final class HoldNotice
{
    private final String operatorAddress;
    private final String reportingMta;
    private final NoticeBuilder notices;
    private final Clock clock;

    /** @param context settings; concluded (validated) here. */
    public HoldNotice(final ContainmentContext context)
    {
        context.conclude();
        operatorAddress = context.operatorAddress();
        reportingMta = context.reportingMta();
        clock = context.clock();
        notices = new NoticeBuilder(context.reportingMta(), context.notificationSender(), context.notificationTenant(),
            context.notificationLane(), context.clock());
    }

    /**
     * @return the notice for {@code Spool.append}, or null when no operator address is configured (the hold is then
     *         only logged and counted).
     */
    public GeneratedMail build(final String tenant, final HoldReason reason, final ContainmentFigures figures)
    {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(figures, "figures");
        if (operatorAddress.isEmpty())
        {
            return null;
        }
        final String body = "Tenant " + tenant + " is held on " + reportingMta + " (" + reason + ") since "
            + Instant.ofEpochMilli(clock.millis()) + ".\n\n"
            + explain(reason) + "\n\n"
            + "Over the last " + figures.windowMs() / 1000 + " s:\n"
            + String.format(Locale.ROOT, "  messages accepted   %d (%.1f per minute; normal %.1f per minute)%n",
                figures.messages(), figures.ratePerMinute(), figures.normalRatePerMinute())
            + String.format(Locale.ROOT, "  upstream verdicts   %d%n", figures.verdicts())
            + String.format(Locale.ROOT, "  permanent failures  %d (%.1f%%)%n", figures.permanentFailures(),
                100 * figures.permanentFailureRatio())
            + String.format(Locale.ROOT, "  policy rejections   %d (%.1f%%)%n", figures.policyRejections(),
                100 * figures.policyRejectionRatio())
            + "\n"
            + "Its mail stays in the spool and is not sent; every other tenant keeps flowing. Inspect samples of it,\n"
            + "then release the tenant (its mail drains at the tenant's own limit) or purge its mail (the purge\n"
            + "needs the tenant's name as confirmation) from the console.";
        return notices.build(operatorAddress, "[sluice] tenant " + tenant + " held: " + reason, body);
    }

    private static String explain(final HoldReason reason)
    {
        return switch (reason)
        {
            case VOLUME_SURGE -> "It sent far more than its normal rate: the pattern of a compromised or abusive account.";
            case POLICY_REJECTIONS -> "The upstream rejected too much of its mail as spam, phishing or malware (5.7.x).";
            case PERMANENT_FAILURES -> "The upstream refused too much of its mail permanently (5xx), e.g. a bought list.";
            case OPERATOR -> "An operator held it.";
            case RECOVERED -> "It was held before a restart that lost the containment state file.";
        };
    }

    public NoticeBuilder notices()
    {
        return notices;
    }
}
