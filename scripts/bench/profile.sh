# shellcheck shell=bash
# profile.sh — scripts/bench-gateway.sh --profile: the gateway in-process with pprof (scripts/bench/gwprof)
# in front of the two Tomcats, one wrk run, and where its CPU and allocations go. Sourced, never run;
# needs lib.sh, the Tomcats started, and HTTP1 HTTP2 AJP1 AJP2 SECRET OUT WORK.

# mem_counters PORT: "mallocs bytes" allocated so far by the gwprof process.
mem_counters() {
  curl -fsS "http://127.0.0.1:$1/debug/mem" | sed -nE 's/^mallocs=([0-9]+) bytes=([0-9]+).*/\1 \2/p'
}

# profile_gateway PROTOCOL: writes cpu.pprof, allocs.pprof and their top lists to $OUT and prints
# the allocations per request.
profile_gateway() {
  local proto=$1 port debug pid m0 b0 m1 b1 reqs rps p50 p99 errs secs backends=()
  port=$(free_port) debug=$(free_port)
  if [[ $proto == ajp ]]; then
    backends=(-backend "tomcat1=127.0.0.1:$AJP1" -backend "tomcat2=127.0.0.1:$AJP2")
  else
    backends=(-backend "tomcat1=127.0.0.1:$HTTP1" -backend "tomcat2=127.0.0.1:$HTTP2")
  fi
  log "building scripts/bench/gwprof"
  (cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -o "$WORK/bin/gwprof" ./scripts/bench/gwprof)
  "$WORK/bin/gwprof" -listen "127.0.0.1:$port" -debug "127.0.0.1:$debug" -protocol "$proto" \
    -secret "$SECRET" "${backends[@]}" >"$WORK/gwprof.log" 2>&1 </dev/null &
  pid=$!
  # shellcheck disable=SC2034 # the main script stops every ROLL_PIDS on exit
  ROLL_PIDS["gwprof"]=$pid
  wait_http "http://127.0.0.1:$port$PAGE" 30 "$pid" || die "gwprof did not serve $PAGE: $(cat "$WORK/gwprof.log")"
  log "warm-up: gwprof ($WARMUP)"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "http://127.0.0.1:$port$PAGE" >"$OUT/warmup-gwprof.txt" 2>&1

  # The profile covers the middle of the run: it starts after wrk and ends before it.
  secs=${DURATION%s}
  read -r m0 b0 < <(mem_counters "$debug")
  curl -fsS -o "$OUT/cpu.pprof" "http://127.0.0.1:$debug/debug/pprof/profile?seconds=$((secs > 3 ? secs - 2 : 1))" &
  local curl_pid=$!
  log "profiling: wrk -t$THREADS -c$CONNECTIONS -d$DURATION against the in-process gateway ($proto)"
  local TIMEFORMAT='%3U %3S' t0 t1
  t0=$(cpu_ticks "$pid")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$port$PAGE" >"$OUT/run-gwprof.txt" 2>&1
  t1=$(cpu_ticks "$pid")
  read -r m1 b1 < <(mem_counters "$debug")
  wait "$curl_pid" || die "fetching the CPU profile failed"
  curl -fsS -o "$OUT/allocs.pprof" "http://127.0.0.1:$debug/debug/pprof/allocs"
  read -r reqs rps p50 p99 errs < <(wrk_summary "$OUT/run-gwprof.txt") || die "see $OUT/run-gwprof.txt"

  go tool pprof -top -nodecount=40 "$WORK/bin/gwprof" "$OUT/cpu.pprof" >"$OUT/cpu-top.txt" 2>/dev/null
  go tool pprof -top -cum -nodecount=60 "$WORK/bin/gwprof" "$OUT/cpu.pprof" >"$OUT/cpu-cum.txt" 2>/dev/null
  go tool pprof -top -sample_index=alloc_objects -nodecount=40 "$WORK/bin/gwprof" "$OUT/allocs.pprof" >"$OUT/allocs-top.txt" 2>/dev/null
  go tool pprof -top -sample_index=alloc_space -nodecount=25 "$WORK/bin/gwprof" "$OUT/allocs.pprof" >"$OUT/alloc-space-top.txt" 2>/dev/null
  {
    echo "### Profile of the gateway ($proto backends)"
    echo
    echo "\`wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency\` on \`$PAGE\` through scripts/bench/gwprof."
    echo
    echo "| req/s | p50 ms | p99 ms | gateway CPU µs/req | allocations/req | bytes allocated/req | failed requests |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
    awk -v r="$rps" -v p50="$p50" -v p99="$p99" -v n="$reqs" -v t=$((t1 - t0)) -v hz="$CLK_TCK" \
      -v m=$((m1 - m0)) -v b=$((b1 - b0)) -v e="$errs" \
      'BEGIN { printf "| %.0f | %.2f | %.2f | %.0f | %.1f | %.0f | %d |\n", r, p50, p99, t * 1e6 / hz / n, m / n, b / n, e }'
    echo
    echo "Top of the CPU profile (flat): $OUT/cpu-top.txt; cumulative: cpu-cum.txt; allocations: allocs-top.txt"
    echo
    echo '```'
    sed -n '1,30p' "$OUT/cpu-top.txt"
    echo '```'
  } >"$OUT/profile.md"
  if ((MEM_SECONDS > 0)); then profile_memory "$port" "$debug" "$pid"; fi
  cat "$OUT/profile.md"
}

# profile_memory PORT DEBUG_PORT PID: MEM_CLIENTS clients on the in-process gateway; halfway through,
# its heap (in use) and goroutines, to show what each held connection costs.
profile_memory() {
  local port=$1 debug=$2 pid=$3 goroutines rss runtime_mem
  log "profiling memory: $MEM_CLIENTS clients for ${MEM_SECONDS}s"
  wrk -t"$THREADS" -c"$MEM_CLIENTS" -d"${MEM_SECONDS}s" --timeout 10s "http://127.0.0.1:$port$PAGE" >"$OUT/memory-gwprof.txt" 2>&1 &
  WRK_PID=$!
  sleep $((MEM_SECONDS / 2))
  curl -fsS -o "$OUT/heap.pprof" "http://127.0.0.1:$debug/debug/pprof/heap"
  goroutines=$(curl -fsS "http://127.0.0.1:$debug/debug/pprof/goroutine?debug=1" | sed -n 's/^goroutine profile: total //p')
  rss=$(rss_kib "$pid")
  runtime_mem=$(curl -fsS "http://127.0.0.1:$debug/debug/mem" | sed -n 2p)
  wait "$WRK_PID" || true
  WRK_PID=""
  go tool pprof -top -sample_index=inuse_space -nodecount=25 "$WORK/bin/gwprof" "$OUT/heap.pprof" >"$OUT/heap-top.txt" 2>/dev/null
  {
    echo
    echo "With $MEM_CLIENTS clients, halfway: RSS $(mib "$rss") MiB, $goroutines goroutines; Go runtime: $runtime_mem."
    echo "Heap in use halfway (heap-top.txt):"
    echo
    echo '```'
    sed -n '1,20p' "$OUT/heap-top.txt"
    echo '```'
  } >>"$OUT/profile.md"
}
