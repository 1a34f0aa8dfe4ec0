#!/usr/bin/env bash
# The main job: compile a C program into a PVM guest and run it like a native
# one, on the interpreter and on the x86-64 compiler; assemble a PVM program by
# hand, show its code and the compiler's, run it; then run a real JAM service
# program to its first host call and the conformance vectors on both backends;
# last, what the kernel offers the sandbox and a guest run inside it.
set -euo pipefail
corral=${1:-build/corral}
vectors=${CORRAL_VECTORS:-../shared/vectors}
out=$(dirname "$corral")/demo
mkdir -p "$out"
# Where the kernel does not allow the linux sandbox (corral check says why),
# the sandboxed runs below are left out rather than failing the demo.
"$corral" check > "$out/check.txt"
sandboxes="none"
if awk '$1 == "sandbox" && $2 == "linux" { found = 1 } END { exit !found }' "$out/check.txt"; then
	sandboxes="none linux"
fi

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

section "1. C to PVM: guest/examples/sha256.c, compiled by corral cc and run by corral run"
show "$corral" cc guest/examples/sha256.c -o "$out/sha256.jam" -v
show "$corral" run "$out/sha256.jam"
section "   ... the same guest on the x86-64 compiler, in this process (corral run --backend jit --sandbox none)"
show "$corral" run --backend jit --sandbox none "$out/sha256.jam"
section "   ... and the same C compiled natively with gcc, for comparison"
show gcc -O2 -o "$out/sha256-native" guest/examples/sha256.c
show "$out/sha256-native"
show "$corral" cc guest/examples/hello.c -o "$out/hello.jam"
show "$corral" run "$out/hello.jam" from the demo
section "   ... a bytecode interpreter (switch jump table, function pointers), as a .polkavm container"
show "$corral" cc guest/examples/interp.c -o "$out/interp.polkavm" --format polkavm
show "$corral" run "$out/interp.polkavm"

section "2. A PVM program written by hand: guest/asm/primes.s (a sieve of Eratosthenes)"
show "$corral" asm guest/asm/primes.s -o "$out/primes.jam"
echo "(assembled: $(stat -c %s "$out/primes.jam") bytes, a JAM standard program)"

section "3. Its code, disassembled (the listing assembles back to the same bytes)"
show "$corral" disasm "$out/primes.jam" -o "$out/primes.s"
grep -v '^;' "$out/primes.s"
"$corral" asm "$out/primes.s" -o "$out/primes.again.jam"
cmp "$out/primes.jam" "$out/primes.again.jam" && echo "(round trip: identical bytes)"

section "   ... and the x86-64 code the compiler makes of its first instructions"
# Into a file, then the first 24 lines without a pipe to head: head closing
# the pipe early would kill the writer with SIGPIPE, and pipefail would
# count that as the demo failing.
"$corral" disasm --native "$out/primes.jam" > "$out/primes.native.txt"
awk '!/^;/ && shown++ < 24' "$out/primes.native.txt"

section "4. The first instructions, traced one step at a time"
"$corral" run --trace --gas 60 "$out/primes.jam" | head -n 14 || true

section "5. Run to the end: every host call shown and resumed as a no-op"
show "$corral" run --gas 1000000 --continue "$out/primes.jam"

service="$vectors/pvm/services/jam-bootstrap-service.jam"
section "6. A real JAM service program, run to its first host call"
if [ -f "$service" ]; then
	show "$corral" run --gas 1000000 "$service"
else
	echo "skipped: $service not found (set CORRAL_VECTORS to the vectors folder)"
fi

section "7. Conformance: the public PVM test vectors"
if [ -d "$vectors/pvm/v0.4" ]; then
	for set in v0.4/programs gas-model/programs jamv1-sample; do
		for way in interp $sandboxes; do
			flags=(--backend interp)
			[ "$way" = interp ] || flags=(--backend jit --sandbox "$way")
			printf '%-22s %-31s ' "$set:" "${flags[*]}"
			"$corral" vectors "${flags[@]}" "$vectors/pvm/$set" > "$out/vectors.txt"
			tail -n 1 "$out/vectors.txt"
		done
	done
else
	echo "skipped: no vectors at $vectors (set CORRAL_VECTORS)"
fi

section "8. The sandbox: what this kernel offers it (corral check)"
cat "$out/check.txt"

if [ "$sandboxes" = "none linux" ]; then
	section "   ... and the SHA-256 guest in a sandbox worker (a zygote in 7 new namespaces behind seccomp)"
	show "$corral" run --backend jit --sandbox linux "$out/sha256.jam"
else
	echo "(the linux sandbox is not available here: see the sandbox line above)"
fi
