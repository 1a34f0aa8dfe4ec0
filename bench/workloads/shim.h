/* What every shim does the same way: the checksum line a workload prints
 * (written out by hand, since a corral guest and a wasm module built
 * without a C library's stdio both lack printf). */
#ifndef BENCH_WORKLOADS_SHIM_H
#define BENCH_WORKLOADS_SHIM_H

#include "bench_host.h"

/* "checksum 0123456789abcdef\n" through bench_output. */
static inline void bench_print_checksum(uint64_t checksum)
{
	static const char digits[] = "0123456789abcdef";
	char line[] = "checksum 0000000000000000\n";
	for (int i = 0; i < 16; i++)
		line[9 + i] = digits[(checksum >> (60 - 4 * i)) & 15];
	bench_output(line, sizeof line - 1);
}

#endif
