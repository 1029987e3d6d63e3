package io.sluice.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.sluice.spool.AppendResult;
import io.sluice.spool.Envelope;
import io.sluice.spool.MutableClock;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pages through a real spool's pending messages: bounded pages, both orders, the cursor, and the bound on actions. */
class QueueQueryTest
{
    private static final long START = 1_700_000_000_000L;

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(START);

    private List<Long> fill(final Spool spool, final int count) throws Exception
    {
        final List<Long> ids = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final String tenant = i % 2 == 0 ? "even" : "odd";
            final Envelope envelope = new Envelope("192.0.2." + i, tenant, "mail", "s" + i + "@example.net",
                List.of("r@example.org"), clock.millis());
            final byte[] content = ("Subject: " + i + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII);
            final AppendResult result = spool.append(envelope, ByteBuffer.wrap(content)).get();
            ids.add(result.messageId());
            clock.advanceMillis(60_000);
        }
        return ids;
    }

    @Test
    void shouldPageThroughMatchesInEitherOrder() throws Exception
    {
        try (Spool spool = Spool.open(new SpoolContext().directory(dir).clock(clock)))
        {
            final List<Long> ids = fill(spool, 10);
            final QueueQuery query = new QueueQuery(spool, (tenant, lane) -> "default", envelope -> false, clock::millis);
            final MessageFilter odd = MessageFilter.parse("tenant=odd");

            final List<Long> seen = new ArrayList<>();
            QueueQuery.Page page = query.page(odd, null, false, 2, 100);
            seen.addAll(page.messages().stream().map(PendingMessage::messageId).toList());
            while (page.next() != null)
            {
                page = query.page(odd, page.next(), false, 2, 100);
                seen.addAll(page.messages().stream().map(PendingMessage::messageId).toList());
            }
            assertThat(seen).containsExactly(ids.get(1), ids.get(3), ids.get(5), ids.get(7), ids.get(9));

            final QueueQuery.Page newest = query.page(MessageFilter.ANY, null, true, 3, 100);
            assertThat(newest.messages()).extracting(PendingMessage::messageId)
                .containsExactly(ids.get(9), ids.get(8), ids.get(7));
            assertThat(query.page(MessageFilter.ANY, newest.next(), true, 3, 100).messages())
                .extracting(PendingMessage::messageId).containsExactly(ids.get(6), ids.get(5), ids.get(4));

            final QueueQuery.Page bounded = query.page(MessageFilter.parse("tenant=nobody"), null, false, 5, 5);
            assertThat(bounded.messages()).isEmpty();
            assertThat(bounded.scanned()).as("a page looks at no more than it may").isEqualTo(5);
            assertThat(bounded.next()).isEqualTo(ids.get(4));

            assertThat(query.all(MessageFilter.parse("older-than=5m"), 10)).as("5 minutes old or more").hasSize(6);
            assertThatThrownBy(() -> query.all(MessageFilter.ANY, 9)).hasMessageContaining("matches more than 9");
        }
    }
}
