# Helpers for the VM scenarios (busybox sh, sourced as /lib.sh in the guest).
#
# A scenario prints "blocks". tests/vm/run.sh runs every scenario twice, with our tools and with
# kmod 30, and judges each block:
#   "### cmp NAME"   compared between the two runs after normalisation; also fails when our
#                    run prints a line starting with "FAIL"
#   "### ours NAME"  our run only (kmod 30 differs there by design, documented in the
#                    scenario); fails when it prints a line starting with "FAIL"
# Lines starting with "info:" are measurements: shown in the report, never compared.
#
# The scenario's first argument is "ours" or "ref" (which tools are in /sbin).

MODE=${1:-ours}
KVER=$(uname -r)
MODDIR=/lib/modules/$KVER
K=$MODDIR/kernel

# t NAME CMD [ARGS...]: runs CMD and prints its stdout, stderr and exit status as a compared block.
t() {
	_t_name=$1
	shift
	"$@" >/tmp/.t.out 2>/tmp/.t.err
	_t_rc=$?
	echo "### cmp $_t_name"
	cat /tmp/.t.out
	echo "--- stderr"
	cat /tmp/.t.err
	echo "--- exit $_t_rc"
}

# ts NAME 'SHELL CODE': t for a piece of shell code.
ts() {
	_ts_name=$1
	shift
	t "$_ts_name" sh -c "$*"
}

# cmp_block NAME / ours_block NAME: what follows (until the next block) is that block.
cmp_block() { echo "### cmp $1"; }
ours_block() { echo "### ours $1"; }

# expect TEXT CONDITION...: prints "ok: TEXT" if CONDITION (a command) succeeds, else "FAIL: TEXT".
expect() {
	_e_text=$1
	shift
	if "$@"; then echo "ok: $_e_text"; else echo "FAIL: $_e_text"; fi
}

# info TEXT: a measurement for the report.
info() { echo "info: $*"; }

# loaded NAME: is module NAME in /proc/modules?
loaded() { grep -q "^$1 " /proc/modules; }

# count_loaded NAME: how many /proc/modules lines name NAME.
count_loaded() { grep -c "^$1 " /proc/modules; }

# refcnt NAME: the module's reference count.
refcnt() { cat "/sys/module/$1/refcnt"; }
