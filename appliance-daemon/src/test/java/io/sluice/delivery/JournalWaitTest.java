package io.sluice.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import io.sluice.drain.Dispatch;
import io.sluice.drain.DrainContext;
import io.sluice.drain.SmtpReply;
import io.sluice.outcome.DeliveryReports;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolAwait;
import io.sluice.spool.SpoolContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A route's slots that wait for their outcomes to be journaled, after the upstream replied: the delivery says so to the
 * drain ({@code waitsOnJournal}), whose rate learner then does not read a full delivery as the upstream's limit. Real
 * SMTP on loopback, a real journal for the content; the outcome stage's "journaled" is a future the test completes.
 */
class JournalWaitTest
{
    @TempDir
    Path dir;

    @Test
    void shouldSayTheRouteWaitsOnTheJournalWhileItsRepliesAreNotJournaled() throws Exception
    {
        final List<CompletableFuture<Void>> journaling = new CopyOnWriteArrayList<>();
        final DrainContext drain = new DrainContext().routes("default:100:10,notifications:20:5").conclude();
        try (TestSmtpSink sink = TestSmtpSink.start();
            Spool spool = Spool.open(new SpoolContext().directory(dir.resolve("spool")).blockSizeBytes(1 << 20)
                .chunkBytes(64 << 10).diskReserveBytes(8 << 20));
            Delivery delivery = new Delivery(new DeliveryContext().heloName("client.test")
                .target("default", "smtp://127.0.0.1:" + sink.port())
                .target("notifications", "dir:" + dir.resolve("notes"))
                .maxConnections(2).conclude(drain), spool,
                new DeliveryReports()
                {
                    @Override
                    public CompletableFuture<Void> report(final Dispatch dispatch, final Map<Integer, SmtpReply> replies)
                    {
                        final CompletableFuture<Void> journaled = new CompletableFuture<>();
                        journaling.add(journaled);
                        return journaled;
                    }

                    @Override
                    public void returnUndelivered(final Dispatch dispatch)
                    {
                        throw new AssertionError("attempted, never handed back: " + dispatch);
                    }
                }))
        {
            final Envelope envelope = new Envelope("192.0.2.1", "default", "mail", "a@client.test", List.of("b@relay.test"),
                System.currentTimeMillis());
            final long id = spool.append(envelope,
                ByteBuffer.wrap("Subject: t\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII))).get().messageId();
            final PendingMessage message = spool.pending(id);
            assertThat(delivery.waitsOnJournal("default")).as("idle").isFalse();

            delivery.deliver(new Dispatch("default", "mail", message, List.of(0), 0));
            SpoolAwait.until(() -> journaling.size() == 1);

            assertThat(sink.received()).hasSize(1);
            assertThat(delivery.inUse("default")).as("the slot is held until the outcome is journaled").isEqualTo(1);
            assertThat(delivery.waitsOnJournal("default")).isTrue();
            assertThat(delivery.waitsOnJournal("notifications")).as("another route").isFalse();
            assertThat(delivery.waitsOnJournal("nowhere")).as("an unknown route").isFalse();

            journaling.get(0).complete(null);
            SpoolAwait.until(() -> delivery.inUse("default") == 0);
            assertThat(delivery.waitsOnJournal("default")).isFalse();
        }
    }
}
