#!/usr/bin/env bash
# Differential test: our modprobe against kmod's (Debian 12: kmod 30) on the real Debian module tree
# (see setup-tree.sh). Each check runs both with the same arguments and compares stdout, stderr and
# the exit status byte for byte, after two documented normalisations of kmod 30's output:
#   * kmod 30 prints C source locations in library messages (`../libkmod/libkmod-module.c:1567
#     lookup_softdep() ` after the level, or `ERROR ../libkmod/libkmod-config.c:712 ` for the
#     default logger); kmod 34, our target, does not: they are removed from kmod's stderr;
#   * kmod 30 predates `weakdep` (v33): its "ignoring bad line starting with 'weakdep'" errors are
#     removed from its stderr and our `weakdep` lines from our `-c` output.
# Where many modules are checked, they are batched with `-a` (one call, every operand processed).
# Checks that need a private mount namespace (a sample /proc/cmdline bind-mounted for kmod; ours
# reads it from KMOD_RS_CMDLINE) are skipped, with a note, when that is not possible.
# Prints "modprobe-diff: N passed, M failed"; exits non-zero on failure.
# Usage: tests/diff/modprobe.sh [path-to-our-modprobe]  (default: $KMOD_RS_BIN/modprobe, where
# KMOD_RS_BIN defaults to target/release; built if missing)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=$("$here/setup-tree.sh") || exit 1
kver=$(cat "$cache/kver")
ours=${1:-${KMOD_RS_BIN:-$top/target/release}/modprobe}
if [ ! -x "$ours" ]; then
    (cd "$top" && cargo build --release -q --bin modprobe) || exit 1
fi
ref=$(command -v modprobe) || { echo "modprobe-diff: kmod's modprobe not found" >&2; exit 1; }
fix="$top/fixtures/modprobe.d"
root="$cache/plain"
dir="$root/lib/modules/$kver"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0 skipped=0
tree=(-d "$root" -S "$kver")

# Can kmod be shown another /proc/cmdline? (root and unshare needed)
netns_ok=0
if unshare -m sh -c "mount --bind '$fix/cmdline' /proc/cmdline" 2>/dev/null; then netns_ok=1; fi

normalise_ref() { # kmod 30 → kmod 34 message forms (see the header)
    sed -E -i 's#: (ERROR|WARNING|INFO|DEBUG|NOTICE): \.\./libkmod/[a-z_-]+\.c:[0-9]+ [a-z_]+\(\) #: \1: #;
        s#^libkmod: (ERROR|WARNING|INFO|DEBUG|NOTICE) \.\./libkmod/[a-z_-]+\.c:[0-9]+ #libkmod: \1: #;
        /ignoring bad line starting with .weakdep.$/d' "$1"
}

# run_pair <cmdline-file or ""> <sys-module-dir or ""> <args...>: runs kmod and ours, leaves
# ref.* and our.*. A command line file is bind-mounted over /proc/cmdline for kmod and given to
# ours through KMOD_RS_CMDLINE; a sys-module directory is bind-mounted over /sys/module for both.
run_pair() {
    local cmdline=$1 sysmod=$2; shift 2
    local mounts=true
    [ -n "$cmdline" ] && mounts="$mounts && mount --bind '$cmdline' /proc/cmdline"
    [ -n "$sysmod" ] && mounts="$mounts && mount --bind '$sysmod' /sys/module"
    if [ "$mounts" != true ]; then
        unshare -m bash -c "$mounts"' && exec -a modprobe "$@"' _ "$ref" "$@" \
            >"$work/ref.out" 2>"$work/ref.err"
        rrc=$?
        mounts=true
        [ -n "$sysmod" ] && mounts="$mounts && mount --bind '$sysmod' /sys/module"
        KMOD_RS_CMDLINE=${cmdline:-/proc/cmdline} unshare -m bash -c "$mounts"' && exec -a modprobe "$@"' \
            _ "$ours" "$@" >"$work/our.out" 2>"$work/our.err"
        orc=$?
    else
        # (kmod crashes on a few inputs; keep the shell's "Segmentation fault" notice out.)
        { (exec -a modprobe "$ref" "$@") >"$work/ref.out" 2>"$work/ref.err"; } 2>/dev/null
        rrc=$?
        (exec -a modprobe "$ours" "$@") >"$work/our.out" 2>"$work/our.err"
        orc=$?
    fi
    normalise_ref "$work/ref.err"
    sed -i '/^weakdep /d' "$work/our.out"
}

# compare <label> <args...>        — default /proc/cmdline
# compare_cmdline <label> <args...> — the sample kernel command line (or $cmdline_file)
# compare_sysfs <label> <args...>  — the fake /sys/module made below
compare() { local label=$1; shift; run_pair "" "" "$@"; verdict "$label"; }
compare_cmdline() { # another command line file: cmdline_file=<file> compare_cmdline ...
    local label=$1; shift
    if [ "$netns_ok" -eq 0 ]; then skipped=$((skipped + 1)); return; fi
    run_pair "${cmdline_file:-$fix/cmdline}" "" "$@"; verdict "$label [${cmdline_file:-sample} cmdline]"
}
compare_sysfs() {
    local label=$1; shift
    if [ "$netns_ok" -eq 0 ]; then skipped=$((skipped + 1)); return; fi
    run_pair "" "$work/sys-module" "$@"; verdict "$label [fake sysfs]"
}
verdict() {
    if [ "$rrc" -eq "$orc" ] && cmp -s "$work/ref.out" "$work/our.out" &&
        cmp -s "$work/ref.err" "$work/our.err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $1 (exit kmod=$rrc ours=$orc)"
        diff "$work/ref.out" "$work/our.out" | head -n 8
        diff "$work/ref.err" "$work/our.err" | head -n 6
    fi
}

# ours_sane <label> <args...>: inputs on which kmod 30 reads out of bounds and crashes (SIGSEGV):
# ours must finish (exit 0 or 1) without a panic or a hang, and report an error if it fails.
ours_sane() {
    local label=$1; shift
    timeout 20 "$ours" "$@" >"$work/our.out" 2>"$work/our.err"; orc=$?
    if { [ "$orc" -eq 0 ] || { [ "$orc" -eq 1 ] && [ -s "$work/our.err" ]; }; } &&
        ! grep -q panicked "$work/our.err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL: $label (ours exit $orc)"; head -n 3 "$work/our.err"
    fi
}

# compare_crash <label> <args...>: kmod 30 recurses until it crashes (softdep loops on removal);
# ours must stop: exit 0, no panic, and print the beginning of what kmod printed.
compare_crash() {
    local label=$1; shift
    run_pair "" "" "$@"
    local n; n=$(wc -l <"$work/our.out")
    if [ "$orc" -eq 0 ] && [ "$rrc" -ge 128 ] && [ "$n" -gt 0 ] && ! grep -q panicked "$work/our.err" &&
        cmp -s "$work/our.out" <(head -n "$n" "$work/ref.out"); then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL: $label (exit kmod=$rrc ours=$orc)"; head -n 5 "$work/our.out"
    fi
}

# known <reason> <compare-function> <label> <args...>: a difference that is understood and owned
# elsewhere: counted and listed apart, not as a failure (a pass if the outputs agree).
known_list=()
known() {
    local reason=$1 fn=$2 label=$3; shift 3
    local before=$fail
    "$fn" "$label" "$@" >"$work/known.log"
    if [ "$fail" -gt "$before" ]; then
        fail=$before; known_list+=("$label: $reason")
    fi
}

# batches <label-prefix> <file-of-names> <size> <args...>: `-a <args> names...` in batches.
batches() {
    local label=$1 list=$2 size=$3; shift 3
    split -l "$size" -d "$list" "$work/batch."
    for b in "$work"/batch.*; do
        mapfile -t names <"$b"
        "$compare_fn" "$label $(basename "$b")" "$@" -a "${names[@]}"
    done
    rm -f "$work"/batch.*
}

(cd "$dir" && find kernel -name '*.ko' | sed 's|.*/||; s|\.ko$||' | sort) >"$work/names"
sed 's|.*/||; s|\.ko$||' "$dir/modules.builtin" >"$work/builtins"
awk 'NR % 10 == 0' "$work/names" >"$work/some-names"
echo "modprobe-diff: $(wc -l <"$work/names") modules, $(wc -l <"$work/builtins") built-in"

# 200 aliases from modules.alias, wildcards filled in.
fill_awk='
function fill(p, star,   out, i, c, j, cls) {
    out = ""
    for (i = 1; i <= length(p); i++) {
        c = substr(p, i, 1)
        if (c == "*") out = out star
        else if (c == "?") out = out "0"
        else if (c == "[") {
            j = index(substr(p, i + 1), "]")
            if (j == 0) { out = out c; continue }
            cls = substr(p, i + 1, j - 1)
            if (substr(cls, 1, 1) == "!" || substr(cls, 1, 1) == "^") out = out "~"
            else out = out substr(cls, 1, 1)
            i += j
        } else out = out c
    }
    return out
}'
awk "$fill_awk"' NR > 1 && NR % 130 == 0 { print fill($2, "") }' "$dir/modules.alias" | head -n 200 >"$work/aliases"

# ~2000 device modaliases from modules.alias patterns: a share of each bus, wildcards filled two
# ways, plus made-up ones that match nothing.
awk "$fill_awk"'
NR == 1 { next }
{
    a = $2; bus = a; sub(/:.*/, "", bus)
    if (a ~ /^(fs|net-pf|char-major)-/) { print fill(a, ""); print fill(a, "1"); next }
    if (bus == "pci") k = 40; else if (bus == "usb") k = 40; else if (bus == "of") k = 12
    else if (bus == "acpi*" || bus == "acpi") k = 6; else if (bus == "platform") k = 2
    else if (bus == "cpu") k = 3; else next
    n[bus]++
    if (n[bus] % k) next
    print fill(a, ""); print fill(a, "0A")
}' "$dir/modules.alias" >"$work/modaliases"
for i in $(seq 1 60); do
    printf '%s\n' "pci:v0000DEADd0000BE$(printf %02X "$i")sv00000000sd00000000bcFFscFFi$(printf %02X "$i")" \
        "usb:vDEADp$(printf %04X "$i")d0000dcFFdscFFdpFFicFFiscFFipFFin00" "acpi*:NOPE$(printf %04d "$i"):" \
        "of:NnopeT<NULL>Cvendor,nope-$i" "platform:nope-device-$i" "cpu:type:x86,ven9999fam00FFmod00$i:feature:" \
        "fs-nope$i" "net-pf-$((100 + i))" "char-major-$((240 + i % 10))-$i"
done >>"$work/modaliases"
echo "modprobe-diff: $(wc -l <"$work/aliases") aliases, $(wc -l <"$work/modaliases") device modaliases"

for compare_fn in compare compare_cmdline; do
    # --show-depends of every module (default configuration: Debian's modprobe.d files) and of
    # every built-in module; with the sample configuration; a sample one by one (no -a).
    batches "show-depends" "$work/names" 500 "${tree[@]}" -D
    batches "show-depends builtin" "$work/builtins" 500 "${tree[@]}" -D
    batches "show-depends sample" "$work/names" 500 "${tree[@]}" -C "$fix/sample" -D
    batches "dry-run verbose" "$work/names" 1000 "${tree[@]}" -n -v
    # 200 aliases: dependencies and resolution, default and sample configuration.
    mapfile -t aliases <"$work/aliases"
    "$compare_fn" "show-depends aliases" "${tree[@]}" -D -a "${aliases[@]}"
    "$compare_fn" "show-depends aliases sample" "${tree[@]}" -C "$fix/sample" -D -a "${aliases[@]}"
    "$compare_fn" "resolve aliases" "${tree[@]}" -R -a "${aliases[@]}"
done
for name in $(cat "$work/some-names"); do
    compare "show-depends $name" "${tree[@]}" -D "$name"
done
compare_cmdline "show-depends ext4" "${tree[@]}" -D ext4
compare_cmdline "show-depends loop" "${tree[@]}" -C "$fix/sample" -D loop extra=1

# -R for the device modaliases, batched, and a sample one by one (a miss is FATAL there).
compare_fn=compare
batches "resolve modaliases" "$work/modaliases" 500 "${tree[@]}" -R
batches "resolve modaliases sample" "$work/modaliases" 1000 "${tree[@]}" -C "$fix/sample" -R
while read -r a; do compare "resolve $a" "${tree[@]}" -R "$a"; done < <(awk 'NR % 25 == 0' "$work/modaliases")

# The sample configuration's cases one by one.
for args in "my-ext4" "my_fs_x" "blockdev-3" "net-card-b1" "netcard-z" "vfat" "ghost" "beeper" \
    "usb-disk" "dummy-only-install" "dummy-only-remove" "snd-pcsp" "nfsd" "crypto-crc32c" \
    "loop" "xfs" "btrfs" "nbd" "sr_mod" "isofs" "udf" "msdos" "fat" "-b beeper" "-b e1000e" \
    "-i usb-disk" "-i fat" "-R ghost" "-R netcard-1" "-R dummy-only-remove" "ext4 a=1 b=c\ d" \
    "-r e1000e" "-r fat" "-r -i fat" "-r dummy-only-remove" "-r dummy-only-install" \
    "-r --remove-holders ext4" "-r ghost" "-r nothing-here" "-r bad]name"; do
    eval "set -- $args"
    compare "sample -D $args" "${tree[@]}" -C "$fix/sample" -D "$@"
done
compare_crash "sample -D -r loop (softdep loop)" "${tree[@]}" -C "$fix/sample" -D -r loop
compare_crash "sample -D -r xfs (softdep loop)" "${tree[@]}" -C "$fix/sample" -D -r xfs
# Real (not dry) runs only where no module would be loaded or removed on this machine: command-only
# names, names without a module file, built-in modules, names that resolve to nothing.
for args in "-n -v dummy-only-install x=1" "-n -v usb-disk" "-n -v -r dummy-only-remove" \
    "-n -v fat" "-n -v --first-time unix" "-n -v unix" "dummy-only-install" "dummy-fail" \
    "-q dummy-fail" "-r dummy-only-remove" "ghost" "-r ghost" "-r --first-time ghost" "-r unix" \
    "-q -r unix" "-r -a ghost nothing-here unix" "-a -n -v ext4 nothing-here loop" "-n nothing-here" \
    "-q nothing-here" "-a -q nothing-here ext4" "-n -v bad]name" "-n -v -r bad]name"; do
    eval "set -- $args"
    compare "sample $args" "${tree[@]}" -C "$fix/sample" "$@"
done

# Loaded modules, their users and holders: a fake /sys/module (ext4 loaded and using jbd2,
# mbcache and crc16; loop unused; xfs coming; fuse a directory without initstate, like a built-in
# module with parameters). Dry runs only: nothing is loaded or removed.
sysmod="$work/sys-module"
mod() { # <name> <initstate> <refcnt> <holders...>
    local m=$1 st=$2 rc=$3; shift 3
    mkdir -p "$sysmod/$m/holders" && echo "$st" >"$sysmod/$m/initstate" && echo "$rc" >"$sysmod/$m/refcnt"
    for h in "$@"; do mkdir -p "$sysmod/$m/holders/$h"; done
}
mod ext4 live 0; mod jbd2 live 1 ext4; mod mbcache live 1 ext4; mod crc16 live 1 ext4
mod crc32c_generic live 2; mod loop live 0; mod xfs coming 0; mkdir -p "$sysmod/fuse"
for args in "-n -v -r ext4" "-n -v -r jbd2" "-n -v -r --remove-holders jbd2" "-n -v ext4" \
    "-n -v --first-time ext4" "-n -v -r --first-time fuse" "-n -v -r fuse" "-n -v -r xfs" \
    "-n -v loop" "-n -v -r crc32c_generic" "-n -v -r -w 100 crc32c_generic" "-D -r ext4" \
    "-n -v -r -a ext4 crc16 nothing loop" "-n -v -a ext4 fuse xfs vfat" "-n -v crypto-crc32c" \
    "-n -v -r crypto-crc32c" "-q -n -v -r jbd2" "-n -v -r -i jbd2"; do
    eval "set -- $args"
    compare_sysfs "$args" "${tree[@]}" "$@"
done

# -c: no configuration, the sample, files overriding each other, Debian's own modprobe.d files.
mkdir -p "$work/empty"
compare "config none" "${tree[@]}" -C "$work/empty" -c
compare "config sample" "${tree[@]}" -C "$fix/sample" -c
compare "config override" "${tree[@]}" -C "$fix/override/etc" -C "$fix/override/run" \
    -C "$fix/override/lib" -C "$fix/sample/10-options.conf" -c
compare "config debian" "${tree[@]}" -c
compare "config no indexes" -d "$work/empty" -S "$kver" -c
compare_cmdline "config sample" "${tree[@]}" -C "$fix/sample" -c
compare_cmdline "config debian" "${tree[@]}" -c

# --show-modversions / --dump-modversions / --show-exports on a sample of modules, plain and
# compressed, and on things that are not modules.
(cd "$dir" && find kernel -name '*.ko' | sort | awk 'NR % 40 == 1') >"$work/sample-ko"
while read -r rel; do
    for t in plain xz zst; do
        f=$(ls "$cache/$t/lib/modules/$kver/$rel"* 2>/dev/null | head -n 1)
        [ -n "$f" ] || continue
        compare "show-modversions $t $rel" --show-modversions "$f"
        compare "show-exports $t $rel" --show-exports "$f"
    done
    compare "dump-modversions $rel" --dump-modversions "$dir/$rel"
done <"$work/sample-ko"
cp /etc/hostname "$work/not-a-module.ko" 2>/dev/null || echo text >"$work/not-a-module.ko"
for f in /nonexistent.ko "$work/not-a-module.ko" "$work" ext4; do
    compare "show-modversions $f" --show-modversions "$f"
    compare "show-exports $f" --show-exports "$f"
    compare "show-exports -q $f" -q --show-exports "$f"
done

# Bad input: configuration files.
bad="$work/bad"; mkdir -p "$bad"
printf 'alias good-one loop\njunk line here\n  # indented comment\nbogus\ninclude other.conf\nconfig x\n' >"$bad/junk.conf"
printf 'alias bin\001\002ary loop\noptions loop \001x=\377\nalias \377\376 loop\n\000\000\000\nsoftdep\t\nalias ok-after-binary loop\n' >"$bad/binary.conf"
{ printf 'options loop '; head -c 1048576 /dev/zero | tr '\0' 'a'; printf '\nalias after-long-line loop\n'; } >"$bad/long.conf"
printf 'alias loop-a loop-b\nalias loop-b loop-a\nalias self self\nsoftdep xfs pre: xfs\nsoftdep loop post: loop\n' >"$bad/loops.conf"
printf 'frobnicate loop now\nblacklist\noptions\ninstall loop\nremove\nsoftdep\n' >"$bad/unknown.conf"
# Binary junk: the start of a module file (fixed bytes: NULs, control and high bytes), and the
# same bytes folded to 7 bits.
head -c 8192 "$dir/kernel/fs/ext4/ext4.ko" >"$bad/random.conf"
tr '\200-\377' '\000-\177' <"$bad/random.conf" >"$bad/ascii-random.conf"
for f in junk binary long loops unknown random ascii-random; do
    for args in "-c" "-D loop" "-D loop-a" "-D self" "-D xfs" "-R after-long-line" "-R ok-after-binary"; do
        eval "set -- $args"
        compare "bad config $f $args" "${tree[@]}" -C "$bad/$f.conf" "$@"
    done
done

# Bytes that are not UTF-8 in every directive and on the kernel command line: kmod takes them as
# they are — printed by -c, in messages, in install/remove commands (run by the shell) and module
# options, and compared as bytes with names (alias patterns with a range of high bytes, options and
# blacklist entries through aliases with high bytes, softdep targets and a bad one). kmod 30 does
# not know weakdep (see the header), so that line only has to be read without harm.
high="$work/high"; mkdir -p "$high"
printf '%b\n' 'alias caf\351 loop' 'alias hi-target m\351-x' 'alias hi-[\200-\377] xfs' \
    'options loop max_part=\351 x=\377\001' 'options caf\351 y=\376' 'install hi-install /bin/echo \351 $CMDLINE_OPTS' \
    'install m\351-x /bin/echo install-\376' 'remove loop /bin/echo \351 removed' 'remove hi-remove /bin/echo remove-\376' \
    'softdep ext4 pre: caf\351 post: hi-target' 'softdep xfs pre: m\351-x \377]' 'weakdep loop w\351' \
    'blacklist b\351' 'blacklist m\351-x' '\377\376 junk' >"$high/high.conf"
printf '%b\n' 'BOOT_IMAGE=/vmlinuz quiet loop.max_part=\351 caf\351-x.p\351=1 modprobe.blacklist=b\351,m\351_x \351[.y=1 "loop.z=\376 \377" ext4.q=\303\251 m\351-x.w=2' \
    >"$high/cmdline"
for args in "-c" "-D ext4" "-D xfs" "-D loop" "-D -r loop" "-D -r xfs" "-D -r ext4" "-R hi-target" "-D hi-target" \
    "-b -D hi-target" "-D hi-install a=b" "-n -v hi-install" "hi-install" "-r hi-remove"; do
    eval "set -- $args"
    compare "high bytes $args" "${tree[@]}" -C "$high/high.conf" "$@"
    cmdline_file="$high/cmdline" compare_cmdline "high bytes $args" "${tree[@]}" -C "$high/high.conf" "$@"
done
# File names are quoted as bytes too (a bad line in a file, a directory where a file should be).
mkdir -p "$high/dir/sub"$'\351'".conf"
printf 'bogus\nalias hi-file loop\n' >"$high/dir/a"$'\376'".conf"
compare "high bytes in file names" "${tree[@]}" -C "$high/dir" -c
compare "high bytes in file names -R" "${tree[@]}" -C "$high/dir" -R hi-file

# Bad input: missing and corrupt indexes (a copy of the index files; module files linked).
bad_tree() { # <case> — a fresh copy in $work/t
    rm -rf "$work/t" && mkdir -p "$work/t/lib/modules/$kver"
    local d="$work/t/lib/modules/$kver"
    cp "$dir"/modules.*.bin "$dir/modules.softdep" "$d/" && ln -s "$dir/kernel" "$d/kernel"
}
for idx in dep alias symbols builtin builtin.alias; do
    for how in missing magic version empty short; do
        bad_tree
        f="$work/t/lib/modules/$kver/modules.$idx.bin"
        case $how in
            missing) rm -f "$f" ;;
            magic) printf 'garbage-garbage-garbage' >"$f" ;;
            version) printf '\260\007\364\127\000\003\000\001\000\000\000\014' >"$f" ;;
            empty) : >"$f" ;;
            short) printf 'abc' >"$f" ;;
        esac
        for args in "-R ext4" "-R crc32c" "-R unix" "-R net-pf-1" "-R symbol:jbd2_journal_start" \
            "-D ext4" "-R nothing-here" "-c"; do
            eval "set -- $args"
            compare "index $idx $how $args" -d "$work/t" -S "$kver" -C "$work/empty" "$@"
        done
    done
    # Truncated: kmod 30 reads past the end of the mapping and crashes; ours must fail cleanly.
    bad_tree
    head -c 5000 "$dir/modules.$idx.bin" >"$work/t/lib/modules/$kver/modules.$idx.bin"
    for args in "-R ext4" "-R crc32c" "-R unix" "-R net-pf-1" "-R symbol:jbd2_journal_start" \
        "-D ext4" "-R nothing-here" "-c"; do
        eval "set -- $args"
        ours_sane "index $idx truncated $args" -d "$work/t" -S "$kver" -C "$work/empty" "$@"
    done
done

# Command line handling.
compare "help" -h
compare "no arguments"
compare "quiet no arguments" -q
compare "bad option" -z
compare "unknown long option" --frobnicate
compare "ambiguous option" --s
compare "missing argument" -C
compare "bad wait" -r -w 10x loop
compare "empty wait" -r -w '' loop
MODPROBE_OPTIONS="-C $fix/sample" compare "MODPROBE_OPTIONS -C" "${tree[@]}" -D my-ext4
MODPROBE_OPTIONS="-q" compare "MODPROBE_OPTIONS -q" "${tree[@]}" -D nothing-here
MODPROBE_OPTIONS="--bogus" compare "MODPROBE_OPTIONS bad" "${tree[@]}" -D ext4

for k in "${known_list[@]}"; do echo "KNOWN: $k"; done
echo "modprobe-diff: $pass passed, $fail failed, ${#known_list[@]} known differences, $skipped skipped"
[ "$fail" -eq 0 ]
