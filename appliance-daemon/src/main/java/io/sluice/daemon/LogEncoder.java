package io.sluice.daemon;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;

/**
 * The console's encoder, named in {@code logback.xml}: text lines from its pattern until the daemon has read
 * {@code log.format}, then text or Logback's {@link JsonEncoder} (one JSON object per line, for a log pipeline).
 * Logback starts before the settings are read, so the format is switched in place rather than by reconfiguring:
 * nothing is lost or reopened, and the appender calls {@link #encode} under its own lock.
 */
public final class LogEncoder extends EncoderBase<ILoggingEvent>
{
    private final PatternLayoutEncoder text = new PatternLayoutEncoder();
    private final JsonEncoder json = new JsonEncoder();
    private volatile Encoder<ILoggingEvent> current = text;
    private String pattern;

    /** From {@code logback.xml}: the text format's pattern. */
    public void setPattern(final String pattern)
    {
        this.pattern = pattern;
    }

    /** @param useJson true for one JSON object per line, false for the text pattern */
    void json(final boolean useJson)
    {
        current = useJson ? json : text;
    }

    @Override
    public void start()
    {
        text.setContext(getContext());
        text.setPattern(pattern);
        text.start();
        json.setContext(getContext());
        // The message as read ("formattedMessage"), not its pattern and arguments; no context block on every line.
        json.setWithFormattedMessage(true);
        json.setWithMessage(false);
        json.setWithArguments(false);
        json.setWithContext(false);
        json.start();
        super.start();
    }

    @Override
    public void stop()
    {
        text.stop();
        json.stop();
        super.stop();
    }

    @Override
    public byte[] headerBytes()
    {
        return current.headerBytes();
    }

    @Override
    public byte[] encode(final ILoggingEvent event)
    {
        return current.encode(event);
    }

    @Override
    public byte[] footerBytes()
    {
        return current.footerBytes();
    }
}
