/* The linux sandbox's costs: a host call's round trip (guest → host →
 * guest) in a sandbox worker against in-process, instantiating from the
 * pool, the first instance of a fresh engine, a worker's cold start, and
 * the memory an idle worker holds. Each host call's answer is checked.
 *
 * Targets (issue 5, PolkaVM's sandbox on this machine kind as the anchor):
 * round trip ≤ 200 ns median and ≤ 1 µs p99; instantiate from the pool
 * ≤ 25 µs; cold start ≤ 3 ms; sandboxed execution of the example guests
 * within 5% of in-process. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "cli/guest_host.h"
#include "host/worker.h"
#include "loader/asm.h"

#define CALLS 200000u

/* ecalli 1 in a loop: the host answers r7 + 1 until it says stop (r8 = 1). */
static const char host_call_loop[] = "loop:\n"
				     "ecalli 1\n"
				     "branch_eq_imm r8, 0, @loop\n"
				     "load_imm r0, -65536\n"
				     "jump_ind r0, 0\n";

static corral_engine *engine_for(corral_sandbox sandbox)
{
	corral_engine_config config;
	corral_engine_config_init(&config);
	config.backend = CORRAL_BACKEND_JIT;
	config.sandbox = sandbox;
	corral_engine *engine;
	corral_error error;
	if (corral_engine_new(&config, &engine, &error))
		bench_fail("%s", error.message);
	return engine;
}

static corral_module *module_for(corral_engine *engine, const char *source)
{
	uint8_t *bytes;
	size_t length;
	char problem[256];
	if (loader_assemble(source, strlen(source), "bench.s", &bytes, &length, problem, sizeof problem))
		bench_fail("%s", problem);
	corral_module_config config;
	corral_module_config_init(&config);
	config.format = CORRAL_FORMAT_BLOB;
	config.metering = CORRAL_METERING_OFF;
	corral_module *module;
	corral_error error;
	if (corral_module_new(engine, bytes, length, "bench.s", &config, &module, &error))
		bench_fail("%s", error.message);
	free(bytes);
	return module;
}

static corral_instance *instance_for(corral_module *module)
{
	corral_instance *instance;
	corral_error error;
	if (corral_instance_new(module, NULL, &instance, &error))
		bench_fail("%s", error.message);
	return instance;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Sorts the samples and returns the one at `fraction` of the way up (0.5:
 * the median). */
static double sorted_at(double *samples, size_t count, double fraction)
{
	qsort(samples, count, sizeof *samples, compare_doubles);
	return samples[(size_t)((double)count * fraction)];
}

/* Each round trip timed alone: median and 99th percentile, in ns. */
static void round_trips(corral_sandbox sandbox, double *median, double *p99)
{
	corral_engine *engine = engine_for(sandbox);
	corral_module *module = module_for(engine, host_call_loop);
	corral_instance *instance = instance_for(module);
	double *samples = malloc(CALLS * sizeof *samples);
	if (!samples)
		bench_fail("out of memory");
	corral_interrupt stop = corral_instance_run(instance);
	for (unsigned i = 0; i < CALLS; i++) {
		if (stop.kind != CORRAL_HOST_CALL || corral_instance_reg(instance, 7) != i)
			bench_fail("host call %u: stopped with %s, r7 = %llu", i, corral_interrupt_name(stop.kind),
				   (unsigned long long)corral_instance_reg(instance, 7));
		corral_instance_set_reg(instance, 7, i + 1);
		corral_instance_set_reg(instance, 8, i + 1 == CALLS);
		double begin = bench_now();
		stop = corral_instance_run(instance);
		samples[i] = (bench_now() - begin) * 1e9;
	}
	if (stop.kind != CORRAL_FINISHED)
		bench_fail("the host-call loop ended with %s", corral_interrupt_name(stop.kind));
	*median = sorted_at(samples, CALLS, 0.5);
	*p99 = sorted_at(samples, CALLS, 0.99);
	free(samples);
	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine);
}

/* The floor under any handoff between two cores: two threads passing a
 * counter back and forth through two cache lines, one written by each, as
 * the host and a worker do, each round trip timed alone as above. They
 * land on whichever cores the scheduler (here, under a hypervisor) gives
 * them, as the host and the worker do. */
struct ping_pong {
	_Alignas(64) uint32_t ping;
	_Alignas(64) uint32_t pong;
};

static void *answer_pings(void *shared)
{
	struct ping_pong *lines = shared;
	for (uint32_t i = 1; i <= CALLS; i++) {
		while (__atomic_load_n(&lines->ping, __ATOMIC_ACQUIRE) != i)
			__builtin_ia32_pause();
		__atomic_store_n(&lines->pong, i, __ATOMIC_RELEASE);
	}
	return NULL;
}

static double ping_pong_median(void)
{
	static struct ping_pong lines;
	lines = (struct ping_pong){0};
	double *samples = malloc(CALLS * sizeof *samples);
	pthread_t thread;
	if (!samples || pthread_create(&thread, NULL, answer_pings, &lines))
		bench_fail("cannot start the ping-pong thread");
	for (uint32_t i = 1; i <= CALLS; i++) {
		double begin = bench_now();
		__atomic_store_n(&lines.ping, i, __ATOMIC_RELEASE);
		while (__atomic_load_n(&lines.pong, __ATOMIC_ACQUIRE) != i)
			__builtin_ia32_pause();
		samples[i - 1] = (bench_now() - begin) * 1e9;
	}
	pthread_join(thread, NULL);
	double median = sorted_at(samples, CALLS, 0.5);
	free(samples);
	return median;
}

/* Median µs of corral_instance_new + its first run to the first host
 * call, with the worker from the pool (the module's code already mapped
 * in it after the first). */
static double instantiate_from_pool(double *wipe)
{
	enum { ROUNDS = 2000 };
	corral_engine *engine = engine_for(CORRAL_SANDBOX_LINUX);
	corral_module *module = module_for(engine, host_call_loop);
	static double samples[ROUNDS], wipes[ROUNDS];
	for (unsigned i = 0; i < ROUNDS; i++) {
		double begin = bench_now();
		corral_instance *instance = instance_for(module);
		samples[i] = (bench_now() - begin) * 1e6;
		if (corral_instance_run(instance).kind != CORRAL_HOST_CALL)
			bench_fail("a pooled instance did not reach its host call");
		begin = bench_now();
		corral_instance_free(instance);
		wipes[i] = (bench_now() - begin) * 1e6;
	}
	corral_module_free(module);
	corral_engine_free(engine);
	*wipe = sorted_at(wipes, ROUNDS, 0.5);
	return sorted_at(samples, ROUNDS, 0.5);
}

/* Median ms from nothing to a worker that reports every layer in place. */
static double cold_start(void)
{
	struct bench_samples samples = {0};
	struct bench_summary summary;
	for (unsigned i = 0; i < BENCH_RUNS; i++) {
		struct host_worker worker;
		corral_error error;
		double begin = bench_now();
		if (host_worker_spawn(&worker, &(struct host_worker_options){0}, &error))
			bench_fail("%s", error.message);
		bench_samples_add(&samples, bench_now() - begin);
		host_worker_kill(&worker);
	}
	bench_summarize(&samples, &summary);
	return summary.median * 1e3;
}

/* The first instance of a fresh engine: the pool's first worker started,
 * the module compiled into a memfd, the instance laid out. */
static double first_instance(void)
{
	struct bench_samples samples = {0};
	struct bench_summary summary;
	for (unsigned i = 0; i < BENCH_RUNS; i++) {
		double begin = bench_now();
		corral_engine *engine = engine_for(CORRAL_SANDBOX_LINUX);
		corral_module *module = module_for(engine, host_call_loop);
		corral_instance *instance = instance_for(module);
		if (corral_instance_run(instance).kind != CORRAL_HOST_CALL)
			bench_fail("the first instance did not reach its host call");
		bench_samples_add(&samples, bench_now() - begin);
		corral_instance_free(instance);
		corral_module_free(module);
		corral_engine_free(engine);
	}
	bench_summarize(&samples, &summary);
	return summary.median * 1e3;
}

/* VmRSS of an idle worker's zygote, in KiB. */
static long idle_rss(void)
{
	struct host_worker worker;
	corral_error error;
	if (host_worker_spawn(&worker, &(struct host_worker_options){0}, &error))
		bench_fail("%s", error.message);
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)worker.pid);
	FILE *status = fopen(path, "r");
	long rss = -1;
	while (status && fgets(line, sizeof line, status))
		if (!strncmp(line, "VmRSS:", 6))
			rss = strtol(line + 6, NULL, 10);
	if (status)
		fclose(status);
	host_worker_kill(&worker);
	return rss;
}

/* One guest's run on an engine that exists: a fresh instance (its worker
 * from the pool), the run to its exit with the SDK host (stdout to
 * /dev/null), the instance freed. Engine and module are made once, so
 * this is execution: starting workers is the cold start's figure. */
static double guest_seconds(corral_module *module, const char *path, int expected_status)
{
	corral_instance *instance = instance_for(module);
	uint32_t pc;
	if (guest_host_entry(module, GUEST_DEFAULT_ENTRY, &pc))
		bench_fail("%s has no entry", path);
	corral_instance_set_pc(instance, pc);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);
	dup2(null, STDOUT_FILENO);
	double begin = bench_now();
	int status = guest_host_run(instance, module, path, NULL);
	double seconds = bench_now() - begin;
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(null);
	corral_instance_free(instance);
	if (status != expected_status)
		bench_fail("%s exited with %d, natively with %d", path, status, expected_status);
	return seconds;
}

/* Sandboxed against in-process execution of the example guests (gas off),
 * the two alternating run by run; the geometric mean of the ratios. */
static void execution(const char *folder)
{
	static const char *const names[] = {"sieve", "sha256", "interp", "malloc", "quicksort"};
	enum { NAMES = sizeof names / sizeof names[0] };
	static const corral_sandbox places[2] = {CORRAL_SANDBOX_NONE, CORRAL_SANDBOX_LINUX};
	corral_engine *engines[2] = {engine_for(places[0]), engine_for(places[1])};
	double log_sum = 0;
	printf("  execution of the example guests, gas off (ms, medians of %d alternating runs of an instance on a "
	       "made engine):\n",
	       BENCH_RUNS);
	for (unsigned g = 0; g < NAMES; g++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s.jam", folder, names[g]);
		size_t length;
		uint8_t *bytes = bench_read_file(path, &length);
		corral_module *modules[2];
		struct bench_samples samples[2];
		memset(samples, 0, sizeof samples);
		for (int p = 0; p < 2; p++) {
			corral_module_config config;
			corral_module_config_init(&config);
			config.metering = CORRAL_METERING_OFF;
			corral_error error;
			if (corral_module_new(engines[p], bytes, length, path, &config, &modules[p], &error))
				bench_fail("%s", error.message);
		}
		int status = 0;
		for (unsigned run = 0; run <= BENCH_RUNS; run++)
			for (int p = 0; p < 2; p++) {
				double seconds = guest_seconds(modules[p], path, status);
				if (run > 0) /* the first round warms up */
					bench_samples_add(&samples[p], seconds);
			}
		struct bench_summary local, sandboxed;
		bench_summarize(&samples[0], &local);
		bench_summarize(&samples[1], &sandboxed);
		double ratio = sandboxed.median / local.median;
		log_sum += log(ratio);
		printf("    %-10s in-process %7.2f  sandbox %7.2f  %+6.1f%%\n", names[g], local.median * 1e3,
		       sandboxed.median * 1e3, 100 * (ratio - 1));
		for (int p = 0; p < 2; p++)
			corral_module_free(modules[p]);
		free(bytes);
	}
	printf("    geometric mean: sandboxed %+.1f%% against in-process (target <= +5%%)\n",
	       100 * (exp(log_sum / NAMES) - 1));
	for (int p = 0; p < 2; p++)
		corral_engine_free(engines[p]);
}

void bench_sandbox_speed(const char *guests)
{
	corral_engine *probe;
	corral_engine_config config;
	corral_error error;
	corral_engine_config_init(&config);
	config.backend = CORRAL_BACKEND_JIT;
	config.sandbox = CORRAL_SANDBOX_LINUX;
	if (corral_engine_new(&config, &probe, &error)) {
		printf("\nLinux sandbox: skipped (%s)\n", error.message);
		return;
	}
	corral_engine_free(probe);
	printf("\nLinux sandbox (targets: round trip <= 200 ns median and <= 1 us p99, instantiate from the pool <= "
	       "25 us, cold start <= 3 ms)\n");
	double median, p99, local_median, local_p99;
	round_trips(CORRAL_SANDBOX_LINUX, &median, &p99);
	round_trips(CORRAL_SANDBOX_NONE, &local_median, &local_p99);
	printf("  host-call round trip (%u calls): sandbox %.0f ns median, %.0f ns p99; in-process %.0f ns median, "
	       "%.0f ns p99\n",
	       CALLS, median, p99, local_median, local_p99);
	printf("  the floor under it: two threads passing a cache line back and forth, %.0f ns median a round "
	       "trip\n",
	       ping_pong_median());
	double wipe, instantiate = instantiate_from_pool(&wipe);
	printf("  instantiate from the pool: %.1f us median (corral_instance_new on a pooled worker); freeing it, "
	       "which wipes the worker and gives it back: %.1f us\n",
	       instantiate, wipe);
	printf("  first instance of a fresh engine: %.2f ms median (worker start, compile, lay out, run to the first "
	       "host call)\n",
	       first_instance());
	printf("  cold start of a worker: %.2f ms median (clone3 into 7 namespaces to every layer in place)\n",
	       cold_start());
	printf("  RSS of an idle worker: %ld KiB\n", idle_rss());
	if (guests)
		execution(guests);
}
