#!/usr/bin/env bash
# A start from the checkpoint, before and after a change, interleaved on one spool: fills a spool with COUNT pending
# 256 B messages (FilledSpool; the body size does not matter to a start, the records' count and the file's size do),
# then opens it ROUNDS times in one JVM per jar, BEFORE's jar then AFTER's, PASSES times. The older jar goes first on
# the classpath, so its spool-core runs the start; CheckpointStart itself comes from the newer jar. Writes
# <out-dir>/checkpoint-start-<count>.md naming both commits, the machine, the load average and the command.
#
#   benchmarks/checkpoint-start.sh BEFORE_JAR BEFORE_COMMIT [count] [out-dir]
#
# Build the current tree first (mvn -B -q -pl benchmarks -am -DskipTests package); BEFORE_JAR is a benchmarks.jar
# built at BEFORE_COMMIT. The spool goes under $SLUICE_BACKLOG_DIR (default: a new folder in /var/tmp) and is deleted.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
BEFORE_JAR=$1
BEFORE_COMMIT=$2
COUNT=${3:-1000000}
OUT=${4:-$REPO_ROOT/benchmarks/results/$(date -u +%F)-checkpoint-start}
ROUNDS=${ROUNDS:-3}
PASSES=${PASSES:-3}
FLAGS=$(sed -n 's:.*<sluice.jvm.flags>\(--[^<]*\)</sluice.jvm.flags>.*:\1:p' "$REPO_ROOT/pom.xml" | head -1)
BASE=$(mktemp -d "${SLUICE_BACKLOG_DIR:-/var/tmp}/sluice-start.XXXXXX")
AFTER_JAR=$BASE.after.jar
cp "$REPO_ROOT/benchmarks/target/benchmarks.jar" "$AFTER_JAR"
trap 'rm -rf "$BASE" "$AFTER_JAR"' EXIT
AFTER_COMMIT=$(git -C "$REPO_ROOT" rev-parse --short HEAD)$(git -C "$REPO_ROOT" diff --quiet || echo '+uncommitted')
mkdir -p "$OUT"
REPORT=$OUT/checkpoint-start-$COUNT.md
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# The launcher's memory flags: the index's direct memory.
JVM="java $FLAGS -Xms256m -Xmx1g -XX:MaxDirectMemorySize=768m -XX:+UseG1GC"
SPOOL=$($JVM -cp "$AFTER_JAR" io.sluice.benchmarks.admission.FilledSpool "$BASE" "$COUNT" | sed -n 's/^SPOOL //p')
FILLED=$(cat "$SPOOL/filled")
LOG=$BASE.log
: > "$LOG"
for PASS in $(seq 1 "$PASSES"); do
    for SIDE in before after; do
        if [ "$SIDE" = before ]; then CP="$BEFORE_JAR:$AFTER_JAR"; else CP="$AFTER_JAR"; fi
        $JVM -cp "$CP" io.sluice.benchmarks.spool.CheckpointStart "$SPOOL" "$ROUNDS" 2>&1 \
            | grep -E '^START |recovered in' | sed "s/^/$SIDE pass $PASS: /" >> "$LOG"
    done
done
{
    echo "# A start from the checkpoint of $COUNT pending messages, before ($BEFORE_COMMIT) and after ($AFTER_COMMIT)"
    echo
    echo "- before: $BEFORE_COMMIT ($BEFORE_JAR); after: $AFTER_COMMIT"
    echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs, $(free -g | awk '/Mem:/ {print $2}') GiB;" \
        "disk $(df -T "$BASE" | awk 'NR==2 {print $2, $1}'); $(uname -srm); $(java -version 2>&1 | head -1)"
    echo "- load average at the start: $LOAD_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- command: ROUNDS=$ROUNDS PASSES=$PASSES benchmarks/checkpoint-start.sh $BEFORE_JAR $BEFORE_COMMIT $COUNT $OUT"
    echo "- spool: $FILLED; journal files: $(cd "$SPOOL" && ls -l *.cq4 | awk '{printf "%s %d MB; ", $9, $5 / 1000000}')"
    echo "- each JVM opens the spool $ROUNDS times (the first open in a JVM is a cold one); START ms pending"
    echo
    echo '```'
    cut -c1-400 "$LOG"
    echo '```'
} > "$REPORT"
rm -f "$LOG"
cat "$REPORT"
