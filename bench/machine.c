/* Where the figures come from: the header and footer lines of the output,
 * written so that it can be pasted into a note as it is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"

#ifdef __clang__
#define COMPILER __VERSION__
#else
#define COMPILER "gcc " __VERSION__
#endif

/* The first "model name" of /proc/cpuinfo, or a line saying there was none. */
static void cpu_model(char *model, size_t size)
{
	char line[512];
	snprintf(model, size, "unknown CPU (no model name in /proc/cpuinfo)");
	FILE *cpuinfo = fopen("/proc/cpuinfo", "r");
	if (!cpuinfo)
		return;
	while (fgets(line, sizeof line, cpuinfo)) {
		char *colon = strchr(line, ':');
		if (strncmp(line, "model name", 10) != 0 || !colon)
			continue;
		char *value = colon + 1 + strspn(colon + 1, " \t");
		value[strcspn(value, "\n")] = 0;
		snprintf(model, size, "%s", value);
		break;
	}
	fclose(cpuinfo);
}

static void print_load(const char *when)
{
	double load[3];
	if (getloadavg(load, 3) == 3)
		printf("load average %.2f %.2f %.2f %s", load[0], load[1], load[2], when);
	else
		printf("load average unknown %s", when);
}

void bench_print_header(void)
{
	char model[256], date[64];
	struct utsname system;
	time_t now = time(NULL);

	cpu_model(model, sizeof model);
	strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
	if (uname(&system))
		memset(&system, 0, sizeof system);
	printf("==== corral-bench %s, %s ====\n", CORRAL_VERSION, date);
	printf("machine: %s, %ld cores online, %s %s %s\n", model, sysconf(_SC_NPROCESSORS_ONLN), system.sysname,
	       system.release, system.machine);
	printf("machine: ");
	print_load("(1, 5, 15 min) at start\n");
#if defined(__SANITIZE_ADDRESS__)
	printf("build:   %s with AddressSanitizer: these figures say nothing about speed\n", COMPILER);
#elif defined(__OPTIMIZE__)
	printf("build:   %s, optimized\n", COMPILER);
#else
	printf("build:   %s, NOT optimized: these figures say nothing about speed\n", COMPILER);
#endif
}

void bench_print_footer(double elapsed_seconds)
{
	printf("==== corral-bench done in %.1f s; ", elapsed_seconds);
	print_load("at the end ====\n");
}
