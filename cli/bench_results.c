/* What the samples come to: the cells of workloads by targets, each run
 * time's ratio to native's, the geometric means over the workloads that
 * compute, and the figures derived from a cell's summaries. */
#include <math.h>
#include <stdio.h>

#include "cli/bench.h"

struct bench_cell *bench_cell(const struct bench_results *results, size_t workload, size_t target)
{
	return &results->cells[workload * bench_target_count + target];
}

void bench_cell_summaries(const struct bench_cell *cell, struct bench_summary summaries[BENCH_FIGURE_COUNT])
{
	for (int f = 0; f < BENCH_FIGURE_COUNT; f++)
		bench_summarize(cell->samples, cell->count, (enum bench_figure)f, &summaries[f]);
}

static double median_run(const struct bench_results *results, size_t w, size_t t)
{
	const struct bench_cell *cell = bench_cell(results, w, t);
	struct bench_summary summary;
	if (cell->state != BENCH_CELL_OK || cell->count == 0)
		return NAN;
	bench_summarize(cell->samples, cell->count, BENCH_RUN, &summary);
	return summary.median;
}

double bench_ratio(const struct bench_results *results, size_t w, size_t t)
{
	return median_run(results, w, t) / median_run(results, w, bench_target_index(BENCH_REFERENCE));
}

double bench_geometric_mean(const struct bench_results *results, size_t t, unsigned *count)
{
	double sum = 0;
	*count = 0;
	for (size_t w = 0; w < bench_workload_count; w++) {
		double ratio = bench_ratio(results, w, t);
		if (bench_workloads[w].in_means && !isnan(ratio) && ratio > 0) {
			sum += log(ratio);
			++*count;
		}
	}
	return *count ? exp(sum / *count) : NAN;
}

void bench_means_names(const struct bench_results *results, char *text, size_t size)
{
	size_t used = 0;
	text[0] = 0;
	for (size_t w = 0; w < bench_workload_count && used < size; w++)
		if (bench_workloads[w].in_means && results->workload_selected[w])
			used += (size_t)snprintf(text + used, size - used, "%s%s", used ? ", " : "",
						 bench_workloads[w].name);
}

/* Bytes per ns are GB/s. */
double bench_compile_rate(const struct bench_summary summaries[BENCH_FIGURE_COUNT])
{
	return summaries[BENCH_CODE_BYTES].median / summaries[BENCH_COMPILE].median * 1e3;
}
