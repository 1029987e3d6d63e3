#!/bin/bash
# Interleaved after/before runs of DrainFootprint; one JVM at a time, niced (the machine is shared).
FLAGS=$(grep -m1 "<sluice.jvm.flags>--" /work/wt-retryall/pom.xml | sed 's:.*<sluice.jvm.flags>\(.*\)</sluice.jvm.flags>.*:\1:')
LIMIT=${LIMIT:-600}
run() { # tree shape count state
  echo "=== $1: DrainFootprint $2 $3 $4"
  date -u; uptime
  echo "command: java \$SLUICE_JVM_FLAGS -Xmx1g -cp benchmarks/target/benchmarks.jar io.sluice.benchmarks.spool.DrainFootprint $2 $3 $4"
  timeout $LIMIT nice -n 19 java $FLAGS -Xmx1g -cp /var/tmp/bench-retryall-$1.jar io.sluice.benchmarks.spool.DrainFootprint $2 $3 $4 2>&1 | tail -8
  echo "exit: ${PIPESTATUS[0]}"; uptime
}
for spec in "$@"; do
  set -- $spec
  run after $1 $2 $3
  run before $1 $2 $3
done
