#!/usr/bin/env bash
# Runs every test: formatting and lints, the unit and integration tests of every crate, then the
# differential tests against kmod on the real Debian module tree (downloaded and cached on first use).
# Ends with one line "total: N passed, M failed" summing all of them.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
step() { # <label> <command...>: runs a step, keeps its output for the totals
    echo "== $1"; shift
    "$@" 2>&1 | tee -a "$log"
    local rc=${PIPESTATUS[0]}
    [ "$rc" -eq 0 ] || { echo "== FAILED (exit $rc)"; status=1; }
}
step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy" cargo clippy --workspace --all-targets -q -- -D warnings
# The libraries' API documentation; any rustdoc warning (a broken link, ...) fails the step. Only
# the library targets: the `kmod` binary's page would overwrite the `kmod` library's (same crate
# name). The doc examples themselves run in `cargo test` below.
step "cargo doc" env RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --lib -q
step "cargo build --release" cargo build --release -q
# The start-up code layout (build.rs, link/): the listed functions exist and were placed first.
step "link/check-symbol-order.sh" link/check-symbol-order.sh
# The real Debian module tree with kmod's indexes (downloaded once, cached): the crates' real-tree
# tests read it through KMOD_TEST_TREE, the differential scripts through KMOD_TEST_CACHE.
if cache=$(tests/diff/setup-tree.sh); then
    export KMOD_TEST_CACHE="$cache"
    export KMOD_TEST_TREE="$cache/plain/lib/modules/$(cat "$cache/kver")"
    # A zlib-enabled kmod 30 (built from Debian's source, used as a black box): the reference for
    # the gzip tree in tests/diff/depmod.sh (Debian's kmod 30 has no zlib).
    step "tests/tools/build-kmod-zlib.sh" tests/tools/build-kmod-zlib.sh "$cache/kmod-zlib"
else
    echo "== FAILED: tests/diff/setup-tree.sh"; status=1
fi
step "cargo test" cargo test --workspace -q
export KMOD_RS_BIN="${CARGO_TARGET_DIR:-$PWD/target}/release"
for t in tests/diff/*.sh; do
    case "$t" in */setup-tree.sh) continue ;; esac
    step "$t" "$t"
done
# Real-kernel tests: our tools against kmod 30 inside QEMU-booted Debian kernels (tests/vm/run.sh).
step "tests/vm/run.sh" tests/vm/run.sh
# cargo prints "N passed; M failed", the differential scripts "N passed, M failed".
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "total: $passed passed, $failed failed"
exit $status
