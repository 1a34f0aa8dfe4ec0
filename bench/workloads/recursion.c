/* Calls and returns: a naive Fibonacci (a bushy call tree, two calls per
 * frame) and a descent a few thousand frames deep whose work happens on
 * the way back up, so that no compiler can make a loop of either. */
#include "bench_host.h"

static volatile uint32_t fib_n = 30, depth = 4000, descents = 500;

__attribute__((noinline)) static uint64_t fib(uint32_t n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) static uint64_t descend(uint32_t n, uint64_t seed)
{
	if (n == 0)
		return seed;
	uint64_t below = descend(n - 1, seed * 6364136223846793005ull + n);
	return (below ^ (below >> 29)) + n;
}

uint64_t bench_workload(void)
{
	uint64_t checksum = fib(fib_n);
	for (uint32_t i = 0; i < descents; i++)
		checksum = bench_mix(checksum, descend(depth, i));
	return checksum;
}
