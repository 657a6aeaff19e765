#!/usr/bin/env bash
# Regenerates the seed corpora under fuzz/seeds/ (committed; keep them small, < 2 MB in all):
#   module_file/  a small real Debian module (plain, xz, zstd, gzip) and synthetic modules of every
#                 ELF flavour with PKCS#7/legacy signatures (fuzz/seedgen, built on testkit);
#   index/        the small real built-in indexes, indexes kmod's depmod writes for a three-module
#                 tree, and synthetic ones (modindex's writer);
#   config/, kcmdline/  hand-written files (kept as they are) plus the system's modprobe.d files
#                 and the real tree's modules.softdep.
# Usage: fuzz/make-seeds.sh [module directory of a real kernel]
#   (default: the Debian tree tests/diff/setup-tree.sh prepares)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seeds=$here/seeds
moddir=${1:-}
if [ -z "$moddir" ]; then
    cache=$("$here/../tests/diff/setup-tree.sh")
    moddir="$cache/plain/lib/modules/$(cat "$cache/kver")"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$seeds"/{module_file,index,config,kcmdline}

# Synthetic modules and indexes.
(cd "$here/seedgen" && cargo run -q --release -- "$seeds")

# A small real module, plain and compressed the way distributions compress them.
real=$moddir/kernel/lib/crc7.ko
cp "$real" "$seeds/module_file/crc7.ko"
xz --check=crc32 --lzma2=dict=1MiB -c "$real" >"$seeds/module_file/crc7.ko.xz"
zstd -q -19 -c "$real" >"$seeds/module_file/crc7.ko.zst"
gzip -n -9 -c "$real" >"$seeds/module_file/crc7.ko.gz"

# Real small indexes, and kmod's depmod over a three-module tree.
cp "$moddir/modules.builtin.alias.bin" "$seeds/index/builtin.alias.bin"
cp "$moddir/modules.builtin.bin" "$seeds/index/builtin.bin"
kver=6.1.0-seed
tree=$work/root/lib/modules/$kver
mkdir -p "$tree/kernel"
touch "$tree"/modules.{order,builtin,builtin.modinfo}
cp "$real" "$here/../fixtures/example.ko" "$here/../fixtures/example_helper.ko" "$tree/kernel/"
depmod -b "$work/root" "$kver"
for f in dep alias symbols; do cp "$tree/modules.$f.bin" "$seeds/index/depmod-$f.bin"; done

# Configuration as found on systems.
for f in /lib/modprobe.d/*.conf /etc/modprobe.d/*.conf; do
    [ -f "$f" ] && cp "$f" "$seeds/config/system-$(basename "$f")"
done
cp "$moddir/modules.softdep" "$seeds/config/modules.softdep"
du -sh "$seeds"
