# insmod, rmmod, lsmod, kmod list, kmod static-nodes and the kernel's errors, in a real kernel.
#vm: --timeout 600
. /lib.sh

# kmod 30 writes static-nodes output to the *path* /dev/stdout, which busybox's devtmpfs lacks
# (tools.md §7; kmod 34 writes to the stdout stream): give it the usual symlink.
ln -s /proc/self/fd/1 /dev/stdout

t "depmod -a" depmod -a

# ---- insmod
t "insmod with parameters" insmod $K/drivers/block/loop.ko max_loop=5 max_part=3
t "parameters read back from sysfs" cat /sys/module/loop/parameters/max_loop /sys/module/loop/parameters/max_part
t "insmod of a loaded module (EEXIST)" insmod $K/drivers/block/loop.ko
t "insmod -f of a loaded module" insmod -f $K/drivers/block/loop.ko
t "insmod with dependencies not loaded (Unknown symbol)" insmod $K/fs/fat/vfat.ko
t "insmod of a missing file" insmod /nonexistent.ko
t "insmod of a file that is no module (ENOEXEC)" insmod /etc/passwd
cp $K/drivers/net/dummy.ko /tmp/tampered.ko
printf 'X' | dd of=/tmp/tampered.ko bs=1 seek=12 conv=notrunc 2>/dev/null
t "insmod of a tampered signed module (EKEYREJECTED)" insmod /tmp/tampered.ko
printf 'ab' >/tmp/short.ko
t "insmod of a file too short to identify" insmod /tmp/short.ko
: >/tmp/empty.ko
t "insmod of an empty file" insmod /tmp/empty.ko
t "insmod of a directory" insmod /tmp
t "insmod from stdin" insmod -
t "insmod without a file" insmod
t "insmod with a relative path" sh -c "cd $K/drivers/net && insmod ./dummy.ko numdummies=0"
t "lsmod" lsmod
t "kmod list" kmod list

# ---- rmmod
insmod $K/fs/fat/fat.ko
insmod $K/fs/fat/vfat.ko
t "lsmod with holders" lsmod
t "rmmod of a module with holders" rmmod fat
t "rmmod of several modules, in order" rmmod vfat fat
insmod $K/drivers/net/tun.ko
exec 3<>/dev/net/tun
t "rmmod of a module in use" rmmod tun
exec 3>&-
t "rmmod once released" rmmod tun
t "rmmod of a module not loaded" rmmod tun
t "rmmod of a built-in module" rmmod unix
t "rmmod by path and by dashed name" rmmod $K/drivers/net/dummy.ko crc32c-generic loop
insmod $K/drivers/net/vrf.ko
t "rmmod of a module without exit function (EBUSY)" rmmod vrf
insmod $K/drivers/net/dummy.ko
t "rmmod -f of an unused module" rmmod -f dummy
t "rmmod without arguments" rmmod
t "rmmod -v" sh -c "insmod $K/drivers/net/dummy.ko && rmmod -v dummy"

# ---- without privilege (a user namespace has no CAP_SYS_MODULE in the kernel's)
insmod $K/drivers/net/dummy.ko
t "unprivileged insmod (EPERM)" unshare -U insmod $K/drivers/net/tun.ko
t "unprivileged rmmod (EPERM)" unshare -U rmmod dummy
t "unprivileged lsmod" unshare -U lsmod
t "unprivileged modprobe (EPERM)" unshare -U modprobe tun
t "unprivileged modprobe -r (EPERM)" unshare -U modprobe -r dummy
t "lsmod after the unprivileged attempts" lsmod
rmmod dummy

# ---- -s: messages to syslog (kmod 30's insmod ignored -s and had no -v: ours only)
if [ "$MODE" = ours ]; then
	ours_block "insmod -s, rmmod -s and modprobe -s log to syslog"
	syslogd -n -O /tmp/messages &
	syslogd_pid=$!
	sleep 1
	insmod -s /nonexistent.ko 2>/tmp/err.insmod
	expect "insmod -s exits 1" [ $? = 1 ]
	rmmod -s not_loaded_module 2>/tmp/err.rmmod
	expect "rmmod -s exits 1" [ $? = 1 ]
	modprobe -s no-such-module 2>/tmp/err.modprobe
	expect "modprobe -s exits 1" [ $? = 1 ]
	sleep 1
	kill $syslogd_pid
	expect "nothing on stderr" [ ! -s /tmp/err.insmod -a ! -s /tmp/err.rmmod -a ! -s /tmp/err.modprobe ]
	expect "insmod's error in syslog" grep -q 'insmod: ERROR: could not load module /nonexistent.ko: No such file or directory' /tmp/messages
	expect "rmmod's error in syslog" grep -q 'rmmod: ERROR: Module not_loaded_module is not currently loaded' /tmp/messages
	expect "modprobe's error in syslog" grep -q 'modprobe: FATAL: Module no-such-module not found' /tmp/messages
	ours_block "insmod -v and lsmod -v"
	insmod -v -v -v /etc/passwd 2>/tmp/err.v
	expect "insmod -vvv exits 1" [ $? = 1 ]
	expect "insmod -vvv still says why" grep -q 'could not insert module /etc/passwd: Invalid module format' /tmp/err.v
	expect "lsmod -v lists as lsmod" sh -c '[ "$(lsmod -v)" = "$(lsmod)" ]'
fi

# ---- kmod static-nodes after depmod -a
t "static-nodes (default format)" kmod static-nodes
t "static-nodes --format=human" kmod static-nodes --format=human
t "static-nodes -f tmpfiles" kmod static-nodes -f tmpfiles
t "static-nodes -f devname" kmod static-nodes -f devname
t "static-nodes -o into new directories" sh -c 'kmod static-nodes -f tmpfiles -o /run/x/y/static-nodes.conf && cat /run/x/y/static-nodes.conf && ls -ld /run/x/y | cut -c1-10'
t "static-nodes with an unknown format" kmod static-nodes -f nope
cp $MODDIR/modules.devname /tmp/devname.orig
printf '# comment\nfuse fuse c10:229\nbad line\nx y z1:2\nm  d \t c 1: 2trailing\nlast l c1' >$MODDIR/modules.devname
t "static-nodes with invalid entries" kmod static-nodes -f devname
rm $MODDIR/modules.devname
t "static-nodes without modules.devname" kmod static-nodes -o /run/none/out
t "static-nodes -o not created without modules.devname" ls /run/none
cp /tmp/devname.orig $MODDIR/modules.devname
t "final lsmod" lsmod
