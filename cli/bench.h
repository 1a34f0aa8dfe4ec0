/* corral bench: the workloads of bench/workloads/ on corral and its peers,
 * side by side in one run, with their checksums compared before anything
 * is timed.
 *
 *   cli/bench.c          the command: options, the rounds, the progress line
 *   cli/bench_targets.c  what runs a workload: the targets and whether each can
 *   cli/bench_corral.c   a run on corral, in this process, through the library
 *   cli/bench_process.c  a run of another program (native, node, qemu)
 *   cli/bench_machine.c  the machine and its state (load, frequency)
 *   cli/bench_stats.c    the clock; medians, spreads, percentiles
 *   cli/bench_results.c  the results: cells, ratios to native, geometric means
 *   cli/bench_report.c   the table on stdout
 *   cli/bench_json.c     the same as JSON, every sample included
 *   cli/bench_plot.c     the ratios as a PNG, through gnuplot
 *
 * Every figure is in nanoseconds (or bytes), as the targets' runners report
 * them: one name per figure serves the runners' protocol, the JSON and the
 * table. */
#ifndef CLI_BENCH_H
#define CLI_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "corral.h"

int cmd_bench(int argc, char **argv);

/* ---- the figures one run gives --------------------------------------- */

enum bench_figure {
	BENCH_RUN,                /* entering the program to its exit */
	BENCH_COMPILE,            /* corral_module_new; new WebAssembly.Module */
	BENCH_CODE_BYTES,         /* the code compile time is for */
	BENCH_INSTANTIATE_FIRST,  /* the first instance of a module made for the run */
	BENCH_INSTANTIATE_STEADY, /* the median of the instances after it */
	BENCH_CALLS,              /* host calls timed one by one (--calls runs) */
	BENCH_CALL_MEDIAN,        /* the interval between two host calls' arrivals: a */
	BENCH_CALL_P99,           /* round trip and one read of the clock */
	BENCH_CLOCK,              /* one read of that clock, in a loop of reads */
	BENCH_FIGURE_COUNT,
};

/* A run's figures: NAN where the target has no such figure. */
typedef double bench_figures[BENCH_FIGURE_COUNT];

struct bench_figure_info {
	const char *key; /* the runners' `bench KEY VALUE` lines and the JSON */
	bool bytes;      /* a size, not a time */
};
extern const struct bench_figure_info bench_figure_info[BENCH_FIGURE_COUNT];

/* Which figure a runner's key names; BENCH_FIGURE_COUNT for none. */
enum bench_figure bench_figure_by_key(const char *key, size_t length);

/* ---- workloads and targets (cli/bench_targets.c) ------------------------ */

#define BENCH_MAX_WORKLOADS 16
#define BENCH_MAX_TARGETS   16

struct bench_workload {
	const char *name; /* bench/workloads/NAME.c */
	const char *what;
	bool in_means;       /* counted in the geometric means and the plot */
	uint32_t host_calls; /* the calls it makes; its timed runs also time each */
};
extern const struct bench_workload bench_workloads[];
extern const size_t bench_workload_count;

enum bench_kind {
	BENCH_PROCESS, /* a program of its own, timed by its own runner */
	BENCH_CORRAL,  /* corral in this process, through the library */
};

#define BENCH_MAX_LAUNCHER 5

struct bench_target {
	const char *name;
	const char *artifact; /* the suffix the build gives its workloads' files */
	const char *what;
	enum bench_kind kind;
	/* BENCH_PROCESS: what runs NAME.artifact (none: it is an executable;
	 * "@runner": the folder's runner.mjs), the Debian package behind it,
	 * and the flag that makes its runner time each host call. */
	const char *launcher[BENCH_MAX_LAUNCHER];
	const char *package;
	const char *calls_flag;
	/* BENCH_CORRAL */
	corral_backend backend;
	corral_sandbox sandbox;
	corral_gas_metering metering;
};
extern const struct bench_target bench_targets[];
extern const size_t bench_target_count;

#define BENCH_REFERENCE "native" /* the target ratios are taken against */

/* Index by name; SIZE_MAX for none. */
size_t bench_target_index(const char *name);
size_t bench_workload_index(const char *name);

/* ---- one run ----------------------------------------------------------- */

struct bench_output {
	char *bytes;
	size_t length, capacity;
};
void bench_output_append(struct bench_output *output, const void *bytes, size_t length);
void bench_output_free(struct bench_output *output);

/* The targets for a whole bench: what each needs found, the engines made. */
struct bench_session;

/* Looks at the targets `selected[t]` asks for: their builds in `folder`
 * (which must outlive the session), their tools, their engines. NULL when
 * out of memory. */
struct bench_session *bench_session_new(const char *folder, const bool *selected);
void bench_session_free(struct bench_session *session);
/* Why a target cannot run here (it is skipped), or NULL. */
const char *bench_target_skipped(const struct bench_session *session, size_t target);
/* What built the target's programs and what runs them, for the report. */
const char *bench_target_tool(const struct bench_session *session, size_t target);
const char *bench_session_folder(const struct bench_session *session);

/* Runs a workload once on a target: its figures and its output; with
 * `time_calls`, each host call is timed too (in a run of its own). Returns
 * 0, or -1 with `why` saying what went wrong. */
int bench_run(struct bench_session *session, size_t target, size_t workload, bool time_calls, bench_figures figures,
	      struct bench_output *output, char *why, size_t why_size);

/* cli/bench_corral.c: corral's part of the session and of bench_run. */
struct bench_corral;
struct bench_corral *bench_corral_new(void);
void bench_corral_free(struct bench_corral *corral);
/* NULL, or why the target's engine cannot be made (no sandbox, say). */
const char *bench_corral_check(struct bench_corral *corral, const struct bench_target *target);
/* `host_calls`: time each of that many host calls too (0: do not). */
int bench_corral_run(struct bench_corral *corral, const struct bench_target *target, const char *path,
		     uint32_t host_calls, bench_figures figures, struct bench_output *output, char *why,
		     size_t why_size);

/* cli/bench_process.c: runs argv (argv[0] a path), its stdout into
 * `output`, its `bench KEY VALUE` lines on stderr into `figures`. Returns
 * 0, or -1 with `why` (what it said on stderr, when it failed). */
int bench_process_run(char *const argv[], bench_figures figures, struct bench_output *output, char *why,
		      size_t why_size);
/* The first line argv prints on stdout (a version), malloc'd; or NULL. */
char *bench_process_line(char *const argv[]);
/* Is `name` an executable in PATH? Then its path is in `path`. */
bool bench_find_program(const char *name, char *path, size_t size);

/* ---- measuring and statistics (cli/bench_stats.c) ------------------------ */

double bench_now_ns(void); /* CLOCK_MONOTONIC */
/* The median cost of one bench_now_ns, measured now. */
double bench_clock_cost(void);

struct bench_summary {
	unsigned count; /* samples that have the figure */
	double median, best, worst;
	double spread; /* (worst - best) / median */
};
/* Over samples[i][figure] for i < count, leaving out NANs. */
void bench_summarize(const bench_figures *samples, unsigned count, enum bench_figure figure,
		     struct bench_summary *summary);
/* The q-quantile (0..1) and the median of values, which they sort. */
double bench_quantile(double *values, size_t count, double q);
double bench_median_of(double *values, size_t count);

/* ---- the machine (cli/bench_machine.c) --------------------------------- */

#define BENCH_MAX_CPUS 64

struct bench_machine_state {
	char time[32];                /* UTC, ISO 8601 */
	double load[3];               /* 1, 5 and 15 minutes */
	double mhz[BENCH_MAX_CPUS];   /* each CPU's current frequency */
	unsigned cpus;                /* how many of mhz are known */
	const char *frequency_source; /* "cpufreq" or "/proc/cpuinfo" */
	char governor[32];            /* cpufreq's, or "none" */
};

struct bench_machine {
	char cpu[128];
	long cores;
	char kernel[200]; /* uname: system, release, machine */
	char date[16];    /* YYYY-MM-DD */
	struct bench_machine_state start, end;
};

void bench_machine_describe(struct bench_machine *machine);
void bench_machine_sample(struct bench_machine_state *state);
/* "TIME: load 1.20 1.10 0.90 (1, 5, 15 min); 2 CPUs at 2994-2994 MHz (/proc/cpuinfo); governor none" */
void bench_machine_format(const struct bench_machine_state *state, char *text, size_t size);

/* ---- results (cli/bench_results.c) ------------------------------------- */

enum bench_cell_state {
	BENCH_CELL_UNSELECTED, /* not asked for */
	BENCH_CELL_SKIPPED,    /* the target cannot run here */
	BENCH_CELL_FAILED,     /* it failed, or printed another checksum */
	BENCH_CELL_OK,
};

/* One workload on one target. */
struct bench_cell {
	enum bench_cell_state state;
	char why[512]; /* skipped or failed: why */
	unsigned count;
	bench_figures *samples; /* one per timed run */
};

struct bench_results {
	struct bench_machine machine;
	unsigned runs;                        /* timed rounds asked for */
	unsigned budget;                      /* seconds of them per workload */
	unsigned rounds[BENCH_MAX_WORKLOADS]; /* timed rounds run */
	bool workload_selected[BENCH_MAX_WORKLOADS];
	bool target_selected[BENCH_MAX_TARGETS];
	const struct bench_session *session;
	/* Per workload: what the first target that ran it printed, and which
	 * target that was; every other target's output is compared with it. */
	struct bench_output reference[BENCH_MAX_WORKLOADS];
	char checksum[BENCH_MAX_WORKLOADS][64]; /* its first line, for the report */
	const char *checksum_from[BENCH_MAX_WORKLOADS];
	struct bench_cell *cells; /* bench_cell() */
	double seconds;           /* the whole bench */
};

struct bench_cell *bench_cell(const struct bench_results *results, size_t workload, size_t target);
/* A cell's summaries, one per figure. */
void bench_cell_summaries(const struct bench_cell *cell, struct bench_summary summaries[BENCH_FIGURE_COUNT]);

/* The median run time of a cell over the reference's; NAN without both. */
double bench_ratio(const struct bench_results *results, size_t workload, size_t target);
/* The geometric mean of a target's ratios over the workloads in the means
 * it ran (*count of them); NAN when it ran none. */
double bench_geometric_mean(const struct bench_results *results, size_t target, unsigned *count);
/* "sieve, sha256, ...": the selected workloads in the means. */
void bench_means_names(const struct bench_results *results, char *text, size_t size);
/* MB/s of code compiled; NAN where unknown. */
double bench_compile_rate(const struct bench_summary summaries[BENCH_FIGURE_COUNT]);

/* ---- reports ------------------------------------------------------------- */

void bench_report_table(FILE *out, const struct bench_results *results); /* cli/bench_report.c */
/* 0, or -1 with the problem printed. */
int bench_report_json(const char *path, const struct bench_results *results); /* cli/bench_json.c */
int bench_report_plot(const char *path, const struct bench_results *results); /* cli/bench_plot.c */

#endif
