#!/usr/bin/env bash
# Prepares the real module trees the differential tests and benchmarks run on:
#   $KMOD_TEST_CACHE/{plain,xz,zst,gz}/lib/modules/<kver>/   (Debian's linux-image-6.1.0-*-amd64)
# with kmod's own depmod output in each, and prints the cache directory. Idempotent: reuses what exists.
# Installs what it needs with apt-get when run as root (Debian's kmod 30 is the reference).
set -euo pipefail
cache=${KMOD_TEST_CACHE:-$HOME/.cache/kmod-rs-tree}
mkdir -p "$cache"

need=()
for tool in kmod:kmod xz:xz-utils zstd:zstd gzip:gzip hyperfine:hyperfine; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "setup-tree: installing ${need[*]}" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi

if [ ! -f "$cache/kver" ]; then
    if [ -z "${KMOD_TEST_PKG:-}" ]; then
        [ -n "$(apt-cache policy 'linux-image-6.1.0-*-amd64' 2>/dev/null)" ] || apt-get update -qq >&2
        KMOD_TEST_PKG=$(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
            grep -E '^linux-image-6\.1\.0-[0-9]+-amd64$' | sort -V | tail -n 1)
    fi
    [ -n "$KMOD_TEST_PKG" ] || { echo "setup-tree: no linux-image-6.1.0-*-amd64 package found" >&2; exit 1; }
    echo "setup-tree: downloading $KMOD_TEST_PKG" >&2
    rm -rf "$cache/plain" "$cache/dl" && mkdir -p "$cache/dl"
    (cd "$cache/dl" && apt-get download -q "$KMOD_TEST_PKG" >&2)
    dpkg -x "$cache"/dl/*.deb "$cache/plain"
    rm -rf "$cache/dl" "$cache/plain/boot" "$cache/plain/usr"
    ls "$cache/plain/lib/modules" > "$cache/kver"
fi
kver=$(cat "$cache/kver")

# Compressed copies: the same tree with each .ko compressed as the kernel's modules_install would.
compress_tree() { # <name> <ext> <compressor args...>
    local name=$1 ext=$2; shift 2
    local src="$cache/plain/lib/modules/$kver" dst="$cache/$name/lib/modules/$kver"
    [ -f "$cache/$name/.complete" ] && return 0
    echo "setup-tree: building the $name copy" >&2
    rm -rf "$cache/$name" && mkdir -p "$dst"
    (cd "$src" && find . -type d -exec mkdir -p "$dst/{}" \;)
    cp "$src"/modules.order "$src"/modules.builtin "$src"/modules.builtin.modinfo "$dst/"
    (cd "$src" && find kernel -name '*.ko' -print0 |
        KMOD_DST="$dst" KMOD_EXT="$ext" xargs -0 -n 32 -P "$(nproc)" \
            sh -c 'for f in "$@"; do '"$*"' < "$f" > "$KMOD_DST/$f.$KMOD_EXT"; done' _)
    touch "$cache/$name/.complete"
}
compress_tree xz xz xz --check=crc32 --lzma2=dict=1MiB -c
compress_tree zst zst zstd -q -c
compress_tree gz gz gzip -n -c

# kmod's own indexes (kmod 30 writes an empty modules.dep for .ko.gz: it is built without zlib).
for name in plain xz zst gz; do
    if [ ! -f "$cache/$name/lib/modules/$kver/modules.dep.bin" ]; then
        depmod -b "$cache/$name" "$kver"
    fi
done
echo "$cache"
