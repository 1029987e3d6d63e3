#!/usr/bin/env bash
# A 1,000,000 backlog drained at the route's configured rate into a loopback relay that accepts everything: the
# delivered rate per 10 s against the configured rate and, every minute, the published ETA against the time that
# actually remained. The route's rate is raised from the shipped 200 msgs/s to 2,000 (the harness prints so) so that
# the run takes ~8 minutes, not 83. Real spool journal, drain thread, SMTP delivery and outcome stage; see
# BacklogRateEta's comment. CPU heavy: run it alone.
#
#   benchmarks/backlog-rate-eta.sh [out-dir] [backlog] [rate] [message-bytes]
#
# Messages are 4 KiB by default: the journal of 1M takes ~4.5 GB under $TMPDIR (default /var/tmp), deleted when the
# run ends, however it ends. Writes <out-dir>/backlog-rate-eta.md naming the commit and the machine, and the run's
# log beside it as backlog-rate-eta.log (the spool's retention and checkpoint lines; not the maillog's line per
# delivery). Build first:
#   mvn -B -q -pl benchmarks -am -DskipTests package
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$REPO_ROOT/benchmarks/results/$(date -u +%F)-backlog-rate-eta}
BACKLOG=${2:-1000000}
RATE=${3:-2000}
BYTES=${4:-4096}
# BENCH_JAR and BENCH_COMMIT: another build of the harness (a before/after comparison), and the commit it was built from.
JAR=${BENCH_JAR:-$REPO_ROOT/benchmarks/target/benchmarks.jar}
# The JVM flags the spool needs on Java 17 (Chronicle, Agrona), from the one place they live: the parent pom.
FLAGS=$(sed -n 's:.*<sluice.jvm.flags>\(--[^<]*\)</sluice.jvm.flags>.*:\1:p' "$REPO_ROOT/pom.xml" | head -1)
mkdir -p "$OUT"
REPORT=$OUT/backlog-rate-eta.md
LOG=$OUT/backlog-rate-eta.log
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/backlog-rate-eta.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
{
    echo "# Draining a large backlog (1M by default): the configured rate and the published ETA"
    echo
    if [ -n "${BENCH_JAR:-}" ]; then
        echo "- commit: ${BENCH_COMMIT:-not given} (the build $BENCH_JAR; this script from $(git -C "$REPO_ROOT" rev-parse HEAD))"
    else
        echo "- commit: $(git -C "$REPO_ROOT" rev-parse HEAD)$(git -C "$REPO_ROOT" diff --quiet || echo ' (with uncommitted changes)')"
    fi
    echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs, $(free -g | awk '/Mem:/ {print $2}')" \
        "GiB, $(uname -srm); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- $(java -version 2>&1 | head -1)"
    echo "- command: benchmarks/backlog-rate-eta.sh $OUT $BACKLOG $RATE $BYTES"
    echo
    java $FLAGS ${JAVA_OPTS:-} -Djava.io.tmpdir="$WORK" -cp "$JAR" io.sluice.benchmarks.throttle.BacklogRateEta \
        "$BACKLOG" "$RATE" "$BYTES" 2>&1 | grep --line-buffered -v "maillog - " | tee "$LOG" \
        | grep -v "^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
    echo
    echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$REPORT"
