/* Where and under what conditions the figures were taken: the CPU, the
 * kernel, and at the start and the end of the bench the load average, each
 * CPU's frequency and the cpufreq governor. On a shared or throttled
 * machine those say how far to trust the figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cli/bench.h"

/* The value of the first /proc/cpuinfo line starting with `key`. */
static bool cpuinfo_value(FILE *cpuinfo, const char *key, char *value, size_t size)
{
	char line[512];
	while (fgets(line, sizeof line, cpuinfo)) {
		char *colon = strchr(line, ':');
		if (strncmp(line, key, strlen(key)) || !colon)
			continue;
		char *text = colon + 1 + strspn(colon + 1, " \t");
		text[strcspn(text, "\n")] = 0;
		snprintf(value, size, "%s", text);
		return true;
	}
	return false;
}

void bench_machine_describe(struct bench_machine *machine)
{
	memset(machine, 0, sizeof *machine);
	snprintf(machine->cpu, sizeof machine->cpu, "unknown CPU");
	FILE *cpuinfo = fopen("/proc/cpuinfo", "r");
	if (cpuinfo) {
		cpuinfo_value(cpuinfo, "model name", machine->cpu, sizeof machine->cpu);
		fclose(cpuinfo);
	}
	machine->cores = sysconf(_SC_NPROCESSORS_ONLN);
	struct utsname system;
	if (!uname(&system))
		snprintf(machine->kernel, sizeof machine->kernel, "%s %s %s", system.sysname, system.release,
			 system.machine);
	time_t now = time(NULL);
	strftime(machine->date, sizeof machine->date, "%Y-%m-%d", gmtime(&now));
}

/* A number from a one-line file; false when there is no such file. */
static bool read_number(const char *path, double *value)
{
	FILE *file = fopen(path, "r");
	if (!file)
		return false;
	bool ok = fscanf(file, "%lf", value) == 1;
	fclose(file);
	return ok;
}

/* cpufreq's view where the kernel has it (kHz), else /proc/cpuinfo's
 * "cpu MHz", which virtual machines often report as a constant. */
static void sample_frequencies(struct bench_machine_state *state)
{
	state->cpus = 0;
	for (unsigned cpu = 0; cpu < BENCH_MAX_CPUS; cpu++) {
		char path[96];
		double khz;
		snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%u/cpufreq/scaling_cur_freq", cpu);
		if (!read_number(path, &khz))
			break;
		state->mhz[state->cpus++] = khz / 1000;
	}
	if (state->cpus) {
		state->frequency_source = "cpufreq";
		return;
	}
	state->frequency_source = "/proc/cpuinfo";
	FILE *cpuinfo = fopen("/proc/cpuinfo", "r");
	char value[64];
	while (cpuinfo && state->cpus < BENCH_MAX_CPUS && cpuinfo_value(cpuinfo, "cpu MHz", value, sizeof value))
		state->mhz[state->cpus++] = atof(value);
	if (cpuinfo)
		fclose(cpuinfo);
}

void bench_machine_sample(struct bench_machine_state *state)
{
	memset(state, 0, sizeof *state);
	if (getloadavg(state->load, 3) != 3)
		state->load[0] = state->load[1] = state->load[2] = -1;
	sample_frequencies(state);
	snprintf(state->governor, sizeof state->governor, "none");
	FILE *governor = fopen("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "r");
	if (governor) {
		if (fgets(state->governor, sizeof state->governor, governor))
			state->governor[strcspn(state->governor, "\n")] = 0;
		fclose(governor);
	}
	time_t now = time(NULL);
	strftime(state->time, sizeof state->time, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
}

void bench_machine_format(const struct bench_machine_state *state, char *text, size_t size)
{
	double low = 0, high = 0;
	for (unsigned i = 0; i < state->cpus; i++) {
		if (i == 0 || state->mhz[i] < low)
			low = state->mhz[i];
		if (i == 0 || state->mhz[i] > high)
			high = state->mhz[i];
	}
	int used = snprintf(text, size, "%s: load %.2f %.2f %.2f (1, 5, 15 min); ", state->time, state->load[0],
			    state->load[1], state->load[2]);
	if (used < 0 || (size_t)used >= size)
		return;
	if (state->cpus)
		snprintf(text + used, size - used, "%u CPUs at %.0f-%.0f MHz (%s); governor %s", state->cpus, low, high,
			 state->frequency_source, state->governor);
	else
		snprintf(text + used, size - used, "CPU frequency unknown; governor %s", state->governor);
}
