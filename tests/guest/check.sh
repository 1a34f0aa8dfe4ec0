#!/bin/bash
# check.sh [OUT]: builds every guest example and test program three ways and compares them.
#
#   native     gcc -O2 and glibc: the reference output and exit status
#   guest      clang for RV64E, linked with guest/corral.ld against the guest SDK: must
#              compile and link cleanly (no undefined symbols)
#   native-sdk clang for x86-64 against the guest libc (tests/guest/native stands in for
#              the host): must print exactly what the reference prints
#
# With CORRAL=path/to/corral in the environment, each guest ELF is also translated
# (`corral link ELF -o PROG`) and run (`corral run PROG ARGS`) and compared. A trap
# counts as exit status 134 (SIGABRT natively; the x86-64 stand-in traps with SIGILL).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$(mktemp -d /tmp/corral-guest-check.XXXXXX)}
clang=${CLANG:-clang-19}
lld=${LLD:-ld.lld-19}
resource=$($clang -print-resource-dir)
mkdir -p "$out/native" "$out/guest" "$out/native-sdk" "$out/run"

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# The SDK for the guest and, with the stand-in host, for x86-64.
"$root/guest/build.sh" "$out/sdk" || { echo "FAIL: the guest SDK does not build"; exit 1; }
guest_flags=$("$root/guest/build.sh" --flags)
native_sdk_flags="--target=x86_64-linux-gnu -O2 -ffreestanding -fno-builtin-printf -nostdlibinc \
-I $here/native -isystem $root/guest/include -isystem $resource/include -fno-stack-protector -fno-pic \
-fno-pie -ffunction-sections -fdata-sections -Wall -Wextra -Werror"
mkdir -p "$out/native-sdk/libc"
# shellcheck disable=SC2086
$clang $native_sdk_flags -D_start=__corral_guest_start -c "$root/guest/crt0.c" -o "$out/native-sdk/crt0.o" &&
	$clang $native_sdk_flags -c "$here/native/native_host.c" -o "$out/native-sdk/native_host.o" ||
	fail "native-sdk: crt0 or the stand-in host does not build"
objects=
for src in "$root"/guest/libc/*.c; do
	obj="$out/native-sdk/libc/$(basename "$src" .c).o"
	# shellcheck disable=SC2086
	$clang $native_sdk_flags -c "$src" -o "$obj" || fail "native-sdk: $src does not build"
	objects="$objects $obj"
done
rm -f "$out/native-sdk/libc.a"
# shellcheck disable=SC2086
llvm-ar-19 rcs "$out/native-sdk/libc.a" $objects

# The printf engine against glibc, exhaustively.
gcc -O1 -w -I "$root/guest/libc" "$here/native/format_diff.c" "$root/guest/libc/format.c" -o "$out/format_diff" &&
	"$out/format_diff" || fail "format_diff"

arguments() {
	case $1 in
	hello) args=(one "two words" "" last) ;;
	*) args=() ;;
	esac
}

# run BINARY NAME OUTPUT [LAUNCHER...]: runs with the program's arguments and input; prints the status.
run() {
	local binary=$1 name=$2 output=$3
	shift 3
	local input=/dev/null
	[ -f "$here/$name.in" ] && input=$here/$name.in
	arguments "$name"
	"$@" "$binary" "${args[@]}" <"$input" >"$output" 2>"$output.stderr"
	local status=$?
	[ $status = 132 ] && status=134
	echo $status
}

for src in "$root"/guest/examples/*.c "$here"/*.c; do
	name=$(basename "$src" .c)
	kind=$(basename "$(dirname "$src")")
	[ "$kind" = examples ] && name_out=example-$name || name_out=$name

	if ! gcc -O2 -Wall -Wextra -Werror "$src" -o "$out/native/$name_out"; then
		fail "$name: gcc build"
		continue
	fi
	expected_status=$(run "$out/native/$name_out" "$name" "$out/native/$name_out.out")

	# shellcheck disable=SC2086
	if ! $clang $guest_flags -Wall -Wextra -Werror -c "$src" -o "$out/guest/$name_out.o" ||
		! $lld -static -z norelro --no-relax --emit-relocs --gc-sections -T "$root/guest/corral.ld" \
			"$out/sdk/crt0.o" "$out/guest/$name_out.o" "$out/sdk/libc.a" -o "$out/guest/$name_out.elf"; then
		fail "$name: guest build"
	fi

	# shellcheck disable=SC2086
	if $clang $native_sdk_flags -c "$src" -o "$out/native-sdk/$name_out.o" &&
		$lld -static --gc-sections "$out/native-sdk/native_host.o" "$out/native-sdk/crt0.o" \
			"$out/native-sdk/$name_out.o" "$out/native-sdk/libc.a" -o "$out/native-sdk/$name_out"; then
		status=$(run "$out/native-sdk/$name_out" "$name" "$out/native-sdk/$name_out.out")
		cmp -s "$out/native/$name_out.out" "$out/native-sdk/$name_out.out" ||
			fail "$name: native-sdk output differs (diff $out/native/$name_out.out $out/native-sdk/$name_out.out)"
		[ "$status" = "$expected_status" ] || fail "$name: native-sdk exit status $status, expected $expected_status"
	else
		fail "$name: native-sdk build"
	fi

	if [ -n "${CORRAL:-}" ] && [ -f "$out/guest/$name_out.elf" ]; then
		if "$CORRAL" link "$out/guest/$name_out.elf" -o "$out/run/$name_out.corral"; then
			status=$(run "$out/run/$name_out.corral" "$name" "$out/run/$name_out.out" "$CORRAL" run)
			cmp -s "$out/native/$name_out.out" "$out/run/$name_out.out" ||
				fail "$name: guest output differs (diff $out/native/$name_out.out $out/run/$name_out.out)"
			[ "$status" = "$expected_status" ] || fail "$name: guest exit status $status, expected $expected_status"
		else
			fail "$name: corral link"
		fi
	fi
	echo "checked $name (exit status $expected_status)"
done

if [ $failures -ne 0 ]; then
	echo "$failures failures; outputs in $out"
	exit 1
fi
echo "all guest programs agree; outputs in $out"
