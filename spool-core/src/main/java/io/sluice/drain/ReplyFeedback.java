package io.sluice.drain;

import io.sluice.counters.EnumCounters;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.function.Consumer;

/**
 * What the upstream's replies do to the drain: the route's rate learner ({@link RateLearner}: a throttle sets the
 * rate under what the upstream accepted, acceptances let it probe back up), the outcome counters, and demotion: a
 * source whose mail the upstream rejects for policy ({@code 5.7.x}) {@code drain.demotion.policyRejections} times
 * within the demotion window, or a network {@code networkPolicyRejections} times, is demoted until the window passes
 * without rejections. The provider's patience is shared by every tenant. Where a demoted source's mail goes (the
 * demotion lane, or quarantine) is the {@link DrainScheduler}'s to decide: it is told of every demotion that starts or
 * ends. Drain thread only.
 */
final class ReplyFeedback
{
    private final DrainContext context;
    private final SchedulerTime time;
    private final NetworkKeys networks;
    private final EnumCounters<DrainCounter> counters;
    private final FairTree tree;
    /** Told the key (a source, or a network) whose demotion started or ended, to move its mail. */
    private final Consumer<String> reschedule;
    private final Map<String, SourcePolicy> sourcePolicies = new HashMap<>();
    private final PriorityQueue<PolicyTimer> policyTimers = new PriorityQueue<>(Comparator.comparingLong(PolicyTimer::dueMillis));

    private record PolicyTimer(long dueMillis, String sourceKey)
    {
    }

    /** Policy rejections of one source (or network) within the current window, and its demotion. */
    private static final class SourcePolicy
    {
        long windowStartMillis;
        int rejections;
        long demotedUntilMillis;
        /** Why its mail is quarantined, for the journal and the mail log; built once, at its first demotion. */
        String reason;

        SourcePolicy(final long windowStartMillis)
        {
            this.windowStartMillis = windowStartMillis;
        }
    }

    ReplyFeedback(final DrainContext context, final SchedulerTime time, final NetworkKeys networks,
        final EnumCounters<DrainCounter> counters, final FairTree tree, final Consumer<String> reschedule)
    {
        this.context = context;
        this.time = time;
        this.networks = networks;
        this.counters = counters;
        this.tree = tree;
        this.reschedule = reschedule;
    }

    /** See {@link DrainScheduler#recordFeedback}. */
    void record(final String route, final String sourceKey, final ReplyOutcome outcome)
    {
        final RouteState state = Objects.requireNonNull(tree.route(route), () -> "no such route: " + route);
        switch (outcome.signal())
        {
            case ACCEPTED -> state.onSuccess(time.nanos());
            case THROTTLED -> onThrottle(state);
            case POLICY_REJECTED ->
            {
                counters.increment(DrainCounter.POLICY_REJECTIONS);
                onPolicyRejection(sourceKey, time.wallMillis());
            }
            default ->
            {
            }
        }
        switch (outcome.status().disposition())
        {
            case DELIVERED -> counters.increment(DrainCounter.DELIVERED);
            case DEFERRED ->
            {
                // A requeued throttle is no deferral: it is counted as THROTTLED_REQUEUED when the drain puts it back.
                if (!outcome.requeued())
                {
                    counters.increment(DrainCounter.DEFERRED);
                }
            }
            case FAILED ->
            {
                counters.increment(DrainCounter.FAILED);
                if (outcome.expired())
                {
                    counters.increment(DrainCounter.EXPIRED);
                }
            }
            default ->
            {
            }
        }
    }

    /** See {@link DrainScheduler#onRouteThrottled}. */
    void onRouteThrottled(final String route)
    {
        onThrottle(Objects.requireNonNull(tree.route(route), () -> "no such route: " + route));
    }

    private void onThrottle(final RouteState route)
    {
        counters.increment(DrainCounter.THROTTLE_SIGNALS);
        if (route.onThrottle(time.nanos()))
        {
            counters.increment(DrainCounter.RATE_DECREASES);
        }
    }

    /**
     * Counts a policy rejection against the source and against its network: either may demote. The network's count
     * is what catches a snowshoe flood, whose thousands of addresses see a rejection or two each.
     */
    private void onPolicyRejection(final String sourceKey, final long nowMillis)
    {
        if (context.demotionExemptNetworks().contains(sourceKey))
        {
            return;
        }
        countPolicyRejection(sourceKey, context.demotionPolicyRejections(), nowMillis);
        final String network = networks.networkOf(sourceKey);
        if (!network.equals(sourceKey))
        {
            countPolicyRejection(network, context.demotionNetworkPolicyRejections(), nowMillis);
        }
    }

    /** @param key a source key, or a network key ({@code 198.51.100.0/24}), which never looks like a source key. */
    private void countPolicyRejection(final String key, final int threshold, final long nowMillis)
    {
        final long duration = context.demotionDurationMs();
        SourcePolicy policy = sourcePolicies.get(key);
        if (policy == null)
        {
            policy = new SourcePolicy(nowMillis);
            sourcePolicies.put(key, policy);
            policyTimers.add(new PolicyTimer(nowMillis + duration, key));
        }
        else if (nowMillis - policy.windowStartMillis >= duration && policy.demotedUntilMillis <= nowMillis)
        {
            policy.windowStartMillis = nowMillis;
            policy.rejections = 0;
        }
        policy.rejections++;
        if (policy.rejections >= threshold)
        {
            final boolean wasDemoted = policy.demotedUntilMillis > nowMillis;
            policy.demotedUntilMillis = nowMillis + duration;
            if (!wasDemoted)
            {
                if (policy.reason == null)
                {
                    policy.reason = (key.indexOf('/') >= 0 ? "network " : "source ") + key + " demoted after " + threshold
                        + " policy rejections (5.7.x) upstream";
                }
                counters.increment(DrainCounter.SOURCES_DEMOTED);
                reschedule.accept(key);
            }
        }
    }

    /** @return how many source policies ended (their window and demotion over) and were forgotten. */
    int expireDue(final long nowMillis)
    {
        int work = 0;
        while (!policyTimers.isEmpty() && policyTimers.peek().dueMillis() <= nowMillis)
        {
            work += expirePolicy(policyTimers.poll().sourceKey(), nowMillis);
        }
        return work;
    }

    /** @return milliseconds until the next source policy is due to be looked at; {@code Long.MAX_VALUE} for none. */
    long millisUntilDue(final long nowMillis)
    {
        return policyTimers.isEmpty() ? Long.MAX_VALUE : policyTimers.peek().dueMillis() - nowMillis;
    }

    /** One timer per source policy: it re-arms while the window or the demotion lasts, then forgets the source. */
    private int expirePolicy(final String sourceKey, final long nowMillis)
    {
        final SourcePolicy policy = sourcePolicies.get(sourceKey);
        if (policy == null)
        {
            return 0;
        }
        final long windowEnd = policy.windowStartMillis + context.demotionDurationMs();
        final long until = Math.max(windowEnd, policy.demotedUntilMillis);
        if (until > nowMillis)
        {
            policyTimers.add(new PolicyTimer(until, sourceKey));
            return 0;
        }
        sourcePolicies.remove(sourceKey);
        if (policy.demotedUntilMillis > 0)
        {
            reschedule.accept(sourceKey);
        }
        return 1;
    }

    /** @return true if no source or network has a policy rejection in its window: nothing can be demoted. */
    boolean isEmpty()
    {
        return sourcePolicies.isEmpty();
    }

    /** @return true while the source, or its network, is demoted for policy rejections. */
    boolean isDemoted(final String sourceKey, final long nowMillis)
    {
        return demotionOf(sourceKey, nowMillis) != null;
    }

    /** @return why the source (or its network) is demoted now, for the quarantine's journal entry; null if it is not. */
    String demotionReason(final String sourceKey, final long nowMillis)
    {
        final SourcePolicy demotion = demotionOf(sourceKey, nowMillis);
        return demotion == null ? null : demotion.reason;
    }

    /** @return the demotion in force for the source (its own, else its network's), or null. */
    private SourcePolicy demotionOf(final String sourceKey, final long nowMillis)
    {
        if (sourcePolicies.isEmpty())
        {
            return null;
        }
        final SourcePolicy policy = sourcePolicies.get(sourceKey);
        if (policy != null && policy.demotedUntilMillis > nowMillis)
        {
            return policy;
        }
        final SourcePolicy network = sourcePolicies.get(networks.networkOf(sourceKey));
        return network != null && network.demotedUntilMillis > nowMillis ? network : null;
    }
}
