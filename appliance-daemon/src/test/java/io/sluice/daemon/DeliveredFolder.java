package io.sluice.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** What a {@code dir:} route delivered: the texts of the messages in its maildir {@code new/} folder. */
final class DeliveredFolder
{
    private DeliveredFolder()
    {
    }

    /** @return the text of every message in {@code route}'s {@code new/} folder; none while it does not exist. */
    static List<String> texts(final Path route)
    {
        final Path folder = route.resolve("new");
        if (!Files.isDirectory(folder))
        {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder))
        {
            final List<String> texts = new ArrayList<>();
            for (final Path file : files.toList())
            {
                texts.add(Files.readString(file));
            }
            return texts;
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }
}
