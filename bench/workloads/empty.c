/* The empty program: what starting, entering and leaving costs on each
 * target, with no work between. */
#include "bench_host.h"

uint64_t bench_workload(void)
{
	return 0;
}
