#!/usr/bin/env bash
# Benchmark: our depmod against kmod 30's on the real module trees (tests/diff/setup-tree.sh).
#
#   bench/depmod.sh            # all trees
#   BENCH_TREES="plain zst" BENCH_RUNS=10 bench/depmod.sh
#
# Both tools read the same scratch copy of each tree (kernel/ hard-linked from the cache when
# possible); kmod 30 writes into its copy (it has no -o), ours into a separate -o directory.
# Debian's kmod 30 cannot read .ko.gz: the gzip tree is compared with a zlib-enabled kmod 30 on the
# gzip tree (row `gz (kmod+zlib)`) when $KMOD_ZLIB_BIN (the directory of its depmod) is set or
# tests/tools/build-kmod-zlib.sh has built one in $KMOD_TEST_CACHE/kmod-zlib; otherwise with
# Debian's kmod on the plain tree (row `gz (kmod plain)`).
# Prints hyperfine's medians, the ratio ours/kmod against the target, peak RSS
# (/usr/bin/time -f %M) of one run of each, and the mean CPU time (user + system) of each with
# its ratio, which tells how the tools compare when other load on the machine distorts the
# wall-clock times (ours runs on all CPUs, kmod on one).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cache=${KMOD_TEST_CACHE:-$HOME/.cache/kmod-rs-tree}
[ -f "$cache/kver" ] || { echo "bench: no trees in $cache; run tests/diff/setup-tree.sh" >&2; exit 2; }
kver=$(cat "$cache/kver")
for tool in hyperfine depmod python3; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is required (apt-get install time)" >&2; exit 2; }

# The reference for the gzip tree: a zlib-enabled kmod if there is one.
zlib_depmod=
if [ -n "${KMOD_ZLIB_BIN:-}" ]; then
    zlib_depmod=$KMOD_ZLIB_BIN
    [ -d "$zlib_depmod" ] && zlib_depmod="$zlib_depmod/depmod"
    [ -f "$zlib_depmod" ] && [ -x "$zlib_depmod" ] || { echo "bench: KMOD_ZLIB_BIN: no depmod at $zlib_depmod" >&2; exit 2; }
elif [ -x "$cache/kmod-zlib/bin/depmod" ]; then
    zlib_depmod="$cache/kmod-zlib/bin/depmod"
fi
if [ -n "$zlib_depmod" ] && ! "$zlib_depmod" --version 2>/dev/null | grep -qw '+ZLIB'; then
    echo "bench: $zlib_depmod is not built with zlib (tests/tools/build-kmod-zlib.sh)" >&2
    exit 2
fi

if [ -z "${KMOD_RS_BIN:-}" ]; then
    (cd "$repo" && cargo build --release --quiet --bin kmod)
    KMOD_RS_BIN="${CARGO_TARGET_DIR:-$repo/target}/release/kmod"
fi
trees=${BENCH_TREES:-"plain zst xz gz"}
runs=${BENCH_RUNS:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/depmod-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Our binaries are run from a copy, as `make install` puts them: an executable freshly written by
# the linker starts measurably slower than a copy of it (same bytes; modprobe -R, median of 400:
# 1.24 ms from target/release, 1.14 ms from a copy), and kmod's binary is an installed copy too.
cp "$(realpath "$KMOD_RS_BIN")" "$work/depmod"
ours="$work/depmod"

copy_tree() { # <tree>: scratch copy with kernel/ hard-linked when on the same file system
    local src="$cache/$1/lib/modules/$kver" dst="$work/$1/lib/modules/$kver"
    [ -d "$dst" ] && return 0
    mkdir -p "$dst"
    cp -al "$src/kernel" "$dst/" 2>/dev/null || cp -r "$src/kernel" "$dst/"
    cp "$src"/modules.order "$src"/modules.builtin "$src"/modules.builtin.modinfo "$dst/"
}

target() {
    case $1 in plain) echo 0.25 ;; zst) echo 0.40 ;; xz) echo 0.55 ;; gz) echo 0.40 ;; esac
}
default_runs() {
    case $1 in plain) echo 15 ;; zst) echo 7 ;; xz) echo 3 ;; gz) echo 7 ;; esac
}
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1; }

printf '%-16s %10s %10s %7s %7s %10s %10s %9s %9s %7s\n' tree kmod ours ratio target "kmod KB" "ours KB" \
    "kmod cpu" "ours cpu" "cpu r." >"$work/table"
for tree in $trees; do
    kmod_tree=$tree kmod_depmod=depmod kmod_name="kmod 30" label=$tree
    if [ "$tree" = gz ] && [ -n "$zlib_depmod" ]; then
        kmod_depmod=$zlib_depmod kmod_name="kmod 30+zlib" label="gz (kmod+zlib)"
    elif [ "$tree" = gz ]; then
        kmod_tree=plain label="gz (kmod plain)"
    fi
    copy_tree "$kmod_tree"
    copy_tree "$tree"
    n=${runs:-$(default_runs "$tree")}
    kmod_cmd="$kmod_depmod -b $work/$kmod_tree $kver"
    ours_cmd="$ours -b $work/$tree -o $work/out-$tree $kver"
    echo "== $tree: $n runs each" >&2
    hyperfine --style basic --warmup 1 --runs "$n" --export-json "$work/$tree.json" \
        -n "$kmod_name ($kmod_tree)" "$kmod_cmd" -n "ours ($tree)" "$ours_cmd" >&2
    kmod_rss=$(rss $kmod_cmd)
    ours_rss=$(rss $ours_cmd)
    python3 - "$work/$tree.json" "$label" "$(target "$tree")" "$kmod_rss" "$ours_rss" >>"$work/table" <<'PY'
import json, sys
path, label, target, kmod_rss, ours_rss = sys.argv[1:]
results = json.load(open(path))['results']
kmod, ours = results[0]['median'], results[1]['median']
ratio = ours / kmod
# Mean CPU time (user + system): what the run costs whatever else the machine is doing.
cpu = [r['user'] + r['system'] for r in results]
verdict = 'ok' if ratio <= float(target) else 'SLOW'
mem = 'ok' if int(ours_rss) <= int(kmod_rss) else 'BIG'
print('%-16s %9.3fs %9.3fs %7.3f %7s %10s %10s %8.3fs %8.3fs %7.3f  %s %s' % (
    label, kmod, ours, ratio, target, kmod_rss, ours_rss, cpu[0], cpu[1], cpu[1] / cpu[0], verdict, mem))
PY
done
echo
cat "$work/table"
