package io.sluice.benchmarks.flood;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntUnaryOperator;

/**
 * The admission issue's figures (issue 12, item 8) for one run, from the {@link Ledger} alone, so a test can check
 * them on a hand-made ledger:
 * <ul>
 * <li>the partner's messages refused at their first try, per phase (before, during, after the flood) and reply;</li>
 * <li>flood messages that reached the upstream, and those that reached it after the upstream had refused the first
 *     message of their /24 ({@code 554}): "once its networks' first rejections are in";</li>
 * <li>DSNs: to forged senders (anyone not a legitimate sender), and to each legitimate sender whose message to an
 *     unknown user was accepted (exactly one owed), against those refused in-session (none owed);</li>
 * <li>legitimate mail accepted and never given a verdict upstream by the end (held, or lost).</li>
 * </ul>
 */
final class AdmissionFigures
{
    static final String[] PHASES = {"before", "during", "after"};

    /** Per phase: partner messages first tried in it, those refused at that first try, and by what reply. */
    final Map<String, PhaseRefusals> partnerFirstTry = new LinkedHashMap<>();
    int floodReachedUpstream;
    int floodReachedAfterFirstRejection;
    int floodTriedAfterFirstRejection;
    /** Per /24 of the flood (index), seconds since the flood's start of its first 554 upstream; absent if none. */
    final Map<Integer, Double> firstRejectionSeconds = new TreeMap<>();
    long dsnsToForgedSenders;
    long dsnsToOtherLegitSenders;
    int unknownUserMessages;
    int unknownUserRefusedInSession;
    int unknownUserAccepted;
    int unknownUserExactlyOneDsn;
    int unknownUserNoDsn;
    /** Accepted, and no verdict upstream by the end (held or stuck): no DSN owed yet, but not delivered either. */
    int unknownUserHeld;
    int unknownUserSeveralDsns;
    int unknownUserNotTried;
    int legitAcceptedWithoutVerdict;

    /**
     * @param floodStart the flood's first message (ns since the run's start)
     * @param drainEnd the end of the "during" phase: the flood's backlog gone, or the run's end
     * @param networkOf flood message to the index of its /24
     */
    AdmissionFigures(final Ledger ledger, final long floodStart, final long drainEnd, final IntUnaryOperator networkOf)
    {
        for (final String phase : PHASES)
        {
            partnerFirstTry.put(phase, new PhaseRefusals());
        }
        countLegitimate(ledger, floodStart, drainEnd);
        countDsns(ledger.bouncesTo());
        countFlood(ledger, floodStart, networkOf);
    }

    private void countLegitimate(final Ledger ledger, final long floodStart, final long drainEnd)
    {
        final Map<String, Long> bouncesTo = ledger.bouncesTo();
        int unknown = 0;
        int refusedInSession = 0;
        int accepted = 0;
        int exactlyOne = 0;
        int none = 0;
        int held = 0;
        int several = 0;
        int notTried = 0;
        int withoutVerdict = 0;
        for (final Ledger.LegitMessage message : ledger.legitMessages())
        {
            if (message.accepted() != Ledger.NEVER && message.finalAt() == Ledger.NEVER)
            {
                withoutVerdict++;
            }
            if (!message.unknownUser())
            {
                if (message.firstReason() != null)
                {
                    partnerFirstTry.get(phase(message.firstAttempt(), floodStart, drainEnd)).add(message);
                }
                continue;
            }
            unknown++;
            if (message.permanentRefusal() != null)
            {
                refusedInSession++;
            }
            else if (message.accepted() != Ledger.NEVER && message.finalAt() == Ledger.NEVER)
            {
                accepted++;
                held++;
            }
            else if (message.accepted() != Ledger.NEVER)
            {
                accepted++;
                final long dsns = bouncesTo.getOrDefault(FloodTraffic.returnSender(message.number()), 0L);
                if (dsns == 1)
                {
                    exactlyOne++;
                }
                else if (dsns == 0)
                {
                    none++;
                }
                else
                {
                    several++;
                }
            }
            else
            {
                notTried++; // still being retried at the end, or never tried
            }
        }
        unknownUserMessages = unknown;
        unknownUserRefusedInSession = refusedInSession;
        unknownUserAccepted = accepted;
        unknownUserExactlyOneDsn = exactlyOne;
        unknownUserNoDsn = none;
        unknownUserHeld = held;
        unknownUserSeveralDsns = several;
        unknownUserNotTried = notTried;
        legitAcceptedWithoutVerdict = withoutVerdict;

    }

    private void countDsns(final Map<String, Long> bouncesTo)
    {
        long forged = 0;
        long otherLegit = 0;
        for (final Map.Entry<String, Long> entry : bouncesTo.entrySet())
        {
            if (!FloodTraffic.isLegitSender(entry.getKey()))
            {
                forged += entry.getValue();
            }
            else if (!entry.getKey().startsWith(FloodTraffic.RETURN_SENDER_PREFIX))
            {
                otherLegit += entry.getValue();
            }
        }
        dsnsToForgedSenders = forged;
        dsnsToOtherLegitSenders = otherLegit;

    }

    private void countFlood(final Ledger ledger, final long floodStart, final IntUnaryOperator networkOf)
    {
        final Map<Integer, Long> firstRejection = new TreeMap<>();
        int reached = 0;
        for (int m = 0; m < ledger.floodMessages(); m++)
        {
            final long at = ledger.floodFinalAt(m);
            if (at == Ledger.NEVER)
            {
                continue;
            }
            reached++;
            if (ledger.floodFinalCode(m) >= 500)
            {
                firstRejection.merge(networkOf.applyAsInt(m), at, Math::min);
            }
        }
        floodReachedUpstream = reached;
        firstRejection.forEach((network, at) -> firstRejectionSeconds.put(network, (at - floodStart) / 1e9));
        int reachedAfter = 0;
        int triedAfter = 0;
        for (int m = 0; m < ledger.floodMessages(); m++)
        {
            final Long rejection = firstRejection.get(networkOf.applyAsInt(m));
            if (rejection == null)
            {
                continue;
            }
            if (ledger.floodFinalAt(m) != Ledger.NEVER && ledger.floodFinalAt(m) > rejection)
            {
                reachedAfter++;
            }
            if (ledger.floodTriedAt(m) != Ledger.NEVER && ledger.floodTriedAt(m) > rejection)
            {
                triedAfter++;
            }
        }
        floodReachedAfterFirstRejection = reachedAfter;
        floodTriedAfterFirstRejection = triedAfter;
    }

    /** The phase of a message first tried at {@code at}: before the flood, during it (to the end of its backlog), after. */
    static String phase(final long at, final long floodStart, final long drainEnd)
    {
        if (floodStart == Ledger.NEVER || at < floodStart)
        {
            return "before";
        }
        return at <= drainEnd ? "during" : "after";
    }

    /** @return every partner message refused at its first try, all phases together */
    PhaseRefusals partnerFirstTryAll()
    {
        final PhaseRefusals all = new PhaseRefusals();
        for (final PhaseRefusals phase : partnerFirstTry.values())
        {
            all.tried += phase.tried;
            all.refused += phase.refused;
            phase.byReason.forEach((reason, count) -> all.byReason.merge(reason, count, Long::sum));
        }
        return all;
    }

    Map<String, Object> toMap(final int floodMessages)
    {
        final Map<String, Object> map = new LinkedHashMap<>();
        final Map<String, Object> partner = new LinkedHashMap<>();
        for (final Map.Entry<String, PhaseRefusals> phase : partnerFirstTry.entrySet())
        {
            partner.put(phase.getKey(), phase.getValue().toMap());
        }
        partner.put("all", partnerFirstTryAll().toMap());
        map.put("partnerRefusedAtFirstTry", partner);
        final Map<String, Object> flood = new LinkedHashMap<>();
        flood.put("reachedUpstream", floodReachedUpstream);
        flood.put("reachedUpstreamFraction", fraction(floodReachedUpstream, floodMessages));
        flood.put("reachedUpstreamAfterItsNetworksFirstRejection", floodReachedAfterFirstRejection);
        flood.put("reachedUpstreamAfterItsNetworksFirstRejectionFraction",
            fraction(floodReachedAfterFirstRejection, floodMessages));
        flood.put("triedAfterItsNetworksFirstRejection", floodTriedAfterFirstRejection);
        final Map<String, Object> networks = new LinkedHashMap<>();
        firstRejectionSeconds.forEach((network, seconds) -> networks.put(Integer.toString(network), seconds));
        flood.put("firstRejectionSecondsByNetwork", networks);
        map.put("floodUpstream", flood);
        final Map<String, Object> dsns = new LinkedHashMap<>();
        dsns.put("toForgedSenders", dsnsToForgedSenders);
        dsns.put("toOtherLegitimateSenders", dsnsToOtherLegitSenders);
        dsns.put("unknownUserMessages", unknownUserMessages);
        dsns.put("unknownUserRefusedInSession", unknownUserRefusedInSession);
        dsns.put("unknownUserAccepted", unknownUserAccepted);
        dsns.put("unknownUserAcceptedExactlyOneDsn", unknownUserExactlyOneDsn);
        dsns.put("unknownUserAcceptedNoDsn", unknownUserNoDsn);
        dsns.put("unknownUserAcceptedNoVerdictUpstream", unknownUserHeld);
        dsns.put("unknownUserAcceptedSeveralDsns", unknownUserSeveralDsns);
        dsns.put("unknownUserNeitherAcceptedNorRefused", unknownUserNotTried);
        map.put("dsns", dsns);
        map.put("legitimateAcceptedWithoutVerdictAtTheEnd", legitAcceptedWithoutVerdict);
        return map;
    }

    static double fraction(final long part, final long whole)
    {
        return whole == 0 ? Double.NaN : part / (double)whole;
    }

    /** Partner messages first tried in one phase: how many, how many refused at that try, by reply. */
    static final class PhaseRefusals
    {
        int tried;
        int refused;
        final Map<String, Long> byReason = new TreeMap<>();

        void add(final Ledger.LegitMessage message)
        {
            tried++;
            if (message.firstCode() != 250)
            {
                refused++;
                byReason.merge(message.firstReason(), 1L, Long::sum);
            }
        }

        double fraction()
        {
            return AdmissionFigures.fraction(refused, tried);
        }

        Map<String, Object> toMap()
        {
            final Map<String, Object> map = new LinkedHashMap<>();
            map.put("tried", tried);
            map.put("refusedAtFirstTry", refused);
            map.put("refusedFraction", fraction());
            map.put("byReply", new LinkedHashMap<>(byReason));
            return map;
        }

        List<String> lines()
        {
            final List<String> lines = new ArrayList<>();
            byReason.forEach((reason, count) -> lines.add(count + " x " + reason));
            return lines;
        }
    }
}
