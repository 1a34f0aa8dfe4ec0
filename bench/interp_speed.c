/* Interpreter speed: PVM instructions per second on the loops of loops.c.
 *
 * Instructions are counted by gas. Under the default (naive) gas model a gas
 * block costs its instruction count and is charged in full on entry, and
 * these loops never leave a block early (nothing traps, faults or calls the
 * host before the final halt), so gas used = instructions executed.
 * check_gas_counts_instructions verifies that on every loop by running it one
 * step at a time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "loader/asm.h"

#define START_GAS INT64_MAX
/* A timed run lasts at least this long and executes at least this many
 * instructions; calibration picks the count that does both. */
#define RUN_SECONDS         0.5
#define RUN_INSTRUCTIONS    100e6
#define CALIBRATION_SECONDS 0.1

static corral_module *load(corral_engine *engine, const struct bench_loop *loop)
{
	uint8_t *bytes;
	size_t length;
	char problem[320];
	corral_module *module;
	corral_error error;

	if (loader_assemble(loop->source, strlen(loop->source), loop->name, &bytes, &length, problem, sizeof problem))
		bench_fail("%s", problem);
	if (corral_module_new(engine, bytes, length, loop->name, NULL, &module, &error) != CORRAL_OK)
		bench_fail("%s", error.message);
	free(bytes);
	return module;
}

/* A fresh instance at pc 0, its data pages mapped (and zero), r7 = count. */
static corral_instance *start(corral_module *module, const struct bench_loop *loop, uint64_t count)
{
	corral_instance_config config;
	corral_instance *instance;
	corral_error error;

	corral_instance_config_init(&config);
	config.gas = START_GAS;
	if (corral_instance_new(module, &config, &instance, &error) != CORRAL_OK)
		bench_fail("%s", error.message);
	if (loop->data_pages && corral_instance_map(instance, BENCH_DATA_ADDRESS, loop->data_pages * CORRAL_PAGE_SIZE,
						    CORRAL_PAGE_WRITE, &error) != CORRAL_OK)
		bench_fail("%s loop: mapping its data: %s", loop->name, error.message);
	corral_instance_set_reg(instance, 7, count);
	return instance;
}

/* Fails the bench unless the loop halted leaving what its C reference
 * computes. */
static void check_outcome(const struct bench_loop *loop, corral_instance *instance, corral_interrupt stop,
			  uint64_t count, const struct bench_outcome *expected)
{
	if (stop.kind != CORRAL_FINISHED)
		bench_fail("%s loop (count %llu) stopped with %s at pc %u instead of halting", loop->name,
			   (unsigned long long)count, corral_interrupt_name(stop.kind), stop.pc);
	uint64_t value = corral_instance_reg(instance, loop->result_register);
	if (value != expected->value)
		bench_fail("%s loop (count %llu): r%u is %llu, but the same computation in C gives %llu", loop->name,
			   (unsigned long long)count, loop->result_register, (unsigned long long)value,
			   (unsigned long long)expected->value);
	if (!loop->data_pages)
		return;
	size_t length = (size_t)loop->data_pages * CORRAL_PAGE_SIZE;
	uint8_t *data = malloc(length);
	corral_error error;
	if (!data)
		bench_fail("%s loop: no memory to read back its %zu bytes of data", loop->name, length);
	if (corral_instance_read(instance, BENCH_DATA_ADDRESS, data, length, &error) != CORRAL_OK)
		bench_fail("%s loop: reading back its data: %s", loop->name, error.message);
	uint64_t hash = bench_hash(data, length);
	free(data);
	if (hash != expected->memory_hash)
		bench_fail("%s loop (count %llu): its data pages hash to %016llx, but the same computation in C "
			   "leaves %016llx",
			   loop->name, (unsigned long long)count, (unsigned long long)hash,
			   (unsigned long long)expected->memory_hash);
}

/* Runs the loop once, checked; returns the gas it used and its time. */
static uint64_t timed_run(corral_module *module, const struct bench_loop *loop, uint64_t count,
			  const struct bench_outcome *expected, double *seconds)
{
	corral_instance *instance = start(module, loop, count);
	double begin = bench_now();
	corral_interrupt stop = corral_instance_run(instance);
	*seconds = bench_now() - begin;
	check_outcome(loop, instance, stop, count, expected);
	uint64_t used = (uint64_t)(START_GAS - corral_instance_gas(instance));
	corral_instance_free(instance);
	return used;
}

/* Each single step executes one instruction, except the halting jump, which
 * ends the last run with "finished" instead of "step". */
static void check_gas_counts_instructions(corral_module *module, const struct bench_loop *loop)
{
	struct bench_outcome expected;
	double unused;
	uint64_t count = loop->small_count;

	loop->reference(count, &expected);
	uint64_t gas_used = timed_run(module, loop, count, &expected, &unused);
	corral_instance *instance = start(module, loop, count);
	corral_instance_set_single_step(instance, true);
	uint64_t instructions = 1;
	corral_interrupt stop;
	while ((stop = corral_instance_run(instance)).kind == CORRAL_STEP)
		instructions++;
	check_outcome(loop, instance, stop, count, &expected);
	corral_instance_free(instance);
	if (instructions != gas_used)
		bench_fail("%s loop (count %llu): %llu instructions when single-stepped, but a run used %llu gas",
			   loop->name, (unsigned long long)count, (unsigned long long)instructions,
			   (unsigned long long)gas_used);
}

/* A count whose run lasts RUN_SECONDS and RUN_INSTRUCTIONS at least. It is
 * scaled from a run of CALIBRATION_SECONDS or more, since a shorter one is
 * slowed by cold caches and a clock still speeding up. */
static uint64_t calibrate(corral_module *module, const struct bench_loop *loop)
{
	struct bench_outcome expected;
	double seconds;
	uint64_t instructions;
	uint64_t count = loop->small_count * 100;

	for (;;) {
		loop->reference(count, &expected);
		instructions = timed_run(module, loop, count, &expected, &seconds);
		if (seconds >= CALIBRATION_SECONDS)
			break;
		count = (uint64_t)((double)count * 1.5 * CALIBRATION_SECONDS / (seconds > 1e-6 ? seconds : 1e-6)) + 1;
	}
	double scale = RUN_SECONDS / seconds;
	if (scale < RUN_INSTRUCTIONS / (double)instructions)
		scale = RUN_INSTRUCTIONS / (double)instructions;
	return scale > 1 ? (uint64_t)((double)count * scale) + 1 : count;
}

/* Times one loop and prints its row; returns its median instructions per
 * second. */
static double measure(corral_engine *engine, const struct bench_loop *loop)
{
	struct bench_outcome expected;
	struct bench_samples samples = {0};
	struct bench_summary summary;
	uint64_t instructions = 0;

	corral_module *module = load(engine, loop);
	check_gas_counts_instructions(module, loop);
	uint64_t count = calibrate(module, loop);
	loop->reference(count, &expected);
	for (unsigned run = 0; run < BENCH_RUNS; run++) {
		double seconds;
		uint64_t used = timed_run(module, loop, count, &expected, &seconds);
		if (run > 0 && used != instructions)
			bench_fail("%s loop (count %llu): run %u used %llu gas and run 1 %llu", loop->name,
				   (unsigned long long)count, run + 1, (unsigned long long)used,
				   (unsigned long long)instructions);
		instructions = used;
		bench_samples_add(&samples, seconds);
	}
	corral_module_free(module);

	bench_summarize(&samples, &summary);
	double per_second = (double)instructions / summary.median;
	printf("  %-8s %8.1fM %6.2f %10.1f %9.3f %9.1f %6.1f%%   %s\n", loop->name, (double)instructions / 1e6,
	       summary.median, per_second / 1e6, 1e9 / per_second, (double)instructions / summary.best / 1e6,
	       100 * summary.spread, loop->what);
	return per_second;
}

void bench_interp_speed(void)
{
	corral_engine *engine;
	corral_error error;
	double nanoseconds = 0;

	if (corral_engine_new(NULL, &engine, &error) != CORRAL_OK)
		bench_fail("%s", error.message);
	printf("\ninterpreter: PVM instructions per second, %d timed runs of each loop\n", BENCH_RUNS);
	printf("  instructions = gas used under the naive gas model (checked by single-stepping each loop);\n"
	       "  every run's result is checked against the same computation in C; figures are medians\n"
	       "  but for best; spread = (slowest - fastest) / median\n");
	printf("  %-8s %9s %6s %10s %9s %9s %7s   %s\n", "loop", "instr/run", "s/run", "M instr/s", "ns/instr",
	       "best M/s", "spread", "what it runs");
	for (unsigned i = 0; i < bench_loop_count; i++)
		nanoseconds += 1e9 / measure(engine, &bench_loops[i]);
	/* An equal number of instructions from each loop: the mean of ns/instr. */
	nanoseconds /= bench_loop_count;
	printf("  %-8s %9s %6s %10.1f %9.3f %9s %7s   %s\n", "mix", "", "", 1e3 / nanoseconds, nanoseconds, "", "",
	       "as many instructions from each loop");
	corral_engine_free(engine);
}
