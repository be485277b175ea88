#!/usr/bin/env bash
# build-images.sh — build the images roll's tests and demo use, on this machine, with no registry.
#
#   scripts/build-images.sh                  # everything, in order: gateway, goapp, tomcat, postgres
#   scripts/build-images.sh gateway goapp    # only some
#   FORCE=1 scripts/build-images.sh tomcat   # rebuild even what is up to date (tomcat: its base too)
#
# Images (all FROM scratch or from a base assembled here with `docker import`; nothing is pulled):
#   roll:dev                                  the gateway: build/roll (make build), cmd/roll/Dockerfile
#   roll-example-goapp:v1 :v2 :broken         examples/goapp; :broken never becomes ready (FAIL_READY=1)
#   roll-example-tomcat:v1 :v2 :broken        examples/tomcat on Tomcat 10.1 + a jlinked JRE, built by
#                                             scripts/build-tomcat-image.sh; :broken fails to deploy
#   roll-example-postgres:15                  Debian's PostgreSQL 15, the Tomcat example's JDBC session
#                                             store, built by scripts/build-postgres-image.sh
#
# Idempotent and fast when nothing changed: every image carries a label with the hash of its inputs
# (binary, Dockerfile, sources, build arguments); an image whose label matches is skipped.
# Prints one line per image as it finishes: name, what happened, seconds, size. Independent images
# build at the same time.
#
# scripts/build-tomcat-image.sh sources this file for its helpers; main runs only when executed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HASH_LABEL=org.rollcd.roll.content-hash
export PATH=/usr/local/go/bin:$PATH

die() { echo "build-images: $*" >&2; exit 1; }

# lock_builds: one build at a time on this machine (tests may run this script in parallel); the
# second run waits, then finds the images up to date. Child scripts inherit the lock.
lock_builds() {
  [[ -n ${ROLL_IMAGES_LOCKED:-} ]] && return
  exec 9>"${TMPDIR:-/tmp}/roll-build-images.lock"
  flock 9
  export ROLL_IMAGES_LOCKED=1
}

# use_workdir: a scratch directory for build contexts, removed on exit.
use_workdir() {
  WORK=$(mktemp -d -t roll-images.XXXXXX)
  trap 'rm -rf "$WORK"' EXIT
}

now() { date +%s.%N; }

# report IMAGE STATUS START: the one line per image.
report() {
  local size secs
  secs=$(awk -v a="$3" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  size=$(docker image inspect -f '{{.Size}}' "$1" 2>/dev/null |
    awk '{ printf "%.1f MB", $1 / 1000000 }')
  printf '%-32s %-11s %6ss  %s\n' "$1" "$2" "$secs" "$size"
}

# inputs_hash PATH... [-- STRING...]: one hash over the contents and names of files (directories are
# walked) and any extra strings (build arguments, a base image id).
inputs_hash() {
  local paths=() extra=()
  while (($#)); do
    if [[ $1 == -- ]]; then shift; extra=("$@"); break; fi
    paths+=("$1"); shift
  done
  {
    printf '%s\n' "${extra[@]}"
    (cd "$ROOT" && find "${paths[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -c1-32
}

# image_hash IMAGE: the content hash the image was built from, empty when it does not exist.
image_hash() {
  docker image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "$1" 2>/dev/null || true
}

# build_image IMAGE HASH CMD...: runs CMD (which must label IMAGE with HASH) unless IMAGE already
# carries HASH. Output is kept quiet and shown only when the build fails.
build_image() {
  local image=$1 hash=$2 start out
  shift 2
  start=$(now)
  if [[ ${FORCE:-} != 1 && $(image_hash "$image") == "$hash" ]]; then
    report "$image" "up to date" "$start"
    return
  fi
  local old
  old=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  out=$(mktemp)
  if ! "$@" >"$out" 2>&1; then
    cat "$out" >&2; rm -f "$out"
    die "building $image failed (output above)"
  fi
  rm -f "$out"
  [[ $(image_hash "$image") == "$hash" ]] || die "building $image: the image lacks label $HASH_LABEL=$hash"
  # The image this one replaces is left without a name; remove it unless a container still uses it
  # or another tag names it (rmi refuses both), so rebuilds do not pile up.
  if [[ -n $old && $old != $(docker image inspect -f '{{.Id}}' "$image") ]]; then
    docker rmi "$old" >/dev/null 2>&1 || true
  fi
  report "$image" built "$start"
}

# docker_build IMAGE HASH CONTEXT DOCKERFILE [docker build args...]: the legacy builder, quiet;
# FORCE=1 bypasses its layer cache too.
docker_build() {
  local image=$1 hash=$2 context=$3 dockerfile=$4
  shift 4
  local no_cache=()
  [[ ${FORCE:-} == 1 ]] && no_cache=(--no-cache)
  docker build -q "${no_cache[@]}" -f "$dockerfile" -t "$image" --label "$HASH_LABEL=$hash" "$@" "$context"
}

# spawn CMD...: run a build in the background. The legacy builder spends about a second per
# Dockerfile step waiting, not computing, so independent images build side by side; compiling,
# which does use the CPU, stays in the foreground.
JOBS=()
spawn() {
  "$@" &
  JOBS+=($!)
}

# wait_jobs: wait for every spawned build; fail if any did (each printed its own error).
wait_jobs() {
  local pid failed=0
  for pid in "${JOBS[@]}"; do wait "$pid" || failed=1; done
  JOBS=()
  ((failed == 0)) || die "some images did not build (see above)"
}

build_gateway() {
  # The Makefile owns the build flags (static, trimmed, version stamped).
  make --no-print-directory -s -C "$ROOT" build >/dev/null || die "make build failed"
  local ctx=$WORK/gateway hash
  mkdir -p "$ctx/state"
  # A small context: only the binary and an empty state directory, never the whole repository.
  cp "$ROOT/build/roll" "$ctx/roll"
  hash=$(inputs_hash build/roll cmd/roll/Dockerfile)
  spawn build_image roll:dev "$hash" docker_build roll:dev "$hash" "$ctx" "$ROOT/cmd/roll/Dockerfile"
}

build_goapp() {
  local variant tag version fail ctx hash
  # Three releases. The version is linked into each binary (-X main.version) rather than set with
  # ENV, so a compose file that passes an empty APP_VERSION still shows which release answered.
  for variant in v1:v1:0 v2:v2:0 broken:broken:1; do
    IFS=: read -r tag version fail <<<"$variant"
    ctx=$WORK/goapp-$tag
    mkdir -p "$ctx"
    (cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" \
      -o "$ctx/goapp" ./examples/goapp) || die "building examples/goapp failed"
    cp "$ROOT/examples/goapp/Dockerfile" "$ctx/"
    hash=$(ROOT=$ctx inputs_hash goapp Dockerfile -- "$fail")
    spawn build_image "roll-example-goapp:$tag" "$hash" docker_build "roll-example-goapp:$tag" "$hash" \
      "$ctx" "$ctx/Dockerfile" --build-arg "FAIL_READY=$fail"
  done
}

build_tomcat() {
  spawn "$ROOT/scripts/build-tomcat-image.sh"
}

build_postgres() {
  spawn "$ROOT/scripts/build-postgres-image.sh"
}

main() {
  local targets=("$@") t start
  ((${#targets[@]})) || targets=(gateway goapp tomcat postgres)
  for t in "${targets[@]}"; do
    case $t in
      gateway | goapp | tomcat | postgres) ;;
      *) die "unknown image group \"$t\"; choose from: gateway goapp tomcat postgres" ;;
    esac
  done
  docker info >/dev/null 2>&1 || die "cannot reach the Docker engine (DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock})"
  lock_builds
  use_workdir
  start=$(now)
  for t in "${targets[@]}"; do "build_$t"; done
  wait_jobs
  awk -v a="$start" -v b="$(now)" 'BEGIN { printf "all done in %.1fs\n", b - a }'
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
