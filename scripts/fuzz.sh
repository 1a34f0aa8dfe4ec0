#!/usr/bin/env bash
# Runs the libFuzzer harnesses (build/fuzz/fuzz_*, from `make fuzzers`).
#
#   scripts/fuzz.sh smoke DIR RUNS     each DIR/fuzz_* but fuzz_diff for RUNS
#                                      inputs (30 s at most) from a fresh
#                                      corpus: `make test`
#   scripts/fuzz.sh run DIR SECONDS    each for SECONDS, growing the corpus in
#                                      fuzz-corpus/NAME: `make fuzz`
#   scripts/fuzz.sh diff DIR RUNS      only the differential fuzzer (fuzz_diff:
#                                      the interpreter against the JIT), for
#                                      RUNS generated programs, no time cap:
#                                      `make fuzz-diff`, and `make test` for
#                                      20,000; split among FUZZ_DIFF_JOBS
#                                      processes (default: one per core),
#                                      each with a corpus of its own
#
# Seeds are made afresh each time by tests/fuzz/seeds.c, which this script
# compiles: from the test vectors in $CORRAL_VECTORS (third-party files the
# repository must not hold) and from the repository's own assembly and JSON
# (tests/fuzz/seeds/, tests/asm/, guest/).
#
# The inputs in tests/fuzz/crashes/NAME-* once broke harness NAME and are
# replayed first. A crash, leak, timeout or failed check fails the script; the reproducer is
# kept in DIR/crashes/ with the harness's log beside it. Rerun one with
# `DIR/fuzz_NAME DIR/crashes/FILE`.
set -uo pipefail

usage() {
	echo "usage: scripts/fuzz.sh smoke DIR RUNS | run DIR SECONDS | diff DIR RUNS" >&2
	exit 2
}

mode=${1:-}
dir=${2:-}
amount=${3:-}
case "$mode" in smoke | run | diff) ;; *) usage ;; esac
[[ -n "$dir" && "$amount" =~ ^[0-9]+$ ]] || usage

root=$(cd "$(dirname "$0")/.." && pwd)
vectors=${CORRAL_VECTORS:-$root/../shared/vectors}
cc=${FUZZ_CC:-clang-19}
SMOKE_SECONDS=30 # the cap on each harness in a smoke run
TIMEOUT=10       # seconds one input may take before it counts as a hang
jobs=${FUZZ_DIFF_JOBS:-$(nproc)}
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || {
	echo "fuzz: FUZZ_DIFF_JOBS must be a positive number, not '$jobs'" >&2
	exit 2
}

shopt -s nullglob
if [ "$mode" = diff ]; then
	harnesses=("$dir"/fuzz_diff)
elif [ "$mode" = smoke ]; then
	# fuzz_diff gets a count of its own (diff), not a time cap.
	harnesses=()
	for harness in "$dir"/fuzz_*; do
		[ "$(basename "$harness")" = fuzz_diff ] || harnesses+=("$harness")
	done
else
	harnesses=("$dir"/fuzz_*)
fi
if [ ${#harnesses[@]} -eq 0 ]; then
	echo "fuzz: no harnesses in $dir (run 'make fuzzers')" >&2
	exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/corral-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
crashes=$dir/crashes
mkdir -p "$crashes"

# ---- seeds ------------------------------------------------------------------

# fuzz_diff generates its programs: only the other harnesses take seeds.
seeds=$work/seeds
make_seeds() {
	mkdir -p "$seeds"/{blob,container,json,asm,elf}

	if ! "$cc" -O1 -std=gnu11 -I"$root/include" -I"$root" -o "$work/seeds-tool" "$root/tests/fuzz/seeds.c" \
		"$root"/core/*.c "$root"/loader/*.c "$root/cli/json.c" 2>"$work/seeds-tool.log"; then
		cat "$work/seeds-tool.log" >&2
		echo "fuzz: cannot build the seed tool tests/fuzz/seeds.c with $cc" >&2
		exit 1
	fi
	seed() {
		"$work/seeds-tool" "$@" 2>>"$work/seeds.log" || {
			cat "$work/seeds.log" >&2
			echo "fuzz: cannot write seeds into $work" >&2
			exit 1
		}
	}

	own_assembly=("$root"/tests/fuzz/seeds/*.s "$root"/tests/asm/*.s "$root"/guest/*.s "$root"/guest/*/*.s)
	own_json=("$root"/tests/fuzz/seeds/*.json)
	[ ${#own_assembly[@]} -eq 0 ] || {
		cp "${own_assembly[@]}" "$seeds/asm/"
		seed blob "$seeds/blob" "${own_assembly[@]}"
		seed program "$seeds/container" "${own_assembly[@]}"
	}
	[ ${#own_json[@]} -eq 0 ] || cp "${own_json[@]}" "$seeds/json/"

	if [ -d "$vectors/pvm" ]; then
		programs=("$vectors"/pvm/*/programs/*.json "$vectors"/pvm/jamv1-sample/*.json
			"$vectors"/pvm/gas-model/integration/*.json)
		services=("$vectors"/pvm/services/*.jam)
		seed blob "$seeds/blob" "${programs[@]}" "${services[@]}"
		[ ${#services[@]} -eq 0 ] || cp "${services[@]}" "$seeds/container/"
		# A few files of each JSON schema, and listings of every 25th program:
		# variety, without slowing the text fuzzers down with size.
		mapfile -t some_json < <(printf '%s\n' "$vectors"/pvm/v0.4/programs/*.json | head -n 3
			printf '%s\n' "$vectors"/pvm/gas-model/programs/*.json | head -n 3
			printf '%s\n' "$vectors"/pvm/jamv1-sample/*.json)
		n=0
		for file in "${some_json[@]}"; do
			cp "$file" "$seeds/json/$((n++))-${file##*/}"
		done
		mapfile -t some_programs < <(printf '%s\n' "${programs[@]}" | grep -v /integration/ | awk 'NR % 25 == 1')
		seed listing "$seeds/asm" "${some_programs[@]}"
		echo "fuzz: seeds from $vectors and the repository:" \
			"$(ls "$seeds/blob" | wc -l) programs, $(ls "$seeds/container" | wc -l) containers," \
			"$(ls "$seeds/json" | wc -l) JSON files, $(ls "$seeds/asm" | wc -l) listings"
	else
		echo "fuzz: no test vectors at $vectors (set CORRAL_VECTORS): seeding from the repository's own files only"
	fi

	# Linked guests for the ELF reader and the linker, built with the SDK that
	# make builds beside the fuzzers (build/sdk), when the guest toolchain is here.
	sdk=$dir/../sdk
	if [ -f "$sdk/cflags" ] && command -v ld.lld-19 >/dev/null; then
		read -r -a guest_flags <"$sdk/cflags"
		for source in "$root"/guest/examples/*.c "$root"/tests/guest/*.c; do
			[ -f "$source" ] || continue
			name=$(basename "$source" .c)
			"$cc" "${guest_flags[@]}" -Os -c "$source" -o "$work/$name.o" &&
				ld.lld-19 -static -z norelro --no-relax --emit-relocs --gc-sections -T "$sdk/corral.ld" "$sdk/crt0.o" \
					"$work/$name.o" "$sdk/libc.a" -o "$seeds/elf/$name.elf" || {
				echo "fuzz: cannot build the seed guest $source" >&2
				exit 1
			}
		done
		echo "fuzz: $(ls "$seeds/elf" | wc -l) linked guests seed fuzz_elf"
	else
		echo "fuzz: no guest SDK at $sdk or no ld.lld-19: fuzz_elf starts from an empty corpus"
	fi
}
[ "$mode" = diff ] || make_seeds

# Which seed folder feeds which harness; one not named here starts empty.
seeds_for() {
	case "$1" in
	fuzz_blob | fuzz_exec) echo blob ;;
	fuzz_container) echo container ;;
	fuzz_json) echo json ;;
	fuzz_asm) echo asm ;;
	fuzz_elf) echo elf ;;
	esac
}

# Options of one harness. fuzz_diff's input is a recipe whose length is the
# program's: libFuzzer's default of growing inputs slowly from a few bytes
# would keep it to one-block programs for the first tens of thousands.
options_for() {
	case "$1" in
	fuzz_diff) echo -len_control=0 -max_len=1024 ;;
	esac
}

# ---- running ----------------------------------------------------------------

failed=0
for harness in "${harnesses[@]}"; do
	[ -x "$harness" ] && [ -f "$harness" ] || continue
	name=$(basename "$harness")
	if [ "$mode" = smoke ]; then
		corpus=$work/corpus/$name
		limits=(-runs="$amount" -max_total_time="$SMOKE_SECONDS")
	elif [ "$mode" = diff ]; then
		corpus=$work/corpus/$name
		limits=(-runs="$amount")
	else
		corpus=$root/fuzz-corpus/$name
		limits=(-max_total_time="$amount")
	fi
	mkdir -p "$corpus"
	# Every input that once broke this harness must pass now.
	known=("$root"/tests/fuzz/crashes/"$name"-*)
	if [ ${#known[@]} -gt 0 ] && ! "$harness" "${known[@]}" >"$work/$name.replay" 2>&1; then
		failed=1
		echo "FAIL $name: a kept reproducer fails again; log: $crashes/$name.replay"
		cp "$work/$name.replay" "$crashes/$name.replay"
		continue
	fi
	# libFuzzer adds what it finds to the first folder; the others only seed.
	folders=("$corpus")
	folder=$(seeds_for "$name")
	[ -z "$folder" ] || folders+=("$seeds/$folder")
	log=$work/$name.log
	# The service and integration seeds take ~30 ms each against ~0.1 ms for
	# the rest: without weighing inputs by their cost, libFuzzer spends nearly
	# all its time on them (160 executions/s instead of 7000).
	read -r -a options < <(options_for "$name")
	run() { # FOLDER LIMITS...: one process, its log on stdout
		local folder=$1
		shift
		"$harness" "$@" "${options[@]}" -timeout="$TIMEOUT" -entropic_scale_per_exec_time=1 \
			-artifact_prefix="$crashes/$name-" "$folder" "${folders[@]:1}" 2>&1
	}
	if [ "$mode" = diff ] && [ "$jobs" -gt 1 ]; then
		# The programs are generated, not seeded: processes apart, each
		# with its share of the runs, find as much as one would.
		pids=()
		for ((job = 0; job < jobs; job++)); do
			share=$((amount / jobs + (job < amount % jobs ? 1 : 0)))
			mkdir -p "$corpus-$job"
			run "$corpus-$job" -runs="$share" >"$log.$job" &
			pids+=($!)
		done
		status=0
		for pid in "${pids[@]}"; do
			wait "$pid" || status=$?
		done
		runs=0 seconds=0
		: >"$log"
		for ((job = 0; job < jobs; job++)); do
			read -r done_runs done_seconds < <(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 \2/p' "$log.$job")
			runs=$((runs + ${done_runs:-0}))
			seconds=$((${done_seconds:-0} > seconds ? ${done_seconds:-0} : seconds))
			{
				echo "==== process $((job + 1)) of $jobs"
				cat "$log.$job"
			} >>"$log"
			cp -r "$corpus-$job/." "$corpus/"
		done
	else
		run "$corpus" "${limits[@]}" >"$log"
		status=$?
		read -r runs seconds < <(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 \2/p' "$log")
		runs=${runs:-0} seconds=${seconds:-0}
	fi
	coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	if [ $status -eq 0 ]; then
		processes=""
		[ "$mode" != diff ] || [ "$jobs" -eq 1 ] || processes=" ($jobs processes)"
		echo "ok   $name: $runs executions in $seconds s ($((seconds > 0 ? runs / seconds : runs))/s)$processes," \
			"${coverage:-cov: ?}, corpus $(ls "$corpus" | wc -l)"
		continue
	fi
	failed=1
	artifact=$(sed -n 's/.*[Tt]est unit written to //p' "$log" | tail -n 1)
	cp "$log" "$crashes/$name.log"
	echo "FAIL $name (exit $status): ${artifact:-no reproducer written}; log: $crashes/$name.log"
	grep -m 8 -E '^(==[0-9]+==ERROR|SUMMARY|fuzz_|listing round trip|.*runtime error)' "$log" | sed 's/^/     /'
done
exit $failed
