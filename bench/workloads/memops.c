/* memcpy and memset: copies and fills of pseudo-random sizes (a few bytes
 * to tens of KiB) at pseudo-random offsets within two 1 MiB buffers,
 * through each target's own C library (glibc, the guest SDK's libc,
 * wasi-libc), as ordinary programs use them. */
#include <string.h>

#include "bench_host.h"

#define SIZE (1u << 20)

static uint8_t source[SIZE], target[SIZE];
static volatile uint32_t operations = 60000;

/* A size that is usually small and sometimes large, as in real programs:
 * 1..256 bytes three times in four, else up to 64 KiB. */
static uint32_t pick_size(uint64_t random)
{
	return (random & 3) ? (uint32_t)(random >> 8) % 256 + 1 : (uint32_t)(random >> 8) % 65536 + 1;
}

uint64_t bench_workload(void)
{
	uint64_t state = 0xD1B54A32D192ED03ull, checksum = 0;
	for (uint32_t i = 0; i < SIZE; i++)
		source[i] = (uint8_t)(i * 131 + (i >> 9));
	for (uint32_t i = operations; i > 0; i--) {
		uint64_t random = bench_random(&state);
		uint32_t size = pick_size(random);
		uint32_t from = (uint32_t)(random >> 32) % (SIZE - size), to = (uint32_t)(random >> 40) % (SIZE - size);
		if (random & 4)
			memset(target + to, (int)(random >> 16), size);
		else
			memcpy(target + to, source + from, size);
		checksum = bench_mix(checksum, target[(to + size / 2) % SIZE]);
	}
	for (uint32_t i = 0; i < SIZE; i += 8) {
		uint64_t word;
		memcpy(&word, target + i, 8);
		checksum = bench_mix(checksum, word);
	}
	return checksum;
}
