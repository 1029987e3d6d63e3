#!/usr/bin/env bash
# SMTP acceptance benchmark (issue 3): Sluice against a local Postfix, side by side in one run, driven by the
# same real external client (Postfix's smtp-source; optionally also the JDK AcceptanceLoadClient).
#
#   benchmarks/acceptance-vs-postfix.sh              # full run (a few minutes)
#   QUICK=1 benchmarks/acceptance-vs-postfix.sh      # quick run (about two minutes)
#
# What it does, and what it never does:
# * installs Debian's postfix if smtp-source/postfix are missing (debconf "No configuration": nothing starts,
#   no main.cf is written); as root only.
# * runs its OWN Postfix instance (postfix -c TMP/etc: own config, queue and data directories in a temp folder,
#   listening on a free loopback port, relaying the benchmark domain to a local smtp-sink on another free port,
#   so accepted mail really flows). It never reads or writes /etc/postfix/main.cf, never starts the machine's
#   own Postfix, and stops its instance through its own config dir and master pid file. /etc/postfix is
#   fingerprinted before and after the run and the result says whether it is unchanged.
# * starts the Sluice daemon (a private copy of the built jars, spool in a temp dir on a real disk, DURABLE,
#   admission limits raised so the client is not rate-limited) and stops it by its PID.
# * measures wall time per run, checks that every message was really accepted (Postfix: its own log and the
#   sink's counter; Sluice: the client's exit status/250 count, then a restart of the daemon on the same spool
#   must recover exactly the number of messages sent), and only then reports a rate.
# * writes benchmarks/results/<date>-<host>/acceptance.{json,txt} and machine.txt (quick mode: *-quick.*),
#   raw logs under .../raw/ (git-ignored).
#
# Settings (environment):
#   QUICK=1                 quick profile (smaller counts, one repetition)
#   SLUICE_MESSAGES=N       measured messages per Sluice run            (20000; quick 10000)
#   POSTFIX_MESSAGES=N      measured messages per Postfix run           (10000; quick 2000)
#   SLUICE_WARMUP=N         unmeasured warm-up messages (JIT)           (40000; quick 40000)
#   POSTFIX_WARMUP=N        unmeasured warm-up messages                 (1000;  quick 500)
#   REPEATS=N               measured runs per system and client; the median is reported (3; quick 1)
#   SESSIONS=20 MESSAGE_BYTES=4096 DOMAIN=bench.example SENDER=bench@source.example
#   JAVA_CLIENT=1           also measure with io.sluice.benchmarks.smtp.AcceptanceLoadClient (pipelining) (1)
#   SLUICE_BUILD=1          build with `mvn -B -q -DskipTests package` first; 0 = reuse the jars in target/ (1)
#   SLUICE_JFR=1            after the measured runs, one extra Sluice run under JFR (settings=profile), with a
#                           hot-method summary in sluice-profile.txt (the measured figures never run under JFR) (0)
#   SLUICE_SETTINGS="k=v k=v"  extra daemon settings;  SLUICE_JAVA_OPTS="..." extra JVM options
#   WAIT_FOR_IDLE=S         before each measured run, wait up to S seconds until the machine is quiet (busy under
#                           IDLE_BUSY_PERCENT=25 % of all CPUs over one second); the run goes ahead anyway after S (120)
#   WORK_BASE=/var/tmp      where the temp folder (spools, Postfix instance) goes; must not be tmpfs
#   RESULTS_DIR=...         override the results folder;  KEEP_WORK=1 keeps the temp folder
set -euo pipefail
export LC_ALL=C

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
    MODE=quick
    SLUICE_MESSAGES=${SLUICE_MESSAGES:-10000}
    POSTFIX_MESSAGES=${POSTFIX_MESSAGES:-2000}
    # Sluice's JIT is still compiling after 20,000 messages: a shorter warm-up measures the compiler.
    SLUICE_WARMUP=${SLUICE_WARMUP:-40000}
    POSTFIX_WARMUP=${POSTFIX_WARMUP:-500}
    REPEATS=${REPEATS:-1}
else
    MODE=full
    SLUICE_MESSAGES=${SLUICE_MESSAGES:-20000}
    POSTFIX_MESSAGES=${POSTFIX_MESSAGES:-10000}
    SLUICE_WARMUP=${SLUICE_WARMUP:-40000}
    POSTFIX_WARMUP=${POSTFIX_WARMUP:-1000}
    REPEATS=${REPEATS:-3}
fi
SESSIONS=${SESSIONS:-20}
MESSAGE_BYTES=${MESSAGE_BYTES:-4096}
DOMAIN=${DOMAIN:-bench.example}
SENDER=${SENDER:-bench@source.example}
RECIPIENT="rcpt@$DOMAIN"
JAVA_CLIENT=${JAVA_CLIENT:-1}
SLUICE_BUILD=${SLUICE_BUILD:-1}
SLUICE_JFR=${SLUICE_JFR:-0}
SLUICE_SETTINGS=${SLUICE_SETTINGS:-}
SLUICE_JAVA_OPTS=${SLUICE_JAVA_OPTS:-}
WORK_BASE=${WORK_BASE:-/var/tmp}
KEEP_WORK=${KEEP_WORK:-0}
# Messages each Java client run sends unmeasured first, to warm up its own JIT.
JAVA_CLIENT_WARMUP=${JAVA_CLIENT_WARMUP:-2000}
WAIT_FOR_IDLE=${WAIT_FOR_IDLE:-120}
IDLE_BUSY_PERCENT=${IDLE_BUSY_PERCENT:-25}

HOST=$(hostname -s 2>/dev/null || hostname)
STAMP=$(date +%Y-%m-%d)
RESULTS_DIR=${RESULTS_DIR:-$REPO_ROOT/benchmarks/results/$STAMP-$HOST}
SUFFIX=$([[ $MODE == quick ]] && echo "-quick" || echo "")
RAW="$RESULTS_DIR/raw/acceptance$SUFFIX"
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

log() { printf '%s [acceptance] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
set -E
trap 'log "FAILED: command at line $LINENO exited with status $?: $BASH_COMMAND"' ERR

# ---------------------------------------------------------------------------------------------------------
# Cleanup: everything this script started, by its own pid or config dir; nothing else.
WORK=""
PF_CONF="" PF_QUEUE="" PF_STARTED=0
SINK_PID="" SLUICE_PID=""
ETC_POSTFIX_BEFORE=""

stop_pid() { # pid, seconds to wait after TERM before KILL
    local pid=$1 grace=${2:-30} i
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    log "pid $pid did not stop in ${grace}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
}

stop_postfix() {
    [[ $PF_STARTED == 1 ]] || return 0
    local master=""
    [[ -r $PF_QUEUE/pid/master.pid ]] && master=$(tr -d ' \n' < "$PF_QUEUE/pid/master.pid")
    timeout 30 postfix -c "$PF_CONF" stop >/dev/null 2>&1 || log "postfix -c $PF_CONF stop did not finish; stopping its master"
    if [[ -n $master ]] && kill -0 "$master" 2>/dev/null; then
        # Still up after "postfix stop": TERM the instance's own master (from its own pid file); it stops its children.
        stop_pid "$master" 20
    fi
    PF_STARTED=0
}

etc_postfix_fingerprint() {
    if [[ -d /etc/postfix ]]; then
        find /etc/postfix -xdev \( -type f -o -type l \) -printf '%p %s %m %T@\n' 2>/dev/null | sort | md5sum | cut -d' ' -f1
    else
        echo absent
    fi
}

cleanup() {
    local rc=$?
    set +e
    [[ -n $SLUICE_PID ]] && stop_pid "$SLUICE_PID" 30
    stop_postfix
    [[ -n $SINK_PID ]] && stop_pid "$SINK_PID" 5
    [[ -n $SLUICE_SINK_PID ]] && stop_pid "$SLUICE_SINK_PID" 5
    if [[ -n $ETC_POSTFIX_BEFORE && $(etc_postfix_fingerprint) != "$ETC_POSTFIX_BEFORE" ]]; then
        log "WARNING: /etc/postfix changed during the run (this script does not write there; another process did?)"
    fi
    if [[ -n $WORK && -d $WORK ]]; then
        if [[ $KEEP_WORK == 1 || $rc != 0 ]]; then
            # Logs of a failed run are copied to raw/ first; the spools are left for inspection only with KEEP_WORK=1.
            [[ -d $RAW ]] && cp -f "$WORK"/*.log "$WORK"/postfix/maillog "$RAW"/ 2>/dev/null
        fi
        if [[ $KEEP_WORK == 1 ]]; then
            log "work folder kept: $WORK"
        else
            rm -rf "$WORK"
        fi
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------------------
# Small helpers: CPU accounting from /proc, free ports, listeners, arithmetic.

# utime+stime+cutime+cstime of one process, in clock ticks (0 if gone). Field 2 may hold spaces: cut at ") ".
proc_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' <<< "$stat"
}

# A process and its live children: a child that exits in between moves into the parent's cutime, so deltas hold.
tree_ticks() {
    local pid=$1 total child
    total=$(proc_ticks "$pid")
    for child in $(pgrep -P "$pid" 2>/dev/null || true); do
        total=$((total + $(proc_ticks "$child")))
    done
    echo "$total"
}

# Busy ticks of the whole machine (user nice system irq softirq steal), all CPUs.
machine_busy_ticks() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

now_ns() { date +%s%N; }

# Other engineers' builds share this machine: give them a chance to finish before a measured run.
wait_for_idle() {
    local waited=0 b0 b1 busy
    while :; do
        b0=$(machine_busy_ticks)
        sleep 1
        b1=$(machine_busy_ticks)
        busy=$(((b1 - b0) * 100 / (CLK_TCK * NCPU)))
        ((busy < IDLE_BUSY_PERCENT)) && break
        if ((waited >= WAIT_FOR_IDLE)); then
            log "machine still ${busy}% busy after ${waited}s of waiting; measuring anyway (see otherProcessesCpu in the JSON)"
            break
        fi
        ((waited == 0)) && log "machine ${busy}% busy with other processes; waiting up to ${WAIT_FOR_IDLE}s for it to quieten"
        waited=$((waited + 2))
        sleep 1
    done
}
calc() { awk "BEGIN { printf \"%.3f\", $* }"; }
calc1() { awk "BEGIN { printf \"%.1f\", $* }"; }

free_port() {
    local port i
    for ((i = 0; i < 200; i++)); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<> "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "no free loopback port found"
}

# Waits until host:port answers with an SMTP 220 greeting.
wait_smtp() {
    local port=$1 seconds=$2 what=$3 line i
    for ((i = 0; i < seconds * 4; i++)); do
        if { exec 3<> "/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
            line=""
            read -r -t 5 line <&3 || true
            printf 'QUIT\r\n' >&3 2>/dev/null || true
            exec 3<&- 3>&-
            [[ $line == 220* ]] && return 0
        fi
        sleep 0.25
    done
    die "$what did not greet on 127.0.0.1:$port within ${seconds}s"
}

median() { tr ' ' '\n' | { grep -v '^$' || true; } | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "null" } else if (NR % 2) { print v[(NR + 1) / 2] } else { printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'; }

# ---------------------------------------------------------------------------------------------------------
# Preflight: tools, Postfix package, Sluice jars, a real disk.

install_postfix() {
    [[ $(id -u) == 0 ]] || die "postfix (smtp-source, smtp-sink) is missing and installing it needs root"
    command -v apt-get >/dev/null || die "postfix is missing and there is no apt-get to install it"
    log "installing Debian's postfix (debconf: No configuration; no service is configured or started)"
    printf '%s\n' 'postfix postfix/main_mailer_type select No configuration' \
        'postfix postfix/mailname string localhost.invalid' | debconf-set-selections
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
}

install_time() {
    [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null || die "GNU time (/usr/bin/time) is missing"
    log "installing Debian's time (GNU time, for the clients' CPU time)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
}

preflight() {
    [[ $(id -u) == 0 ]] || die "run as root: Postfix's master and smtp-sink need it (the daemons drop to the postfix user)"
    if ! command -v smtp-source >/dev/null || ! command -v postfix >/dev/null || ! command -v smtp-sink >/dev/null; then
        install_postfix
    fi
    [[ -x /usr/bin/time ]] || install_time
    for tool in smtp-source smtp-sink postfix postconf java javac jar awk pgrep timeout; do
        command -v "$tool" >/dev/null || die "missing tool: $tool"
    done
    id postfix >/dev/null 2>&1 || die "no postfix user (the postfix package creates it)"

    if [[ $SLUICE_BUILD == 1 ]]; then
        log "building Sluice: mvn -B -q -DskipTests package"
        (cd "$REPO_ROOT" && mvn -B -q -DskipTests package) \
            || die "the build failed; SLUICE_BUILD=0 reuses the jars already in appliance-daemon/target"
    fi
    local target=$REPO_ROOT/appliance-daemon/target
    [[ -f $target/sluice-daemon.jar && -f $target/jvm.options && -d $target/lib ]] \
        || die "no built daemon in $target (run with SLUICE_BUILD=1)"

    mkdir -p "$WORK_BASE"
    WORK=$(mktemp -d "$WORK_BASE/sluice-acceptance.XXXXXX")
    chmod 755 "$WORK" # Postfix's unprivileged daemons must reach their queue and data directories below it.
    local fstype
    fstype=$(stat -f -c %T "$WORK")
    case $fstype in
        tmpfs | ramfs) die "$WORK is on $fstype: an msync/fsync costs nothing there; set WORK_BASE to a real disk" ;;
    esac

    # A private copy of the daemon, so a concurrent rebuild of target/ cannot change it under the benchmark.
    mkdir -p "$WORK/sluice-dist"
    cp -r "$target/sluice-daemon.jar" "$target/jvm.options" "$target/lib" "$WORK/sluice-dist/"
    JAR_BUILT=$(date -u -r "$target/sluice-daemon.jar" +%Y-%m-%dT%H:%M:%SZ)

    # The JDK load client from a private copy of the benchmarks jar (it also needs io.sluice.text.Json, so it no
    # longer compiles alone from its source file).
    if [[ $JAVA_CLIENT == 1 ]]; then
        mkdir -p "$WORK/client"
        [[ -f $REPO_ROOT/benchmarks/target/benchmarks.jar ]] || die "no benchmarks/target/benchmarks.jar (run with SLUICE_BUILD=1)"
        cp "$REPO_ROOT/benchmarks/target/benchmarks.jar" "$WORK/client/"
    fi
    rm -rf "$RAW" # raw/ holds this run's logs only
    mkdir -p "$RAW"
}

# ---------------------------------------------------------------------------------------------------------
# Measured runs. Each appends one JSON object to RUNS and its rate to RATES_<system>_<client>.

RUNS=()
DISTURBED=() # measured smtp-source runs during which other processes used over 10% of the machine
declare -A RATES=()
declare -A SERVER_US=()

# run_client LABEL SYSTEM CLIENT PORT MESSAGES SERVER_PID SINK_PID|-  -> M_* globals; dies unless the client succeeded
run_client() {
    local label=$1 system=$2 client=$3 port=$4 messages=$5 server_pid=$6 sink_pid=$7
    local out="$RAW/$label.out" err="$RAW/$label.err" timing="$RAW/$label.time"
    local cmd
    if [[ $client == smtp-source ]]; then
        # -d: several messages per connection; -m: messages in total over all sessions; no pipelining (its limit).
        cmd=(smtp-source -s "$SESSIONS" -l "$MESSAGE_BYTES" -m "$messages" -d -r 1 -f "$SENDER" -t "$RECIPIENT"
            "127.0.0.1:$port")
    else
        cmd=(java -cp "$WORK/client/benchmarks.jar" io.sluice.benchmarks.smtp.AcceptanceLoadClient --server "127.0.0.1:$port"
            --sessions "$SESSIONS" --messages "$messages" --size "$MESSAGE_BYTES" --from "$SENDER" --to "$RECIPIENT"
            --warmup "$JAVA_CLIENT_WARMUP")
    fi
    local server0 sink0=0 busy0 t0 t1 server1 sink1=0 busy1 rc=0
    [[ $label == *warmup* ]] || wait_for_idle
    server0=$(tree_ticks "$server_pid")
    [[ $sink_pid != - ]] && sink0=$(proc_ticks "$sink_pid")
    [[ $system == sluice ]] && thread_ticks "$server_pid" > "$RAW/$label.threads0"
    busy0=$(machine_busy_ticks)
    t0=$(now_ns)
    /usr/bin/time -f '%U %S' -o "$timing" "${cmd[@]}" > "$out" 2> "$err" || rc=$?
    t1=$(now_ns)
    busy1=$(machine_busy_ticks)
    server1=$(tree_ticks "$server_pid")
    [[ $sink_pid != - ]] && sink1=$(proc_ticks "$sink_pid")
    [[ $system == sluice ]] && thread_ticks "$server_pid" > "$RAW/$label.threads1"

    if [[ $rc != 0 ]] || grep -qiE 'fatal|error|refused|not accepted' "$err"; then
        log "$label: client exit status $rc"
        sed 's/^/    /' "$err" | head -20 >&2
        die "$label: the client did not get every message accepted; no rate is reported"
    fi
    M_SECONDS=$(calc "($t1 - $t0) / 1e9")
    M_SERVER_CPU=$(calc "($server1 - $server0) / $CLK_TCK")
    M_SINK_CPU=$(calc "($sink1 - $sink0) / $CLK_TCK")
    M_BUSY_CPU=$(calc "($busy1 - $busy0) / $CLK_TCK")
    M_CLIENT_CPU=$(awk '{ printf "%.3f", $1 + $2 }' "$timing" 2>/dev/null || echo null)
    M_LATENCY=null
    M_CLIENT_SECONDS=$M_SECONDS
    if [[ $client == java ]]; then
        # The JDK client times its measured phase itself (after JVM start and its warm-up) and counts its 250s.
        local json accepted
        json=$(tail -1 "$out")
        accepted=$(sed -n 's/.*"accepted":\([0-9]*\).*/\1/p' <<< "$json")
        [[ $accepted == "$messages" ]] || die "$label: the Java client counted $accepted of $messages accepted"
        M_CLIENT_SECONDS=$(sed -n 's/.*"seconds":\([0-9.]*\).*/\1/p' <<< "$json")
        M_LATENCY=$(sed -n 's/.*"latencyMs":\({[^}]*}\).*/\1/p' <<< "$json")
    fi
}

# record_run LABEL SYSTEM CLIENT MESSAGES ACCEPTED
record_run() {
    local label=$1 system=$2 client=$3 messages=$4 accepted=$5 rate other share server_us
    rate=$(calc1 "$accepted / $M_CLIENT_SECONDS")
    if [[ $client == smtp-source ]]; then
        # Whatever the machine did besides this server, client and sink: other processes' load during the run.
        other=$(calc "$M_BUSY_CPU - $M_SERVER_CPU - $M_CLIENT_CPU - $M_SINK_CPU")
        share=$(calc1 "100 * ($M_BUSY_CPU - $M_SERVER_CPU - $M_CLIENT_CPU - $M_SINK_CPU) / ($M_SECONDS * $NCPU)")
        server_us=$(calc1 "1e6 * $M_SERVER_CPU / $accepted")
        awk "BEGIN { exit !($share > 10) }" && DISTURBED+=("$label ($share%)")
        SERVER_US[$system]+="$server_us "
    else
        # The process window of the JDK client includes its JVM start and warm-up, so no CPU split is claimed.
        other=null share=null server_us=null
    fi
    RATES[$system.$client]+="$rate "
    RUNS+=("$(printf '{"label":"%s","system":"%s","client":"%s","sessions":%d,"messageBytes":%d,"messages":%d,"accepted":%d,"seconds":%s,"msgsPerSecond":%s,"serverCpuSeconds":%s,"serverCpuMicrosPerMessage":%s,"clientCpuSeconds":%s,"sinkCpuSeconds":%s,"machineBusyCpuSeconds":%s,"otherProcessesCpuSeconds":%s,"otherProcessesCpuPercentOfMachine":%s,"latencyMs":%s}' \
        "$label" "$system" "$client" "$SESSIONS" "$MESSAGE_BYTES" "$messages" "$accepted" "$M_CLIENT_SECONDS" "$rate" \
        "$M_SERVER_CPU" "$server_us" "$M_CLIENT_CPU" "$M_SINK_CPU" "$M_BUSY_CPU" "$other" "$share" "$M_LATENCY")")
    if [[ $client == smtp-source ]]; then
        log "$label: $accepted msgs in ${M_CLIENT_SECONDS}s = $rate msgs/s (server CPU $server_us us/msg; other processes used $share% of the machine)"
    else
        log "$label: $accepted msgs in ${M_CLIENT_SECONDS}s = $rate msgs/s (latency ms $M_LATENCY)"
    fi
}

# ---------------------------------------------------------------------------------------------------------
# Postfix: a private instance relaying $DOMAIN to smtp-sink.

PF_LOG="" PF_LOG_OFFSET=0
PF_ACCEPTED_TOTAL=0

start_postfix() {
    local pf=$WORK/postfix sink_port smtp_port
    PF_CONF=$pf/etc PF_QUEUE=$pf/queue PF_LOG=$pf/maillog
    mkdir -p "$PF_CONF" "$PF_QUEUE" "$pf/data"
    chown postfix "$pf/data"
    sink_port=$(free_port)
    smtp_port=$(free_port)
    [[ $sink_port != "$smtp_port" ]] || smtp_port=$(free_port)
    PF_PORT=$smtp_port

    if [[ -n ${SHARED_SINK_PORT:-} ]]; then
        # acceptance-equal-terms.sh: one paced upstream for both systems, started and counted by that script.
        sink_port=$SHARED_SINK_PORT
    else
        # The "upstream": smtp-sink accepts and discards; its -c counter says how many messages reached it.
        smtp-sink -c -u postfix "127.0.0.1:$sink_port" 256 > "$WORK/smtp-sink.log" 2>&1 &
        SINK_PID=$!
        wait_smtp "$sink_port" 10 "smtp-sink"
    fi

    # Stock Postfix apart from what a separate instance needs: its own directories, loopback, no DNS, a log file
    # (there is no syslog here), no chroot (it would need copies of /etc files in the temp queue). Relaying is
    # allowed for $DOMAIN only and mynetworks is empty, so the client is treated like any Internet sender, as it
    # is by Sluice (no trusted networks). Queue files are fsynced per message, as always.
    cat > "$PF_CONF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $pf/data
command_directory = $(postconf -dh command_directory)
daemon_directory = $(postconf -dh daemon_directory)
shlib_directory = $(postconf -dh shlib_directory)
meta_directory = $(postconf -dh meta_directory)
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-acceptance-bench
maillog_file = $PF_LOG
myhostname = postfix-bench.invalid
mydomain = invalid
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks =
relay_domains = $DOMAIN
relayhost = [127.0.0.1]:$sink_port
smtp_dns_support_level = disabled
alias_maps =
alias_database =
local_recipient_maps =
biff = no
EOF
    # A caller's additions (tls-vs-postfix.sh: smtpd_tls_security_level and the run's certificate), printed by it.
    [[ -z ${PF_MAIN_CF_EXTRA:-} ]] || printf '%s\n' "$PF_MAIN_CF_EXTRA" >> "$PF_CONF/main.cf"
    cat > "$PF_CONF/master.cf" <<EOF
127.0.0.1:$smtp_port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
    postfix -c "$PF_CONF" check > "$WORK/postfix-check.log" 2>&1 || { cat "$WORK/postfix-check.log" >&2; die "postfix check failed"; }
    PF_STARTED=1
    postfix -c "$PF_CONF" start > "$WORK/postfix-start.log" 2>&1 \
        || { cat "$WORK/postfix-start.log" "$PF_LOG" >&2 2>/dev/null; die "the private Postfix instance did not start"; }
    PF_MASTER=$(tr -d ' \n' < "$PF_QUEUE/pid/master.pid")
    wait_smtp "$PF_PORT" 30 "Postfix"
    PF_VERSION=$(postconf -c "$PF_CONF" -h mail_version)
    log "Postfix $PF_VERSION instance (master pid $PF_MASTER, config $PF_CONF) on 127.0.0.1:$PF_PORT, relaying to smtp-sink on $sink_port"
}

# Counts in the part of the maillog written since the last call's offset, so the log is never rescanned.
pf_count_since() { # offset pattern
    tail -c +"$(($1 + 1))" "$PF_LOG" 2>/dev/null | grep -cE "$2" || true
}

# Waits until Postfix has logged `expected` new accepted messages (cleanup wrote a queue file) since the
# offset, and all of them have left the queue (delivered to the sink), so each run starts on an empty queue.
pf_settle() { # offset expected -> PF_SETTLED_ACCEPTED
    local offset=$1 expected=$2 accepted removed i
    for ((i = 0; i < 1200; i++)); do
        accepted=$(pf_count_since "$offset" 'cleanup\[[0-9]+\]: [0-9A-Za-z]+: message-id=')
        removed=$(pf_count_since "$offset" 'qmgr\[[0-9]+\]: [0-9A-Za-z]+: removed')
        if ((accepted >= expected && removed >= accepted)); then
            break
        fi
        sleep 0.5
    done
    PF_SETTLED_ACCEPTED=$accepted
    local bad
    bad=$(pf_count_since "$offset" 'status=(deferred|bounced)|reject:|warning: .*(fatal|panic)')
    ((bad == 0)) || { grep -E 'status=(deferred|bounced)|reject:' "$PF_LOG" | tail -5 >&2; die "Postfix deferred, bounced or rejected mail"; }
    ((removed >= accepted)) || die "Postfix still holds $((accepted - removed)) messages after 10 minutes"
}

postfix_phase() {
    start_postfix
    local offset
    offset=$(stat -c %s "$PF_LOG")
    log "Postfix warm-up: $POSTFIX_WARMUP messages (smtp-source)"
    run_client postfix-warmup postfix smtp-source "$PF_PORT" "$POSTFIX_WARMUP" "$PF_MASTER" "$SINK_PID"
    pf_settle "$offset" "$POSTFIX_WARMUP"
    PF_ACCEPTED_TOTAL=$((PF_ACCEPTED_TOTAL + PF_SETTLED_ACCEPTED))
    local clients=(smtp-source) client rep label
    [[ $JAVA_CLIENT == 1 ]] && clients+=(java)
    for client in "${clients[@]}"; do
        for ((rep = 1; rep <= REPEATS; rep++)); do
            label="postfix-$client-$rep"
            offset=$(stat -c %s "$PF_LOG")
            run_client "$label" postfix "$client" "$PF_PORT" "$POSTFIX_MESSAGES" "$PF_MASTER" "$SINK_PID"
            local expected=$POSTFIX_MESSAGES
            [[ $client == java ]] && expected=$((POSTFIX_MESSAGES + JAVA_CLIENT_WARMUP))
            pf_settle "$offset" "$expected"
            ((PF_SETTLED_ACCEPTED == expected)) \
                || die "$label: Postfix logged $PF_SETTLED_ACCEPTED accepted messages, the client sent $expected"
            PF_ACCEPTED_TOTAL=$((PF_ACCEPTED_TOTAL + PF_SETTLED_ACCEPTED))
            record_run "$label" postfix "$client" "$POSTFIX_MESSAGES" "$POSTFIX_MESSAGES"
        done
    done
    # The sink's own counter: every accepted message really flowed through Postfix to the upstream.
    local sunk
    sunk=$(tr '\r' '\n' < "$WORK/smtp-sink.log" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1)
    ((${sunk:-0} == PF_ACCEPTED_TOTAL)) || die "smtp-sink received ${sunk:-0} messages, Postfix accepted $PF_ACCEPTED_TOTAL"
    PF_SUNK=$sunk
    log "Postfix accepted $PF_ACCEPTED_TOTAL messages in all and delivered $PF_SUNK to the sink"
    gzip -c "$PF_LOG" > "$RAW/postfix-maillog.gz" 2>/dev/null || true
    stop_postfix
    stop_pid "$SINK_PID" 5
    SINK_PID=""
}

# ---------------------------------------------------------------------------------------------------------
# Sluice: the daemon on a private spool.

SLUICE_SENT=0

# The settings the daemon copy knows: its own embedded defaults (the daemon refuses unknown keys).
sluice_defaults() {
    local defaults=$WORK/sluice-dist/sluice-default.properties
    if [[ ! -f $defaults ]]; then
        (cd "$WORK/sluice-dist" && jar xf sluice-daemon.jar sluice-default.properties) \
            || cp "$REPO_ROOT/appliance-daemon/src/main/resources/sluice-default.properties" "$defaults"
    fi
    echo "$defaults"
}
has_setting() { grep -q "^$1=" "$(sluice_defaults)"; }

SLUICE_SINK_PORT="" SLUICE_SINK_PID=""

# "Flow control off": what this script has always done, and the second, labelled row of acceptance-equal-terms.sh.
# Backpressure and the projected-delay bound out of the way: this measures acceptance, not admission policy.
# The benchmark's one tenant is exempt from containment, so the measurement never depends on it (before
# containment.surgeWarmupMs its volume rule held the tenant after the warm-up burst and stopped the drain).
# Appends to the caller's `settings` array.
sluice_flow_control_off() {
    local key
    for key in admission.backlog.highWatermark=1000000000 admission.backlog.lowWatermark=900000000 \
        admission.backlog.hardLimit=2000000000 admission.maxProjectedDelayMs=0 containment.exemptTenants=default; do
        has_setting "${key%%=*}" && settings+=(--set "$key")
    done
    # Every per-source/network/sender/tenant/global rate and burst, raised so that the benchmark client (one
    # address, one sender domain) measures the SMTP and spool path, not the token buckets it would otherwise hit.
    for key in $(grep -oE '^admission\.(ip|network|senderDomain|tenant|global)\.[A-Za-z]+(PerSecond|Burst|burst)=' \
        "$(sluice_defaults)" | tr -d '='); do
        settings+=(--set "$key=1000000")
    done
    # The class buckets (clean/unknown/suspect sources) too: the client is an unknown source at first.
    for key in $(grep -oE '^admission\.class\.[a-z]+\.(ip|network)\.[A-Za-z]+(PerSecond|Burst|burst)=' \
        "$(sluice_defaults)" | tr -d '='); do
        settings+=(--set "$key=1000000")
    done
}

start_sluice() { # log file -> SLUICE_PID, SLUICE_PORT
    local logfile=$1 i settings=() key value
    settings+=(--set "spool.directory=$WORK/sluice-spool" --set spool.durability=DURABLE
        --set smtp.listen=127.0.0.1:0 --set "relay.domains=$DOMAIN" --set relay.trustedNetworks=)
    # The metrics endpoint on a free port, so a daemon someone else runs on the default one is no obstacle.
    has_setting metrics.listen && settings+=(--set "metrics.listen=127.0.0.1:$(free_port)")
    if [[ ${SLUICE_FLOW_CONTROL:-off} != defaults ]]; then
        sluice_flow_control_off
    fi
    # JMX (when this build has it) on a free port, so a daemon someone else runs on the default port is no obstacle.
    has_setting jmx.port && settings+=(--set "jmx.port=$(free_port)")
    # Delivery (when this build has it): every route towards an smtp-sink of its own, like Postfix's relayhost.
    if [[ -n $SLUICE_SINK_PORT ]]; then
        for key in $(grep -oE '^delivery\.route\.[^.=]+\.target=' "$(sluice_defaults)" | tr -d '='); do
            settings+=(--set "$key=smtp://127.0.0.1:$SLUICE_SINK_PORT")
        done
    fi
    for key in $SLUICE_SETTINGS; do
        settings+=(--set "$key")
    done
    : > "$logfile" # exists before the background job opens it, so polling it below never races its creation
    # shellcheck disable=SC2086 # SLUICE_JAVA_OPTS is a list of options
    java "@$WORK/sluice-dist/jvm.options" $SLUICE_JAVA_OPTS -jar "$WORK/sluice-dist/sluice-daemon.jar" "${settings[@]}" \
        > "$logfile" 2>&1 &
    SLUICE_PID=$!
    for ((i = 0; i < 240; i++)); do
        SLUICE_PORT=$(sed -n 's/.*sluice started:.*SMTP on [^;]*:\([0-9][0-9]*\);.*/\1/p' "$logfile" 2>/dev/null | head -1 || true)
        [[ -n $SLUICE_PORT ]] && break
        kill -0 "$SLUICE_PID" 2>/dev/null || { cat "$logfile" >&2; die "the Sluice daemon exited during start-up"; }
        sleep 0.25
    done
    [[ -n $SLUICE_PORT ]] || { cat "$logfile" >&2; die "the Sluice daemon did not report its SMTP port within 60s"; }
    wait_smtp "$SLUICE_PORT" 10 "Sluice"
}

stop_sluice() {
    stop_pid "$SLUICE_PID" 30
    wait "$SLUICE_PID" 2>/dev/null || true
    SLUICE_PID=""
}

# Per-thread CPU of the daemon (utime+stime ticks per thread name, digits folded), for the profile notes.
thread_ticks() {
    local task name stat
    for task in /proc/"$1"/task/*; do
        name=$(sed -E 's/[0-9]+$/N/; s/-[0-9]+-[0-9]+$/-N-N/; s/ /_/g' "$task/comm" 2>/dev/null) || continue
        stat=$(cat "$task/stat" 2>/dev/null) || continue
        printf '%s %s\n' "$name" "$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' <<< "$stat")"
    done | awk '{ t[$1] += $2 } END { for (k in t) print k, t[k] }' | sort
}

sluice_phase() {
    if grep -qE '^delivery\.route\.[^.=]+\.target=' "$(sluice_defaults)"; then
        SLUICE_SINK_PORT=$(free_port)
        smtp-sink -c -u postfix "127.0.0.1:$SLUICE_SINK_PORT" 256 > "$WORK/sluice-sink.log" 2>&1 &
        SLUICE_SINK_PID=$!
        wait_smtp "$SLUICE_SINK_PORT" 10 "smtp-sink for Sluice"
        log "this Sluice build delivers: its routes go to an smtp-sink on 127.0.0.1:$SLUICE_SINK_PORT"
    fi
    log "starting the Sluice daemon (spool $WORK/sluice-spool, DURABLE)"
    start_sluice "$WORK/sluice.log"
    log "Sluice on 127.0.0.1:$SLUICE_PORT (pid $SLUICE_PID)"
    log "Sluice warm-up: $SLUICE_WARMUP messages (smtp-source)"
    run_client sluice-warmup sluice smtp-source "$SLUICE_PORT" "$SLUICE_WARMUP" "$SLUICE_PID" "${SLUICE_SINK_PID:--}"
    SLUICE_SENT=$((SLUICE_SENT + SLUICE_WARMUP))
    # What the daemon burns with no client connected (the drain may be delivering the warm-up's backlog).
    local idle0 idle1
    idle0=$(proc_ticks "$SLUICE_PID")
    sleep 5
    idle1=$(proc_ticks "$SLUICE_PID")
    SLUICE_IDLE_CPU_PERCENT=$(calc1 "100 * ($idle1 - $idle0) / ($CLK_TCK * 5)")
    log "Sluice with no client connected: ${SLUICE_IDLE_CPU_PERCENT}% of one core"
    local clients=(smtp-source) client rep label
    [[ $JAVA_CLIENT == 1 ]] && clients+=(java)
    for client in "${clients[@]}"; do
        for ((rep = 1; rep <= REPEATS; rep++)); do
            label="sluice-$client-$rep"
            run_client "$label" sluice "$client" "$SLUICE_PORT" "$SLUICE_MESSAGES" "$SLUICE_PID" "${SLUICE_SINK_PID:--}"
            SLUICE_SENT=$((SLUICE_SENT + SLUICE_MESSAGES))
            [[ $client == java ]] && SLUICE_SENT=$((SLUICE_SENT + JAVA_CLIENT_WARMUP))
            record_run "$label" sluice "$client" "$SLUICE_MESSAGES" "$SLUICE_MESSAGES"
        done
    done
    # Daemon CPU by thread, summed over the measured smtp-source runs only (not the waits between them).
    for ((rep = 1; rep <= REPEATS; rep++)); do
        join "$RAW/sluice-smtp-source-$rep.threads0" "$RAW/sluice-smtp-source-$rep.threads1"
    done | awk -v hz="$CLK_TCK" '{ d[$1] += ($3 - $2) / hz } END { for (k in d) if (d[k] > 0) printf "%.2f %s\n", d[k], k }' \
        | sort -rn > "$RAW/sluice-threads-measured"
    SLUICE_THREADS=$(awk '{ printf "%s%s %ss", (NR > 1 ? ", " : ""), $2, $1 }' "$RAW/sluice-threads-measured")
    [[ $SLUICE_JFR == 1 ]] && profile_sluice
    stop_sluice
    grep -q 'sluice stopped' "$WORK/sluice.log" || log "WARNING: the daemon did not log a clean stop"
    cp -f "$WORK/sluice.log" "$RAW/sluice.log"

    # What the drain delivered (if this build delivers) has left the spool; count it, then stop the sink so
    # nothing more leaves while the spool is recounted.
    SLUICE_SUNK=0
    if [[ -n $SLUICE_SINK_PID ]]; then
        stop_pid "$SLUICE_SINK_PID" 5
        SLUICE_SINK_PID=""
        SLUICE_SUNK=$(tr '\r' '\n' < "$WORK/sluice-sink.log" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1)
        SLUICE_SUNK=${SLUICE_SUNK:-0}
    fi
    # The proof: a fresh daemon on the same spool recovers exactly what the clients were told is accepted
    # (less what was delivered).
    log "restarting Sluice on the same spool to count what it recovers"
    start_sluice "$WORK/sluice-recount.log"
    stop_sluice
    cp -f "$WORK/sluice-recount.log" "$RAW/sluice-recount.log"
    local line
    line=$(grep -m1 'recovered in' "$WORK/sluice-recount.log")
    SLUICE_RECOVERED=$(sed -n 's/.*[, ]\([0-9][0-9]*\) pending messages.*/\1/p' <<< "$line")
    SLUICE_RECOVERY_MS=$(sed -n 's/.*recovered in \([0-9][0-9]*\) ms.*/\1/p' <<< "$line")
    [[ -n $SLUICE_RECOVERED ]] || die "no recovery line in the restarted daemon's log"
    ((SLUICE_RECOVERED + SLUICE_SUNK >= SLUICE_SENT)) \
        || die "the spool recovered $SLUICE_RECOVERED pending messages and $SLUICE_SUNK were delivered, but the clients had $SLUICE_SENT accepted ($line)"
    ((SLUICE_RECOVERED + SLUICE_SUNK == SLUICE_SENT)) \
        || log "WARNING: recovered $SLUICE_RECOVERED + delivered $SLUICE_SUNK > accepted $SLUICE_SENT: redelivery after the restart?"
    log "Sluice's journal holds $SLUICE_RECOVERED pending messages and $SLUICE_SUNK were delivered: all $SLUICE_SENT accepted ones (recovered in ${SLUICE_RECOVERY_MS} ms)"
}

# A JFR recording's execution samples counted by their top frame, and by the nearest io.sluice frame (what Sluice code
# the CPU time is spent under): the LIMIT most frequent. Shared with cpu-per-message.sh.
jfr_leaf_frames() { # recording limit
    jfr print --events jdk.ExecutionSample --stack-depth 1 "$1" \
        | awk '/stackTrace = \[/ { getline; sub(/^ +/, ""); sub(/ +line:.*/, ""); print }' \
        | sort | uniq -c | sort -rn | head -"$2"
}
jfr_sluice_frames() { # recording limit
    jfr print --events jdk.ExecutionSample --stack-depth 64 "$1" \
        | awk '/stackTrace = \[/ { inside = 1; found = 0; next }
               inside && /^ *\]/ { if (!found) print "(no io.sluice frame)"; inside = 0; next }
               inside && !found && /io\.sluice\./ { line = $0; sub(/^ +/, "", line); sub(/ +line:.*/, "", line); print line; found = 1 }' \
        | sort | uniq -c | sort -rn | head -"$2"
}

# One extra run under JFR (never one of the measured runs), summarised into sluice-profile.txt.
profile_sluice() {
    command -v jcmd >/dev/null && command -v jfr >/dev/null || { log "no jcmd/jfr: skipping the profile"; return 0; }
    local jfr_file="$RAW/sluice-acceptance.jfr" messages=$((SLUICE_MESSAGES * 2)) summary="$RESULTS_DIR/sluice-profile$SUFFIX.txt"
    # Starting JFR invalidates compiled code (a JVMTI state change), so a first, discarded recording takes that hit
    # and a JIT warm-up under JFR; the kept recording starts after it and sees the steady state.
    jcmd "$SLUICE_PID" JFR.start name=acceptance-warmup settings=profile > /dev/null
    run_client sluice-profile-warmup sluice smtp-source "$SLUICE_PORT" "$SLUICE_WARMUP" "$SLUICE_PID" "${SLUICE_SINK_PID:--}"
    SLUICE_SENT=$((SLUICE_SENT + SLUICE_WARMUP))
    jcmd "$SLUICE_PID" JFR.start name=acceptance settings=profile filename="$jfr_file" > /dev/null
    run_client sluice-profile sluice smtp-source "$SLUICE_PORT" "$messages" "$SLUICE_PID" "${SLUICE_SINK_PID:--}"
    jcmd "$SLUICE_PID" JFR.stop name=acceptance > /dev/null
    jcmd "$SLUICE_PID" JFR.stop name=acceptance-warmup > /dev/null
    SLUICE_SENT=$((SLUICE_SENT + messages))
    (
        # A summary, not a measurement: `head` closing a pipe early is fine here.
        set +e +o pipefail
        trap - ERR
        echo "Sluice under JFR (settings=profile): smtp-source, $messages messages, $SESSIONS sessions, $MESSAGE_BYTES bytes"
        echo "rate under JFR (not a benchmark figure): $(calc1 "$messages / $M_SECONDS") msgs/s; daemon CPU ${M_SERVER_CPU}s" \
            "= $(calc1 "1e6 * $M_SERVER_CPU / $messages") us/msg"
        echo
        echo "== daemon CPU by thread during the measured smtp-source runs (seconds, all runs together) =="
        cat "$RAW/sluice-threads-measured"
        echo
        echo "== daemon CPU by thread during this profiled run (seconds) =="
        join "$RAW/sluice-profile.threads0" "$RAW/sluice-profile.threads1" \
            | awk -v hz="$CLK_TCK" '{ d = ($3 - $2) / hz; if (d > 0) printf "%8.2f  %s\n", d, $1 }' | sort -rn
        echo
        echo "== Java execution samples: top leaf frames =="
        jfr_leaf_frames "$jfr_file" 25
        echo
        echo "== Java execution samples: nearest io.sluice frame (what Sluice code the CPU time is spent under) =="
        jfr_sluice_frames "$jfr_file" 25
        echo
        echo "== Java execution samples by thread =="
        jfr print --events jdk.ExecutionSample "$jfr_file" \
            | sed -n 's/^ *sampledThread = "\([^"]*\)".*/\1/p' | sed 's/[0-9][0-9]*/N/g' | sort | uniq -c | sort -rn
        echo
        echo "== native samples: top frames (threads in native code, including blocked ones) =="
        jfr print --events jdk.NativeMethodSample --stack-depth 1 "$jfr_file" \
            | awk '/stackTrace = \[/ { getline; sub(/^ +/, ""); sub(/ +line:.*/, ""); print }' \
            | sort | uniq -c | sort -rn | head -10
        echo
        echo "== GC =="
        jfr summary "$jfr_file" | grep -E 'jdk.GarbageCollection |jdk.YoungGarbageCollection|jdk.OldGarbageCollection' || true
        jfr print --events jdk.GarbageCollection "$jfr_file" | grep -E 'sumOfPauses' \
            | awk '{ v = $3; unit = $4; if (unit ~ /^ms/) s += v; else if (unit ~ /^s/) s += v * 1000; else s += v / 1000 } END { printf "total GC pauses: %.1f ms over %d collections\n", s, NR }'
    ) > "$summary" 2>&1
    log "profile summary: $summary (recording: $jfr_file)"
}

# ---------------------------------------------------------------------------------------------------------
# Machine description and report.

machine_description() { # phase label
    echo "== $1 =="
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "uptime: $(uptime)"
    echo "top processes by CPU:"
    ps -eo pid,pcpu,etime,comm --sort=-pcpu | head -6 | sed 's/^/    /'
}

write_machine_txt() {
    local file="$RESULTS_DIR/machine$SUFFIX.txt"
    {
        echo "host: $HOST"
        echo "cpu: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
        echo "cores (nproc): $NCPU; $(lscpu 2>/dev/null | grep -E '^(Thread|Core|Socket)' | tr -s ' ' | paste -sd';' -)"
        echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
        echo "kernel: $(uname -srvm)"
        echo "os: $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
        echo "jdk: $(java -version 2>&1 | head -2 | paste -sd' ' -)"
        echo "postfix: ${PF_VERSION:-?}"
        echo "spool/queue disk (work dir $WORK): $(findmnt -n -o SOURCE,FSTYPE,OPTIONS -T "$WORK" 2>/dev/null)"
        echo "    $(df -h "$WORK" | tail -1)"
        local dev
        dev=$(findmnt -n -o SOURCE -T "$WORK" 2>/dev/null | sed 's#^/dev/##')
        [[ -n $dev ]] && echo "    block device: $(lsblk -dno NAME,SIZE,ROTA,MODEL "/dev/$dev" 2>/dev/null | tr -s ' ') (ROTA 0 = non-rotational)"
        echo "sluice: git $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null)," \
            "$(git -C "$REPO_ROOT" status --porcelain 2>/dev/null | wc -l) uncommitted paths in the tree; jar built $JAR_BUILT"
        echo "mode: $MODE; sessions $SESSIONS; $MESSAGE_BYTES-byte messages; repeats $REPEATS"
        echo
        echo "$MACHINE_BEFORE"
        echo
        machine_description "after the run"
        echo
        echo "Caveat: a 2-core VM; client, server and (for Postfix) the sink share the same two cores, and other"
        echo "build/test processes may run concurrently. Each run's otherProcessesCpuPercentOfMachine in"
        echo "acceptance$SUFFIX.json says how much of the machine something else used during it."
    } > "$file"
}

write_report() {
    local json="$RESULTS_DIR/acceptance$SUFFIX.json" txt="$RESULTS_DIR/acceptance$SUFFIX.txt"
    local clients=(smtp-source) client sys
    [[ $JAVA_CLIENT == 1 ]] && clients+=(java)
    declare -A MED
    for client in "${clients[@]}"; do
        for sys in postfix sluice; do
            MED[$sys.$client]=$(median <<< "${RATES[$sys.$client]}")
        done
    done
    local ratio_source ratio_java=null target_met
    ratio_source=$(awk "BEGIN { printf \"%.2f\", ${MED[sluice.smtp-source]} / ${MED[postfix.smtp-source]} }")
    [[ $JAVA_CLIENT == 1 ]] && ratio_java=$(awk "BEGIN { printf \"%.2f\", ${MED[sluice.java]} / ${MED[postfix.java]} }")
    target_met=$(awk "BEGIN { print ($ratio_source >= 10) ? \"true\" : \"false\" }")
    # Conservative: Sluice's median against Postfix's fastest run (Postfix slows from run to run in one instance).
    local postfix_best ratio_best
    postfix_best=$(tr ' ' '\n' <<< "${RATES[postfix.smtp-source]}" | { grep -v '^$' || true; } | sort -g | tail -1)
    ratio_best=$(awk "BEGIN { printf \"%.2f\", ${MED[sluice.smtp-source]} / $postfix_best }")
    local etc_after etc_unchanged
    etc_after=$(etc_postfix_fingerprint)
    etc_unchanged=$([[ $etc_after == "$ETC_POSTFIX_BEFORE" ]] && echo true || echo false)
    local runs_json
    runs_json=$(printf '    %s,\n' "${RUNS[@]}" | sed '$ s/,$//')
    cat > "$json" <<EOF
{
  "benchmark": "smtp-acceptance-vs-postfix",
  "mode": "$MODE",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "host": "$HOST",
  "sessions": $SESSIONS,
  "messageBytes": $MESSAGE_BYTES,
  "repeats": $REPEATS,
  "sluice": {"durability": "DURABLE", "messagesPerRun": $SLUICE_MESSAGES, "warmupMessages": $SLUICE_WARMUP,
             "medianMsgsPerSecond": {"smtp-source": ${MED[sluice.smtp-source]}, "java": ${MED[sluice.java]:-null}},
             "medianServerCpuMicrosPerMessage": $(median <<< "${SERVER_US[sluice]:-}"),
             "cpuSecondsByThreadOverMeasuredSmtpSourceRuns": "${SLUICE_THREADS:-}",
             "idleCpuPercentOfOneCore": ${SLUICE_IDLE_CPU_PERCENT:-null},
             "acceptedTotal": $SLUICE_SENT, "pendingRecoveredFromJournal": $SLUICE_RECOVERED, "deliveredToSink": $SLUICE_SUNK, "recoveryMillis": ${SLUICE_RECOVERY_MS:-null}},
  "postfix": {"version": "$PF_VERSION", "messagesPerRun": $POSTFIX_MESSAGES, "warmupMessages": $POSTFIX_WARMUP,
              "medianMsgsPerSecond": {"smtp-source": ${MED[postfix.smtp-source]}, "java": ${MED[postfix.java]:-null}},
              "medianServerCpuMicrosPerMessage": $(median <<< "${SERVER_US[postfix]:-}"),
              "acceptedTotalVerifiedByMaillog": $PF_ACCEPTED_TOTAL, "deliveredToSink": $PF_SUNK},
  "ratioSluiceToPostfix": {"smtp-source": $ratio_source, "java": $ratio_java,
                           "smtp-sourceAgainstPostfixFastestRun": $ratio_best},
  "target": {"ratio": 10, "client": "smtp-source", "met": $target_met},
  "etcPostfixUnchanged": $etc_unchanged,
  "disturbedRuns": [$( ((${#DISTURBED[@]})) && printf '"%s",' "${DISTURBED[@]}" | sed 's/,$//')],
  "loadAverageBefore": "$LOAD_BEFORE",
  "loadAverageAfter": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "runs": [
$runs_json
  ]
}
EOF
    {
        echo "SMTP acceptance, Sluice vs Postfix, same client, same run ($MODE mode, $(date -u +%Y-%m-%dT%H:%MZ), $HOST)"
        echo "Sluice: DURABLE (250 after the msync covering the message); Postfix $PF_VERSION: stock, fsync per queue file,"
        echo "relaying to smtp-sink. Rates are the median of $REPEATS run(s); seconds is that of the median run."
        echo
        printf '%-12s %-8s %8s %6s %9s %8s %9s %11s %10s\n' client system sessions size messages seconds msgs/s \
            "cpu us/msg" "ratio S/P"
        for client in "${clients[@]}"; do
            for sys in postfix sluice; do
                local msgs secs us ratio="" med=${MED[$sys.$client]}
                msgs=$([[ $sys == sluice ]] && echo "$SLUICE_MESSAGES" || echo "$POSTFIX_MESSAGES")
                secs=$(calc "$msgs / $med")
                us=$([[ $client == smtp-source ]] && median <<< "${SERVER_US[$sys]:-}" || echo "-")
                [[ $sys == sluice ]] && ratio=$([[ $client == smtp-source ]] && echo "${ratio_source}x" || echo "${ratio_java}x")
                printf '%-12s %-8s %8d %6d %9d %8.2f %9.0f %11s %10s\n' "$client" "$sys" "$SESSIONS" "$MESSAGE_BYTES" \
                    "$msgs" "$secs" "$med" "$us" "$ratio"
            done
        done
        echo
        if ((${#DISTURBED[@]})); then
            echo "WARNING: other processes used over 10% of the machine during ${#DISTURBED[@]} measured run(s): ${DISTURBED[*]}."
            echo "         The ratio is not reliable; rerun on a quiet machine before quoting it."
        fi
        echo "Target (issue 3): Sluice >= 10x Postfix with smtp-source: $([[ $target_met == true ]] && echo MET || echo NOT MET) (${ratio_source}x;" \
            "${ratio_best}x against Postfix's fastest run, $postfix_best msgs/s)"
        echo "Every run: Sluice rates per run: smtp-source ${RATES[sluice.smtp-source]}$([[ $JAVA_CLIENT == 1 ]] && echo "; java ${RATES[sluice.java]}")"
        echo "           Postfix rates per run: smtp-source ${RATES[postfix.smtp-source]}$([[ $JAVA_CLIENT == 1 ]] && echo "; java ${RATES[postfix.java]}")"
        echo "Verified: Sluice accepted $SLUICE_SENT: its journal recovered $SLUICE_RECOVERED pending, $SLUICE_SUNK were delivered; Postfix logged"
        echo "$PF_ACCEPTED_TOTAL accepted and smtp-sink received $PF_SUNK. /etc/postfix unchanged: $etc_unchanged."
        echo "cpu us/msg: server CPU per accepted message (Postfix: master and all its daemons, delivery included;"
        echo "Sluice: the daemon JVM$([[ $SLUICE_SUNK == 0 ]] && echo ", which delivered nothing in this build")). smtp-source has no PIPELINING; the java client"
        echo "(AcceptanceLoadClient) pipelines MAIL/RCPT/DATA. Load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)."
        echo "Sluice daemon CPU by thread over the measured smtp-source runs: ${SLUICE_THREADS:-?}"
        echo "Sluice daemon CPU with no client connected (after the warm-up): ${SLUICE_IDLE_CPU_PERCENT:-?}% of one core"
        echo "Machine: machine$SUFFIX.txt. Per-run details (CPU of other processes during each run): acceptance$SUFFIX.json."
    } > "$txt"
    cat "$txt"
}

# ---------------------------------------------------------------------------------------------------------

# The machine before anything starts, the preflight, and /etc/postfix's fingerprint (shared with acceptance-equal-terms.sh).
begin_run() {
    ETC_POSTFIX_BEFORE=$(etc_postfix_fingerprint)
    LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
    MACHINE_BEFORE=$(machine_description "before the run")
    preflight
    ETC_POSTFIX_BEFORE=$(etc_postfix_fingerprint) # after a possible package install, which creates /etc/postfix
}

main() {
    begin_run
    log "mode $MODE: Postfix $POSTFIX_MESSAGES msgs x $REPEATS, Sluice $SLUICE_MESSAGES msgs x $REPEATS," \
        "$SESSIONS sessions, $MESSAGE_BYTES bytes; work dir $WORK; results $RESULTS_DIR"
    postfix_phase
    sluice_phase
    write_machine_txt
    write_report
}

# Sourced by acceptance-equal-terms.sh for its helpers: run main only when executed.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    main "$@"
fi
