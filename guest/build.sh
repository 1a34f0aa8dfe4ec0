#!/bin/sh
# build.sh OUT: builds the guest SDK into OUT/crt0.o and OUT/libc.a with the flags
# `corral cc` uses for every guest source (printed by `build.sh --flags`).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
clang=${CLANG:-clang-19}
ar=${AR:-llvm-ar-19}

flags="--target=riscv64 -march=rv64emac_zbb -mabi=lp64e -mcmodel=medany -fno-pic -mno-relax -mno-strict-align \
-ffreestanding -fno-builtin-printf -nostdlibinc -isystem $here/include \
-isystem $($clang -print-resource-dir)/include -ffunction-sections -fdata-sections \
-fno-asynchronous-unwind-tables -fno-unwind-tables -O2"

if [ "${1:-}" = --flags ]; then
	echo "$flags"
	exit 0
fi
out=${1:?usage: build.sh OUT | build.sh --flags}
mkdir -p "$out/libc"
# shellcheck disable=SC2086
$clang $flags -Wall -Wextra -Werror -c "$here/crt0.c" -o "$out/crt0.o"
objects=
for src in "$here"/libc/*.c; do
	obj="$out/libc/$(basename "$src" .c).o"
	# shellcheck disable=SC2086
	$clang $flags -Wall -Wextra -Werror -c "$src" -o "$obj"
	objects="$objects $obj"
done
rm -f "$out/libc.a"
# shellcheck disable=SC2086
$ar rcs "$out/libc.a" $objects
