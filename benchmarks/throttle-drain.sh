#!/usr/bin/env bash
# A backlog (default 5,000) drained against a provider that allows 100 msgs/s, once refusing the excess with
# "421 4.7.0", once delaying its replies; the drain and delivery at their shipped defaults (route at 200 msgs/s).
# Real spool journal, drain thread, SMTP delivery over loopback and outcome stage; see ThrottleDrain's comment.
#
#   benchmarks/throttle-drain.sh [out-dir] [backlog] [limit]
#
# Writes <out-dir>/throttle-drain.md naming the commit and the machine. Build first:
#   mvn -B -q -pl benchmarks -am -DskipTests package
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$REPO_ROOT/benchmarks/results/$(date -u +%F)-throttle}
BACKLOG=${2:-5000}
LIMIT=${3:-100}
JAR=$REPO_ROOT/benchmarks/target/benchmarks.jar
# The JVM flags the spool needs on Java 17 (Chronicle, Agrona), from the one place they live: the parent pom.
FLAGS=$(sed -n 's:.*<sluice.jvm.flags>\(--[^<]*\)</sluice.jvm.flags>.*:\1:p' "$REPO_ROOT/pom.xml" | head -1)
mkdir -p "$OUT"
REPORT=$OUT/throttle-drain.md
{
    echo "# Draining a backlog at a provider's real limit"
    echo
    echo "- commit: $(git -C "$REPO_ROOT" rev-parse HEAD)$(git -C "$REPO_ROOT" diff --quiet || echo ' (with uncommitted changes)')"
    echo "- machine: $(uname -srm), $(nproc) CPUs, $(free -g | awk '/Mem:/ {print $2}') GiB; load average at the start:" \
        "$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- $(java -version 2>&1 | head -1)"
    echo "- command: benchmarks/throttle-drain.sh $OUT $BACKLOG $LIMIT"
    echo
    java $FLAGS ${JAVA_OPTS:-} -cp "$JAR" io.sluice.benchmarks.throttle.ThrottleDrain "$BACKLOG" "$LIMIT" 2>/dev/null \
        | grep -v "^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
    echo
    echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$REPORT"
