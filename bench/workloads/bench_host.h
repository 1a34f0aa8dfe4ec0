/* bench_host.h: everything a `corral bench` workload may use besides its
 * own code and <string.h>. Each workload is one freestanding C file built
 * unchanged for every target (gcc for this machine, corral cc for the PVM,
 * clang for wasm32-wasi, gcc for static rv64 Linux); what differs per
 * target is only the shim it is linked with (shim_native.c, shim_corral.c,
 * shim_wasm.c), which provides the two host functions below and the entry
 * point that times bench_workload and prints its checksum.
 *
 * Integers are spelled with <stdint.h> types only: `long` is 32 bits on
 * wasm32 and 64 bits elsewhere, and the checksums must agree. */
#ifndef BENCH_WORKLOADS_BENCH_HOST_H
#define BENCH_WORKLOADS_BENCH_HOST_H

#include <stddef.h>
#include <stdint.h>

/* x + 1, answered by the host: a corral host call, a wasm import, or a
 * plain function in another translation unit (native, qemu). */
uint64_t host_inc(uint64_t x);

/* Writes bytes to the target's standard output. */
void bench_output(const void *bytes, size_t length);

/* Defined by each workload: does its work and returns a checksum of the
 * result, which the shim prints and `corral bench` compares across targets
 * before it times anything. */
uint64_t bench_workload(void);

/* xorshift64: the same pseudo-random numbers on every target. */
static inline uint64_t bench_random(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/* Folds a value into a running checksum (FNV-1a style, by words). */
static inline uint64_t bench_mix(uint64_t checksum, uint64_t value)
{
	return (checksum ^ value) * 0x100000001b3ull;
}

#endif
