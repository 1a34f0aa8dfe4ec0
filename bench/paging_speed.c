/* Dynamic paging's costs (corral_instance_config.dynamic_paging): a page
 * fault's service latency, fault → the embedder maps the page → the run
 * resumes at the same instruction, timed one fault at a time; and pages per
 * second for a sequential touch of 1 GiB, each page mapped as it faults.
 * On the interpreter, the JIT in this process and the JIT in the sandbox,
 * with the mechanism each used. Every page is checked afterwards.
 *
 * Target (issue 6): fault service ≤ 5 µs median in the sandbox. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "loader/asm.h"

#define FIRST_PAGE   0x10000u
#define GIB_PAGES    (1u << 18) /* 1 GiB of 4 KiB pages */
#define LATENCY_RUNS 20000u

/* Stores each page's address into it, from FIRST_PAGE on, r8 pages. */
static const char sequential_touch[] = "load_imm r7, 0x10000\n"
				       "fallthrough\n"
				       "next:\n"
				       "store_ind_u64 r7, r7, 0\n"
				       "add_imm_64 r7, r7, 4096\n"
				       "add_imm_64 r8, r8, -1\n"
				       "branch_ne_imm r8, 0, @next\n"
				       "load_imm r0, -65536\n"
				       "jump_ind r0, 0\n";

static const struct {
	const char *name;
	corral_backend backend;
	corral_sandbox sandbox;
} ways[] = {
	{"interpreter", CORRAL_BACKEND_INTERPRETER, CORRAL_SANDBOX_NONE},
	{"JIT in process", CORRAL_BACKEND_JIT, CORRAL_SANDBOX_NONE},
	{"JIT in the sandbox", CORRAL_BACKEND_JIT, CORRAL_SANDBOX_LINUX},
};

static const char *const paging_names[] = {
	[CORRAL_PAGING_TABLE] = "page table",
	[CORRAL_PAGING_MPROTECT] = "mprotect",
	[CORRAL_PAGING_USERFAULTFD] = "userfaultfd",
};

struct paging_run {
	corral_engine *engine;
	corral_module *module;
	corral_instance *instance;
};

/* Nonzero (and a note printed) where the way cannot run here. */
static int start(struct paging_run *run, size_t way, uint64_t pages)
{
	corral_engine_config engine_config;
	corral_engine_config_init(&engine_config);
	engine_config.backend = ways[way].backend;
	engine_config.sandbox = ways[way].sandbox;
	corral_error error;
	if (corral_engine_new(&engine_config, &run->engine, &error)) {
		printf("  %-20s skipped: %s\n", ways[way].name, error.message);
		return 1;
	}
	uint8_t *bytes;
	size_t length;
	char problem[256];
	if (loader_assemble(sequential_touch, strlen(sequential_touch), "touch.s", &bytes, &length, problem,
			    sizeof problem))
		bench_fail("%s", problem);
	corral_module_config config;
	corral_module_config_init(&config);
	config.format = CORRAL_FORMAT_BLOB;
	if (corral_module_new(run->engine, bytes, length, "touch.s", &config, &run->module, &error))
		bench_fail("%s", error.message);
	free(bytes);
	corral_instance_config instance_config;
	corral_instance_config_init(&instance_config);
	instance_config.gas = INT64_MAX;
	instance_config.dynamic_paging = true;
	if (corral_instance_new(run->module, &instance_config, &run->instance, &error))
		bench_fail("%s", error.message);
	corral_instance_set_reg(run->instance, 8, pages);
	return 0;
}

static void finish(struct paging_run *run, uint64_t pages)
{
	for (uint64_t page = 0; page < pages; page += pages / 64 ? pages / 64 : 1) {
		uint32_t address = FIRST_PAGE + (uint32_t)(page * CORRAL_PAGE_SIZE);
		uint64_t value = 0;
		if (corral_instance_read(run->instance, address, &value, sizeof value, NULL) || value != address)
			bench_fail("page 0x%x holds 0x%llx after the touch", address, (unsigned long long)value);
	}
	corral_instance_free(run->instance);
	corral_module_free(run->module);
	corral_engine_free(run->engine);
}

/* Maps the page of the fault `stop` and runs on to the next stop. */
static corral_interrupt serve(struct paging_run *run, corral_interrupt stop, uint64_t served)
{
	corral_error error;
	if (stop.kind != CORRAL_PAGE_FAULT || stop.address != FIRST_PAGE + served * CORRAL_PAGE_SIZE)
		bench_fail("fault %llu: stopped with %s at 0x%x", (unsigned long long)served,
			   corral_interrupt_name(stop.kind), stop.address);
	if (corral_instance_map(run->instance, stop.address, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE, &error))
		bench_fail("%s", error.message);
	return corral_instance_run(run->instance);
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void latency(size_t way)
{
	struct paging_run run;
	if (start(&run, way, LATENCY_RUNS))
		return;
	static double samples[LATENCY_RUNS];
	corral_interrupt stop = corral_instance_run(run.instance);
	for (uint64_t i = 0; i < LATENCY_RUNS; i++) {
		double begin = bench_now();
		stop = serve(&run, stop, i);
		samples[i] = (bench_now() - begin) * 1e6;
	}
	if (stop.kind != CORRAL_FINISHED)
		bench_fail("the touch ended with %s", corral_interrupt_name(stop.kind));
	qsort(samples, LATENCY_RUNS, sizeof *samples, compare_doubles);
	printf("  %-20s %-12s %7.2f µs median  %7.2f µs p99\n", ways[way].name,
	       paging_names[corral_instance_paging(run.instance)], samples[LATENCY_RUNS / 2],
	       samples[LATENCY_RUNS * 99 / 100]);
	finish(&run, LATENCY_RUNS);
}

static void throughput(size_t way)
{
	struct bench_samples runs = {0};
	struct bench_summary summary;
	corral_paging paging = CORRAL_PAGING_TABLE;
	for (unsigned round = 0; round < 3; round++) {
		struct paging_run run;
		if (start(&run, way, GIB_PAGES))
			return;
		double begin = bench_now();
		corral_interrupt stop = corral_instance_run(run.instance);
		for (uint64_t i = 0; i < GIB_PAGES; i++)
			stop = serve(&run, stop, i);
		bench_samples_add(&runs, bench_now() - begin);
		if (stop.kind != CORRAL_FINISHED)
			bench_fail("the touch ended with %s", corral_interrupt_name(stop.kind));
		paging = corral_instance_paging(run.instance);
		finish(&run, GIB_PAGES);
	}
	bench_summarize(&runs, &summary);
	printf("  %-20s %-12s %7.0f k pages/s  (%.2f s for 1 GiB, spread %.0f%%)\n", ways[way].name,
	       paging_names[paging], GIB_PAGES / summary.median / 1e3, summary.median, summary.spread * 100);
}

void bench_paging_speed(void)
{
	printf("\nDynamic paging: page-fault service (fault -> map the page -> resume), %u faults one at a time\n",
	       LATENCY_RUNS);
	for (size_t way = 0; way < sizeof ways / sizeof *ways; way++)
		latency(way);
	printf("  (the JIT runs page-checking code: a fault is an exit, the page mapped with one ioctl)\n");
	printf("  target: <= 5 µs median in the sandbox\n");
	printf("Dynamic paging: a sequential touch of 1 GiB, each page mapped as it faults (median of 3)\n");
	for (size_t way = 0; way < sizeof ways / sizeof *ways; way++)
		throughput(way);
}
