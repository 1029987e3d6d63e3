package io.sluice.ingress;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import io.sluice.net.MailAddress;

/**
 * The recipients that exist in the domains this appliance accepts mail for, read from the file
 * {@code relay.localRecipients} names, so a message to a mailbox that does not exist is refused at RCPT with
 * {@code 550 5.1.1} instead of being accepted and bounced later (backscatter: the bounce would go to a sender who is
 * usually forged; the refusal goes to the real client).
 *
 * <p>One entry a line: {@code user@example.com} is a recipient that exists; {@code @example.com} accepts every
 * recipient in the domain (a catch-all, for a domain whose users are not listed). A domain with no entry is not
 * checked at all. Domains compare without case; local parts too, as mail stores do. {@code #} starts a comment;
 * blank lines are ignored. Immutable.
 */
final class LocalRecipients
{
    static final LocalRecipients NONE = new LocalRecipients(Set.of(), Set.of(), Set.of());

    private final Set<String> addresses;
    private final Set<String> domains;
    private final Set<String> catchAll;

    private LocalRecipients(final Set<String> addresses, final Set<String> domains, final Set<String> catchAll)
    {
        this.addresses = addresses;
        this.domains = domains;
        this.catchAll = catchAll;
    }

    /**
     * @throws IOException if the file cannot be read.
     * @throws IllegalArgumentException naming the first line that is not an address or {@code @domain}.
     */
    static LocalRecipients read(final Path file) throws IOException
    {
        final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        final Set<String> addresses = new HashSet<>();
        final Set<String> domains = new HashSet<>();
        final Set<String> catchAll = new HashSet<>();
        for (int i = 0; i < lines.size(); i++)
        {
            final String line = strip(lines.get(i));
            if (line.isEmpty())
            {
                continue;
            }
            final int at = MailAddress.separator(line);
            final String domain = MailAddress.domain(line).toLowerCase(Locale.ROOT);
            if (at < 0 || domain.isEmpty() || line.indexOf(' ') >= 0 || line.indexOf('<') >= 0 || line.indexOf('>') >= 0)
            {
                throw new IllegalArgumentException("line " + (i + 1) + " of " + file + ": expected user@domain or @domain, not '"
                    + line + "'");
            }
            domains.add(domain);
            if (at == 0)
            {
                catchAll.add(domain);
            }
            else
            {
                addresses.add(line.toLowerCase(Locale.ROOT));
            }
        }
        return new LocalRecipients(Set.copyOf(addresses), Set.copyOf(domains), Set.copyOf(catchAll));
    }

    private static String strip(final String line)
    {
        final int hash = line.indexOf('#');
        return (hash < 0 ? line : line.substring(0, hash)).trim();
    }

    /** @return true if the address's domain is listed and the address is not, nor is the domain a catch-all. */
    boolean isUnknown(final String address)
    {
        if (domains.isEmpty())
        {
            return false;
        }
        // The address comes from a parsed RCPT path, so it has an @ and a domain.
        final String domain = MailAddress.domain(address).toLowerCase(Locale.ROOT);
        return domains.contains(domain) && !catchAll.contains(domain) && !addresses.contains(address.toLowerCase(Locale.ROOT));
    }

    /** @return how many recipients are listed, for the log. */
    int size()
    {
        return addresses.size();
    }

    /** @return how many domains are listed, catch-alls included. */
    int domainCount()
    {
        return domains.size();
    }
}
