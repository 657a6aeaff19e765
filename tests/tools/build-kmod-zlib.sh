#!/usr/bin/env bash
# Builds a zlib-enabled kmod 30: a reference for the gzip copy of the module tree, which Debian's
# kmod 30 (built without zlib) cannot read. Used strictly as a black box by bench/depmod.sh and
# tests/diff/depmod.sh (run it, compare outputs and times).
#
#   tests/tools/build-kmod-zlib.sh [destdir]
#
# destdir defaults to $KMOD_TEST_CACHE/kmod-zlib (or ~/.cache/kmod-rs-tree/kmod-zlib). Gets the
# source package of the installed kmod (Debian's patches applied) with `apt-get source`, adding a
# deb-src entry (/etc/apt/sources.list.d/kmod-rs-src.sources, mirroring debian.sources) if there is
# none; installs the build dependencies missing; configures as Debian does plus --with-zlib
# (manpages and gtk-doc off, so no xsltproc); builds with `nice -n 19`; installs the `kmod` binary
# and depmod/modprobe/modinfo links into destdir/bin. Does nothing when destdir/bin already holds a
# kmod with +ZLIB. Needs root (or sudo) for apt. Prints destdir on success.
set -euo pipefail

cache=${KMOD_TEST_CACHE:-$HOME/.cache/kmod-rs-tree}
dest=${1:-$cache/kmod-zlib}
links="depmod modprobe modinfo"
src_list=/etc/apt/sources.list.d/kmod-rs-src.sources
deps="autoconf automake libtool pkg-config zlib1g-dev liblzma-dev libzstd-dev libssl-dev dpkg-dev
    xz-utils make gcc"

say() { echo "build-kmod-zlib: $*" >&2; }
die() { say "$*"; exit 1; }

built() { # <destdir>: a kmod with zlib and every link in place
    local l
    "$1/bin/kmod" --version 2>/dev/null | grep -qw '+ZLIB' || return 1
    for l in $links; do [ "$(readlink "$1/bin/$l")" = kmod ] || return 1; done
}
if built "$dest"; then
    echo "$dest"
    exit 0
fi

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "needs root (or sudo) to run: $*"
    fi
}

# 1. A deb-src entry, so that `apt-get source` finds the package.
if ! apt-cache showsrc kmod 2>/dev/null | grep -q '^Package: kmod$'; then
    [ -f /etc/apt/sources.list.d/debian.sources ] ||
        die "no deb-src entry for kmod and no /etc/apt/sources.list.d/debian.sources to mirror"
    if [ ! -f "$src_list" ]; then
        say "adding $src_list"
        sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
            as_root tee "$src_list" >/dev/null
    fi
    as_root apt-get update -q >&2
    apt-cache showsrc kmod 2>/dev/null | grep -q '^Package: kmod$' || die "apt still has no source for kmod"
fi

# 2. Build dependencies (explicitly: `apt-get build-dep` would pull the documentation tool chain).
missing=
for p in $deps; do
    dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing="$missing $p"
done
if [ -n "$missing" ]; then
    say "installing$missing"
    # shellcheck disable=SC2086
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >&2
fi

# 3. The source of the installed version (any version if kmod is not installed), patches applied.
work=$(mktemp -d "${TMPDIR:-/tmp}/kmod-zlib.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work" # apt's download sandbox user must be able to write there
version=$(dpkg-query -W -f='${source:Version}' kmod 2>/dev/null || true)
say "fetching the source of kmod${version:+ $version}"
(cd "$work" && apt-get source -q "kmod${version:+=$version}" >&2) || die "apt-get source kmod failed"
srcdir=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'kmod-*' | head -n 1)
[ -n "$srcdir" ] && [ -f "$srcdir/configure.ac" ] || die "no unpacked kmod source in $work"

# 4. Configure as Debian's rules do, plus zlib; no manpages or gtk-doc.
start=$(date +%s)
cd "$srcdir"
mkdir -p libkmod/docs
touch libkmod/docs/gtk-doc.make
say "autoreconf"
nice -n 19 autoreconf --force --install --symlink >&2
flags=$(DEB_BUILD_MAINT_OPTIONS=hardening=+bindnow dpkg-buildflags --export=configure 2>/dev/null | tr '\n' ' ' || true)
say "configure"
# dpkg-buildflags prints shell-quoted VAR="value" words: eval makes them configure's arguments.
eval nice -n 19 ./configure --prefix=/usr --sysconfdir=/etc --bindir=/bin \
    --with-zlib --with-xz --with-zstd --with-openssl \
    --disable-manpages --disable-gtk-doc --disable-test-modules --disable-python --enable-debug \
    "$flags" >"$work/configure.log" 2>&1 || { tail -n 30 "$work/configure.log" >&2; die "configure failed"; }
say "make"
nice -n 19 make -j"$(nproc)" >"$work/make.log" 2>&1 || { tail -n 30 "$work/make.log" >&2; die "make failed"; }
[ -x tools/kmod ] && [ "$(head -c 4 tools/kmod)" = $'\x7fELF' ] || die "tools/kmod is not an executable (libtool wrapper?)"
tools/kmod --version | grep -qw '+ZLIB' || die "the binary built lacks +ZLIB: $(tools/kmod --version | tail -n 1)"

# 5. Install: kmod and its links, put in place in one rename.
mkdir -p "$dest"
rm -rf "$dest/bin.new"
mkdir "$dest/bin.new"
install -m 755 tools/kmod "$dest/bin.new/kmod"
for l in $links; do ln -s kmod "$dest/bin.new/$l"; done
rm -rf "$dest/bin"
mv "$dest/bin.new" "$dest/bin"
built "$dest" || die "the installed binary in $dest/bin fails its check"
say "built in $(($(date +%s) - start))s: $("$dest/bin/kmod" --version | tr '\n' ' ')"
echo "$dest"
