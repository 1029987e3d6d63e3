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
 */
public record ContainmentFigures(
    long windowMs, long messages, double ratePerMinute, double normalRatePerMinute, long verdicts,
    long permanentFailures, long policyRejections)
{
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
            "%d msgs in %d s (%.1f/min, normal %.1f/min); %d verdicts: %d 5xx (%.0f%%), %d 5.7.x (%.0f%%)",
            messages, windowMs / 1000, ratePerMinute, normalRatePerMinute, verdicts, permanentFailures,
            100 * permanentFailureRatio(), policyRejections, 100 * policyRejectionRatio());
    }
}
