package io.sluice.ingress;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

import io.sluice.net.MailAddress;

/**
 * Envelope senders refused at MAIL FROM with {@code 550 5.7.1} ({@code admission.blockedSenders}): a message from them
 * would only be accepted to fail and bounce later, or is known abuse. Entries, comma-separated: {@code user@example.com}
 * (that address), {@code example.com} or {@code @example.com} (the domain and its subdomains). Addresses compare without
 * case. The null sender {@code <>} is never blocked here: it carries the bounces other servers owe us. Immutable.
 */
final class BlockedSenders
{
    static final BlockedSenders NONE = new BlockedSenders(Set.of(), Set.of());

    private final Set<String> addresses;
    private final Set<String> domains;

    private BlockedSenders(final Set<String> addresses, final Set<String> domains)
    {
        this.addresses = addresses;
        this.domains = domains;
    }

    /**
     * @param list comma-separated entries; empty for none.
     * @throws IllegalArgumentException naming the first entry that is neither an address nor a domain.
     */
    static BlockedSenders parse(final String list)
    {
        final Set<String> addresses = new LinkedHashSet<>();
        final Set<String> domains = new LinkedHashSet<>();
        for (final String part : list.split(","))
        {
            final String entry = part.trim().toLowerCase(Locale.ROOT);
            if (entry.isEmpty())
            {
                continue;
            }
            final int at = MailAddress.separator(entry);
            final String domain = entry.substring(at + 1);
            if (!isDomain(domain) || !entry.chars().allMatch(c -> c > ' ' && c != 0x7F && c != '<' && c != '>'))
            {
                throw new IllegalArgumentException("expected user@domain, domain or @domain, not '" + part.trim() + "'");
            }
            if (at > 0)
            {
                addresses.add(entry);
            }
            else
            {
                domains.add(domain);
            }
        }
        return new BlockedSenders(Set.copyOf(addresses), Set.copyOf(domains));
    }

    private static boolean isDomain(final String domain)
    {
        return !domain.isEmpty() && !domain.startsWith(".") && !domain.endsWith(".") && !domain.contains("..")
            && domain.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '-' || c == '.');
    }

    /** @return true if the sender is listed, or its domain or a parent domain is. Never for {@code <>}. */
    boolean isBlocked(final String sender)
    {
        if (sender.isEmpty() || (addresses.isEmpty() && domains.isEmpty()))
        {
            return false;
        }
        final String address = sender.toLowerCase(Locale.ROOT);
        if (addresses.contains(address))
        {
            return true;
        }
        String domain = address.substring(MailAddress.separator(address) + 1);
        while (true)
        {
            if (domains.contains(domain))
            {
                return true;
            }
            final int dot = domain.indexOf('.');
            if (dot < 0)
            {
                return false;
            }
            domain = domain.substring(dot + 1);
        }
    }

    /** @return the entries, addresses first, as {@code admission.blockedSenders} writes them. */
    String describe()
    {
        final Set<String> all = new LinkedHashSet<>(addresses);
        all.addAll(domains);
        return String.join(",", all);
    }

    boolean isEmpty()
    {
        return addresses.isEmpty() && domains.isEmpty();
    }
}
