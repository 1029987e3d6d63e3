package io.sluice;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The daemon's floors, checked on its compiled classes (tests excluded), above the library's own
 * ({@code LibraryFloorsTest} in spool-core). Every arrow points down:
 * <pre>
 *   daemon               wiring: reads the settings, builds and starts everything
 *   control   metrics    JMX console and the sluice command; Prometheus metrics and health over HTTP: observe
 *                        (and, for control, steer) what is below
 *   ingress   delivery   the two network edges, SMTP in and SMTP out; neither imports the other
 *   fleet                the limits a group of appliances shares through Redis; beside the edges, below the wiring
 * </pre>
 * A new package must be given a floor here, or the containment check fails.
 */
class DaemonFloorsTest
{
    private static final String INGRESS = "ingress";
    private static final String DELIVERY = "delivery";
    private static final String CONTROL = "control";
    private static final String METRICS = "metrics";
    private static final String DAEMON = "daemon";
    private static final String FLEET = "fleet";

    private static JavaClasses classes;

    @BeforeAll
    static void importDaemon()
    {
        // Only the daemon's own packages: the library (and its test jar) sit on the classpath too.
        classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.sluice.ingress", "io.sluice.delivery", "io.sluice.control", "io.sluice.metrics",
                "io.sluice.daemon", "io.sluice.fleet");
    }

    @Test
    void everyArrowPointsDown()
    {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer(INGRESS).definedBy("io.sluice.ingress..")
            .layer(DELIVERY).definedBy("io.sluice.delivery..")
            .layer(CONTROL).definedBy("io.sluice.control..")
            .layer(METRICS).definedBy("io.sluice.metrics..")
            .layer(DAEMON).definedBy("io.sluice.daemon..")
            .layer(FLEET).definedBy("io.sluice.fleet..")
            .whereLayer(INGRESS).mayOnlyBeAccessedByLayers(CONTROL, DAEMON)
            .whereLayer(DELIVERY).mayOnlyBeAccessedByLayers(CONTROL, DAEMON)
            .whereLayer(CONTROL).mayOnlyBeAccessedByLayers(DAEMON)
            .whereLayer(METRICS).mayOnlyBeAccessedByLayers(DAEMON)
            .whereLayer(FLEET).mayOnlyBeAccessedByLayers(CONTROL, DAEMON)
            .whereLayer(DAEMON).mayNotBeAccessedByAnyLayer()
            .ensureAllClassesAreContainedInArchitecture()
            .check(classes);
    }

    @Test
    void noCyclesBetweenPackages()
    {
        slices().matching("io.sluice.(**)").should().beFreeOfCycles().check(classes);
    }
}
