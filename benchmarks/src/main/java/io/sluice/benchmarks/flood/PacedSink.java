package io.sluice.benchmarks.flood;

/**
 * The scenario's {@link UpstreamSink} on its own, for the acceptance comparison (issue 17): both systems relay to this
 * one sink, which takes mail no faster than {@code --rate} messages a second (burst {@code --burst}), so each delivers
 * at the same rate while it is measured. It prints {@code paced sink on 127.0.0.1:PORT} once, then every second
 * {@code received N} (messages answered 250, in all): the script reads the port, and the count to know when a
 * system's queue has drained.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.sluice.benchmarks.flood.PacedSink --rate 200 --burst 20 [--port 0]</pre>
 */
public final class PacedSink
{
    private PacedSink()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        double rate = 200;
        int burst = 20;
        int port = 0;
        for (int i = 0; i + 1 < args.length; i += 2)
        {
            switch (args[i])
            {
                case "--rate" -> rate = Double.parseDouble(args[i + 1]);
                case "--burst" -> burst = Integer.parseInt(args[i + 1]);
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                    + "; usage: PacedSink [--rate MSGS_PER_S] [--burst N] [--port P]");
            }
        }
        final Ledger ledger = new Ledger(System.nanoTime(), 0);
        try (UpstreamSink sink = new UpstreamSink(port, rate, burst, ledger))
        {
            System.out.println("paced sink on 127.0.0.1:" + sink.port() + ", " + rate + " msgs/s, burst " + burst);
            System.out.flush();
            while (true)
            {
                // A report a second until the script stops this process by its pid.
                Thread.sleep(1_000);
                // Arrivals without the scenario's id header are "unknown" to the ledger: here, every message.
                System.out.println("received " + ledger.unknownArrivals() + " deferred " + ledger.deferredUpstream());
                System.out.flush();
            }
        }
    }
}
