#!/usr/bin/env bash
# Sluice beside stock Postfix on the same machine, the same client and the same upstream (issue 21's third target):
# the rate each accepts at and the CPU each spends per message, in two modes, interleaved Postfix, Sluice, Postfix ...
#
#   hold:    each keeps what it accepts (Sluice: the default route paused; Postfix: a second smtpd listener whose
#            end-of-data restriction is `check_client_access static:HOLD`, so every message goes to the hold queue);
#            then the held backlog is released (Sluice: route resumed; Postfix: postsuper -H ALL, postqueue -f) and
#            its delivery to the sink is measured as "release".
#   deliver: each relays while it accepts. The rate is the client's; the CPU window runs on until the sink has
#            every message, so its CPU per message is accepting and delivering together.
#
# Rate = messages / the client's wall time. CPU = user+system of the server's processes (Sluice: the daemon's
# threads; Postfix: master, its live children, and the children it has reaped) over the window, per message.
#
# Equal terms: the client is Postfix's smtp-source -s SESSIONS -l MESSAGE_BYTES (one TCP connection per message,
# as it does by default) for both; one upstream (the benchmarks' PacedSink, paced far above what either sends) for
# both; both up the whole time, each warmed up first; each measured run starts with both queues empty. Postfix is
# stock apart from what a private instance needs (acceptance-vs-postfix.sh's start_postfix) and the hold listener.
# Sluice runs its shipped defaults, logging included, except the limits that must be opened to take every message
# from ONE source, printed at the start and written into the results (cpu-per-message.sh's opened_limits). Durability
# as shipped: Sluice answers 250 after the msync of its journal page (group commit), Postfix after fsync of the queue
# file.
#
#   benchmarks/cpu-vs-postfix.sh                            # N=10000 a run, ROUNDS=3
#   N=1000 WARMUP=4000 PF_WARMUP=500 ROUNDS=1 benchmarks/cpu-vs-postfix.sh   # a quick try of the script itself
#
# Environment: N (10000), ROUNDS (3), WARMUP (Sluice's, 40000: accepted and delivered, unmeasured), PF_WARMUP
# (2000), SESSIONS (20), MESSAGE_BYTES (4096), RESULTS_DIR, SLUICE_BUILD (1), SLUICE_DIST (another build, as in
# cpu-per-message.sh), WORK_BASE, NOTE. Root is needed (Postfix's master). Results: cpu-vs-postfix.{txt,json}.
set -euo pipefail
export LC_ALL=C
VS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=benchmarks/cpu-per-message.sh
source "$VS_DIR/cpu-per-message.sh"

PF_WARMUP=${PF_WARMUP:-2000}
CLIENT=smtp-source
RAW="$RESULTS_DIR/raw/cpu-vs-postfix"
declare -A RATE=() CPU=()
VS_RUNS=()

server_ticks() { # system
    if [[ $1 == sluice ]]; then proc_ticks "$SLUICE_PID"; else tree_ticks "$PF_MASTER"; fi
}

# Releases what the system holds; returns once the sink has everything sent so far.
release() { # system
    if [[ $1 == sluice ]]; then
        sluice_cli drain resume --route default
    else
        postsuper -c "$PF_CONF" -H ALL > /dev/null 2>&1
        postqueue -c "$PF_CONF" -f
    fi
    wait_sink
}

# One measured window: the client sends N (unless mode is release), then the sink must have every message.
window() { # label system mode(hold|release|deliver)
    local label=$1 system=$2 mode=$3 c0 c1 w0 wc w1 load port us rate=null
    load=$(cut -d' ' -f1 /proc/loadavg)
    port=$SLUICE_PORT
    [[ $system == postfix ]] && port=$PF_PORT
    [[ $system.$mode == postfix.hold ]] && port=$PF_HOLD_PORT
    c0=$(server_ticks "$system") w0=$(now_ns)
    if [[ $mode == release ]]; then
        release "$system"
        wc=$(now_ns)
    else
        send "$label" "$N" "$port"
        wc=$(now_ns)
        [[ $mode == deliver ]] && wait_sink
        rate=$(calc1 "$N * 1e9 / ($wc - $w0)")
        RATE[$system.$mode]+="$rate "
    fi
    w1=$(now_ns) c1=$(server_ticks "$system")
    us=$(calc1 "1e6 * ($c1 - $c0) / $CLK_TCK / $N")
    CPU[$system.$mode]+="$us "
    VS_RUNS+=("$(printf '{"label":"%s","system":"%s","mode":"%s","messages":%d,"clientSeconds":%s,"windowSeconds":%s,"msgsPerSecond":%s,"serverCpuSeconds":%s,"usPerMessage":%s,"loadAverage1mAtStart":%s}' \
        "$label" "$system" "$mode" "$N" "$(calc "($wc - $w0) / 1e9")" "$(calc "($w1 - $w0) / 1e9")" "$rate" \
        "$(calc "($c1 - $c0) / $CLK_TCK")" "$us" "$load")")
    log "$label: $system $mode, $N messages, ${rate/null/-} msgs/s, server CPU $us us/message (load $load)"
}

# Postfix's hold listener: a second smtpd whose end-of-data restriction puts every message on hold (access(5) HOLD).
add_postfix_hold_listener() {
    PF_HOLD_PORT=$(free_port)
    echo "127.0.0.1:$PF_HOLD_PORT inet n - n - - smtpd -o smtpd_end_of_data_restrictions=check_client_access,static:HOLD" \
        >> "$PF_CONF/master.cf"
    postfix -c "$PF_CONF" reload > /dev/null 2>&1 || die "postfix reload with the hold listener failed"
    wait_smtp "$PF_HOLD_PORT" 30 "Postfix's hold listener"
}

report_vs() {
    local txt="$RESULTS_DIR/cpu-vs-postfix.txt" json="$RESULTS_DIR/cpu-vs-postfix.json" mode system
    {
        echo "Sluice beside Postfix $PF_VERSION ($(date -u +%Y-%m-%dT%H:%MZ), $HOST, git $(git -C "$REPO_ROOT" rev-parse --short HEAD)," \
            "$(git -C "$REPO_ROOT" status --porcelain -- appliance-daemon spool-core | wc -l) uncommitted source paths)"
        echo "Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $NCPU CPUs; $(java -version 2>&1 | head -1)"
        echo "Client smtp-source -s $SESSIONS -l $MESSAGE_BYTES (one connection per message), $N messages a run, $ROUNDS rounds," \
            "interleaved Postfix, Sluice; one PacedSink upstream for both; warm-up Sluice $WARMUP, Postfix $PF_WARMUP."
        echo "hold: each keeps what it accepts; release: that backlog delivered; deliver: relaying while accepting (CPU until the sink has all)."
        echo "Sluice opened from the shipped defaults (everything else shipped, logging included): ${OPENED[*]}"
        echo "Postfix: stock, private instance; hold listener: smtpd_end_of_data_restrictions=check_client_access static:HOLD."
        echo "Load average before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg)."
        [[ -n $NOTE ]] && echo "Note: $NOTE"
        [[ -n ${SLUICE_DIST:-} ]] && echo "Sluice measured: the build in $SLUICE_DIST (jar built $JAR_BUILT), not this commit's target/."
        echo
        printf '%-8s %-8s %12s %16s %14s %16s\n' mode system "msgs/s" "min-max" "CPU us/msg" "min-max"
        for mode in hold release deliver; do
            for system in postfix sluice; do
                printf '%-8s %-8s %12s %16s %14s %16s\n' "$mode" "$system" "$(median <<< "${RATE[$system.$mode]:-}" | sed "s/null/-/")" \
                    "$(spread <<< "${RATE[$system.$mode]:-}")" "$(median <<< "${CPU[$system.$mode]}")" \
                    "$(spread <<< "${CPU[$system.$mode]}")"
            done
        done
        echo
        for mode in hold deliver; do
            echo "$mode: Sluice/Postfix rate $(calc1 "$(median <<< "${RATE[sluice.$mode]}") / $(median <<< "${RATE[postfix.$mode]}")")x," \
                "Postfix/Sluice CPU per message $(calc1 "$(median <<< "${CPU[postfix.$mode]}") / $(median <<< "${CPU[sluice.$mode]}")")x"
        done
    } > "$txt"
    {
        echo "{"
        echo "  \"benchmark\": \"cpu-vs-postfix\", \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"host\": \"$HOST\","
        echo "  \"commit\": \"$(git -C "$REPO_ROOT" rev-parse HEAD)\", \"postfix\": \"$PF_VERSION\", \"sessions\": $SESSIONS,"
        echo "  \"messageBytes\": $MESSAGE_BYTES, \"messagesPerRun\": $N, \"rounds\": $ROUNDS, \"sluiceWarmup\": $WARMUP,"
        echo "  \"postfixWarmup\": $PF_WARMUP, \"opened\": \"${OPENED[*]}\", \"loadAverageBefore\": \"$LOAD_BEFORE\", \"note\": \"$NOTE\","
        echo "  \"runs\": ["
        printf '    %s,\n' "${VS_RUNS[@]}" | sed '$ s/,$//'
        echo "  ]"
        echo "}"
    } > "$json"
    cat "$txt"
}

main_vs() {
    begin_run
    mkdir -p "$RAW"
    use_sluice_dist
    opened_limits
    log "Sluice opened from the shipped defaults to take $N messages from one source: ${OPENED[*]}"
    start_fast_sink
    SHARED_SINK_PORT=$SLUICE_SINK_PORT start_postfix
    add_postfix_hold_listener
    SLUICE_FLOW_CONTROL=defaults SLUICE_SETTINGS="${OPENED[*]}" start_sluice "$WORK/sluice.log"
    log "Sluice pid $SLUICE_PID on $SLUICE_PORT, Postfix on $PF_PORT (hold $PF_HOLD_PORT), sink on $SLUICE_SINK_PORT"
    send postfix-warmup "$PF_WARMUP" "$PF_PORT"
    wait_sink
    send sluice-warmup "$WARMUP"
    wait_sink
    local i system
    for ((i = 1; i <= ROUNDS; i++)); do
        for system in postfix sluice; do
            [[ $system == sluice ]] && sluice_cli drain pause --route default
            window "round-$i-$system-hold" "$system" hold
            window "round-$i-$system-release" "$system" release
        done
        for system in postfix sluice; do
            window "round-$i-$system-deliver" "$system" deliver
        done
    done
    local deferred
    deferred=$(grep -cE 'status=(deferred|bounced)|reject:' "$PF_LOG" || true)
    ((deferred == 0)) || die "Postfix deferred, bounced or rejected $deferred messages: see $PF_LOG"
    stop_sluice
    stop_postfix
    cp -f "$WORK/sluice.log" "$RAW/"
    write_machine_txt
    report_vs
}

main_vs "$@"
