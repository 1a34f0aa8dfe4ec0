#!/usr/bin/env bash
# The main job, for now: assemble an example program from the repo, show its
# code, run it; then run a real JAM service program to its first host call.
set -euo pipefail
corral=${1:-build/corral}
vectors=${CORRAL_VECTORS:-../shared/vectors}
out=$(dirname "$corral")/demo
mkdir -p "$out"

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

section "1. An example PVM program: guest/asm/primes.s (a sieve of Eratosthenes)"
show "$corral" asm guest/asm/primes.s -o "$out/primes.jam"
echo "(assembled: $(stat -c %s "$out/primes.jam") bytes, a JAM standard program)"

section "2. Its code, disassembled (the listing assembles back to the same bytes)"
show "$corral" disasm "$out/primes.jam" -o "$out/primes.s"
grep -v '^;' "$out/primes.s"
"$corral" asm "$out/primes.s" -o "$out/primes.again.jam"
cmp "$out/primes.jam" "$out/primes.again.jam" && echo "(round trip: identical bytes)"

section "3. The first instructions, traced one step at a time"
"$corral" run --trace --gas 60 "$out/primes.jam" | head -n 14 || true

section "4. Run to the end: every host call shown and resumed as a no-op"
show "$corral" run --gas 1000000 --continue "$out/primes.jam"

service="$vectors/pvm/services/jam-bootstrap-service.jam"
section "5. A real JAM service program, run to its first host call"
if [ -f "$service" ]; then
	show "$corral" run --gas 1000000 "$service"
else
	echo "skipped: $service not found (set CORRAL_VECTORS to the vectors folder)"
fi

section "6. Conformance: the public PVM test vectors"
if [ -d "$vectors/pvm/v0.4" ]; then
	for set in v0.4/programs gas-model/programs jamv1-sample; do
		printf '%-22s ' "$set:"
		"$corral" vectors "$vectors/pvm/$set" | tail -n 1
	done
else
	echo "skipped: no vectors at $vectors (set CORRAL_VECTORS)"
fi
