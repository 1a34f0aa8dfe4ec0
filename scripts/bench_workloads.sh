#!/usr/bin/env bash
# Builds the `corral bench` workloads (bench/workloads/*.c, each linked with
# its target's shim) for every kind of target, into OUT:
#
#   OUT/NAME.native  gcc -O2 for this machine                  (target native)
#   OUT/NAME.jam     corral cc -O2, a PVM program              (the corral targets)
#   OUT/NAME.wasm    clang-19 -O2 for wasm32-wasi, wasi-libc   (target v8, run by OUT/runner.mjs)
#   OUT/NAME.rv64    riscv64-linux-gnu-gcc -O2 -static         (target qemu)
#
# OUT/KIND.tool says which compiler built a kind (corral bench prints it).
# A kind whose tools are missing or broken is not an error: OUT/KIND.skipped
# says why, and corral bench reports its targets as skipped with that
# reason. Only what is older than its sources is rebuilt; two compilers run
# at a time (the large program takes tens of seconds in each).
#
#   scripts/bench_workloads.sh CORRAL OUT [WORKLOAD...]   (default: all of them)
set -euo pipefail
usage="usage: scripts/bench_workloads.sh CORRAL OUT [WORKLOAD...]"
corral=$(realpath "${1:?$usage}")
out=${2:?$usage}
shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
src=$here/bench/workloads
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The large program's functions, generated (see bench/workloads/large.c).
if [ ! -s "$out/large_body.h" ] || [ "$here/scripts/large_guest.sh" -nt "$out/large_body.h" ]; then
	"$here/scripts/large_guest.sh" 6000 --body > "$out/large_body.h.tmp"
	mv "$out/large_body.h.tmp" "$out/large_body.h"
fi
cp "$src/runner.mjs" "$out/runner.mjs"

workloads=("$@")
if [ "${#workloads[@]}" -eq 0 ]; then
	for file in "$src"/*.c; do
		name=$(basename "$file" .c)
		case $name in shim*) continue ;; esac
		workloads+=("$name")
	done
fi

# How each kind compiles one workload: "$@" are the sources, then -o OUTPUT.
common=(-O2 -I"$src" -I"$out")
build_native() { gcc "${common[@]}" "$@"; }
build_jam() { "$corral" cc "${common[@]}" "$@"; }
# No start-up code (--no-entry): the module exports bench_start and imports
# only what shim_wasm.c declares. The stack gets the 1 MiB a corral guest has.
build_wasm() {
	clang-19 --target=wasm32-wasi "${common[@]}" -nostartfiles -Wl,--no-entry -Wl,--strip-all \
		-Wl,-z,stack-size=1048576 "$@"
}
build_rv64() { riscv64-linux-gnu-gcc "${common[@]}" -static "$@"; }

# kind  shim  the tools it needs (for the skip reason)  the compiler's version
kinds=(
	"native shim_native.c gcc"
	"jam shim_corral.c clang-19,ld.lld-19(corral_cc)"
	"wasm shim_wasm.c clang-19,wasm-ld-19,wasi-libc,libclang-rt-19-dev-wasm32"
	"rv64 shim_native.c riscv64-linux-gnu-gcc,libc6-dev-riscv64-cross"
)

version() {
	case $1 in
	native) echo "gcc $(gcc -dumpfullversion) -O2" ;;
	jam) echo "corral cc -O2 (clang-19 for RV64E, ld.lld-19, corral link)" ;;
	wasm) echo "clang $(clang-19 -dumpversion) -O2 --target=wasm32-wasi, wasi-libc" ;;
	rv64) echo "riscv64-linux-gnu-gcc $(riscv64-linux-gnu-gcc -dumpfullversion) -O2 -static (rv64gc)" ;;
	esac
}

# Is OUTPUT older than any of its inputs?
stale() {
	local output=$1 input
	shift
	[ -e "$output" ] || return 0
	for input in "$@"; do
		[ "$input" -nt "$output" ] && return 0
	done
	return 1
}

# Builds every workload of one kind; on the first failure writes the skip
# file with the compiler's first complaint and stops that kind.
build_kind() {
	local kind=$1 shim=$2 needs=$3 name log=$out/$1.log
	rm -f "$out/$kind.skipped"
	for name in "${workloads[@]}"; do
		local target=$out/$name.$kind
		local inputs=("$src/$name.c" "$src/$shim" "$src"/*.h "$out/large_body.h")
		[ "$kind" = jam ] && inputs+=("$corral")
		stale "$target" "${inputs[@]}" || continue
		if ! "build_$kind" "$src/$name.c" "$src/$shim" -o "$target" > "$log" 2>&1; then
			rm -f "$target"
			printf 'cannot build %s for %s (needs %s): %s\n' "$name.c" "$kind" "${needs//,/, }" \
				"$(grep -m1 -i -e error -e 'not found' "$log" || head -n1 "$log")" > "$out/$kind.skipped"
			echo "corral bench: skipping $kind: $(cat "$out/$kind.skipped")" >&2
			return 0
		fi
	done
	rm -f "$log"
	version "$kind" > "$out/$kind.tool" 2>/dev/null || echo "$kind" > "$out/$kind.tool"
}

running=0
for line in "${kinds[@]}"; do
	read -r kind shim needs <<< "$line"
	build_kind "$kind" "$shim" "$needs" &
	running=$((running + 1))
	if [ "$running" -ge 2 ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
echo "corral bench: workloads built in $out ($(cd "$out" && ls -- *.native *.jam *.wasm *.rv64 2>/dev/null | wc -l) programs)"
