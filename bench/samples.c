/* Timing and the statistics the figures are printed with. */
#include <stdlib.h>
#include <time.h>

#include "bench/bench.h"

double bench_now(void)
{
	struct timespec now;
	if (clock_gettime(CLOCK_MONOTONIC, &now))
		bench_fail("clock_gettime(CLOCK_MONOTONIC) failed");
	return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

void bench_samples_add(struct bench_samples *samples, double seconds)
{
	if (samples->count == BENCH_MAX_SAMPLES)
		bench_fail("more than %d samples of one figure", BENCH_MAX_SAMPLES);
	samples->seconds[samples->count++] = seconds;
}

static int compare_seconds(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void bench_summarize(const struct bench_samples *samples, struct bench_summary *summary)
{
	double sorted[BENCH_MAX_SAMPLES];
	unsigned n = samples->count;
	if (n == 0)
		bench_fail("a figure with no samples");
	for (unsigned i = 0; i < n; i++)
		sorted[i] = samples->seconds[i];
	qsort(sorted, n, sizeof sorted[0], compare_seconds);
	summary->best = sorted[0];
	summary->median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
	summary->spread = (sorted[n - 1] - sorted[0]) / summary->median;
}
