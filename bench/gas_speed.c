/* Gas costing speed: how fast the GP 0.8 draft pipeline model
 * (core/gas_pipeline.c) costs every block of the two integration programs
 * among the gas-model vectors, after checking that it costs each block the
 * vector lists as the vector says. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cli/json.h"

#include "bench/bench.h"
#include "core/gas_pipeline.h"
#include "core/program.h"
#include "loader/allocator.h"

#define SAMPLE_SECONDS 0.1

/* A vector file's JSON and its program. */
struct gas_vector {
	const char *name;
	struct json_value root;
	uint8_t *bytes;
	struct pvm_program program;
};

static void load_vector(struct gas_vector *vector, const char *path, const char *name)
{
	size_t length;
	char error[200];
	struct pvm_error problem;

	vector->name = name;
	char *text = (char *)bench_read_file(path, &length);
	if (json_parse(text, length, &vector->root, error, sizeof error))
		bench_fail("%s: %s", path, error);
	free(text);
	const struct json_value *array = json_get(&vector->root, "program");
	size_t bytes_length, bad;
	if (!json_to_bytes(array, &vector->bytes, &bytes_length, &bad))
		bench_fail("%s: \"program\" is not an array of bytes (item %zu)", path, bad);
	if (pvm_program_init(&vector->program, vector->bytes, bytes_length, PVM_ISA_GP07, &libc_allocator, &problem))
		bench_fail("%s: %s", path, problem.message);
}

static void free_vector(struct gas_vector *vector)
{
	pvm_program_free(&vector->program, &libc_allocator);
	free(vector->bytes);
	json_free(&vector->root);
}

/* Every block the vector lists must start a gas block and cost what the
 * vector says: a fast wrong model must not report a figure. */
static void check_costs(struct gas_vector *vector)
{
	const struct json_value *costs = json_get(&vector->root, "block-gas-costs");
	if (!costs || costs->type != JSON_OBJECT)
		bench_fail("%s: no \"block-gas-costs\" object", vector->name);
	pvm_gas_pipeline_cost_blocks(&vector->program);
	for (size_t i = 0; i < costs->count; i++) {
		uint64_t want;
		char *end;
		unsigned long pc = strtoul(costs->members[i].key, &end, 10);
		if (*end || !json_to_u64(&costs->members[i].value, &want))
			bench_fail("%s: bad block-gas-costs entry \"%s\"", vector->name, costs->members[i].key);
		int64_t block = pvm_program_block_at(&vector->program, (uint32_t)pc);
		if (block < 0 || vector->program.blocks[block].pc != pc)
			bench_fail("%s: pc %lu starts no gas block", vector->name, pc);
		uint64_t got = vector->program.blocks[block].cost;
		if (got != want)
			bench_fail("%s: the block at pc %lu costs %llu, but the vector says %llu", vector->name, pc,
				   (unsigned long long)got, (unsigned long long)want);
	}
}

/* BENCH_RUNS samples of costing every block, each repeating it for about
 * SAMPLE_SECONDS; prints the row. */
static void measure(struct gas_vector *vector)
{
	struct bench_samples samples = {0};
	struct bench_summary summary;

	double begin = bench_now();
	pvm_gas_pipeline_cost_blocks(&vector->program);
	double once = bench_now() - begin;
	unsigned repeats = once > 0 ? (unsigned)(SAMPLE_SECONDS / once) + 1 : 1000;
	for (unsigned run = 0; run < BENCH_RUNS; run++) {
		begin = bench_now();
		for (unsigned i = 0; i < repeats; i++)
			pvm_gas_pipeline_cost_blocks(&vector->program);
		bench_samples_add(&samples, (bench_now() - begin) / repeats);
	}
	bench_summarize(&samples, &summary);
	uint32_t blocks = vector->program.block_count;
	printf("  %-17s %7u %10.3f %9.3f %12.0f %6.1f%%\n", vector->name, blocks, summary.median * 1e3,
	       summary.best * 1e3, blocks / summary.median, 100 * summary.spread);
}

static const char *const gas_vectors[] = {"pinky.json", "prime-sieve.json"};

void bench_gas_speed(void)
{
	const char *vectors = getenv("CORRAL_VECTORS");
	struct stat status;
	char folder[4096], path[4200];

	if (!vectors || !*vectors) {
		printf("\ngas costing: skipped: CORRAL_VECTORS is not set (make bench sets it to the vectors "
		       "folder)\n");
		return;
	}
	snprintf(folder, sizeof folder, "%s/pvm/gas-model/integration", vectors);
	if (stat(folder, &status) || !S_ISDIR(status.st_mode)) {
		printf("\ngas costing: skipped: %s is not a folder\n", folder);
		return;
	}

	printf("\ngas costing: pvm_gas_pipeline_cost_blocks (GP 0.8 draft pipeline model) on every block of\n");
	printf("  each gas-model integration program, checked against its block-gas-costs first; %d samples\n",
	       BENCH_RUNS);
	printf("  of %.1f s or more each; ms for all blocks; blocks/s from the median\n", SAMPLE_SECONDS);
	printf("  %-17s %7s %10s %9s %12s %7s\n", "program", "blocks", "median ms", "best ms", "blocks/s", "spread");
	for (size_t i = 0; i < sizeof gas_vectors / sizeof gas_vectors[0]; i++) {
		struct gas_vector vector;
		snprintf(path, sizeof path, "%s/%s", folder, gas_vectors[i]);
		if (stat(path, &status)) {
			printf("  %-17s skipped: %s is missing\n", gas_vectors[i], path);
			continue;
		}
		load_vector(&vector, path, gas_vectors[i]);
		check_costs(&vector);
		measure(&vector);
		free_vector(&vector);
	}
}
