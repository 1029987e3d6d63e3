package io.sluice.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The benchmarks jar's entry point: JMH's own command line ({@code java -jar benchmarks.jar -h}), except that every
 * forked benchmark JVM also gets the flags Chronicle Queue and Agrona need. Those are the parent pom's {@code
 * sluice.jvm.flags}, filtered into the classpath resource {@value #FLAGS_RESOURCE} at build time, so the list lives in
 * one place only. They are put before any {@code -jvmArgsPrepend} given on the command line, so a benchmark's own
 * {@code @Fork(jvmArgsAppend)} still applies. This JVM opens no spool and needs none of them; as usual with JMH, its
 * own options (such as {@code -Dsluice.bench.dir=...}) are passed on to the forks unless {@code -jvmArgs} replaces
 * them.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar DurableAppend
 * java -Dsluice.bench.dir=/var/tmp -jar benchmarks/target/benchmarks.jar Recovery -p pendingMessages=1000000
 * </pre>
 */
public final class BenchmarkMain
{
    /** Classpath resource holding the forks' JVM flags, whitespace separated. */
    public static final String FLAGS_RESOURCE = "/io/sluice/benchmarks/sluice-jvm.options";

    private BenchmarkMain()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final CommandLineOptions cmd;
        try
        {
            cmd = new CommandLineOptions(args);
        }
        catch (final CommandLineOptionException ex)
        {
            System.err.println("Error parsing command line:");
            System.err.println(" " + ex.getMessage());
            System.exit(1);
            return;
        }
        if (cmd.shouldHelp())
        {
            cmd.showHelp();
            return;
        }
        if (cmd.shouldListProfilers())
        {
            cmd.listProfilers();
            return;
        }
        if (cmd.shouldListResultFormats())
        {
            cmd.listResultFormats();
            return;
        }
        final Runner runner = new Runner(options(cmd));
        if (cmd.shouldList())
        {
            runner.list();
            return;
        }
        if (cmd.shouldListWithParams())
        {
            runner.listWithParams(cmd);
            return;
        }
        run(runner);
    }

    private static void run(final Runner runner)
    {
        try
        {
            runner.run();
        }
        catch (final NoBenchmarksException ex)
        {
            System.err.println("No matching benchmarks. Miss-spelled regexp?");
            System.exit(1);
        }
        catch (final RunnerException ex)
        {
            System.err.print("ERROR: ");
            ex.printStackTrace(System.err);
            System.exit(1);
        }
    }

    /**
     * @return the command line's options, with the forks' JVM flags prepended. Prepended, not appended: JMH lets an
     *         option set here replace the benchmark's own {@code @Fork(jvmArgsAppend)} (its heap, its huge pages, the
     *         launcher's direct memory limit), and the flags the spool needs do not depend on their place.
     */
    public static Options options(final CommandLineOptions cmd) throws IOException
    {
        final List<String> prepend = new ArrayList<>(forkJvmFlags());
        prepend.addAll(cmd.getJvmArgsPrepend().orElse(List.of()));
        return new OptionsBuilder().parent(cmd).jvmArgsPrepend(prepend.toArray(new String[0])).build();
    }

    /** @return the flags every JVM that opens a spool needs, as built into this jar. */
    public static List<String> forkJvmFlags() throws IOException
    {
        final String text;
        try (InputStream in = BenchmarkMain.class.getResourceAsStream(FLAGS_RESOURCE))
        {
            if (in == null)
            {
                throw new IllegalStateException(FLAGS_RESOURCE + " is missing from the classpath: build with Maven");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
        if (text.contains("${"))
        {
            throw new IllegalStateException(FLAGS_RESOURCE + " was not filtered by Maven: " + text);
        }
        final Collection<String> flags = new ArrayList<>();
        for (final String flag : text.split("\\s+"))
        {
            if (!flag.isEmpty())
            {
                flags.add(flag);
            }
        }
        return List.copyOf(flags);
    }
}
