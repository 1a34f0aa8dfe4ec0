/* The clock corral bench measures with, and what it makes of samples:
 * medians, best and worst, the spread between them, percentiles. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/bench.h"

const struct bench_figure_info bench_figure_info[BENCH_FIGURE_COUNT] = {
	[BENCH_RUN] = {"run_ns", false},
	[BENCH_COMPILE] = {"compile_ns", false},
	[BENCH_CODE_BYTES] = {"code_bytes", true},
	[BENCH_INSTANTIATE_FIRST] = {"instantiate_first_ns", false},
	[BENCH_INSTANTIATE_STEADY] = {"instantiate_steady_ns", false},
	[BENCH_CALLS] = {"calls", true},
	[BENCH_CALL_MEDIAN] = {"call_median_ns", false},
	[BENCH_CALL_P99] = {"call_p99_ns", false},
	[BENCH_CLOCK] = {"clock_ns", false},
};

enum bench_figure bench_figure_by_key(const char *key, size_t length)
{
	for (int f = 0; f < BENCH_FIGURE_COUNT; f++)
		if (strlen(bench_figure_info[f].key) == length && !memcmp(bench_figure_info[f].key, key, length))
			return (enum bench_figure)f;
	return BENCH_FIGURE_COUNT;
}

double bench_now_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec * 1e9 + (double)now.tv_nsec;
}

double bench_clock_cost(void)
{
	enum { READS = 100000 };
	static double intervals[READS];
	double previous = bench_now_ns();
	for (int i = 0; i < READS; i++) {
		double now = bench_now_ns();
		intervals[i] = now - previous;
		previous = now;
	}
	return bench_median_of(intervals, READS);
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double bench_quantile(double *values, size_t count, double q)
{
	if (count == 0)
		return NAN;
	qsort(values, count, sizeof *values, compare_doubles);
	size_t at = (size_t)(q * (double)(count - 1) + 0.5);
	return values[at < count ? at : count - 1];
}

double bench_median_of(double *values, size_t count)
{
	if (count == 0)
		return NAN;
	qsort(values, count, sizeof *values, compare_doubles);
	return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

void bench_summarize(const bench_figures *samples, unsigned count, enum bench_figure figure,
		     struct bench_summary *summary)
{
	double *values = malloc((count ? count : 1) * sizeof *values);
	*summary = (struct bench_summary){0, NAN, NAN, NAN, NAN};
	if (!values)
		return;
	for (unsigned i = 0; i < count; i++)
		if (!isnan(samples[i][figure]))
			values[summary->count++] = samples[i][figure];
	if (summary->count) {
		summary->median = bench_median_of(values, summary->count);
		summary->best = values[0];
		summary->worst = values[summary->count - 1];
		summary->spread = summary->median > 0 ? (summary->worst - summary->best) / summary->median : 0;
	}
	free(values);
}
