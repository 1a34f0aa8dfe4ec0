/* host/features.c and corral check: the probe runs once and is cached, is
 * thread-safe, leaves nothing behind (fds, children, cgroups); every
 * feature has a name and a reason; on the CI machine (Linux 6.18, root) the
 * features the sandbox stands on are all there; corral check prints each
 * feature and what it will use, in text and in JSON that agrees with the
 * probe, and refuses what it does not know. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/json.h"
#include "host/features.h"
#include "tests/guest_run.h"

#define assert_contains(haystack, needle) \
	cr_assert(strstr((haystack), (needle)) != NULL, "expected \"%s\" in: %s", (needle), (haystack))

static size_t open_fds(void)
{
	DIR *folder = opendir("/proc/self/fd");
	cr_assert_not_null(folder);
	size_t count = 0;
	while (readdir(folder))
		count++;
	closedir(folder);
	return count;
}

/* Criterion runs each test in a fresh process, so the first probe of a test
 * is a real one, not the cache. */
Test(features, first_probe_leaves_nothing_behind)
{
	size_t before = open_fds();
	struct host_feature_report reports[HOST_FEATURE_COUNT];
	host_features_probe(reports);
	cr_expect_eq(open_fds(), before, "the probe left %zd fds open", (ssize_t)(open_fds() - before));
	/* Every child was reaped, whatever its exit signal. */
	siginfo_t info = {0};
	cr_expect_eq(waitid(P_ALL, 0, &info, WEXITED | WNOHANG | __WALL), -1, "a probe's child (pid %d) was not reaped",
		     info.si_pid);
	/* The test groups are gone: the report names the folders they were
	 * made in ("memory (v1) in FOLDER; pids (v1) in FOLDER"). */
	const char *detail = reports[HOST_FEATURE_CGROUP].detail;
	size_t folders = 0;
	for (const char *in = strstr(detail, " in /"); in; in = strstr(in + 1, " in /"), folders++) {
		char path[PATH_MAX];
		int length = (int)strcspn(in + 4, ";");
		snprintf(path, sizeof path, "%.*s/corral-check-%ld", length, in + 4, (long)getpid());
		cr_expect_neq(access(path, F_OK), 0, "%s was left behind", path);
	}
	if (reports[HOST_FEATURE_CGROUP].available)
		cr_expect_eq(folders, 2, "the cgroup report names no folders: %s", detail);
}

Test(features, cached_and_the_same_twice)
{
	struct host_feature_report first[HOST_FEATURE_COUNT], second[HOST_FEATURE_COUNT];
	memset(first, 0xa5, sizeof first);
	memset(second, 0x5a, sizeof second);
	host_features_probe(first);
	host_features_probe(second);
	for (int i = 0; i < HOST_FEATURE_COUNT; i++) {
		cr_expect_eq(first[i].available, second[i].available, "%s", host_feature_name(i));
		cr_expect_str_eq(first[i].detail, second[i].detail, "%s", host_feature_name(i));
		cr_expect_eq(host_feature_available(i), first[i].available, "%s", host_feature_name(i));
	}
}

static void *probe_on_a_thread(void *reports)
{
	host_features_probe(reports);
	return NULL;
}

/* Threads racing for the first probe all get the one result. */
Test(features, thread_safe)
{
	enum { THREADS = 4 };
	static struct host_feature_report reports[THREADS][HOST_FEATURE_COUNT];
	pthread_t threads[THREADS];
	for (int t = 0; t < THREADS; t++)
		cr_assert_eq(pthread_create(&threads[t], NULL, probe_on_a_thread, reports[t]), 0);
	for (int t = 0; t < THREADS; t++)
		pthread_join(threads[t], NULL);
	for (int t = 1; t < THREADS; t++)
		for (int i = 0; i < HOST_FEATURE_COUNT; i++) {
			cr_expect_eq(reports[t][i].available, reports[0][i].available, "%s", host_feature_name(i));
			cr_expect_str_eq(reports[t][i].detail, reports[0][i].detail, "%s", host_feature_name(i));
		}
}

Test(features, every_feature_has_a_name_and_a_detail)
{
	struct host_feature_report reports[HOST_FEATURE_COUNT];
	host_features_probe(reports);
	for (int i = 0; i < HOST_FEATURE_COUNT; i++) {
		const char *name = host_feature_name(i);
		cr_assert(name && *name && strcmp(name, "unknown"), "feature %d has no name", i);
		cr_expect_null(strchr(name, ' '), "\"%s\": names are one word", name);
		for (int j = 0; j < i; j++)
			cr_expect_str_neq(name, host_feature_name(j), "two features are called %s", name);
		cr_expect_lt(strnlen(reports[i].detail, sizeof reports[i].detail), sizeof reports[i].detail,
			     "%s: the detail is not terminated", name);
		cr_expect_gt(strlen(reports[i].detail), 0, "%s has no detail", name);
	}
	cr_expect_str_eq(host_feature_name(HOST_FEATURE_COUNT), "unknown");
	cr_expect_not(host_feature_available(HOST_FEATURE_COUNT));
	cr_expect_not(host_feature_available((enum host_feature) - 1));
}

/* Facts of the CI machine: Linux 6.18, tests run as root. */
Test(features, the_sandbox_layers_are_there_as_root)
{
	if (geteuid() != 0)
		cr_skip_test("not root: unprivileged namespaces, cgroups and BPF depend on this host's settings");
	static const enum host_feature expected[] = {
		HOST_FEATURE_USER_NAMESPACES, HOST_FEATURE_NAMESPACES, HOST_FEATURE_MEMFD_EXEC,
		HOST_FEATURE_SECCOMP,         HOST_FEATURE_PIDFD,      HOST_FEATURE_IO_URING,
	};
	struct host_feature_report reports[HOST_FEATURE_COUNT];
	host_features_probe(reports);
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
		cr_expect(reports[expected[i]].available, "%s is missing: %s", host_feature_name(expected[i]),
			  reports[expected[i]].detail);
}

/* `corral check ARGS`, run from a fresh folder. */
static void run_check(const char *arguments, struct process_result *result)
{
	char folder[PATH_MAX], command[2 * PATH_MAX];
	guest_workspace(folder, sizeof folder);
	snprintf(command, sizeof command, "'%s' check %s", guest_corral(), arguments);
	guest_shell(folder, command, NULL, result);
	guest_cleanup(folder);
}

/* The line of `output` that starts with `name` followed by a space. */
static const char *line_of(const char *output, const char *name)
{
	size_t length = strlen(name);
	for (const char *line = output; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, name, length) && line[length] == ' ')
			return line;
	return NULL;
}

Test(features, check_prints_every_feature_and_what_it_will_use)
{
	struct process_result result;
	run_check("", &result);
	cr_assert_eq(result.status, 0, "corral check exited %d: %s", result.status, result.errors);
	struct host_feature_report reports[HOST_FEATURE_COUNT];
	host_features_probe(reports);
	for (int i = 0; i < HOST_FEATURE_COUNT; i++) {
		const char *line = line_of(result.output, host_feature_name(i));
		cr_assert_not_null(line, "no line for %s in:\n%s", host_feature_name(i), result.output);
		char word[8] = "";
		sscanf(line + strlen(host_feature_name(i)), " %7s", word);
		cr_expect_str_eq(word, reports[i].available ? "yes" : "no", "%s: corral check disagrees with the probe",
				 host_feature_name(i));
	}
	const char *will_use = strstr(result.output, "\nwill use:\n");
	cr_assert_not_null(will_use, "no \"will use\" section in:\n%s", result.output);
	static const char *const choices[] = {"backend", "sandbox", "dynamic-paging", "audit"};
	for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++)
		cr_expect_not_null(line_of(will_use + 1, choices[i]), "no \"%s\" under will use:\n%s", choices[i],
				   will_use);
	if (geteuid() == 0)
		cr_expect_not_null(strstr(will_use, "\nsandbox          linux "), "as root the sandbox is linux:\n%s",
				   will_use);
	guest_result_free(&result);
}

Test(features, check_json_is_one_object_that_agrees_with_the_probe)
{
	struct process_result result;
	run_check("--json", &result);
	cr_assert_eq(result.status, 0, "corral check --json exited %d: %s", result.status, result.errors);
	struct json_value root;
	char error[200];
	cr_assert_eq(json_parse(result.output, result.length, &root, error, sizeof error), 0, "%s in:\n%s", error,
		     result.output);
	cr_assert_eq(root.type, JSON_OBJECT);
	const struct json_value *features = json_get(&root, "features");
	cr_assert(features && features->type == JSON_OBJECT, "no \"features\" object");
	cr_expect_eq(features->count, HOST_FEATURE_COUNT);
	struct host_feature_report reports[HOST_FEATURE_COUNT];
	host_features_probe(reports);
	for (int i = 0; i < HOST_FEATURE_COUNT; i++) {
		const char *name = host_feature_name(i);
		/* json_get takes '-' and '_' alike: look the key up exactly. */
		const struct json_value *feature = NULL;
		for (size_t m = 0; m < features->count; m++)
			if (!strcmp(features->members[m].key, name))
				feature = &features->members[m].value;
		cr_assert_not_null(feature, "no \"%s\" in features", name);
		const struct json_value *available = json_get(feature, "available");
		const struct json_value *detail = json_get(feature, "detail");
		cr_assert(available && available->type == JSON_BOOL, "%s: no boolean \"available\"", name);
		cr_assert(detail && detail->type == JSON_STRING && detail->length, "%s: no \"detail\"", name);
		cr_expect_eq(available->boolean, reports[i].available, "%s: corral check --json disagrees", name);
	}
	const struct json_value *will_use = json_get(&root, "will-use");
	cr_assert(will_use && will_use->type == JSON_OBJECT, "no \"will-use\" object");
	static const char *const choices[] = {"backend", "sandbox", "dynamic-paging", "audit"};
	for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++) {
		const struct json_value *choice = json_get(will_use, choices[i]);
		cr_assert(choice && choice->type == JSON_OBJECT, "no \"%s\" in will-use", choices[i]);
		const struct json_value *pick = json_get(choice, "pick");
		cr_expect(pick && pick->type == JSON_STRING && pick->length, "%s: no \"pick\"", choices[i]);
	}
	json_free(&root);
	guest_result_free(&result);
}

Test(features, check_refuses_unknown_options_and_arguments)
{
	struct process_result result;
	run_check("--bogus", &result);
	cr_expect_eq(result.status, 2, "corral check --bogus exited %d", result.status);
	assert_contains(result.errors, "--bogus");
	assert_contains(result.errors, "usage: corral check");
	cr_expect_eq(result.length, 0, "printed a report anyway:\n%s", result.output);
	guest_result_free(&result);

	run_check("somefile", &result);
	cr_expect_eq(result.status, 2, "corral check somefile exited %d", result.status);
	assert_contains(result.errors, "somefile");
	guest_result_free(&result);
}
