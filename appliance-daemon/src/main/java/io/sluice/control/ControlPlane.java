package io.sluice.control;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
    /** Each registered bean's MXBean interface, whose {@link Requires} annotations say who may change it. */
    private final Map<ObjectName, Class<?>> types = new HashMap<>();
    private JmxServer local;
    private JmxServer remote;

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
            types.put(objectName, type);
            return this;
        }
        catch (final JMException ex)
        {
            throw new IllegalStateException("cannot register the " + name + " MXBean", ex);
        }
    }

    /** Starts the local console and, if asked for, the remote one; call after every MXBean is registered. */
    public ControlPlane serve(final JmxContext context)
    {
        final ConsolePolicy policy = new ConsolePolicy(types);
        if (context.enabled())
        {
            local = JmxServer.startLocal(context, policy, server);
        }
        if (context.remote())
        {
            remote = JmxServer.startRemote(context, policy, server);
        }
        return this;
    }

    /** @return the local console (the Unix socket), or null when {@code jmx.enabled=false}. */
    public JmxServer local()
    {
        return local;
    }

    /** @return the TCP console, or null unless {@code jmx.remote=true}. */
    public JmxServer remote()
    {
        return remote;
    }

    @Override
    public void close()
    {
        for (final JmxServer connector : new JmxServer[] {remote, local})
        {
            if (connector != null)
            {
                connector.close();
            }
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
