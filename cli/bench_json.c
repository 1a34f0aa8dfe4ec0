/* corral bench --json FILE: everything the table shows and every sample
 * behind it, written by hand. Times are in nanoseconds, as the figures'
 * keys say; a figure a target does not have is absent, a value it could
 * not have (a ratio without native) is null. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/bench.h"

static void json_string(FILE *out, const char *text)
{
	fputc('"', out);
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(out, "\\%c", *c);
		else if (*c < 0x20)
			fprintf(out, "\\u%04x", *c);
		else
			fputc(*c, out);
	}
	fputc('"', out);
}

static void json_number(FILE *out, double value)
{
	if (isnan(value) || isinf(value))
		fputs("null", out);
	else
		fprintf(out, "%.10g", value);
}

static void json_state(FILE *out, const char *key, const struct bench_machine_state *state)
{
	fprintf(out, "    \"%s\": {\"time\": ", key);
	json_string(out, state->time);
	fprintf(out, ", \"load\": [%.2f, %.2f, %.2f], \"mhz\": [", state->load[0], state->load[1], state->load[2]);
	for (unsigned i = 0; i < state->cpus; i++)
		fprintf(out, "%s%.0f", i ? ", " : "", state->mhz[i]);
	fprintf(out, "], \"frequency_source\": ");
	json_string(out, state->frequency_source ? state->frequency_source : "none");
	fprintf(out, ", \"governor\": ");
	json_string(out, state->governor);
	fputc('}', out);
}

static void json_cell(FILE *out, const struct bench_results *results, size_t w, size_t t)
{
	static const char *const states[] = {
		[BENCH_CELL_UNSELECTED] = "unselected",
		[BENCH_CELL_SKIPPED] = "skipped",
		[BENCH_CELL_FAILED] = "failed",
		[BENCH_CELL_OK] = "ok",
	};
	const struct bench_cell *cell = bench_cell(results, w, t);
	fprintf(out, "        {\"target\": ");
	json_string(out, bench_targets[t].name);
	fprintf(out, ", \"state\": \"%s\"", states[cell->state]);
	if (cell->state != BENCH_CELL_OK) {
		fprintf(out, ", \"why\": ");
		json_string(out, cell->why);
		fputc('}', out);
		return;
	}
	struct bench_summary summaries[BENCH_FIGURE_COUNT];
	bench_cell_summaries(cell, summaries);
	fprintf(out, ", \"ratio_to_native\": ");
	json_number(out, bench_ratio(results, w, t));
	fprintf(out, ", \"compile_mb_per_s\": ");
	json_number(out, bench_compile_rate(summaries));
	for (int f = 0; f < BENCH_FIGURE_COUNT; f++) {
		const struct bench_summary *s = &summaries[f];
		if (!s->count)
			continue;
		fprintf(out, ",\n          \"%s\": {\"median\": ", bench_figure_info[f].key);
		json_number(out, s->median);
		fprintf(out, ", \"best\": ");
		json_number(out, s->best);
		fprintf(out, ", \"worst\": ");
		json_number(out, s->worst);
		fprintf(out, ", \"spread\": ");
		json_number(out, s->spread);
		fprintf(out, ", \"samples\": [");
		for (unsigned i = 0, n = 0; i < cell->count; i++)
			if (!isnan(cell->samples[i][f])) {
				fputs(n++ ? ", " : "", out);
				json_number(out, cell->samples[i][f]);
			}
		fprintf(out, "]}");
	}
	fputc('}', out);
}

static void json_results(FILE *out, const struct bench_results *results)
{
	const struct bench_machine *machine = &results->machine;
	fprintf(out, "{\n  \"corral_version\": ");
	json_string(out, CORRAL_VERSION);
	fprintf(out, ",\n  \"date\": ");
	json_string(out, machine->start.time);
	fprintf(out,
		",\n  \"runs\": %u,\n  \"budget_seconds\": %u,\n  \"seconds\": %.1f,\n  \"machine\": {\n    \"cpu\": ",
		results->runs, results->budget, results->seconds);
	json_string(out, machine->cpu);
	fprintf(out, ",\n    \"cores\": %ld,\n    \"kernel\": ", machine->cores);
	json_string(out, machine->kernel);
	fprintf(out, ",\n");
	json_state(out, "start", &machine->start);
	fprintf(out, ",\n");
	json_state(out, "end", &machine->end);
	fprintf(out, "\n  },\n  \"targets\": [");
	for (size_t t = 0, n = 0; t < bench_target_count; t++) {
		if (!results->target_selected[t])
			continue;
		const char *skipped = bench_target_skipped(results->session, t);
		fprintf(out, "%s\n    {\"name\": ", n++ ? "," : "");
		json_string(out, bench_targets[t].name);
		fprintf(out, ", \"what\": ");
		json_string(out, bench_targets[t].what);
		fprintf(out, ", \"tool\": ");
		json_string(out, bench_target_tool(results->session, t));
		fprintf(out, ", \"skipped\": ");
		if (skipped)
			json_string(out, skipped);
		else
			fputs("null", out);
		fputc('}', out);
	}
	fprintf(out, "\n  ],\n  \"workloads\": [");
	for (size_t w = 0, n = 0; w < bench_workload_count; w++) {
		if (!results->workload_selected[w])
			continue;
		fprintf(out, "%s\n    {\"name\": ", n++ ? "," : "");
		json_string(out, bench_workloads[w].name);
		fprintf(out, ", \"what\": ");
		json_string(out, bench_workloads[w].what);
		fprintf(out, ", \"in_means\": %s, \"host_calls\": %u, \"rounds\": %u, \"checksum\": ",
			bench_workloads[w].in_means ? "true" : "false", bench_workloads[w].host_calls,
			results->rounds[w]);
		json_string(out, results->checksum[w]);
		fprintf(out, ", \"checksum_from\": ");
		if (results->checksum_from[w])
			json_string(out, results->checksum_from[w]);
		else
			fputs("null", out);
		fprintf(out, ",\n      \"results\": [");
		for (size_t t = 0, m = 0; t < bench_target_count; t++) {
			if (!results->target_selected[t])
				continue;
			fputs(m++ ? ",\n" : "\n", out);
			json_cell(out, results, w, t);
		}
		fprintf(out, "\n      ]}");
	}
	fprintf(out, "\n  ],\n  \"geometric_means\": {");
	for (size_t t = 0, n = 0; t < bench_target_count; t++) {
		unsigned count;
		if (!results->target_selected[t])
			continue;
		fprintf(out, "%s\n    ", n++ ? "," : "");
		json_string(out, bench_targets[t].name);
		fprintf(out, ": ");
		json_number(out, bench_geometric_mean(results, t, &count));
	}
	fprintf(out, "\n  }\n}\n");
}

int bench_report_json(const char *path, const struct bench_results *results)
{
	FILE *out = fopen(path, "w");
	if (!out) {
		fprintf(stderr, "corral: bench: --json %s: %s\n", path, strerror(errno));
		return -1;
	}
	json_results(out, results);
	if (ferror(out) | fclose(out)) {
		fprintf(stderr, "corral: bench: --json %s: writing failed: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}
