# shellcheck shell=bash
# measure.sh — one measured run of scripts/bench-gateway.sh, and what it knows about each front end:
# its URL, its processes, their CPU and memory. Sourced, never run; needs lib.sh and the ports and
# pids the main script set (HTTP1 HTTP2 APACHE_PORT APACHE_A_PORT APACHE_WIDE_PORT NGINX_PORT
# ROLL_PORT ROLL_HTTP_PORT ROLL_B_PORT, TOMCAT_PIDS APACHE_PIDS NGINX_PIDS ROLL_PIDS), PAGE and OUT.

# fe_label FRONT_END: how the tables name it.
fe_label() {
  case $1 in
  tomcat) echo "direct Tomcat HTTP" ;;
  mod_jk | mod_jk-a) echo "Apache + mod_jk (AJP, ping_mode=${APACHE_PING[$1]})" ;;
  mod_jk-wide) echo "Apache + mod_jk, $MEM_CLIENTS workers" ;;
  nginx) echo "nginx → HTTP (keepalive 64)" ;;
  roll) echo "roll gateway (AJP)" ;;
  roll-http) echo "roll gateway (HTTP to Tomcat)" ;;
  roll-b) echo "roll gateway (AJP, $ROLL_B_ENV)" ;;
  esac
}

# fe_port FRONT_END ROUND: where its clients connect. Direct Tomcat alternates between the two
# JVMs from round to round, so both take their share of the load over a run.
fe_port() {
  case $1 in
  tomcat) (($2 % 2)) && echo "$HTTP1" || echo "$HTTP2" ;;
  mod_jk) echo "$APACHE_PORT" ;;
  mod_jk-a) echo "$APACHE_A_PORT" ;;
  mod_jk-wide) echo "$APACHE_WIDE_PORT" ;;
  nginx) echo "$NGINX_PORT" ;;
  roll) echo "$ROLL_PORT" ;;
  roll-http) echo "$ROLL_HTTP_PORT" ;;
  roll-b) echo "$ROLL_B_PORT" ;;
  esac
}

fe_url() { echo "http://127.0.0.1:$(fe_port "$1" "$2")$PAGE"; }

# page_name: the measured page without its path, for file names and logs.
page_name() { local p=${PAGE##*/}; echo "${p%.*}"; }

# fe_pids FRONT_END: the processes that are the front end (none for direct Tomcat).
fe_pids() {
  case $1 in
  mod_jk*) apache_pids "$1" ;;
  nginx) nginx_pids "$1" ;;
  roll*) echo "${ROLL_PIDS[$1]}" ;;
  esac
}

# fe_ticks FRONT_END: CPU ticks the front end used so far; Apache's include retired workers.
fe_ticks() {
  case $1 in
  tomcat) echo 0 ;;
  mod_jk*) tree_ticks "${APACHE_PIDS[$1]}" ;;
  nginx) tree_ticks "${NGINX_PIDS[$1]}" ;;
  *) cpu_ticks "${ROLL_PIDS[$1]}" ;;
  esac
}

jvm_ticks() {
  local p total=0
  for p in "${TOMCAT_PIDS[@]}"; do total=$((total + $(cpu_ticks "$p"))); done
  echo "$total"
}

# per_request TICKS REQUESTS: CPU microseconds per request.
per_request() { awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", (n > 0) ? t * 1e6 / hz / n : 0 }'; }

# run_ticks FRONT_END BEGIN|END: the CPU counters (the front end's, the JVMs', the softirq
# threads', the machine's) at the start or the end of a run, for run_cpu.
run_ticks() {
  local b t f j s
  read -r b t < <(machine_ticks)
  f=$(fe_ticks "$1") j=$(jvm_ticks) s=$(softirq_ticks)
  RUN_TICKS[$2]="$b $t $f $j $s"
}
declare -A RUN_TICKS

# run_cpu FRONT_END REQUESTS TIME_FILE: "front_us tomcat_us others_pct" between run_ticks BEGIN
# and END. TIME_FILE holds the load tool's own user and system seconds (bash's time with
# TIMEFORMAT='%3U %3S'), which are not others'. Direct Tomcat has no front end ("-").
run_cpu() {
  local fe=$1 reqs=$2 b0 t0 f0 j0 s0 b1 t1 f1 j1 s1 wu ws front_us tomcat_us others
  read -r b0 t0 f0 j0 s0 <<<"${RUN_TICKS[BEGIN]}"
  read -r b1 t1 f1 j1 s1 <<<"${RUN_TICKS[END]}"
  read -r wu ws <"$3"
  front_us=$(per_request $((f1 - f0)) "$reqs")
  [[ $fe == tomcat ]] && front_us=-
  tomcat_us=$(per_request $((j1 - j0)) "$reqs")
  others=$(awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v f=$((f1 - f0)) -v j=$((j1 - j0)) -v s=$((s1 - s0)) -v w="$wu $ws" -v hz="$CLK_TCK" '
    BEGIN { split(w, x, " "); o = b - f - j - s - (x[1] + x[2]) * hz; if (o < 0) o = 0; printf "%.0f", (t > 0) ? 100 * o / t : 0 }')
  echo "$front_us $tomcat_us $others"
}

# run_once FRONT_END ROUND: one wrk run, appended to $OUT/runs.tsv. Besides the front end and the
# JVMs it measures wrk itself (bash's time), the kernel's softirq threads and the whole machine, so
# that CPU taken by anything else during the run (other people's work on a shared machine) shows in
# the others_pct column.
run_once() {
  local fe=$1 round=$2 out="$OUT/run-$2-$1-$(page_name).txt"
  local reqs rps p50 p99 errs front_us tomcat_us others
  run_ticks "$fe" BEGIN
  local TIMEFORMAT='%3U %3S'
  { time wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$(fe_url "$fe" "$round")" >"$out" 2>&1; } 2>"$out.time"
  run_ticks "$fe" END
  read -r reqs rps p50 p99 errs < <(wrk_summary "$out") || die "run $round of $fe: see $out"
  read -r front_us tomcat_us others < <(run_cpu "$fe" "$reqs" "$out.time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$PAGE" "$fe" "$(fe_label "$fe")" "$rps" "$p50" "$p99" \
    "$front_us" "$tomcat_us" "$errs" "$others" "$reqs" >>"$OUT/runs.tsv"
  log "round $round $(page_name) $(printf '%-10s' "$fe") $rps req/s  p50 ${p50}ms  p99 ${p99}ms  front ${front_us}µs/req  tomcat ${tomcat_us}µs/req  failed $errs  others ${others}%"
}

# mib KIB: KiB as MiB with one decimal.
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# pss_kib PID...: the proportional set size, which counts pages shared between Apache's processes once.
pss_kib() {
  local p total=0 v
  for p in "$@"; do
    v=$(awk '/^Pss:/{print $2; exit}' "/proc/$p/smaps_rollup" 2>/dev/null) || v=0
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# memory_once FRONT_END: MEM_CLIENTS keep-alive clients for MEM_SECONDS; prints one table row with
# RSS before, at peak, right after and MEM_SETTLE seconds after (3), and how many client
# connections were really open (fds, sockets).
memory_once() {
  local fe=$1 out="$OUT/memory-$1.txt" port before peak=0 pss_peak=0 fds_peak=0 conns_peak=0 after settled v
  local reqs rps p50 p99 errs
  port=$(fe_port "$fe" 0)
  # shellcheck disable=SC2046 # the pid list is meant to split
  before=$(rss_kib $(fe_pids "$fe"))
  log "memory: $fe with $MEM_CLIENTS clients for ${MEM_SECONDS}s"
  wrk -t"$THREADS" -c"$MEM_CLIENTS" -d"${MEM_SECONDS}s" --timeout 10s --latency "$(fe_url "$fe" 0)" >"$out" 2>&1 &
  WRK_PID=$!
  while kill -0 "$WRK_PID" 2>/dev/null; do
    # shellcheck disable=SC2046
    {
      v=$(rss_kib $(fe_pids "$fe")); ((v > peak)) && peak=$v
      v=$(pss_kib $(fe_pids "$fe")); ((v > pss_peak)) && pss_peak=$v
      v=$(fd_count $(fe_pids "$fe")); ((v > fds_peak)) && fds_peak=$v
    }
    v=$(ss -Htn state established "( sport = :$port )" | wc -l); ((v > conns_peak)) && conns_peak=$v
    sleep 1
  done
  wait "$WRK_PID" || true
  WRK_PID=""
  # shellcheck disable=SC2046
  after=$(rss_kib $(fe_pids "$fe"))
  sleep "${MEM_SETTLE:-3}"
  # shellcheck disable=SC2046
  settled=$(rss_kib $(fe_pids "$fe"))
  read -r reqs rps p50 p99 errs < <(wrk_summary "$out") || die "memory run of $fe: see $out"
  log "memory: $fe rss $(mib "$before") → peak $(mib "$peak") MiB, fds $fds_peak, conns $conns_peak, $rps req/s, failed $errs"
  printf '| %s | %s | %s | %s | %s | %s | %d | %d | %.0f | %.1f | %d |\n' "$(fe_label "$fe")" "$(mib "$before")" "$(mib "$peak")" \
    "$(mib "$pss_peak")" "$(mib "$after")" "$(mib "$settled")" "$fds_peak" "$conns_peak" "$rps" "$p99" "$errs"
}

# describe_machine: the first line sums up the machine for the docs; the rest lists versions.
describe_machine() {
  echo "$(nproc) vCPU $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo), $(awk '/^MemTotal/{printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, Linux $(uname -r)"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "roll: $("$WORK/bin/roll" --version 2>/dev/null || echo unknown) ($(go version 2>/dev/null | awk '{print $3}'))"
  echo "tomcat: $(dpkg-query -W -f='${Version}' tomcat10 2>/dev/null), $(java -version 2>&1 | head -1)"
  echo "apache: $("$APACHE_BIN" -v | awk -F': ' '/version/{print $2}'), mod_jk $(dpkg-query -W -f='${Version}' libapache2-mod-jk 2>/dev/null)"
  echo "nginx: $("$NGINX_BIN" -v 2>&1 | awk -F/ '{print $2}')"
  echo "wrk: $(dpkg-query -W -f='${Version}' wrk 2>/dev/null)"
  echo "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
}
