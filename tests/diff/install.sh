#!/usr/bin/env bash
# `make install` into a temporary DESTDIR (default layout and two others), runs every tool through
# its installed symlink, checks the man pages and completions landed where the shells look, then
# `make uninstall` and checks that nothing is left. Prints "install: N passed, M failed".
# Usage: tests/diff/install.sh [path-to-our-kmod]   (default: $KMOD_RS_BIN/kmod, else the release build)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top" || exit 1
bin=${1:-${KMOD_RS_BIN:-${CARGO_TARGET_DIR:-$top/target}/release}/kmod}
if ! command -v make >/dev/null && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq make) >/dev/null 2>&1
fi
if [ ! -x "$bin" ]; then
    cargo build --release -q --bin kmod || exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# check <label> <command...>: the command must succeed.
check() { local label=$1; shift; if "$@"; then ok; else bad "$label"; fi; }

tools=(insmod rmmod lsmod modprobe modinfo depmod)

# A module tree for depmod and modprobe: the bundled example module and its helper.
root=$work/root kver=9.9.9-test
mkdir -p "$root/lib/modules/$kver/kernel"
cp fixtures/example.ko fixtures/example_helper.ko "$root/lib/modules/$kver/kernel/"

# run_tools <sbindir> <bindir>: runs every tool through its symlink.
run_tools() {
    local sbin=$1 bindir=$2 out
    for tool in "${tools[@]}" kmod; do
        local path=$sbin/$tool
        [ "$tool" = kmod ] && path=$bindir/kmod
        out=$("$path" --version 2>&1)
        check "$tool --version (got: $out)" [ "$(head -n1 <<<"$out")" = "kmod version 34" ]
        out=$("$path" --help 2>&1)
        check "$tool --help exits 0" [ $? -eq 0 ]
        check "$tool --help prints a usage" grep -q "Usage:" <<<"$out"
    done
    out=$("$bindir/kmod" help)
    check "kmod help" grep -q "^kmod - Manage kernel modules" <<<"$out"
    out=$("$bindir/kmod" list --help)
    check "kmod list --help" grep -q "Usage:" <<<"$out"
    # Each tool answers as itself (argv[0] dispatch through the symlink).
    out=$("$sbin/insmod" /nonexistent/x.ko 2>&1)
    check "insmod error (got: $out)" [ "$out" = "insmod: ERROR: could not load module /nonexistent/x.ko: No such file or directory" ]
    out=$("$sbin/rmmod" no_such_module_xyz 2>&1)
    check "rmmod error (got: $out)" [ "$out" = "rmmod: ERROR: Module no_such_module_xyz is not currently loaded" ]
    out=$("$sbin/lsmod" extra 2>&1)
    check "lsmod error (got: $out)" [ "$out" = "lsmod: ERROR: too many arguments provided." ]
    out=$("$sbin/modinfo" -F name fixtures/example.ko 2>&1)
    check "modinfo -F name fixtures/example.ko (got: $out)" [ "$out" = "example" ]
    out=$("$sbin/modinfo" fixtures/example.ko 2>&1)
    check "modinfo fixtures/example.ko" grep -q "^filename: *$top/fixtures/example.ko$" <<<"$out"
    rm -f "$root/lib/modules/$kver"/modules.*
    "$sbin/depmod" -b "$root" "$kver" 2>/dev/null
    check "depmod -b exits 0" [ $? -eq 0 ]
    out=$(cat "$root/lib/modules/$kver/modules.dep" 2>&1)
    check "depmod wrote modules.dep (got: $out)" grep -qx "kernel/example.ko: kernel/example_helper.ko" <<<"$out"
    # example has example_helper as a hard and a soft (pre:) dependency: kmod lists it twice.
    out=$("$sbin/modprobe" -d "$root" -S "$kver" --show-depends example 2>&1)
    local dir=$root/lib/modules/$kver/kernel
    check "modprobe --show-depends (got: $out)" [ "$out" = "insmod $dir/example_helper.ko 
insmod $dir/example_helper.ko 
insmod $dir/example.ko " ]
}

# installed_files <destdir>: every file and symlink below it, relative, sorted.
installed_files() { (cd "$1" && find . \( -type f -o -type l \) | sort); }

# try_layout <label> <expected-symlink-target> <make variables...>
try_layout() {
    local label=$1 link=$2; shift 2
    local dest=$work/dest-$label
    local -A vars=([PREFIX]=/usr)
    for v in "$@"; do vars[${v%%=*}]=${v#*=}; done
    local prefix=${vars[PREFIX]}
    local bindir=${vars[BINDIR]:-$prefix/bin} sbindir=${vars[SBINDIR]:-$prefix/sbin}
    local mandir=${vars[MANDIR]:-$prefix/share/man}
    if ! make -s install DESTDIR="$dest" KMOD_BIN="$bin" "$@" >"$work/make.out" 2>&1; then
        bad "$label: make install failed: $(cat "$work/make.out")"
        return
    fi
    ok
    check "$label: kmod installed" [ -x "$dest$bindir/kmod" ]
    check "$label: kmod is the binary" cmp -s "$bin" "$dest$bindir/kmod"
    for tool in "${tools[@]}"; do
        check "$label: $tool -> $link" [ "$(readlink "$dest$sbindir/$tool")" = "$link" ]
    done
    for page in man8/{kmod,insmod,rmmod,lsmod,modprobe,modinfo,depmod}.8 man5/{modprobe.d,depmod.d,modules.dep}.5; do
        check "$label: $page" cmp -s "$dest$mandir/$page" "man/${page#*/}"
    done
    check "$label: 21 completion files" [ "$(find "$dest$prefix/share" -path '*complet*' -type f | wc -l)" -eq 21 ]
    run_tools "$dest$sbindir" "$dest$bindir"
    if command -v man >/dev/null; then
        check "$label: man finds modprobe.d(5)" [ "$(MANPATH=$dest$mandir man -w 5 modprobe.d 2>/dev/null)" = "$dest$mandir/man5/modprobe.d.5" ]
    fi
    # The shells find the installed completions where their packages look (vendor directories).
    local out
    out=$(bash -c "source '$dest$prefix/share/bash-completion/completions/modinfo'; complete -p modinfo" 2>&1)
    check "$label: bash completion loads (got: $out)" [ "$out" = "complete -F _kmod_rs_modinfo modinfo" ]
    if command -v fish >/dev/null; then
        out=$(fish -c "set fish_complete_path '$dest$prefix/share/fish/vendor_completions.d'; complete -C'depmod --err'" 2>&1 | cut -f1)
        check "$label: fish completion loads (got: $out)" [ "$out" = "--errsyms" ]
    fi
    if command -v zsh >/dev/null; then
        out=$(zsh -f -c "fpath=('$dest$prefix/share/zsh/vendor-completions' \$fpath); autoload -Uz compinit; compinit -u -D; print \$_comps[lsmod]" 2>&1)
        check "$label: zsh completion registers (got: $out)" [ "$out" = "_lsmod" ]
    fi
    if ! make -s uninstall DESTDIR="$dest" "$@" >"$work/make.out" 2>&1; then
        bad "$label: make uninstall failed: $(cat "$work/make.out")"
        return
    fi
    local left
    left=$(installed_files "$dest")
    check "$label: nothing left after uninstall (left: $(echo $left))" [ -z "$left" ]
}

try_layout default ../bin/kmod
try_layout split ../bin/kmod PREFIX=/usr BINDIR=/bin SBINDIR=/sbin
try_layout local kmod PREFIX=/usr/local SBINDIR=/usr/local/bin MANDIR=/usr/local/man

# make install refuses to run without the binary, and installs nothing then.
if make -s install DESTDIR="$work/dest-none" KMOD_BIN="$work/missing" >/dev/null 2>&1; then
    bad "make install without a binary succeeded"
else
    check "make install without a binary installs nothing" [ ! -e "$work/dest-none" ]
fi

echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
