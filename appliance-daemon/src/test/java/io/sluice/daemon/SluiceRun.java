package io.sluice.daemon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.control.cli.SluiceCommand;

/** One {@code sluice} command line run in this JVM against a daemon's console socket, as an operator's shell would. */
final class SluiceRun
{
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the command printed and its exit code. */
    record Outcome(int exit, String out, String err)
    {
        JsonNode json() throws IOException
        {
            return JSON.readTree(out);
        }
    }

    private SluiceRun()
    {
    }

    static Outcome sluice(final Path socket, final String... args)
    {
        final List<String> all = new ArrayList<>(List.of("--socket", socket.toString()));
        all.addAll(Arrays.asList(args));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = SluiceCommand.run(all.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
