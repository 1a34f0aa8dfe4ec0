/* corral bench: every workload on every target, side by side. First each
 * workload runs once on each target and what they print (a checksum) is
 * compared: a target that prints something else, or fails, is out before
 * anything is timed. Then the timed runs, round-robin: each round runs
 * every target once, starting one target later than the round before, so
 * that on a noisy machine a burst of load spreads over the targets rather
 * than landing on one, and no target always follows the same one. The
 * machine's state is sampled before and after, and the report shows the
 * spread of every figure. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/bench.h"
#include "cli/cli.h"

#define DEFAULT_RUNS   5
#define MAX_RUNS       1000
#define DEFAULT_BUDGET 60 /* seconds of timed rounds per workload */

struct options {
	unsigned runs, budget;
	const char *json, *plot, *folder;
	char default_folder[PATH_MAX];
	bool workloads[BENCH_MAX_WORKLOADS];
	bool targets[BENCH_MAX_TARGETS];
};

/* "a, b, c": the names a list option takes, for its usage error. */
static void list_names(char *text, size_t size, bool targets)
{
	size_t count = targets ? bench_target_count : bench_workload_count, used = 0;
	text[0] = 0;
	for (size_t i = 0; i < count && used < size; i++)
		used += (size_t)snprintf(text + used, size - used, "%s%s", i ? ", " : "",
					 targets ? bench_targets[i].name : bench_workloads[i].name);
}

/* --workloads or --targets: comma-separated names, each one we know. */
static int parse_list(const struct command *self, const char *option, const char *value, bool targets, bool *selected)
{
	char names[512];
	list_names(names, sizeof names, targets);
	if (!value || !*value)
		return cli_usage_error(self, "%s takes a comma-separated list of %s", option, names);
	size_t count = targets ? bench_target_count : bench_workload_count;
	memset(selected, 0, count * sizeof *selected);
	for (const char *name = value; *name;) {
		size_t length = strcspn(name, ",");
		char one[64];
		snprintf(one, sizeof one, "%.*s", (int)length, name);
		size_t index = targets ? bench_target_index(one) : bench_workload_index(one);
		if (index == SIZE_MAX)
			return cli_usage_error(self, "%s: no %s is called '%s' (there are: %s)", option,
					       targets ? "target" : "workload", one, names);
		selected[index] = true;
		name += length + (name[length] == ',');
	}
	return 0;
}

/* The workloads make bench builds beside the corral executable:
 * BUILD/corral and BUILD/bench/workloads. */
static void default_folder(char *folder, size_t size)
{
	char self[PATH_MAX - 32]; /* room for the folder's name after it */
	ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
	if (length <= 0) {
		snprintf(folder, size, "build/bench/workloads");
		return;
	}
	self[length] = 0;
	char *slash = strrchr(self, '/');
	*slash = 0;
	snprintf(folder, size, "%s/bench/workloads", self);
}

static int parse_options(const struct command *self, int argc, char **argv, struct options *options)
{
	*options = (struct options){.runs = DEFAULT_RUNS, .budget = DEFAULT_BUDGET};
	for (size_t i = 0; i < bench_workload_count; i++)
		options->workloads[i] = true;
	for (size_t i = 0; i < bench_target_count; i++)
		options->targets[i] = true;
	for (int i = 1; i < argc; i++) {
		const char *value;
		int status = 0;
		if (cli_option(argc, argv, &i, "--runs", &value)) {
			uint64_t runs;
			if (!value || !cli_parse_u64(value, &runs) || runs < 1 || runs > MAX_RUNS)
				return cli_usage_error(self, "--runs takes a number of runs from 1 to %d (got %s)",
						       MAX_RUNS, value ? value : "nothing");
			options->runs = (unsigned)runs;
		} else if (cli_option(argc, argv, &i, "--budget", &value)) {
			uint64_t budget;
			if (!value || !cli_parse_u64(value, &budget) || budget < 1 || budget > 86400)
				return cli_usage_error(self,
						       "--budget takes the seconds a workload's timed rounds may take, "
						       "from 1 to 86400 (got %s)",
						       value ? value : "nothing");
			options->budget = (unsigned)budget;
		} else if (cli_option(argc, argv, &i, "--json", &value)) {
			if (!value || !*value)
				return cli_usage_error(self, "--json takes the file to write the figures to");
			options->json = value;
		} else if (cli_option(argc, argv, &i, "--plot", &value)) {
			if (!value || !*value)
				return cli_usage_error(self, "--plot takes the PNG file to draw the ratios in");
			options->plot = value;
		} else if (cli_option(argc, argv, &i, "--dir", &value)) {
			if (!value || !*value)
				return cli_usage_error(self, "--dir takes the folder the workloads were built in");
			options->folder = value;
		} else if (cli_option(argc, argv, &i, "--workloads", &value)) {
			status = parse_list(self, "--workloads", value, false, options->workloads);
		} else if (cli_option(argc, argv, &i, "--targets", &value)) {
			status = parse_list(self, "--targets", value, true, options->targets);
		} else {
			return cli_usage_error(self, "unknown option '%s'", argv[i]);
		}
		if (status)
			return status;
	}
	if (!options->folder) {
		default_folder(options->default_folder, sizeof options->default_folder);
		options->folder = options->default_folder;
	}
	return 0;
}

/* ---- the progress line ------------------------------------------------- */

struct progress {
	bool tty;
	unsigned done, total;
	size_t last_workload;
	const char *last_phase;
};

/* On a terminal one line, rewritten at every run; elsewhere (a log) a line
 * at each new workload and phase. */
static void progress_show(struct progress *progress, const char *phase, size_t workload, size_t target)
{
	progress->done++;
	if (progress->tty) {
		fprintf(stderr, "\r\033[Kcorral bench: [%u/%u] %s %s on %s", progress->done, progress->total, phase,
			bench_workloads[workload].name, bench_targets[target].name);
	} else if (workload != progress->last_workload || phase != progress->last_phase) {
		fprintf(stderr, "corral bench: [%u/%u] %s %s\n", progress->done, progress->total, phase,
			bench_workloads[workload].name);
	}
	progress->last_workload = workload;
	progress->last_phase = phase;
	fflush(stderr);
}

static void progress_end(const struct progress *progress)
{
	if (progress->tty)
		fprintf(stderr, "\r\033[K");
}

/* ---- the runs ---------------------------------------------------------- */

static void fail_cell(struct bench_cell *cell, const char *why)
{
	cell->state = BENCH_CELL_FAILED;
	snprintf(cell->why, sizeof cell->why, "%s", why);
}

/* Fails the cell when a run printed something else than the workload's
 * reference output; true when it printed the same. */
static bool check_output(const struct bench_results *results, size_t w, struct bench_cell *cell,
			 const struct bench_output *output)
{
	const struct bench_output *reference = &results->reference[w];
	if (output->length == reference->length && !memcmp(output->bytes, reference->bytes, output->length))
		return true;
	char got[64], why[256];
	snprintf(got, sizeof got, "%.*s", (int)(output->length < 40 ? output->length : 40),
		 output->bytes ? output->bytes : "");
	got[strcspn(got, "\n")] = 0;
	snprintf(why, sizeof why, "printed '%s', but %s printed '%s'", got, results->checksum_from[w],
		 results->checksum[w]);
	fail_cell(cell, why);
	return false;
}

/* Runs every selected workload once on every target that can run and
 * compares what they print; the first target's output is the reference
 * (native's, when it runs), which every timed run is compared with too. */
static void check_outputs(struct bench_results *results, struct bench_session *session, struct progress *progress)
{
	for (size_t w = 0; w < bench_workload_count; w++) {
		if (!results->workload_selected[w])
			continue;
		for (size_t t = 0; t < bench_target_count; t++) {
			struct bench_cell *cell = bench_cell(results, w, t);
			if (cell->state != BENCH_CELL_OK)
				continue;
			progress_show(progress, "checking", w, t);
			bench_figures figures;
			struct bench_output output = {0};
			char why[512];
			if (bench_run(session, t, w, false, figures, &output, why, sizeof why)) {
				fail_cell(cell, why);
			} else if (!results->checksum_from[w]) {
				results->reference[w] = output;
				output = (struct bench_output){0};
				results->checksum_from[w] = bench_targets[t].name;
				snprintf(results->checksum[w], sizeof results->checksum[w], "%.*s",
					 (int)results->reference[w].length, results->reference[w].bytes);
				results->checksum[w][strcspn(results->checksum[w], "\n")] = 0;
			} else {
				check_output(results, w, cell, &output);
			}
			bench_output_free(&output);
		}
	}
}

/* The timed rounds of one workload: results->runs of them, or fewer when
 * they pass the budget (every target then has had the same number, since
 * a round runs them all; the first always runs). */
static void time_workload(struct bench_results *results, struct bench_session *session, size_t w,
			  struct progress *progress)
{
	double begin = bench_now_ns();
	size_t active[BENCH_MAX_TARGETS], count = 0;
	for (size_t t = 0; t < bench_target_count; t++)
		if (bench_cell(results, w, t)->state == BENCH_CELL_OK)
			active[count++] = t;
	for (unsigned run = 0; run < results->runs; run++) {
		if (run > 0 && (bench_now_ns() - begin) * 1e-9 > results->budget) {
			progress->done += (results->runs - run) * (unsigned)count;
			break;
		}
		results->rounds[w] = run + 1;
		for (size_t i = 0; i < count; i++) {
			size_t t = active[(i + run) % count];
			struct bench_cell *cell = bench_cell(results, w, t);
			progress_show(progress, "timing", w, t);
			if (cell->state != BENCH_CELL_OK)
				continue; /* failed in an earlier round */
			struct bench_output output = {0};
			char why[512];
			/* Each host call is timed in a run of its own, in the first round
			 * only: its million intervals are the distribution, and on a
			 * loaded machine a sandboxed run of them can take seconds. */
			bool time_calls = bench_workloads[w].host_calls > 0 && run == 0;
			if (bench_run(session, t, w, time_calls, cell->samples[cell->count], &output, why, sizeof why))
				fail_cell(cell, why);
			else if (check_output(results, w, cell, &output))
				cell->count++;
			bench_output_free(&output);
		}
	}
}

/* ---- the command --------------------------------------------------------- */

static int prepare_results(struct bench_results *results, const struct options *options, struct bench_session *session)
{
	memset(results, 0, sizeof *results);
	results->runs = options->runs;
	results->budget = options->budget;
	results->session = session;
	memcpy(results->workload_selected, options->workloads, sizeof results->workload_selected);
	memcpy(results->target_selected, options->targets, sizeof results->target_selected);
	results->cells = calloc(bench_workload_count * bench_target_count, sizeof *results->cells);
	if (!results->cells)
		return -1;
	for (size_t w = 0; w < bench_workload_count; w++)
		for (size_t t = 0; t < bench_target_count; t++) {
			struct bench_cell *cell = bench_cell(results, w, t);
			const char *skipped = bench_target_skipped(session, t);
			if (!options->workloads[w] || !options->targets[t]) {
				cell->state = BENCH_CELL_UNSELECTED;
			} else if (skipped) {
				cell->state = BENCH_CELL_SKIPPED;
				snprintf(cell->why, sizeof cell->why, "%s", skipped);
			} else {
				cell->state = BENCH_CELL_OK;
				cell->samples = calloc(options->runs, sizeof *cell->samples);
				if (!cell->samples)
					return -1;
			}
		}
	return 0;
}

static void free_results(struct bench_results *results)
{
	if (results->cells)
		for (size_t i = 0; i < bench_workload_count * bench_target_count; i++)
			free(results->cells[i].samples);
	free(results->cells);
	for (size_t w = 0; w < bench_workload_count; w++)
		bench_output_free(&results->reference[w]);
}

static unsigned count_cells(const struct bench_results *results, enum bench_cell_state state)
{
	unsigned count = 0;
	for (size_t i = 0; i < bench_workload_count * bench_target_count; i++)
		count += results->cells[i].state == state;
	return count;
}

int cmd_bench(int argc, char **argv)
{
	const struct command *self = cli_command("bench");
	struct options options;
	int status = parse_options(self, argc, argv, &options);
	if (status)
		return status;
	struct stat folder;
	int missing = stat(options.folder, &folder) ? errno : 0;
	if (missing || !S_ISDIR(folder.st_mode))
		return cli_error("bench: %s: %s; make bench builds the workloads there (or give --dir)", options.folder,
				 missing ? strerror(missing) : "not a folder");

	/* The machine's state before anything starts, the sandbox's workers too. */
	double begin = bench_now_ns();
	struct bench_machine machine;
	bench_machine_describe(&machine);
	bench_machine_sample(&machine.start);
	struct bench_results results = {0};
	struct bench_session *session = bench_session_new(options.folder, options.targets);
	if (!session || prepare_results(&results, &options, session)) {
		free_results(&results);
		bench_session_free(session);
		return cli_error("bench: out of memory");
	}
	results.machine = machine;

	unsigned runnable = count_cells(&results, BENCH_CELL_OK);
	struct progress progress = {
		.tty = isatty(STDERR_FILENO), .total = runnable * (options.runs + 1), .last_workload = SIZE_MAX};
	check_outputs(&results, session, &progress);
	for (size_t w = 0; w < bench_workload_count; w++)
		if (results.workload_selected[w])
			time_workload(&results, session, w, &progress);
	progress_end(&progress);
	bench_machine_sample(&results.machine.end);
	results.seconds = (bench_now_ns() - begin) * 1e-9;

	bench_report_table(stdout, &results);
	fflush(stdout);
	status = count_cells(&results, BENCH_CELL_FAILED) ? 1 : 0;
	if (options.json && bench_report_json(options.json, &results))
		status = 1;
	if (options.plot && bench_report_plot(options.plot, &results))
		status = 1;
	free_results(&results);
	bench_session_free(session);
	return status;
}
