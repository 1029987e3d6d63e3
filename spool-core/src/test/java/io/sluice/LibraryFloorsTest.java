package io.sluice;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The library's floors, checked on its compiled classes (tests excluded). Every arrow points down:
 * <pre>
 *   outcome                         on top: classifies each delivery reply once, asks bounce policy and containment,
 *                                   tells admission and the drain, journals it
 *   containment                     watches bounces, drain replies and the spool
 *   admission   bounce   drain      side by side, none imports another
 *   queue                           beside them too: the operator's view of pending messages, reads the spool only
 *   spool                           the journal
 *   net  config  counters  agent    the ground: values and helpers every floor shares
 *   text                            (also ground: the one JSON writer)
 * </pre>
 * A new package must be given a floor here, or the check that every class has one fails: the layering is a
 * decision, not an accident.
 */
class LibraryFloorsTest
{
    private static final String GROUND = "ground";
    private static final String SPOOL = "spool";
    private static final String ADMISSION = "admission";
    private static final String BOUNCE = "bounce";
    private static final String DRAIN = "drain";
    private static final String QUEUE = "queue";
    private static final String CONTAINMENT = "containment";
    private static final String OUTCOME = "outcome";

    private static JavaClasses classes;

    @BeforeAll
    static void importLibrary()
    {
        classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.sluice");
    }

    @Test
    void everyArrowPointsDown()
    {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer(GROUND).definedBy("io.sluice.net..", "io.sluice.config..", "io.sluice.counters..", "io.sluice.agent..",
                "io.sluice.text..")
            .layer(SPOOL).definedBy("io.sluice.spool..")
            .layer(ADMISSION).definedBy("io.sluice.admission..")
            .layer(BOUNCE).definedBy("io.sluice.bounce..")
            .layer(DRAIN).definedBy("io.sluice.drain..")
            .layer(QUEUE).definedBy("io.sluice.queue..")
            .layer(CONTAINMENT).definedBy("io.sluice.containment..")
            .layer(OUTCOME).definedBy("io.sluice.outcome..")
            .whereLayer(GROUND).mayOnlyAccessLayers(GROUND)
            .whereLayer(SPOOL).mayOnlyAccessLayers(GROUND)
            .whereLayer(ADMISSION).mayOnlyAccessLayers(GROUND, SPOOL)
            .whereLayer(BOUNCE).mayOnlyAccessLayers(GROUND, SPOOL)
            .whereLayer(DRAIN).mayOnlyAccessLayers(GROUND, SPOOL)
            .whereLayer(QUEUE).mayOnlyAccessLayers(GROUND, SPOOL)
            .whereLayer(CONTAINMENT).mayOnlyBeAccessedByLayers(OUTCOME)
            .whereLayer(OUTCOME).mayNotBeAccessedByAnyLayer()
            .ensureAllClassesAreContainedInArchitecture()
            .check(classes);
    }

    @Test
    void noCyclesBetweenPackages()
    {
        slices().matching("io.sluice.(**)").should().beFreeOfCycles().check(classes);
    }

    @Test
    void theLibraryOpensNoSockets()
    {
        noClasses().should().dependOnClassesThat().resideInAPackage("io.netty..")
            .because("spool-core is a library without sockets; the network lives in appliance-daemon")
            .check(classes);
    }
}
