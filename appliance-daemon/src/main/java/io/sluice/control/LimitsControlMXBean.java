package io.sluice.control;

/** The console for admission's limits; attribute and operation texts are what JConsole shows. */
@Description("Admission limits: token buckets per address, network, sender domain, tenant and global; blocklist")
@Requires(Role.OPERATOR)
public interface LimitsControlMXBean
{
    @Description("Messages per second one client address may send (MAIL FROM)")
    double getIpRatePerSecond();

    void setIpRatePerSecond(double rate);

    @Description("Messages one client address may send in a burst")
    long getIpBurst();

    void setIpBurst(long burst);

    @Description("Messages per second one network (/24 or /64) may send")
    double getNetworkRatePerSecond();

    void setNetworkRatePerSecond(double rate);

    @Description("Messages one network (/24 or /64) may send in a burst")
    long getNetworkBurst();

    void setNetworkBurst(long burst);

    @Description("Messages per second one envelope sender domain may send")
    double getSenderDomainRatePerSecond();

    void setSenderDomainRatePerSecond(double rate);

    @Description("Messages one envelope sender domain may send in a burst")
    long getSenderDomainBurst();

    void setSenderDomainBurst(long burst);

    @Description("Messages per second one tenant may send")
    double getTenantRatePerSecond();

    void setTenantRatePerSecond(double rate);

    @Description("Messages one tenant may send in a burst")
    long getTenantBurst();

    void setTenantBurst(long burst);

    @Description("Messages per second all untrusted sources together may send")
    double getGlobalRatePerSecond();

    void setGlobalRatePerSecond(double rate);

    @Description("Messages all untrusted sources together may send in a burst")
    long getGlobalBurst();

    void setGlobalBurst(long burst);

    @Description("A new message that would wait longer than this behind the backlog gets 451 4.3.2 (0 = off)")
    long getMaxProjectedDelaySeconds();

    void setMaxProjectedDelaySeconds(long seconds);

    @Description("The backlog watermarks in force and where they came from: configured, or derived (admission.backlog.*=auto) "
        + "from the spool's disk above its reserve, the pending index's direct memory or the drain's rate")
    String getBacklogWatermarks();

    @Description("Pending messages above which untrusted mail gets 452 4.3.1 (the high watermark in force)")
    long getBacklogHighWatermark();

    @Description("Once on, backpressure stays on until the backlog is at or below this (the low watermark in force)")
    long getBacklogLowWatermark();

    @Description("Pending messages from which trusted sources get 452 4.3.1 too (the hard limit in force)")
    long getBacklogHardLimit();

    @Description("Sets the default limit of one key kind for one kind of traffic")
    void setDefaultLimit(
        @Description(value = "IP, NETWORK, SENDER_DOMAIN, TENANT or GLOBAL", name = "kind") String kind,
        @Description(value = "CONNECTIONS, MESSAGES or RECIPIENTS", name = "traffic") String traffic,
        @Description(value = "tokens per second; 0 = unlimited", name = "ratePerSecond") double ratePerSecond,
        @Description(value = "bucket size", name = "burst") long burst);

    @Description("Gives one key (an address, a /24, a domain, a tenant) its own message limit instead of its kind's default")
    void setOverride(
        @Description(value = "IP, NETWORK, SENDER_DOMAIN, TENANT or GLOBAL", name = "kind") String kind,
        @Description(value = "the address, network, domain or tenant", name = "key") String key,
        @Description(value = "messages per second; 0 = unlimited", name = "ratePerSecond") double ratePerSecond,
        @Description(value = "bucket size", name = "burst") long burst);

    @Description("Removes every override of one key; returns false if it had none")
    boolean removeOverride(
        @Description(value = "IP, NETWORK, SENDER_DOMAIN, TENANT or GLOBAL", name = "kind") String kind,
        @Description(value = "the address, network, domain or tenant", name = "key") String key);

    @Description("Every per-key override, one per line")
    @Requires(Role.MONITOR)
    String[] listOverrides();

    @Description("Refuses a network at connect with 554 5.7.1, for a while or until unblocked")
    String block(
        @Description(value = "an address or CIDR, e.g. 198.51.100.0/24", name = "cidr") String cidr,
        @Description(value = "seconds until the block expires; 0 = until unblocked", name = "seconds") long seconds);

    @Description("Lifts a block; returns false if the network was not blocked")
    boolean unblock(@Description(value = "the CIDR as blocked", name = "cidr") String cidr);

    @Description("Every block with its expiry, one per line")
    @Requires(Role.MONITOR)
    String[] listBlocks();

    @Description("The sources with the most recent traffic, busiest first")
    @Requires(Role.MONITOR)
    String[] topSources(@Description(value = "how many, 1 to 10000", name = "count") int count);

    @Description("The addresses and networks with the worst reputation first: key, class, score, clean and bad points, why")
    @Requires(Role.MONITOR)
    String[] worstReputations(@Description(value = "how many, 1 to 10000", name = "count") int count);

    @Description("Addresses and SMTP AUTH users with failed authentications, backing-off ones first: kind, key, failures"
        + " in the window, backing off until (epoch ms, 0 if not), back-offs so far")
    @Requires(Role.MONITOR)
    String[] authFailures(@Description(value = "how many, 1 to 10000", name = "count") int count);

    @Description("One address's or network's reputation: key, class, score, clean and bad points, why")
    @Requires(Role.MONITOR)
    String reputation(@Description(value = "an address, or a network such as 198.51.100.0/24", name = "key") String key);
}
