package io.sluice.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.sluice.delivery.TestSmtpSink;
import io.sluice.testing.TestClock;

/**
 * The real daemon with containment's windows or the bounce budget's window on a clock the test moves, so minutes or
 * hours of history pass in a moment while sockets, journal, drain and delivery run for real.
 */
final class DaemonOnTestClocks
{
    private DaemonOnTestClocks()
    {
    }

    /**
     * @return the settings every such test starts from: a spool under {@code dir}, SMTP on a free loopback port, relay
     *         domain {@code relay.test}, mail to {@code upstream}, notices to the {@code notifications} folder, and
     *         admission's buckets opened (what these tests are about comes after admission).
     */
    static Map<String, String> settings(final Path dir, final TestSmtpSink upstream)
    {
        final Map<String, String> settings = new HashMap<>(Map.of(
            "spool.directory", dir.resolve("spool").toString(),
            "smtp.listen", "127.0.0.1:0",
            "relay.domains", "relay.test",
            "delivery.route.default.target", upstream.target(),
            "delivery.route.notifications.target", "dir:" + dir.resolve("notifications")));
        for (final String kind : List.of("ip", "network", "senderDomain", "tenant"))
        {
            settings.put("admission." + kind + ".burst", "10000");
        }
        return settings;
    }

    /**
     * @param containmentClock containment's clocks, or null for the system's.
     * @param bounceClock      the bounce policy's clocks, or null for the system's.
     */
    static SluiceDaemon start(final Map<String, String> settings, final TestClock containmentClock,
        final TestClock bounceClock) throws IOException
    {
        return start(settings, containmentClock, bounceClock, null);
    }

    /** @param authClock the clock SMTP AUTH's failures back off on, or null for the system's. */
    static SluiceDaemon start(final Map<String, String> settings, final TestClock containmentClock,
        final TestClock bounceClock, final TestClock authClock) throws IOException
    {
        final DaemonSettings loaded = DaemonSettings.load(null, settings);
        final SluiceDaemon.Configuration real = SluiceDaemon.Configuration.of(loaded);
        return SluiceDaemon.start(new SluiceDaemon.Configuration(real.spool(), real.admission(), real.ingress(), real.tls(),
            real.certificate(),
            real.sources(), real.drain(), real.delivery(), real.jmx(),
            bounceClock == null ? real.bounce() : BounceSettings.context(loaded, bounceClock, bounceClock),
            containmentClock == null ? real.containment()
                : ContainmentSettings.context(loaded, containmentClock, containmentClock), real.verification(),
            real.operations(), authClock == null ? real.auth() : AuthSettings.of(loaded, authClock), real.fleet(),
            loaded));
    }
}
