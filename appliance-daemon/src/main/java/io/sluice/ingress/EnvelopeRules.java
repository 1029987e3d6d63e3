package io.sluice.ingress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

import io.sluice.config.InvalidSettingException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What is refused at SMTP time because it would otherwise be accepted only to bounce (backscatter): senders on
 * {@value #BLOCKED_SENDERS} at MAIL FROM ({@code 550 5.7.1}), and recipients missing from the
 * {@value #LOCAL_RECIPIENTS} file in a domain it lists at RCPT ({@code 550 5.1.1}). The real client learns of it
 * in-session; nobody whose address was forged gets a bounce.
 *
 * <p>Both change live: the recipients file is read again when it changes ({@link #reloadIfChanged()}, from a
 * maintenance thread; a file that became unreadable or malformed keeps the previous list, with an error in the log),
 * and the blocked senders are edited through JMX ({@link #listWith}, {@link #listWithout}, saved, then put in force
 * with {@link #blockedSenders(String)}). Sessions read the current lists without locks.
 */
public final class EnvelopeRules
{
    /** A file of the recipients that exist: {@code user@domain} or {@code @domain} (catch-all), one a line. */
    public static final String LOCAL_RECIPIENTS = "relay.localRecipients";
    /** Senders refused at MAIL FROM: {@code user@domain}, {@code domain} or {@code @domain}, comma-separated. */
    public static final String BLOCKED_SENDERS = "admission.blockedSenders";

    private static final Logger LOG = LoggerFactory.getLogger(EnvelopeRules.class);

    private final Path recipientsFile;
    private volatile LocalRecipients recipients;
    private volatile BlockedSenders blocked;
    /** Guarded by {@code this}: what the recipients file looked like when last read. */
    private Object recipientsVersion;

    private EnvelopeRules(final Path recipientsFile, final LocalRecipients recipients, final Object version,
        final BlockedSenders blocked)
    {
        this.recipientsFile = recipientsFile;
        this.recipients = recipients;
        this.recipientsVersion = version;
        this.blocked = blocked;
    }

    /** @return rules that refuse nothing. */
    public static EnvelopeRules none()
    {
        return new EnvelopeRules(null, LocalRecipients.NONE, null, BlockedSenders.NONE);
    }

    /**
     * @param recipientsFile the {@value #LOCAL_RECIPIENTS} path; empty for none.
     * @param blockedSenders the {@value #BLOCKED_SENDERS} list; empty for none.
     * @throws InvalidSettingException naming the key and value when the file cannot be read or an entry is malformed.
     */
    public static EnvelopeRules of(final String recipientsFile, final String blockedSenders)
    {
        final BlockedSenders senders;
        try
        {
            senders = BlockedSenders.parse(blockedSenders);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new InvalidSettingException(BLOCKED_SENDERS, blockedSenders, ex.getMessage());
        }
        if (recipientsFile.isBlank())
        {
            return new EnvelopeRules(null, LocalRecipients.NONE, null, senders);
        }
        final Path file = Path.of(recipientsFile.trim());
        try
        {
            final Object version = version(file);
            final LocalRecipients listed = LocalRecipients.read(file);
            return new EnvelopeRules(file, listed, version, senders);
        }
        catch (final IOException ex)
        {
            throw new InvalidSettingException(LOCAL_RECIPIENTS, recipientsFile,
                "expected a readable file of recipients (user@domain or @domain, one a line): " + ex);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new InvalidSettingException(LOCAL_RECIPIENTS, recipientsFile, ex.getMessage());
        }
    }

    private static Object version(final Path file) throws IOException
    {
        final BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        return attributes.lastModifiedTime() + "/" + attributes.size() + "/" + attributes.fileKey();
    }

    /** @return true if MAIL FROM this sender is refused. Never for the null sender. */
    public boolean isBlockedSender(final String sender)
    {
        return blocked.isBlocked(sender);
    }

    /** @return true if RCPT TO this address is refused: its domain is listed and the address is not. */
    public boolean isUnknownRecipient(final String address)
    {
        return recipients.isUnknown(address);
    }

    /**
     * Reads the recipients file again if it changed since it was last read. A file that cannot be read or has a bad
     * line keeps the previous list in force: a typo must not open the appliance to every address, nor close it to all.
     *
     * @return true if a new list is in force.
     */
    public synchronized boolean reloadIfChanged()
    {
        if (recipientsFile == null)
        {
            return false;
        }
        try
        {
            final Object version = version(recipientsFile);
            if (version.equals(recipientsVersion))
            {
                return false;
            }
            recipientsVersion = version;
            final LocalRecipients listed = LocalRecipients.read(recipientsFile);
            recipients = listed;
            LOG.info("{}: {} recipients in {} domains now in force from {}", LOCAL_RECIPIENTS, listed.size(),
                listed.domainCount(), recipientsFile);
            return true;
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            LOG.error("{}: cannot read {} ({}); the previous list stays in force", LOCAL_RECIPIENTS, recipientsFile,
                ex.getMessage());
            return false;
        }
    }

    /** @return the blocked senders as {@value #BLOCKED_SENDERS} writes them. */
    public String blockedSenders()
    {
        return blocked.describe();
    }

    /**
     * @return the blocked senders with one more entry, as {@value #BLOCKED_SENDERS} writes them; nothing changes until
     *         {@link #blockedSenders(String)} puts it in force (after it is saved).
     * @throws IllegalArgumentException if the entry is not one address or domain.
     */
    public String listWith(final String entry)
    {
        Objects.requireNonNull(entry, "entry");
        final BlockedSenders one = BlockedSenders.parse(entry);
        if (one.isEmpty() || entry.contains(","))
        {
            throw new IllegalArgumentException("expected one user@domain, domain or @domain, not '" + entry + "'");
        }
        final Set<String> entries = entries();
        entries.add(one.describe());
        return String.join(",", entries);
    }

    /**
     * @return the blocked senders without the entry as it was added ({@code @example.com} and {@code example.com} are
     *         the same entry), or null if it is not on the list; nothing changes until {@link #blockedSenders(String)}.
     */
    public String listWithout(final String entry)
    {
        Objects.requireNonNull(entry, "entry");
        final String normalized = entry.trim().toLowerCase(Locale.ROOT);
        final Set<String> entries = entries();
        if (!entries.remove(normalized.startsWith("@") ? normalized.substring(1) : normalized))
        {
            return null;
        }
        return String.join(",", entries);
    }

    /**
     * Puts a list of blocked senders in force: the next MAIL FROM is judged by it.
     *
     * @throws IllegalArgumentException if an entry is malformed (nothing changes).
     */
    public void blockedSenders(final String list)
    {
        blocked = BlockedSenders.parse(Objects.requireNonNull(list, "list"));
    }

    private Set<String> entries()
    {
        final Set<String> entries = new LinkedHashSet<>();
        for (final String part : blocked.describe().split(","))
        {
            if (!part.isEmpty())
            {
                entries.add(part);
            }
        }
        return entries;
    }

    /** @return the recipients file, or null. */
    public Path recipientsFile()
    {
        return recipientsFile;
    }
}
