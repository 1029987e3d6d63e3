#!/usr/bin/env bash
# Acceptance over STARTTLS beside clear text, Sluice against Postfix (issue 13): the Postfix side of
# tls-acceptance.sh. Both systems use ONE certificate and key made for the run (ECDSA P-256, self-signed), both are
# driven by the same JDK client (io.sluice.benchmarks.smtp.AcceptanceLoadClient, with and without --tls), with the
# same message count, size and sessions, in two shapes: long connections (one per session) and one message per
# connection (a handshake per message). Interleaved: for each shape and each of clear text / STARTTLS, a Postfix run
# then a Sluice run, both systems up the whole time, each warmed up first.
#
#   benchmarks/tls-vs-postfix.sh        # builds first (SLUICE_BUILD=0 reuses the jars in target/); root is needed
#   N=1 MESSAGES=2000 ONE_PER_CONNECTION=300 SLUICE_BUILD=0 NOTE="..." benchmarks/tls-vs-postfix.sh
#
# * Postfix: the private instance of acceptance-vs-postfix.sh (its own config, queue and log in a temp folder, stock
#   apart from what a separate instance needs), plus smtpd_tls_security_level=may and smtpd_tls_chain_files with the
#   run's key and certificate; every other TLS setting at Postfix's default. It relays to an smtp-sink.
# * Sluice: the daemon as acceptance-vs-postfix.sh starts it (DURABLE spool, every route to the same smtp-sink), with
#   smtp.tls.certificate/smtp.tls.key set (so smtp.tls.mode is `offer`, its default once a certificate is set) and
#   the admission buckets, backlog watermarks, projected-delay bound and containment opened, as the acceptance
#   benchmark does: the client is one address and one sender domain. Every opened key is printed and in the JSON.
# * Both relay what they accept to one smtp-sink; each measured run starts once the sink has every message accepted
#   so far (both queues empty). Postfix's runs are also checked against its own log (accepted, then removed, no
#   deferral or rejection); the client counts every 250 and a run with a refusal fails.
#
# Environment: N (measured rounds, 1), MESSAGES (long connections, 2000), ONE_PER_CONNECTION (300), WARMUP
# (unmeasured per system, long connections over TLS, 4000), WARMUP_ONE (unmeasured per system, one per connection
# over TLS, 300), CLIENT_WARMUP (each client run's own unmeasured messages, for its JIT, 200), SESSIONS (20),
# MESSAGE_BYTES (4096), DRAIN_TIMEOUT (600 s), NOTE (a line for the report: what else loaded the machine), and
# acceptance-vs-postfix.sh's SLUICE_BUILD, WORK_BASE, RESULTS_DIR, KEEP_WORK, WAIT_FOR_IDLE.
# Writes RESULTS_DIR/tls-vs-postfix.{json,txt}; raw client output under RESULTS_DIR/raw/tls-vs-postfix (git-ignored).
set -euo pipefail
export LC_ALL=C
TLS_PF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The helpers (preflight, Postfix instance, Sluice start and flow-control keys, cleanup) are acceptance-vs-postfix.sh's.
JAVA_CLIENT=1
# shellcheck source=benchmarks/acceptance-vs-postfix.sh
source "$TLS_PF_DIR/acceptance-vs-postfix.sh"

N=${N:-1}
MESSAGES=${MESSAGES:-2000}
ONE_PER_CONNECTION=${ONE_PER_CONNECTION:-300}
WARMUP=${WARMUP:-4000}
WARMUP_ONE=${WARMUP_ONE:-300}
CLIENT_WARMUP=${CLIENT_WARMUP:-200}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-600}
NOTE=${NOTE:-}
RAW="$RESULTS_DIR/raw/tls-vs-postfix"
ACCEPTED_TOTAL=0 # accepted by both systems since the sink started: when the sink has them all, both queues are empty
SINK_LOG=""
TLS_RUNS=()
OPENED=()

sink_received() { tr '\r' '\n' < "$SINK_LOG" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1; }

wait_drained() { # what
    local i got
    for ((i = 0; i < DRAIN_TIMEOUT * 2; i++)); do
        got=$(sink_received)
        ((${got:-0} >= ACCEPTED_TOTAL)) && return 0
        sleep 0.5
    done
    die "$1: the sink has ${got:-0} of the $ACCEPTED_TOTAL accepted messages after ${DRAIN_TIMEOUT}s"
}

# tls_run LABEL SYSTEM PORT MESSAGES WARMUP PER_CONNECTION TLS(0|1): one client run; a measured one goes into TLS_RUNS.
tls_run() {
    local label=$1 system=$2 port=$3 messages=$4 warmup=$5 per=$6 tls=$7
    local out="$RAW/$label.out" err="$RAW/$label.err" rc=0 json accepted offset="" load busy0 busy1 args=()
    [[ $per == 0 ]] || args+=(--per-connection "$per")
    [[ $tls == 0 ]] || args+=(--tls)
    [[ $label == *warmup* ]] || wait_for_idle
    load=$(cut -d' ' -f1 /proc/loadavg)
    [[ $system == postfix ]] && offset=$(stat -c %s "$PF_LOG")
    busy0=$(machine_busy_ticks)
    java -cp "$WORK/client/benchmarks.jar" io.sluice.benchmarks.smtp.AcceptanceLoadClient --server "127.0.0.1:$port" \
        --sessions "$SESSIONS" --messages "$messages" --warmup "$warmup" --size "$MESSAGE_BYTES" --from "$SENDER" \
        --to "$RECIPIENT" "${args[@]}" > "$out" 2> "$err" || rc=$?
    busy1=$(machine_busy_ticks) # the whole machine's busy CPU during the run, warm-up and JVM start included
    json=$(tail -1 "$out")
    accepted=$(sed -n 's/.*"accepted":\([0-9]*\).*/\1/p' <<< "$json")
    [[ $rc == 0 && $accepted == "$messages" ]] \
        || { cat "$err" >&2; die "$label: the client counted ${accepted:-no} of $messages accepted (exit $rc)"; }
    ACCEPTED_TOTAL=$((ACCEPTED_TOTAL + messages + warmup))
    if [[ $system == postfix ]]; then
        pf_settle "$offset" $((messages + warmup))
        ((PF_SETTLED_ACCEPTED == messages + warmup)) \
            || die "$label: Postfix logged $PF_SETTLED_ACCEPTED accepted messages, the client sent $((messages + warmup))"
    fi
    wait_drained "$label"
    [[ $label == *warmup* ]] || TLS_RUNS+=("{\"label\":\"$label\",\"system\":\"$system\",\"loadAverage1mAtStart\":$load,\"machineBusyCpuSeconds\":$(calc "($busy1 - $busy0) / $CLK_TCK"),\"client\":$json}")
    log "$label: $json"
}

row_line() { # JSON of one run -> table cells
    local j=$1
    local rate p50 p99 hs50 hs99 conns
    rate=$(sed -n 's/.*"msgsPerSecond":\([0-9.]*\).*/\1/p' <<< "$j")
    p50=$(sed -n 's/.*"latencyMs":{"p50":\([0-9.]*\),"p99":\([0-9.]*\).*/\1/p' <<< "$j")
    p99=$(sed -n 's/.*"latencyMs":{"p50":\([0-9.]*\),"p99":\([0-9.]*\).*/\2/p' <<< "$j")
    hs50=$(sed -n 's/.*"handshakeMs":{"p50":\([0-9.]*\),"p99":\([0-9.]*\).*/\1/p' <<< "$j")
    hs99=$(sed -n 's/.*"handshakeMs":{"p50":\([0-9.]*\),"p99":\([0-9.]*\).*/\2/p' <<< "$j")
    conns=$(sed -n 's/.*"connections":\([0-9]*\).*/\1/p' <<< "$j")
    printf '%11s %9s %22s %22s' "$conns" "$rate" "${p50:--} / ${p99:--}" "${hs50:--} / ${hs99:--}"
}

report_tls() {
    local json="$RESULTS_DIR/tls-vs-postfix.json" txt="$RESULTS_DIR/tls-vs-postfix.txt" r label
    {
        echo "Acceptance over STARTTLS beside clear text, Sluice vs Postfix ($(date -u +%Y-%m-%dT%H:%MZ), $HOST, git $(git -C "$REPO_ROOT" rev-parse --short HEAD))"
        echo "Same client (AcceptanceLoadClient, pipelined), same certificate (ECDSA P-256), $SESSIONS sessions, $MESSAGE_BYTES bytes;"
        echo "long connections: $MESSAGES messages a run; one message per connection: $ONE_PER_CONNECTION messages a run;"
        echo "each client run first sends $CLIENT_WARMUP unmeasured messages; each system warmed up with $WARMUP + $WARMUP_ONE over TLS."
        echo "Both relay to one smtp-sink; each run starts with both queues empty. $N round(s), interleaved (Postfix, Sluice)."
        echo "Postfix $PF_VERSION: stock plus $(tr '\n' ';' <<< "$PF_MAIN_CF_EXTRA" | sed 's/;$//') (fsync of each queue file before 250)."
        echo "Sluice: DURABLE spool, smtp.tls.mode=offer (default with a certificate); opened: ${#OPENED[@]} keys (see JSON limitsOpened)."
        [[ -n $NOTE ]] && echo "Note: $NOTE"
        echo
        printf '%-44s %11s %9s %22s %22s\n' run connections msgs/s "latency p50 / p99 ms" "handshake p50 / p99 ms"
        for r in "${TLS_RUNS[@]}"; do
            label=$(sed -n 's/^{"label":"\([^"]*\)".*/\1/p' <<< "$r")
            printf '%-44s %s\n' "$label" "$(row_line "$r")"
        done
        echo
        echo "Sink received $(sink_received) of $ACCEPTED_TOTAL accepted messages (warm-ups included)."
        echo "Load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)."
    } > "$txt"
    {
        echo "{"
        echo "  \"benchmark\": \"tls-acceptance-vs-postfix\", \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"host\": \"$HOST\","
        echo "  \"commit\": \"$(git -C "$REPO_ROOT" rev-parse HEAD)$(git -C "$REPO_ROOT" diff --quiet HEAD || echo -dirty)\","
        echo "  \"jarsBuilt\": \"$JAR_BUILT\", \"machine\": \"$NCPU CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)\","
        echo "  \"java\": \"$(java -version 2>&1 | head -1 | tr -d '"')\", \"postfixVersion\": \"$PF_VERSION\","
        echo "  \"rounds\": $N, \"messagesLongConnections\": $MESSAGES, \"messagesOnePerConnection\": $ONE_PER_CONNECTION,"
        echo "  \"systemWarmup\": \"$WARMUP long connections + $WARMUP_ONE one per connection, over TLS\", \"clientWarmup\": $CLIENT_WARMUP,"
        echo "  \"sessions\": $SESSIONS, \"messageBytes\": $MESSAGE_BYTES, \"relaying\": \"both relay to one smtp-sink; runs start on empty queues\","
        echo "  \"postfixTls\": \"$(tr '\n' ';' <<< "$PF_MAIN_CF_EXTRA" | sed 's/;$//')\","
        echo "  \"sluiceTls\": \"smtp.tls.certificate and smtp.tls.key set; smtp.tls.mode at its default (offer)\","
        echo "  \"durability\": {\"sluice\": \"DURABLE, group msync\", \"postfix\": \"fsync per queue file\"},"
        echo "  \"limitsOpened\": \"${OPENED[*]}\","
        echo "  \"loadAverageBefore\": \"$LOAD_BEFORE\", \"loadAverageAfter\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"note\": \"$NOTE\","
        echo "  \"runs\": ["
        printf '    %s,\n' "${TLS_RUNS[@]}" | sed '$ s/,$//'
        echo "  ]"
        echo "}"
    } > "$json"
    cat "$txt"
}

main_tls() {
    begin_run
    mkdir -p "$RAW"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=bench.sluice.test \
        -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
    chmod 600 "$WORK/key.pem" # Postfix's smtpd reads it as root before it drops privileges

    # One upstream for both: smtp-sink counts what reaches it. SINK_PID is stopped by acceptance-vs-postfix's cleanup.
    local sink_port rep shape per count tls
    sink_port=$(free_port)
    SINK_LOG=$WORK/smtp-sink.log
    smtp-sink -c -u postfix "127.0.0.1:$sink_port" 256 > "$SINK_LOG" 2>&1 &
    SINK_PID=$!
    wait_smtp "$sink_port" 10 "smtp-sink"
    SHARED_SINK_PORT=$sink_port SLUICE_SINK_PORT=$sink_port

    PF_MAIN_CF_EXTRA="smtpd_tls_security_level = may
smtpd_tls_chain_files = $WORK/key.pem, $WORK/cert.pem"
    start_postfix
    log "Postfix configured with (postconf -n, TLS and relaying):"
    postconf -c "$PF_CONF" -n | grep -E 'tls|relay|mynetworks' | sed 's/^/    /' >&2

    local settings=()
    sluice_flow_control_off
    for ((rep = 1; rep < ${#settings[@]}; rep += 2)); do OPENED+=("${settings[rep]}"); done
    log "Sluice: limits opened for this run: ${OPENED[*]}"
    SLUICE_SETTINGS="smtp.tls.certificate=$WORK/cert.pem smtp.tls.key=$WORK/key.pem"
    log "Sluice: also set: $SLUICE_SETTINGS, every delivery route to smtp://127.0.0.1:$sink_port, spool DURABLE"
    start_sluice "$WORK/sluice.log"
    grep -h "TLS certificate\|SMTP listening\|sluice started" "$WORK/sluice.log" | sed 's/^/    /' >&2 || true
    log "Postfix on 127.0.0.1:$PF_PORT (master $PF_MASTER), Sluice on 127.0.0.1:$SLUICE_PORT (pid $SLUICE_PID), sink on $sink_port"

    tls_run postfix-warmup postfix "$PF_PORT" "$WARMUP" 0 0 1
    tls_run postfix-warmup-one postfix "$PF_PORT" "$WARMUP_ONE" 0 1 1
    tls_run sluice-warmup sluice "$SLUICE_PORT" "$WARMUP" 0 0 1
    tls_run sluice-warmup-one sluice "$SLUICE_PORT" "$WARMUP_ONE" 0 1 1
    for ((rep = 1; rep <= N; rep++)); do
        for shape in long one; do
            if [[ $shape == long ]]; then per=0 count=$MESSAGES; else per=1 count=$ONE_PER_CONNECTION; fi
            for tls in 0 1; do
                local what
                what=$([[ $tls == 1 ]] && echo starttls || echo clear)
                tls_run "postfix-$shape-$what-$rep" postfix "$PF_PORT" "$count" "$CLIENT_WARMUP" "$per" "$tls"
                tls_run "sluice-$shape-$what-$rep" sluice "$SLUICE_PORT" "$count" "$CLIENT_WARMUP" "$per" "$tls"
            done
        done
    done
    stop_sluice
    cp -f "$WORK/sluice.log" "$RAW/" 2>/dev/null || true
    gzip -c "$PF_LOG" > "$RAW/postfix-maillog.gz" 2>/dev/null || true
    stop_postfix
    report_tls
}

main_tls "$@"
