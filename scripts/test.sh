#!/usr/bin/env bash
# test.sh — what `make test` runs. First it checks that this machine has what the tests need
# (scripts/check-test-deps.sh: it stops at once, naming what is missing, unless ROLL_TEST_ALLOW_SKIP=1);
# then every test runs (go test -json, shown as plain go test shows it: package results and whatever
# fails), then each fuzz target briefly; it ends with how many tests ran, passed, failed and skipped, and
# why tests skipped (scripts/testsummary). The counts are also left in build/test-summary.txt.
#
#   TEST_FLAGS='-race -count=1 -timeout 25m' FUZZTIME=20000x scripts/test.sh   # the Makefile's defaults
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
GO=${GO:-go}
TEST_FLAGS=${TEST_FLAGS:--race -count=1 -timeout 25m}
summary=build/test-summary.txt
mkdir -p build/tools
rm -f "$summary"

scripts/check-test-deps.sh || exit 1
# Built before the run, so that its own compilation is not part of what it reads.
$GO build -o build/tools/testsummary ./scripts/testsummary || exit 1

# shellcheck disable=SC2086 # TEST_FLAGS is a list of flags
$GO test -json $TEST_FLAGS ./... | build/tools/testsummary -summary "$summary"
codes=("${PIPESTATUS[@]}")
rc=$((codes[0] != 0 || codes[1] != 0))

fuzz="not run: the tests failed"
if ((rc == 0)); then
  fuzztime=${FUZZTIME:-20000x}
  if scripts/fuzz.sh "$fuzztime"; then fuzz="every target ran $fuzztime: no failure"; else fuzz="FAILED (output above)"; rc=1; fi
fi
echo
echo "== fuzz: $fuzz"
if [[ -f $summary ]]; then cat "$summary"; else echo "== go test did not finish: no counts"; fi
exit "$rc"
