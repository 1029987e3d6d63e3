package io.sluice.daemon;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.management.MBeanServer;

import io.sluice.admission.Admission;
import io.sluice.admission.AdmissionContext;
import io.sluice.bounce.BounceContext;
import io.sluice.bounce.BouncePolicy;
import io.sluice.bounce.NoticeBuilder;
import io.sluice.config.InvalidSettingException;
import io.sluice.containment.Containment;
import io.sluice.containment.ContainmentContext;
import io.sluice.containment.HoldNotice;
import io.sluice.control.BouncesControl;
import io.sluice.control.BouncesControlMXBean;
import io.sluice.control.ControlPlane;
import io.sluice.control.ConfigControl;
import io.sluice.control.ConfigControlMXBean;
import io.sluice.control.ControlState;
import io.sluice.control.CounterRates;
import io.sluice.control.DeliveryControl;
import io.sluice.control.DeliveryControlMXBean;
import io.sluice.control.DrainControl;
import io.sluice.control.DrainControlMXBean;
import io.sluice.control.DrainSwitches;
import io.sluice.control.FleetControl;
import io.sluice.control.FleetControlMXBean;
import io.sluice.control.JmxContext;
import io.sluice.control.LimitsControl;
import io.sluice.control.LimitsControlMXBean;
import io.sluice.control.OperatorQueue;
import io.sluice.control.SettingRow;
import io.sluice.control.SpoolControl;
import io.sluice.control.SpoolControlMXBean;
import io.sluice.control.TenantsControl;
import io.sluice.control.TenantsControlMXBean;
import io.sluice.control.TlsControl;
import io.sluice.control.TlsControlMXBean;
import io.sluice.delivery.Delivery;
import io.sluice.delivery.DeliveryContext;
import io.sluice.delivery.RecipientVerificationContext;
import io.sluice.drain.DrainAgent;
import io.sluice.drain.DrainContext;
import io.sluice.drain.DrainStatus;
import io.sluice.drain.RouteSpec;
import io.sluice.fleet.Fleet;
import io.sluice.fleet.FleetContext;
import io.sluice.ingress.EnvelopeRules;
import io.sluice.ingress.IngressContext;
import io.sluice.ingress.RecipientVerification;
import io.sluice.ingress.SmtpServer;
import io.sluice.ingress.SourcePolicy;
import io.sluice.ingress.auth.Authenticator;
import io.sluice.ingress.tls.ServerTlsContext;
import io.sluice.ingress.tls.TlsContext;
import io.sluice.metrics.HealthCheck;
import io.sluice.outcome.BounceStep;
import io.sluice.outcome.ContainmentFeed;
import io.sluice.outcome.OutcomeListener;
import io.sluice.outcome.OutcomeStage;
import io.sluice.outcome.ReputationFeed;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.SpoolCounter;
import org.agrona.concurrent.AgentRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The appliance process: reads its settings, then makes each stage from the ones it needs, in the order data flows
 * back from the journal: the drain, the spool (its listener feeding the drain), the drain loaded with the spool's
 * pending mail, admission, the outcome stage (telling the drain, containment and admission of each reply, asking the
 * bounce policy), delivery (reporting to the outcome stage), the drain's thread delivering to it, and last the SMTP
 * listener; no stage is bound to another after it is made. It runs until systemd (or Ctrl-C) stops it, then stops in
 * the reverse order, listener first, so no session is left waiting on a closed spool and no outcome on a closed journal.
 * Exit codes follow sysexits: 64 for bad arguments, 78 for a bad configuration (nothing in the spool is
 * touched then), 1 for a failure while running.
 */
public final class SluiceDaemon implements AutoCloseable
{
    static final int EXIT_USAGE = 64;
    static final int EXIT_CONFIG = 78;
    static final int EXIT_FAILURE = 1;

    private static final Logger LOG = LoggerFactory.getLogger(SluiceDaemon.class);

    /** How often admission's buckets are written to its state file, so a crash loses at most this much. */
    private static final long ADMISSION_SNAPSHOT_INTERVAL_MS = 5_000;
    /** How often containment looks at each tenant's window, and how often its learned rates are saved. */
    private static final long CONTAINMENT_EVALUATE_INTERVAL_MS = 1_000;
    private static final long CONTAINMENT_SNAPSHOT_INTERVAL_MS = 60_000;
    /** How often the bounce policy's suppression list, dedup table and budget are saved, when they changed. */
    private static final long BOUNCE_SNAPSHOT_INTERVAL_MS = 5_000;
    /** How often DSNs deferred over the bounce budget are released as far as the budget window has room. */
    private static final long DEFERRED_DSN_RELEASE_INTERVAL_MS = 1_000;
    /** How often quarantined mail and deferred DSNs are checked for their expiry. */
    private static final long HELD_EXPIRY_INTERVAL_MS = 1_000;
    /** How often the relay.localRecipients file is checked for a change (a stat; read only when it changed). */
    private static final long RECIPIENTS_RELOAD_INTERVAL_MS = 2_000;
    /** How often the auth.usersFile is checked for a change, and stale authentication failures forgotten. */
    private static final long USERS_RELOAD_INTERVAL_MS = 2_000;
    /** How often the TLS certificate and key files are checked for a change (two stats; read only when changed). */
    private static final long CERTIFICATE_RELOAD_INTERVAL_MS = 2_000;
    /** How often dropped log lines are reported: one WARN a minute at most while stdout is too slow. */
    private static final long LOG_DROPS_REPORT_INTERVAL_MS = 60_000;
    /** How often the watchdog looks at the heartbeats, so a stall is logged even where systemd does not ask. */
    private static final long WATCHDOG_CHECK_INTERVAL_MS = 1_000;
    /** How often the Spool console's accepted/delivered/deferred/failed rates are sampled. */
    private static final long RATE_SAMPLE_INTERVAL_MS = 1_000;

    private final Spool spool;
    private final DrainAgent drain;
    private final Delivery delivery;
    private final AgentRunner drainRunner;
    private final Admission admission;
    private final SmtpServer smtp;
    private final Authenticator authenticator;
    private final ScheduledExecutorService maintenance = Executors.newSingleThreadScheduledExecutor(
        r -> new Thread(r, "sluice-maintenance"));
    private final ControlPlane control;
    private final CounterRates rates;
    private final Containment containment;
    private final BounceStep bounces;
    private final OutcomeStage outcomes;
    private final Quarantine quarantine;
    private final SystemdNotifier systemd;
    private final MetricsWiring metrics = new MetricsWiring();
    private final BeatingAgent drainBeat;
    private final ProgressWatchdog watchdog;
    private final LogSetup logs = LogSetup.fromLogback();
    /** The fleet this appliance shares its limits with; {@link Fleet#NONE} without {@code fleet.redis}. */
    private final Fleet fleet;

    private SluiceDaemon(final Configuration configuration, final SystemdNotifier systemd, final MBeanServer mbeans)
    {
        this.systemd = systemd;
        logs.format(configuration.operations().jsonLogs());
        // First, in the background: a fleet's node starts on local limits and shares them once Redis answers.
        fleet = Fleet.open(configuration.fleet());
        drain = new DrainAgent(configuration.drain(), fleet.egress());
        final HoldNotice holdNotices = new HoldNotice(configuration.containment());
        final ContainmentWiring holds = new ContainmentWiring(holdNotices);
        containment = Containment.open(configuration.containment(), fleet.holds(holds));
        final BouncePolicy policy = new BouncePolicy(configuration.bounce(), fleet.bounceBudget(configuration.bounce()));
        final ArrivalHolds arrivals = new ArrivalHolds(metrics.timed(drain.listener()), policy, containment);
        spool = Spool.open(configuration.spool(), arrivals);
        bounces = new BounceStep(spool, policy, budgetNotices(configuration, holdNotices));
        quarantine = new Quarantine(spool, policy, bounces);
        arrivals.bind(spool, message ->
        {
            final RecipientStatus deferredDsn = bounces.deferred().holdOnArrival(message);
            return deferredDsn != null ? deferredDsn : quarantine.holdOnArrival(message);
        });
        bounces.deferred().recover();
        quarantine.recover();
        drain.quarantineTo(quarantine);
        holds.bind(containment, spool);
        holds.reconcileAtStart();
        fleet.bind(containment);
        // Before anything is appended or delivered, so every snapshot the listener passes on later is newer.
        drain.loadFrom(spool);
        rates = SpoolControl.rates(spool, drain);
        authenticator = new Authenticator(configuration.auth().context(), configuration.auth().users());
        Admission startedAdmission = null;
        OutcomeStage startedOutcomes = null;
        Delivery startedDelivery = null;
        AgentRunner startedRunner = null;
        SmtpServer startedSmtp = null;
        ControlPlane startedControl = null;
        try
        {
            startedAdmission = Admission.open(configuration.admission(),
                SpoolPressureGauge.of(spool, drain, configuration.drain()), fleet.admissionRates());
            bounces.vouchWith(startedAdmission);
            startedOutcomes = new OutcomeStage(spool, configuration.drain(), drain, OutcomeListener.of(
                bounces, new ContainmentFeed(containment), new ReputationFeed(startedAdmission)));
            startedDelivery = new Delivery(configuration.delivery(), configuration.verification(), spool, startedOutcomes);
            // The drain's thread beats for the watchdog while it runs the agent that delivers.
            drainBeat = new BeatingAgent(drain.deliveringTo(startedDelivery));
            startedRunner = new AgentRunner(drain.idleStrategy(),
                ex -> LOG.error("drain duty cycle failed", ex), drain.errorCounter(), drainBeat);
            AgentRunner.startOnThread(startedRunner);
            startedSmtp = SmtpServer.start(configuration.ingress(), configuration.sources(), startedAdmission,
                recipientVerification(configuration, startedDelivery), spool, Clock.systemUTC(), quarantine,
                configuration.tls(), configuration.certificate(), authenticator);
            startedControl = startControlPlane(configuration, mbeans, startedAdmission, startedSmtp, startedDelivery,
                startedOutcomes);
            watchdog = watchProgress(configuration.operations(), startedSmtp);
            metrics.start(configuration.operations(), new MetricsWiring.Stages(spool, drain, startedAdmission, startedDelivery,
                startedOutcomes, bounces, containment, startedSmtp, logs::dropped),
                List.of(new HealthCheck("workers_progressing", this::healthy)));
        }
        catch (final RuntimeException ex)
        {
            metrics.close();
            if (startedControl != null)
            {
                startedControl.close();
            }
            if (startedSmtp != null)
            {
                startedSmtp.close();
            }
            if (startedRunner != null)
            {
                startedRunner.close();
            }
            if (startedDelivery != null)
            {
                startedDelivery.close();
            }
            if (startedOutcomes != null)
            {
                startedOutcomes.close();
            }
            if (startedAdmission != null)
            {
                startedAdmission.close();
            }
            spool.close();
            containment.close();
            policy.close();
            authenticator.close();
            fleet.close();
            throw ex;
        }
        control = startedControl;
        drainRunner = startedRunner;
        outcomes = startedOutcomes;
        delivery = startedDelivery;
        admission = startedAdmission;
        smtp = startedSmtp;
        scheduleMaintenance(configuration);
    }

    /** The maintenance thread's periodic jobs: snapshots, containment, reloads, releases, expiry, rates, the watchdog. */
    private void scheduleMaintenance(final Configuration configuration)
    {
        maintenance.scheduleWithFixedDelay(this::snapshotAdmission,
            ADMISSION_SNAPSHOT_INTERVAL_MS, ADMISSION_SNAPSHOT_INTERVAL_MS, TimeUnit.MILLISECONDS);
        maintenance.scheduleWithFixedDelay(this::evaluateContainment,
            CONTAINMENT_EVALUATE_INTERVAL_MS, CONTAINMENT_EVALUATE_INTERVAL_MS, TimeUnit.MILLISECONDS);
        final EnvelopeRules rules = configuration.sources().rules();
        maintenance.scheduleWithFixedDelay(() -> reloadRecipients(rules),
            RECIPIENTS_RELOAD_INTERVAL_MS, RECIPIENTS_RELOAD_INTERVAL_MS, TimeUnit.MILLISECONDS);
        maintenance.scheduleWithFixedDelay(this::maintainAuthentication,
            USERS_RELOAD_INTERVAL_MS, USERS_RELOAD_INTERVAL_MS, TimeUnit.MILLISECONDS);
        if (smtp.tls() != null)
        {
            maintenance.scheduleWithFixedDelay(this::reloadCertificate,
                CERTIFICATE_RELOAD_INTERVAL_MS, CERTIFICATE_RELOAD_INTERVAL_MS, TimeUnit.MILLISECONDS);
        }
        maintenance.scheduleWithFixedDelay(this::releaseDeferredDsns,
            DEFERRED_DSN_RELEASE_INTERVAL_MS, DEFERRED_DSN_RELEASE_INTERVAL_MS, TimeUnit.MILLISECONDS);
        final long queueLifetimeMs = configuration.drain().maxQueueLifetimeMs();
        maintenance.scheduleWithFixedDelay(() -> expireHeld(queueLifetimeMs),
            HELD_EXPIRY_INTERVAL_MS, HELD_EXPIRY_INTERVAL_MS, TimeUnit.MILLISECONDS);
        maintenance.scheduleWithFixedDelay(this::snapshotBounces,
            BOUNCE_SNAPSHOT_INTERVAL_MS, BOUNCE_SNAPSHOT_INTERVAL_MS, TimeUnit.MILLISECONDS);
        maintenance.scheduleAtFixedRate(this::sampleRates, 0, RATE_SAMPLE_INTERVAL_MS, TimeUnit.MILLISECONDS);
        maintenance.scheduleWithFixedDelay(logs::reportDrops, LOG_DROPS_REPORT_INTERVAL_MS, LOG_DROPS_REPORT_INTERVAL_MS,
            TimeUnit.MILLISECONDS);
        maintenance.scheduleWithFixedDelay(watchdog::check, WATCHDOG_CHECK_INTERVAL_MS, WATCHDOG_CHECK_INTERVAL_MS,
            TimeUnit.MILLISECONDS);
        maintenance.scheduleWithFixedDelay(this::snapshotContainment,
            CONTAINMENT_SNAPSHOT_INTERVAL_MS, CONTAINMENT_SNAPSHOT_INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    /** Recipient verification at RCPT: none at all (the default) unless a route asks for it, so RCPT pays nothing for it. */
    private static RecipientVerification recipientVerification(final Configuration configuration, final Delivery delivery)
    {
        return configuration.verification().routes().isEmpty() ? RecipientVerification.NONE
            : new RecipientCallout(configuration.drain().routeTable(), delivery);
    }

    /** The budget alert's notices: the bounce policy's host name, containment's notifications lane and tenant. */
    private static NoticeBuilder budgetNotices(final Configuration configuration, final HoldNotice holdNotices)
    {
        final ContainmentContext containment = configuration.containment();
        return new NoticeBuilder(configuration.bounce().reportingMta(), containment.notificationSender(),
            holdNotices.notices().tenant(), holdNotices.notices().lane(), configuration.bounce().clock());
    }

    private void evaluateContainment()
    {
        try
        {
            containment.evaluate();
        }
        catch (final RuntimeException ex)
        {
            LOG.error("containment evaluation failed", ex);
        }
    }

    private static void reloadRecipients(final EnvelopeRules rules)
    {
        try
        {
            rules.reloadIfChanged();
        }
        catch (final RuntimeException ex)
        {
            LOG.error("reading the local recipients again failed; the previous list stays in force", ex);
        }
    }

    private void maintainAuthentication()
    {
        try
        {
            authenticator.maintain();
        }
        catch (final RuntimeException ex)
        {
            LOG.error("reading the users file again failed; the previous users stay in force", ex);
        }
    }

    /** A renewed certificate (certbot) is served from the next handshake; a bad pair is refused and logged. */
    private void reloadCertificate()
    {
        try
        {
            smtp.tls().reloadIfChanged();
        }
        catch (final RuntimeException ex)
        {
            LOG.error("looking at the TLS certificate files failed; the certificate in use stays", ex);
        }
    }

    private void releaseDeferredDsns()
    {
        try
        {
            bounces.deferred().releaseDue();
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("releasing deferred DSNs failed; they wait for the next try", ex);
        }
    }

    /** Quarantined mail past quarantine.expiryMs fails through the bounce policy; deferred DSNs past the lifetime fail. */
    private void expireHeld(final long queueLifetimeMs)
    {
        try
        {
            quarantine.expireDue();
            bounces.deferred().expireDue(queueLifetimeMs);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("expiring quarantined mail or deferred DSNs failed; they are tried again", ex);
        }
    }

    private void snapshotBounces()
    {
        try
        {
            bounces.policy().snapshot();
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("bounce state snapshot failed", ex);
        }
    }

    private void sampleRates()
    {
        try
        {
            rates.sample(System.currentTimeMillis());
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("sampling the consoles' rates failed", ex);
        }
    }

    private void snapshotContainment()
    {
        try
        {
            containment.snapshot();
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("containment state snapshot failed", ex);
        }
    }

    /** @return the effective {@code drain.routes} value, {@code name:rate:burst,...}, as a JMX change rewrites it. */
    private static String routesSetting(final DrainContext drain)
    {
        final StringBuilder routes = new StringBuilder();
        for (final RouteSpec route : drain.routeSpecs())
        {
            routes.append(routes.length() == 0 ? "" : ",").append(route.name()).append(':').append(route.ratePerSec())
                .append(':').append(route.burst());
        }
        return routes.toString();
    }

    /** {@code sluice config}'s rows: every effective setting and the layer it came from. */
    private static List<SettingRow> configRows(final DaemonSettings settings)
    {
        final List<SettingRow> rows = new ArrayList<>();
        settings.all().forEach((key, value) -> rows.add(SettingRow.shown(key, value, settings.sources().get(key))));
        return rows;
    }

    /** The MXBeans over each stage's control API, then the JMX connector; last, so a console sees a running daemon. */
    private ControlPlane startControlPlane(final Configuration configuration, final MBeanServer mbeans,
        final Admission admission, final SmtpServer smtp, final Delivery delivery, final OutcomeStage outcomes)
    {
        final ControlState state = ControlState.open(configuration.spool().directory());
        final DrainSwitches switches = new DrainSwitches(drain, state, configuration.drain(), fleet.switches());
        final ControlPlane plane = new ControlPlane(mbeans);
        try
        {
            return plane
                .register("Spool", new SpoolControl(spool, smtp, state, drain, switches, rates, quarantine,
                    OperatorQueue.of(spool, drain, switches, configuration.drain().routeTable(), Clock.systemUTC())),
                    SpoolControlMXBean.class)
                .register("Limits", new LimitsControl(admission, state, authenticator.failures()::worst, fleet.switches()),
                    LimitsControlMXBean.class)
                .register("Drain", new DrainControl(drain, switches, delivery, state, routesSetting(configuration.drain())),
                    DrainControlMXBean.class)
                .register("Delivery", new DeliveryControl(delivery, outcomes), DeliveryControlMXBean.class)
                .register("Tenants", new TenantsControl(containment, spool, state), TenantsControlMXBean.class)
                .register("Bounces", new BouncesControl(bounces.policy(), bounces::dsnsAppended, bounces::dsnsRefused,
                    configuration.sources().rules(), state, bounces.deferred()::waiting,
                    bounces.deferred()::releaseByOperator), BouncesControlMXBean.class)
                .register("Config", new ConfigControl(configRows(configuration.settings()), state), ConfigControlMXBean.class)
                .register("Tls", new TlsControl(smtp.tls()), TlsControlMXBean.class)
                .register("Fleet", new FleetControl(fleet), FleetControlMXBean.class)
                .serve(configuration.jmx());
        }
        catch (final RuntimeException ex)
        {
            plane.close();
            throw ex;
        }
    }

    /**
     * The heartbeats the watchdog follows: the journal writer's duty cycles while writes wait, the drain's while mail is
     * pending, and a counting task on each SMTP event loop.
     */
    private ProgressWatchdog watchProgress(final OperationsContext operations, final SmtpServer smtp)
    {
        final ProgressWatchdog progress = new ProgressWatchdog(operations.watchdogStallMs(), System::nanoTime)
            .watch("journal writer", spool::writerHeartbeat, spool::hasQueuedWrites)
            .watch("drain", drainBeat::heartbeat, () -> spool.pendingCount() > 0);
        EventLoopBeats.watch(progress, smtp.eventLoops());
        return progress;
    }

    /** The watchdog's health check: the journal writer and the drain still run, and every watched part makes progress. */
    boolean healthy()
    {
        final Thread drainThread = drainRunner.thread();
        final boolean alive = spool.isWriterAlive() && drainThread != null && drainThread.isAlive() && !drainRunner.isClosed();
        return watchdog.check() && alive;
    }

    /** @return true while the drain's thread runs, whether or not it makes progress. */
    boolean drainRunnerAlive()
    {
        final Thread thread = drainRunner.thread();
        return thread != null && thread.isAlive();
    }

    /** Test hook: the drain's next duty cycle hangs until {@code release} is counted down. */
    void stallDrainUntil(final CountDownLatch release)
    {
        drainBeat.stallUntil(release);
    }

    /** The line {@code systemctl status} shows. */
    String statusLine()
    {
        final DrainStatus status = drain.status();
        final long etaSeconds = status == null ? 0 : status.etaMillis() / 1000;
        return spool.counters().get(SpoolCounter.PENDING_MESSAGES) + " pending, oldest "
            + spool.counters().get(SpoolCounter.OLDEST_PENDING_AGE_MS) / 1000 + " s, drain ETA " + etaSeconds + " s"
            + (smtp.isPaused() ? ", ingress paused" : "")
            + (fleet.status().isFleet() ? "; " + fleet.status().summary() : "")
            + (watchdog.stalledParts().isEmpty() ? "" : ", stalled: " + watchdog.stalledParts());
    }

    private void snapshotAdmission()
    {
        try
        {
            admission.snapshot();
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("admission state snapshot failed; buckets will be rebuilt from zero if the daemon dies now", ex);
        }
    }

    /** Every module's validated context: built whole before anything opens a file or a socket. */
    record Configuration(
        SpoolContext spool,
        AdmissionContext admission,
        IngressContext ingress,
        TlsContext tls,
        ServerTlsContext certificate,
        SourcePolicy sources,
        DrainContext drain,
        DeliveryContext delivery,
        JmxContext jmx,
        BounceContext bounce,
        ContainmentContext containment,
        RecipientVerificationContext verification,
        OperationsContext operations,
        AuthSettings auth,
        FleetContext fleet,
        DaemonSettings settings)
    {
        static Configuration of(final DaemonSettings settings)
        {
            final DrainContext drain = DrainSettings.context(settings);
            final DeliveryContext delivery = DeliverySettings.context(settings, drain);
            final TlsContext tls = IngressSettings.tls(settings);
            return new Configuration(SpoolSettings.context(settings), AdmissionSettings.context(settings),
                IngressSettings.context(settings), tls, IngressSettings.certificate(tls), IngressSettings.policy(settings),
                drain, delivery,
                JmxSettings.context(settings), BounceSettings.context(settings), ContainmentSettings.context(settings),
                DeliverySettings.verification(settings, delivery), OperationsContext.of(settings),
                AuthSettings.of(settings), FleetSettings.context(settings), settings);
        }
    }

    /** Starts every stage from validated settings. */
    static SluiceDaemon start(final Configuration configuration)
    {
        return start(configuration, SystemdNotifier.fromEnvironment());
    }

    /** Starts every stage, telling {@code systemd} (a test's fake one) how it goes. */
    static SluiceDaemon start(final Configuration configuration, final SystemdNotifier systemd)
    {
        return start(configuration, systemd, ManagementFactory.getPlatformMBeanServer());
    }

    /**
     * Starts every stage, its MXBeans registered in {@code mbeans}: the platform's, or a test's own, so that several
     * daemons (a fleet's nodes) run in one test's JVM.
     */
    static SluiceDaemon start(final Configuration configuration, final SystemdNotifier systemd, final MBeanServer mbeans)
    {
        final SluiceDaemon daemon = new SluiceDaemon(configuration, systemd, mbeans);
        logRoutes(configuration, daemon.delivery);
        LOG.info("sluice started: spool {} with {} pending messages; SMTP on {}; relay domains {}",
            configuration.spool().directory(), daemon.spool.counters().get(SpoolCounter.PENDING_MESSAGES),
            daemon.smtp.localAddress(), configuration.sources().relayDomains());
        // Only now: the journal is recovered and every listener is bound.
        daemon.systemd.ready("accepting on " + daemon.smtp.localAddress() + "; " + daemon.statusLine());
        daemon.systemd.startHeartbeat(daemon::healthy, daemon::statusLine);
        return daemon;
    }

    /** The effective routes: each drain route's rate and where its mail goes, and which lanes take which route. */
    private static void logRoutes(final Configuration configuration, final Delivery delivery)
    {
        final List<String> targets = delivery.describeRoutes();
        final List<RouteSpec> routes = configuration.drain().routeSpecs();
        for (int i = 0; i < routes.size(); i++)
        {
            final RouteSpec route = routes.get(i);
            LOG.info("route {}: {} msg/s, burst {}; delivery {}", route.name(), route.ratePerSec(), route.burst(),
                targets.get(i));
        }
        final DrainContext drain = configuration.drain();
        LOG.info("lane routes [{}], tenant routes [{}], every other lane and tenant: route {}", drain.laneRoutes(),
            drain.tenantRoutes(), drain.defaultRoute());
    }

    Spool spool()
    {
        return spool;
    }

    DrainAgent drain()
    {
        return drain;
    }

    Delivery delivery()
    {
        return delivery;
    }

    SmtpServer smtp()
    {
        return smtp;
    }

    Admission admission()
    {
        return admission;
    }

    MetricsWiring metrics()
    {
        return metrics;
    }

    Containment containment()
    {
        return containment;
    }

    BounceStep bounces()
    {
        return bounces;
    }

    Quarantine quarantine()
    {
        return quarantine;
    }

    Authenticator authenticator()
    {
        return authenticator;
    }

    Fleet fleet()
    {
        return fleet;
    }

    @Override
    public void close()
    {
        systemd.stopping("stopping: closing SMTP, finishing deliveries, syncing the journal");
        metrics.close();
        smtp.close();
        control.close();
        drainRunner.close();
        delivery.close();
        outcomes.close();
        maintenance.shutdownNow();
        containment.close();
        bounces.policy().close();
        admission.close();
        spool.close();
        authenticator.close();
        fleet.close();
        LOG.info("sluice stopped");
        systemd.close();
    }

    public static void main(final String[] args)
    {
        final int exit = run(args);
        if (exit != 0)
        {
            System.exit(exit);
        }
    }

    static int run(final String... args)
    {
        final CommandLine commandLine;
        try
        {
            commandLine = CommandLine.parse(args);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("sluice: " + ex.getMessage());
            System.err.println(CommandLine.USAGE);
            return EXIT_USAGE;
        }
        if (commandLine.help())
        {
            System.out.println(CommandLine.USAGE);
            return 0;
        }
        final DaemonSettings settings;
        final Configuration configuration;
        try
        {
            settings = DaemonSettings.load(commandLine.configFile(), commandLine.overrides());
            configuration = Configuration.of(settings);
        }
        catch (final InvalidSettingException ex)
        {
            System.err.println("sluice: invalid configuration: " + ex.getMessage());
            return EXIT_CONFIG;
        }
        catch (final IOException ex)
        {
            System.err.println("sluice: cannot read configuration: " + ex.getMessage());
            return EXIT_CONFIG;
        }
        if (commandLine.checkOnly())
        {
            // systemd runs this as ExecStartPre, so these lines land in the journal: passwords are hidden.
            for (final Map.Entry<String, String> entry : settings.all().entrySet())
            {
                System.out.println(entry.getKey() + "=" + SettingRow.shownValue(entry.getKey(), entry.getValue()));
            }
            System.out.println("sluice: configuration OK");
            return 0;
        }
        return serve(configuration);
    }

    private static int serve(final Configuration configuration)
    {
        final CountDownLatch stopped = new CountDownLatch(1);
        final SluiceDaemon daemon;
        try
        {
            daemon = start(configuration);
        }
        catch (final RuntimeException ex)
        {
            LOG.error("sluice failed to start", ex);
            return EXIT_FAILURE;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            daemon.close();
            // Flushes the asynchronous log appender, so the last lines (the stop) reach the journal.
            if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext logback)
            {
                logback.stop();
            }
            stopped.countDown();
        }, "sluice-shutdown"));
        try
        {
            stopped.await();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
