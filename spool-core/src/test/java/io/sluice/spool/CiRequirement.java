package io.sluice.spool;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/**
 * The one place a test may decline to run: where what it needs is missing, it is skipped on a developer's machine and
 * fails on CI ({@code CI=true}), because a test that quietly does not run there proves nothing. {@code .ci/run}
 * prepares what the tests need, so a failure from here on CI means that preparation did not happen.
 */
public final class CiRequirement
{
    private CiRequirement()
    {
    }

    /** @return true where the environment says this is CI ({@code CI=true}, as CI services set it). */
    public static boolean onCi()
    {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * @param met  whether the test has what it needs
     * @param what what is missing and how to provide it, for the failure or skip message
     */
    public static void requireOnCi(final boolean met, final String what)
    {
        if (met)
        {
            return;
        }
        if (onCi())
        {
            fail(what + " (CI=true: a skip would hide that this test did not run; .ci/run prepares it)");
        }
        Assumptions.abort(what + " (skipped here; on CI, CI=true, this fails)");
    }
}
