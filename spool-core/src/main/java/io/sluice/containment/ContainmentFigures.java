package io.sluice.containment;

import java.util.Locale;

/**
 * One tenant's figures over the sliding window, as a hold decision saw them or as an operator reads them.
 *
 * @param windowMs            the window
 * @param messages            messages accepted for the tenant over the window
 * @param ratePerMinute       {@code messages} per minute over the window
 * @param normalRatePerMinute the learned normal rate (exponentially weighted, never below the configured floor)
 * @param verdicts            upstream verdicts over the window: delivered, failed, policy-rejected recipients
 * @param permanentFailures   verdicts that were {@code 5xx}, policy rejections included
 * @param policyRejections    verdicts that were {@code 5.7.x}
 * @param baselineEstablished whether the normal rate has its warm-up's worth of history, so the volume rule applies
 */
public record ContainmentFigures(
    long windowMs, long messages, double ratePerMinute, double normalRatePerMinute, long verdicts,
    long permanentFailures, long policyRejections, boolean baselineEstablished)
{
    /** Figures of a tenant whose normal rate is established. */
    public ContainmentFigures(final long windowMs, final long messages, final double ratePerMinute,
        final double normalRatePerMinute, final long verdicts, final long permanentFailures, final long policyRejections)
    {
        this(windowMs, messages, ratePerMinute, normalRatePerMinute, verdicts, permanentFailures, policyRejections, true);
    }

    /** @return permanent failures over verdicts, 0 when there were none. */
    public double permanentFailureRatio()
    {
        return verdicts == 0 ? 0 : (double)permanentFailures / verdicts;
    }

    /** @return policy rejections over verdicts, 0 when there were none. */
    public double policyRejectionRatio()
    {
        return verdicts == 0 ? 0 : (double)policyRejections / verdicts;
    }

    /** @return one line for a log, an alert or a journal detail. */
    public String summary()
    {
        return String.format(Locale.ROOT,
            "%d msgs in %d s (%.1f/min, normal %.1f/min%s); %d verdicts: %d 5xx (%.0f%%), %d 5.7.x (%.0f%%)",
            messages, windowMs / 1000, ratePerMinute, normalRatePerMinute, baselineEstablished ? "" : ", still learning",
            verdicts, permanentFailures,
            100 * permanentFailureRatio(), policyRejections, 100 * policyRejectionRatio());
    }
}
