/* A million host calls of x -> x + 1, each result fed to the next call:
 * the cost of leaving the guest for its host and coming back. */
#include "bench_host.h"

/* volatile: the count is read at run time, so no compiler can fold the loop. */
static volatile uint32_t calls = 1000000;

uint64_t bench_workload(void)
{
	uint64_t x = 0;
	for (uint32_t i = calls; i > 0; i--)
		x = host_inc(x);
	return x;
}
