package io.sluice.control;

/** The console for delivery to the upstream routes: what each route is doing, and the delivery counters. */
@Description("Delivery: each route's connections and whether it is paused (refused, TLS or AUTH problem), and counters")
public interface DeliveryControlMXBean
{
    @Description("Per route: connections in use of the limit; PAUSED with the next try and the reason when unusable")
    String[] getRoutes();

    @Description("Each delivery counter: label and value (connections, TLS, AUTH, timeouts, lost after data, ...)")
    String[] getCounters();

    @Description("Per route that verifies recipients at RCPT: answers cached; UNREACHABLE and why while its upstream is")
    String[] getVerifiers();

    @Description("Message bytes held by deliveries in progress")
    long getBytesInFlight();
}
