#!/usr/bin/env bash
# Runs one fuzz target for a given time, single process, and prints its execution count:
#   fuzz/run.sh <target> <seconds> [extra libFuzzer options...]
#   targets: module_file index config kcmdline
# The working corpus lives in $FUZZ_WORK/<target> (default /tmp/kmod-rs-fuzz), seeded from
# fuzz/seeds/<target>; crashes are written to fuzz/artifacts/<target>/ (add each one as a
# regression test beside the code it broke, then delete it). Needs cargo-fuzz
# (`cargo install cargo-fuzz`) and a nightly toolchain; without nightly, RUSTC_BOOTSTRAP=1 lets
# the stable compiler accept the -Z flags cargo-fuzz passes (set FUZZ_TOOLCHAIN=stable).
# FUZZ_SANITIZER=address turns AddressSanitizer on (default none: the code is safe Rust, the C
# decoders are not instrumented anyway, and it runs about twice as fast); debug assertions
# (integer overflow checks) are always on.
# Last line: "fuzz <target>: <runs> runs in <seconds> s, <crashes> crash(es)".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${1:?usage: fuzz/run.sh <target> <seconds> [libFuzzer options]}
seconds=${2:?usage: fuzz/run.sh <target> <seconds> [libFuzzer options]}
shift 2
work=${FUZZ_WORK:-/tmp/kmod-rs-fuzz}/$target
artifacts=$here/artifacts/$target
mkdir -p "$work" "$artifacts"
toolchain=${FUZZ_TOOLCHAIN:-}
if [ -z "$toolchain" ]; then
    if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then toolchain=nightly; else toolchain=stable; fi
fi
if [ "$toolchain" = stable ]; then
    export RUSTC_BOOTSTRAP=1
    cargo=(cargo fuzz)
else
    cargo=(cargo "+$toolchain" fuzz)
fi
case "$target" in config | kcmdline) max_len=8192 ;; *) max_len=65536 ;; esac
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cd "$here"
set +e
# -max_len: module files and indexes worth fuzzing are small, 64 KiB leaves room for the seeds;
# the kernel command line is cut at 4095 bytes and configuration lines are short, 8 KiB is plenty.
# -timeout: a single input taking seconds is a hang worth reporting.
"${cargo[@]}" run -O -a -s "${FUZZ_SANITIZER:-none}" "$target" "$work" "$here/seeds/$target" -- \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2560 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$@" 2>&1 | tee "$log" |
    grep -E '^(#[0-9]+.*(pulse|DONE|NEW_FUNC)|==[0-9]+==|Done|stat::|SUMMARY|.*(panicked|Test unit written))' | grep -v 'NEW_FUNC'
rc=${PIPESTATUS[0]}
set -e
runs=$(grep -Eo '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -n 1)
secs=$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -Eo 'in [0-9]+' | grep -Eo '[0-9]+' | tail -n 1)
crashes=$(grep -c 'Test unit written' "$log" || true)
echo "fuzz $target: ${runs:-0} runs in ${secs:-$seconds} s, $crashes crash(es) (exit $rc)"
[ "$rc" -eq 0 ]
