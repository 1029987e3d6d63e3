package io.sluice.benchmarks.flood;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The flood scenario harness (issue 7): drives the real systems over real sockets and writes the report.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.sluice.benchmarks.flood.FloodScenario --out DIR [--systems sluice,postfix]
 * </pre>
 * {@code benchmarks/flood-vs-postfix.sh} builds, installs Postfix when missing, and runs both systems.
 * Exit status: 0 when every run finished (whether or not targets were met: the report says), 1 when a run could
 * not be carried out, 2 for a bad option.
 */
public final class FloodScenario
{
    private FloodScenario()
    {
    }

    public static void main(final String[] args)
    {
        if (java.util.Arrays.asList(args).contains("--help") || java.util.Arrays.asList(args).contains("-h"))
        {
            System.out.println(ScenarioOptions.USAGE);
            return;
        }
        final ScenarioOptions options;
        try
        {
            options = ScenarioOptions.parse(args);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("flood scenario: " + ex.getMessage());
            System.err.println(ScenarioOptions.USAGE);
            System.exit(2);
            return;
        }
        try
        {
            runAll(options, null);
            System.out.print(Files.readString(options.out().resolve("flood.txt")));
        }
        catch (final IOException | RuntimeException ex)
        {
            System.err.println("flood scenario: FAILED: " + ex);
            System.exit(1);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            System.exit(1);
        }
    }

    /**
     * Runs every system in turn and writes the report.
     *
     * @param sluiceLaunch the command that starts the daemon, or null for the launcher in {@code --daemon-home}
     * @return the runs, in order
     */
    static List<RunResult> runAll(final ScenarioOptions options, final List<String> sluiceLaunch)
        throws IOException, InterruptedException
    {
        Files.createDirectories(options.work());
        final Path work = Files.createTempDirectory(options.work(), "sluice-flood.");
        final List<RunResult> runs = new ArrayList<>();
        final List<ScenarioReport> reports = new ArrayList<>();
        try
        {
            final Map<String, String> machine = MachineDescription.read(work);
            for (final Scenario scenario : options.scenarios())
            {
                final ScenarioOptions scenarioOptions = options.forScenario(scenario);
                final List<RunResult> scenarioRuns = new ArrayList<>();
                for (final String name : options.systems())
                {
                    final Path systemWork = work.resolve(scenario.label() + "-" + name);
                    final SystemUnderTest system = name.equals("sluice")
                        ? new SluiceSystem(scenarioOptions, sluiceLaunch != null ? sluiceLaunch
                            : SluiceSystem.launcher(options.daemonHome()), systemWork)
                        : new PostfixSystem(scenarioOptions, systemWork);
                    scenarioRuns.add(new ScenarioRun(scenarioOptions, system).run());
                    copyLogs(systemWork, options.out().resolve("raw"), scenario.label());
                }
                runs.addAll(scenarioRuns);
                reports.add(new ScenarioReport(scenarioOptions, scenarioRuns, machine));
                // Written after every scenario, so a run cut short keeps what it measured.
                ScenarioReport.writeAll(options.out(), reports, options.note());
            }
            return runs;
        }
        finally
        {
            Processes.deleteTree(work);
        }
    }

    private static void copyLogs(final Path from, final Path to, final String scenario) throws IOException
    {
        Files.createDirectories(to);
        for (final String log : List.of("sluice.log", "maillog"))
        {
            final Path file = from.resolve(log);
            if (Files.isRegularFile(file))
            {
                Files.copy(file, to.resolve("flood-" + scenario + "-" + log), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** What the machine is, for the report: a run's figures mean little without it. */
    static final class MachineDescription
    {
        private MachineDescription()
        {
        }

        static Map<String, String> read(final Path work)
        {
            final Map<String, String> machine = new LinkedHashMap<>();
            final String cpu = Processes.read("/proc/cpuinfo").lines().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
            final long memKib = Processes.read("/proc/meminfo").lines().filter(l -> l.startsWith("MemTotal"))
                .findFirst().map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).orElse(0L);
            machine.put("cpu", cpu);
            machine.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
            machine.put("memoryGiB", String.format(java.util.Locale.ROOT, "%.1f", memKib / 1048576.0));
            machine.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
            machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
            String disk = "?";
            try
            {
                disk = Files.getFileStore(work).type() + " (" + Files.getFileStore(work).name() + ")";
            }
            catch (final IOException ex)
            {
                // Left as "?".
            }
            machine.put("workDisk", disk);
            machine.put("summary", machine.get("cores") + " cores " + cpu + ", " + machine.get("memoryGiB") + " GiB, "
                + machine.get("jdk") + ", work disk " + disk);
            return machine;
        }
    }
}
