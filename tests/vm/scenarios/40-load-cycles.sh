# 1000 load/unload cycles of a small module (dummy): refcounts stay 0, nothing stays loaded, and
# neither the tools' memory nor the library's file descriptors and memory grow.
# 1. The tools: `modprobe dummy` / `modprobe -r dummy` 1000 times (both runs, compared); the peak
#    RSS of the first and last invocations is measured with busybox time.
# 2. One process: load_cycles (crates/kmod/examples/load_cycles.rs) loads and unloads through the
#    library the tools use, 1000 times, and reports its open fds and RSS after 10 cycles and at
#    the end (our run only; kmod 30 has no counterpart).
#vm: --modules dummy --add "$LOAD_CYCLES:/sbin/load_cycles"
. /lib.sh

depmod -a
N=1000

# peak_rss CMD...: runs CMD, prints its peak resident memory in kB (busybox time -f %M).
peak_rss() {
	busybox time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1
}

cmp_block "$N cycles of modprobe dummy / modprobe -r dummy"
mem_before=$(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)
start=$(cut -d' ' -f1 /proc/uptime)
failed_exit=0 bad_refcnt=0 left_loaded=0 rss_first=0 rss_last=0
i=1
while [ $i -le $N ]; do
	if [ $i -le 3 ] || [ $i -gt $((N - 3)) ]; then
		rss=$(peak_rss modprobe dummy)
		[ -e /sys/module/dummy ] || failed_exit=$((failed_exit + 1))
		[ $i -le 3 ] && [ "$rss" -gt "$rss_first" ] && rss_first=$rss
		[ $i -gt $((N - 3)) ] && [ "$rss" -gt "$rss_last" ] && rss_last=$rss
	else
		modprobe dummy || failed_exit=$((failed_exit + 1))
	fi
	read -r r </sys/module/dummy/refcnt
	[ "$r" = 0 ] || bad_refcnt=$((bad_refcnt + 1))
	modprobe -r dummy || failed_exit=$((failed_exit + 1))
	[ -e /sys/module/dummy ] && left_loaded=$((left_loaded + 1))
	i=$((i + 1))
done
end=$(cut -d' ' -f1 /proc/uptime)
mem_after=$(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)
expect "every modprobe and modprobe -r succeeded" [ $failed_exit = 0 ]
expect "refcnt was 0 after every load" [ $bad_refcnt = 0 ]
expect "dummy was gone after every unload" [ $left_loaded = 0 ]
expect "nothing left loaded" [ "$(wc -l </proc/modules)" = 0 ]
expect "peak RSS of the last modprobe runs within 64 kB of the first" [ "$rss_last" -le $((rss_first + 64)) ]
info "$MODE: $N cycles in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s; peak RSS of modprobe: first cycles $rss_first kB, last cycles $rss_last kB; MemAvailable $mem_before kB before, $mem_after kB after"

if [ "$MODE" = ours ]; then
	ours_block "$N cycles in one process through the library"
	load_cycles $K/drivers/net/dummy.ko dummy $N >/tmp/cycles.out 2>&1
	expect "load_cycles succeeded" [ $? = 0 ]
	sed 's/^/info: load_cycles: /' /tmp/cycles.out
	fds=$(sed -n 's/^open fds after [0-9]* cycles: \([0-9]*\), at the end: \([0-9]*\)$/\1 \2/p' /tmp/cycles.out)
	rss=$(sed -n 's/^resident memory after [0-9]* cycles: \([0-9]*\) kB, at the end: \([0-9]*\) kB$/\1 \2/p' /tmp/cycles.out)
	expect "open fds did not grow" [ -n "$fds" -a "${fds% *}" = "${fds#* }" ]
	expect "resident memory did not grow" [ -n "$rss" -a "${rss#* }" -le "${rss% *}" ]
	expect "nothing left loaded" [ "$(wc -l </proc/modules)" = 0 ]
fi
