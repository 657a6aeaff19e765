# 1000 load/unload cycles of a small module (dummy): refcounts stay 0, nothing stays loaded, and
# neither the tools' file descriptors and memory nor the library's grow.
# 1. The tools: `modprobe dummy` / `modprobe -r dummy` 1000 times. In the first and last 5
#    cycles an install/remove command (a -C configuration) records the open fds and anonymous
#    resident memory (RssAnon) of the modprobe process running it, from /proc/$PPID. (The peak
#    RSS of a short-lived process, as busybox time reports it, varies by ±5% from run to run with
#    the page cache and address randomisation, so it cannot show growth.)
# 2. One process: load_cycles (crates/kmod/examples/load_cycles.rs) loads and unloads through the
#    library the tools use, 1000 times, and reports its open fds and RSS after 10 cycles and at
#    the end.
# Our tools only: there is nothing to compare (kmod 30 would take another 4 minutes under TCG).
#ref: none
#vm: --modules dummy --bin "$LOAD_CYCLES" --timeout 900
. /lib.sh

depmod -a
N=1000

# A configuration whose install/remove commands record the state of the modprobe running them.
state='fds=$(ls /proc/$PPID/fd | wc -l) $(grep RssAnon /proc/$PPID/status | tr -s " \t" " ")'
cat >/tmp/probe.conf <<EOF
install dummy echo "insert $state" >>/tmp/tool-state; /sbin/modprobe -C /tmp/probe.conf --ignore-install dummy
remove dummy echo "remove $state" >>/tmp/tool-state; /sbin/modprobe -C /tmp/probe.conf -r --ignore-remove dummy
EOF

# cycle [ARGS]: one modprobe ARGS dummy / modprobe ARGS -r dummy, with the checks.
cycle() {
	modprobe "$@" dummy || failed_exit=$((failed_exit + 1))
	read -r r </sys/module/dummy/refcnt
	[ "$r" = 0 ] || bad_refcnt=$((bad_refcnt + 1))
	modprobe "$@" -r dummy || failed_exit=$((failed_exit + 1))
	[ -e /sys/module/dummy ] && left_loaded=$((left_loaded + 1))
}

ours_block "$N cycles of modprobe dummy / modprobe -r dummy"
mem_before=$(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)
start=$(cut -d' ' -f1 /proc/uptime)
failed_exit=0 bad_refcnt=0 left_loaded=0
i=1
while [ $i -le $N ]; do
	if [ $i -le 5 ]; then
		echo first >>/tmp/tool-state
		cycle -C /tmp/probe.conf
	elif [ $i -gt $((N - 5)) ]; then
		echo last >>/tmp/tool-state
		cycle -C /tmp/probe.conf
	else
		cycle
	fi
	i=$((i + 1))
done
end=$(cut -d' ' -f1 /proc/uptime)
mem_after=$(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)
expect "every modprobe and modprobe -r succeeded" [ $failed_exit = 0 ]
expect "refcnt was 0 after every load" [ $bad_refcnt = 0 ]
expect "dummy was gone after every unload" [ $left_loaded = 0 ]
expect "nothing left loaded" [ "$(wc -l </proc/modules)" = 0 ]

# state_of PHASE OP FIELD: the distinct FIELD values (fds or rss) recorded for OP in PHASE.
state_of() {
	awk -v phase="$1" -v op="$2" -v field="$3" '
		/^(first|last)$/ { p = $1; next }
		p == phase && $1 == op {
			if (field == "fds") { v = $2; sub(/^fds=/, "", v); print v } else print $4
		}' /tmp/tool-state | sort -n | uniq | tr '\n' ' '
}
for op in insert remove; do
	fds_first=$(state_of first $op fds)
	fds_last=$(state_of last $op fds)
	rss_first=$(state_of first $op rss)
	rss_last=$(state_of last $op rss)
	max_first=$(echo $rss_first | tr ' ' '\n' | tail -n 1)
	max_last=$(echo $rss_last | tr ' ' '\n' | tail -n 1)
	expect "modprobe ($op): same open fds in the last cycles as in the first" \
		[ -n "$fds_first" -a "$fds_first" = "$fds_last" ]
	expect "modprobe ($op): anonymous memory in the last cycles within 16 kB of the first" \
		[ -n "$max_first" -a -n "$max_last" -a "${max_last:-0}" -le $((${max_first:-0} + 16)) ]
	info "modprobe ($op): open fds in the first cycles: $fds_first, in the last: $fds_last; RssAnon (kB) in the first: $rss_first, in the last: $rss_last"
done
info "$N cycles in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s; MemAvailable $mem_before kB before, $mem_after kB after"

ours_block "$N cycles in one process through the library"
load_cycles $K/drivers/net/dummy.ko dummy $N >/tmp/cycles.out 2>&1
expect "load_cycles succeeded" [ $? = 0 ]
sed 's/^/info: load_cycles: /' /tmp/cycles.out
fds=$(sed -n 's/^open fds after [0-9]* cycles: \([0-9]*\), at the end: \([0-9]*\)$/\1 \2/p' /tmp/cycles.out)
rss=$(sed -n 's/^resident memory after [0-9]* cycles: \([0-9]*\) kB, at the end: \([0-9]*\) kB$/\1 \2/p' /tmp/cycles.out)
expect "open fds did not grow" [ -n "$fds" -a "${fds% *}" = "${fds#* }" ]
expect "resident memory did not grow" [ -n "$rss" -a "${rss#* }" -le "${rss% *}" ]
expect "nothing left loaded" [ "$(wc -l </proc/modules)" = 0 ]
