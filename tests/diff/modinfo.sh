#!/usr/bin/env bash
# Differential test: our modinfo against kmod's on the real Debian module tree (see setup-tree.sh).
# Each check runs both tools with the same arguments (thousands of modules per call) and compares
# stdout, stderr and the exit status byte for byte. Prints "modinfo-diff: N passed, M failed".
# Usage: tests/diff/modinfo.sh [path-to-our-modinfo]   (default: target/release/modinfo, built if missing)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=$("$here/setup-tree.sh") || exit 1
kver=$(cat "$cache/kver")
ours=${1:-${KMOD_RS_BIN:-$top/target/release}/modinfo}
if [ ! -x "$ours" ]; then
    (cd "$top" && cargo build --release -q) || exit 1
fi
ref=$(command -v modinfo)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

# compare <label> <args...>: runs both tools, compares the three outputs.
compare() {
    local label=$1; shift
    # Both run as argv[0] "modinfo": getopt's messages quote argv[0] as given.
    (exec -a modinfo "$ref" "$@") >"$work/ref.out" 2>"$work/ref.err"; local rrc=$?
    (exec -a modinfo "$ours" "$@") >"$work/our.out" 2>"$work/our.err"; local orc=$?
    if [ -n "${strip_detail:-}" ]; then
        # Our deliberate addition to kmod's message about a damaged file (README "Differences
        # from kmod"): " (<path>: <what exactly is wrong>)".
        sed -i "s|^\(modinfo: ERROR: could not get modinfo from '[^']*': [^(]*\) (/.*)\$|\1|" "$work/our.err"
    fi
    if [ $rrc -eq $orc ] && cmp -s "$work/ref.out" "$work/our.out" && cmp -s "$work/ref.err" "$work/our.err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $label (exit kmod=$rrc ours=$orc)"
        diff <(tr '\0' '\n' <"$work/ref.out") <(tr '\0' '\n' <"$work/our.out") | head -n 8
        diff "$work/ref.err" "$work/our.err" | head -n 6
    fi
}

# Option sets checked on every module.
option_sets=(
    ""
    "-0"
    "-a" "-d" "-l" "-p" "-n"
    "-F alias" "-F depends" "-F vermagic" "-F name" "-F filename" "-F parm" "-F parmtype"
    "-F signer" "-F sig_key" "-F sig_hashalgo" "-F signature" "-F sig_id" "-F firmware"
    "-F softdep" "-F import_ns" "-F srcversion" "-F intree" "-F no_such_field" "-F Author"
    "-0 -F alias" "-0 -p" "-0 -n" "-p -0 -F license" "-a -d" "-F license -F author"
)

for tree in plain xz zst; do
    root="$cache/$tree"
    dir="$root/lib/modules/$kver"
    (cd "$dir" && find kernel -name '*.ko*' | sort) >"$work/rel"
    sed "s|^|$dir/|" "$work/rel" >"$work/paths"
    mapfile -t paths <"$work/paths"
    echo "modinfo-diff: $tree tree, ${#paths[@]} modules"
    for opts in "${option_sets[@]}"; do
        # shellcheck disable=SC2086
        compare "$tree by path [$opts]" $opts "${paths[@]}"
    done
    if [ "$tree" = plain ]; then
        # Every module name, built-ins included, through the indexes.
        sed 's|.*/||; s|\.ko.*||' "$work/rel" >"$work/names"
        sed 's|.*/||; s|\.ko$||' "$dir/modules.builtin" >>"$work/names"
        mapfile -t names <"$work/names"
        echo "modinfo-diff: ${#names[@]} names"
        for opts in "" "-0" "-n" "-F name" "-m" "-m -F filename" "-p"; do
            # shellcheck disable=SC2086
            compare "$tree by name [$opts]" -b "$root" -k "$kver" $opts "${names[@]}"
        done
        # 200 aliases taken from modules.alias (every 40th line), wildcards filled in, and as written.
        awk 'NR>1 && NR%40==0 {print $2}' "$dir/modules.alias" | head -n 200 >"$work/aliases"
        mapfile -t aliases <"$work/aliases"
        mapfile -t filled < <(sed 's/\*/0/g; s/?/0/g; s/\[[^]]*\]/0/g' "$work/aliases")
        echo "modinfo-diff: ${#aliases[@]} aliases"
        compare "aliases as written" -b "$root" -k "$kver" "${aliases[@]}"
        compare "aliases filled" -b "$root" -k "$kver" "${filled[@]}"
        compare "aliases filled -F name" -b "$root" -k "$kver" -F name "${filled[@]}"
        compare "symbols" -b "$root" -k "$kver" -F name symbol:jbd2_journal_start symbol:no_such_symbol symbol:crc32c
        compare "missing and odd names" -b "$root" -k "$kver" no_such_module 'foo]' 'a:b' fs-ext4 net-pf-1 '' -m crc32c
        compare "missing root" -b "$work/none" -k "$kver" ext4
        compare "no arguments"
        compare "help" -h
        compare "bad option" -z
        compare "missing argument" -F
    fi
done

# xz files that are more than one stream: kmod decodes concatenated streams and stream padding (four
# zero bytes), and refuses other bytes after a stream (compared without our detail after kmod's
# message). The empty second stream keeps the signature trailer at the end of the decoded file.
xzmod=$(find "$cache/xz/lib/modules/$kver" -name 'crc16.ko.xz' | head -n 1)
mkdir "$work/xz"
xz -c </dev/null >"$work/xz/empty.xz"
cat "$xzmod" "$work/xz/empty.xz" >"$work/xz/two-streams.ko.xz"
cat "$xzmod" "$xzmod" >"$work/xz/same-twice.ko.xz"
{ cat "$xzmod"; head -c 4 /dev/zero; } >"$work/xz/padding.ko.xz"
{ cat "$xzmod"; head -c 1 /dev/zero; } >"$work/xz/bad-padding.ko.xz"
{ cat "$xzmod"; printf junk; } >"$work/xz/junk.ko.xz"
{ cat "$xzmod"; head -c 12 "$work/xz/empty.xz"; } >"$work/xz/cut-second.ko.xz"
for f in two-streams same-twice padding bad-padding junk cut-second; do
    strip_detail=1 compare "xz: $f" "$work/xz/$f.ko.xz"
done

# gzip: kmod 30 is built without zlib, so ours on the .ko.gz tree must equal ours on the plain tree.
gzroot="$cache/gz/lib/modules/$kver"
(cd "$gzroot" && find kernel -name '*.ko.gz' | sort) >"$work/gzrel"
mapfile -t gzpaths < <(sed "s|^|$gzroot/|" "$work/gzrel")
mapfile -t plainpaths < <(sed "s|^|$cache/plain/lib/modules/$kver/|; s|\.gz$||" "$work/gzrel")
echo "modinfo-diff: gz tree, ${#gzpaths[@]} modules (against our plain-tree output)"
for opts in "" "-0" "-p" "-F signature"; do
    # shellcheck disable=SC2086
    "$ours" $opts "${gzpaths[@]}" 2>&1 | sed "s|$cache/gz/|$cache/plain/|; s|\.ko\.gz|.ko|" >"$work/gz.out"
    # shellcheck disable=SC2086
    "$ours" $opts "${plainpaths[@]}" >"$work/plain.out" 2>&1
    if cmp -s "$work/gz.out" "$work/plain.out"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: gz [$opts]"; diff "$work/plain.out" "$work/gz.out" | head -n 5
    fi
done

echo "modinfo-diff: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
