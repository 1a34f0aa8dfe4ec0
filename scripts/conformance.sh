#!/usr/bin/env bash
# Conformance from the command line, as a user runs it: every vector folder
# must end with "N passed, 0 failed" (N = the JSON files in it), also with
# the gas-model vectors' costs computed by the GP 0.8 model instead of read;
# `corral gas` must agree with every block cost of the integration programs;
# and every JAM service program must run to a host call with no panic before
# it, on the interpreter and on the JIT. (The JIT's run of every vector folder
# is a Criterion test: tests/test_jit_vectors.c.)
set -u
corral=${1:?usage: scripts/conformance.sh path/to/corral}
vectors=${CORRAL_VECTORS:-../shared/vectors}
failed=0

if [ ! -d "$vectors/pvm" ]; then
	echo "conformance: SKIPPED: no test vectors at $vectors (set CORRAL_VECTORS)"
	exit 0
fi

check_folder() {
	local folder=$1 count last
	shift
	count=$(find "$folder" -name '*.json' | wc -l)
	last=$("$corral" vectors "$@" "$folder" 2>&1 | tail -n 1)
	if [ "$last" = "$count passed, 0 failed" ]; then
		echo "ok   vectors $* $folder: $last"
	else
		echo "FAIL vectors $* $folder: expected '$count passed, 0 failed', got '$last'"
		"$corral" vectors "$@" "$folder" 2>&1 | grep -m 10 FAIL
		failed=1
	fi
}

check_folder "$vectors/pvm/v0.4/programs"
check_folder "$vectors/pvm/gas-model/programs"
check_folder "$vectors/pvm/jamv1-sample"
check_folder "$vectors/pvm/gas-model/programs" --gas-model gp08

for program in "$vectors"/pvm/gas-model/integration/*.json; do
	last=$("$corral" gas --model gp08 "$program" 2>&1 | tail -n 1)
	case "$last" in
	*" blocks, 0 differ")
		echo "ok   gas $(basename "$program"): $last" ;;
	*)
		echo "FAIL gas $(basename "$program"): $last"
		"$corral" gas --model gp08 "$program" 2>&1 | grep -m 10 differs
		failed=1 ;;
	esac
done

for service in "$vectors"/pvm/services/*.jam; do
	for backend in interp jit; do
		out=$("$corral" run --backend $backend "$service" 2>&1)
		stop=$(echo "$out" | grep '^stopped:')
		case "$stop" in
		"stopped: host call "*)
			echo "ok   run --backend $backend $(basename "$service"): $stop" ;;
		*)
			echo "FAIL run --backend $backend $(basename "$service"): ${stop:-$out}"
			failed=1 ;;
		esac
	done
done
exit $failed
