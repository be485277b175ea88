#!/usr/bin/env bash
# bench-deploy.sh — how long a deploy takes, split into its steps, for the Go example app and the Tomcat
# example app, and roll's own overhead beyond the app's start-up.
#
#   scripts/bench-deploy.sh            # 5 deploys per app
#   RUNS=9 APPS="tomcat" scripts/bench-deploy.sh
#   ENGINES="docker swarm" scripts/bench-deploy.sh   # each app on plain Docker and as Swarm services
#
# ENGINES=swarm needs the engine to be an active Swarm manager already (docker swarm init
# --advertise-addr 127.0.0.1 makes a single-node one; docker swarm leave --force ends it): the script never
# changes the engine's swarm state. On Swarm the app's own start-up is not measured (the task's overlay
# address is not reachable from the host), so neither is roll's overhead.
#
# For each app: a project with the gateway and the app (drain mode "requests", no traffic, so the drain
# measures roll's own bookkeeping), then RUNS deploys alternating v2/v1 with --json; the result event carries
# start/ready/switch/drain/stop/total. The app's own start-up is measured apart: created, then started (timed) through the Engine API on
# the same network, then GET its health page over HTTP every 20 ms until 200. roll's overhead = (start − create + ready
# + switch) − the app's start-up: the time between "the app could serve" and "the gateway sends it traffic".
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH=/usr/local/go/bin:$PATH
RUNS=${RUNS:-5}
APPS=${APPS:-goapp tomcat}
ENGINES=${ENGINES:-docker}
ROLL="$ROOT/build/roll"
WORK=$(mktemp -d -t roll-bench-deploy.XXXXXX)
PROJECTS=()

cleanup() {
  for dir in "${PROJECTS[@]}"; do (cd "$dir" && "$ROLL" down --volumes >/dev/null 2>&1) || true; done
  docker rm -f $(docker ps -aq --filter label=dev.roll.bench=1) >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

make -C "$ROOT" --no-print-directory build >/dev/null
"$ROOT/scripts/build-images.sh" gateway $APPS >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

bench_app() {
  local app=$1 engine=$2 image health ports
  case $app in
    goapp)  image=roll-example-goapp;  health=/health ;;
    tomcat) image=roll-example-tomcat; health=/health.jsp ;;
  esac
  # Swarm publishes on every address of the node and the admin API is reached through the engine.
  ports="[\"127.0.0.1:$(free_port):8080\", \"127.0.0.1:$(free_port):9901\"]"
  [[ $engine == swarm ]] && ports="[{target: 8080, published: $(free_port), mode: host}]"
  local dir="$WORK/$app-$engine" name="rollbench$app$engine" key="$app-$engine"
  mkdir -p "$dir"; PROJECTS+=("$dir")
  cat >"$dir/.env" <<EOF
ROLL_ADMIN_TOKEN=bench-token-$RANDOM$RANDOM
AJP_SECRET=bench-secret-$RANDOM
EOF
  cat >"$dir/compose.yaml" <<EOF
name: $name
x-roll:
  engine: $engine
  gateway: gateway
  admin_port: 9901
services:
  gateway:
    image: roll:dev
    command: ["gateway", "--listen", ":8080", "--admin", ":9901"]
    environment:
      ROLL_ADMIN_TOKEN: \${ROLL_ADMIN_TOKEN}
    ports: $ports
  app:
    image: $image:v1
    environment:
      AJP_SECRET: \${AJP_SECRET}
    x-roll:
      protocol: ajp
      port: 8009
      ajp_secret_env: AJP_SECRET
      ready: {path: $health, timeout: 120s, interval: 100ms}
      drain: {mode: requests, timeout: 60s}
EOF
  (cd "$dir" && "$ROLL" up >/dev/null)
  : >"$WORK/$key.results"
  for i in $(seq 1 "$RUNS"); do
    local v=v2; ((i % 2 == 0)) && v=v1
    (cd "$dir" && "$ROLL" deploy app --image "$image:$v" --json) | python3 -c '
import json, sys
evs = [json.loads(l) for l in sys.stdin if l.strip()]
res = evs[-1]["result"]
res["create_ms"] = next((e["elapsed_ms"] for e in evs if e["step"] == "create" and e["status"] == "done"), 0)
print(json.dumps(res))' >>"$WORK/$key.results"
  done
  : >"$WORK/$key.startup"
  [[ $engine == swarm ]] && return
  # The app's own start-up, on the same network, measured from the host over HTTP.
  for i in $(seq 1 "$RUNS"); do
    python3 - "$image:v1" "${name}_default" "$health" >>"$WORK/$key.startup" <<'EOF'
# Start through the Engine API on its socket (as roll does), not the docker CLI, so the figure
# has no CLI start-up in it; then GET the health page every 20 ms until it answers 200.
import http.client, json, socket, subprocess, sys, time, urllib.request
image, net, path = sys.argv[1:4]

class Engine(http.client.HTTPConnection):
    def __init__(self):
        super().__init__("localhost")
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect("/var/run/docker.sock")

def call(method, url, body=None):
    c = Engine()
    c.request(method, url, body=json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    if r.status >= 300:
        raise SystemExit(f"{method} {url}: {r.status} {data[:200]}")
    return json.loads(data) if data else None

cid = call("POST", "/containers/create", {"Image": image, "Env": ["AJP_SECRET=bench"],
           "Labels": {"dev.roll.bench": "1"}, "HostConfig": {"NetworkMode": net}})["Id"]
try:
    t0 = time.time()  # like roll's "start" step, which follows the create
    call("POST", f"/containers/{cid}/start")
    ip = call("GET", f"/containers/{cid}/json")["NetworkSettings"]["Networks"][net]["IPAddress"]
    while True:
        try:
            with urllib.request.urlopen(f"http://{ip}:8080{path}", timeout=1) as r:
                if r.status == 200:
                    break
        except Exception:
            time.sleep(0.02)
        if time.time() - t0 > 120:
            raise SystemExit("app never answered")
    print(json.dumps({"startup_ms": (time.time() - t0) * 1000}))
finally:
    call("DELETE", f"/containers/{cid}?force=true")
EOF
  done
}

for engine in $ENGINES; do
  if [[ $engine == swarm && $(docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}') != "active true" ]]; then
    echo "bench-deploy: ENGINES has swarm, but the engine is not an active Swarm manager (docker swarm init --advertise-addr 127.0.0.1)" >&2
    exit 1
  fi
  for app in $APPS; do bench_app "$app" "$engine"; done
done

python3 - "$WORK" "$ENGINES" $APPS <<'EOF'
import json, statistics, sys, os
work, engines, apps = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
print("| app | engine | runs | start | ready | switch | drain | stop | total | app start-up alone | roll overhead to first request |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for app in apps:
  for engine in engines:
    key = f"{app}-{engine}"
    res = [json.loads(l) for l in open(os.path.join(work, key + ".results")) if l.strip()]
    ok = [r for r in res if r["outcome"] == "succeeded"]
    d = {k: statistics.median(r["durations"][k + "_ms"] for r in ok) for k in ("start", "ready", "switch", "drain", "stop", "total")}
    f = lambda ms: f"{ms/1000:.2f} s"
    startups = [json.loads(l)["startup_ms"] for l in open(os.path.join(work, key + ".startup")) if l.strip()]
    up = overhead = "-"
    if startups:
        create = statistics.median(r["create_ms"] for r in ok)
        up_ms = statistics.median(startups)
        up, overhead = f(up_ms), f(d["start"] - create + d["ready"] + d["switch"] - up_ms)
    print(f"| {app} | {engine} | {len(ok)}/{len(res)} | {f(d['start'])} | {f(d['ready'])} | {f(d['switch'])} | {f(d['drain'])} | {f(d['stop'])} | {f(d['total'])} | {up} | {overhead} |")
print()
print("medians; start = create + start + running; ready = the gateway's checks (TCP, CPing, GET health) until they pass;")
print("roll overhead = (start − create) + ready + switch − the app's start-up alone (API start → first 200 over HTTP).")
EOF
