#!/usr/bin/env bash
# check-images.sh — prove the images build on this machine from nothing, and behave.
#
#   examples/check-images.sh            # remove every image, build them all, time it, check each one
#   examples/check-images.sh --keep     # keep the images that exist (check only; builds what is missing)
#
# Prints the build timings, every image's size, each app's time from `docker run` to its first
# 200 on the health page (RUNS runs, default 3), and a line per check. Exits non-zero if a check fails.
# Containers run on the default bridge network with no published port; they are removed on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-3}
SECRET=check-$RANDOM$RANDOM
LABEL=org.rollcd.roll.check-images
failures=0

APP_IMAGES=(roll-example-goapp:v1 roll-example-goapp:v2 roll-example-goapp:broken
  roll-example-tomcat:v1 roll-example-tomcat:v2 roll-example-tomcat:broken)
ALL_IMAGES=(roll:dev "${APP_IMAGES[@]}" roll-tomcat-base:10.1 roll-example-postgres:15)

cleanup() { docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null; }
trap cleanup EXIT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
pass() { printf '  ok    %s\n' "$*"; }
fail() { printf '  FAIL  %s\n' "$*"; failures=$((failures + 1)); }

# start IMAGE [docker run args...]: a container of IMAGE, prints its id.
start() {
  local image=$1
  shift
  docker run -d --label "$LABEL" -e "AJP_SECRET=$SECRET" "$@" "$image"
}
ip_of() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }

# status URL: the HTTP status, 000 when nothing answers.
status() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" || true; }

# wait_200 URL TIMEOUT: poll until URL answers 200; false on timeout.
wait_200() {
  local deadline
  deadline=$(awk -v a="$(now)" -v t="$2" 'BEGIN { printf "%.3f", a + t }')
  until [[ $(status "$1") == 200 ]]; do
    awk -v d="$deadline" -v n="$(now)" 'BEGIN { exit !(n > d) }' && return 1
    sleep 0.02
  done
}

# cping HOST PORT: AJP13 CPing; true when the answer is a CPong (AB 00 01 09).
cping() {
  local reply
  reply=$(timeout 3 bash -c 'exec 3<>/dev/tcp/$0/$1 && printf "\x12\x34\x00\x01\x0a" >&3 && head -c 5 <&3 | od -An -tx1' "$1" "$2" 2>/dev/null) || return 1
  [[ $(echo $reply) == "41 42 00 01 09" ]]
}

health_path() { [[ $1 == roll-example-tomcat:* ]] && echo /health.jsp || echo /health; }

time_to_first_200() {
  local image=$1 path i t0 id times=()
  path=$(health_path "$image")
  for ((i = 0; i < RUNS; i++)); do
    t0=$(now)
    id=$(start "$image")
    if wait_200 "http://$(ip_of "$id"):8080$path" 60; then
      times+=("$(since "$t0")s")
    else
      times+=("timeout")
      docker logs --tail 20 "$id" >&2
    fi
    docker rm -f "$id" >/dev/null
  done
  printf '  %-28s first 200 on %-11s after docker run: %s\n' "$image" "$path" "${times[*]}"
}

check_app() {
  local image=$1 version=${1##*:} path id ip body host
  path=$(health_path "$image")
  id=$(start "$image")
  ip=$(ip_of "$id")
  host=$(docker inspect -f '{{.Config.Hostname}}' "$id")
  if wait_200 "http://$ip:8080$path" 60; then pass "$image: $path answers 200"; else fail "$image: $path never answered 200"; fi
  body=$(curl -s -m 5 "http://$ip:8080/")
  [[ $body == "version=$version route=$host "* ]] &&
    pass "$image: / shows version=$version and the container's hostname as route" ||
    fail "$image: / answered \"$body\"; want version=$version route=$host"
  if cping "$ip" 8009; then pass "$image: AJP port answers CPing"; else fail "$image: no CPong on 8009"; fi
  local procs
  # A header and at least one process, or the check would pass on an empty list.
  if ! procs=$(docker top "$id" -o pid,args 2>&1) || (($(wc -l <<<"$procs") < 2)); then
    fail "$image: cannot list its processes: $procs"
  elif [[ $procs == *"$SECRET"* ]]; then
    fail "$image: the AJP secret is on a command line: $procs"
  else
    pass "$image: the AJP secret is on no command line ($(echo "$procs" | awk 'NR == 2 { print $2 }') …)"
  fi
  docker rm -f "$id" >/dev/null
}

check_broken() {
  local image=$1 path id ip code
  path=$(health_path "$image")
  id=$(start "$image")
  ip=$(ip_of "$id")
  # The port opens and answers CPing, which is exactly why readiness must make a real request.
  local deadline=$((SECONDS + 60))
  until cping "$ip" 8009 || ((SECONDS > deadline)); do sleep 0.1; done
  if cping "$ip" 8009; then pass "$image: AJP port answers CPing"; else fail "$image: no CPong on 8009"; fi
  # Watch the health page for two seconds: it must answer, and never 200.
  local until=$((SECONDS + 2)) seen=()
  while ((SECONDS <= until)); do
    code=$(status "http://$ip:8080$path")
    [[ " ${seen[*]} " == *" $code "* ]] || seen+=("$code")
    sleep 0.1
  done
  [[ " ${seen[*]} " != *" 200 "* && " ${seen[*]} " != *" 000 "* ]] &&
    pass "$image: $path answers ${seen[*]}, never 200" || fail "$image: $path answered ${seen[*]}; want only non-200 answers"
  docker rm -f "$id" >/dev/null
}

check_no_secret() {
  local image=$1 id code
  id=$(docker run -d --label "$LABEL" "$image")
  code=$(docker wait "$id")
  [[ $code != 0 ]] && docker logs "$id" 2>&1 | grep -q AJP_SECRET &&
    pass "$image: refuses to start without AJP_SECRET (exit $code)" ||
    fail "$image: without AJP_SECRET it exited $code: $(docker logs --tail 3 "$id" 2>&1)"
  docker rm -f "$id" >/dev/null
}

check_graceful_stop() {
  local image=$1 id ip out t0
  id=$(start "$image")
  ip=$(ip_of "$id")
  wait_200 "http://$ip:8080$(health_path "$image")" 60 || true
  out=$(mktemp)
  curl -s -m 10 -o "$out" -w '%{http_code}' "http://$ip:8080/slow?ms=1500" >"$out.code" &
  local curl_pid=$!
  # docker stop only once the request is in flight: the app's log shows nothing of it, so give
  # curl a moment to connect.
  sleep 0.3
  t0=$(now)
  docker stop "$id" >/dev/null
  wait "$curl_pid" || true
  [[ $(cat "$out.code") == 200 && $(cat "$out") == "slept 1500 ms" ]] &&
    pass "$image: SIGTERM let a 1.5 s request in flight finish (stop took $(since "$t0")s)" ||
    fail "$image: the in-flight request got $(cat "$out.code") \"$(cat "$out")\" across docker stop"
  rm -f "$out" "$out.code"
  docker rm -f "$id" >/dev/null
}

check_gateway() {
  local user vol
  user=$(docker image inspect -f '{{.Config.User}}' roll:dev)
  vol=$(docker image inspect -f '{{range $k, $v := .Config.Volumes}}{{$k}}{{end}}' roll:dev)
  [[ -n $user && $user != 0* && $user != root* ]] && pass "roll:dev runs as $user" || fail "roll:dev runs as \"$user\""
  [[ $vol == /var/lib/roll ]] && pass "roll:dev declares /var/lib/roll" || fail "roll:dev volumes: \"$vol\""
  docker run --rm --label "$LABEL" roll:dev --help >/dev/null 2>&1 &&
    pass "roll:dev runs the static binary (roll --help)" || fail "roll:dev: roll --help failed"
}

main() {
  docker info >/dev/null 2>&1 || { echo "check-images: cannot reach the Docker engine" >&2; exit 1; }
  # Hold the build lock from removal to rebuild, so that a concurrent build-images.sh (a test run)
  # waits for the new images instead of racing the removal.
  exec 9>"${TMPDIR:-/tmp}/roll-build-images.lock"
  flock 9
  export ROLL_IMAGES_LOCKED=1
  if [[ ${1:-} != --keep ]]; then
    echo "== removing the images"
    docker rmi -f "${ALL_IMAGES[@]}" >/dev/null 2>&1 || true
  fi
  echo "== scripts/build-images.sh (from scratch unless --keep)"
  local t0
  t0=$(now)
  "$ROOT/scripts/build-images.sh"
  echo "   total $(since "$t0")s"
  echo "== scripts/build-images.sh again (everything up to date)"
  t0=$(now)
  "$ROOT/scripts/build-images.sh" >/dev/null
  echo "   total $(since "$t0")s"
  exec 9>&-
  unset ROLL_IMAGES_LOCKED

  echo "== sizes"
  docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^(roll:|roll-example-|roll-tomcat-base:)' |
    sort | awk '{ printf "  %-28s %s\n", $1, $2 }'

  echo "== time to first 200 ($RUNS runs each; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
  local image
  for image in roll-example-goapp:v1 roll-example-tomcat:v1; do time_to_first_200 "$image"; done

  echo "== checks"
  check_gateway
  for image in roll-example-goapp:v1 roll-example-goapp:v2 roll-example-tomcat:v1 roll-example-tomcat:v2; do
    check_app "$image"
  done
  check_broken roll-example-goapp:broken
  check_broken roll-example-tomcat:broken
  check_no_secret roll-example-tomcat:v1
  check_graceful_stop roll-example-goapp:v1

  if ((failures)); then
    echo "$failures check(s) failed"
    exit 1
  fi
  echo "all checks passed"
}

main "$@"
