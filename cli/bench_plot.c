/* corral bench --plot: the ratios to native as clustered bars, one cluster
 * per workload in the means and one for their geometric mean, one colour
 * per target (greys for the interpreter, blues for the JIT in process,
 * greens in the sandbox, darker for more metering, then the peers), on a
 * log scale with native's 1 marked, drawn by gnuplot into a PNG. The data
 * goes inline in the script: no file but the PNG is written. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/bench.h"

static const struct {
	const char *target;
	const char *colour;
} colours[] = {
	{"interp", "#9e9e9e"},       {"jit-off", "#90caf9"},     {"jit-async", "#42a5f5"},
	{"jit-sync", "#1565c0"},     {"sandbox-off", "#a5d6a7"}, {"sandbox-async", "#66bb6a"},
	{"sandbox-sync", "#2e7d32"}, {"v8", "#fb8c00"},          {"qemu", "#8e24aa"},
};

static const char *colour_of(const char *target)
{
	for (size_t i = 0; i < sizeof colours / sizeof colours[0]; i++)
		if (!strcmp(colours[i].target, target))
			return colours[i].colour;
	return "#000000";
}

/* Does the target have a ratio for at least one workload in the means? */
static bool plotted(const struct bench_results *results, size_t t)
{
	unsigned count;
	return results->target_selected[t] && strcmp(bench_targets[t].name, BENCH_REFERENCE) &&
	       !isnan(bench_geometric_mean(results, t, &count));
}

/* The ratio drawn for row `row` (a workload in the means, or the
 * geometric means after them) and target t; NAN for none. */
static double plotted_ratio(const struct bench_results *results, size_t w, size_t t)
{
	unsigned count;
	return w == bench_workload_count ? bench_geometric_mean(results, t, &count) : bench_ratio(results, w, t);
}

static bool plotted_row(const struct bench_results *results, size_t w)
{
	return w == bench_workload_count || (bench_workloads[w].in_means && results->workload_selected[w]);
}

/* One row per workload in the means, then the geometric means; "NaN" where
 * a target has no ratio, which gnuplot leaves out. */
static void write_data(FILE *plot, const struct bench_results *results, unsigned *rows, double *low, double *high)
{
	*rows = 0;
	*low = 1;
	*high = 1;
	fprintf(plot, "$ratios << EOD\n"); /* no header line: the plot names each column */
	for (size_t w = 0; w <= bench_workload_count; w++) {
		if (!plotted_row(results, w))
			continue;
		fprintf(plot, "\"%s\"", w == bench_workload_count ? "geometric mean" : bench_workloads[w].name);
		for (size_t t = 0; t < bench_target_count; t++) {
			if (!plotted(results, t))
				continue;
			double ratio = plotted_ratio(results, w, t);
			fprintf(plot, isnan(ratio) ? " NaN" : " %.4g", ratio);
			if (!isnan(ratio) && ratio > 0) {
				*low = ratio < *low ? ratio : *low;
				*high = ratio > *high ? ratio : *high;
			}
		}
		fputc('\n', plot);
		++*rows;
	}
	fprintf(plot, "EOD\n");
}

/* Bars in clusters of `columns` with a gap of one bar between clusters:
 * bar k of row r is centred at r + (k + 1/2 - columns/2) / (columns + 1).
 * Each gets its value above it, turned to fit. */
static void write_plot(FILE *plot, const struct bench_results *results, unsigned columns)
{
	double width = 1.0 / (columns + 1);
	unsigned k = 0;
	fprintf(plot, "plot ");
	for (size_t t = 0; t < bench_target_count; t++) {
		if (!plotted(results, t))
			continue;
		fprintf(plot, "%s$ratios using %u:xtic(1) title '%s' lc rgb '%s'", k ? ", " : "", k + 2,
			bench_targets[t].name, colour_of(bench_targets[t].name));
		k++;
	}
	/* The dashed line at 1 (an arrow) gets its entry in the key. */
	fprintf(plot, ", NaN with lines dt 2 lw 2 lc rgb '#000000' title 'native = 1'");
	for (k = 0; k < columns; k++)
		fprintf(plot,
			", $ratios using ($0 + %.5f):%u:(sprintf(column(%u) < 10 ? '%%.2f' : column(%u) < 100 ? '%%.1f' : "
			"'%%.0f', column(%u))) "
			"with labels rotate by 90 left offset 0, 0.3 font ',8' notitle",
			(k + 0.5 - columns / 2.0) * width, k + 2, k + 2, k + 2, k + 2);
	fputc('\n', plot);
}

static void write_script(FILE *plot, const char *path, const struct bench_results *results)
{
	const struct bench_machine *machine = &results->machine;
	unsigned columns = 0, rows;
	double low, high;
	for (size_t t = 0; t < bench_target_count; t++)
		columns += plotted(results, t);
	/* noenhanced: x86_64 is not x86 with a subscript */
	fprintf(plot, "set terminal pngcairo noenhanced size 1600,800 font 'sans,12'\nset output '");
	for (const char *c = path; *c; c++) /* a quote ends gnuplot's string: double it */
		fprintf(plot, *c == '\'' ? "''" : "%c", *c);
	fprintf(plot, "'\n");
	fprintf(plot,
		"set title \"corral bench, %s: run time relative to native code (gcc -O2), median of %u run%s; "
		"lower is faster\\n%s, %ld cores, %s; load %.2f at the start, %.2f at the end\"\n",
		machine->date, results->runs, results->runs == 1 ? "" : "s", machine->cpu, machine->cores,
		machine->kernel, machine->start.load[0], machine->end.load[0]);
	write_data(plot, results, &rows, &low, &high);
	fprintf(plot,
		"set style data histograms\nset style histogram clustered gap 1\n"
		"set style fill solid 1.0 border rgb '#404040'\nset boxwidth 1.0\n"
		"set xrange [-0.6:%u.6]\nset logscale y\nset yrange [%.3g:%.3g]\n"
		"set ytics ('0.1' 0.1, '0.2' 0.2, '0.5' 0.5, '1' 1, '2' 2, '5' 5, '10' 10, '20' 20, '50' 50, "
		"'100' 100, '200' 200, '500' 500, '1000' 1000, '2000' 2000, '5000' 5000)\n"
		"set grid ytics lc rgb '#d0d0d0'\nset ylabel 'time / native time (log scale)'\n"
		"set key outside right top vertical title 'target'\nset xtics nomirror\n"
		"set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2 lc rgb '#000000' front\n",
		rows - 1, low / 1.5, high * 2.5);
	write_plot(plot, results, columns);
}

int bench_report_plot(const char *path, const struct bench_results *results)
{
	char gnuplot[PATH_MAX];
	unsigned plottable = 0;
	for (size_t t = 0; t < bench_target_count; t++)
		plottable += plotted(results, t);
	if (!plottable) {
		char names[256];
		bench_means_names(results, names, sizeof names);
		fprintf(stderr,
			"corral: bench: --plot %s: nothing to plot: no target but native has a ratio for a "
			"workload in the means (%s)\n",
			path, names[0] ? names : "none was selected");
		return -1;
	}
	if (!bench_find_program("gnuplot", gnuplot, sizeof gnuplot)) {
		fprintf(stderr, "corral: bench: --plot %s: gnuplot is not in PATH (Debian package gnuplot-nox)\n",
			path);
		return -1;
	}
	FILE *plot = popen(gnuplot, "w");
	if (!plot) {
		fprintf(stderr, "corral: bench: --plot %s: cannot run %s: %s\n", path, gnuplot, strerror(errno));
		return -1;
	}
	write_script(plot, path, results);
	int status = pclose(plot);
	if (status != 0) {
		fprintf(stderr, "corral: bench: --plot %s: gnuplot failed (status %d; its message is above)\n", path,
			status);
		return -1;
	}
	return 0;
}
