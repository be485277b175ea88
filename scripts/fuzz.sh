#!/usr/bin/env bash
# fuzz.sh — run every fuzz target of pkg/ajp for a while each.
# Usage: scripts/fuzz.sh [duration]   (default 30s; any `go test -fuzztime` value, e.g. 10s or 5000x)
# A crash leaves its input under pkg/ajp/testdata/fuzz/<Target>/; commit it so it runs as a seed.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-30s}
pkg=./pkg/ajp
targets=$(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
if [ -z "$targets" ]; then
  echo "fuzz.sh: no fuzz targets found in $pkg" >&2
  exit 1
fi
for target in $targets; do
  echo "== $target ($fuzztime)"
  go test -run '^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg"
done
