/* The shim for corral (built by corral cc): host_inc is host call 1100,
 * which `corral bench` answers in process through the library API (corral
 * run's own host does not provide it); the checksum goes out through the
 * SDK's corral_write. The time is taken by the embedder around the run. */
#include <corral_guest.h>

#include "shim.h"

CORRAL_IMPORT(1100, uint64_t, bench_host_inc, uint64_t x)

uint64_t host_inc(uint64_t x)
{
	return bench_host_inc(x);
}

void bench_output(const void *bytes, size_t length)
{
	corral_write(1, bytes, length);
}

int main(void)
{
	bench_print_checksum(bench_workload());
	return 0;
}
