#!/usr/bin/env bash
# Bytes allocated per message (issue 21), from a JFR recording of the daemon over N messages (cpu-per-message.sh's
# PROFILE=1 round writes one per phase: raw/cpu-per-message/profile-accept.jfr and profile-deliver.jfr).
#
#   benchmarks/jfr-allocation.sh RECORDING.jfr N
#
# Two views:
#   1. exact: jdk.ThreadAllocationStatistics, which the JVM emits for every thread at the recording's start and end
#      (settings=profile: period everyChunk), so the difference is every byte each thread allocated in between (a
#      thread started meanwhile counts from zero). Divided by N: bytes per message, by thread and in total;
#   2. sampled: jdk.ObjectAllocationSample weights (an estimate), by the top frames of the allocating stack, so the
#      sites can be named: the four frames nearest the allocation, the first io.sluice one among them or below.
# CPU time is not measured here: allocation counts bytes, which other load on the machine does not change.
set -euo pipefail
export LC_ALL=C
jfr_file=${1:?usage: jfr-allocation.sh RECORDING.jfr MESSAGES}
messages=${2:?usage: jfr-allocation.sh RECORDING.jfr MESSAGES}

echo "== bytes allocated per message by thread (jdk.ThreadAllocationStatistics, end - start, exact) =="
jfr print --json --events jdk.ThreadAllocationStatistics "$jfr_file" \
    | jq -r '.recording.events[] | [.values.thread.javaThreadId, .values.thread.javaName, .values.allocated] | @tsv' \
    | awk -F'\t' -v n="$messages" '
        { name[$1] = $2; if (!($1 in lo) || $3 < lo[$1]) lo[$1] = $3; if ($3 > hi[$1]) hi[$1] = $3; seen[$1]++ }
        END {
            for (t in hi) {
                d = seen[t] > 1 ? hi[t] - lo[t] : hi[t]; # a thread seen once started during the recording
                gsub(/[0-9]+/, "N", name[t]); by[name[t]] += d; all += d
            }
            for (k in by) if (by[k] > 0) printf "%12.0f  %s\n", by[k] / n, k
            printf "%12.0f  TOTAL bytes/message (%d messages)\n", all / n, n
        }' | sort -rn | head -15

echo "== sampled allocation (jdk.ObjectAllocationSample weight) by class and nearest frames, bytes/message =="
jfr print --json --stack-depth 64 --events jdk.ObjectAllocationSample "$jfr_file" \
    | jq -r '.recording.events[] | .values as $v
        | ($v.stackTrace.frames // []) as $f
        | ([$f[] | select(.method.type.name | startswith("io/sluice/"))][0]) as $s
        | [$v.weight, $v.objectClass.name,
           ([$f[0:4][] | "\(.method.type.name | split(".") | last).\(.method.name):\(.lineNumber)"] | join(" < ")),
           (if $s then "\($s.method.type.name | split(".") | last).\($s.method.name):\($s.lineNumber)" else "-" end)]
        | @tsv' \
    | awk -F'\t' -v n="$messages" '{ t[$2 "  [" $3 "]  sluice: " $4] += $1; all += $1 }
        END { for (k in t) if (t[k] / n >= 20) printf "%8.0f  %s\n", t[k] / n, k; printf "%8.0f  TOTAL sampled\n", all / n }' \
    | sort -rn | head -40

echo "== garbage collections in the recording (jdk.GarbageCollection): count, summed duration =="
jfr print --json --events jdk.GarbageCollection "$jfr_file" \
    | jq -r '.recording.events[] | [.values.name, (.values.sumOfPauses | ltrimstr("PT") | rtrimstr("S") | tonumber? // 0)] | @tsv' \
    | awk -F'\t' '{ n[$1]++; s[$1] += $2 } END { for (k in n) printf "%6d  %-12s %8.3f s of pauses\n", n[k], k, s[k] }'
