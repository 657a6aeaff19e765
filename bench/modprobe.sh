#!/usr/bin/env bash
# Benchmark: our modprobe and modinfo against kmod 30's on the same Debian module tree, in the same
# run (hyperfine, no shell in between). Cases: one `-R` lookup of a device modalias, one
# `--show-depends` of the module with the most dependencies, one `modinfo` by name, `modprobe -c`.
# Prints each median and the ratio ours/kmod, then checks the targets (≤ 0.6, ≤ 0.3 for -c).
# Usage: bench/modprobe.sh   (KMOD_RS_BIN: our binaries, default target/release, built if missing;
#        BENCH_RUNS: runs per command, default 300)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=$("$top/tests/diff/setup-tree.sh") || exit 1
kver=$(cat "$cache/kver")
bin=${KMOD_RS_BIN:-$top/target/release}
if [ ! -x "$bin/modprobe" ] || [ ! -x "$bin/modinfo" ]; then
    (cd "$top" && cargo build --release -q --bin modprobe --bin modinfo) || exit 1
fi
runs=${BENCH_RUNS:-300}
root="$cache/plain"
dir="$root/lib/modules/$kver"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The module with the most dependencies, and a real device modalias (e1000e's first PCI id).
deepest=$(awk -F: '{ n = split($2, d, " "); if (n > best) { best = n; m = $1 } } END { print m }' \
    "$dir/modules.dep" | sed 's|.*/||; s|\.ko.*||')
modalias=$(awk '$3 == "e1000e" && $2 ~ /^pci:/ { print $2; exit }' "$dir/modules.alias" |
    sed 's/\*/0/g')

cases=(
    "resolve|modprobe -d $root -S $kver -R $modalias"
    "show-depends|modprobe -d $root -S $kver --show-depends $deepest"
    "modinfo|modinfo -b $root -k $kver ext4"
    "show-config|modprobe -d $root -S $kver -c"
)
targets=(0.6 0.6 0.6 0.3)

printf '%-14s %12s %12s %8s %8s\n' case kmod-median ours-median ratio target
status=0
i=0
for c in "${cases[@]}"; do
    name=${c%%|*} cmd=${c#*|}
    tool=${cmd%% *} args=${cmd#* }
    ref=$(command -v "$tool")
    hyperfine -N -w 20 -r "$runs" --style none --export-csv "$work/$name.csv" \
        -n kmod "$ref $args" -n ours "$bin/$tool $args" >/dev/null 2>&1 ||
        { echo "bench: hyperfine failed for $name" >&2; status=1; continue; }
    kmod=$(awk -F, '$1 == "kmod" { print $4 }' "$work/$name.csv")
    ours=$(awk -F, '$1 == "ours" { print $4 }' "$work/$name.csv")
    ratio=$(awk -v a="$ours" -v b="$kmod" 'BEGIN { printf "%.3f", a / b }')
    target=${targets[$i]}
    ok=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r <= t) ? "ok" : "SLOW" }')
    [ "$ok" = ok ] || status=1
    printf '%-14s %10.2fms %10.2fms %8s %8s %s\n' "$name" "$(awk -v x="$kmod" 'BEGIN{print x*1000}')" \
        "$(awk -v x="$ours" 'BEGIN{print x*1000}')" "$ratio" "$target" "$ok"
    i=$((i + 1))
done
echo "bench: deepest module $deepest, modalias $modalias, $runs runs each"
exit $status
