#!/usr/bin/env bash
# Runs the hostile-input suites (tests/hostile_*.rs: module files, compressed files, indexes,
# configuration, kernel command line, tool command lines) and adds up their cases.
# Last line: "hostile: N passed, M failed". `cargo test` runs the same suites (CI: tests/run-all.sh).
# Usage: tests/hostile/run.sh [extra cargo test options]
set -uo pipefail
cd "$(dirname "$0")/../.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
suites=()
for f in tests/hostile_*.rs; do
    suites+=(--test "$(basename "$f" .rs)")
done
cargo test -q "$@" "${suites[@]}" -- --test-threads=1 --nocapture 2>&1 | tee "$log" |
    grep -E 'hostile [^:]+: [0-9]+ passed|^\[|cases failed|^error'
rc=${PIPESTATUS[0]}
passed=$(grep -Eo 'hostile [^:]+: [0-9]+ passed' "$log" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo 'hostile [^:]+: [0-9]+ passed, [0-9]+ failed' "$log" | grep -Eo '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
[ "$rc" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "hostile: $passed passed, $failed failed"
exit "$rc"
