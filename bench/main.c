/* corral-bench: interpreter speed, then decoding speed, between a header
 * and a footer that say where and when the figures were taken. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

void bench_fail(const char *format, ...)
{
	va_list args;
	fflush(stdout);
	fputs("corral-bench: FAILED: ", stderr);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputc('\n', stderr);
	exit(1);
}

static const char *guests, *corral;

static void guests_or_note(void)
{
	if (guests)
		bench_guest_speed(guests, corral);
	else
		printf("\nC guests: skipped (run through make bench, which builds them)\n");
}

static void sandbox_section(void)
{
	bench_sandbox_speed(guests);
}

static void pvf_section(void)
{
	bench_pvf_speed(guests);
}

/* The sections, in the order they run. */
static const struct {
	const char *name;
	void (*run)(void);
} sections[] = {
	{"interp", bench_interp_speed}, {"decode", bench_decode_speed}, {"gas", bench_gas_speed},
	{"sandbox", sandbox_section},   {"paging", bench_paging_speed}, {"audit", bench_audit_speed},
	{"pvf", pvf_section},           {"guests", guests_or_note},
};

#define SECTION_COUNT (sizeof sections / sizeof *sections)

static void usage(void)
{
	fputs("usage: corral-bench [--only SECTION,...] [GUESTS CORRAL]\nsections:", stderr);
	for (size_t i = 0; i < SECTION_COUNT; i++)
		fprintf(stderr, " %s", sections[i].name);
	fputc('\n', stderr);
	exit(2);
}

/* Marks the sections a comma-separated list names; an unknown name is a
 * usage error. */
static void choose(const char *list, bool *chosen)
{
	for (const char *name = list; *name;) {
		size_t length = strcspn(name, ",");
		size_t i = 0;
		while (i < SECTION_COUNT &&
		       (strlen(sections[i].name) != length || strncmp(sections[i].name, name, length) != 0))
			i++;
		if (i == SECTION_COUNT) {
			fprintf(stderr, "corral-bench: --only: no section '%.*s'\n", (int)length, name);
			usage();
		}
		chosen[i] = true;
		name += length + (name[length] == ',');
	}
}

/* corral-bench [--only SECTION,...] [GUESTS CORRAL]: with the folder of
 * built C guests (make bench builds them) and the corral executable, the
 * guests are timed too; --only runs the sections named alone. */
int main(int argc, char **argv)
{
	bool chosen[SECTION_COUNT];
	bool only = argc > 2 && strcmp(argv[1], "--only") == 0;
	for (size_t i = 0; i < SECTION_COUNT; i++)
		chosen[i] = !only;
	if (only) {
		choose(argv[2], chosen);
		argc -= 2;
		argv += 2;
	}
	if (argc != 1 && argc != 3)
		usage();
	if (argc == 3) {
		guests = argv[1];
		corral = argv[2];
	}
	/* Figures appear as they are measured, even through a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	double start = bench_now();
	bench_print_header();
	for (size_t i = 0; i < SECTION_COUNT; i++)
		if (chosen[i])
			sections[i].run();
	bench_print_footer(bench_now() - start);
	return 0;
}
