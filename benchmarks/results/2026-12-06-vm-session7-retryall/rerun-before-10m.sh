#!/bin/bash
# The before tree's 10M retryall run again, alone, its whole output kept but the error's stack frames (run.sh's tail -8
# kept only frames).
FLAGS=$(grep -m1 "<sluice.jvm.flags>--" /work/wt-retryall/pom.xml | sed 's:.*<sluice.jvm.flags>\(.*\)</sluice.jvm.flags>.*:\1:')
echo "=== before: DrainFootprint flood 10000000 retryall (whole output, stack frames left out)"
date -u; uptime
echo "command: java \$SLUICE_JVM_FLAGS -Xmx1g -cp benchmarks/target/benchmarks.jar io.sluice.benchmarks.spool.DrainFootprint flood 10000000 retryall"
timeout 420 nice -n 19 java $FLAGS -Xmx1g -cp /var/tmp/bench-retryall-before.jar io.sluice.benchmarks.spool.DrainFootprint flood 10000000 retryall 2>&1 \
  | grep -v "^[[:space:]]*at "
echo "exit: ${PIPESTATUS[0]}"; uptime
