#!/usr/bin/env bash
# SMTP acceptance, Sluice against Postfix ON EQUAL TERMS (issue 17). What is equal, and how:
#
# * Defaults: both systems at their shipped defaults except what the scenario must set: the relay domain, the
#   upstream (Postfix: relay_domains, relayhost; Sluice: relay.domains, every route's target), an empty trusted
#   network list on both (mynetworks / relay.trustedNetworks: the client is an Internet sender to both), and this
#   run's ports and folders. Sluice keeps its admission buckets, backlog watermarks, projected-delay bound and
#   containment; Postfix keeps in_flow_delay and the rest. If Sluice's defaults refuse the load, that is the finding:
#   the refusals are counted and reported, not hidden.
# * A second, clearly labelled row, "flow control off": Sluice with its admission buckets, backlog watermarks,
#   projected-delay bound and containment opened (what acceptance-vs-postfix.sh always did), against stock Postfix,
#   interleaved again. FLOW_CONTROL_OFF_ROW=0 leaves it out.
# * The same client (io.sluice.benchmarks.smtp.AcceptanceLoadClient: JDK sockets, MAIL/RCPT/DATA pipelined, counts
#   every reply; a refusal is counted, never retried), the same MESSAGES per run, MESSAGE_BYTES, SESSIONS and WARMUP.
# * The same upstream: ONE paced sink (io.sluice.benchmarks.flood.PacedSink) taking SINK_RATE msgs/s (default 200,
#   Sluice's default route rate) for both. Each measured run starts with both queues empty (every message accepted
#   so far has reached the sink), so each system relays at the same rate while it is measured.
# * Interleaved: N runs each, A B A B ... (Postfix, Sluice, Postfix, Sluice), both systems up the whole time, each
#   warmed up first. The report gives the median and the spread (min-max) of each, and the ratio of the medians.
# * The durability model is stated in every row: Sluice DURABLE (250 after the msync of the journal page that holds
#   the message, shared by the messages written together: group commit); Postfix fsync of each queue file.
#
#   benchmarks/acceptance-equal-terms.sh                     # N=5 runs each, 10,000 messages a run
#   N=1 MESSAGES=300 WARMUP=200 benchmarks/acceptance-equal-terms.sh   # a tiny try of the script itself
#
# Environment: N (5), MESSAGES (10000), WARMUP (20000, unmeasured, per system), SESSIONS (20), MESSAGE_BYTES (4096),
# SINK_RATE (200), SINK_BURST (20), FLOW_CONTROL_OFF_ROW (1), DRAIN_TIMEOUT (s to wait for queues to empty, 1800),
# RESULTS_DIR, WORK_BASE, SLUICE_BUILD (1), KEEP_WORK, WAIT_FOR_IDLE (see acceptance-vs-postfix.sh), NOTE (a line for
# the report: what else loaded the machine). Root is needed (Postfix's master). Results: acceptance-equal{,-quick}.{txt,json}
# and machine-equal.txt in RESULTS_DIR (raw logs in raw/, git-ignored).
set -euo pipefail
export LC_ALL=C
EQUAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The helpers (preflight, Postfix instance, Sluice start, CPU accounting, cleanup) are acceptance-vs-postfix.sh's.
JAVA_CLIENT=1
# shellcheck source=benchmarks/acceptance-vs-postfix.sh
source "$EQUAL_DIR/acceptance-vs-postfix.sh"

N=${N:-5}
MESSAGES=${MESSAGES:-10000}
WARMUP=${WARMUP:-20000}
SINK_RATE=${SINK_RATE:-200}
SINK_BURST=${SINK_BURST:-20}
FLOW_CONTROL_OFF_ROW=${FLOW_CONTROL_OFF_ROW:-1}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-1800}
NOTE=${NOTE:-}
RAW="$RESULTS_DIR/raw/acceptance-equal"
PACED_SINK_PID="" PACED_SINK_LOG=""
ACCEPTED_TOTAL=0 # accepted by both systems since the sink started: when the sink has them all, both queues are empty

cleanup_equal() {
    local rc=$?
    [[ -n $PACED_SINK_PID ]] && stop_pid "$PACED_SINK_PID" 5
    PACED_SINK_PID=""
    return $rc
}

start_paced_sink() {
    PACED_SINK_LOG=$WORK/paced-sink.log
    : > "$PACED_SINK_LOG"
    java -cp "$WORK/client/benchmarks.jar" io.sluice.benchmarks.flood.PacedSink --rate "$SINK_RATE" --burst "$SINK_BURST" \
        > "$PACED_SINK_LOG" 2>&1 &
    PACED_SINK_PID=$!
    local i
    for ((i = 0; i < 120; i++)); do
        SHARED_SINK_PORT=$(sed -n 's/^paced sink on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$PACED_SINK_LOG" | head -1)
        [[ -n $SHARED_SINK_PORT ]] && break
        kill -0 "$PACED_SINK_PID" 2>/dev/null || { cat "$PACED_SINK_LOG" >&2; die "the paced sink exited"; }
        sleep 0.25
    done
    [[ -n $SHARED_SINK_PORT ]] || die "the paced sink did not report its port"
    export SHARED_SINK_PORT
    SLUICE_SINK_PORT=$SHARED_SINK_PORT # start_sluice points every route here
    log "paced sink on 127.0.0.1:$SHARED_SINK_PORT at $SINK_RATE msgs/s (burst $SINK_BURST), pid $PACED_SINK_PID"
}

sink_received() { sed -n 's/^received \([0-9]*\).*/\1/p' "$PACED_SINK_LOG" | tail -1; }

# Both queues are empty once the sink has every message either system accepted.
wait_drained() { # what
    local i got
    for ((i = 0; i < DRAIN_TIMEOUT; i++)); do
        got=$(sink_received)
        ((${got:-0} >= ACCEPTED_TOTAL)) && return 0
        sleep 1
    done
    die "$1: the sink has ${got:-0} of the $ACCEPTED_TOTAL accepted messages after ${DRAIN_TIMEOUT}s"
}

# run_equal LABEL SYSTEM PORT PID MESSAGES -> one JSON line in RUNS_EQUAL, its rate in RATE_<row>_<system>
declare -A RATES_EQ=() ACCEPTED_EQ=() REFUSED_EQ=() P99_EQ=() FIRST_REFUSAL=()
RUNS_EQUAL=()
run_equal() {
    local label=$1 system=$2 port=$3 pid=$4 messages=$5 row=$6
    local out="$RAW/$label.out" err="$RAW/$label.err" rc=0 json accepted refused seconds rate p99 cpu0 cpu1 busy0 busy1
    [[ $label == *warmup* ]] || wait_for_idle
    local load
    load=$(cut -d' ' -f1 /proc/loadavg)
    cpu0=$(tree_ticks "$pid")
    busy0=$(machine_busy_ticks)
    java -cp "$WORK/client/benchmarks.jar" io.sluice.benchmarks.smtp.AcceptanceLoadClient --server "127.0.0.1:$port" \
        --sessions "$SESSIONS" --messages "$messages" --size "$MESSAGE_BYTES" --from "$SENDER" --to "$RECIPIENT" \
        --warmup 0 > "$out" 2> "$err" || rc=$?
    cpu1=$(tree_ticks "$pid")
    busy1=$(machine_busy_ticks)
    json=$(tail -1 "$out")
    accepted=$(sed -n 's/.*"accepted":\([0-9]*\).*/\1/p' <<< "$json")
    refused=$(sed -n 's/.*"refused":\([0-9]*\).*/\1/p' <<< "$json")
    seconds=$(sed -n 's/.*"seconds":\([0-9.]*\).*/\1/p' <<< "$json")
    [[ -n $accepted && -n $seconds ]] || { cat "$err" >&2; die "$label: no result from the client (exit $rc)"; }
    ACCEPTED_TOTAL=$((ACCEPTED_TOTAL + accepted))
    rate=$(calc1 "$accepted / $seconds")
    p99=$(sed -n 's/.*"p99":\([0-9.]*\).*/\1/p' <<< "$json")
    if [[ $label != *warmup* ]]; then
        RATES_EQ[$row.$system]+="$rate "
        ACCEPTED_EQ[$row.$system]=$((${ACCEPTED_EQ[$row.$system]:-0} + accepted))
        REFUSED_EQ[$row.$system]=$((${REFUSED_EQ[$row.$system]:-0} + refused))
        P99_EQ[$row.$system]+="${p99:-null} "
        if ((refused > 0)) && [[ -z ${FIRST_REFUSAL[$row.$system]:-} ]]; then
            FIRST_REFUSAL[$row.$system]=$(grep -m1 -o 'first: .*' "$err" | cut -c8-200 || true)
        fi
        RUNS_EQUAL+=("$(printf '{"label":"%s","row":"%s","system":"%s","messages":%d,"accepted":%d,"refused":%d,"seconds":%s,"acceptedPerSecond":%s,"latencyMs":%s,"serverCpuSeconds":%s,"machineBusyCpuSeconds":%s,"loadAverage1mAtStart":%s}' \
            "$label" "$row" "$system" "$messages" "$accepted" "$refused" "$seconds" "$rate" \
            "$(sed -n 's/.*"latencyMs":\({[^}]*}\).*/\1/p' <<< "$json" | grep . || echo null)" \
            "$(calc "($cpu1 - $cpu0) / $CLK_TCK")" "$(calc "($busy1 - $busy0) / $CLK_TCK")" "$load")")
    fi
    log "$label: $accepted of $messages accepted, $refused refused, in ${seconds}s = $rate accepted/s (p99 ${p99:-?} ms)"
}

spread() { tr ' ' '\n' | { grep -v '^$' || true; } | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%s-%s", lo, hi; else print "-" }'; }

# One row: a Sluice (flow control as FLOW) on a fresh spool beside the running Postfix, warmed up, N interleaved rounds.
row() { # row-name flow
    local name=$1 flow=$2 rep
    SLUICE_FLOW_CONTROL=$flow
    rm -rf "$WORK/sluice-spool"
    start_sluice "$WORK/sluice-$name.log"
    log "row '$name': Sluice (flow control: $flow) on 127.0.0.1:$SLUICE_PORT, pid $SLUICE_PID"
    run_equal "$name-sluice-warmup" sluice "$SLUICE_PORT" "$SLUICE_PID" "$WARMUP" "$name"
    wait_drained "Sluice warm-up"
    for ((rep = 1; rep <= N; rep++)); do
        run_equal "$name-postfix-$rep" postfix "$PF_PORT" "$PF_MASTER" "$MESSAGES" "$name"
        wait_drained "Postfix run $rep"
        run_equal "$name-sluice-$rep" sluice "$SLUICE_PORT" "$SLUICE_PID" "$MESSAGES" "$name"
        wait_drained "Sluice run $rep"
    done
    stop_sluice
    cp -f "$WORK/sluice-$name.log" "$RAW/" 2>/dev/null || true
}

report_equal() {
    local json="$RESULTS_DIR/acceptance-equal$SUFFIX.json" txt="$RESULTS_DIR/acceptance-equal$SUFFIX.txt" r sys med label rows=(defaults)
    [[ $FLOW_CONTROL_OFF_ROW == 1 ]] && rows+=(flow-control-off)
    {
        echo "SMTP acceptance on equal terms, Sluice vs Postfix ($(date -u +%Y-%m-%dT%H:%MZ), $HOST, git $(git -C "$REPO_ROOT" rev-parse --short HEAD))"
        echo "Same client (AcceptanceLoadClient, pipelined, refusals counted), $MESSAGES messages a run, $MESSAGE_BYTES bytes,"
        echo "$SESSIONS sessions, $WARMUP unmeasured warm-up messages each; both relay to one sink paced at $SINK_RATE msgs/s,"
        echo "each run starts with both queues empty; $N runs each, interleaved (Postfix, Sluice, ...). Rate = accepted / seconds."
        [[ -n $NOTE ]] && echo "Note: $NOTE"
        echo
        printf '%-19s %-8s %-52s %9s %13s %9s %9s %10s\n' row system durability median spread accepted refused "ratio S/P"
        for r in "${rows[@]}"; do
            for sys in postfix sluice; do
                med=$(median <<< "${RATES_EQ[$r.$sys]:-}")
                local durability ratio=""
                if [[ $sys == sluice ]]; then
                    durability="DURABLE: 250 after the msync of its journal page (group)"
                    ratio=$(awk "BEGIN { p = $(median <<< "${RATES_EQ[$r.postfix]:-}"); if (p > 0) printf \"%.2fx\", $med / p; else print \"-\" }")
                    label=$([[ $r == defaults ]] && echo "shipped defaults" || echo "FLOW CONTROL OFF")
                else
                    durability="stock: fsync of each queue file before 250"
                    label=$([[ $r == defaults ]] && echo "shipped defaults" || echo "(stock, beside it)")
                fi
                printf '%-19s %-8s %-52s %9s %13s %9s %9s %10s\n' "$label" "$sys" "$durability" "$med" \
                    "$(spread <<< "${RATES_EQ[$r.$sys]:-}")" "${ACCEPTED_EQ[$r.$sys]:-0}" "${REFUSED_EQ[$r.$sys]:-0}" "$ratio"
            done
        done
        echo
        for r in "${rows[@]}"; do
            for sys in postfix sluice; do
                echo "$r $sys: accepted/s per run: ${RATES_EQ[$r.$sys]:-}; p99 ms per run: ${P99_EQ[$r.$sys]:-}"
                [[ -n ${FIRST_REFUSAL[$r.$sys]:-} ]] && echo "    first refusal: ${FIRST_REFUSAL[$r.$sys]}"
            done
        done
        echo "Sink received $(sink_received) of $ACCEPTED_TOTAL accepted messages (warm-ups included)."
        echo "Load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg). Machine: machine-equal$SUFFIX.txt."
        if ((${#DISTURBED[@]})); then
            echo "WARNING: other processes were busy during: ${DISTURBED[*]}: not figures to quote."
        fi
    } > "$txt"
    {
        echo "{"
        echo "  \"benchmark\": \"smtp-acceptance-equal-terms\", \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"host\": \"$HOST\","
        echo "  \"commit\": \"$(git -C "$REPO_ROOT" rev-parse HEAD)\", \"runsEach\": $N, \"messagesPerRun\": $MESSAGES,"
        echo "  \"warmupMessages\": $WARMUP, \"sessions\": $SESSIONS, \"messageBytes\": $MESSAGE_BYTES,"
        echo "  \"sinkRatePerSecond\": $SINK_RATE, \"sinkBurst\": $SINK_BURST, \"postfixVersion\": \"${PF_VERSION:-?}\","
        echo "  \"durability\": {\"sluice\": \"DURABLE, group msync\", \"postfix\": \"fsync per queue file\"},"
        echo "  \"loadAverageBefore\": \"$LOAD_BEFORE\", \"loadAverageAfter\": \"$(cut -d' ' -f1-3 /proc/loadavg)\","
        echo "  \"note\": \"$NOTE\","
        echo "  \"runs\": ["
        printf '    %s,\n' "${RUNS_EQUAL[@]}" | sed '$ s/,$//'
        echo "  ]"
        echo "}"
    } > "$json"
    cat "$txt"
}

main_equal() {
    begin_run
    mkdir -p "$RAW"
    trap 'cleanup_equal; cleanup' EXIT
    start_paced_sink
    start_postfix
    run_equal postfix-warmup postfix "$PF_PORT" "$PF_MASTER" "$WARMUP" warmup
    wait_drained "Postfix warm-up"
    row defaults defaults
    [[ $FLOW_CONTROL_OFF_ROW == 1 ]] && row flow-control-off off
    stop_postfix
    MODE=equal-terms REPEATS=$N SUFFIX=-equal$SUFFIX write_machine_txt
    report_equal
}

main_equal "$@"
