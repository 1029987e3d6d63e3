#!/usr/bin/env bash
# Issue 18's large backlog: fill a spool at its shipped defaults (durable) with COUNT pending 4 KiB messages in a JVM
# with the launcher's -Xmx1g, kill -9 it while it still appends, recover in a second -Xmx1g JVM, check that nothing
# acknowledged is lost, time the drain scheduler's pick and drain a sample through the journal (Backlog's comment).
#
#   benchmarks/backlog-10m.sh [count] [out-dir]      (count defaults to 10,000,000: ~43 GB of journal)
#   BODY_BYTES=256 benchmarks/backlog-10m.sh 5000000  (where today's heap index runs out, on less disk)
#
# Reports fill rate, heap used after the fill, recovery time, heap after recovery, pick cost; if the filler dies
# (e.g. OutOfMemoryError) it reports how many messages were acknowledged before. Writes <out-dir>/backlog-<count>-<bytes>.md
# naming the commit and the machine. The spool goes under $SLUICE_BACKLOG_DIR (default: a new folder in /var/tmp,
# a real disk) and is deleted at the end. Build first:  mvn -B -q -pl benchmarks -am -DskipTests package
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
COUNT=${1:-10000000}
OUT=${2:-$REPO_ROOT/benchmarks/results/$(date -u +%F)-backlog}
SAMPLE=${SAMPLE:-1000}
HEAP=${HEAP:-1g}
# Smaller messages reach a heap limit sooner and on less disk; the report says so when not 4 KiB.
BODY_BYTES=${BODY_BYTES:-4096}
JAR=$REPO_ROOT/benchmarks/target/benchmarks.jar
# The JVM flags the spool needs on Java 17 (Chronicle, Agrona), from the one place they live: the parent pom.
FLAGS=$(sed -n 's:.*<sluice.jvm.flags>\(--[^<]*\)</sluice.jvm.flags>.*:\1:p' "$REPO_ROOT/pom.xml" | head -1)
SPOOL=$(mktemp -d "${SLUICE_BACKLOG_DIR:-/var/tmp}/sluice-backlog.XXXXXX")
FILL_LOG=$SPOOL.fill.log
FILLER=
cleanup() {
    if [ -n "$FILLER" ] && kill -0 "$FILLER" 2>/dev/null; then kill -9 "$FILLER"; fi
    rm -rf "$SPOOL" "$FILL_LOG" "$FILL_LOG.err" "$SPOOL.recover.log" "$SPOOL.recover.err"
}
trap cleanup EXIT
mkdir -p "$OUT"
REPORT=$OUT/backlog-$COUNT-$BODY_BYTES.md
{
    echo "# A backlog of $COUNT pending messages of $BODY_BYTES bytes: fill, kill -9, recover"
    echo
    echo "- commit: $(git -C "$REPO_ROOT" rev-parse HEAD)$(git -C "$REPO_ROOT" diff --quiet || echo ' (with uncommitted changes)')"
    echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs, $(free -g | awk '/Mem:/ {print $2}') GiB;" \
        "disk $(df -T "$SPOOL" | awk 'NR==2 {print $2, $1}'); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- $(java -version 2>&1 | head -1); both JVMs -Xmx$HEAP"
    echo "- command: BODY_BYTES=$BODY_BYTES benchmarks/backlog-10m.sh $COUNT $OUT"
    echo
} > "$REPORT"

java $FLAGS -Xmx"$HEAP" -XX:+ExitOnOutOfMemoryError -cp "$JAR" io.sluice.benchmarks.spool.Backlog fill "$SPOOL" "$COUNT" "$BODY_BYTES" \
    > "$FILL_LOG" 2>"$FILL_LOG.err" &
FILLER=$!
# A script, not a test: it looks at the filler's log once a second until the fill is done or the filler is gone.
while kill -0 "$FILLER" 2>/dev/null && ! grep -q '^FILLED ' "$FILL_LOG"; do
    sleep 1
done
FILLER_EXIT=running
if kill -0 "$FILLER" 2>/dev/null; then
    kill -9 "$FILLER"
    wait "$FILLER" 2>/dev/null || true
else
    wait "$FILLER" && FILLER_EXIT=$? || FILLER_EXIT=$?
fi
FILLER=
ACKED=$(sed -n 's/^P //p' "$FILL_LOG" | sort -n | tail -1)
ACKED=${ACKED:-0}
FILLED=$(grep '^FILLED ' "$FILL_LOG" || true)
{
    grep '^#' "$FILL_LOG" | sed 's/^# /- filler: /'
    if [ -z "$FILLED" ]; then
        echo "- **the filler died before $COUNT were acknowledged** (exit $FILLER_EXIT) after $ACKED acknowledged;" \
            "its last words: $(grep -v '^\s*at ' "$FILL_LOG.err" | tail -2 | tr '\n' ' ')"
        echo "- journal on disk: $(du -sh "$SPOOL" | cut -f1)"
        exit 0
    fi
    read -r _ N MS HEAP_BYTES <<< "$FILLED"
    echo "- fill: $N acknowledged in $MS ms, $(( N * 1000 / (MS > 0 ? MS : 1) )) msgs/s;" \
        "heap used after the fill (after a GC): $(( HEAP_BYTES >> 20 )) MiB"
    echo "- killed with kill -9 after $ACKED acknowledged, appends in flight; journal on disk: $(du -sh "$SPOOL" | cut -f1)"
} >> "$REPORT"
if [ -z "$FILLED" ]; then cat "$REPORT"; exit 1; fi

java $FLAGS -Xmx"$HEAP" -XX:+ExitOnOutOfMemoryError -cp "$JAR" io.sluice.benchmarks.spool.Backlog recover "$SPOOL" \
    "$ACKED" "$SAMPLE" 2>"$SPOOL.recover.err" > "$SPOOL.recover.log" || {
    echo "- **recovery failed** (exit $?): $(grep -v '^\s*at ' "$SPOOL.recover.err" | tail -2 | tr '\n' ' ')" >> "$REPORT"
}
{
    grep '^#' "$SPOOL.recover.log" | sed 's/^# /- recovery: /'
    echo
    echo "| figure | value |"
    echo "| --- | --- |"
    sed -n 's/^RESULT \([^ ]*\) \(.*\)/| \1 | \2 |/p' "$SPOOL.recover.log"
} >> "$REPORT"
rm -f "$SPOOL.recover.log" "$SPOOL.recover.err" "$FILL_LOG.err"
cat "$REPORT"
