#!/usr/bin/env bash
# Issue 18's admission target: admission's cost per message with a real spool holding 10k, 1M and 10M pending
# messages (AdmissionBacklogBenchmark, JMH). Fills each spool once (durable, at its defaults, 256 B bodies: admission
# reads the spool's counters, never a body, so small bodies only save disk: 10M take ~3 GB), keeps it for every fork
# that needs it, and deletes them all at the end. Writes <out-dir>/admission-backlog.md naming the commit, the machine,
# the load average at the start and the end, and the command.
#
#   benchmarks/admission-backlog.sh [out-dir] [extra JMH arguments...]
#   PASSES=1 benchmarks/admission-backlog.sh /tmp/out -p pending=10000,1000000     (a quicker run)
#
# The spools go under $SLUICE_BACKLOG_DIR (default: a new folder in /var/tmp, a real disk). Build first:
#   mvn -B -q -pl benchmarks -am -DskipTests package
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$REPO_ROOT/benchmarks/results/$(date -u +%F)-admission-backlog}
shift || true
# Passes over every size, one after the other (10k, 1M, 10M, 10k, ...), so that a change in the machine's load shows as
# a difference between passes rather than between sizes. The spools are filled in the first.
PASSES=${PASSES:-2}
JAR=$REPO_ROOT/benchmarks/target/benchmarks.jar
BASE=$(mktemp -d "${SLUICE_BACKLOG_DIR:-/var/tmp}/sluice-admission.XXXXXX")
# The jar is copied so a rebuild during the run does not change what runs.
RUN_JAR=$BASE.benchmarks.jar
cp "$JAR" "$RUN_JAR"
trap 'rm -rf "$BASE" "$RUN_JAR"' EXIT
mkdir -p "$OUT"
REPORT=$OUT/admission-backlog.md
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# The commit the copied jar is taken to be built from: the head now, not when the run ends.
COMMIT=$(git -C "$REPO_ROOT" rev-parse HEAD)$(git -C "$REPO_ROOT" diff --quiet || echo ' (with uncommitted changes)')
: > "$OUT/admission-backlog.log"
for PASS in $(seq 1 "$PASSES"); do
    # JMH passes this JVM's -D options on to its forks; the jar's main adds the flags the spool needs (BenchmarkMain).
    java -Dsluice.bench.backlogDir="$BASE" -jar "$RUN_JAR" AdmissionBacklogBenchmark \
        -rf text -rff "$OUT/admission-backlog.pass$PASS.jmh.txt" "$@" 2>&1 | tee -a "$OUT/admission-backlog.log" \
        | grep -E '^(Benchmark|AdmissionBacklog|FilledSpool|# Run complete)' || true
done
{
    echo "# Admission's cost per message against a real backlog (issue 18)"
    echo
    echo "- commit: $COMMIT"
    echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs, $(free -g | awk '/Mem:/ {print $2}') GiB;" \
        "disk $(df -T "$BASE" | awk 'NR==2 {print $2, $1}'); $(uname -srm)"
    echo "- $(java -version 2>&1 | head -1)"
    echo "- load average at the start: $LOAD_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- command: PASSES=$PASSES benchmarks/admission-backlog.sh $OUT $*"
    echo
    echo "What the harness printed (fills, the limits it opened, the watermarks in force, the verdicts):"
    echo
    grep -E '^(AdmissionBacklog|FilledSpool)' "$OUT/admission-backlog.log" | sed 's/^/    /'
    echo
    for PASS in $(seq 1 "$PASSES"); do
        echo "JMH, pass $PASS (ns per message: classOf + admitMessage + admitRecipient):"
        echo
        sed 's/^/    /' "$OUT/admission-backlog.pass$PASS.jmh.txt"
        echo
    done
} > "$REPORT"
cat "$REPORT"
