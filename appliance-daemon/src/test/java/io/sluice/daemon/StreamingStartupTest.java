package io.sluice.daemon;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.sluice.containment.Containment;
import io.sluice.containment.HoldReason;
import io.sluice.drain.QuarantineSink;
import io.sluice.outcome.DeferredDsns;
import io.sluice.spool.AppendResult;
import io.sluice.spool.ChildJvm;
import io.sluice.spool.Disposition;
import io.sluice.spool.Envelope;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolAwait;
import io.sluice.spool.SpoolContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's start-up walks the spool, it never lists it: a real daemon JVM starts on a real journal whose pending
 * messages' snapshots, listed, would not fit its heap, and finds the deferred DSNs, the quarantined mail and the
 * containment holds among them. The same heap is first shown to be too small for the list ({@link ListEveryPending}
 * runs out of memory), so the test fails if any start-up step goes back to {@code Spool.pendingMessages()}.
 */
class StreamingStartupTest
{
    /** Snapshots of these messages take about 12 KiB each on the heap (100 recipients): some 70 MiB listed. */
    private static final int MESSAGES = 6_000;
    private static final int RECIPIENTS = 100;
    private static final int DEFERRED = 5;
    private static final int QUARANTINED = 4;
    private static final int CONTAINED = 3;
    private static final String HEAP = "64m";

    @TempDir
    Path dir;

    @Test
    void shouldStartADaemonOnABacklogWhoseListWouldNotFitItsHeap() throws Exception
    {
        final Path spoolDir = dir.resolve("spool");
        fill(spoolDir);
        try (ChildJvm list = ChildJvm.startWithHeap(HEAP, ListEveryPending.class, spoolDir.toString()))
        {
            assertThat(list.waitFor(300_000)).as("the lister exits").isNotEqualTo(-1);
            assertThat(list.lines()).as("listing the backlog does not fit the heap the daemon gets")
                .contains(ListEveryPending.OUT_OF_MEMORY);
        }
        final List<String> args = new ArrayList<>(SmtpCrashTest.floodableDaemonArgs(spoolDir));
        // Deliveries are refused (nothing listens on port 1): mail stays, the start-up is what is tested.
        args.addAll(List.of("--set", "delivery.route.default.target=smtp://127.0.0.1:1"));
        try (ChildJvm daemon = ChildJvm.startWithHeap(HEAP, SluiceDaemon.class, args.toArray(new String[0])))
        {
            SpoolAwait.until(() -> daemon.lines().stream().anyMatch(l -> l.contains("sluice started")) || !daemon.isAlive(),
                300_000);
            final List<String> lines = daemon.lines();
            assertThat(lines).as("the daemon started in " + HEAP + ": " + lines)
                .anyMatch(l -> l.contains("sluice started") && l.contains(" with " + MESSAGES + " pending messages"));
            assertThat(lines).anyMatch(l -> l.contains(DEFERRED + " deferred DSNs wait in the spool"));
            assertThat(lines).anyMatch(l -> l.contains(QUARANTINED + " quarantined messages wait in the spool"));
            assertThat(lines).anyMatch(l -> l.contains("tenants [acme] held again from the journal's hold records"));
            assertThat(lines).anyMatch(l -> l.contains("containment: 1 tenants held at start [acme]"));
            daemon.terminate();
            assertThat(daemon.waitFor(120_000)).as("clean stop").isIn(0, 143);
        }
    }

    /** No production class may list the spool: every walk of the backlog streams. */
    @Test
    void shouldNeverListTheSpoolOutsideTests()
    {
        final JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(location -> !location.contains("/test-classes/") && !location.contains("-tests.jar"))
            .importPackages("io.sluice");
        noClasses().should().callMethod(Spool.class, "pendingMessages")
            .because("Spool.pendingMessages() builds every pending snapshot: 10 million do not fit the heap")
            .check(classes);
    }

    private static void fill(final Path spoolDir) throws Exception
    {
        try (Spool spool = Spool.open(new SpoolContext().directory(spoolDir)))
        {
            final ByteBuffer content = ByteBuffer.wrap(("Subject: backlog\r\n\r\n" + "x".repeat(1000) + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            final List<CompletableFuture<AppendResult>> appends = new ArrayList<>();
            for (int m = 0; m < MESSAGES; m++)
            {
                final List<String> recipients = new ArrayList<>(RECIPIENTS);
                for (int r = 0; r < RECIPIENTS; r++)
                {
                    recipients.add(String.format("recipient-%03d-of-message-%05d@relay.test", r, m));
                }
                final String tenant = m < CONTAINED ? "acme" : "default";
                appends.add(spool.append(new Envelope("127.0.0.1", tenant, "default", "sender-" + m + "@example.com",
                    recipients, 1_000L + m), content.duplicate()));
                if (appends.size() >= 256)
                {
                    awaitAccepted(appends);
                }
            }
            awaitAccepted(appends);
            final List<Long> ids = new ArrayList<>();
            spool.forEachPendingId(ids::add);
            assertThat(ids).hasSize(MESSAGES);
            final RecipientStatus contained = Containment.heldStatus(0, HoldReason.VOLUME_SURGE);
            final RecipientStatus deferred = new RecipientStatus(Disposition.HELD, 0, 0,
                DeferredDsns.DETAIL_PREFIX + "deferred, the bounce budget is spent");
            final RecipientStatus quarantined = new RecipientStatus(Disposition.HELD, 0, Long.MAX_VALUE / 2,
                QuarantineSink.DETAIL_PREFIX + "spoof pattern (test)");
            final List<CompletableFuture<Boolean>> outcomes = new ArrayList<>();
            for (int i = 0; i < CONTAINED; i++)
            {
                outcomes.add(spool.recordOutcome(ids.get(i), -1, contained));
            }
            for (int i = 0; i < DEFERRED; i++)
            {
                outcomes.add(spool.recordOutcome(ids.get(100 + i * 997), -1, deferred));
            }
            for (int i = 0; i < QUARANTINED; i++)
            {
                outcomes.add(spool.recordOutcome(ids.get(MESSAGES - 1 - i * 1_301), -1, quarantined));
            }
            for (final CompletableFuture<Boolean> outcome : outcomes)
            {
                assertThat(outcome.get()).isTrue();
            }
        }
    }

    private static void awaitAccepted(final List<CompletableFuture<AppendResult>> appends) throws Exception
    {
        for (final CompletableFuture<AppendResult> append : appends)
        {
            assertThat(append.get().isAccepted()).isTrue();
        }
        appends.clear();
    }

    /** Lists the spool as the start-up did before it walked: {@value #OUT_OF_MEMORY} if the heap cannot hold the list. */
    public static final class ListEveryPending
    {
        static final String OUT_OF_MEMORY = "out of memory listing the spool";

        private ListEveryPending()
        {
        }

        public static void main(final String[] args)
        {
            int listed = -1;
            try (Spool spool = Spool.open(new SpoolContext().directory(Path.of(args[0]))))
            {
                try
                {
                    listed = spool.pendingMessages().size();
                }
                catch (final OutOfMemoryError ex)
                {
                    System.out.println(OUT_OF_MEMORY);
                }
            }
            System.out.println("listed " + listed);
        }
    }
}
