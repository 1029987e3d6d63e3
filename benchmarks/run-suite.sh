#!/usr/bin/env bash
# The whole benchmark suite in one command (issues 7 and 17), the ONE source of every figure the README and docs/
# quote: JMH micro-benchmarks, SMTP acceptance against Postfix on equal terms, the flood scenarios against Postfix,
# and (LONG=1) the long reliability profile, each with its raw output, plus the machine description and an index
# page, into benchmarks/results/<date>-<host>/ (QuotedFiguresTest checks that quoted figures are in such files).
#
#   benchmarks/run-suite.sh            # full: JMH with its annotated settings, acceptance on equal terms (5 interleaved
#                                      # runs each, plus the "flow control off" row), the four 20,000-message flood
#                                      # scenarios (spoofed, snowshoe, unknown-users, bulk) beside Postfix (hours on 2 cores)
#   QUICK=1 benchmarks/run-suite.sh    # quick profile: short JMH runs of one size each, 3 acceptance runs each of
#                                      # 3,000 messages, 2,000-message floods: indicative, not figures to quote
#   LONG=1 benchmarks/run-suite.sh     # also `mvn -B verify -Plong` (crash loops, 100,000 fuzzed sessions, the
#                                      # 30-minute soak), its printed counts into long.txt
#
# Run as root on the target hardware, with nothing else busy: Postfix's master needs root (it is installed if
# missing: see acceptance-equal-terms.sh and flood-vs-postfix.sh, which this runs), and every figure is a timing.
# Environment: QUICK=1, LONG=1, SKIP_JMH=1, SKIP_ACCEPTANCE=1, SKIP_CPU=1, SKIP_FLOOD=1, RESULTS_DIR, WORK_BASE (passed on),
# NOTE="..." (what else ran on the machine; written into every report).
set -euo pipefail
export LC_ALL=C

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
QUICK=${QUICK:-0}
HOST=$(hostname -s 2>/dev/null || hostname)
export RESULTS_DIR=${RESULTS_DIR:-$REPO_ROOT/benchmarks/results/$(date +%Y-%m-%d)-$HOST}
SUFFIX=$([[ $QUICK == 1 ]] && echo "-quick" || echo "")
START=$(date +%s)

log() { printf '%s [suite] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

mkdir -p "$RESULTS_DIR"
log "building: mvn -B -q -DskipTests package"
(cd "$REPO_ROOT" && mvn -B -q -DskipTests package)
export SLUICE_BUILD=0 QUICK

{
    echo "host: $HOST"
    echo "cpu: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
    echo "cores (nproc): $(nproc)"
    echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel: $(uname -srvm)"
    echo "os: $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
    echo "jdk: $(java -version 2>&1 | head -2 | paste -sd' ' -)"
    echo "disk (${WORK_BASE:-/var/tmp}): $(findmnt -n -o SOURCE,FSTYPE -T "${WORK_BASE:-/var/tmp}" 2>/dev/null)"
    echo "sluice: commit $(git -C "$REPO_ROOT" rev-parse HEAD 2>/dev/null)$(
        [[ -z $(git -C "$REPO_ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]] || echo ' (with uncommitted changes)')"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "suite: $([[ $QUICK == 1 ]] && echo 'QUICK=1 ')$([[ ${LONG:-0} == 1 ]] && echo 'LONG=1 ')benchmarks/run-suite.sh, started $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    [[ -n ${NOTE:-} ]] && echo "note: $NOTE"
    echo
    echo "== lscpu =="
    lscpu 2>/dev/null || true
    echo
    echo "== free -m =="
    free -m 2>/dev/null || true
} > "$RESULTS_DIR/suite-machine$SUFFIX.txt"

JAR=$REPO_ROOT/benchmarks/target/benchmarks.jar
if [[ ${SKIP_JMH:-0} != 1 ]]; then
    log "JMH micro-benchmarks"
    JMH_JSON=$RESULTS_DIR/jmh$SUFFIX.json
    JMH_TXT=$RESULTS_DIR/jmh$SUFFIX.txt
    if [[ $QUICK == 1 ]]; then
        # One size per benchmark, one short fork: indicative figures, not ones to quote.
        java -jar "$JAR" -f 1 -wi 1 -i 3 -w 1s -r 2s -p messageBytes=4096 -p pendingMessages=100000 \
            -p activeQueues=10000 -rf json -rff "$JMH_JSON" -o "$JMH_TXT" \
            'DurableAppendBenchmark|AckOnWriteAppendThroughputBenchmark|AckOnWriteAppendLatencyBenchmark|RecoveryBenchmark|AdmissionDecisionBenchmark|SchedulerPickBenchmark|BounceDecisionBenchmark'
    else
        java -jar "$JAR" -rf json -rff "$JMH_JSON" -o "$JMH_TXT"
    fi
fi
if [[ ${SKIP_ACCEPTANCE:-0} != 1 ]]; then
    log "SMTP acceptance against Postfix, on equal terms (shipped defaults, then the labelled flow-control-off row)"
    if [[ $QUICK == 1 ]]; then
        N=${N:-3} MESSAGES=${MESSAGES:-3000} WARMUP=${WARMUP:-5000} "$SCRIPT_DIR/acceptance-equal-terms.sh"
    else
        "$SCRIPT_DIR/acceptance-equal-terms.sh"
    fi
fi
if [[ ${SKIP_CPU:-0} != 1 ]]; then
    log "CPU per message (the daemon's own CPU time), accepting with the route paused and delivering to a fast sink"
    if [[ $QUICK == 1 ]]; then
        N=3000 WARMUP=10000 ROUNDS=1 SLUICE_BUILD=0 "$SCRIPT_DIR/cpu-per-message.sh"
    else
        SLUICE_BUILD=0 "$SCRIPT_DIR/cpu-per-message.sh"
    fi
    log "CPU per message and rate beside Postfix, both holding and both delivering (smtp-source, one sink)"
    if [[ $QUICK == 1 ]]; then
        N=3000 WARMUP=10000 ROUNDS=1 SLUICE_BUILD=0 "$SCRIPT_DIR/cpu-vs-postfix.sh"
    else
        SLUICE_BUILD=0 "$SCRIPT_DIR/cpu-vs-postfix.sh"
    fi
fi
if [[ ${SKIP_FLOOD:-0} != 1 ]]; then
    log "flood scenarios (spoofed, snowshoe, unknown-users, bulk) against Postfix, at the shipped defaults"
    "$SCRIPT_DIR/flood-vs-postfix.sh" --scenarios spoofed,snowshoe,unknown-users,bulk
fi
if [[ ${LONG:-0} == 1 ]]; then
    log "the long reliability profile: mvn -B verify -Plong (an hour or more)"
    (cd "$REPO_ROOT" && mvn -B verify -Plong) > "$RESULTS_DIR/long-raw.log" 2>&1 || LONG_FAILED=1
    {
        echo "mvn -B verify -Plong at commit $(git -C "$REPO_ROOT" rev-parse HEAD): $([[ ${LONG_FAILED:-0} == 1 ]] && echo FAILED || echo passed)"
        echo "The counts the long tests print (crash loops, fuzzer, soak, slow clients, upstream outage):"
        grep -E '^(SMTP crash|crash test|SMTP fuzzer|Soak|soak sample|Slow clients|Upstream outage)' "$RESULTS_DIR/long-raw.log" || true
    } > "$RESULTS_DIR/long.txt"
    gzip -f "$RESULTS_DIR/long-raw.log"
fi

INDEX=$RESULTS_DIR/README$SUFFIX.md
FLOOD=flood$SUFFIX
{
    echo "# Benchmark results: $HOST, $(date -u +%Y-%m-%d) ($([[ $QUICK == 1 ]] && echo quick || echo full) profile)"
    echo
    echo "Machine: \`suite-machine$SUFFIX.txt\`. Suite: \`$([[ $QUICK == 1 ]] && echo 'QUICK=1 ')benchmarks/run-suite.sh\`," \
        "$(( ($(date +%s) - START) / 60 )) minutes."
    echo
    if [[ -f $RESULTS_DIR/$FLOOD/flood.txt ]]; then
        echo "## Flood scenarios at the shipped defaults (Sluice and Postfix side by side)"
        echo
        for chart in "$RESULTS_DIR/$FLOOD"/flood-*-backlog.svg; do
            [[ -f $chart ]] || continue
            scenario=$(basename "$chart" -backlog.svg)
            echo "![${scenario#flood-}: backlog]($FLOOD/$scenario-backlog.svg)"
            echo
            echo "![${scenario#flood-}: partner mail latency]($FLOOD/$scenario-latency.svg)"
            echo
        done
        echo '```'
        cat "$RESULTS_DIR/$FLOOD/flood.txt"
        echo '```'
        echo
    fi
    if [[ -f $RESULTS_DIR/acceptance-equal$SUFFIX.txt ]]; then
        echo "## SMTP acceptance on equal terms"
        echo
        echo '```'
        cat "$RESULTS_DIR/acceptance-equal$SUFFIX.txt"
        echo '```'
        echo
    fi
    if [[ -f $RESULTS_DIR/cpu-per-message.txt ]]; then
        echo "## CPU per message"
        echo
        echo '```'
        cat "$RESULTS_DIR/cpu-per-message.txt"
        echo '```'
        echo
    fi
    if [[ -f $RESULTS_DIR/cpu-vs-postfix.txt ]]; then
        echo "## CPU per message and rate beside Postfix"
        echo
        echo '```'
        cat "$RESULTS_DIR/cpu-vs-postfix.txt"
        echo '```'
        echo
    fi
    if [[ -f $RESULTS_DIR/long.txt ]]; then
        echo "## Long reliability profile"
        echo
        echo '```'
        cat "$RESULTS_DIR/long.txt"
        echo '```'
        echo
    fi
    if [[ -f $RESULTS_DIR/jmh$SUFFIX.txt ]]; then
        echo "## JMH"
        echo
        echo '```'
        sed -n '/^Benchmark /,$p' "$RESULTS_DIR/jmh$SUFFIX.txt"
        echo '```'
    fi
} > "$INDEX"
log "done in $(( ($(date +%s) - START) / 60 )) min: $INDEX"
