#!/usr/bin/env bash
# wakeups.sh — how often Tomcat's threads sleep per request behind a front end, to compare roll and
# mod_jk while `HOLD=1 scripts/bench-gateway.sh` keeps everything up:
#
#   scripts/bench/wakeups.sh URL "TOMCAT_PIDS" "FRONT_END_PIDS" [SECONDS] [CONNECTIONS]
#
# It runs `wrk -t2 -c$CONNECTIONS -d$SECONDS URL` and prints req/s, the voluntary context switches
# per request of the JVMs' threads (from /proc/<pid>/task/*/status), split into the busiest thread
# of each JVM (its NIO poller, under load) and all the others (the connector's executor), and the
# CPU per request (utime + stime) of the JVMs and of the front end. Thread names are cut to 15
# characters by the kernel, so the poller is told apart by its count, not by its name.
set -euo pipefail

url=${1:?usage: wakeups.sh URL TOMCAT_PIDS FRONT_END_PIDS [SECONDS] [CONNECTIONS]}
tomcats=${2:?tomcat pids}
fronts=${3:?front end pids}
secs=${4:-5}
conns=${5:-32}
tick=$(getconf CLK_TCK)

# per_thread: "pid/tid voluntary_switches" for every thread of the JVMs, sorted for join.
per_thread() {
  local p t
  for p in $tomcats; do
    for t in /proc/"$p"/task/*; do
      echo "$p/${t##*/} $(awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status" 2>/dev/null || echo 0)"
    done
  done | sort
}

# ticks PIDS: utime + stime of the processes, in clock ticks.
ticks() {
  local p sum=0 s
  for p in "$@"; do
    read -r -a s < <(cut -d' ' -f14,15 "/proc/$p/stat")
    sum=$((sum + s[0] + s[1]))
  done
  echo "$sum"
}

before=$(per_thread)
# shellcheck disable=SC2086 # pid lists are meant to split
t0=$(ticks $tomcats) f0=$(ticks $fronts)
out=$(wrk -t2 -c"$conns" -d"${secs}s" "$url")
after=$(per_thread)
# shellcheck disable=SC2086
t1=$(ticks $tomcats) f1=$(ticks $fronts)

reqs=$(awk '/requests in/ {print $1}' <<<"$out")
rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
njvm=$(wc -w <<<"$tomcats")
# The busiest thread of each JVM is its poller: the first $njvm deltas once sorted.
join <(echo "$before") <(echo "$after") | awk '{print $3 - $2}' | sort -rn |
  awk -v n="$reqs" -v jvms="$njvm" -v rps="$rps" \
    -v tus="$(((t1 - t0) * 1000000 / tick))" -v fus="$(((f1 - f0) * 1000000 / tick))" '
    { total += $1; if (NR <= jvms) poll += $1 }
    END {
      printf "req/s %s  switches/req %.2f (pollers %.2f, others %.2f)  Tomcat CPU %.1f µs/req  front end CPU %.1f µs/req\n",
        rps, total / n, poll / n, (total - poll) / n, tus / n, fus / n
    }'
