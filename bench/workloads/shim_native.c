/* The shim for native code and for qemu-riscv64 (the same C, built by gcc
 * for this machine and by riscv64-linux-gnu-gcc as a static rv64 Linux
 * program): the host function is a plain function in this translation
 * unit, which the workload's cannot inline; the time of bench_workload
 * alone goes to stderr as `bench run_ns N`, so that process start-up (and
 * qemu's) counts no more than a VM's instantiation does elsewhere. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

__attribute__((noinline)) uint64_t host_inc(uint64_t x)
{
	return x + 1;
}

void bench_output(const void *bytes, size_t length)
{
	const char *next = bytes;
	while (length > 0) {
		ssize_t written = write(STDOUT_FILENO, next, length);
		if (written <= 0)
			return;
		next += written;
		length -= (size_t)written;
	}
}

static int64_t now_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

int main(void)
{
	int64_t begin = now_ns();
	uint64_t checksum = bench_workload();
	int64_t end = now_ns();
	bench_print_checksum(checksum);
	fprintf(stderr, "bench run_ns %lld\n", (long long)(end - begin));
	return 0;
}
