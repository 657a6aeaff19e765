#!/usr/bin/env bash
# Checks that link/symbol-order.txt still names the functions of the release binary and that the
# linker placed them first (see build.rs, point 3). The file goes stale when the code, the
# dependency graph or the compiler changes the mangled names; then regenerate it with
# link/gen-symbol-order.sh. Fails when fewer than 90% of the names are found, or when the ordered
# functions do not form one block at the start of .text.
# Usage: link/check-symbol-order.sh   (KMOD_RS_BIN: the release binaries, default target/release)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${KMOD_RS_BIN:-${CARGO_TARGET_DIR:-$top/target}/release}/kmod
order=$top/link/symbol-order.txt
[ -x "$bin" ] || { echo "check-symbol-order: no binary at $bin (build --release first)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
grep -v '^#' "$order" | sort -u >"$work/listed"
# Text symbols by address: "<address> <name>".
nm -n --defined-only "$bin" | awk '$2 ~ /^[tTW]$/ { print $1, $3 }' >"$work/text"
awk '{ print $2 }' "$work/text" | sort -u >"$work/names"
listed=$(wc -l <"$work/listed")
found=$(comm -12 "$work/listed" "$work/names" | wc -l)
# Unlisted functions that lie between the first and the last listed one (several names can share
# an address, so a few aliases are expected).
stray=$(awk 'NR == FNR { listed[$1] = 1; next }
    { name[FNR] = $2; is[FNR] = ($2 in listed); if (is[FNR]) { if (!first) first = FNR; last = FNR } }
    END { n = 0; for (i = first; i <= last; i++) if (!is[i]) n++; print n }' "$work/listed" "$work/text")
echo "symbol order: $found of $listed listed functions found; $stray other functions inside the ordered block"
ok=1
if [ $((found * 10)) -lt $((listed * 9)) ]; then
    echo "link/symbol-order.txt is stale: regenerate it with link/gen-symbol-order.sh" >&2
    ok=0
fi
if [ "$stray" -gt 20 ]; then
    echo "the listed functions are not placed first: was the binary linked with LLD (build.rs)?" >&2
    ok=0
fi
if [ "$ok" = 1 ]; then echo "symbol-order: 1 passed, 0 failed"; else echo "symbol-order: 0 passed, 1 failed"; exit 1; fi
