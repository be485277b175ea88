#!/usr/bin/env bash
# cross-build.sh — prove roll builds on every machine a team deploys from: for linux, darwin and
# windows on amd64 and arm64, build ./cmd/roll and vet every package (which compiles its tests too).
# Usage: scripts/cross-build.sh            (CGO_ENABLED=0, as the release binaries are built)
# The gateway image stays linux; this is about the CLI on a developer's or a CI runner's machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH CGO_ENABLED=0
targets=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64)
failed=()
for target in "${targets[@]}"; do
  export GOOS=${target%/*} GOARCH=${target#*/}
  start=$SECONDS
  if go build -o /dev/null ./cmd/roll && go vet ./...; then
    printf 'cross-build: %-14s ok (%ds)\n' "$target" $((SECONDS - start))
  else
    printf 'cross-build: %-14s FAILED (output above)\n' "$target"
    failed+=("$target")
  fi
done
if ((${#failed[@]})); then
  echo "cross-build: roll does not build or vet for ${failed[*]}; reproduce with GOOS=… GOARCH=… go vet ./..." >&2
  exit 1
fi
