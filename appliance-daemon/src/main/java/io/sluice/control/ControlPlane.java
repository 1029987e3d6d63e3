package io.sluice.control;

import java.util.ArrayList;
import java.util.List;

import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanRegistrationException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators' side door: registers each stage's MXBean under {@code io.sluice:type=...} and serves them
 * over JMX. Stages expose their few control operations through their own APIs; the MXBeans only translate.
 */
public final class ControlPlane implements AutoCloseable
{
    public static final String DOMAIN = "io.sluice";
    private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);

    private final MBeanServer server;
    private final List<ObjectName> registered = new ArrayList<>();
    private JmxServer jmx;

    public ControlPlane(final MBeanServer server)
    {
        this.server = server;
    }

    /** @return the name an MXBean of {@code type} is registered under, e.g. {@code io.sluice:type=Limits}. */
    public static ObjectName name(final String type)
    {
        try
        {
            return new ObjectName(DOMAIN + ":type=" + type);
        }
        catch (final JMException ex)
        {
            throw new IllegalArgumentException("bad MXBean type " + type, ex);
        }
    }

    /** Registers {@code implementation} as an MXBean described by the annotations on {@code type}. */
    public <T> ControlPlane register(final String name, final T implementation, final Class<T> type)
    {
        try
        {
            final ObjectName objectName = name(name);
            server.registerMBean(new DescribedMXBean<>(implementation, type), objectName);
            registered.add(objectName);
            return this;
        }
        catch (final JMException ex)
        {
            throw new IllegalStateException("cannot register the " + name + " MXBean", ex);
        }
    }

    /** Starts the connector; call after every MXBean is registered. */
    public ControlPlane serve(final JmxContext context)
    {
        if (context.enabled())
        {
            jmx = JmxServer.start(context, server);
        }
        return this;
    }

    public JmxServer jmx()
    {
        return jmx;
    }

    @Override
    public void close()
    {
        if (jmx != null)
        {
            jmx.close();
        }
        for (final ObjectName name : registered)
        {
            try
            {
                server.unregisterMBean(name);
            }
            catch (final InstanceNotFoundException | MBeanRegistrationException ex)
            {
                LOG.debug("MXBean {} already gone", name, ex);
            }
        }
        registered.clear();
    }
}
