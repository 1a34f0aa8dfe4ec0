/* A large program, for compile speed: 6,000 functions of a switch each,
 * called through a table of function pointers (100,275 PVM instructions
 * of code). The functions come from scripts/large_guest.sh --body, which
 * the build writes beside the workloads as large_body.h; running it takes
 * a few milliseconds, so it is not in the geometric means. */
#include "bench_host.h"

typedef uint64_t u64;

#include "large_body.h"

uint64_t bench_workload(void)
{
	u64 sum = 1;
	for (int round = 0; round < 3; round++)
		for (u64 i = 0; i < sizeof table / sizeof table[0]; i++)
			sum = table[i](sum, i) + sum;
	return sum;
}
