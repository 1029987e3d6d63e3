package io.sluice.daemon;

import java.util.List;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * The mail log's lines during one test ({@code @RegisterExtension}): what the daemon tells an operator about each
 * DSN and quarantine decision, read back in order.
 */
final class MailLogCapture implements BeforeEachCallback, AfterEachCallback
{
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger logger = (Logger)LoggerFactory.getLogger("io.sluice.maillog");

    @Override
    public void beforeEach(final ExtensionContext context)
    {
        appender.start();
        logger.addAppender(appender);
    }

    @Override
    public void afterEach(final ExtensionContext context)
    {
        logger.detachAppender(appender);
    }

    /** @return every line logged so far, formatted. */
    List<String> lines()
    {
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
}
