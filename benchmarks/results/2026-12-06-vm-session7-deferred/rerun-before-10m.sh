#!/bin/bash
# The before tree's 10M deferred run again, its whole output kept (run10.sh's tail -8 cut the load line off the OOM).
FLAGS=$(grep -m1 "<sluice.jvm.flags>--" /work/wt-deferred/pom.xml | sed 's:.*<sluice.jvm.flags>\(.*\)</sluice.jvm.flags>.*:\1:')
echo "=== before: DrainFootprint flood 10000000 deferred (rerun, whole output but the OOM stack's frames)"
date -u; uptime
echo "command: java \$SLUICE_JVM_FLAGS -Xmx1g -cp benchmarks/target/benchmarks.jar io.sluice.benchmarks.spool.DrainFootprint flood 10000000 deferred"
timeout 420 java $FLAGS -Xmx1g -cp /var/tmp/bench-before.jar io.sluice.benchmarks.spool.DrainFootprint flood 10000000 deferred 2>&1 | grep -v "^	at "
echo "exit: ${PIPESTATUS[0]}"; uptime
