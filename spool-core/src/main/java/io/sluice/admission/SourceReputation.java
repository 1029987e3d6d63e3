package io.sluice.admission;

import java.util.Map;

/**
 * One address's or network's reputation as the console shows it.
 *
 * @param key          {@code 198.51.100.7} or {@code 198.51.100.0/24}
 * @param network      whether the key is a network
 * @param sourceClass  the class its own points earn now: CLEAN, UNKNOWN or DEMOTED
 * @param score        clean points less {@code 1 / 0.05 = 20} per bad point: below 0 the bad share is over tolerance
 * @param clean        clean points now (decayed)
 * @param bad          bad points now (decayed)
 * @param counts       events seen while tracked, by {@link ReputationEvent#label()}, never decayed
 * @param why          one line: the class and what earned it
 */
public record SourceReputation(String key, boolean network, SourceClass sourceClass, double score, double clean,
    double bad, Map<String, Integer> counts, String why)
{
}
