# insmod and modprobe of compressed module copies (.ko.xz, .ko.zst, .ko.gz) in a real kernel.
# The 6.1 kernel has no in-kernel decompression (/sys/module/compression is missing), so every
# compressed file is decompressed in userspace and loaded with init_module; forced loads strip
# the image (formats.md §5, §7.2).
# run.sh prepares $CTREE: <root>/lib/modules/<kver>/kernel/... with loop and vfat as .ko.xz,
# fat and tun as .ko.zst, dummy and msdos as .ko.gz.
# Documented difference: Debian's kmod 30 is built without zlib (`-ZLIB`, formats.md §7.1): its
# depmod ignores .ko.gz files and it cannot decompress them, so the .ko.gz checks are ours only.
#vm: --modules none --add "$CTREE:/ctree"
. /lib.sh

C=/ctree/lib/modules/$KVER/kernel
t "the compressed copies" sh -c "cd /ctree && find . -name '*.ko*' | sort"
t "insmod of a .ko.xz with parameters" insmod $C/drivers/block/loop.ko.xz max_loop=3
t "parameters read back" cat /sys/module/loop/parameters/max_loop
t "insmod of a .ko.zst" insmod $C/drivers/net/tun.ko.zst
t "insmod of a loaded .ko.zst (EEXIST)" insmod $C/drivers/net/tun.ko.zst
t "insmod of a .ko.xz with dependencies not loaded" insmod $C/fs/fat/vfat.ko.xz
t "lsmod" lsmod
t "rmmod of modules loaded from compressed files" rmmod loop tun
t "insmod -f of a .ko.xz (stripped image)" sh -c "insmod -f $C/drivers/block/loop.ko.xz; echo \$?; cat /sys/module/loop/taint 2>&1; rmmod loop"
t "insmod -f of a .ko.zst (stripped image)" sh -c "insmod -f $C/drivers/net/tun.ko.zst; echo \$?; cat /sys/module/tun/taint 2>&1; rmmod tun"

ours_block "insmod of a .ko.gz"
insmod $C/drivers/net/dummy.ko.gz numdummies=0
expect "insmod of dummy.ko.gz exits 0" [ $? = 0 ]
expect "dummy is loaded" loaded dummy
expect "its refcnt is 0" [ "$(refcnt dummy)" = 0 ]
rmmod dummy
expect "rmmod dummy exits 0" [ $? = 0 ]

t "depmod -b of the compressed tree" depmod -b /ctree
t "modprobe -d of a .ko.xz needing a .ko.zst" modprobe -d /ctree -v vfat
t "lsmod after modprobe -d" lsmod
t "modprobe -r -d" modprobe -d /ctree -r -v vfat
t "modprobe -d -f of a .ko.zst (stripped image)" sh -c "modprobe -d /ctree -f tun; echo \$?; cat /sys/module/tun/taint 2>&1; rmmod tun"
t "modprobe -d of a .ko.xz with options" sh -c "modprobe -d /ctree -v loop max_loop=2 && cat /sys/module/loop/parameters/max_loop && modprobe -d /ctree -r loop"

ours_block "modprobe of a .ko.gz needing a .ko.zst"
modprobe -d /ctree -v msdos
expect "modprobe msdos exits 0" [ $? = 0 ]
expect "msdos and fat are loaded" sh -c 'grep -q "^msdos " /proc/modules && grep -q "^fat " /proc/modules'
modprobe -d /ctree -r -v msdos
expect "modprobe -r msdos exits 0" [ $? = 0 ]
expect "msdos and fat are gone" sh -c '! grep -q -E "^(msdos|fat) " /proc/modules'
t "final lsmod" lsmod
