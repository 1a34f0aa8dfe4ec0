/* A run of a workload on corral, in this process through the library, as
 * an embedder would: the module made (compile time), an instance made
 * (first instantiation), the guest run to its exit with this file as its
 * host (run time), then more instances made and freed (steady-state
 * instantiation); for workloads that make host calls, one more run that
 * times each call. The host answers what shim_corral.c calls: the SDK's
 * exit and write, and BENCH_HOST_INC, which corral run does not provide.
 * One engine per place (the interpreter, the JIT in process, the JIT in
 * the sandbox) serves every run, so its workers are started once. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/bench.h"
#include "cli/cli.h"
#include "cli/guest_host.h"

/* The host calls of shim_corral.c: the SDK's (guest/include/corral_guest.h)
 * and the bench's own. */
enum {
	HOST_EXIT = 1000,
	HOST_WRITE = 1001,
	BENCH_HOST_INC = 1100,
};

#define STEADY_INSTANCES 10

enum place { PLACE_INTERPRETER, PLACE_IN_PROCESS, PLACE_SANDBOX, PLACE_COUNT };

struct bench_corral {
	corral_engine *engines[PLACE_COUNT];
	corral_error errors[PLACE_COUNT]; /* why an engine could not be made */
};

static enum place place_of(const struct bench_target *target)
{
	if (target->backend == CORRAL_BACKEND_INTERPRETER)
		return PLACE_INTERPRETER;
	return target->sandbox == CORRAL_SANDBOX_LINUX ? PLACE_SANDBOX : PLACE_IN_PROCESS;
}

struct bench_corral *bench_corral_new(void)
{
	return calloc(1, sizeof(struct bench_corral));
}

void bench_corral_free(struct bench_corral *corral)
{
	if (!corral)
		return;
	for (int p = 0; p < PLACE_COUNT; p++)
		if (corral->engines[p])
			corral_engine_free(corral->engines[p]);
	free(corral);
}

const char *bench_corral_check(struct bench_corral *corral, const struct bench_target *target)
{
	enum place place = place_of(target);
	if (corral->engines[place])
		return NULL;
	if (corral->errors[place].message[0])
		return corral->errors[place].message;
	corral_engine_config config;
	corral_engine_config_init(&config);
	config.backend = target->backend;
	config.sandbox = target->sandbox;
	if (corral_engine_new(&config, &corral->engines[place], &corral->errors[place])) {
		corral->engines[place] = NULL;
		return corral->errors[place].message;
	}
	return NULL;
}

/* The arrivals of host calls, for the run that times each. */
struct call_times {
	double *intervals;
	size_t count, capacity;
	double last;
};

static void note_call(struct call_times *times)
{
	double now = bench_now_ns();
	if (times->count < times->capacity)
		times->intervals[times->count++] = now - times->last;
	times->last = now;
}

static int64_t guest_write(corral_instance *instance, uint64_t fd, uint64_t address, uint64_t length,
			   struct bench_output *output)
{
	if ((fd != 1 && fd != 2) || address > UINT32_MAX || length > UINT32_MAX - address + 1)
		return -1;
	uint8_t chunk[4096];
	for (uint64_t done = 0; done < length;) {
		size_t n = length - done < sizeof chunk ? (size_t)(length - done) : sizeof chunk;
		if (corral_instance_read(instance, (uint32_t)(address + done), chunk, n, NULL))
			return -1;
		if (fd == 1) /* stderr is not compared: the checksum is on stdout */
			bench_output_append(output, chunk, n);
		done += n;
	}
	return (int64_t)length;
}

/* Runs the guest to its exit, answering its host calls; 0, or -1 with why. */
static int serve(corral_instance *instance, struct bench_output *output, struct call_times *times, char *why,
		 size_t why_size)
{
	for (;;) {
		corral_interrupt stop = corral_instance_run(instance);
		if (stop.kind == CORRAL_FINISHED)
			return 0;
		if (stop.kind != CORRAL_HOST_CALL) {
			snprintf(why, why_size, "stopped with %s at pc %u", corral_interrupt_name(stop.kind), stop.pc);
			return -1;
		}
		uint64_t a0 = corral_instance_reg(instance, 7);
		int64_t result;
		switch (stop.host_call) {
		case BENCH_HOST_INC:
			if (times)
				note_call(times);
			result = (int64_t)(a0 + 1);
			break;
		case HOST_WRITE:
			result = guest_write(instance, a0, corral_instance_reg(instance, 8),
					     corral_instance_reg(instance, 9), output);
			break;
		case HOST_EXIT:
			if (a0 == 0)
				return 0;
			snprintf(why, why_size, "exited with status %" PRIu64, a0 & 0xFF);
			return -1;
		default:
			snprintf(why, why_size, "host call %" PRIu64 " at pc %u is not one corral bench provides",
				 stop.host_call, stop.pc);
			return -1;
		}
		corral_instance_set_reg(instance, 7, (uint64_t)result);
	}
}

/* A new instance at the guest's entry, unlimited gas; NULL with why. */
static corral_instance *instance_at_entry(corral_module *module, char *why, size_t why_size)
{
	corral_instance_config config;
	corral_instance_config_init(&config);
	config.gas = INT64_MAX;
	corral_instance *instance;
	corral_error error;
	uint32_t pc;
	if (corral_instance_new(module, &config, &instance, &error)) {
		snprintf(why, why_size, "%s", error.message);
		return NULL;
	}
	if (guest_host_entry(module, GUEST_DEFAULT_ENTRY, &pc)) {
		snprintf(why, why_size, "it has no _start export: not built by corral cc");
		corral_instance_free(instance);
		return NULL;
	}
	corral_instance_set_pc(instance, pc);
	return instance;
}

static int steady_instantiation(corral_module *module, bench_figures figures, char *why, size_t why_size)
{
	double samples[STEADY_INSTANCES];
	for (int i = 0; i < STEADY_INSTANCES; i++) {
		double begin = bench_now_ns();
		corral_instance *instance = instance_at_entry(module, why, why_size);
		samples[i] = bench_now_ns() - begin;
		if (!instance)
			return -1;
		corral_instance_free(instance);
	}
	figures[BENCH_INSTANTIATE_STEADY] = bench_median_of(samples, STEADY_INSTANCES);
	return 0;
}

/* One more run with each host call's arrival timed: the intervals' median
 * and 99th percentile, and what one clock read costs. */
static int time_each_call(corral_module *module, uint32_t calls, bench_figures figures, char *why, size_t why_size)
{
	struct call_times times = {.capacity = (size_t)calls + 1};
	struct bench_output ignored = {0};
	times.intervals = malloc(times.capacity * sizeof *times.intervals);
	corral_instance *instance = times.intervals ? instance_at_entry(module, why, why_size) : NULL;
	int result = -1;
	if (!times.intervals)
		snprintf(why, why_size, "out of memory");
	if (instance) {
		times.last = bench_now_ns();
		result = serve(instance, &ignored, &times, why, why_size);
		corral_instance_free(instance);
	}
	/* The first interval holds the start of the run: dropped. */
	if (result == 0 && times.count > 1) {
		figures[BENCH_CALLS] = (double)times.count;
		figures[BENCH_CALL_MEDIAN] = bench_quantile(times.intervals + 1, times.count - 1, 0.5);
		figures[BENCH_CALL_P99] = bench_quantile(times.intervals + 1, times.count - 1, 0.99);
		figures[BENCH_CLOCK] = bench_clock_cost();
	}
	free(times.intervals);
	bench_output_free(&ignored);
	return result;
}

int bench_corral_run(struct bench_corral *corral, const struct bench_target *target, const char *path,
		     uint32_t host_calls, bench_figures figures, struct bench_output *output, char *why,
		     size_t why_size)
{
	const char *broken = bench_corral_check(corral, target);
	if (broken) {
		snprintf(why, why_size, "%s", broken);
		return -1;
	}
	size_t length;
	uint8_t *bytes = cli_read_file(path, &length);
	if (!bytes) {
		snprintf(why, why_size, "%s cannot be read", path);
		return -1;
	}
	corral_module_config config;
	corral_module_config_init(&config);
	config.metering = target->metering;
	corral_module *module;
	corral_error error;
	double begin = bench_now_ns();
	if (corral_module_new(corral->engines[place_of(target)], bytes, length, path, &config, &module, &error)) {
		snprintf(why, why_size, "%s", error.message);
		free(bytes);
		return -1;
	}
	figures[BENCH_COMPILE] = bench_now_ns() - begin;
	free(bytes);
	corral_module_info info;
	corral_module_get_info(module, &info);
	figures[BENCH_CODE_BYTES] = info.code_length;

	int result = -1;
	begin = bench_now_ns();
	corral_instance *instance = instance_at_entry(module, why, why_size);
	figures[BENCH_INSTANTIATE_FIRST] = bench_now_ns() - begin;
	if (instance) {
		begin = bench_now_ns();
		result = serve(instance, output, NULL, why, why_size);
		figures[BENCH_RUN] = bench_now_ns() - begin;
		corral_instance_free(instance);
	}
	if (result == 0)
		result = steady_instantiation(module, figures, why, why_size);
	if (result == 0 && host_calls)
		result = time_each_call(module, host_calls, figures, why, why_size);
	corral_module_free(module);
	return result;
}
