/* C guests against native code: each example guest (and a generated program
 * with over 100k instructions of code) built twice, by gcc -O2 for this
 * machine and by corral cc, run side by side as whole processes (`corral
 * run` on the interpreter), alternating run by run. Their outputs must be
 * the same bytes before any time counts. Also: how fast the large program
 * becomes a module (parse, validate, interpreter preparation), in MB/s of
 * its code blob. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "loader/container.h"

extern char **environ;

static const char *const guests[] = {"sieve", "sha256", "interp", "malloc", "large"};

#define GUEST_COUNT (sizeof guests / sizeof guests[0])

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

static void time_guest(const char *folder, const char *corral, const char *name)
{
	char native[4096], program[4096], native_out[4096], guest_out[4096];
	snprintf(native, sizeof native, "%s/%s.native", folder, name);
	snprintf(program, sizeof program, "%s/%s.jam", folder, name);
	snprintf(native_out, sizeof native_out, "%s/%s.native.out", folder, name);
	snprintf(guest_out, sizeof guest_out, "%s/%s.guest.out", folder, name);
	char *native_argv[] = {native, NULL};
	char *guest_argv[] = {(char *)corral, "run", program, NULL};

	struct bench_samples native_samples = {0}, guest_samples = {0};
	struct bench_summary native_summary, guest_summary;
	run_process(native_argv, native_out); /* warm-up, and the outputs to compare */
	run_process(guest_argv, guest_out);
	if (!same_file(native_out, guest_out))
		bench_fail("%s: the guest's output differs from the native build's (%s, %s)", name, guest_out,
			   native_out);
	for (unsigned run = 0; run < BENCH_RUNS; run++) {
		bench_samples_add(&native_samples, run_process(native_argv, native_out));
		bench_samples_add(&guest_samples, run_process(guest_argv, guest_out));
	}
	bench_summarize(&native_samples, &native_summary);
	bench_summarize(&guest_samples, &guest_summary);
	printf("  %-8s %10.1f %10.1f %8.1fx %7.0f%% %7.0f%%\n", name, native_summary.median * 1e3,
	       guest_summary.median * 1e3, guest_summary.median / native_summary.median, 100 * native_summary.spread,
	       100 * guest_summary.spread);
}

/* Module creation for the largest program: what the interpreter pays
 * before the first instruction. */
static void time_module(const char *folder)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/large.jam", folder);
	size_t length;
	uint8_t *bytes = bench_read_file(path, &length);
	struct loader_program container;
	struct pvm_error problem;
	if (loader_parse(bytes, length, CORRAL_FORMAT_AUTO, &container, &problem))
		bench_fail("%s: %s", path, problem.message);
	corral_engine *engine;
	corral_error error;
	if (corral_engine_new(NULL, &engine, &error))
		bench_fail("%s", error.message);
	struct bench_samples samples = {0};
	struct bench_summary summary;
	for (unsigned run = 0; run < BENCH_RUNS; run++) {
		corral_module *module;
		double begin = bench_now();
		if (corral_module_new(engine, bytes, length, "large.jam", NULL, &module, &error))
			bench_fail("%s", error.message);
		bench_samples_add(&samples, bench_now() - begin);
		corral_module_free(module);
	}
	bench_summarize(&samples, &summary);
	corral_module_info info;
	corral_module *module;
	if (corral_module_new(engine, bytes, length, "large.jam", NULL, &module, &error))
		bench_fail("%s", error.message);
	corral_module_get_info(module, &info);
	corral_module_free(module);
	printf("  large.jam: %u instructions, %.1f KB of code blob; module creation %.2f ms (%.0f MB/s)\n",
	       info.instruction_count, (double)container.blob_length / 1e3, summary.median * 1e3,
	       (double)container.blob_length / 1e6 / summary.median);
	corral_engine_free(engine);
	free(bytes);
}

void bench_guest_speed(const char *folder, const char *corral)
{
	printf("\nC guests, native (gcc -O2) against corral run on the interpreter, milliseconds per whole run\n");
	printf("(medians of %d alternating runs; the outputs are compared first)\n", BENCH_RUNS);
	printf("  %-8s %10s %10s %9s %8s %8s\n", "program", "native", "corral", "ratio", "native±", "corral±");
	for (size_t i = 0; i < GUEST_COUNT; i++)
		time_guest(folder, corral, guests[i]);
	time_module(folder);
}
