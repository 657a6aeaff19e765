#!/usr/bin/env bash
# Real-kernel tests: boots Debian's 6.1 kernel in QEMU (tests/vm/run-in-vm) and runs every
# scenario under tests/vm/scenarios twice — once with our tools in /sbin, once with Debian's kmod
# 30 — then compares the two outputs block by block after normalising what legitimately varies
# (module addresses, timestamps, and the documented kmod 30 vs 34 differences). See lib.sh for the
# block format. Prints one line per check and ends with "vm: N passed, M failed".
#
# usage: tests/vm/run.sh [--ours DIR] [--ref KMOD] [--results DIR] [--verbose] [SCENARIO...]
#   --ours DIR     directory holding our multi-call `kmod` binary (default: $KMOD_RS_BIN, else
#                  target/release; built with `cargo build --release --bin kmod` if missing)
#   --ref KMOD     the reference kmod binary (default /usr/bin/kmod, Debian's kmod 30)
#   --results DIR  keep raw outputs there (default: a temporary directory, removed at the end)
#   SCENARIO       names or paths of scenarios (default: all, in name order)
# Environment: everything run-in-vm reads (KMOD_VM_CACHE, KMOD_VM_ACCEL, ...).
# A machine that cannot run the VM fails loudly: "vm: cannot run the VM: ..." and exit status 1.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RUN_IN_VM=$HERE/run-in-vm

OURS=${KMOD_RS_BIN:-$ROOT/target/release}
REF=/usr/bin/kmod
RESULTS=
VERBOSE=0
SCENARIOS=()
while [ $# -gt 0 ]; do
	case $1 in
	--ours) OURS=$2; shift 2 ;;
	--ref) REF=$2; shift 2 ;;
	--results) RESULTS=$2; shift 2 ;;
	--verbose) VERBOSE=1; shift ;;
	-h|--help) sed -n '2,16p' "$0"; exit 0 ;;
	-*) echo "vm: unknown option $1" >&2; exit 2 ;;
	*) SCENARIOS+=("$1"); shift ;;
	esac
done

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
finish() { echo "vm: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }
abort() { # the suite cannot run at all: say why, count it as a failure
	echo "vm: cannot run the VM: $*"
	failed=$((failed + 1))
	finish
}

# ---------------------------------------------------------------- binaries
if [ ! -x "$OURS/kmod" ]; then
	echo "vm: building our tools (cargo build --release --bin kmod)"
	(cd "$ROOT" && cargo build --release --bin kmod -q) || abort "cargo build failed"
	OURS=${CARGO_TARGET_DIR:-$ROOT/target}/release
fi
[ -x "$OURS/kmod" ] || abort "no kmod binary in $OURS"
[ -x "$REF" ] || abort "no reference kmod at $REF (apt-get install kmod)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kmod-vm-suite.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
[ -n "$RESULTS" ] || RESULTS=$WORK/results
mkdir -p "$RESULTS"
make_bin() { # DIR KMOD: a --bin directory with kmod and the compat symlinks
	mkdir -p "$1"
	cp "$2" "$1/kmod"
	for t in insmod rmmod lsmod modprobe modinfo depmod; do ln -sf kmod "$1/$t"; done
}
make_bin "$WORK/bin-ours" "$OURS/kmod"
make_bin "$WORK/bin-ref" "$REF"

# ---------------------------------------------------------------- VM availability
if ! setup_log=$("$RUN_IN_VM" --setup 2>&1); then
	abort "run-in-vm --setup failed: $(printf '%s\n' "$setup_log" | tail -n 3)"
fi
[ "$VERBOSE" = 0 ] || printf '%s\n' "$setup_log"

# ---------------------------------------------------------------- inputs of some scenarios
# $CTREE: a module tree of compressed copies (30-compressed.sh); $LOAD_CYCLES: a directory with
# the library's load/unload loop (40-load-cycles.sh).
TREE=$("$RUN_IN_VM" --info | sed -n 's/^modules=//p')
KVER=$(basename "$TREE")
CTREE=$WORK/ctree
compress_copy() { # REL TOOL ARGS...: $TREE/kernel/REL.ko → $CTREE/.../REL.ko.<ext>
	local rel=$1 tool=$2 ext
	shift 2
	case $tool in xz) ext=xz ;; zstd) ext=zst ;; gzip) ext=gz ;; esac
	mkdir -p "$CTREE/lib/modules/$KVER/kernel/$(dirname "$rel")"
	"$tool" "$@" -c "$TREE/kernel/$rel.ko" >"$CTREE/lib/modules/$KVER/kernel/$rel.ko.$ext"
}
{
	# xz as the kernel's own decompressor wants it (CRC32, 1 MiB dictionary)
	compress_copy drivers/block/loop xz --check=crc32 --lzma2=dict=1MiB &&
		compress_copy fs/fat/vfat xz --check=crc32 --lzma2=dict=1MiB &&
		compress_copy fs/fat/fat zstd -q &&
		compress_copy drivers/net/tun zstd -q &&
		compress_copy drivers/net/dummy gzip -9 &&
		compress_copy fs/fat/msdos gzip -9 &&
		for f in modules.order modules.builtin modules.builtin.modinfo; do
			cp "$TREE/$f" "$CTREE/lib/modules/$KVER/"
		done
} || abort "could not prepare the compressed module tree (xz, zstd and gzip are needed)"
(cd "$ROOT" && cargo build --release -q -p kmod --example load_cycles) ||
	abort "cargo build --example load_cycles failed"
# Staged with --bin (a directory of its own), so that the guest also gets the shared libraries it
# needs: unlike the tools, the example is linked with libgcc_s.so.1.
LOAD_CYCLES=$WORK/load-cycles
mkdir -p "$LOAD_CYCLES"
cp "${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/load_cycles" "$LOAD_CYCLES/" ||
	abort "no load_cycles example binary"

# ---------------------------------------------------------------- scenarios
if [ ${#SCENARIOS[@]} -eq 0 ]; then
	for f in "$HERE"/scenarios/*.sh; do SCENARIOS+=("$f"); done
fi

# normalise FILE: what legitimately differs between runs and between kmod 30 and 34.
normalise() {
	sed -E \
		-e 's/0x[0-9a-f]{8,16}/0xADDR/g' \
		-e 's/^\[ *[0-9]+\.[0-9]+\] /[T] /' \
		-e 's#^libkmod: ERROR \.\./libkmod/[a-z-]+\.c:[0-9]+ #libkmod: ERROR: #' \
		-e 's#^([a-z]+: [A-Z]+: )\.\./libkmod/[a-z-]+\.c:[0-9]+ [a-z_]+\(\) #\1#' \
		"$1"
}

# split OUT DIR: one file per block (DIR/<n>.<kind>), names in DIR/index ("n kind name").
split_blocks() {
	mkdir -p "$2"
	awk -v dir="$2" '
		/^### (cmp|ours) / {
			n++; kind = $2; name = $0; sub(/^### (cmp|ours) /, "", name)
			file = dir "/" n "." kind
			print n, kind, name > (dir "/index")
			printf "" > file
			next
		}
		/^info: / { print > (dir "/info"); next }
		n > 0 { print > file }
	' "$1"
	touch "$2/index" "$2/info"
}

# run_vm SCENARIO MODE: boots the VM for one scenario; output in $RESULTS/<scenario>.<mode>.*
run_vm() {
	local sc=$1 mode=$2 base opts
	base=$RESULTS/$(basename "$sc" .sh).$mode
	# Options for run-in-vm from the scenario's "#vm:" lines.
	opts=$(sed -n 's/^#vm: //p' "$sc" | tr '\n' ' ')
	eval "set -- $opts"
	local t0=$SECONDS
	"$RUN_IN_VM" --bin "$WORK/bin-$mode" --add "$HERE/lib.sh:/lib.sh" "$@" -- "$sc" "$mode" \
		>"$base.out" 2>"$base.err"
	echo $? >"$base.rc"
	echo $((SECONDS - t0)) >"$base.secs"
}

for sc in "${SCENARIOS[@]}"; do
	[ -f "$sc" ] || sc=$HERE/scenarios/$sc
	[ -f "$sc" ] || sc=$sc.sh
	name=$(basename "$sc" .sh)
	if [ ! -f "$sc" ]; then fail "$name: no such scenario"; continue; fi
	# "#ref: none": a scenario of our tools only (ours blocks), not run with kmod 30.
	modes="ref ours"
	grep -q '^#ref: none' "$sc" && modes=ours
	for mode in $modes; do run_vm "$sc" "$mode"; done
	vm_ok=1
	for mode in $modes; do
		rc=$(cat "$RESULTS/$name.$mode.rc")
		if [ "$rc" = 124 ] || [ "$rc" = 125 ] || [ "$rc" = 2 ]; then
			fail "$name ($mode): the VM gave no result (run-in-vm exit $rc)"
			sed 's/^/    /' "$RESULTS/$name.$mode.err" | tail -n 15
			vm_ok=0
		fi
	done
	[ "$vm_ok" = 1 ] || continue
	if [ "$modes" = ours ]; then
		echo "== $name (VM: ours $(cat "$RESULTS/$name.ours.secs") s; our tools only)"
		: >"$RESULTS/$name.ref.out"
	else
		echo "== $name (VM: kmod 30 $(cat "$RESULTS/$name.ref.secs") s, ours $(cat "$RESULTS/$name.ours.secs") s)"
	fi
	split_blocks "$RESULTS/$name.ref.out" "$RESULTS/$name.ref.blocks"
	split_blocks "$RESULTS/$name.ours.out" "$RESULTS/$name.ours.blocks"
	# Every block of our run: cmp blocks against the same-named block of the reference run.
	while read -r n kind bname; do
		f=$RESULTS/$name.ours.blocks/$n.$kind
		label="$name: $bname"
		if grep -q '^FAIL' "$f"; then
			fail "$label"
			grep '^FAIL' "$f" | sed 's/^/    /'
			continue
		fi
		if [ "$kind" = ours ]; then pass "$label"; continue; fi
		rn=$(awk -v k="$bname" '$2 == "cmp" { n = $1; $1 = ""; $2 = ""; sub(/^  /, ""); if ($0 == k) { print n; exit } }' \
			"$RESULTS/$name.ref.blocks/index")
		if [ -z "$rn" ]; then
			fail "$label (no such block in the kmod 30 run)"
			continue
		fi
		if diff -u --label "kmod 30" --label "ours" \
			<(normalise "$RESULTS/$name.ref.blocks/$rn.cmp") <(normalise "$f") >"$WORK/diff"; then
			pass "$label"
		else
			fail "$label"
			sed 's/^/    /' "$WORK/diff" | head -n 40
		fi
	done <"$RESULTS/$name.ours.blocks/index"
	# Blocks the reference printed but we did not (the scenario stopped early with our tools).
	while read -r n kind bname; do
		[ "$kind" = cmp ] || continue
		awk -v k="$bname" '{ $1 = ""; $2 = ""; sub(/^  /, "") } $0 == k { found = 1 } END { exit !found }' \
			"$RESULTS/$name.ours.blocks/index" || fail "$name: $bname (missing from our run)"
	done <"$RESULTS/$name.ref.blocks/index"
	if [ -s "$RESULTS/$name.ours.blocks/info" ]; then
		sed 's/^info: /     measured: /' "$RESULTS/$name.ours.blocks/info"
	fi
	if [ "$(cat "$RESULTS/$name.ours.rc")" != 0 ]; then
		fail "$name: scenario exited with status $(cat "$RESULTS/$name.ours.rc") under our tools"
		sed 's/^/    /' "$RESULTS/$name.ours.err" | tail -n 10
	fi
done
finish
