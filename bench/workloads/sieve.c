/* The sieve of Eratosthenes over a byte per number: strided stores, then a
 * sequential scan that counts and sums the primes. */
#include <string.h>

#include "bench_host.h"

#define LIMIT 4000000

static uint8_t composite[LIMIT];
/* volatile: read at run time, so no compiler can fold the work. */
static volatile uint32_t limit = LIMIT, rounds = 3;

uint64_t bench_workload(void)
{
	uint32_t n = limit;
	uint64_t checksum = 0;
	for (uint32_t round = rounds; round > 0; round--) {
		memset(composite, 0, n);
		for (uint32_t i = 2; (uint64_t)i * i < n; i++)
			if (!composite[i])
				for (uint32_t j = i * i; j < n; j += i)
					composite[j] = 1;
		uint64_t count = 0, sum = 0;
		for (uint32_t i = 2; i < n; i++)
			if (!composite[i]) {
				count++;
				sum += i;
			}
		checksum = bench_mix(bench_mix(checksum, count), sum);
	}
	return checksum;
}
