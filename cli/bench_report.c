/* What corral bench prints on stdout: where and how it ran, a table per
 * workload (each figure's median and spread over the timed runs; a column
 * only where some target has the figure), and a matrix of the ratios to
 * native with the geometric means. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/bench.h"

/* ---- the table ----------------------------------------------------------- */

/* "812 ns", "12.3 us", "4.18 ms", "1.25 s" */
static void format_time(char *text, size_t size, double ns)
{
	if (ns < 1e3)
		snprintf(text, size, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(text, size, "%.3g us", ns / 1e3);
	else if (ns < 1e9)
		snprintf(text, size, "%.3g ms", ns / 1e6);
	else
		snprintf(text, size, "%.3g s", ns / 1e9);
}

enum format { TIME, TIME_AND_SPREAD, PERCENT, RATIO, KILOBYTES, RATE };
enum statistic { MEDIAN, BEST, SPREAD };

/* What is not one statistic of one figure. */
enum derived { NOT_DERIVED, RATIO_TO_NATIVE, COMPILE_RATE, PER_CALL };

/* A column of the per-workload tables: a statistic of one figure of a cell
 * over its runs, or a figure derived from them. */
struct column {
	const char *header;
	int width;
	enum format format;
	enum bench_figure figure; /* TIME_AND_SPREAD: whose spread too */
	enum statistic statistic;
	enum derived derived;
};

/* Host calls are timed one by one as the interval between two calls'
 * arrivals at the host, each interval holding one read of the clock: its
 * cost is shown beside them rather than taken off, since a clock read
 * inside a host function (V8 inlines it) costs less than in a loop of
 * reads. "call, mean" is the whole run over the calls: the only figure for
 * targets whose host function is a plain call (native, qemu). */
static const struct column columns[] = {
	{"run, median", 12, TIME, BENCH_RUN, MEDIAN, NOT_DERIVED},
	{"best", 10, TIME, BENCH_RUN, BEST, NOT_DERIVED},
	{"spread", 7, PERCENT, BENCH_RUN, SPREAD, NOT_DERIVED},
	{"x native", 9, RATIO, BENCH_RUN, MEDIAN, RATIO_TO_NATIVE},
	{"compile", 17, TIME_AND_SPREAD, BENCH_COMPILE, MEDIAN, NOT_DERIVED},
	{"code", 9, KILOBYTES, BENCH_CODE_BYTES, MEDIAN, NOT_DERIVED},
	{"MB/s", 7, RATE, BENCH_COMPILE, MEDIAN, COMPILE_RATE},
	{"1st instance", 17, TIME_AND_SPREAD, BENCH_INSTANTIATE_FIRST, MEDIAN, NOT_DERIVED},
	{"instance after", 17, TIME_AND_SPREAD, BENCH_INSTANTIATE_STEADY, MEDIAN, NOT_DERIVED},
	{"call, mean", 11, TIME, BENCH_RUN, MEDIAN, PER_CALL},
	{"call median", 15, TIME_AND_SPREAD, BENCH_CALL_MEDIAN, MEDIAN, NOT_DERIVED},
	{"call p99", 15, TIME_AND_SPREAD, BENCH_CALL_P99, MEDIAN, NOT_DERIVED},
	{"clock read", 11, TIME, BENCH_CLOCK, MEDIAN, NOT_DERIVED},
};

/* A column's value in one cell; NAN for none. */
static double column_value(const struct column *column, const struct bench_results *results, size_t w, size_t t,
			   const struct bench_summary summaries[BENCH_FIGURE_COUNT])
{
	const struct bench_summary *summary = &summaries[column->figure];
	switch (column->derived) {
	case RATIO_TO_NATIVE:
		return bench_ratio(results, w, t);
	case COMPILE_RATE:
		return bench_compile_rate(summaries);
	case PER_CALL:
		return bench_workloads[w].host_calls ? summary->median / bench_workloads[w].host_calls : NAN;
	case NOT_DERIVED:
		break;
	}
	return column->statistic == BEST     ? summary->best
	       : column->statistic == SPREAD ? summary->spread
					     : summary->median;
}

#define COLUMN_COUNT (sizeof columns / sizeof columns[0])

static void format_value(char *text, size_t size, const struct column *column, double value,
			 const struct bench_summary *summaries)
{
	char time[32];
	if (isnan(value)) {
		snprintf(text, size, "-");
		return;
	}
	switch (column->format) {
	case TIME:
		format_time(text, size, value);
		break;
	case TIME_AND_SPREAD: /* a figure of one run has no spread */
		format_time(time, sizeof time, value);
		if (summaries[column->figure].count > 1)
			snprintf(text, size, "%s (%.0f%%)", time, 100 * summaries[column->figure].spread);
		else
			snprintf(text, size, "%s", time);
		break;
	case PERCENT:
		snprintf(text, size, "%.0f%%", 100 * value);
		break;
	case RATIO:
		snprintf(text, size, value < 9.995 ? "%.2fx" : "%.1fx", value);
		break;
	case KILOBYTES:
		snprintf(text, size, "%.1f KB", value / 1e3);
		break;
	case RATE:
		snprintf(text, size, "%.3g", value);
		break;
	}
}

static void print_workload(FILE *out, const struct bench_results *results, size_t w)
{
	const struct bench_workload *workload = &bench_workloads[w];
	double values[BENCH_MAX_TARGETS][COLUMN_COUNT];
	struct bench_summary summaries[BENCH_MAX_TARGETS][BENCH_FIGURE_COUNT];
	bool shown[COLUMN_COUNT] = {0};
	for (size_t t = 0; t < bench_target_count; t++) {
		const struct bench_cell *cell = bench_cell(results, w, t);
		if (cell->state != BENCH_CELL_OK)
			continue;
		bench_cell_summaries(cell, summaries[t]);
		for (size_t c = 0; c < COLUMN_COUNT; c++) {
			values[t][c] = column_value(&columns[c], results, w, t, summaries[t]);
			shown[c] |= !isnan(values[t][c]);
		}
	}
	if (results->checksum_from[w])
		fprintf(out, "\n%s: %s\n  output: %s (%s's; every other target's is compared with it)\n",
			workload->name, workload->what, results->checksum[w], results->checksum_from[w]);
	else
		fprintf(out, "\n%s: %s\n  no target ran it\n", workload->name, workload->what);
	if (results->rounds[w] && results->rounds[w] < results->runs)
		fprintf(out, "  timed in %u of %u rounds: they passed the budget of %u s a workload (--budget)\n",
			results->rounds[w], results->runs, results->budget);
	fprintf(out, "  %-14s", "target");
	for (size_t c = 0; c < COLUMN_COUNT; c++)
		if (shown[c])
			fprintf(out, " %*s", columns[c].width, columns[c].header);
	fputc('\n', out);
	for (size_t t = 0; t < bench_target_count; t++) {
		const struct bench_cell *cell = bench_cell(results, w, t);
		if (cell->state == BENCH_CELL_UNSELECTED)
			continue;
		fprintf(out, "  %-14s", bench_targets[t].name);
		if (cell->state != BENCH_CELL_OK) {
			fprintf(out, " %s: %s\n", cell->state == BENCH_CELL_SKIPPED ? "skipped" : "FAILED", cell->why);
			continue;
		}
		for (size_t c = 0; c < COLUMN_COUNT; c++) {
			char text[48];
			if (!shown[c])
				continue;
			format_value(text, sizeof text, &columns[c], values[t][c], summaries[t]);
			fprintf(out, " %*s", columns[c].width, text);
		}
		fputc('\n', out);
	}
}

static void print_ratios(FILE *out, const struct bench_results *results)
{
	size_t reference = bench_target_index(BENCH_REFERENCE);
	if (!results->target_selected[reference])
		return;
	fprintf(out,
		"\nratio of the median run time to native's (lower is faster; in brackets the larger of the two "
		"runs' spreads)\n  %-10s",
		"workload");
	for (size_t t = 0; t < bench_target_count; t++)
		if (results->target_selected[t] && t != reference)
			fprintf(out, " %14s", bench_targets[t].name);
	fputc('\n', out);
	for (size_t w = 0; w < bench_workload_count; w++) {
		if (!results->workload_selected[w])
			continue;
		fprintf(out, "  %-10s", bench_workloads[w].name);
		const struct bench_cell *native = bench_cell(results, w, reference);
		struct bench_summary native_run;
		bench_summarize(native->samples, native->count, BENCH_RUN, &native_run);
		for (size_t t = 0; t < bench_target_count; t++) {
			if (!results->target_selected[t] || t == reference)
				continue;
			const struct bench_cell *cell = bench_cell(results, w, t);
			double value = bench_ratio(results, w, t);
			char text[32] = "-";
			if (!isnan(value)) {
				struct bench_summary run;
				bench_summarize(cell->samples, cell->count, BENCH_RUN, &run);
				double spread = run.spread > native_run.spread ? run.spread : native_run.spread;
				snprintf(text, sizeof text, value < 9.995 ? "%.2fx (%.0f%%)" : "%.1fx (%.0f%%)", value,
					 100 * spread);
			}
			fprintf(out, " %14s", text);
		}
		fputc('\n', out);
	}
	char names[256];
	bench_means_names(results, names, sizeof names);
	fprintf(out, "  %-10s", "geo. mean");
	for (size_t t = 0; t < bench_target_count; t++) {
		if (!results->target_selected[t] || t == reference)
			continue;
		unsigned count;
		double mean = bench_geometric_mean(results, t, &count);
		char text[32] = "-";
		if (!isnan(mean))
			snprintf(text, sizeof text, mean < 9.995 ? "%.2fx" : "%.1fx", mean);
		fprintf(out, " %14s", text);
	}
	fprintf(out, "\n\ngeometric means of the ratio to native over %s:\n", names[0] ? names : "no workload");
	for (size_t t = 0; t < bench_target_count; t++) {
		if (!results->target_selected[t] || t == reference)
			continue;
		unsigned count;
		double mean = bench_geometric_mean(results, t, &count);
		if (isnan(mean))
			fprintf(out, "  %-14s -  (%s)\n", bench_targets[t].name,
				bench_target_skipped(results->session, t)
					? "skipped"
					: "no workload in the means ran on both it and native");
		else
			fprintf(out, "  %-14s %.2fx over %u workload%s\n", bench_targets[t].name, mean, count,
				count == 1 ? "" : "s");
	}
}

void bench_report_table(FILE *out, const struct bench_results *results)
{
	const struct bench_machine *machine = &results->machine;
	char state[256];
	fprintf(out, "corral bench %s, %s\n", CORRAL_VERSION, machine->start.time);
	fprintf(out, "machine: %s, %ld cores, %s\n", machine->cpu, machine->cores, machine->kernel);
	bench_machine_format(&machine->start, state, sizeof state);
	fprintf(out, "at start %s\n", state);
	bench_machine_format(&machine->end, state, sizeof state);
	fprintf(out, "at end   %s\n", state);
	fprintf(out,
		"%u timed runs of each workload on each target after one that checks the outputs; the targets "
		"take turns run by run, each round starting one target later.\n"
		"run: entering the program to its exit, as the target's runner times it (no process start, "
		"compilation or instantiation); spread: (slowest - fastest) / median, also in brackets after a time.\n",
		results->runs);
	fprintf(out, "\ntargets (workloads from %s):\n", bench_session_folder(results->session));
	for (size_t t = 0; t < bench_target_count; t++) {
		if (!results->target_selected[t])
			continue;
		const char *skipped = bench_target_skipped(results->session, t);
		fprintf(out, "  %-14s %s; %s%s\n", bench_targets[t].name, bench_targets[t].what,
			skipped ? "SKIPPED: " : "", skipped ? skipped : bench_target_tool(results->session, t));
	}
	for (size_t w = 0; w < bench_workload_count; w++)
		if (results->workload_selected[w])
			print_workload(out, results, w);
	print_ratios(out, results);
	fprintf(out, "\ncorral bench took %.0f s\n", results->seconds);
}
