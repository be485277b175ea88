#!/usr/bin/env bash
# fuzz.sh — run every fuzz target of the project for a while each.
# Usage: scripts/fuzz.sh [duration]   (default 30s; any `go test -fuzztime` value, e.g. 10s or 5000x)
# `make test` runs it briefly with a count (FUZZTIME=20000x): Go 1.26's coordinator can report a spurious
# "context deadline exceeded" at the end of a *duration* budget on a loaded machine (golang/go#75804, fixed
# in Go 1.27); a count has no deadline. By hand a duration is fine: a real finding always writes its input
# under <package>/testdata/fuzz/<Target>/; commit it so it runs as a seed in every `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-30s}
pkgs=$(grep -rl --include='*_test.go' '^func Fuzz' pkg cmd 2>/dev/null | xargs -r -n1 dirname | sort -u)
if [ -z "$pkgs" ]; then
  echo "fuzz.sh: no fuzz targets found" >&2
  exit 1
fi
for dir in $pkgs; do
  for target in $(go test -list '^Fuzz' "./$dir" | grep '^Fuzz' || true); do
    echo "== ./$dir $target ($fuzztime)"
    go test -run '^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "./$dir"
  done
done
