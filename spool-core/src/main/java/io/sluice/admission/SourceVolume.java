package io.sluice.admission;

/**
 * A key's recent message volume, for the control plane's "who is sending the most" view.
 *
 * @param kind           the kind of key
 * @param key            the key as written: {@code 198.51.100.7}, {@code 198.51.100.0/24}, {@code example.com}
 * @param recentMessages messages it asked to send lately, admitted or not; approximate, halved at each
 *                       {@link Admission#snapshot()}
 */
public record SourceVolume(KeyKind kind, String key, long recentMessages)
{
}
