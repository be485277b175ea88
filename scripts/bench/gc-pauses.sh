#!/usr/bin/env bash
# gc-pauses.sh FROM TO GC_LOG... — the JVM pauses logged between two wall-clock times (as
# `date -u +%Y-%m-%dT%H:%M:%S.%3N` prints them) in the gc.log files of Tomcats started with
# TOMCAT_GC_LOG=1 (scripts/bench/tomcat.sh): one line per file, "pauses N total MS max MS".
# Used to tell a front end's own latency from Tomcat's collections in the same run.
set -euo pipefail
(($# >= 3)) || { echo "usage: $0 FROM TO GC_LOG..." >&2; exit 2; }
from=$1 to=$2
shift 2
for f in "$@"; do
  # [2026-12-04T20:10:01.123+0000] GC(12) Pause Young (Normal) (G1 Evacuation Pause) 150M->20M(512M) 12.345ms
  awk -v from="$from" -v to="$to" -v file="$f" '
    /Pause/ && match($0, /[0-9.]+ms$/) {
      t = substr($1, 2, 23)
      if (t < from || t > to) next
      ms = substr($0, RSTART, RLENGTH - 2) + 0
      n++; total += ms; if (ms > max) max = ms
    }
    END { printf "%s: pauses %d total %.1f ms max %.1f ms\n", file, n, total, max }' "$f"
done
