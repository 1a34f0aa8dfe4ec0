/* corral bench, the command: one timed run of two workloads on native code
 * and the interpreter must give a table, a JSON file that parses and holds
 * every figure the report promises, and a PNG; bad options must stop it
 * with exit status 2 and a message that names the option. The workloads
 * are built with the test binary into $CORRAL_BUILD/tests/bench-workloads
 * (scripts/bench_workloads.sh ... empty sieve). */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/json.h"
#include "tests/guest_run.h"
#include "tests/support.h"

static const char *workloads_folder(void)
{
	static char folder[PATH_MAX];
	const char *build = getenv("CORRAL_BUILD");
	snprintf(folder, sizeof folder, "%.*s/tests/bench-workloads", PATH_MAX - 32, build && *build ? build : "build");
	if (access(folder, R_OK))
		cr_skip_test("%s is not built (make builds it with the test binary)", folder);
	return folder;
}

static void bench(const char *folder, const char *arguments, struct process_result *result)
{
	char command[5 * PATH_MAX];
	snprintf(command, sizeof command, "'%s' bench %s", guest_corral(), arguments);
	guest_shell(folder, command, NULL, result);
}

static const struct json_value *member(const struct json_value *object, const char *key)
{
	cr_assert_not_null(object);
	cr_assert_eq(object->type, JSON_OBJECT, "looking for '%s' in a %s", key, json_type_name(object->type));
	const struct json_value *value = json_get(object, key);
	cr_assert_not_null(value, "the JSON has no '%s'", key);
	return value;
}

static const struct json_value *item(const struct json_value *array, size_t index)
{
	cr_assert_eq(array->type, JSON_ARRAY);
	cr_assert_lt(index, array->count);
	return &array->items[index];
}

static const char *string(const struct json_value *value)
{
	cr_assert_eq(value->type, JSON_STRING);
	return value->string;
}

/* A figure's summary: median, best, worst, spread and one sample per run. */
static void expect_figure(const struct json_value *result, const char *key)
{
	const struct json_value *figure = member(result, key);
	for (const char *const *field = (const char *const[]){"median", "best", "worst", "spread", NULL}; *field;
	     field++)
		cr_expect_eq(member(figure, *field)->type, JSON_NUMBER, "%s.%s is not a number", key, *field);
	cr_expect_eq(member(figure, "samples")->count, 1, "%s: one sample per timed run", key);
}

static void check_json(const char *path)
{
	size_t length;
	char *text = (char *)support_read_file(path, &length);
	struct json_value root;
	char problem[256];
	cr_assert_eq(json_parse(text, length, &root, problem, sizeof problem), 0, "%s: %s", path, problem);

	uint64_t runs;
	cr_assert(json_to_u64(member(&root, "runs"), &runs));
	cr_expect_eq(runs, 1);
	member(&root, "date");
	const struct json_value *machine = member(&root, "machine");
	string(member(machine, "cpu"));
	for (const char *const *when = (const char *const[]){"start", "end", NULL}; *when; when++) {
		const struct json_value *state = member(machine, *when);
		cr_expect_eq(member(state, "load")->count, 3);
		member(state, "mhz");
		string(member(state, "governor"));
	}

	const struct json_value *targets = member(&root, "targets");
	cr_assert_eq(targets->count, 2, "the two targets asked for, not all");
	cr_expect_str_eq(string(member(item(targets, 0), "name")), "native");
	cr_expect_str_eq(string(member(item(targets, 1), "name")), "interp");

	const struct json_value *workloads = member(&root, "workloads");
	cr_assert_eq(workloads->count, 2);
	for (size_t w = 0; w < 2; w++) {
		const struct json_value *workload = item(workloads, w);
		cr_expect_str_eq(string(member(workload, "name")), w ? "sieve" : "empty");
		cr_expect(!strncmp(string(member(workload, "checksum")), "checksum ", 9));
		const struct json_value *results = member(workload, "results");
		cr_assert_eq(results->count, 2);
		for (size_t t = 0; t < 2; t++) {
			const struct json_value *result = item(results, t);
			cr_assert_str_eq(string(member(result, "state")), "ok", "%s on %s: %s",
					 string(member(workload, "name")), string(member(result, "target")),
					 json_get(result, "why") ? string(json_get(result, "why")) : "");
			expect_figure(result, "run_ns");
			cr_expect_eq(member(result, "ratio_to_native")->type, JSON_NUMBER);
		}
		/* corral's own figures: compilation and instantiation */
		const struct json_value *interp = item(results, 1);
		expect_figure(interp, "compile_ns");
		expect_figure(interp, "code_bytes");
		expect_figure(interp, "instantiate_first_ns");
		expect_figure(interp, "instantiate_steady_ns");
	}
	cr_expect_eq(member(member(&root, "geometric_means"), "interp")->type, JSON_NUMBER);
	json_free(&root);
	free(text);
}

Test(bench_cli, two_workloads_on_native_and_the_interpreter, .timeout = 60)
{
	const char *workloads = workloads_folder();
	char folder[PATH_MAX], arguments[4 * PATH_MAX], json[PATH_MAX + 16], png[PATH_MAX + 16];
	guest_workspace(folder, sizeof folder);
	snprintf(json, sizeof json, "%s/bench.json", folder);
	snprintf(png, sizeof png, "%s/bench.png", folder);
	bool plot = system("command -v gnuplot >/dev/null 2>&1") == 0;
	snprintf(arguments, sizeof arguments,
		 "--runs 1 --workloads empty,sieve --targets native,interp --dir '%s' --json '%s'%s%s%s", workloads,
		 json, plot ? " --plot '" : "", plot ? png : "", plot ? "'" : "");
	struct process_result result;
	bench(folder, arguments, &result);
	cr_assert_eq(result.status, 0, "corral bench %s: exit %d: %s", arguments, result.status, result.errors);
	cr_expect(strstr(result.output, "sieve: "), "no table for the sieve:\n%s", result.output);
	cr_expect(strstr(result.output, "geometric means of the ratio to native over sieve"), "%s", result.output);
	check_json(json);
	if (plot) {
		size_t length;
		uint8_t *bytes = support_read_file(png, &length);
		cr_expect(length > 8 && !memcmp(bytes, "\x89PNG\r\n\x1a\n", 8), "%s is not a PNG", png);
		free(bytes);
	}
	guest_result_free(&result);
	guest_cleanup(folder);
}

struct bad_option {
	char arguments[96];
	int status;
	char named[48]; /* what the message must name */
};

static const struct bad_option bad_options[] = {
	{"--runs 0", 2, "--runs"},
	{"--runs many", 2, "--runs"},
	{"--runs", 2, "--runs"},
	{"--budget 0", 2, "--budget"},
	{"--targets native,nosuch", 2, "nosuch"},
	{"--targets ''", 2, "--targets"},
	{"--workloads sieve,,", 2, "--workloads"},
	{"--workloads", 2, "--workloads"},
	{"--json", 2, "--json"},
	{"--plot", 2, "--plot"},
	{"--frobnicate", 2, "--frobnicate"},
	{"--dir /nonexistent/corral-bench", 1, "/nonexistent/corral-bench"},
};

Test(bench_cli, bad_options_name_the_option)
{
	char folder[PATH_MAX];
	guest_workspace(folder, sizeof folder);
	for (size_t i = 0; i < sizeof bad_options / sizeof bad_options[0]; i++) {
		const struct bad_option *bad = &bad_options[i];
		struct process_result result;
		bench(folder, bad->arguments, &result);
		cr_expect_eq(result.status, bad->status, "corral bench %s: exit %d, not %d: %s", bad->arguments,
			     result.status, bad->status, result.errors);
		cr_expect(strstr(result.errors, bad->named), "corral bench %s: the message does not name %s: %s",
			  bad->arguments, bad->named, result.errors);
		cr_expect(!*result.output, "corral bench %s printed a table", bad->arguments);
		guest_result_free(&result);
	}
	guest_cleanup(folder);
}
