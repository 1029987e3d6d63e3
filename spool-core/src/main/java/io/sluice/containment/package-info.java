/**
 * Tenant containment: per tenant, a sliding window of outbound volume, upstream permanent failures and policy
 * rejections against a learned normal rate, and an automatic hold when a tenant crosses a threshold
 * ({@link io.sluice.containment.Containment}).
 *
 * <p>Why: on a shared mail platform, one abusive tenant sent phishing through a relay account all tenants shared; the
 * provider suspended the whole account and every tenant's mail, notifications included, stopped for days.
 * Containment holds the one tenant's mail in the spool <em>before</em> the provider has to act: it is kept, not
 * sent, until an operator releases it (it then drains at the tenant's own limit) or purges it with an explicit
 * confirmation. Every other tenant keeps flowing.
 *
 * <p>No sockets and no journal here: the daemon reports traffic, calls {@link io.sluice.containment.Containment#evaluate()}
 * on a maintenance thread, and on a {@link io.sluice.containment.ContainmentListener} event pauses the tenant in the
 * drain and journals what {@link io.sluice.containment.Containment#reconcile} returns.
 */
package io.sluice.containment;
