# shellcheck shell=bash
# roll.sh — the challenger for scripts/bench-gateway.sh: `roll gateway` on loopback, given its
# service and backends through the admin API with curl, as an operator would. Sourced, never
# run; needs lib.sh.

ROLL_TOKEN=${ROLL_TOKEN:-bench-admin-token-$RANDOM$RANDOM}
declare -A ROLL_PIDS

# roll_start NAME PORT ADMIN_PORT: starts $WORK/bin/roll as gateway NAME in the background, with
# its state file under $WORK/NAME; its pid goes to ROLL_PIDS[NAME]. Logs only warnings: the
# gateway writes nothing per request unless --access-log. ROLL_ENV ('GOMAXPROCS=4 GOGC=200') is
# its environment's additions.
roll_start() {
  local name=$1 port=$2 admin=$3 dir="$WORK/$1" extra=()
  mkdir -p "$dir"
  read -r -a extra <<<"${ROLL_ENV:-}"
  env "${extra[@]}" "$WORK/bin/roll" gateway --listen "127.0.0.1:$port" --admin "127.0.0.1:$admin" \
    --admin-token "$ROLL_TOKEN" --state "$dir/state.json" --log-level warn \
    >"$dir/gateway.log" 2>&1 </dev/null &
  # shellcheck disable=SC2034 # read by the main script and measure.sh
  ROLL_PIDS[$name]=$!
  wait_http "http://127.0.0.1:$admin/healthz" 30 "$!" || die "roll gateway $name did not start: $(cat "$dir/gateway.log")"
  log "roll gateway $name: pid $! on 127.0.0.1:$port, admin 127.0.0.1:$admin"
}

# roll_admin ADMIN_PORT METHOD PATH JSON: one admin API call; a non-2xx answer stops the script
# with the gateway's error message.
roll_admin() {
  local out
  out=$(curl -sS -X "$2" -H "Authorization: Bearer $ROLL_TOKEN" -H 'Content-Type: application/json' \
    -w '\n%{http_code}' "http://127.0.0.1:$1$3" -d "$4") || die "admin API $2 $3: curl failed"
  [[ ${out##*$'\n'} == 2* ]] || die "admin API $2 $3 answered ${out##*$'\n'}: ${out%$'\n'*}"
}

# roll_register ADMIN_PORT PROTOCOL SECRET ROUTE:PORT...: routes /app to the Tomcats over AJP
# (with the connector secret) or HTTP, health-checked on the measured page.
roll_register() {
  local admin=$1 proto=$2 secret="" m
  [[ $proto == ajp ]] && secret="\"secret\":\"$3\","
  shift 3
  roll_admin "$admin" PUT /v1/services/app "{\"protocol\":\"$proto\",\"path_prefixes\":[\"/app\"],$secret
    \"health\":{\"path\":\"/app/nosession.jsp\",\"interval\":\"5s\"}}"
  for m in "$@"; do
    roll_admin "$admin" POST /v1/services/app/backends \
      "{\"name\":\"${m%%:*}\",\"address\":\"127.0.0.1:${m##*:}\",\"route\":\"${m%%:*}\",\"activation\":\"active\"}"
  done
}
