/* Decoding speed: how fast the JAM service programs among the vectors are
 * taken in, in MB/s of each one's code blob (10^6 bytes a second; the blob
 * is the jump table, code and bitmask that pvm_program_init reads).
 *
 * - decode + validate: pvm_program_init and pvm_gas_cost_blocks (naive) on
 *   the blob that loader_parse finds in the file;
 * - module: corral_module_new + corral_module_free on the whole file, which
 *   also copies it, parses the container and prepares the interpreter's
 *   slots. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/bench.h"
#include "core/gas.h"
#include "core/program.h"
#include "loader/allocator.h"
#include "loader/container.h"

#define SAMPLE_SECONDS 0.1

struct service {
	const char *name; /* the file name */
	uint8_t *bytes;   /* the whole file */
	size_t length;
	struct loader_program container;
	corral_engine *engine;
};

static void decode_and_validate(const struct service *service)
{
	const struct pvm_gas_model naive = {.kind = PVM_GAS_PER_INSTRUCTION};
	struct pvm_program program;
	struct pvm_error problem;

	if (pvm_program_init(&program, service->container.blob, service->container.blob_length, PVM_ISA_GP07,
			     &libc_allocator, &problem))
		bench_fail("%s: code: %s", service->name, problem.message);
	if (pvm_gas_cost_blocks(&program, &naive, &problem))
		bench_fail("%s: %s", service->name, problem.message);
	pvm_program_free(&program, &libc_allocator);
}

static void create_module(const struct service *service)
{
	corral_module *module;
	corral_error error;

	if (corral_module_new(service->engine, service->bytes, service->length, service->name, NULL, &module, &error) !=
	    CORRAL_OK)
		bench_fail("%s", error.message);
	corral_module_free(module);
}

/* Times BENCH_RUNS samples of `work`, each repeating it for about
 * SAMPLE_SECONDS, and prints the row's figures. */
static void measure(void (*work)(const struct service *), const struct service *service)
{
	struct bench_samples samples = {0};
	struct bench_summary summary;

	/* The first call warms up, and sizes the samples. */
	double begin = bench_now();
	work(service);
	double once = bench_now() - begin;
	unsigned repeats = once > 0 ? (unsigned)(SAMPLE_SECONDS / once) + 1 : 1000;
	for (unsigned run = 0; run < BENCH_RUNS; run++) {
		begin = bench_now();
		for (unsigned i = 0; i < repeats; i++)
			work(service);
		bench_samples_add(&samples, (bench_now() - begin) / repeats);
	}
	bench_summarize(&samples, &summary);
	double megabytes = (double)service->container.blob_length / 1e6;
	printf(" %12.1f %10.1f %6.1f%% %9.1f\n", megabytes / summary.median, megabytes / summary.best,
	       100 * summary.spread, summary.median * 1e6);
}

static void print_heading(const char *size, const char *instructions, const char *blocks)
{
	printf("  %-27s %8s %7s %7s %12s %10s %7s %9s\n", "program", size, instructions, blocks, "median MB/s",
	       "best MB/s", "spread", "us each");
}

uint8_t *bench_read_file(const char *path, size_t *length)
{
	long end;
	FILE *file = fopen(path, "rb");
	if (!file)
		bench_fail("%s: cannot open it", path);
	if (fseek(file, 0, SEEK_END) || (end = ftell(file)) < 0 || fseek(file, 0, SEEK_SET))
		bench_fail("%s: cannot find its length", path);
	*length = (size_t)end;
	uint8_t *bytes = malloc(*length ? *length : 1);
	if (!bytes || fread(bytes, 1, *length, file) != *length)
		bench_fail("%s: cannot read its %zu bytes", path, *length);
	fclose(file);
	return bytes;
}

static void load_service(struct service *service, const char *path, corral_engine *engine)
{
	struct pvm_error problem;
	const char *slash = strrchr(path, '/');

	service->name = slash ? slash + 1 : path;
	service->bytes = bench_read_file(path, &service->length);
	service->engine = engine;
	if (loader_parse(service->bytes, service->length, CORRAL_FORMAT_AUTO, &service->container, &problem))
		bench_fail("%s: %s", path, problem.message);
}

/* Finds the service programs; -1, after saying why, when there are none. */
static int find_services(glob_t *found)
{
	const char *vectors = getenv("CORRAL_VECTORS");
	struct stat folder;
	char pattern[4096];

	if (!vectors || !*vectors) {
		printf("\ndecode: skipped: CORRAL_VECTORS is not set (make bench sets it to the vectors folder)\n");
		return -1;
	}
	if (stat(vectors, &folder) || !S_ISDIR(folder.st_mode)) {
		printf("\ndecode: skipped: CORRAL_VECTORS=%s is not a folder\n", vectors);
		return -1;
	}
	snprintf(pattern, sizeof pattern, "%s/pvm/services/*.jam", vectors);
	if (glob(pattern, 0, NULL, found)) {
		printf("\ndecode: skipped: no service programs match %s\n", pattern);
		return -1;
	}
	return 0;
}

void bench_decode_speed(void)
{
	glob_t found;
	corral_engine *engine;
	corral_error error;

	if (find_services(&found))
		return;
	if (corral_engine_new(NULL, &engine, &error) != CORRAL_OK)
		bench_fail("%s", error.message);
	struct service *services = calloc(found.gl_pathc, sizeof *services);
	if (!services)
		bench_fail("no memory for %zu service programs", found.gl_pathc);
	for (size_t i = 0; i < found.gl_pathc; i++)
		load_service(&services[i], found.gl_pathv[i], engine);

	printf("\ndecode + validate: pvm_program_init + pvm_gas_cost_blocks (naive) on each JAM service's code\n");
	printf("  blob; MB/s = 10^6 blob bytes a second; %d samples of %.1f s or more each; us each is the median\n",
	       BENCH_RUNS, SAMPLE_SECONDS);
	print_heading("blob", "instrs", "blocks");
	for (size_t i = 0; i < found.gl_pathc; i++) {
		const struct service *service = &services[i];
		struct pvm_program program;
		struct pvm_error problem;
		if (pvm_program_init(&program, service->container.blob, service->container.blob_length, PVM_ISA_GP07,
				     &libc_allocator, &problem))
			bench_fail("%s: code: %s", service->name, problem.message);
		printf("  %-27s %8zu %7u %7u", service->name, service->container.blob_length, program.instruction_count,
		       program.block_count);
		pvm_program_free(&program, &libc_allocator);
		measure(decode_and_validate, service);
	}

	printf("\nmodule creation: corral_module_new + corral_module_free on each whole .jam file (decode +\n");
	printf("  validate, and the copy, the container and the interpreter's slots); MB/s of code blob as above\n");
	print_heading("file", "", "");
	for (size_t i = 0; i < found.gl_pathc; i++) {
		printf("  %-27s %8zu %7s %7s", services[i].name, services[i].length, "", "");
		measure(create_module, &services[i]);
	}

	for (size_t i = 0; i < found.gl_pathc; i++)
		free(services[i].bytes);
	free(services);
	globfree(&found);
	corral_engine_free(engine);
}
