/* sieve.c: the sieve of Eratosthenes up to 2,000,000 over a zero-initialised static array. */
#include <stdint.h>
#include <stdio.h>

#define LIMIT 2000000

static unsigned char composite[LIMIT + 1];

int main(void)
{
	for (uint32_t i = 2; (uint64_t)i * i <= LIMIT; i++)
		if (!composite[i])
			for (uint32_t j = i * i; j <= LIMIT; j += i)
				composite[j] = 1;

	uint32_t count = 0, twins = 0, last = 0, gap = 0, gap_at = 0;
	uint64_t sum = 0, checksum = 0;
	for (uint32_t i = 2; i <= LIMIT; i++) {
		if (composite[i])
			continue;
		count++;
		sum += i;
		checksum = (checksum ^ i) * 0x100000001b3ULL;
		if (last != 0 && i - last == 2)
			twins++;
		if (last != 0 && i - last > gap) {
			gap = i - last;
			gap_at = last;
		}
		last = i;
		if (count == 1000 || count == 10000 || count == 100000)
			printf("prime #%u = %u\n", count, i);
	}
	printf("primes up to %u: %u\n", LIMIT, count);
	printf("largest: %u\n", last);
	printf("sum: %llu\n", (unsigned long long)sum);
	printf("twin pairs: %u\n", twins);
	printf("largest gap: %u after %u\n", gap, gap_at);
	printf("checksum: %016llx\n", (unsigned long long)checksum);
	return count == 148933 ? 0 : 1;
}
