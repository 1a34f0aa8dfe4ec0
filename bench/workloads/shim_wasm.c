/* The shim for V8 (built by clang for wasm32-wasi with wasi-libc, which
 * gives the workloads <string.h>): the host functions are imports of the
 * module "bench" that runner.mjs provides, and the entry point is the
 * export bench_start, which runner.mjs times. The module is linked without
 * wasi-libc's start-up code, so it imports nothing from WASI. */
#include "shim.h"

__attribute__((import_module("bench"), import_name("host_inc"))) uint64_t bench_import_host_inc(uint64_t x);
__attribute__((import_module("bench"), import_name("output"))) void bench_import_output(const void *bytes,
											size_t length);

uint64_t host_inc(uint64_t x)
{
	return bench_import_host_inc(x);
}

void bench_output(const void *bytes, size_t length)
{
	bench_import_output(bytes, length);
}

__attribute__((export_name("bench_start"))) void bench_start(void)
{
	bench_print_checksum(bench_workload());
}
