#!/usr/bin/env bash
# demo.sh — roll's main job, shown: a zero-downtime deploy under load, on a machine with no registry.
#
#   make demo                 # the Go example app (AJP13), about a minute
#   DEMO_APP=tomcat make demo # the same with a real Tomcat 10.1 app (builds a Tomcat image first: ~1 min more)
#   DEMO_APP=tomcat-sessions make demo
#                             # Tomcat whose sessions move: 20 users who never go idle, drain mode handoff
#                             # (examples/tomcat/compose.sessions.yaml); nobody logs in again
#   DEMO_APP=tomcat-sessions-jdbc make demo
#                             # the same with the sessions in PostgreSQL (compose.sessions-jdbc.yaml)
#   KEEP=1 make demo          # leave the project running afterwards (roll status, http://127.0.0.1:8080/)
#
# It builds roll and the images locally, brings the compose project in compose/ up with `roll up`,
# starts a load generator (anonymous visitors + users with sessions), deploys v2 while it runs,
# and prints what happened: each step, requests served, failed requests, sessions kept, time taken.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH=/usr/local/go/bin:$PATH
APP=${DEMO_APP:-goapp}
RPS=${DEMO_RPS:-200}
USERS=${DEMO_USERS:-5}
LINGER=3s # users go idle 3 s after new visitors reach v2: the sticky drain then ends
ROLL_FILES=()
WORK=$(mktemp -d -t roll-demo.XXXXXX)
ROLL="$ROOT/build/roll"

bold() { if [[ -t 1 && -z ${NO_COLOR:-} ]]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
say() { echo; bold "== $*"; }
die() { echo "demo: $*" >&2; exit 1; }

docker info >/dev/null 2>&1 || die "the Docker engine is not reachable (is dockerd running? scripts/install-test-deps.sh starts it)"
command -v go >/dev/null || die "Go is needed to build roll (https://go.dev/dl/)"

case $APP in
  goapp)  V1=roll-example-goapp:v1;  V2=roll-example-goapp:v2 ;;
  tomcat) V1=roll-example-tomcat:v1; V2=roll-example-tomcat:v2 ;;
  tomcat-sessions | tomcat-sessions-jdbc)
    V1=roll-example-tomcat:v1; V2=roll-example-tomcat:v2
    ROLL_FILES=(-f "$ROOT/examples/tomcat/compose.${APP#tomcat-}.yaml" --env-file "$ROOT/compose/.env")
    RPS=${DEMO_RPS:-50} USERS=${DEMO_USERS:-20} LINGER=0 # users who never go idle: only a handoff keeps them
    ;;
  *) die "DEMO_APP must be goapp, tomcat, tomcat-sessions or tomcat-sessions-jdbc, not $APP" ;;
esac
IMAGES=("${APP%%-*}")
[[ $APP == tomcat-sessions-jdbc ]] && IMAGES+=(postgres)
roll() { "$ROLL" "${ROLL_FILES[@]}" "$@"; }

cleanup() {
  [[ -n ${LOADGEN_PID:-} ]] && kill "$LOADGEN_PID" 2>/dev/null || true
  if [[ -z ${KEEP:-} ]]; then
    (cd "$ROOT/compose" && roll down --volumes >/dev/null 2>&1) || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

say "1/5 build roll and the images (nothing is pulled: FROM scratch, or assembled from Debian's packages)"
make -C "$ROOT" --no-print-directory build >/dev/null
"$ROOT/scripts/build-images.sh" gateway "${IMAGES[@]}"
go build -o "$WORK/loadgen" "$ROOT/scripts/loadgen"

cd "$ROOT/compose"
export APP_IMAGE=$V1
[[ ${IMAGES[0]} == tomcat ]] && export APP_HEALTH_PATH=/health.jsp
roll down --volumes >/dev/null 2>&1 || true
for port in "${ROLL_HTTP_PORT:-8080}" "${ROLL_ADMIN_PORT:-9901}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is in use on this machine; pick others: ROLL_HTTP_PORT=18080 ROLL_ADMIN_PORT=19901 make demo"
  fi
done

say "2/5 roll up: network, gateway, and the app at v1 (ready-checked through the gateway)"
roll up
PORT=${ROLL_HTTP_PORT:-8080}
URL="http://127.0.0.1:$PORT/"
first=$(python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read(120).decode())' "$URL") ||
  die "the gateway does not answer on $URL"
echo "serving: $first"

if [[ $LINGER == 0 ]]; then
  say "3/5 load: $RPS anonymous visitors/s and $USERS users who click every 400 ms and never go idle"
else
  say "3/5 load: $RPS anonymous visitors/s and $USERS users in the middle of a session"
fi
"$WORK/loadgen" -url "$URL" -rps "$RPS" -users "$USERS" -linger "$LINGER" -out "$WORK/load.json" &
LOADGEN_PID=$!
sleep 3

say "4/5 roll deploy app --image $V2   (under load)"
t0=$(date +%s.%N)
set +e
roll deploy app --image "$V2"
deploy_rc=$?
set -e
t1=$(date +%s.%N)
sleep 2
kill -INT "$LOADGEN_PID"
set +e
wait "$LOADGEN_PID"
set -e
LOADGEN_PID=

say "5/5 what happened"
roll status app || true
echo
python3 - "$WORK/load.json" "$t0" "$t1" "$deploy_rc" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
took = float(sys.argv[3]) - float(sys.argv[2])
kept = sum(1 for u in s["users"] if u["kept"])
moved = sum(1 for u in s["users"] if u.get("moved"))
versions = ", ".join(f"{k}: {v}" for k, v in sorted(s["versions"].items()))
print(f"deploy:           exit {sys.argv[4]}, {took:.1f}s (start → ready → switch → drain → stop)")
print(f"requests served:  {s['requests'] - s['failed']} of {s['requests']} in {s['seconds']:.0f}s ({versions})")
print(f"failed requests:  {s['failed']}")
for e, n in (s.get("errors") or {}).items():
    print(f"   {n} × {e}")
if moved:
    print(f"sessions kept:    {kept} of {len(s['users'])}, none idled out: {moved} went on in their session on the new version (handoff)")
else:
    print(f"sessions kept:    {kept} of {len(s['users'])} users stayed in their session on the old version until they went idle")
for u in s["users"]:
    if not u["kept"]:
        print(f"   lost: {u.get('problem')}")
ok = s["failed"] == 0 and kept == len(s["users"]) and sys.argv[4] == "0"
print("result:           " + ("zero downtime: no request failed, nobody was logged out" if ok else "NOT zero downtime, see above"))
sys.exit(0 if ok else 1)
EOF
if [[ -n ${KEEP:-} ]]; then
  echo; echo "KEEP is set: the project still runs. Try: cd compose && $ROLL ${ROLL_FILES[*]} status; remove it with: $ROLL ${ROLL_FILES[*]} down --volumes"
else
  echo; echo "cleaning up (roll down --volumes); KEEP=1 make demo leaves it running"
fi
