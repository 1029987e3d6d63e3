package io.sluice.spool;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;

/**
 * The child side of {@link DiskPressureTest}'s kill test: appends to a spool on a small filesystem until the disk
 * guard refuses, printing {@code A <id>} for each acknowledged message and then {@code FULL}, and waits there to be
 * killed with {@code kill -9}.
 */
public final class DiskFiller
{
    private DiskFiller()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Spool spool = Spool.open(DiskPressureTest.context(Path.of(args[0]), Clock.systemUTC()));
        for (int i = 0; ; i++)
        {
            final AppendResult result = spool.append(TestMessages.envelope("r@x.test"),
                TestMessages.body("child" + i, DiskPressureTest.BODY_BYTES)).join();
            if (!result.isAccepted())
            {
                System.out.println("FULL " + result.status());
                break;
            }
            System.out.println("A " + result.messageId());
        }
        new CountDownLatch(1).await();
    }
}
