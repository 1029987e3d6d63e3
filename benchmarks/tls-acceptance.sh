#!/usr/bin/env bash
# Acceptance over TLS beside clear text (issue 13): the Sluice daemon with a certificate made for the run, driven by
# the JDK AcceptanceLoadClient four times: clear text and STARTTLS, each with many messages per connection (the
# handshake amortised) and with one message per connection (a handshake per message, as many MTAs send).
#
#   benchmarks/tls-acceptance.sh                   # builds nothing: run `mvn -B -q -DskipTests package` first
#   MESSAGES=10000 WARMUP=20000 ONE_PER_CONNECTION=2000 WARMUP_ONE=500 SESSIONS=20 benchmarks/tls-acceptance.sh
#
# Each client run warms up (unmeasured) before it measures: the JIT compiles the TLS path of both JVMs then.
#
# Limits opened, and printed: one client address and one sender domain would meet admission's per-source buckets
# long before the SMTP and TLS path is measured, so the admission rates and bursts are raised for this run (as the
# acceptance benchmark does). Everything else, TLS included, is at its shipped defaults (smtp.tls.mode=offer).
# Writes RESULTS_DIR/tls-acceptance.{json,txt} (default benchmarks/results/<date>-<host>/).
set -euo pipefail
export LC_ALL=C
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
MESSAGES=${MESSAGES:-10000}
WARMUP=${WARMUP:-20000}
ONE_PER_CONNECTION=${ONE_PER_CONNECTION:-2000}
WARMUP_ONE=${WARMUP_ONE:-500}
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-4096}
RESULTS_DIR=${RESULTS_DIR:-$REPO_ROOT/benchmarks/results/$(date -u +%Y-%m-%d)-$(hostname -s)}
DAEMON=$REPO_ROOT/appliance-daemon/target
CLIENT_JAR=$REPO_ROOT/benchmarks/target/benchmarks.jar
[[ -f $DAEMON/sluice-daemon.jar && -f $CLIENT_JAR ]] || { echo "build first: mvn -B -q -DskipTests package" >&2; exit 1; }

WORK=$(mktemp -d "${WORK_BASE:-/var/tmp}/sluice-tls-bench.XXXXXX")
PID=""
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=bench.sluice.test \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
settings=(--set "spool.directory=$WORK/spool" --set smtp.listen=127.0.0.1:0 --set relay.domains=bench.example
    --set relay.trustedNetworks= --set jmx.enabled=false --set metrics.listen=
    --set "smtp.tls.certificate=$WORK/cert.pem" --set "smtp.tls.key=$WORK/key.pem")
opened=()
for key in $(grep -oE '^admission\.(class\.[a-z]+\.)?(ip|network|senderDomain|tenant|global)\.[A-Za-z]*(PerSecond|Burst|burst)=' \
    "$REPO_ROOT/appliance-daemon/src/main/resources/sluice-default.properties" | tr -d '='); do
    settings+=(--set "$key=1000000"); opened+=("$key=1000000")
done
for key in admission.backlog.highWatermark=1000000000 admission.backlog.lowWatermark=900000000 \
    admission.backlog.hardLimit=2000000000 admission.maxProjectedDelayMs=0 containment.exemptTenants=default; do
    settings+=(--set "$key"); opened+=("$key")
done
echo "limits opened for this run: ${opened[*]}" >&2
(cd "$WORK" && exec java "@$DAEMON/jvm.options" -jar "$DAEMON/sluice-daemon.jar" "${settings[@]}" > "$WORK/daemon.log" 2>&1) &
PID=$!
PORT=""
for ((i = 0; i < 240; i++)); do
    [[ -n $PORT ]] && break
    PORT=$(sed -n 's/.*sluice started:.*SMTP on [^;]*:\([0-9][0-9]*\);.*/\1/p' "$WORK/daemon.log" | head -1 || true)
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/daemon.log" >&2; exit 1; }
    [[ -n $PORT ]] || sleep 0.25
done
[[ -n $PORT ]] || { echo "the daemon did not start" >&2; exit 1; }

client() { java -cp "$CLIENT_JAR" io.sluice.benchmarks.smtp.AcceptanceLoadClient --server "127.0.0.1:$PORT" \
    --sessions "$SESSIONS" --size "$SIZE" --to rcpt@bench.example "$@"; }
mkdir -p "$RESULTS_DIR"
{
    echo "{\"commit\":\"$(git -C "$REPO_ROOT" rev-parse --short HEAD)$(git -C "$REPO_ROOT" diff --quiet || echo -dirty)\","
    echo "\"machine\":\"$(hostname -s), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), load before $(cut -d' ' -f1-3 /proc/loadavg)\","
    echo "\"java\":\"$(java -version 2>&1 | head -1 | tr -d '"')\",\"limitsOpened\":\"${opened[*]}\",\"runs\":["
    echo "$(client --messages "$MESSAGES" --warmup "$WARMUP"),"
    echo "$(client --messages "$MESSAGES" --warmup "$WARMUP" --tls),"
    echo "$(client --messages "$ONE_PER_CONNECTION" --warmup "$WARMUP_ONE" --per-connection 1),"
    echo "$(client --messages "$ONE_PER_CONNECTION" --warmup "$WARMUP_ONE" --per-connection 1 --tls)"
    echo "],\"loadAfter\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
} > "$RESULTS_DIR/tls-acceptance.json"
grep -h "TLS certificate\|SMTP listening" "$WORK/daemon.log" >&2 || true
cat "$RESULTS_DIR/tls-acceptance.json"
