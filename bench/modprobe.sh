#!/usr/bin/env bash
# Benchmark: our modprobe and modinfo against kmod 30's on the same Debian module tree, in the same
# run (hyperfine, no shell in between). Cases: one `-R` lookup of a device modalias, one
# `--show-depends` of the module with the most dependencies, one `modinfo` by name, `modprobe -c`.
# The runs alternate between kmod and ours in rounds (so that a change in machine load hits both
# alike); printed are the median wall time of all runs, the ratio ours/kmod, the target (≤ 0.6,
# ≤ 0.3 for -c), and the ratio of mean CPU time (user + system) for reference.
# Usage: bench/modprobe.sh   (KMOD_RS_BIN: our binaries, default target/release, built if missing;
#        BENCH_RUNS: runs per command, default 300; BENCH_ROUNDS: default 10)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=$("$top/tests/diff/setup-tree.sh") || exit 1
kver=$(cat "$cache/kver")
bin=${KMOD_RS_BIN:-$top/target/release}
if [ ! -x "$bin/modprobe" ] || [ ! -x "$bin/modinfo" ]; then
    (cd "$top" && cargo build --release -q --bin modprobe --bin modinfo) || exit 1
fi
runs=${BENCH_RUNS:-300}
rounds=${BENCH_ROUNDS:-10}
per_round=$(((runs + rounds - 1) / rounds))
root="$cache/plain"
dir="$root/lib/modules/$kver"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Our binaries are run from a copy, as `make install` puts them: an executable freshly written by
# the linker starts measurably slower than a copy of it (same bytes; modprobe -R, median of 400:
# 1.24 ms from target/release, 1.14 ms from a copy), and kmod's binary is an installed copy too.
mkdir "$work/bin" && cp "$bin/modprobe" "$bin/modinfo" "$work/bin/" && bin=$work/bin

# The module with the most dependencies, and a real device modalias (e1000e's first PCI id).
deepest=$(awk -F: '{ n = split($2, d, " "); if (n > best) { best = n; m = $1 } } END { print m }' \
    "$dir/modules.dep" | sed 's|.*/||; s|\.ko.*||')
modalias=$(awk '$3 == "e1000e" && $2 ~ /^pci:/ { print $2; exit }' "$dir/modules.alias" |
    sed 's/\*/0/g')

cases=(
    "resolve|0.6|modprobe -d $root -S $kver -R $modalias"
    "show-depends|0.6|modprobe -d $root -S $kver --show-depends $deepest"
    "modinfo|0.6|modinfo -b $root -k $kver ext4"
    "show-config|0.3|modprobe -d $root -S $kver -c"
)

# stats <json-files...>: "<median kmod> <median ours> <cpu kmod> <cpu ours>" in seconds.
stats() {
    local f
    for f in "$@"; do
        tr -d ' \n' <"$f" | grep -o '"times":\[[^]]*\]' | sed 's/.*\[//; s/\]//' |
            awk -v f="$f" '{ n = split($0, t, ","); for (i = 1; i <= n; i++) print NR, t[i] }'
    done >"$work/times"
    for f in "$@"; do
        tr -d ' \n' <"$f" | grep -o '"user":[0-9.e-]*,"system":[0-9.e-]*' |
            sed 's/"user"://; s/,"system":/ /' | awk '{ print NR, $1 + $2 }'
    done >"$work/cpu"
    local mk mo ck co
    mk=$(awk '$1 == 1 { print $2 }' "$work/times" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    mo=$(awk '$1 == 2 { print $2 }' "$work/times" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    ck=$(awk '$1 == 1 { s += $2; n++ } END { print s / n }' "$work/cpu")
    co=$(awk '$1 == 2 { s += $2; n++ } END { print s / n }' "$work/cpu")
    echo "$mk $mo $ck $co"
}

printf '%-13s %11s %11s %7s %7s %9s\n' case kmod-median ours-median ratio target cpu-ratio
status=0
for c in "${cases[@]}"; do
    name=${c%%|*} rest=${c#*|}
    target=${rest%%|*} cmd=${rest#*|}
    tool=${cmd%% *} args=${cmd#* }
    ref=$(command -v "$tool")
    for r in $(seq 1 "$rounds"); do
        hyperfine -N -w 5 -r "$per_round" --style none --export-json "$work/$name.$r.json" \
            -n kmod "$ref $args" -n ours "$bin/$tool $args" >/dev/null 2>&1 ||
            { echo "bench: hyperfine failed for $name" >&2; status=1; continue 2; }
    done
    read -r mk mo ck co < <(stats "$work/$name".*.json)
    ratio=$(awk -v a="$mo" -v b="$mk" 'BEGIN { printf "%.3f", a / b }')
    cpu=$(awk -v a="$co" -v b="$ck" 'BEGIN { printf "%.3f", a / b }')
    ok=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r <= t) ? "ok" : "SLOW" }')
    [ "$ok" = ok ] || status=1
    printf '%-13s %9.2fms %9.2fms %7s %7s %9s %s\n' "$name" "$(awk -v x="$mk" 'BEGIN { print x * 1000 }')" \
        "$(awk -v x="$mo" 'BEGIN { print x * 1000 }')" "$ratio" "$target" "$cpu" "$ok"
done
echo "bench: deepest module $deepest; modalias $modalias; $((per_round * rounds)) runs each in $rounds rounds; load $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
