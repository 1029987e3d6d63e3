package io.sluice.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.management.Attribute;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import javax.net.ssl.SSLContext;
import javax.rmi.ssl.SslRMIClientSocketFactory;

import io.sluice.control.ConsoleClient;
import io.sluice.control.ControlPlane;
import io.sluice.control.JmxServer;
import io.sluice.control.TlsStores;

/**
 * A console in a JVM of its own (so that the TLS trust it sets as the JVM's default is its own), trying, for each login
 * it is given, what an intruder or a careless operator would: an MLet, unregistering a bean, a diagnostic command, a heap
 * dump, writing a platform bean, and every setter and operation of every io.sluice bean. One line per attempt:
 * {@code LOGIN CHECK ALLOWED|REFUSED detail}, where ALLOWED means the call got past the console's door (the bean itself
 * may still have said no to the probe's deliberately invalid arguments).
 *
 * <p>Arguments: {@code HOST:PORT TRUSTSTORE TRUSTPASSWORDFILE EXISTINGFILE LOGIN...}, a login being
 * {@code NAME:PASSWORD}, {@code -} for none, or {@code socket:PATH} for the local console.
 */
public final class ConsoleProbe
{
    private ConsoleProbe()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        SSLContext.setDefault(TlsStores.client(Path.of(args[1]), Path.of(args[2])));
        final String[] hostPort = args[0].split(":");
        for (int i = 4; i < args.length; i++)
        {
            final String login = args[i];
            final JMXConnector connector;
            try
            {
                connector = connect(login, hostPort[0], Integer.parseInt(hostPort[1]));
            }
            catch (final SecurityException | IOException ex)
            {
                System.out.println(label(login) + " connect REFUSED " + oneLine(ex));
                continue;
            }
            try (connector)
            {
                System.out.println(label(login) + " connect ALLOWED");
                probe(label(login), connector.getMBeanServerConnection(), args[3]);
            }
        }
    }

    private static String label(final String login)
    {
        return login.startsWith("socket:") ? "socket" : login.split(":")[0];
    }

    private static JMXConnector connect(final String login, final String host, final int port) throws IOException
    {
        if (login.startsWith("socket:"))
        {
            return ConsoleClient.connect(Path.of(login.substring("socket:".length())));
        }
        final Map<String, Object> env = new HashMap<>();
        env.put("com.sun.jndi.rmi.factory.socket", new SslRMIClientSocketFactory());
        if (!login.equals("-"))
        {
            final String[] pair = login.split(":", 2);
            env.put(JMXConnector.CREDENTIALS, new String[] {pair[0], pair[1]});
        }
        return JMXConnectorFactory.connect(new JMXServiceURL(JmxServer.serviceUrl(host, port)), env);
    }

    /** One attempt. */
    private interface Attempt
    {
        Object run() throws Exception;
    }

    private static void attempt(final String login, final String check, final Attempt attempt)
    {
        try
        {
            attempt.run();
            System.out.println(login + " " + check + " ALLOWED");
        }
        catch (final SecurityException ex)
        {
            System.out.println(login + " " + check + " REFUSED " + oneLine(ex));
        }
        catch (final Exception ex)
        {
            System.out.println(login + " " + check + " ALLOWED (the bean said: " + oneLine(ex) + ")");
        }
    }

    private static void probe(final String login, final MBeanServerConnection mbeans, final String existingFile)
        throws Exception
    {
        final ObjectName memory = new ObjectName("java.lang:type=Memory");
        attempt(login, "mlet", () -> mbeans.createMBean("javax.management.loading.MLet", new ObjectName("probe:type=MLet")));
        attempt(login, "unregister", () ->
        {
            mbeans.unregisterMBean(ControlPlane.name("Delivery"));
            return null;
        });
        attempt(login, "diagnosticCommand", () -> mbeans.invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
            "vmVersion", new Object[] {new String[0]}, new String[] {String[].class.getName()}));
        // The file exists, so a permitted dump fails at once instead of writing the heap (with mail in it) to disk.
        attempt(login, "dumpHeap", () -> mbeans.invoke(new ObjectName("com.sun.management:type=HotSpotDiagnostic"),
            "dumpHeap", new Object[] {existingFile, true}, new String[] {String.class.getName(), "boolean"}));
        attempt(login, "setPlatformAttribute", () ->
        {
            mbeans.setAttribute(new ObjectName("java.lang:type=Threading"), new Attribute("ThreadCpuTimeEnabled", true));
            return null;
        });
        attempt(login, "platformGc", () -> mbeans.invoke(memory, "gc", null, null));
        attempt(login, "readPlatform", () -> mbeans.getAttribute(memory, "HeapMemoryUsage"));
        attempt(login, "seesDiagnosticBeans", () ->
        {
            if (mbeans.queryNames(new ObjectName("com.sun.management:*"), null).isEmpty())
            {
                throw new SecurityException("com.sun.management:* is not listed");
            }
            return null;
        });
        for (final ObjectName bean : mbeans.queryNames(new ObjectName(ControlPlane.DOMAIN + ":*"), null))
        {
            final String type = bean.getKeyProperty("type");
            final MBeanAttributeInfo[] attributes = mbeans.getMBeanInfo(bean).getAttributes();
            attempt(login, "read:" + type, () -> mbeans.getAttribute(bean, attributes[0].getName()));
            for (final MBeanAttributeInfo attribute : attributes)
            {
                if (attribute.isWritable())
                {
                    attempt(login, "set:" + type + "." + attribute.getName(), () ->
                    {
                        mbeans.setAttribute(bean, new Attribute(attribute.getName(), mbeans.getAttribute(bean,
                            attribute.getName())));
                        return null;
                    });
                }
            }
            for (final MBeanOperationInfo operation : mbeans.getMBeanInfo(bean).getOperations())
            {
                final List<Object> values = new ArrayList<>();
                final List<String> signature = new ArrayList<>();
                for (final MBeanParameterInfo parameter : operation.getSignature())
                {
                    signature.add(parameter.getType());
                    values.add(invalid(parameter.getType()));
                }
                attempt(login, "op:" + type + "." + operation.getName(), () -> mbeans.invoke(bean, operation.getName(),
                    values.toArray(), signature.toArray(String[]::new)));
            }
        }
    }

    /** A value the bean will refuse (no such tenant, route or network), so a permitted call changes nothing. */
    private static Object invalid(final String type)
    {
        return switch (type)
        {
            case "int", "java.lang.Integer" -> 1;
            case "long", "java.lang.Long" -> 1L;
            case "double", "java.lang.Double" -> 1.0;
            case "boolean", "java.lang.Boolean" -> false;
            default -> "no such thing!";
        };
    }

    private static String oneLine(final Throwable failure)
    {
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause)
        {
            cause = cause.getCause();
        }
        return String.valueOf(cause.getMessage()).replace('\n', ' ');
    }
}
