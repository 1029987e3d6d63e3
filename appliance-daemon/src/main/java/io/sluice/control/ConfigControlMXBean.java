package io.sluice.control;

/** The daemon's settings as it runs with them, each with its layer, and the operator's way to drop a live change. */
@Description("Effective settings and where each came from (default, file, --set, live); dropping a live change")
@Requires(Role.OPERATOR)
public interface ConfigControlMXBean
{
    @Description("Every setting as read at start: key, effective value, source (default, file, --set, live)")
    SettingRow[] getSettings();

    @Description("Drops the live change of KEY from control.properties; the file's value or the default applies from the"
        + " next restart. Refused for an unknown key or one without a live change")
    String forget(@Description("the setting's key") String key);
}
