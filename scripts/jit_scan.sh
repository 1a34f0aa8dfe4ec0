#!/usr/bin/env bash
# Proves that the x86-64 compiler emitted none of the instructions compiled
# guest code must never run: rdtsc, rdtscp, rdrand, rdseed, cpuid, syscall,
# sysenter and every software interrupt (int, int3, into, int1/icebp). They
# read the time or the CPU, or enter the kernel; a guest that could run them
# would see this machine, or leave the sandbox's model.
#
#   scripts/jit_scan.sh DIR
#
# DIR holds the code buffers the host backend wrote while CORRAL_JIT_DUMP_DIR
# pointed at it (`make test` does this for its whole run): each <pid>-<n>.bin
# is one compiled module's code, disassembled here from its first byte with
# objdump. The scan fails on any forbidden instruction, and when it scanned
# no file at all. Before the real scan, a self-test: a blob holding cpuid
# and syscall among ordinary instructions must be caught, or the scan itself
# is broken.
set -uo pipefail

dir=${1:?usage: scripts/jit_scan.sh DIR}
forbidden='rdtsc rdtscp rdrand rdseed cpuid syscall sysenter int int3 into int1 icebp'

if ! command -v objdump >/dev/null; then
	echo "jit scan: objdump is not installed (binutils; make deps installs it)" >&2
	exit 1
fi

# Disassembles the files given on stdin (NUL-separated), a batch per
# objdump run; prints "hits instructions bad" on the last line, after one
# line per forbidden instruction found: FILE: ADDRESS: TEXT.
scan() {
	xargs -0 -r -n 256 objdump -D -b binary -mi386:x86-64 --no-show-raw-insn |
		awk -v forbidden="$forbidden" '
		BEGIN { n = split(forbidden, list, " "); for (i = 1; i <= n; i++) bad[list[i]] = 1 }
		/file format binary$/ { file = $1; sub(/:$/, "", file); next }
		/^ *[0-9a-f]+:\t/ {
			instructions++
			text = $0; sub(/^ *[0-9a-f]+:\t/, "", text)
			if (text ~ /\(bad\)/) undecodable++
			# Every word of the instruction, prefixes included: an
			# operand is never a bare word in AT&T syntax.
			words = split(text, word, /[ \t,]+/)
			for (i = 1; i <= words; i++)
				if (word[i] in bad) { hits++; print file ": " text; break }
		}
		END { printf "%d %d %d\n", hits, instructions, undecodable }'
}

# ---- self-test -----------------------------------------------------------

work=$(mktemp -d "${TMPDIR:-/tmp}/corral-jit-scan.XXXXXX")
trap 'rm -rf "$work"' EXIT
# mov %rdi,%rax; cpuid; add %rbx,%rax; syscall; ret
printf '\x48\x89\xf8\x0f\xa2\x48\x01\xd8\x0f\x05\xc3' >"$work/self-test.bin"
read -r hits instructions _ < <(printf '%s\0' "$work/self-test.bin" | scan | tail -n 1)
if [ "$hits" != 2 ] || [ "$instructions" != 5 ]; then
	echo "jit scan: FAILED its self-test: a blob with cpuid and syscall among 5 instructions gave" \
		"$hits hits in $instructions instructions (expected 2 in 5): the scan cannot be trusted" >&2
	exit 1
fi

# ---- the dumps -------------------------------------------------------------

if [ ! -d "$dir" ]; then
	echo "jit scan: FAILED: $dir does not exist (was CORRAL_JIT_DUMP_DIR set for the tests?)" >&2
	exit 1
fi
files=$(find "$dir" -maxdepth 1 -name '*.bin' -type f | wc -l)
if [ "$files" -eq 0 ]; then
	echo "jit scan: FAILED: no compiled code in $dir: nothing was scanned (does the host backend write" \
		"CORRAL_JIT_DUMP_DIR, and did the tests run the JIT?)" >&2
	exit 1
fi
find "$dir" -maxdepth 1 -name '*.bin' -type f -print0 | scan >"$work/scan.txt"
read -r hits instructions undecodable < <(tail -n 1 "$work/scan.txt")
bytes=$(find "$dir" -maxdepth 1 -name '*.bin' -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
if [ "$hits" -ne 0 ]; then
	echo "jit scan: FAILED: $hits forbidden instructions ($forbidden) in the compiled code:" >&2
	head -n -1 "$work/scan.txt" | head -n 20 >&2
	exit 1
fi
note=""
[ "$undecodable" -eq 0 ] || note=" ($undecodable bytes objdump could not decode: data or padding in the code)"
echo "jit scan: ok: $files code buffers, $bytes bytes, $instructions instructions, none of $forbidden$note"
