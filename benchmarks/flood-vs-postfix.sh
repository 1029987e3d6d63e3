#!/usr/bin/env bash
# Flood scenarios (issue 12, item 8; issues 4, 5 and 7 before it): Sluice and a stock Postfix side by side, at
# their shipped defaults, driven by the same harness (io.sluice.benchmarks.flood.FloodScenario) against the same
# paced upstream sink on loopback, beside the same legitimate partner stream.
#
#   benchmarks/flood-vs-postfix.sh                    # spoofed, snowshoe, unknown-users: 20,000 each, 200/s upstream
#   QUICK=1 benchmarks/flood-vs-postfix.sh            # 2,000-message floods (Sluice alone: about 4 minutes)
#   benchmarks/flood-vs-postfix.sh --scenarios spoofed,snowshoe,unknown-users --systems sluice
#   benchmarks/flood-vs-postfix.sh --open-buckets     # the "tuned" comparison: Sluice's network, sender-domain,
#                                                     # tenant and global buckets opened (printed as such)
#   extra arguments go to the harness (FloodScenario --help lists them)
#
# What it does: installs Debian's postfix if missing (as root; debconf "No configuration": nothing is configured
# or started, /etc/postfix/main.cf is not written), builds Sluice (SLUICE_BUILD=0 reuses target/), and runs the
# harness, which starts its own Postfix instance (postfix -c TMP/etc: own config, queue and data folders under
# WORK_BASE, stopped through its own config folder) and its own Sluice daemon (stopped by its pid). /etc/postfix
# is fingerprinted before and after; the script fails if it changed.
#
# Results: benchmarks/results/<date>-<host>/flood/ (quick: flood-quick/): flood.txt (every scenario: table, the
# settings changed from the defaults, the targets MET/MISSED), flood.json, flood-<scenario>-backlog.svg and
# -latency.svg; daemon logs and Postfix maillogs under raw/ (git-ignored).
#
# Environment: QUICK=1, SLUICE_BUILD=0|1 (1), WORK_BASE=/var/tmp (a real disk, not tmpfs), RESULTS_DIR=...,
#              NOTE="..." (a line at the top of the report, e.g. what else ran on the machine),
#              JAVA_OPTS for the harness JVM.
set -euo pipefail
export LC_ALL=C

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
QUICK=${QUICK:-0}
SLUICE_BUILD=${SLUICE_BUILD:-1}
WORK_BASE=${WORK_BASE:-/var/tmp}
HOST=$(hostname -s 2>/dev/null || hostname)
RESULTS_DIR=${RESULTS_DIR:-$REPO_ROOT/benchmarks/results/$(date +%Y-%m-%d)-$HOST}

log() { printf '%s [flood] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

etc_postfix_fingerprint() {
    if [[ -d /etc/postfix ]]; then
        find /etc/postfix -xdev \( -type f -o -type l \) -printf '%p %s %m %T@\n' 2>/dev/null | sort | md5sum | cut -d' ' -f1
    else
        echo absent
    fi
}

SYSTEMS=sluice,postfix
RUNS_POSTFIX=1
PREVIOUS=
for arg in "$@"; do
    [[ $arg == --systems ]] && SYSTEMS=custom
    [[ $PREVIOUS == --systems && $arg != *postfix* ]] && RUNS_POSTFIX=0
    PREVIOUS=$arg
done
if [[ $SYSTEMS != custom ]] && ! command -v postfix >/dev/null; then
    [[ $(id -u) == 0 ]] || die "Postfix is missing and installing it needs root (or pass --systems sluice)"
    log "installing Debian's postfix (debconf: No configuration; nothing is configured or started)"
    printf '%s\n' 'postfix postfix/main_mailer_type select No configuration' \
        'postfix postfix/mailname string localhost.invalid' | debconf-set-selections
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
fi
ETC_BEFORE=$(etc_postfix_fingerprint)

if [[ $SLUICE_BUILD == 1 ]]; then
    log "building Sluice: mvn -B -q -DskipTests package"
    (cd "$REPO_ROOT" && mvn -B -q -DskipTests package) || die "the build failed"
fi
JAR=$REPO_ROOT/benchmarks/target/benchmarks.jar
[[ -f $JAR && -x $REPO_ROOT/appliance-daemon/target/sluice-daemon ]] || die "no build in target/ (run with SLUICE_BUILD=1)"

case $(stat -f -c %T "$WORK_BASE") in
    tmpfs | ramfs) die "$WORK_BASE is a RAM filesystem: an fsync costs nothing there; set WORK_BASE to a real disk" ;;
esac

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if [[ $QUICK == 1 ]]; then
    OUT=$RESULTS_DIR/flood-quick
    SCENARIO=(--flood 2000 --flood-sources 200 --legit-sources 20 --legit-rate 20 --upstream-rate 200
        --warmup-seconds 20 --after-seconds 10 --idle-seconds 15)
    PROFILE="QUICK profile: floods of 2,000 messages from 200 addresses in 8 /24s (the issue's: 20,000 from 2,000)"
else
    OUT=$RESULTS_DIR/flood
    SCENARIO=()
    PROFILE="full profile: floods of 20,000 messages from 2,000 addresses in 8 /24s"
fi
DIRTY=
[[ -z $(git -C "$REPO_ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]] || DIRTY=' (with uncommitted changes)'
REPORT_NOTE="$PROFILE; Sluice git $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$DIRTY;"
REPORT_NOTE+=" $(nproc) cores, load average at the start $LOAD_BEFORE${NOTE:+; $NOTE}"
[[ $SYSTEMS == custom ]] && SYSTEM_ARGS=() || SYSTEM_ARGS=(--systems "$SYSTEMS")

log "results in $OUT"
# shellcheck disable=SC2086
STARTED=$(date +%s)
java ${JAVA_OPTS:-} -cp "$JAR" io.sluice.benchmarks.flood.FloodScenario --out "$OUT" --work "$WORK_BASE" \
    --daemon-home "$REPO_ROOT/appliance-daemon/target" --note "$REPORT_NOTE" "${SYSTEM_ARGS[@]}" "${SCENARIO[@]}" "$@"

{
    echo
    echo "Machine: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores," \
        "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r)," \
        "$(java -version 2>&1 | head -1); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "Postfix: $([[ $RUNS_POSTFIX == 1 ]] && postconf -d -h mail_version 2>/dev/null || echo not run); Sluice: git" \
        "$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null)"
    echo "Command: $([[ $QUICK == 1 ]] && echo 'QUICK=1 ')benchmarks/flood-vs-postfix.sh $*;" \
        "ran $(( $(date +%s) - STARTED )) s"
} >> "$OUT/flood.txt"

[[ $(etc_postfix_fingerprint) == "$ETC_BEFORE" ]] || die "/etc/postfix changed during the run (this script never writes there)"
log "done: $OUT/flood.txt"
