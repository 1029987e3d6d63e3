package io.sluice.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.sluice.drain.Dispatch;
import io.sluice.spool.Disposition;
import io.sluice.spool.Envelope;
import io.sluice.spool.MutableClock;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.QueueIds;
import io.sluice.spool.RecipientStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code dir:} route: one atomic {@code .eml} per dispatch in a maildir-style folder, the same name on every attempt. */
class DirRouteTest
{
    private static final long RETRY_MS = 60_000;

    @TempDir
    Path dir;

    private Path folder()
    {
        return dir.resolve("delivered-default");
    }

    private static List<Path> files(final Path folder) throws IOException
    {
        try (Stream<Path> list = Files.list(folder))
        {
            return list.sorted().toList();
        }
    }

    @Test
    void shouldWriteEachDispatchAtomicallyAsOneFileInNew() throws Exception
    {
        try (DeliveryHarness harness = DeliveryHarness.in(dir).drain(d -> d.retryInitialMs(RETRY_MS)).start())
        {
            final String content = "Subject: to the folder\r\n\r\n.a line with a dot\r\n";
            final long id = harness.append(harness.envelope("ann@client.test", "bob@relay.test", "cid@relay.test"), content);
            harness.awaitFinished(id);

            final Path file = folder().resolve("new").resolve(QueueIds.format(id) + "-r0-1.eml");
            assertThat(files(folder().resolve("new"))).containsExactly(file);
            assertThat(files(folder().resolve("tmp"))).as("nothing left half-written").isEmpty();
            assertThat(folder().resolve("cur")).isDirectory();
            assertThat(Files.readString(file, StandardCharsets.UTF_8)).isEqualTo(
                "Return-Path: <ann@client.test>\r\nDelivered-To: bob@relay.test\r\nDelivered-To: cid@relay.test\r\n" + content);
            assertThat(harness.statuses(id)).containsOnly(RecipientStatus.delivered(1, "250 2.0.0 delivered to " + file));
            assertThat(harness.delivery.counters().get(DeliveryCounter.FILES_WRITTEN)).isEqualTo(1);
        }
    }

    @Test
    void shouldDeferWhenTheFileCannotBeWrittenAndReplaceNotDuplicateWhatACrashLeftBehind() throws Exception
    {
        final MutableClock clock = new MutableClock(System.currentTimeMillis());
        final long id;
        final Path fresh = folder().resolve("new");
        try (DeliveryHarness harness = DeliveryHarness.in(dir).clock(clock).drain(d -> d.retryInitialMs(RETRY_MS)).start())
        {
            // new/ is not a folder any more: the rename fails, as on a full or broken disk.
            Files.delete(fresh);
            Files.writeString(fresh, "not a folder");
            id = harness.append("Subject: retried\r\n\r\nfresh\r\n", "bob@relay.test");
            harness.awaitAttempts(id, 1);

            final RecipientStatus deferred = harness.status(id, 0);
            assertThat(deferred.disposition()).isEqualTo(Disposition.DEFERRED);
            assertThat(deferred.detail()).startsWith("451 4.3.0 local error writing");
            assertThat(deferred.notBeforeMillis()).isEqualTo(clock.millis() + RETRY_MS);
            assertThat(harness.delivery.counters().get(DeliveryCounter.LOCAL_ERRORS)).isEqualTo(1);
        }

        // As a crash after the rename but before the journal write would leave it: the file in new/ already, and a
        // stale one in tmp/ from an attempt cut short.
        final String name = QueueIds.format(id) + "-r0.eml";
        Files.delete(fresh);
        Files.createDirectory(fresh);
        Files.writeString(fresh.resolve(name), "stale copy");
        Files.writeString(folder().resolve("tmp").resolve(name), "half a copy");

        try (DeliveryHarness restarted = DeliveryHarness.in(dir).clock(clock).drain(d -> d.retryInitialMs(RETRY_MS)).start())
        {
            clock.advanceMillis(RETRY_MS);
            restarted.awaitFinished(id);

            assertThat(files(fresh)).containsExactly(fresh.resolve(name));
            assertThat(Files.readString(fresh.resolve(name))).endsWith("\r\nfresh\r\n");
            assertThat(files(folder().resolve("tmp"))).isEmpty();
            assertThat(restarted.status(id, 0).attempts()).isEqualTo(2);
        }
    }

    @Test
    void shouldNameAFileAfterItsQueueIdAndRecipientIndexes()
    {
        assertThat(DirRoute.fileName(dispatch(0, 1, 2, 3, 5, 7, 8, 9))).isEqualTo("00000000000000FF-r0-3_5_7-9.eml");
        assertThat(DirRoute.fileName(dispatch(4))).isEqualTo("00000000000000FF-r4.eml");

        final int[] every = new int[100];
        for (int i = 0; i < every.length; i++)
        {
            every[i] = i * 2;
        }
        final String hashed = DirRoute.fileName(dispatch(every));
        assertThat(hashed).startsWith("00000000000000FF-r0+100-").endsWith(".eml").hasSizeLessThan(60);
        assertThat(DirRoute.fileName(dispatch(every))).as("stable").isEqualTo(hashed);
    }

    private static Dispatch dispatch(final int... indexes)
    {
        final List<String> recipients = new ArrayList<>();
        final List<RecipientStatus> statuses = new ArrayList<>();
        for (int i = 0; i <= indexes[indexes.length - 1]; i++)
        {
            recipients.add("r" + i + "@relay.test");
            statuses.add(RecipientStatus.NEW);
        }
        final PendingMessage message = new PendingMessage(255,
            new Envelope("192.0.2.1", "default", "mail", "a@client.test", recipients, 0), 10, statuses);
        final List<Integer> list = new ArrayList<>();
        for (final int index : indexes)
        {
            list.add(index);
        }
        return new Dispatch("default", "mail", message, list, 0);
    }
}
