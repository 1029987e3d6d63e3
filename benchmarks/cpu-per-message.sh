#!/usr/bin/env bash
# CPU per message (issue 21): the Sluice daemon's own user+system CPU time (utime+stime from /proc/PID/stat),
# read before and after N messages, divided by N. Two paths, measured separately and interleaved:
#
#   (a) accept:  N messages from one client while the drain's route is paused (nothing is delivered);
#   (b) deliver: the backlog of (a) is delivered to the benchmarks' sink (io.sluice.benchmarks.flood.PacedSink
#                paced far above what the daemon sends, so it takes mail as fast as it comes), from the moment
#                the route is resumed until the sink has every message.
#
# The client: Postfix's smtp-source -s SESSIONS -l MESSAGE_BYTES (one connection per message, as smtp-source does
# by default), or the suite's AcceptanceLoadClient (pipelined, connections kept) when smtp-source is missing or
# CLIENT=java. The client's own CPU is not counted: it is another process.
#
# The daemon runs the built jar with its shipped jvm.options and shipped logging (the mail log included), at the
# shipped defaults except: the relay domain, every route's target (the sink), free ports for SMTP/JMX/metrics,
# a spool in a temp folder on a real disk, and the limits that must be opened to take N messages from ONE source
# (printed at the start and written into the results): every per-source, network, sender-domain, tenant, global
# and class rate bucket, containment's volume rule for the one tenant, and the default route's rate (the
# shipped 200 msgs/s would make (b) a measure of waiting, with the timers' idle cost spread over few messages).
#
# Run as root (the console socket of a daemon started here is root's; smtp-source and the daemon's spool).
#
#   benchmarks/cpu-per-message.sh                          # WARMUP=40000, then ROUNDS=3 rounds of (a) N=10000, (b)
#   ROUNDS=1 N=2000 WARMUP=4000 benchmarks/cpu-per-message.sh   # a quick try of the script itself
#   PROFILE=1 benchmarks/cpu-per-message.sh                # and one extra (a)+(b) round under JFR (never measured),
#                                                          # summarised into cpu-profile.txt, with strace -c counts
#   PERF=1 benchmarks/cpu-per-message.sh                   # and one extra (a)+(b) round under perf record -g (JIT
#                                                          # symbols from -XX:+DumpPerfMapAtExit), into cpu-perf.txt
#
# Environment: N (10000), WARMUP (40000: accepted and delivered, unmeasured), ROUNDS (3), SESSIONS (20),
# MESSAGE_BYTES (4096), CLIENT (smtp-source when installed, else java), PROFILE (0), PERF (0), RESULTS_DIR
# (benchmarks/results/<date>-<host>), SLUICE_BUILD (1: mvn -B -q -DskipTests package first), WORK_BASE (/var/tmp),
# EXTRA_SETTINGS ("k=v k=v": an experiment's settings, added to the opened ones and printed with them),
# NOTE (a line for the report: what else loaded the machine), SLUICE_DIST (a folder with another build's
# sluice-daemon.jar, jvm.options and lib/ to measure instead of appliance-daemon/target: a before/after pair). Results: cpu-per-message.txt and .json in RESULTS_DIR.
#
# CPU time, unlike wall time, is hardly changed by other processes on the machine, but not untouched: caches and
# frequency are shared, and a loaded machine stretches the run, so the daemon's timers run longer per message.
# The load average and the machine's busy time are recorded with every run for that reason.
set -euo pipefail
export LC_ALL=C
CPU_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
JAVA_CLIENT=1 # acceptance-vs-postfix.sh's preflight then copies the benchmarks jar (the sink, the java client)
# shellcheck source=benchmarks/acceptance-vs-postfix.sh
source "$CPU_DIR/acceptance-vs-postfix.sh"

N=${N:-10000}
WARMUP=${WARMUP:-40000}
ROUNDS=${ROUNDS:-3}
PROFILE=${PROFILE:-0}
PERF=${PERF:-0}
if [[ $PERF == 1 ]]; then
    # Frame pointers for perf's call graphs and a symbol map of the JIT's code, written when the daemon stops.
    SLUICE_JAVA_OPTS="${SLUICE_JAVA_OPTS:-} -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -XX:+PreserveFramePointer"
fi
NOTE=${NOTE:-}
# Extra smtp-source options, e.g. "-d" (keep each session's connection for the next message: what the suite's
# acceptance benchmark does), to tell the per-connection cost from the per-message one. Printed in the results.
SMTP_SOURCE_OPTS=${SMTP_SOURCE_OPTS:-}
if [[ -z ${CLIENT:-} ]]; then
    CLIENT=$(command -v smtp-source >/dev/null && echo smtp-source || echo java)
fi
ROUTE_RATE=100000
RAW="$RESULTS_DIR/raw/cpu-per-message"
SENT_TOTAL=0
MODE=cpu-per-message REPEATS=$ROUNDS SUFFIX=-cpu

# The limits opened, as --set arguments in OPENED (each one printed).
opened_limits() {
    local key
    OPENED=()
    for key in $(grep -oE '^admission\.(ip|network|senderDomain|tenant|global)\.[A-Za-z]*(PerSecond|Burst|burst)=' \
        "$(sluice_defaults)" | tr -d '='); do
        OPENED+=("$key=1000000")
    done
    for key in $(grep -oE '^admission\.class\.[a-z]+\.(ip|network)\.[A-Za-z]*(PerSecond|Burst|burst)=' \
        "$(sluice_defaults)" | tr -d '='); do
        OPENED+=("$key=1000000")
    done
    OPENED+=(containment.exemptTenants=default)
    OPENED+=("drain.routes=$(sed -n 's/^drain\.routes=//p' "$(sluice_defaults)" | sed -E "s/(^|,)default:[0-9.]+:[0-9]+/\1default:$ROUTE_RATE:1000/")")
    # An experiment's own settings (e.g. smtp.eventLoopThreads=1): printed and recorded with the opened limits.
    if [[ -n ${EXTRA_SETTINGS:-} ]]; then
        local extra
        read -r -a extra <<< "$EXTRA_SETTINGS"
        OPENED+=("${extra[@]}")
    fi
}

sluice_cli() { java -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$WORK/sluice-dist/sluice-daemon.jar" \
    io.sluice.control.cli.SluiceCommand --socket "$WORK/sluice-spool/jmx.sock" "$@" > /dev/null; }

sink_count() { sed -n 's/^received \([0-9]*\).*/\1/p' "$WORK/sink.log" | tail -1; }

# Waits until the sink has every message sent so far; polled every 0.1 s (the sink reports once a second).
wait_sink() {
    local i got
    for ((i = 0; i < 36000; i++)); do
        got=$(sink_count)
        ((${got:-0} >= SENT_TOTAL)) && return 0
        kill -0 "$SLUICE_PID" 2>/dev/null || die "the daemon exited while delivering"
        sleep 0.1
    done
    die "the sink has ${got:-0} of $SENT_TOTAL messages after an hour"
}

send() { # label count [port] -> the client's output in RAW; dies unless every message got its 250
    local label=$1 count=$2 port=${3:-$SLUICE_PORT} out="$RAW/$1.out" err="$RAW/$1.err"
    if [[ $CLIENT == smtp-source ]]; then
        # shellcheck disable=SC2086 # SMTP_SOURCE_OPTS is a list of options
        smtp-source $SMTP_SOURCE_OPTS -s "$SESSIONS" -l "$MESSAGE_BYTES" -m "$count" -f "$SENDER" -t "$RECIPIENT" "127.0.0.1:$port" \
            > "$out" 2> "$err" || die "$label: smtp-source failed: $(head -3 "$err")"
        # smtp-source reports every refused command on stderr and goes on: any line there is a lost message.
        [[ ! -s $err ]] || die "$label: smtp-source reported refusals: $(head -3 "$err")"
    else
        java -cp "$WORK/client/benchmarks.jar" io.sluice.benchmarks.smtp.AcceptanceLoadClient --server "127.0.0.1:$port" \
            --sessions "$SESSIONS" --messages "$count" --size "$MESSAGE_BYTES" --from "$SENDER" --to "$RECIPIENT" \
            --warmup 0 > "$out" 2> "$err" || die "$label: the client failed: $(tail -3 "$err")"
        grep -q "\"accepted\":$count," "$out" || die "$label: not every message was accepted: $(tail -1 "$out")"
    fi
    SENT_TOTAL=$((SENT_TOTAL + count))
}

# The journal's msyncs (group commits), messages synced and outcomes journaled so far, from the daemon's /metrics:
# "msyncs messages outcomes" (zeros for a build without them). Records per msync is the group commit's lever.
journal_counts() {
    local url
    url=$(sed -n 's/.*metrics on \(http:[^ ,]*\/metrics\).*/\1/p' "$WORK/sluice.log" | head -1)
    curl -s --max-time 5 "$url" 2>/dev/null | awk '
        /^sluice_spool_sync_batches(_total)? / { b = $2 } /^sluice_spool_messages_synced(_total)? / { m = $2 }
        /^sluice_spool_outcomes_appended(_total)? / { o = $2 } END { printf "%d %d %d\n", b, m, o }'
}

declare -A US=() SYNCS=()
RUNS=()
measure() { # label phase(accept|deliver) -> one JSON line in RUNS, the figure in US[phase]
    local label=$1 phase=$2 t0 t1 b0 b1 w0 w1 load us secs j0 j1 msyncs records
    load=$(cut -d' ' -f1 /proc/loadavg)
    thread_ticks "$SLUICE_PID" > "$RAW/$label.threads0"
    read -ra j0 <<< "$(journal_counts)"
    b0=$(machine_busy_ticks) w0=$(now_ns) t0=$(proc_ticks "$SLUICE_PID")
    if [[ $phase == accept ]]; then
        send "$label" "$N"
    else
        sluice_cli drain resume --route default
        wait_sink
    fi
    t1=$(proc_ticks "$SLUICE_PID") w1=$(now_ns) b1=$(machine_busy_ticks)
    thread_ticks "$SLUICE_PID" > "$RAW/$label.threads1"
    read -ra j1 <<< "$(journal_counts)"
    msyncs=$((j1[0] - j0[0]))
    records=$(((j1[1] - j0[1]) + (j1[2] - j0[2]))) # messages synced + outcomes journaled
    us=$(calc1 "1e6 * ($t1 - $t0) / $CLK_TCK / $N")
    secs=$(calc "($w1 - $w0) / 1e9")
    [[ $label == round-* ]] && US[$phase]+="$us " # the profiled runs are not measurements
    [[ $label == round-* ]] && SYNCS[$phase]+="$(calc1 "$records / ($msyncs > 0 ? $msyncs : 1)") "
    RUNS+=("$(printf '{"label":"%s","phase":"%s","messages":%d,"daemonCpuSeconds":%s,"usPerMessage":%s,"wallSeconds":%s,"machineBusyPercent":%s,"loadAverage1mAtStart":%s,"msyncs":%d,"recordsSynced":%d}' \
        "$label" "$phase" "$N" "$(calc "($t1 - $t0) / $CLK_TCK")" "$us" "$secs" \
        "$(calc1 "100 * ($b1 - $b0) / $CLK_TCK / $NCPU / $secs")" "$load" "$msyncs" "$records")")
    log "$label: $N messages, daemon CPU $(calc "($t1 - $t0) / $CLK_TCK") s = $us us/message (${secs}s wall, load $load);" \
        "$msyncs msyncs for $records records"
}

round() { # label prefix
    sluice_cli drain pause --route default
    measure "$1-accept" accept
    measure "$1-deliver" deliver
}

# One extra round under JFR and strace, summarised into cpu-profile.txt (its figures are not measurements).
profile() {
    local jfr_a="$RAW/profile-accept.jfr" jfr_d="$RAW/profile-deliver.jfr" summary="$RESULTS_DIR/cpu-profile.txt"
    jcmd "$SLUICE_PID" JFR.start name=warm settings=profile > /dev/null
    round profile-warmup # JFR's start deoptimises: a discarded round recompiles under it
    sluice_cli drain pause --route default
    jcmd "$SLUICE_PID" JFR.start name=accept settings=profile filename="$jfr_a" > /dev/null
    measure profile-accept accept
    jcmd "$SLUICE_PID" JFR.stop name=accept > /dev/null
    jcmd "$SLUICE_PID" JFR.start name=deliver settings=profile filename="$jfr_d" > /dev/null
    measure profile-deliver deliver
    jcmd "$SLUICE_PID" JFR.stop name=deliver > /dev/null
    jcmd "$SLUICE_PID" JFR.stop name=warm > /dev/null
    if command -v strace > /dev/null; then
        sluice_cli drain pause --route default
        strace -c -f -p "$SLUICE_PID" -o "$RAW/strace-accept.txt" & local st=$!
        sleep 1
        measure strace-accept accept
        kill -INT "$st"; wait "$st" || true
        strace -c -f -p "$SLUICE_PID" -o "$RAW/strace-deliver.txt" & st=$!
        sleep 1
        measure strace-deliver deliver
        kill -INT "$st"; wait "$st" || true
    fi
    (
        set +e +o pipefail
        echo "Sluice under JFR (settings=profile), $CLIENT, $N messages a phase, git $(git -C "$REPO_ROOT" rev-parse --short HEAD)"
        echo "(the CPU figures of these runs are under the profiler: not measurements)"
        for p in accept deliver; do
            local f="$RAW/profile-$p.jfr"
            echo
            echo "################ $p ################"
            echo "== daemon CPU by thread (seconds) =="
            join "$RAW/profile-$p.threads0" "$RAW/profile-$p.threads1" \
                | awk -v hz="$CLK_TCK" '{ d = ($3 - $2) / hz; if (d > 0) printf "%8.2f  %s\n", d, $1 }' | sort -rn | head -15
            echo "== execution samples: top leaf frames =="
            jfr_leaf_frames "$f" 30
            echo "== execution samples: nearest io.sluice frame =="
            jfr_sluice_frames "$f" 30
            echo "== execution samples by thread =="
            jfr print --events jdk.ExecutionSample "$f" | sed -n 's/^ *sampledThread = "\([^"]*\)".*/\1/p' \
                | sed 's/[0-9][0-9]*/N/g' | sort | uniq -c | sort -rn | head -12
            echo "== allocation (jdk.ObjectAllocationSample weight, MB) by class, and bytes per message =="
            jfr print --events jdk.ObjectAllocationSample --stack-depth 1 "$f" \
                | awk '/objectClass = / { c = $3 } /weight = / { w = $3; u = $4; m = (u ~ /^kB/ ? 1e-3 : u ~ /^MB/ ? 1 : u ~ /^GB/ ? 1e3 : 1e-6); t[c] += w * m; all += w * m }
                       END { for (k in t) printf "%10.1f  %s\n", t[k], k; printf "%10.1f  TOTAL (%.0f bytes/message)\n", all, all * 1e6 / '"$N"' }' \
                | sort -rn | head -20
            echo "== allocation by nearest io.sluice frame (MB) =="
            jfr print --events jdk.ObjectAllocationSample --stack-depth 64 "$f" \
                | awk '/weight = / { w = $3; u = $4; m = (u ~ /^kB/ ? 1e-3 : u ~ /^MB/ ? 1 : u ~ /^GB/ ? 1e3 : 1e-6); cur = w * m }
                       /stackTrace = \[/ { inside = 1; found = 0; next }
                       inside && /^ *\]/ { if (!found) t["(no io.sluice frame)"] += cur; inside = 0; next }
                       inside && !found && /io\.sluice\./ { l = $0; sub(/^ +/, "", l); sub(/ +line:.*/, "", l); t[l] += cur; found = 1 }
                       END { for (k in t) printf "%10.1f  %s\n", t[k], k }' | sort -rn | head -20
            echo "== syscalls (strace -c -f over one more unprofiled-by-JFR $p run of $N messages) =="
            head -25 "$RAW/strace-$p.txt" 2>/dev/null || echo "(no strace)"
        done
    ) > "$summary" 2>&1
    log "profile summary: $summary"
}

# One extra round under perf (its CPU figures are not measurements); the report is made once the daemon has
# stopped and written its perf map.
perf_round() {
    local p
    sluice_cli drain pause --route default
    for p in accept deliver; do
        perf record -F 499 -g -p "$SLUICE_PID" -o "$RAW/perf-$p.data" 2> "$RAW/perf-$p.err" &
        local rec=$!
        sleep 1
        measure "perf-$p" "$p"
        kill -INT "$rec"
        wait "$rec" || true
    done
}

perf_report() {
    local p out="$RESULTS_DIR/cpu-perf.txt"
    (
        set +e +o pipefail
        echo "Sluice under perf record -F 499 -g, $CLIENT, $N messages a phase, git $(git -C "$REPO_ROOT" rev-parse --short HEAD)"
        echo "(the CPU figures of these runs are under the profiler: not measurements). Self time by symbol, then by thread."
        for p in accept deliver; do
            echo
            echo "################ $p: self time, top symbols ################"
            perf report -i "$RAW/perf-$p.data" --stdio --no-children --sort symbol -g none --percent-limit 0.7 2>/dev/null \
                | grep -v '^#' | grep -v '^$' | cut -c1-160 | head -60
            echo "################ $p: by thread ################"
            perf report -i "$RAW/perf-$p.data" --stdio --no-children --sort comm -g none 2>/dev/null \
                | grep -v '^#' | grep -v '^$' | head -15
            echo "################ $p: by shared object ################"
            perf report -i "$RAW/perf-$p.data" --stdio --no-children --sort dso -g none 2>/dev/null \
                | grep -v '^#' | grep -v '^$' | head -10
        done
    ) > "$out" 2>&1
    log "perf summary: $out"
}

report() {
    local txt="$RESULTS_DIR/cpu-per-message.txt" json="$RESULTS_DIR/cpu-per-message.json" p
    {
        echo "CPU per message, Sluice daemon ($(date -u +%Y-%m-%dT%H:%MZ), $HOST, git $(git -C "$REPO_ROOT" rev-parse --short HEAD)," \
            "$(git -C "$REPO_ROOT" status --porcelain -- appliance-daemon spool-core | wc -l) uncommitted source paths)"
        echo "Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $NCPU CPUs; $(java -version 2>&1 | head -1)"
        echo "Daemon user+system CPU (/proc/PID/stat) over $N messages of $MESSAGE_BYTES bytes a run, client $CLIENT" \
            "($SESSIONS sessions); $WARMUP warm-up messages accepted and delivered first; $ROUNDS rounds, interleaved:"
        echo "(a) accept with the default route paused, (b) deliver that backlog to the benchmarks' sink (PacedSink)."
        [[ -n $SMTP_SOURCE_OPTS ]] && echo "smtp-source options added: $SMTP_SOURCE_OPTS"
        echo "Opened from the shipped defaults (everything else is shipped, logging included): ${OPENED[*]}"
        echo "CPU time is less sensitive to other load than wall time, but the machine was shared: load average before" \
            "$LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg); each run's load and machine busy % are in the JSON."
        [[ -n $NOTE ]] && echo "Note: $NOTE"
        [[ -n ${SLUICE_DIST:-} ]] && echo "Daemon measured: the build in $SLUICE_DIST (jar built $JAR_BUILT), not this commit's target/."
        echo
        printf '%-8s %14s %16s   %s\n' phase "median us/msg" "min-max" "per run"
        for p in accept deliver; do
            printf '%-8s %14s %16s   %s\n' "$p" "$(median <<< "${US[$p]:-}")" "$(spread <<< "${US[$p]:-}")" "${US[$p]:-}"
        done
        echo
        echo "Journal records (messages synced + outcomes journaled) per msync, per run (from /metrics):"
        for p in accept deliver; do
            printf '  %-8s %s\n' "$p" "${SYNCS[$p]:-}"
        done
        echo
        echo "Daemon CPU by thread, all measured runs together (seconds):"
        for p in accept deliver; do
            echo "  $p:"
            for f in "$RAW"/round-*-"$p".threads0; do
                join "$f" "${f%0}1"
            done | awk -v hz="$CLK_TCK" '{ d[$1] += ($3 - $2) / hz } END { for (k in d) if (d[k] > 0) printf "    %8.2f  %s\n", d[k], k }' \
                | sort -rn | head -10
        done
    } > "$txt"
    {
        echo "{"
        echo "  \"benchmark\": \"cpu-per-message\", \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"host\": \"$HOST\","
        echo "  \"commit\": \"$(git -C "$REPO_ROOT" rev-parse HEAD)\", \"client\": \"$CLIENT\", \"sessions\": $SESSIONS,"
        echo "  \"messageBytes\": $MESSAGE_BYTES, \"messagesPerRun\": $N, \"warmupMessages\": $WARMUP, \"rounds\": $ROUNDS,"
        echo "  \"opened\": \"${OPENED[*]}\", \"loadAverageBefore\": \"$LOAD_BEFORE\", \"note\": \"$NOTE\","
        echo "  \"runs\": ["
        printf '    %s,\n' "${RUNS[@]}" | sed '$ s/,$//'
        echo "  ]"
        echo "}"
    } > "$json"
    cat "$txt"
}

spread() { tr ' ' '\n' | { grep -v '^$' || true; } | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%s-%s", lo, hi; else print "-" }'; }

# The upstream: the benchmarks' sink, paced far above anything sent, so it takes mail as fast as it comes.
start_fast_sink() { # -> SLUICE_SINK_PID, SLUICE_SINK_PORT
    : > "$WORK/sink.log"
    java -cp "$WORK/client/benchmarks.jar" io.sluice.benchmarks.flood.PacedSink --rate 1000000 --burst 1000000 \
        > "$WORK/sink.log" 2>&1 &
    SLUICE_SINK_PID=$! # acceptance-vs-postfix.sh's cleanup stops it
    local i
    for ((i = 0; i < 120; i++)); do
        SLUICE_SINK_PORT=$(sed -n 's/^paced sink on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$WORK/sink.log" | head -1)
        [[ -n $SLUICE_SINK_PORT ]] && break
        sleep 0.25
    done
    [[ -n $SLUICE_SINK_PORT ]] || die "the sink did not report its port"
}

# SLUICE_DIST: another build's daemon in place of the one preflight copied from appliance-daemon/target.
use_sluice_dist() {
    [[ -n ${SLUICE_DIST:-} ]] || return 0
    rm -rf "$WORK/sluice-dist"
    mkdir -p "$WORK/sluice-dist"
    cp -r "$SLUICE_DIST/sluice-daemon.jar" "$SLUICE_DIST/jvm.options" "$SLUICE_DIST/lib" "$WORK/sluice-dist/"
    JAR_BUILT=$(date -u -r "$SLUICE_DIST/sluice-daemon.jar" +%Y-%m-%dT%H:%M:%SZ)
    log "measuring the daemon in $SLUICE_DIST (built $JAR_BUILT), not appliance-daemon/target"
}

main_cpu() {
    begin_run
    mkdir -p "$RAW"
    use_sluice_dist
    opened_limits
    log "opened from the shipped defaults to take $N messages from one source: ${OPENED[*]}"
    start_fast_sink
    SLUICE_FLOW_CONTROL=defaults SLUICE_SETTINGS="${OPENED[*]}" start_sluice "$WORK/sluice.log"
    log "daemon pid $SLUICE_PID on 127.0.0.1:$SLUICE_PORT, sink on $SLUICE_SINK_PORT; warm-up: $WARMUP messages, $CLIENT"
    send warmup "$WARMUP"
    wait_sink
    for ((i = 1; i <= ROUNDS; i++)); do
        round "round-$i"
    done
    [[ $PROFILE == 1 ]] && profile
    [[ $PERF == 1 ]] && perf_round
    local daemon=$SLUICE_PID
    stop_sluice
    [[ $PERF == 1 ]] && perf_report "$daemon"
    cp -f "$WORK/sluice.log" "$RAW/"
    write_machine_txt
    report
}

# Sourced by cpu-vs-postfix.sh for its helpers: run main only when executed.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    main_cpu "$@"
fi
