/* C guests against native code: each example guest (plus a quicksort and a
 * generated program with over 100k instructions of code) built twice, by gcc
 * -O2 for this machine and by corral cc, run side by side as whole processes:
 * natively, with `corral run` on the x86-64 compiler under each gas metering
 * (off, async, sync), and on the interpreter, every way once per round,
 * round after round. Every way's output must be the native build's, byte for
 * byte, before any time counts. Then the geometric means over the guests,
 * and how fast the largest program becomes a module on each backend: the
 * JIT's compile time and throughput in MB/s of PVM code. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "host/internal.h"
#include "loader/container.h"

extern char **environ;

static const struct {
	const char *name;
	/* Whether it counts in the geometric means: the large program runs
	 * for a few milliseconds and is there for its loading time. */
	bool in_means;
} guests[] = {
	{"sieve", true}, {"sha256", true}, {"interp", true}, {"malloc", true}, {"quicksort", true}, {"large", false},
};

#define GUEST_COUNT (sizeof guests / sizeof guests[0])

/* The ways a guest runs, the native build first. */
enum way { NATIVE, JIT_OFF, JIT_ASYNC, JIT_SYNC, SANDBOX_OFF, INTERP, WAY_COUNT };

static const struct {
	const char *label;
	const char *flags[7]; /* for corral run, NULL-terminated */
} ways[WAY_COUNT] = {
	[NATIVE] = {"native", {NULL}},
	[JIT_OFF] = {"jit off", {"--backend", "jit", "--sandbox", "none", "--gas-metering", "off", NULL}},
	[JIT_ASYNC] = {"jit async", {"--backend", "jit", "--sandbox", "none", "--gas-metering", "async", NULL}},
	[JIT_SYNC] = {"jit sync", {"--backend", "jit", "--sandbox", "none", "--gas-metering", "sync", NULL}},
	/* the same code (absolute addressing) in a sandbox worker */
	[SANDBOX_OFF] = {"sbox off", {"--backend", "jit", "--sandbox", "linux", "--gas-metering", "off", NULL}},
	[INTERP] = {"interp", {"--backend", "interp", NULL}},
};

/* Runs argv with stdout into `output`; returns the seconds it took. */
static double run_process(char *const argv[], const char *output)
{
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	pid_t pid;
	double begin = bench_now();
	int error = posix_spawn(&pid, argv[0], &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	if (error)
		bench_fail("cannot run %s: %s", argv[0], strerror(error));
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			bench_fail("waiting for %s: %s", argv[0], strerror(errno));
	double seconds = bench_now() - begin;
	if (!WIFEXITED(status))
		bench_fail("%s %s did not exit normally", argv[0], argv[1] ? argv[1] : "");
	return seconds;
}

static bool same_file(const char *a, const char *b)
{
	size_t length_a, length_b;
	uint8_t *x = bench_read_file(a, &length_a), *y = bench_read_file(b, &length_b);
	bool same = length_a == length_b && !memcmp(x, y, length_a);
	free(x);
	free(y);
	return same;
}

/* One way's command line and the file its output goes to. */
struct command {
	char *argv[12];
	char output[4096];
};

static void build_command(struct command *command, enum way way, const char *folder, const char *corral,
			  const char *name, char *native, char *program)
{
	unsigned n = 0;
	snprintf(command->output, sizeof command->output, "%s/%s.%u.out", folder, name, (unsigned)way);
	if (way == NATIVE) {
		command->argv[n++] = native;
	} else {
		command->argv[n++] = (char *)corral;
		command->argv[n++] = "run";
		for (unsigned i = 0; ways[way].flags[i]; i++)
			command->argv[n++] = (char *)ways[way].flags[i];
		command->argv[n++] = program;
	}
	command->argv[n] = NULL;
}

/* Times one guest every way; medians[way] gets the median seconds. */
static void time_guest(const char *folder, const char *corral, const char *name, double medians[WAY_COUNT])
{
	char native[4096], program[4096];
	snprintf(native, sizeof native, "%s/%s.native", folder, name);
	snprintf(program, sizeof program, "%s/%s.jam", folder, name);
	struct command commands[WAY_COUNT];
	struct bench_samples samples[WAY_COUNT] = {0};
	struct bench_summary summaries[WAY_COUNT];
	for (unsigned w = 0; w < WAY_COUNT; w++) {
		build_command(&commands[w], w, folder, corral, name, native, program);
		run_process(commands[w].argv, commands[w].output); /* warm-up, and the output to compare */
		if (w != NATIVE && !same_file(commands[NATIVE].output, commands[w].output))
			bench_fail("%s: its output on %s differs from the native build's (%s, %s)", name, ways[w].label,
				   commands[w].output, commands[NATIVE].output);
	}
	for (unsigned run = 0; run < BENCH_RUNS; run++)
		for (unsigned w = 0; w < WAY_COUNT; w++)
			bench_samples_add(&samples[w], run_process(commands[w].argv, commands[w].output));
	double spread = 0;
	for (unsigned w = 0; w < WAY_COUNT; w++) {
		bench_summarize(&samples[w], &summaries[w]);
		medians[w] = summaries[w].median;
		if (summaries[w].spread > spread)
			spread = summaries[w].spread;
	}
	printf("  %-9s", name);
	for (unsigned w = 0; w < WAY_COUNT; w++)
		printf(" %9.1f", medians[w] * 1e3);
	printf("  %7.2fx %7.2fx %7.2fx %7.2fx %7.1fx %6.0f%%\n", medians[JIT_OFF] / medians[NATIVE],
	       medians[JIT_ASYNC] / medians[NATIVE], medians[JIT_SYNC] / medians[NATIVE],
	       medians[SANDBOX_OFF] / medians[JIT_OFF], medians[INTERP] / medians[NATIVE], 100 * spread);
}

/* The geometric mean of a[i] / b[i] over the guests in the means. */
static double geometric_mean(double times[][WAY_COUNT], enum way a, enum way b)
{
	double sum = 0;
	unsigned count = 0;
	for (size_t i = 0; i < GUEST_COUNT; i++) {
		if (guests[i].in_means) {
			sum += log(times[i][a] / times[i][b]);
			count++;
		}
	}
	return exp(sum / count);
}

/* Median seconds of corral_module_new for `bytes` on an engine of
 * `backend`; *native_length gets the size of the compiled code. */
static double time_module_new(const uint8_t *bytes, size_t length, corral_backend backend, size_t *native_length)
{
	corral_engine_config engine_config;
	corral_engine_config_init(&engine_config);
	engine_config.backend = backend;
	engine_config.sandbox = CORRAL_SANDBOX_NONE;
	corral_engine *engine;
	corral_error error;
	if (corral_engine_new(&engine_config, &engine, &error))
		bench_fail("%s", error.message);
	struct bench_samples samples = {0};
	struct bench_summary summary;
	for (unsigned run = 0; run < BENCH_RUNS; run++) {
		corral_module *module;
		double begin = bench_now();
		if (corral_module_new(engine, bytes, length, "large.jam", NULL, &module, &error))
			bench_fail("%s", error.message);
		bench_samples_add(&samples, bench_now() - begin);
		*native_length = 0;
		corral_module_native(module, native_length);
		corral_module_free(module);
	}
	corral_engine_free(engine);
	bench_summarize(&samples, &summary);
	return summary.median;
}

/* Median seconds of compiling `module` (host_jit_compile: the code buffer
 * mapped, every instruction compiled, the buffer trimmed and made
 * read+execute), each time afresh: COMPILE_RUNS times, since one compile
 * takes a millisecond or two and this machine's noise is as large. */
#define COMPILE_RUNS 31

static double time_compile(corral_module *module)
{
	struct bench_samples samples = {0};
	struct bench_summary summary;
	corral_error error;
	for (unsigned run = 0; run < COMPILE_RUNS; run++) {
		struct host_jit jit;
		double begin = bench_now();
		if (host_jit_compile(module, HOST_JIT_PLAIN, &jit, &error))
			bench_fail("%s", error.message);
		bench_samples_add(&samples, bench_now() - begin);
		host_jit_release(&jit);
	}
	bench_summarize(&samples, &summary);
	return summary.median;
}

/* Module creation for the largest program: what each backend pays before
 * the first instruction (decoding, validation and gas costs for both; the
 * interpreter's slots or the compiled code), then the compiling alone. */
static void time_module(const char *folder)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/large.jam", folder);
	size_t length, ignored, native_length;
	uint8_t *bytes = bench_read_file(path, &length);
	struct loader_program container;
	struct pvm_error problem;
	if (loader_parse(bytes, length, CORRAL_FORMAT_AUTO, &container, &problem))
		bench_fail("%s: %s", path, problem.message);
	corral_engine_config config;
	corral_engine_config_init(&config);
	config.backend = CORRAL_BACKEND_JIT;
	config.sandbox = CORRAL_SANDBOX_NONE;
	corral_engine *engine;
	corral_module *module;
	corral_error error;
	corral_module_info info;
	if (corral_engine_new(&config, &engine, &error) ||
	    corral_module_new(engine, bytes, length, "large.jam", NULL, &module, &error))
		bench_fail("%s", error.message);
	corral_module_get_info(module, &info);
	double compile = time_compile(module);
	corral_module_free(module);
	corral_engine_free(engine);

	double interp = time_module_new(bytes, length, CORRAL_BACKEND_INTERPRETER, &ignored);
	double jit = time_module_new(bytes, length, CORRAL_BACKEND_JIT, &native_length);
	double code_mb = (double)info.code_length / 1e6;
	printf("\nModule creation (corral_module_new, medians of %d) for large.jam: %u instructions, %.1f KB of PVM "
	       "code\n",
	       BENCH_RUNS, info.instruction_count, code_mb * 1e3);
	printf("  interpreter  %7.2f ms  %6.0f MB/s of PVM code\n", interp * 1e3, code_mb / interp);
	printf("  JIT          %7.2f ms  %6.0f MB/s of PVM code; %.0f KB of x86-64 code (%.1f bytes per PVM byte)\n",
	       jit * 1e3, code_mb / jit, (double)native_length / 1e3, (double)native_length / info.code_length);
	printf("  compiling    %7.2f ms  %6.0f MB/s of PVM code (host_jit_compile alone: the JIT's module less "
	       "decoding and validation; median of %d)\n",
	       compile * 1e3, code_mb / compile, COMPILE_RUNS);
	free(bytes);
}

void bench_guest_speed(const char *folder, const char *corral)
{
	double times[GUEST_COUNT][WAY_COUNT];
	printf("\nC guests: native (gcc -O2) against corral run on the JIT (gas metering off, async, sync) and on the "
	       "interpreter\n");
	printf("(milliseconds per whole run, process start and module creation included; medians of %d rounds, "
	       "each running every way once; the outputs are compared first)\n",
	       BENCH_RUNS);
	printf("  %-9s", "program");
	for (unsigned w = 0; w < WAY_COUNT; w++)
		printf(" %9s", ways[w].label);
	printf("  %8s %8s %8s %8s %8s %7s\n", "off/nat", "asyn/nat", "sync/nat", "sbox/off", "intp/nat", "spread");
	unsigned in_means = 0;
	for (size_t i = 0; i < GUEST_COUNT; i++) {
		time_guest(folder, corral, guests[i].name, times[i]);
		in_means += guests[i].in_means;
	}
	printf("  geometric means over the %u guests that compute (not large, which is there for its loading): JIT "
	       "(gas off) / native %.2fx, JIT sync / native %.2fx, interpreter / native %.1fx\n",
	       in_means, geometric_mean(times, JIT_OFF, NATIVE), geometric_mean(times, JIT_SYNC, NATIVE),
	       geometric_mean(times, INTERP, NATIVE));
	printf("  metering against none, on the JIT: sync %+.1f%%, async %+.1f%% (geometric means)\n",
	       100 * (geometric_mean(times, JIT_SYNC, JIT_OFF) - 1),
	       100 * (geometric_mean(times, JIT_ASYNC, JIT_OFF) - 1));
	printf("  sandboxed against in-process (gas off, whole processes: worker start included): %+.1f%% (target "
	       "<= 5%%)\n",
	       100 * (geometric_mean(times, SANDBOX_OFF, JIT_OFF) - 1));
	time_module(folder);
}
