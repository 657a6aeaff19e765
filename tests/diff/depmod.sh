#!/usr/bin/env bash
# Differential check of our depmod against Debian's kmod 30 on the real module trees prepared by
# tests/diff/setup-tree.sh (plain, xz, zstd and gzip copies of one Debian kernel's modules).
#
#   tests/diff/setup-tree.sh && tests/diff/depmod.sh
#
# Our binary is $KMOD_RS_BIN (a multi-call binary, a `depmod` link to it, or their directory); without it the script
# builds one with `cargo build --release`. The trees are read only: our outputs go to a scratch
# directory through `depmod -o`. Checks:
#   * text files (modules.dep, .alias, .softdep, .devname, .symbols) byte-identical to kmod's;
#   * every .bin index holds the same keys, values and priorities as kmod's (dumped and compared);
#   * for the gzip tree (Debian's kmod 30 is built without zlib) both against a zlib-enabled kmod 30
#     run on a scratch copy of the tree, when there is one: $KMOD_ZLIB_BIN (the directory of its
#     depmod) or $KMOD_TEST_CACHE/kmod-zlib/bin (tests/tools/build-kmod-zlib.sh builds it);
#     otherwise against our own plain-tree output with .ko.gz names;
#   * kmod 30's `modprobe --show-depends` for every module and `modprobe -R` for every alias
#     pattern (wildcards filled in) answer the same on our indexes as on kmod's;
#   * a second run, and a run on a copy of the tree at another path, give the same bytes;
#   * `depmod -n` prints what kmod 30 prints (plus kmod 34's modules.weakdep header), and so do
#     `depmod -n -v` and the warnings of `depmod -e -F` with an empty System.map;
#   * `depmod -A` does its work exactly when kmod's does.
# Ends with `depmod-diff: N passed, M failed`; exits 1 if anything failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${KMOD_TEST_CACHE:-$HOME/.cache/kmod-rs-tree}
[ -f "$cache/kver" ] || { echo "depmod-diff: no trees in $cache; run tests/diff/setup-tree.sh" >&2; exit 2; }
kver=$(cat "$cache/kver")
command -v depmod >/dev/null && command -v modprobe >/dev/null ||
    { echo "depmod-diff: kmod's depmod/modprobe not installed" >&2; exit 2; }
command -v python3 >/dev/null || { echo "depmod-diff: python3 is needed to dump indexes" >&2; exit 2; }

if [ -z "${KMOD_RS_BIN:-}" ]; then
    (cd "$repo" && cargo build --release --quiet --bin kmod) || exit 2
    KMOD_RS_BIN="${CARGO_TARGET_DIR:-$repo/target}/release/kmod"
fi
# Like the other scripts, accept the directory of the release binaries too (tests/run-all.sh).
[ -d "$KMOD_RS_BIN" ] && KMOD_RS_BIN="$KMOD_RS_BIN/kmod"
work=$(mktemp -d "${TMPDIR:-/tmp}/depmod-diff.XXXXXX")
trap 'rm -rf "$work"' EXIT
ln -s "$(realpath "$KMOD_RS_BIN")" "$work/depmod"
ours="$work/depmod"

# The reference for the gzip tree: a zlib-enabled kmod 30 if there is one.
zlib_depmod=
if [ -n "${KMOD_ZLIB_BIN:-}" ]; then
    zlib_depmod=$KMOD_ZLIB_BIN
    [ -d "$zlib_depmod" ] && zlib_depmod="$zlib_depmod/depmod"
    [ -f "$zlib_depmod" ] && [ -x "$zlib_depmod" ] ||
        { echo "depmod-diff: KMOD_ZLIB_BIN: no depmod at $zlib_depmod" >&2; exit 2; }
elif [ -x "$cache/kmod-zlib/bin/depmod" ]; then
    zlib_depmod="$cache/kmod-zlib/bin/depmod"
fi
if [ -n "$zlib_depmod" ] && ! "$zlib_depmod" --version 2>/dev/null | grep -qw '+ZLIB'; then
    echo "depmod-diff: $zlib_depmod is not built with zlib (tests/tools/build-kmod-zlib.sh)" >&2
    exit 2
fi

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # <description> <command...>: passes when the command succeeds
    local what=$1; shift
    if "$@" >"$work/check.out" 2>&1; then pass "$what"; else fail "$what"; sed 's/^/     /' "$work/check.out" | head -n 20; fi
}

# Index dumper: one "key<TAB>priority<TAB>value" line per value, in trie pre-order.
cat >"$work/dump.py" <<'PY'
import struct, sys
def dump(path, out):
    d = open(path, 'rb').read()
    if len(d) < 12:
        out.write('EMPTY %d\n' % len(d)); return
    magic, version, root = struct.unpack_from('>III', d, 0)
    out.write('HEADER %08x %08x\n' % (magic, version))
    stack = [(root, b'')]
    while stack:
        word, key = stack.pop()
        p = word & 0x0fffffff
        if word & 0x80000000:
            end = d.index(0, p); key += d[p:end]; p = end + 1
        kids = []
        if word & 0x20000000:
            first, last = d[p], d[p + 1]; p += 2
            for i in range(last - first + 1):
                child, = struct.unpack_from('>I', d, p + 4 * i)
                if child: kids.append((child, key + bytes([first + i])))
            p += 4 * (last - first + 1)
        if word & 0x40000000:
            count, = struct.unpack_from('>I', d, p); p += 4
            for _ in range(count):
                prio, = struct.unpack_from('>I', d, p); p += 4
                end = d.index(0, p)
                out.write('%s\t%d\t%s\n' % (key.decode('latin-1'), prio, d[p:end].decode('latin-1')))
                p = end + 1
        stack.extend(reversed(kids))
dump(sys.argv[1], sys.stdout)
PY
dump() { python3 "$work/dump.py" "$1"; }

texts="modules.dep modules.alias modules.softdep modules.devname modules.symbols"
bins="modules.dep.bin modules.alias.bin modules.symbols.bin modules.builtin.bin modules.builtin.alias.bin"
all_outputs="modules.dep modules.dep.bin modules.alias modules.alias.bin modules.softdep modules.weakdep
    modules.symbols modules.symbols.bin modules.builtin.bin modules.builtin.alias.bin modules.devname"

same_files() { # <dir a> <dir b> <names...>
    local a=$1 b=$2 f rc=0; shift 2
    for f in "$@"; do cmp "$a/$f" "$b/$f" || rc=1; done
    return $rc
}
same_dumps() { # <dir a> <dir b> [sed expression applied to b]
    local a=$1 b=$2 expr=${3:-} f rc=0
    for f in $bins; do
        if ! diff <(dump "$a/$f") <(dump "$b/$f" | sed -e "${expr:-s/^//}") >"$work/dump.diff"; then
            echo "$f differs:"; head -n 5 "$work/dump.diff"; rc=1
        fi
    done
    return $rc
}

run_ours() { # <tree name> <outdir> [extra args...]
    local tree=$1 out=$2; shift 2
    "$ours" -b "$cache/$tree" -o "$out" "$@" "$kver"
}
zlib_reference() { # <root>: the zlib kmod's outputs for the gzip tree, in a scratch copy of it
    local src="$cache/gz/lib/modules/$kver" dst="$1/lib/modules/$kver"
    mkdir -p "$dst"
    cp -al "$src/kernel" "$dst/" 2>/dev/null || cp -r "$src/kernel" "$dst/"
    cp "$src"/modules.order "$src"/modules.builtin "$src"/modules.builtin.modinfo "$dst/"
    "$zlib_depmod" -b "$1" "$kver"
}

# 1. Each tree: outputs against kmod's.
for tree in plain xz zst gz; do
    out="$work/out-$tree"
    if ! run_ours "$tree" "$out" 2>"$work/$tree.err"; then
        fail "$tree: depmod failed"; cat "$work/$tree.err"; continue
    fi
    check "$tree: no messages" test ! -s "$work/$tree.err"
    mine="$out/lib/modules/$kver" theirs="$cache/$tree/lib/modules/$kver"
    check "$tree: all 11 files written" bash -c "cd '$mine' && ls $(echo $all_outputs) >/dev/null"
    if [ "$tree" = gz ] && [ -n "$zlib_depmod" ]; then
        if zlib_reference "$work/ref-gz" >"$work/ref-gz.err" 2>&1; then
            theirs="$work/ref-gz/lib/modules/$kver"
            # shellcheck disable=SC2086
            check "gz: text files byte-identical to kmod 30+zlib" same_files "$theirs" "$mine" $texts
            check "gz: indexes hold kmod 30+zlib's keys, values and priorities" same_dumps "$theirs" "$mine"
        else
            fail "gz: kmod 30+zlib's depmod failed"; cat "$work/ref-gz.err"
        fi
        rm -rf "$work/ref-gz"
    elif [ "$tree" = gz ]; then
        echo "     (no zlib-enabled kmod: gz compared with our plain-tree output)"
        plain="$work/out-plain/lib/modules/$kver"
        check "gz: modules.dep = plain with .ko.gz names" \
            diff <(sed 's/\.ko\b/.ko.gz/g' "$plain/modules.dep") "$mine/modules.dep"
        check "gz: other text files = plain" same_files "$plain" "$mine" \
            modules.alias modules.softdep modules.devname modules.symbols modules.weakdep
        check "gz: indexes = plain with .ko.gz names" same_dumps "$mine" "$plain" 's/\.ko\b/.ko.gz/g'
    else
        # shellcheck disable=SC2086
        check "$tree: text files byte-identical to kmod 30" same_files "$theirs" "$mine" $texts
        check "$tree: indexes hold kmod 30's keys, values and priorities" same_dumps "$theirs" "$mine"
    fi
done

# 2. kmod 30's modprobe gives the same answers on our indexes as on its own.
plain_k="$cache/plain/lib/modules/$kver" plain_o="$work/out-plain/lib/modules/$kver"
make_root() { # <root> <dir with index files>
    local d="$1/lib/modules/$kver"
    mkdir -p "$d" && ln -s "$plain_k/kernel" "$d/kernel"
    cp "$plain_k"/modules.order "$plain_k"/modules.builtin "$plain_k"/modules.builtin.modinfo "$d/"
    for f in $all_outputs; do [ -e "$2/$f" ] && cp "$2/$f" "$d/"; done
}
if [ -d "$plain_o" ]; then
    make_root "$work/root-k" "$plain_k" && make_root "$work/root-o" "$plain_o"
    cut -d: -f1 "$plain_k/modules.dep" | sed 's#.*/##; s/\..*//; s/-/_/g' >"$work/names"
    sed -n 's/^alias \([^ ]*\) .*/\1/p' "$plain_k/modules.alias" |
        sed 's/\*/x/g; s/?/x/g; s/\[\([^]]\)[^]]*\]/\1/g' | sort -u >"$work/aliases"
    ask() { # <root> <option> <file of names>
        xargs -a "$3" -n 200 modprobe -d "$1" -S "$kver" -a "$2" 2>&1 | sed "s#$1#ROOT#g"
    }
    check "modprobe --show-depends on every module ($(wc -l <"$work/names") names)" \
        diff <(ask "$work/root-k" --show-depends "$work/names") <(ask "$work/root-o" --show-depends "$work/names")
    check "modprobe -R on every alias pattern ($(wc -l <"$work/aliases") aliases)" \
        diff <(ask "$work/root-k" -R "$work/aliases") <(ask "$work/root-o" -R "$work/aliases")
fi

# 3. Determinism: a second run, and a copy of the tree at another path.
if run_ours plain "$work/again" 2>/dev/null; then
    # shellcheck disable=SC2086
    check "plain: second run gives the same bytes" \
        same_files "$work/out-plain/lib/modules/$kver" "$work/again/lib/modules/$kver" $all_outputs
else
    fail "plain: second run failed"
fi
mkdir -p "$work/copy/elsewhere/lib/modules"
cp -r "$cache/plain/lib/modules/$kver" "$work/copy/elsewhere/lib/modules/"
if "$ours" -b "$work/copy/elsewhere" "$kver" 2>/dev/null; then
    # shellcheck disable=SC2086
    check "plain: a copy at another path gives the same bytes" \
        same_files "$work/out-plain/lib/modules/$kver" "$work/copy/elsewhere/lib/modules/$kver" $all_outputs
else
    fail "plain: run on a copy failed"
fi
rm -rf "$work/copy"

# 4. depmod -n prints what kmod prints (kmod 34 adds the modules.weakdep header).
weakdep_header='# Weak dependencies extracted from modules themselves.'
check "depmod -n = kmod 30's (besides the weakdep header)" diff \
    <(depmod -n -b "$cache/plain" "$kver" 2>&1) \
    <("$ours" -n -b "$cache/plain" "$kver" 2>&1 | grep -vxF "$weakdep_header")

# 5. Messages and -v output on the whole tree: every unknown symbol against an empty System.map
#    (over a hundred thousand warnings, in kmod's order) and every dependency edge.
: >"$work/empty.map"
check "depmod -e -F <empty System.map>: the same warnings as kmod 30" diff \
    <(depmod -n -e -F "$work/empty.map" -b "$cache/plain" "$kver" 2>&1 >/dev/null) \
    <("$ours" -n -e -F "$work/empty.map" -b "$cache/plain" "$kver" 2>&1 >/dev/null)
# A Module.symvers exporting every other unknown symbol from vmlinux with a made-up CRC: the
# CRC checks of -E (tens of thousands of "disagrees about version" warnings).
depmod -n -e -F "$work/empty.map" -b "$cache/plain" "$kver" 2>&1 >/dev/null |
    sed -n 's/.* needs unknown symbol \(.*\)$/\1/p' | sort -u |
    awk 'NR % 2 == 0 { printf "0x%08x\t%s\tvmlinux\tEXPORT_SYMBOL\t\n", NR, $1 }' >"$work/fake.symvers"
check "depmod -e -E <made-up Module.symvers>: the same warnings as kmod 30" diff \
    <(depmod -n -e -E "$work/fake.symvers" -b "$cache/plain" "$kver" 2>&1 >/dev/null) \
    <("$ours" -n -e -E "$work/fake.symvers" -b "$cache/plain" "$kver" 2>&1 >/dev/null)
check "depmod -n -v: the same output as kmod 30" diff \
    <(depmod -n -v -b "$cache/plain" "$kver" 2>/dev/null) \
    <("$ours" -n -v -b "$cache/plain" "$kver" 2>/dev/null | grep -vxF "$weakdep_header")

# 6. depmod -A does the work exactly when kmod's does, on two small copies.
small() { # <dir>: a tree of 40 modules with modules.order
    local d="$1/lib/modules/$kver"
    mkdir -p "$d"
    (cd "$plain_k" && head -n 40 modules.order | while read -r m; do
        mkdir -p "$d/$(dirname "$m")" && cp "$m" "$d/$m"; done)
    head -n 40 "$plain_k/modules.order" >"$d/modules.order"
    cp "$plain_k/modules.builtin" "$plain_k/modules.builtin.modinfo" "$d/"
}
small "$work/qk" && small "$work/qo"
quick_case() { # <description> <setup command run in each module dir> [extra depmod args]
    local what=$1 setup=$2 extra=${3:-} k o
    (cd "$work/qk/lib/modules/$kver" && eval "$setup")
    (cd "$work/qo/lib/modules/$kver" && eval "$setup")
    rm -f "$work/qk/lib/modules/$kver/modules.alias" "$work/qo/lib/modules/$kver/modules.alias"
    depmod -A $extra -b "$work/qk" "$kver" >/dev/null 2>&1; k=$?
    "$ours" -A $extra -b "$work/qo" "$kver" >/dev/null 2>&1; o=$?
    k="$k $(test -e "$work/qk/lib/modules/$kver/modules.alias" && echo ran || echo skipped)"
    o="$o $(test -e "$work/qo/lib/modules/$kver/modules.alias" && echo ran || echo skipped)"
    check "depmod -A $what: kmod '$k', ours '$o'" test "$k" = "$o"
}
quick_case "without modules.dep" "rm -f modules.dep"
quick_case "when up to date" "touch -d '2000-01-01' \$(find kernel -type f); touch -d '2001-01-01' modules.dep"
quick_case "with a newer module" "touch -d '2002-01-01' \$(find kernel -type f | head -n 1)"
quick_case "with a module newer by less than a second" \
    "touch -d '2003-01-01 00:00:00.1' modules.dep; touch -d '2003-01-01 00:00:00.9' \$(find kernel -type f | head -n 1)"
quick_case "with a newer non-module file" "touch -d '2004-01-01' modules.dep; touch -d '2005-01-01' kernel/notes.txt"
quick_case "and -n" "rm -f modules.dep" -n

echo "depmod-diff: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
