package io.sluice.control.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.sluice.spool.SpoolInspection;
import io.sluice.text.Json;

/**
 * {@code sluice spool verify DIR}: reads a spool folder offline, without the daemon and without writing to it,
 * and lists each journal file's records, every damaged span, and the messages a start would find pending. Run it
 * on a stopped daemon's folder, on a copy, or after recovery set a damaged file aside (in {@code DIR/damaged/}).
 *
 * <p>Exit codes: 0 no damage; 1 damage or a message with part of its body missing was found; 2 usage error;
 * 3 the folder cannot be read.
 */
final class SpoolVerifyCommand
{
    private SpoolVerifyCommand()
    {
    }

    static int run(final Invocation invocation, final java.io.PrintStream out, final java.io.PrintStream err)
    {
        final SpoolInspection.Result result;
        try
        {
            if (invocation.operands().isEmpty() || !invocation.operands().get(0).equals("verify"))
            {
                throw CommandException.usage("spool expects: spool verify DIR");
            }
            invocation.operand(1, "the spool folder, e.g. spool verify /var/spool/sluice");
            invocation.expectAtMost(2);
            result = SpoolInspection.verify(Path.of(invocation.operands().get(1)));
        }
        catch (final CommandException ex)
        {
            err.println("sluice spool: " + ex.getMessage());
            err.println("try: sluice --help");
            return ex.exitCode();
        }
        catch (final IOException ex)
        {
            err.println("sluice spool verify: cannot read " + invocation.operands().get(1) + ": " + ex.getMessage());
            return SluiceCommand.EXIT_UNREACHABLE;
        }
        if (invocation.json())
        {
            out.println(Json.compact(json(result)));
        }
        else
        {
            text(result).forEach(out::println);
        }
        return result.isClean() ? SluiceCommand.EXIT_OK : SluiceCommand.EXIT_REFUSED;
    }

    private static List<String> text(final SpoolInspection.Result result)
    {
        final List<String> lines = new ArrayList<>();
        for (final SpoolInspection.JournalFile file : result.files())
        {
            lines.add(String.format("%-60s %9d records %12d bytes%s", file.file(), file.records(), file.dataEnd(),
                file.setAside() ? "  (set aside as damaged)" : ""));
        }
        for (final SpoolInspection.DamagedSpan span : result.spans())
        {
            lines.add("damaged: " + span.file() + " bytes " + span.from() + ".." + span.to() + " ("
                + (span.recordsSkipped() < 0 ? "an unknown number of" : Long.toString(span.recordsSkipped()))
                + " records): " + span.cause());
        }
        for (final SpoolInspection.Message message : result.incomplete())
        {
            lines.add("incomplete: " + message.queueId() + " from " + message.sender() + ", " + message.contentLength()
                + " bytes, part of its body is missing");
        }
        for (final SpoolInspection.Message message : result.pending())
        {
            lines.add("pending: " + message.queueId() + " from " + message.sender() + ", " + message.openRecipients() + " of "
                + message.recipients() + " recipients open, " + message.contentLength() + " bytes");
        }
        lines.add(result.files().size() + " journal files, " + result.spans().size() + " damaged spans, "
            + result.pending().size() + " pending messages, " + result.incomplete().size() + " incomplete");
        return lines;
    }

    private static Map<String, Object> json(final SpoolInspection.Result result)
    {
        final List<Object> files = new ArrayList<>();
        for (final SpoolInspection.JournalFile file : result.files())
        {
            files.add(Map.of("file", file.file().toString(), "records", file.records(), "dataEnd", file.dataEnd(),
                "setAside", file.setAside()));
        }
        final List<Object> spans = new ArrayList<>();
        for (final SpoolInspection.DamagedSpan span : result.spans())
        {
            spans.add(Map.of("file", span.file().toString(), "from", span.from(), "to", span.to(),
                "recordsSkipped", span.recordsSkipped(), "cause", span.cause()));
        }
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("files", files);
        json.put("damagedSpans", spans);
        json.put("pending", messages(result.pending()));
        json.put("incomplete", messages(result.incomplete()));
        return json;
    }

    private static List<Object> messages(final List<SpoolInspection.Message> messages)
    {
        final List<Object> list = new ArrayList<>();
        for (final SpoolInspection.Message message : messages)
        {
            list.add(Map.of("queueId", message.queueId(), "sender", message.sender(), "recipients", message.recipients(),
                "openRecipients", message.openRecipients(), "bytes", message.contentLength(), "complete", message.complete()));
        }
        return list;
    }
}
