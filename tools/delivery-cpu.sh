#!/usr/bin/env bash
# Delivery CPU per message: the daemon (built jar, its own jvm.options) drains a backlog to Postfix's smtp-sink on
# loopback with the default route limited to RATE msgs/s, and the daemon's CPU time is divided by the messages
# delivered over a window in which the drain does nothing else (the backlog was taken in before the window opens).
#
#   mvn -B -q -DskipTests package && tools/delivery-cpu.sh   # 20000 messages of 4 KiB at 200/s, 60 s settle, 25 s window
#   PROFILE=1 JFR_OUT=/tmp/d.jfr tools/delivery-cpu.sh      # and a JFR recording of the window
#   TARGET=/other/checkout/appliance-daemon/target tools/delivery-cpu.sh   # another build, for a before/after
#   PERF=1 PERF_OUT=/tmp/d.perf tools/delivery-cpu.sh   # perf record of the window (kernel time: wake-ups, syscalls)
#
# Needs smtp-source and smtp-sink (Debian's postfix package) and root for smtp-sink -u. Prints CPU ms per message,
# the daemon's CPU by thread over the window, and with PROFILE=1 the hottest frames of the JFR execution samples.
set -euo pipefail

RATE=${RATE:-200}
SIZE=${SIZE:-4096}
WINDOW=${WINDOW:-25}
# At a few hundred messages a second the JIT is still compiling a minute in: settle past it before measuring.
SETTLE=${SETTLE:-60}
MESSAGES=${MESSAGES:-$(((SETTLE + WINDOW + 15) * RATE))}
PROFILE=${PROFILE:-0}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${TARGET:-$ROOT/appliance-daemon/target}
WORK=$(mktemp -d /tmp/sluice-delivery-cpu.XXXXXX)
CLK_TCK=$(getconf CLK_TCK)
SINK_PID="" DAEMON_PID=""

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
cleanup() {
    [[ -n $DAEMON_PID ]] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null || true
    [[ -n $SINK_PID ]] && kill -TERM "$SINK_PID" 2>/dev/null || true
    [[ ${KEEP:-0} == 1 ]] && log "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

[[ -f $TARGET/sluice-daemon.jar && -f $TARGET/jvm.options ]] || die "build first: mvn -B -q -DskipTests package"
for tool in smtp-source smtp-sink java; do command -v "$tool" >/dev/null || die "$tool is missing"; done

free_port() {
    local port i
    for ((i = 0; i < 200; i++)); do
        port=$((20000 + RANDOM % 40000))
        (exec 3<> "/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
    done
    die "no free loopback port"
}
# utime+stime of one process in clock ticks; field 2 may hold spaces, so cut at ") ".
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
thread_ticks() {
    local task
    for task in /proc/"$1"/task/*; do
        printf '%s %s\n' "$(sed -E 's/[0-9]+$/N/; s/ /_/g' "$task/comm" 2>/dev/null)" \
            "$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$task/stat" 2>/dev/null || echo 0)"
    done | awk '{ t[$1] += $2 } END { for (k in t) print k, t[k] }' | sort
}
delivered() { grep -c 'status=delivered' "$WORK/daemon.log" || true; }

SINK_PORT=$(free_port)
smtp-sink -u postfix "127.0.0.1:$SINK_PORT" 256 > "$WORK/sink.log" 2>&1 &
SINK_PID=$!
if [[ $PROFILE == 1 ]]; then
    # Recording starts later, over the measured window only (jcmd JFR.start), so start-up and intake stay out of it.
    command -v jcmd >/dev/null && command -v jfr >/dev/null || die "PROFILE=1 needs jcmd and jfr"
fi
SETTINGS=(--set "spool.directory=$WORK/spool" --set smtp.listen=127.0.0.1:0 --set relay.domains=bench.example
    --set relay.trustedNetworks= --set "jmx.port=$(free_port)" --set containment.exemptTenants=default
    --set admission.maxProjectedDelayMs=0 --set admission.backlog.highWatermark=1000000000
    --set admission.backlog.lowWatermark=900000000 --set admission.backlog.hardLimit=2000000000
    --set "drain.routes=default:$RATE:$RATE,notifications:20:5"
    --set "delivery.route.default.target=smtp://127.0.0.1:$SINK_PORT"
    --set "delivery.route.notifications.target=smtp://127.0.0.1:$SINK_PORT")
for key in $(unzip -p "$TARGET/sluice-daemon.jar" sluice-default.properties \
    | grep -oE '^admission\.(ip|network|senderDomain|tenant|global)\.[A-Za-z]+(PerSecond|Burst|burst)=' | tr -d '='); do
    SETTINGS+=(--set "$key=1000000")
done
# shellcheck disable=SC2086 # SLUICE_JAVA_OPTS is a list of options
java "@$TARGET/jvm.options" ${SLUICE_JAVA_OPTS:-} -jar "$TARGET/sluice-daemon.jar" "${SETTINGS[@]}" > "$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
PORT=""
for ((i = 0; i < 240 && ${#PORT} == 0; i++)); do
    sleep 0.25
    PORT=$(sed -n 's/.*sluice started:.*SMTP on [^;]*:\([0-9][0-9]*\);.*/\1/p' "$WORK/daemon.log" | head -1)
    kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$WORK/daemon.log" >&2; die "the daemon exited"; }
done
[[ -n $PORT ]] || die "the daemon did not start"
log "daemon pid $DAEMON_PID on $PORT, route default -> smtp-sink $SINK_PORT at $RATE msgs/s"

log "intake: $MESSAGES messages of $SIZE bytes"
smtp-source -s 20 -l "$SIZE" -m "$MESSAGES" -d -r 1 -f bench@source.example -t rcpt@bench.example "127.0.0.1:$PORT"
sleep "$SETTLE"
need=$(((WINDOW + SETTLE + 2) * RATE))
((MESSAGES >= need)) || die "MESSAGES=$MESSAGES cannot keep the drain busy for the window: use at least $need"

[[ $PROFILE == 1 ]] && jcmd "$DAEMON_PID" JFR.start name=delivery settings=profile filename="$WORK/delivery.jfr" >/dev/null
t0=$(ticks "$DAEMON_PID") d0=$(delivered) n0=$(date +%s%N)
thread_ticks "$DAEMON_PID" > "$WORK/threads0"
if [[ ${PERF:-0} == 1 ]]; then
    # Kernel and JVM-native time too (wake-ups, syscalls), which JFR's Java samples cannot see.
    perf record -q -F 499 -g -p "$DAEMON_PID" -o "${PERF_OUT:-/tmp/delivery.perf}" -- sleep "$WINDOW" 2>/dev/null
else
    sleep "$WINDOW"
fi
t1=$(ticks "$DAEMON_PID") d1=$(delivered) n1=$(date +%s%N)
thread_ticks "$DAEMON_PID" > "$WORK/threads1"
[[ $PROFILE == 1 ]] && jcmd "$DAEMON_PID" JFR.stop name=delivery >/dev/null

seconds=$(awk -v a="$n0" -v b="$n1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
count=$((d1 - d0))
((count > 0)) || die "nothing delivered in the window"
echo "delivered $count in ${seconds}s ($(awk -v c=$count -v s="$seconds" 'BEGIN { printf "%.1f", c / s }') msgs/s," \
    "route rate $RATE); daemon CPU $(awk -v t=$((t1 - t0)) -v k="$CLK_TCK" 'BEGIN { printf "%.2f", t / k }')s" \
    "= $(awk -v t=$((t1 - t0)) -v k="$CLK_TCK" -v c=$count 'BEGIN { printf "%.3f", 1000 * t / k / c }') ms CPU per message"
echo "daemon CPU by thread over the window (seconds):"
join -a 2 -e 0 -o 0,1.2,2.2 "$WORK/threads0" "$WORK/threads1" \
    | awk -v k="$CLK_TCK" '$3 - $2 > 0 { printf "  %7.2f  %s\n", ($3 - $2) / k, $1 }' | sort -rn
if [[ $PROFILE == 1 ]]; then
    echo "JFR execution samples, top frames (leaf):"
    jfr print --events jdk.ExecutionSample --stack-depth 1 "$WORK/delivery.jfr" \
        | grep -A1 'stackTrace = \[' | grep -vE 'stackTrace|^--' | sed -E 's/line:.*//; s/^ +//' \
        | sort | uniq -c | sort -rn | head -25
    echo "JFR execution samples, nearest io.sluice frame:"
    jfr print --events jdk.ExecutionSample --stack-depth 64 "$WORK/delivery.jfr" \
        | awk '/stackTrace = \[/ { s = 1; f = ""; next } s && /io\.sluice\./ && f == "" { f = $0 }
               s && /^\s*\]/ { print (f == "" ? "(no io.sluice frame)" : f); s = 0 }' \
        | sed -E 's/line:.*//; s/^ +//' | sort | uniq -c | sort -rn | head -25
    cp "$WORK/delivery.jfr" "${JFR_OUT:-/tmp/delivery.jfr}"
    echo "recording: ${JFR_OUT:-/tmp/delivery.jfr}"
fi
