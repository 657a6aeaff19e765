#!/usr/bin/env bash
# Benchmark: `modinfo` of every module path of the Debian tree in one call, ours against kmod's,
# side by side in the same run (hyperfine, alternating). Prints medians and the ratio ours/kmod.
# Usage: bench/modinfo.sh [runs]   (tree from tests/diff/setup-tree.sh; ours from target/release)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
runs=${1:-15}
cache=$("$top/tests/diff/setup-tree.sh")
kver=$(cat "$cache/kver")
ours=${KMOD_RS_BIN:-$top/target/release}/modinfo
[ -x "$ours" ] || (cd "$top" && cargo build --release -q)
dir="$cache/plain/lib/modules/$kver"
list=$(mktemp)
trap 'rm -rf "$list" "$list".*' EXIT
# Our binaries are run from a copy, as `make install` puts them: an executable freshly written by
# the linker starts measurably slower than a copy of it (same bytes; modprobe -R, median of 400:
# 1.24 ms from target/release, 1.14 ms from a copy), and kmod's binary is an installed copy too.
mkdir "$list.bin" && cp "$ours" "$list.bin/modinfo" && ours=$list.bin/modinfo
(cd "$dir" && find "$PWD/kernel" -name '*.ko' | sort) >"$list"
# The argument list is too long for one hyperfine command string: each tool is started by a
# two-line script that execs it with all paths (the same small overhead on both sides).
for tool in kmod ours; do
    bin=$ours; [ $tool = kmod ] && bin=$(command -v modinfo)
    printf '#!/bin/sh\nexec %s $(cat %s) >/dev/null\n' "$bin" "$list" >"$list.$tool"
    chmod +x "$list.$tool"
done
echo "modinfo of $(wc -l <"$list") modules in one call, $runs runs each"
hyperfine -N --warmup 3 --runs "$runs" --export-json "$list.json" \
    -n kmod "$list.kmod" -n ours "$list.ours" >/dev/null
python3 - "$list.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
k, o = r["kmod"]["median"], r["ours"]["median"]
print(f"median kmod {k*1000:.1f} ms, ours {o*1000:.1f} ms, ratio ours/kmod {o/k:.3f}")
PY
