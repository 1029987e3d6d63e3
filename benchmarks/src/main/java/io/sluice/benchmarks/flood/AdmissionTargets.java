package io.sluice.benchmarks.flood;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The admission issue's targets (issue 12), each judged on one run as MET, MISSED, or n/a where the run has nothing
 * to judge (no message in that phase, a target of another scenario). Printed in {@code flood.txt} and kept in
 * {@code flood.json}, met or not.
 */
final class AdmissionTargets
{
    /** Partner mail refused at its first try: at most this fraction, in each phase. */
    static final double PARTNER_REFUSED_AT_MOST = 0.01;
    /** Legitimate mail, first try to arrival upstream, during the flood: p99 under this. */
    static final double LEGIT_P99_DURING_SECONDS = 2.0;
    /** The spoofed flood: at most this fraction of it reaches the upstream. */
    static final double SPOOFED_REACHES_AT_MOST = 0.01;
    /** The snowshoe flood: at most this fraction of it reaches the upstream once its networks' first rejections are in. */
    static final double SNOWSHOE_REACHES_AT_MOST = 0.10;

    private AdmissionTargets()
    {
    }

    /** One target on one run. */
    record Row(String target, String measured, String verdict)
    {
        Map<String, Object> toMap()
        {
            final Map<String, Object> map = new LinkedHashMap<>();
            map.put("target", target);
            map.put("measured", measured);
            map.put("verdict", verdict);
            return map;
        }
    }

    static List<Row> of(final RunResult run)
    {
        final AdmissionFigures figures = run.admission;
        final List<Row> rows = new ArrayList<>();
        for (final String phase : AdmissionFigures.PHASES)
        {
            final AdmissionFigures.PhaseRefusals refusals = figures.partnerFirstTry.get(phase);
            rows.add(new Row("partner mail refused at first try " + phase + " the flood <= " + pct(PARTNER_REFUSED_AT_MOST),
                refusals.refused + " of " + refusals.tried + " (" + pct(refusals.fraction()) + ")",
                refusals.tried == 0 ? "n/a" : verdict(refusals.fraction() <= PARTNER_REFUSED_AT_MOST)));
        }
        rows.add(latencyDuringFlood(run));
        rows.add(new Row("DSNs to forged senders = 0", Long.toString(figures.dsnsToForgedSenders),
            verdict(figures.dsnsToForgedSenders == 0)));
        final int flood = run.options.floodMessages();
        if (run.options.floodKind() == Scenario.SPOOFED)
        {
            rows.add(new Row("spoofed flood reaching the upstream <= " + pct(SPOOFED_REACHES_AT_MOST),
                figures.floodReachedUpstream + " of " + flood + " (" + pct(fraction(figures.floodReachedUpstream, flood)) + ")",
                flood == 0 ? "n/a" : verdict(fraction(figures.floodReachedUpstream, flood) <= SPOOFED_REACHES_AT_MOST)));
        }
        else if (run.options.floodKind() == Scenario.BULK)
        {
            // A clean flood has no 554 to react to: what is asked of it is that the partner's mail is not held.
            rows.add(new Row("bulk flood: no legitimate message held", figures.legitAcceptedWithoutVerdict
                + " accepted, no verdict upstream at the end", verdict(figures.legitAcceptedWithoutVerdict == 0)));
        }
        else
        {
            rows.add(new Row("snowshoe flood reaching the upstream after its /24's first 554 <= "
                + pct(SNOWSHOE_REACHES_AT_MOST), figures.floodReachedAfterFirstRejection + " of " + flood + " ("
                + pct(fraction(figures.floodReachedAfterFirstRejection, flood)) + ")",
                flood == 0 ? "n/a"
                    : verdict(fraction(figures.floodReachedAfterFirstRejection, flood) <= SNOWSHOE_REACHES_AT_MOST)));
            rows.add(new Row("snowshoe flood: no legitimate message held", figures.legitAcceptedWithoutVerdict
                + " accepted, no verdict upstream at the end", verdict(figures.legitAcceptedWithoutVerdict == 0)));
        }
        if (run.scenario() == Scenario.UNKNOWN_USERS)
        {
            final int owed = figures.unknownUserMessages;
            final int settled = figures.unknownUserExactlyOneDsn + figures.unknownUserRefusedInSession;
            rows.add(new Row("each legitimate 550 sender: exactly one DSN, or refused in-session", settled + " of " + owed
                + " (" + figures.unknownUserExactlyOneDsn + " one DSN, " + figures.unknownUserRefusedInSession
                + " refused in-session, " + figures.unknownUserNoDsn + " refused upstream without DSN, "
                + figures.unknownUserHeld + " held: no verdict upstream, " + figures.unknownUserSeveralDsns + " several)",
                owed == 0 ? "n/a" : verdict(settled == owed)));
        }
        rows.add(new Row("acknowledged but lost = 0", Long.toString(run.acknowledgedButLost()),
            verdict(run.acknowledgedButLost() == 0)));
        rows.add(new Row("duplicates upstream = 0", Long.toString(run.duplicates), verdict(run.duplicates == 0)));
        return rows;
    }

    /**
     * The partner's p99 during the flood, where a message first tried during the flood that never arrived counts as
     * slower than any that did (a p99 over the arrivals alone would call a flow that stopped "fast").
     */
    private static Row latencyDuringFlood(final RunResult run)
    {
        final String target = "legitimate p99, send to arrival upstream, during the flood < "
            + String.format(Locale.ROOT, "%.0f s", LEGIT_P99_DURING_SECONDS);
        final double[] arrived = run.latencySeconds.get("during");
        final int tried = Math.max(arrived.length, run.admission.partnerFirstTry.get("during").tried);
        if (tried == 0)
        {
            return new Row(target, "no message", "n/a");
        }
        final int rank = (int)Math.ceil(0.99 * tried);
        if (rank > arrived.length)
        {
            return new Row(target, String.format(Locale.ROOT, "never: %d of %d tried never arrived", tried - arrived.length,
                tried), verdict(false));
        }
        final double p99 = arrived[rank - 1];
        return new Row(target, String.format(Locale.ROOT, "%.2f s (%d arrived of %d tried)", p99, arrived.length, tried),
            verdict(p99 < LEGIT_P99_DURING_SECONDS));
    }

    private static double fraction(final long part, final long whole)
    {
        return AdmissionFigures.fraction(part, whole);
    }

    private static String verdict(final boolean met)
    {
        return met ? "MET" : "MISSED";
    }

    static String pct(final double fraction)
    {
        return Double.isNaN(fraction) ? "-" : String.format(Locale.ROOT, "%.1f %%", fraction * 100);
    }
}
