/* What corral bench runs: the workloads, the targets they run on, and for
 * each target whether it can run on this machine (its build was made, its
 * tools are installed, its engine starts). A target that cannot is
 * skipped with the reason, never a failure: the comparison is as wide as
 * the machine allows. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/bench.h"

const struct bench_workload bench_workloads[] = {
	{"empty", "an empty program: entering and leaving it", false, 0},
	{"hostcall", "a million host calls of x -> x + 1, each result fed to the next", false, 1000000},
	{"sieve", "sieve of Eratosthenes, a byte per number up to 4 million, 3 times", true, 0},
	{"sha256", "SHA-256 of 4 MiB of pseudo-random bytes", true, 0},
	{"quicksort", "quicksort of 600,000 pseudo-random 32-bit numbers (Hoare partitions, an explicit stack)", true,
	 0},
	{"bytecode", "a bytecode interpreter (one switch, indirect jumps) counting Collatz steps", true, 0},
	{"recursion", "naive Fibonacci and 500 descents 4,000 frames deep: calls and returns", true, 0},
	{"memops", "60,000 memcpy and memset of random sizes within two 1 MiB buffers", true, 0},
	{"large", "6,000 generated functions (100,275 PVM instructions): for compile speed", false, 0},
};
const size_t bench_workload_count = sizeof bench_workloads / sizeof bench_workloads[0];

#define CORRAL_TARGET(target_name, text, target_backend, target_sandbox, target_metering)                              \
	{                                                                                                              \
		.name = target_name, .artifact = "jam", .what = text, .kind = BENCH_CORRAL, .backend = target_backend, \
		.sandbox = target_sandbox, .metering = target_metering                                                 \
	}

const struct bench_target bench_targets[] = {
	{.name = BENCH_REFERENCE, .artifact = "native", .what = "this machine's code", .kind = BENCH_PROCESS},
	CORRAL_TARGET("interp", "corral's interpreter, in process (it always meters gas exactly)",
		      CORRAL_BACKEND_INTERPRETER, CORRAL_SANDBOX_NONE, CORRAL_METERING_SYNC),
	CORRAL_TARGET("jit-off", "corral's JIT in process, no gas metering", CORRAL_BACKEND_JIT, CORRAL_SANDBOX_NONE,
		      CORRAL_METERING_OFF),
	CORRAL_TARGET("jit-async", "corral's JIT in process, async gas metering", CORRAL_BACKEND_JIT,
		      CORRAL_SANDBOX_NONE, CORRAL_METERING_ASYNC),
	CORRAL_TARGET("jit-sync", "corral's JIT in process, exact gas metering", CORRAL_BACKEND_JIT,
		      CORRAL_SANDBOX_NONE, CORRAL_METERING_SYNC),
	CORRAL_TARGET("sandbox-off", "corral's JIT in the Linux sandbox, no gas metering", CORRAL_BACKEND_JIT,
		      CORRAL_SANDBOX_LINUX, CORRAL_METERING_OFF),
	CORRAL_TARGET("sandbox-async", "corral's JIT in the Linux sandbox, async gas metering", CORRAL_BACKEND_JIT,
		      CORRAL_SANDBOX_LINUX, CORRAL_METERING_ASYNC),
	CORRAL_TARGET("sandbox-sync", "corral's JIT in the Linux sandbox, exact gas metering", CORRAL_BACKEND_JIT,
		      CORRAL_SANDBOX_LINUX, CORRAL_METERING_SYNC),
	{.name = "v8",
	 .artifact = "wasm",
	 .what = "V8 (Node.js), optimizing tier only",
	 .kind = BENCH_PROCESS,
	 .launcher = {"node", "--no-liftoff", "--no-wasm-lazy-compilation", "@runner"},
	 .package = "nodejs",
	 .calls_flag = "--calls"},
	{.name = "qemu",
	 .artifact = "rv64",
	 .what = "qemu-riscv64 user mode (TCG)",
	 .kind = BENCH_PROCESS,
	 .launcher = {"qemu-riscv64"},
	 .package = "qemu-user"},
};
const size_t bench_target_count = sizeof bench_targets / sizeof bench_targets[0];

_Static_assert(sizeof bench_workloads / sizeof bench_workloads[0] <= BENCH_MAX_WORKLOADS, "too many workloads");
_Static_assert(sizeof bench_targets / sizeof bench_targets[0] <= BENCH_MAX_TARGETS, "too many targets");

size_t bench_target_index(const char *name)
{
	for (size_t t = 0; t < bench_target_count; t++)
		if (!strcmp(bench_targets[t].name, name))
			return t;
	return SIZE_MAX;
}

size_t bench_workload_index(const char *name)
{
	for (size_t w = 0; w < bench_workload_count; w++)
		if (!strcmp(bench_workloads[w].name, name))
			return w;
	return SIZE_MAX;
}

struct bench_session {
	const char *folder; /* the caller's, for as long as the session */
	char runner[PATH_MAX + 16];
	char skipped[BENCH_MAX_TARGETS][PATH_MAX + 256];
	char tool[BENCH_MAX_TARGETS][640];
	/* BENCH_PROCESS: the launcher's program, found in PATH */
	char launcher[BENCH_MAX_TARGETS][PATH_MAX];
	struct bench_corral *corral;
};

/* The first line of a file the build wrote (KIND.skipped, KIND.tool),
 * or false when it did not write one. */
static bool build_note(const char *folder, const char *artifact, const char *suffix, char *line, size_t size)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s.%s", folder, artifact, suffix);
	FILE *file = fopen(path, "r");
	if (!file)
		return false;
	if (!fgets(line, (int)size, file))
		line[0] = 0;
	line[strcspn(line, "\n")] = 0;
	fclose(file);
	return true;
}

/* What runs a process target's programs, for the report: the launcher's
 * version beside the compiler that built them. */
static void describe_launcher(struct bench_session *session, size_t t, const char *compiler)
{
	const struct bench_target *target = &bench_targets[t];
	char *version = NULL;
	if (!strcmp(target->name, "v8")) {
		char *argv[] = {session->launcher[t], "-p", "`Node.js ${process.version}, V8 ${process.versions.v8}`",
				NULL};
		version = bench_process_line(argv);
	} else if (target->launcher[0]) {
		char *argv[] = {session->launcher[t], "--version", NULL};
		version = bench_process_line(argv);
	}
	snprintf(session->tool[t], sizeof session->tool[t], "%s%s%s", version ? version : "",
		 version ? "; built by " : "built by ", compiler);
	free(version);
}

static void check_target(struct bench_session *session, size_t t)
{
	const struct bench_target *target = &bench_targets[t];
	char compiler[256];
	size_t size = sizeof session->skipped[t];
	if (build_note(session->folder, target->artifact, "skipped", session->skipped[t], size))
		return;
	if (!build_note(session->folder, target->artifact, "tool", compiler, sizeof compiler)) {
		snprintf(session->skipped[t], size,
			 "no %s builds in %s (make bench builds them with scripts/bench_workloads.sh)",
			 target->artifact, session->folder);
		return;
	}
	if (target->kind == BENCH_CORRAL) {
		const char *why = bench_corral_check(session->corral, target);
		if (why)
			snprintf(session->skipped[t], size, "%s", why);
		snprintf(session->tool[t], sizeof session->tool[t], "built by %s", compiler);
		return;
	}
	if (target->launcher[0] &&
	    !bench_find_program(target->launcher[0], session->launcher[t], sizeof session->launcher[t])) {
		snprintf(session->skipped[t], size, "%s is not in PATH (Debian package %s)", target->launcher[0],
			 target->package);
		return;
	}
	describe_launcher(session, t, compiler);
}

struct bench_session *bench_session_new(const char *folder, const bool *selected)
{
	struct bench_session *session = calloc(1, sizeof *session);
	if (!session || !(session->corral = bench_corral_new())) {
		free(session);
		fprintf(stderr, "corral bench: out of memory\n");
		return NULL;
	}
	session->folder = folder;
	snprintf(session->runner, sizeof session->runner, "%s/runner.mjs", folder);
	for (size_t t = 0; t < bench_target_count; t++)
		if (selected[t])
			check_target(session, t);
	return session;
}

void bench_session_free(struct bench_session *session)
{
	if (!session)
		return;
	bench_corral_free(session->corral);
	free(session);
}

const char *bench_target_skipped(const struct bench_session *session, size_t target)
{
	return session->skipped[target][0] ? session->skipped[target] : NULL;
}

const char *bench_target_tool(const struct bench_session *session, size_t target)
{
	return session->tool[target];
}

const char *bench_session_folder(const struct bench_session *session)
{
	return session->folder;
}

int bench_run(struct bench_session *session, size_t t, size_t w, bool time_calls, bench_figures figures,
	      struct bench_output *output, char *why, size_t why_size)
{
	const struct bench_target *target = &bench_targets[t];
	char program[PATH_MAX + 64];
	snprintf(program, sizeof program, "%s/%s.%s", session->folder, bench_workloads[w].name, target->artifact);
	for (size_t f = 0; f < BENCH_FIGURE_COUNT; f++)
		figures[f] = NAN;
	if (access(program, R_OK)) {
		snprintf(why, why_size, "%s: %s (make bench builds it)", program, strerror(errno));
		return -1;
	}
	if (target->kind == BENCH_CORRAL)
		return bench_corral_run(session->corral, target, program,
					time_calls ? bench_workloads[w].host_calls : 0, figures, output, why, why_size);

	char *argv[BENCH_MAX_LAUNCHER + 3];
	size_t n = 0;
	for (size_t i = 0; i < BENCH_MAX_LAUNCHER && target->launcher[i]; i++)
		argv[n++] = i == 0                                    ? session->launcher[t]
			    : !strcmp(target->launcher[i], "@runner") ? session->runner
								      : (char *)target->launcher[i];
	argv[n++] = program;
	if (time_calls && target->calls_flag)
		argv[n++] = (char *)target->calls_flag;
	argv[n] = NULL;
	return bench_process_run(argv, figures, output, why, why_size);
}
