package io.sluice.daemon;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.sluice.admission.AdmissionContext;
import io.sluice.admission.ReputationSettings;
import io.sluice.bounce.BounceContext;
import io.sluice.config.Setting;
import io.sluice.containment.ContainmentContext;
import io.sluice.control.JmxContext;
import io.sluice.delivery.DeliveryContext;
import io.sluice.delivery.RecipientVerificationContext;
import io.sluice.drain.DrainContext;
import io.sluice.drain.RateLearningSettings;
import io.sluice.fleet.FleetContext;
import io.sluice.ingress.IngressContext;
import io.sluice.ingress.auth.AuthContext;
import io.sluice.ingress.tls.TlsContext;
import io.sluice.spool.SpoolContext;

/**
 * Every setting the daemon reads, by section of the configuration reference: the one list the reference is generated
 * from ({@link ConfigurationReference}) and the daemon's known keys are checked against ({@link DaemonSettings}).
 * Each context declares its own settings; this only says which sections the daemon has and in what order.
 */
public final class SettingsCatalogue
{
    /**
     * One section of the reference.
     *
     * @param name       the name its generated table is marked with in docs/configuration.md.
     * @param declaredIn the classes whose {@code SETTINGS} it lists (a test checks none is left out).
     * @param settings   its declarations, in the order the table lists them.
     */
    public record Section(String name, List<Class<?>> declaredIn, List<Setting<?>> settings)
    {
        static Section of(final String name, final Class<?> context, final List<Setting<?>> settings)
        {
            return new Section(name, List.of(context), settings);
        }
    }

    public static final List<Section> SECTIONS = List.of(
        Section.of("spool", SpoolContext.class, SpoolContext.SETTINGS),
        Section.of("jmx", JmxContext.class, JmxContext.SETTINGS),
        Section.of("ingress", IngressContext.class, IngressContext.SETTINGS),
        Section.of("auth", AuthContext.class, AuthContext.SETTINGS),
        Section.of("tls", TlsContext.class, TlsContext.SETTINGS),
        new Section("recipient-verification", List.of(RecipientVerificationContext.class),
            concat(RecipientVerificationContext.SETTINGS,
                List.of(IngressContext.VERIFY_ON_UNREACHABLE, IngressContext.VERIFY_ON_TEMPFAIL))),
        Section.of("admission", AdmissionContext.class, AdmissionContext.SETTINGS),
        Section.of("reputation", ReputationSettings.class, ReputationSettings.SETTINGS),
        Section.of("drain", DrainContext.class, DrainContext.SETTINGS),
        Section.of("rate-learning", RateLearningSettings.class, RateLearningSettings.SETTINGS),
        Section.of("delivery", DeliveryContext.class, DeliveryContext.SETTINGS),
        Section.of("bounce", BounceContext.class, BounceContext.SETTINGS),
        Section.of("containment", ContainmentContext.class, ContainmentContext.SETTINGS),
        Section.of("fleet", FleetContext.class, FleetContext.SETTINGS));

    private SettingsCatalogue()
    {
    }

    private static List<Setting<?>> concat(final List<Setting<?>> first, final List<Setting<?>> second)
    {
        final List<Setting<?>> both = new ArrayList<>(first);
        both.addAll(second);
        return List.copyOf(both);
    }

    /** @return every declaration by key, in reference order. */
    public static Map<String, Setting<?>> byKey()
    {
        final Map<String, Setting<?>> byKey = new LinkedHashMap<>();
        for (final Section section : SECTIONS)
        {
            for (final Setting<?> setting : section.settings())
            {
                if (byKey.put(setting.key(), setting) != null)
                {
                    throw new IllegalStateException(setting.key() + " is declared twice");
                }
            }
        }
        return byKey;
    }

    /** @return every declared key with its default as a properties file writes it. */
    static Map<String, String> defaults()
    {
        final Map<String, String> defaults = new LinkedHashMap<>();
        byKey().forEach((key, setting) -> defaults.put(key, setting.defaultText()));
        return defaults;
    }
}
