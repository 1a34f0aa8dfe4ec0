/* corral-bench: interpreter speed, then decoding speed, between a header
 * and a footer that say where and when the figures were taken. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"

void bench_fail(const char *format, ...)
{
	va_list args;
	fflush(stdout);
	fputs("corral-bench: FAILED: ", stderr);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputc('\n', stderr);
	exit(1);
}

/* corral-bench [GUESTS CORRAL]: with the folder of built C guests (make
 * bench builds them) and the corral executable, the guests are timed too. */
int main(int argc, char **argv)
{
	/* Figures appear as they are measured, even through a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	double start = bench_now();
	bench_print_header();
	bench_interp_speed();
	bench_decode_speed();
	bench_gas_speed();
	bench_sandbox_speed(argc == 3 ? argv[1] : NULL);
	bench_paging_speed();
	bench_audit_speed();
	bench_pvf_speed(argc == 3 ? argv[1] : NULL);
	if (argc == 3)
		bench_guest_speed(argv[1], argv[2]);
	else
		printf("\nC guests: skipped (run through make bench, which builds them)\n");
	bench_print_footer(bench_now() - start);
	return 0;
}
