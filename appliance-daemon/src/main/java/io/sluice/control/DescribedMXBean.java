package io.sluice.control;

import java.lang.reflect.Method;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.StandardMBean;

/**
 * An MXBean whose descriptions and parameter names come from {@link Description} annotations on its
 * interface, so JConsole shows "Pending messages on every lane" rather than "Attribute exposed for management".
 */
final class DescribedMXBean<T> extends StandardMBean
{
    private final Class<T> type;

    DescribedMXBean(final T implementation, final Class<T> type)
    {
        super(implementation, type, true);
        this.type = type;
    }

    @Override
    protected String getDescription(final MBeanInfo info)
    {
        final Description description = type.getAnnotation(Description.class);
        return description != null ? description.value() : super.getDescription(info);
    }

    @Override
    protected String getDescription(final MBeanAttributeInfo info)
    {
        for (final String prefix : new String[] {"get", "is"})
        {
            final Description description = annotation(prefix + info.getName(), 0);
            if (description != null)
            {
                return description.value();
            }
        }
        return super.getDescription(info);
    }

    @Override
    protected String getDescription(final MBeanOperationInfo info)
    {
        final Description description = annotation(info.getName(), info.getSignature().length);
        return description != null ? description.value() : super.getDescription(info);
    }

    @Override
    protected String getDescription(final MBeanOperationInfo op, final MBeanParameterInfo param, final int sequence)
    {
        final Description description = parameter(op, sequence);
        return description != null ? description.value() : super.getDescription(op, param, sequence);
    }

    @Override
    protected String getParameterName(final MBeanOperationInfo op, final MBeanParameterInfo param, final int sequence)
    {
        final Description description = parameter(op, sequence);
        return description != null && !description.name().isEmpty()
            ? description.name() : super.getParameterName(op, param, sequence);
    }

    private Description parameter(final MBeanOperationInfo op, final int sequence)
    {
        final Method method = method(op.getName(), op.getSignature().length);
        return method == null ? null : method.getParameters()[sequence].getAnnotation(Description.class);
    }

    private Description annotation(final String name, final int parameters)
    {
        final Method method = method(name, parameters);
        return method == null ? null : method.getAnnotation(Description.class);
    }

    private Method method(final String name, final int parameters)
    {
        for (final Method method : type.getMethods())
        {
            if (method.getName().equals(name) && method.getParameterCount() == parameters)
            {
                return method;
            }
        }
        return null;
    }
}
