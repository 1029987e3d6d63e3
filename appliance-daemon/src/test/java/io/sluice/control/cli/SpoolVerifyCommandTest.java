package io.sluice.control.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.spool.Durability;
import io.sluice.spool.JournalDamage;
import io.sluice.spool.QueueIds;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;
import io.sluice.spool.TestMessages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice spool verify DIR} on a real journal, offline (no daemon, no JMX): a healthy folder lists its file and
 * pending messages and exits 0; after bytes in the middle are changed it names the damaged span and exits 1, and it
 * never writes to the folder, so a second run says the same; a bad command line exits 2.
 */
class SpoolVerifyCommandTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    record Outcome(int exit, String out, String err)
    {
    }

    private static Outcome run(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = SluiceCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldListRecordsDamageAndPendingMessagesOffline() throws Exception
    {
        final List<Long> ids = new ArrayList<>();
        try (Spool spool = Spool.open(new SpoolContext().directory(dir).durability(Durability.ACK_ON_WRITE)
            .diskReserveBytes(64L << 20)))
        {
            for (int i = 0; i < 50; i++)
            {
                ids.add(spool.append(TestMessages.envelope("r@x.test"), TestMessages.body("v" + i, 2000)).get().messageId());
            }
            spool.recordOutcome(ids.get(0), 0, RecipientStatus.delivered(1, "250 ok")).get();
        }
        final Outcome healthy = run("spool", "verify", dir.toString());
        assertThat(healthy.exit()).as(healthy.err()).isZero();
        assertThat(healthy.out()).contains("pending: " + QueueIds.format(ids.get(1)))
            .doesNotContain("pending: " + QueueIds.format(ids.get(0))).contains("0 damaged spans, 49 pending messages");

        final List<JournalDamage.Record> records = JournalDamage.records(dir, new SpoolContext().directory(dir).conclude());
        final JournalDamage.Record victim = records.get(25);
        JournalDamage.damage(victim.file(), victim.position() + 100, 16, new Random(5));
        final Outcome damaged = run("spool", "verify", dir.toString());
        assertThat(damaged.exit()).isEqualTo(SluiceCommand.EXIT_REFUSED);
        assertThat(damaged.out()).contains("damaged: ").contains("bytes " + victim.position() + "..")
            .contains("(1 records)").doesNotContain("pending: " + QueueIds.format(victim.messageId()))
            .contains("1 damaged spans, 48 pending messages");
        assertThat(run("spool", "verify", dir.toString()).out()).as("verify never writes").isEqualTo(damaged.out());

        final JsonNode json = JSON.readTree(run("--json", "spool", "verify", dir.toString()).out());
        assertThat(json.get("damagedSpans")).hasSize(1);
        assertThat(json.get("damagedSpans").get(0).get("from").asLong()).isEqualTo(victim.position());
        assertThat(json.get("pending")).hasSize(48);
    }

    @Test
    void shouldRefuseABadCommandLineOrAMissingFolder()
    {
        assertThat(run("spool").exit()).isEqualTo(SluiceCommand.EXIT_USAGE);
        assertThat(run("spool", "verify").exit()).isEqualTo(SluiceCommand.EXIT_USAGE);
        final Outcome missing = run("spool", "verify", dir.resolve("nope").toString());
        assertThat(missing.exit()).isEqualTo(SluiceCommand.EXIT_UNREACHABLE);
        assertThat(missing.err()).contains("nope");
    }
}
