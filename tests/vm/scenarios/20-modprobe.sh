# modprobe loading and removal in a real kernel: dependency stacks, configuration (options,
# install/remove commands, softdeps, aliases, blacklist from the kernel command line), --first-time,
# built-in modules, -r with unused dependencies, --remove-holders, -w, kernel errors, the kernel's
# own module requests through /sbin/modprobe, and concurrent modprobes.
#vm: --timeout 900 --append 'modprobe.blacklist=ifb,nlmon'
. /lib.sh

depmod -a

# ---- dependency stacks
t "modprobe of a deep dependency stack (btrfs)" modprobe btrfs
t "lsmod after modprobe btrfs" lsmod
t "modprobe vfat" modprobe vfat
t "lsmod after modprobe vfat" lsmod
t "modprobe of a loaded module" modprobe vfat
t "modprobe --first-time of a loaded module" modprobe --first-time vfat
t "modprobe -r of the btrfs stack" modprobe -r btrfs
t "lsmod after modprobe -r btrfs" lsmod
t "modprobe -r -v vfat" modprobe -r -v vfat
t "modprobe -r of a module not loaded" modprobe -r vfat
t "modprobe -r --first-time of a module not loaded" modprobe -r --first-time vfat
t "lsmod after the removals" lsmod

# ---- names that are not loadable modules
t "modprobe of a name that does not exist" modprobe no-such-module
t "modprobe -q of a name that does not exist" modprobe -q no-such-module
t "modprobe -r of a name that does not exist" modprobe -r no-such-module
t "modprobe -a with one missing name" modprobe -a no-such-module dummy
t "modprobe of a built-in module" modprobe unix
t "modprobe --first-time of a built-in module" modprobe --first-time unix
t "modprobe -r of a built-in module" modprobe -r unix
t "modprobe -r -a" modprobe -r -a dummy

# ---- parameters
t "modprobe -v with parameters" modprobe -v loop max_loop=6
t "parameters from the command line read back" cat /sys/module/loop/parameters/max_loop
t "modprobe -r -v loop" modprobe -r -v loop

# ---- configuration from modprobe.d
cat >/etc/modprobe.d/vmtest.conf <<'EOF'
options loop max_loop=7 max_part=2
install dummy echo "install dummy: $CMDLINE_OPTS ($MODPROBE_MODULE)"; /sbin/modprobe --ignore-install dummy $CMDLINE_OPTS
remove dummy echo "remove dummy ($MODPROBE_MODULE)"; /sbin/modprobe -r --ignore-remove dummy
softdep vfat pre: nls_cp437 post: nls_iso8859-1
alias my-alias veth
install veth /bin/false
EOF
t "options from modprobe.d" modprobe -v loop
t "options read back" cat /sys/module/loop/parameters/max_loop /sys/module/loop/parameters/max_part
t "options from modprobe.d and the command line" sh -c 'modprobe -r loop && modprobe -v loop max_part=1 && cat /sys/module/loop/parameters/max_part'
t "install command" modprobe -v dummy numdummies=2
t "lsmod after the install command" lsmod
t "remove command" modprobe -r -v dummy
t "install command ignored (-i)" modprobe -v -i dummy
t "remove command ignored (-i)" modprobe -r -v -i dummy
t "softdep pre and post" modprobe -v vfat
t "lsmod after softdeps" lsmod
t "modprobe -r with softdeps" modprobe -r -v vfat
t "lsmod after removing softdeps" lsmod
t "alias from modprobe.d with a failing install command" modprobe -v my-alias
t "lsmod after the failing install command" lsmod
rm /etc/modprobe.d/vmtest.conf

# ---- blacklist (modprobe.blacklist=ifb,nlmon on the kernel command line)
t "blacklisted alias" modprobe -v rtnl-link-ifb
t "blacklisted module by name" sh -c 'modprobe -v ifb && lsmod && rmmod ifb'
t "modprobe -b of a blacklisted module" modprobe -v -b ifb
t "modprobe -b of a blacklisted alias" modprobe -v -b rtnl-link-ifb
t "lsmod after the blacklist checks" lsmod

# ---- removal of holders and unused dependencies
modprobe vfat
t "modprobe -r of a module with holders" modprobe -r fat
t "modprobe -r --remove-holders" modprobe -r -v --remove-holders fat
t "lsmod after --remove-holders" lsmod
modprobe btrfs
t "modprobe -r of a dependency in use" modprobe -r raid6_pq
t "modprobe -r -v of a stack leaves dependencies still in use" sh -c 'modprobe raid456 && modprobe -r -v btrfs && lsmod'
t "modprobe -r -v of the other stack" modprobe -r -v raid456
t "lsmod after removing both stacks" lsmod
modprobe tun
sh -c 'exec 3<>/dev/net/tun; sleep 4' &
sleep 1
t "modprobe -r of a module in use" modprobe -r tun
t "modprobe -r -w waits until the module is released" modprobe -r -w 30000 tun
wait
t "lsmod after -w" lsmod

# ---- kernel errors
t "modprobe of a module whose init fails (ENODEV)" modprobe crc32c-intel
t "modprobe -r of a module without exit function (EBUSY)" sh -c 'modprobe vrf && modprobe -r vrf'
t "modprobe -f of a module (forced load)" sh -c 'modprobe -f dummy && cat /sys/module/dummy/taint && rmmod dummy'
t "modprobe --force-vermagic" sh -c 'modprobe --force-vermagic dummy && cat /sys/module/dummy/taint && rmmod dummy'
t "modprobe --force-modversion" sh -c 'modprobe --force-modversion dummy && cat /sys/module/dummy/taint && rmmod dummy'
t "modprobe -n -v (dry run)" sh -c 'modprobe -n -v btrfs && lsmod'
t "modprobe -r -n -v (dry run)" sh -c 'modprobe vfat && modprobe -r -n -v vfat && lsmod && modprobe -r vfat'

# ---- the kernel's own module requests run /sbin/modprobe
t "kernel module path" cat /proc/sys/kernel/modprobe
t "kernel request for a file system (mount -t vfat)" mount -t vfat none /mnt
t "lsmod after the file system request" lsmod
t "kernel request for a link type (ip link add type dummy)" sh -c 'ip link add d0 type dummy && ip link show d0 | head -n 1 | cut -d: -f2 && ip link del d0'
t "kernel request for a blacklisted link type" ip link add n0 type nlmon
t "lsmod after the link requests" lsmod
t "kernel request from a socket ioctl (brctl addbr)" sh -c 'brctl addbr br0 && brctl delbr br0'
t "lsmod after the socket ioctl request" lsmod
modprobe -r bridge vfat dummy

# ---- 8 concurrent modprobe of the same module stack
before=$(dmesg | grep -c 'Btrfs loaded')
cmp_block "8 concurrent modprobe btrfs"
i=1
while [ $i -le 8 ]; do
	(modprobe btrfs; echo $? >/tmp/conc.$i) &
	i=$((i + 1))
done
wait
echo "exit statuses: $(cat /tmp/conc.1 /tmp/conc.2 /tmp/conc.3 /tmp/conc.4 /tmp/conc.5 /tmp/conc.6 /tmp/conc.7 /tmp/conc.8 | tr '\n' ' ')"
expect "all 8 exited 0" [ "$(cat /tmp/conc.* | tr -d '\n')" = 00000000 ]
expect "btrfs loaded once" [ "$(count_loaded btrfs)" = 1 ]
expect "btrfs initialised once" [ "$(dmesg | grep -c 'Btrfs loaded')" = $((before + 1)) ]
t "lsmod after the concurrent loads" lsmod
t "modprobe -r btrfs" modprobe -r btrfs
t "final lsmod" lsmod
