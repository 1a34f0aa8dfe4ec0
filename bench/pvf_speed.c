/* The validation pipeline's figures: validations per second of the adder
 * guest (guest/examples/adder.c) through corral_pvf_validate, with their
 * latency (median and 99th percentile, from the request to its verdict),
 * by one client and by four at once; and preparations per second, each
 * of a program the cache has never seen (the adder with other metadata:
 * another hash, the same code to validate and compile).
 *
 * Every validation's verdict and output are checked: a wrong one stops the
 * bench. Each validation runs in a fresh sandbox worker (the pipeline never
 * reuses one), so these figures include starting one per validation, off
 * the request's path but on the machine's two cores. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "loader/container.h"
#include "loader/jam_write.h"

#define BLOCK       "parent 41\nblock 41\nadd 1\nadd 2\n"
#define VALIDATIONS 2000
#define PREPARES    200
#define MAX_CLIENTS 4

struct client {
	corral_pvf *pvf;
	const uint8_t *program;
	size_t length;
	corral_pvf_mode mode;
	unsigned count;
	double *latencies; /* seconds, one per validation */
	uint64_t execute_ns, queue_ns;
};

static void check(const corral_pvf_result *result, bool executed)
{
	if (result->verdict != CORRAL_PVF_VALID)
		bench_fail("the adder was judged %s: %s", corral_pvf_verdict_name(result->verdict), result->message);
	if (executed && (result->output_length != 2 || memcmp(result->output, "44", 2)))
		bench_fail("the adder's new state is not 44");
}

static void *client_loop(void *argument)
{
	struct client *client = argument;
	corral_pvf_request request = {
		.program = client->program,
		.program_length = client->length,
		.input = (const uint8_t *)BLOCK,
		.input_length = strlen(BLOCK),
		.mode = client->mode,
		.name = "adder.jam",
	};
	for (unsigned i = 0; i < client->count; i++) {
		corral_pvf_result result;
		corral_error error;
		double start = bench_now();
		if (corral_pvf_validate(client->pvf, &request, &result, &error))
			bench_fail("%s", error.message);
		client->latencies[i] = bench_now() - start;
		check(&result, true);
		client->execute_ns += result.timings.execute_ns;
		client->queue_ns += result.timings.queue_ns;
		corral_pvf_result_free(&result);
	}
	return NULL;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* VALIDATIONS validations by `clients` threads at once. */
static void validations(corral_pvf *pvf, const uint8_t *program, size_t length, unsigned clients)
{
	static double latencies[VALIDATIONS];
	struct client list[MAX_CLIENTS];
	pthread_t threads[MAX_CLIENTS];
	unsigned each = VALIDATIONS / clients;
	double start = bench_now();
	for (unsigned c = 0; c < clients; c++) {
		list[c] = (struct client){pvf, program, length, CORRAL_PVF_APPROVAL, each, latencies + c * each, 0, 0};
		if (pthread_create(&threads[c], NULL, client_loop, &list[c]))
			bench_fail("cannot start a client thread");
	}
	uint64_t execute_ns = 0, queue_ns = 0;
	for (unsigned c = 0; c < clients; c++) {
		pthread_join(threads[c], NULL);
		execute_ns += list[c].execute_ns;
		queue_ns += list[c].queue_ns;
	}
	double elapsed = bench_now() - start;
	unsigned total = each * clients;
	qsort(latencies, total, sizeof *latencies, compare_doubles);
	printf("  %u client%s: %6.0f validations/s; latency %.2f ms median, %.2f ms p99 (execute %.2f ms, queue "
	       "%.2f ms on average)\n",
	       clients, clients == 1 ? " " : "s", total / elapsed, latencies[total / 2] * 1e3,
	       latencies[total * 99 / 100] * 1e3, (double)execute_ns / total / 1e6, (double)queue_ns / total / 1e6);
}

/* The adder with "variant N" added to its metadata: another program. */
static uint8_t *variant(const uint8_t *program, size_t length, unsigned number, size_t *out_length)
{
	struct loader_program parsed;
	struct pvm_error problem;
	if (loader_parse(program, length, CORRAL_FORMAT_JAM, &parsed, &problem) || !parsed.has_metadata)
		bench_fail("adder.jam: not a JAM program with metadata: %s", problem.message);
	char *metadata = malloc(parsed.metadata_length + 32);
	memcpy(metadata, parsed.metadata, parsed.metadata_length);
	int added = snprintf(metadata + parsed.metadata_length, 32, "\nvariant %u", number);
	struct loader_jam_parts parts = {
		.has_metadata = true,
		.metadata = (const uint8_t *)metadata,
		.metadata_length = parsed.metadata_length + (size_t)added,
		.ro_data = parsed.ro_data,
		.ro_length = parsed.ro_length,
		.rw_data = parsed.rw_data,
		.rw_length = parsed.rw_length,
		.heap_pages = parsed.heap_pages,
		.stack_size = parsed.stack_size,
		.blob = parsed.blob,
		.blob_length = parsed.blob_length,
	};
	uint8_t *out;
	if (loader_jam_write(&parts, &out, out_length, &problem))
		bench_fail("cannot write a variant of the adder: %s", problem.message);
	free(metadata);
	return out;
}

struct preparer {
	corral_pvf *pvf;
	uint8_t **programs;
	size_t *lengths;
	unsigned first, count;
	uint64_t cpu_ns;
};

static void *prepare_loop(void *argument)
{
	struct preparer *preparer = argument;
	for (unsigned i = preparer->first; i < preparer->first + preparer->count; i++) {
		corral_pvf_result result;
		corral_error error;
		if (corral_pvf_prepare(preparer->pvf, preparer->programs[i], preparer->lengths[i], "variant", &result,
				       &error))
			bench_fail("%s", error.message);
		check(&result, false);
		if (!result.prepared_now)
			bench_fail("a new variant was not prepared");
		preparer->cpu_ns += result.timings.prepare_cpu_ns;
	}
	return NULL;
}

/* PREPARES programs never seen, by two clients at once. */
static void prepares(corral_pvf *pvf, const uint8_t *program, size_t length, unsigned workers)
{
	static uint8_t *programs[PREPARES];
	static size_t lengths[PREPARES];
	static unsigned round;
	for (unsigned i = 0; i < PREPARES; i++)
		programs[i] = variant(program, length, round * PREPARES + i, &lengths[i]);
	round++;
	struct preparer list[2];
	pthread_t threads[2];
	double start = bench_now();
	for (unsigned c = 0; c < 2; c++) {
		list[c] = (struct preparer){pvf, programs, lengths, c * PREPARES / 2, PREPARES / 2, 0};
		if (pthread_create(&threads[c], NULL, prepare_loop, &list[c]))
			bench_fail("cannot start a client thread");
	}
	for (unsigned c = 0; c < 2; c++)
		pthread_join(threads[c], NULL);
	double elapsed = bench_now() - start;
	printf("  %u prepare worker%s: %6.0f prepares/s (%u programs of %zu bytes; %.2f ms of job CPU each)\n", workers,
	       workers == 1 ? " " : "s", PREPARES / elapsed, PREPARES, length,
	       (double)(list[0].cpu_ns + list[1].cpu_ns) / PREPARES / 1e6);
	for (unsigned i = 0; i < PREPARES; i++)
		free(programs[i]);
}

static corral_pvf *start(const char *cache, uint32_t prepare_workers)
{
	corral_pvf_config config;
	corral_pvf_config_init(&config);
	config.cache_dir = cache;
	config.prepare_workers = prepare_workers;
	corral_pvf *pvf;
	corral_error error;
	if (corral_pvf_new(&config, &pvf, &error))
		bench_fail("%s", error.message);
	return pvf;
}

void bench_pvf_speed(const char *guests)
{
	printf("\nValidation pipeline (the adder guest; each validation in a fresh sandbox worker, 2 execute "
	       "workers):\n");
	if (!guests) {
		printf("  skipped (run through make bench, which builds the adder)\n");
		return;
	}
	char path[4096], cache[] = "/tmp/corral-bench-pvf-XXXXXX";
	snprintf(path, sizeof path, "%s/adder.jam", guests);
	size_t length;
	uint8_t *adder = bench_read_file(path, &length);
	if (!mkdtemp(cache))
		bench_fail("cannot make a folder for the artifacts");
	corral_pvf *pvf = start(cache, 1);
	corral_pvf_result result;
	corral_error error;
	if (corral_pvf_prepare(pvf, adder, length, "adder.jam", &result, &error))
		bench_fail("%s", error.message);
	check(&result, false);
	validations(pvf, adder, length, 1);
	validations(pvf, adder, length, MAX_CLIENTS);
	prepares(pvf, adder, length, 1);
	corral_pvf_free(pvf);
	pvf = start(cache, 2);
	prepares(pvf, adder, length, 2);
	corral_pvf_free(pvf);
	char command[sizeof cache + 16];
	snprintf(command, sizeof command, "rm -rf '%s'", cache);
	if (system(command))
		bench_fail("cannot remove %s", cache);
	free(adder);
}
