#!/usr/bin/env bash
# staticcheck.sh — run staticcheck (the version the Makefile pins) on every package, as compiled for
# linux, darwin and windows, and fail on any finding that is not listed in scripts/staticcheck-pending.txt.
#
#   STATICCHECK_VERSION=v0.8.2 scripts/staticcheck.sh     # what `make lint` runs
#   STRICT=1 scripts/staticcheck.sh                       # pending findings fail too
#
# The pending list holds findings in code whose owners are still to fix it (file, check and message, no line
# number, so edits around them do not break the match). Each is printed on every run, never hidden; an entry
# that no longer occurs fails the run until it is removed, so the list only shrinks, and once it is empty
# this is plain strict staticcheck. Never add //lint:ignore to get past a finding that should be fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
version=${STATICCHECK_VERSION:?set STATICCHECK_VERSION (the Makefile pins it)}
pending_file=scripts/staticcheck-pending.txt

# Installed once per version for this machine's OS, so that it can analyse the code as compiled for others.
bin=build/tools/staticcheck-$version/staticcheck
if [[ ! -x $bin ]]; then
  echo "staticcheck: installing honnef.co/go/tools/cmd/staticcheck@$version"
  GOBIN=$PWD/${bin%/*} GOOS= GOARCH= go install "honnef.co/go/tools/cmd/staticcheck@$version"
fi

# One finding per line as "file (CHECK) message", the line number apart: "file:line:col: message (CHECK)".
findings=$(
  for goos in linux darwin windows; do
    GOOS=$goos "$bin" -f text ./... 2>&1 || true
  done | sort -u
)
bad_lines=$(grep -v -E '^$|^[^ :]+:[0-9]+:[0-9]+: .* \([A-Z]+[0-9]+\)$' <<<"$findings" || true)
if [[ -n $bad_lines ]]; then
  echo "staticcheck: could not analyse the code:"; echo "$bad_lines"; exit 1
fi
key() { sed -E 's/^([^ :]+):[0-9]+:[0-9]+: (.*) \(([A-Z]+[0-9]+)\)$/\1 (\3) \2/'; }
pending=$(grep -v -E '^(#|$)' "$pending_file" || true)

new=() known=() fixed=()
while IFS= read -r f; do
  [[ -z $f ]] && continue
  k=$(key <<<"$f")
  if [[ ${STRICT:-} != 1 ]] && grep -qxF -- "$k" <<<"$pending"; then known+=("$f"); else new+=("$f"); fi
done <<<"$findings"
keys=$(key <<<"$findings")
while IFS= read -r p; do
  [[ -z $p ]] && continue
  grep -qxF -- "$p" <<<"$keys" || fixed+=("$p")
done <<<"$pending"

for f in "${known[@]}"; do echo "staticcheck: pending (listed in $pending_file): $f"; done
for f in "${new[@]}"; do echo "$f"; done
for p in "${fixed[@]}"; do echo "staticcheck: no longer found, remove it from $pending_file: $p"; done
if ((${#new[@]} + ${#fixed[@]})); then
  echo "staticcheck $version: ${#new[@]} finding(s) to fix, ${#fixed[@]} listed as pending but no longer found"
  exit 1
fi
echo "staticcheck $version: clean on linux, darwin, windows$( ((${#known[@]})) && echo " except ${#known[@]} pending finding(s)")"
