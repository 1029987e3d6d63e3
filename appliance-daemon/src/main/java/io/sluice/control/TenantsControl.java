package io.sluice.control;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import io.sluice.containment.Containment;
import io.sluice.containment.ContainmentFigures;
import io.sluice.containment.HeldSample;
import io.sluice.containment.TenantView;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.Spool;

/** {@link TenantsControlMXBean} over containment's own API; every change is audited. */
public final class TenantsControl implements TenantsControlMXBean
{
    /** Each sample reads its message's content for the subject: a console asks for a few, never the whole backlog. */
    private static final int MAX_SAMPLES = 100;

    private final Containment containment;
    private final Spool spool;

    /** @param state unused for now: containment keeps its own state file; kept for symmetry with the other consoles. */
    public TenantsControl(final Containment containment, final Spool spool, final ControlState state)
    {
        this.containment = Objects.requireNonNull(containment, "containment");
        this.spool = Objects.requireNonNull(spool, "spool");
    }

    @Override
    public String[] getTenants()
    {
        final List<String> lines = new ArrayList<>();
        for (final TenantView view : containment.tenants())
        {
            lines.add(describe(view));
        }
        return lines.toArray(new String[0]);
    }

    static String describe(final TenantView view)
    {
        final ContainmentFigures f = view.figures();
        final StringBuilder line = new StringBuilder(view.tenant()).append(' ').append(view.state());
        if (view.reason() != null)
        {
            line.append(" reason=").append(view.reason()).append(" since=").append(view.sinceMillis());
        }
        if (f != null)
        {
            line.append(' ').append(f.summary());
        }
        if (view.note() != null && !view.note().isEmpty())
        {
            line.append(" note=").append(view.note());
        }
        return line.toString();
    }

    @Override
    public TenantRow[] getTenantTable()
    {
        final List<TenantRow> rows = new ArrayList<>();
        for (final TenantView view : containment.tenants())
        {
            final ContainmentFigures f = view.figures() != null ? view.figures() : new ContainmentFigures(0, 0, 0, 0, 0, 0, 0);
            rows.add(new TenantRow(view.tenant(), view.state().name(), view.reason() == null ? "" : view.reason().name(),
                view.sinceMillis(), view.note(), f.windowMs() / 1000, f.messages(), f.ratePerMinute(), f.normalRatePerMinute(),
                f.verdicts(), f.permanentFailures(), f.policyRejections()));
        }
        return rows.toArray(TenantRow[]::new);
    }

    @Override
    public String[] getHeldTenants()
    {
        return containment.holdingTenants().toArray(new String[0]);
    }

    @Override
    public boolean hold(final String tenant, final String note)
    {
        final boolean held = containment.hold(tenant, note == null ? "" : note);
        if (held)
        {
            ControlState.audit("tenant " + tenant, "normal", "held: " + note);
        }
        return held;
    }

    @Override
    public boolean release(final String tenant)
    {
        final boolean released = containment.release(tenant);
        if (released)
        {
            ControlState.audit("tenant " + tenant, "held", "released");
        }
        return released;
    }

    @Override
    public void purge(final String tenant, final String confirmation)
    {
        if (tenant == null || !tenant.equals(confirmation))
        {
            throw new IllegalArgumentException("purge of tenant '" + tenant + "' refused: the confirmation must be the tenant's"
                + " name, exactly; nothing was purged");
        }
        containment.purge(tenant, confirmation);
        ControlState.audit("tenant " + tenant, "held", "purged");
    }

    @Override
    public String[] samples(final String tenant, final int max)
    {
        final List<String> lines = new ArrayList<>();
        final int bounded = Math.max(0, Math.min(max, MAX_SAMPLES));
        final long now = System.currentTimeMillis();
        for (final PendingMessage message : containment.samples(spool.pendingInOrder(), tenant, bounded))
        {
            lines.add(HeldSample.of(message, content(message), now).describe());
        }
        return lines.toArray(new String[0]);
    }

    /** @return the message's content, or null if it left the spool meanwhile or cannot be read (no subject then). */
    private ByteBuffer content(final PendingMessage message)
    {
        try
        {
            return spool.readContent(message.messageId());
        }
        catch (final IOException | RuntimeException ex)
        {
            return null;
        }
    }
}
