/* Memory and process limits by cgroup (host/cgroup.c) as an embedder meets
 * them: sandbox_memory_limit and sandbox_pids_limit in the engine config.
 * A guest that touches more memory than its worker may have is killed and
 * its run aborted, saying so; one that stays below runs as without a limit;
 * the worker sits in groups of its own that hold the asked values, one per
 * pooled worker, and no group outlives the engine. Asking for a limit where
 * no group can be made fails the engine with the reason.
 *
 * Making cgroups needs root (CI runs as root): elsewhere these tests skip. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/features.h"
#include "host/internal.h"
#include "host/pool.h"
#include "tests/raw_program.h"
#include "tests/support.h"

#define HALT "load_imm r0, -65536\njump_ind r0, 0\n"
#define DATA 0x20000u
#define MIB  (1ull << 20)

static void require_cgroups(void)
{
	support_require_sandbox();
	if (geteuid() != 0)
		cr_skip_test("cgroup limits need root to make groups (uid %u)", (unsigned)geteuid());
	struct host_feature_report reports[HOST_FEATURE_COUNT];
	host_features_probe(reports);
	if (!reports[HOST_FEATURE_CGROUP].available)
		cr_skip_test("cgroups cannot be used here: %s", reports[HOST_FEATURE_CGROUP].detail);
}

static corral_engine *limited_engine(uint64_t memory_limit, uint32_t pids_limit, uint32_t pool_size)
{
	corral_engine_config config;
	corral_engine_config_init(&config);
	config.backend = CORRAL_BACKEND_JIT;
	config.sandbox = CORRAL_SANDBOX_LINUX;
	config.sandbox_memory_limit = memory_limit;
	config.sandbox_pids_limit = pids_limit;
	config.sandbox_pool_size = pool_size;
	corral_engine *engine;
	corral_error error;
	cr_assert_eq(corral_engine_new(&config, &engine, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(corral_engine_sandbox(engine), CORRAL_SANDBOX_LINUX);
	return engine;
}

/* What touch_pages made, freed by touched_free. */
struct touched {
	corral_module *module;
	corral_instance *instance;
};

static void touched_free(struct touched *touched)
{
	corral_instance_free(touched->instance);
	corral_module_free(touched->module);
}

static const char *divergence(const struct touched *touched)
{
	const char *why = corral_instance_divergence(touched->instance);
	return why ? why : "(no reason)";
}

/* Maps `size` bytes read-write at DATA and runs a guest that stores to
 * every page of them. */
static corral_interrupt touch_pages(corral_engine *engine, uint64_t size, struct touched *out)
{
	char source[256];
	snprintf(source, sizeof source,
		 "load_imm r1, %u\nload_imm r2, %u\nfallthrough\n"
		 "loop:\nstore_ind_u64 r1, r1, 0\nadd_imm_64 r1, r1, 4096\nbranch_lt_u r1, r2, @loop\n" HALT,
		 DATA, (unsigned)(DATA + size));
	corral_module *module = support_module(engine, source, CORRAL_METERING_OFF);
	corral_instance *instance = support_instance(module, 0);
	corral_error error;
	cr_assert_eq(corral_instance_map(instance, DATA, size, CORRAL_PAGE_WRITE, &error), CORRAL_OK, "%s",
		     error.message);
	*out = (struct touched){module, instance};
	return corral_instance_run(instance);
}

/* The folder of the group a worker's groups are made in for `controller`. */
static void home_of(const char *controller, char *folder, size_t size, bool *v2)
{
	cr_assert(host_cgroup_home(controller, folder, size, v2), "no hierarchy has the %s controller", controller);
}

/* How many corral-<our pid>-* groups there are for `controller`. */
static int our_groups(const char *controller)
{
	char home[PATH_MAX], prefix[64];
	bool v2;
	home_of(controller, home, sizeof home, &v2);
	snprintf(prefix, sizeof prefix, "corral-%ld-", (long)getpid());
	DIR *folder = opendir(home);
	cr_assert_not_null(folder, "cannot open %s", home);
	int count = 0;
	for (struct dirent *entry; (entry = readdir(folder));)
		count += !strncmp(entry->d_name, prefix, strlen(prefix));
	closedir(folder);
	return count;
}

/* The group of process `pid` in the hierarchy with `controller` (v2: the
 * unified one), as /proc/<pid>/cgroup shows it to us. */
static void group_of(pid_t pid, const char *controller, bool v2, char *group, size_t size)
{
	char path[64], line[1024];
	snprintf(path, sizeof path, "/proc/%ld/cgroup", (long)pid);
	FILE *file = fopen(path, "re");
	cr_assert_not_null(file, "cannot open %s", path);
	bool found = false;
	while (!found && fgets(line, sizeof line, file)) {
		line[strcspn(line, "\n")] = 0;
		char *controllers = strchr(line, ':');
		char *name = controllers ? strchr(controllers + 1, ':') : NULL;
		if (!name)
			continue;
		*name++ = 0;
		controllers++;
		if (v2) {
			found = !strcmp(line, "0") && !*controllers;
		} else {
			char *save = NULL;
			for (char *item = strtok_r(controllers, ",", &save); item && !found;
			     item = strtok_r(NULL, ",", &save))
				found = !strcmp(item, controller);
		}
		if (found)
			snprintf(group, size, "%s", name);
	}
	fclose(file);
	cr_assert(found, "%s names no group for %s", path, controller);
}

/* The worker's group for `controller` is one of ours; *folder is its
 * folder. */
static void assert_in_own_group(pid_t pid, const char *controller, char *folder, size_t size)
{
	char home[PATH_MAX], group[PATH_MAX], prefix[64];
	bool v2;
	home_of(controller, home, sizeof home, &v2);
	group_of(pid, controller, v2, group, sizeof group);
	const char *last = strrchr(group, '/');
	last = last ? last + 1 : group;
	snprintf(prefix, sizeof prefix, "corral-%ld-", (long)getpid());
	cr_assert(!strncmp(last, prefix, strlen(prefix)), "the worker's %s group is %s, not one of %s*", controller,
		  group, prefix);
	snprintf(folder, size, "%s/%s", home, last);
}

static uint64_t read_value(const char *folder, const char *name)
{
	char path[2 * PATH_MAX], text[64] = "";
	snprintf(path, sizeof path, "%s/%s", folder, name);
	FILE *file = fopen(path, "re");
	cr_assert_not_null(file, "cannot open %s", path);
	cr_assert_not_null(fgets(text, sizeof text, file), "cannot read %s", path);
	fclose(file);
	return strtoull(text, NULL, 10);
}

Test(cgroup, a_guest_that_touches_more_than_its_memory_limit_is_aborted_out_of_memory)
{
	require_cgroups();
	corral_engine *engine = limited_engine(64 * MIB, 0, 1);
	struct touched touched;
	corral_interrupt stop = touch_pages(engine, 512 * MIB, &touched);
	cr_assert_eq(stop.kind, CORRAL_ABORTED, "%s", corral_interrupt_name(stop.kind));
	cr_assert(corral_instance_aborted(touched.instance));
	cr_assert(strstr(divergence(&touched), "out of memory (its cgroup's memory limit of 64 MiB)"), "%s",
		  divergence(&touched));
	touched_free(&touched);
	corral_engine_free(engine);
	cr_assert_eq(our_groups("memory"), 0, "the groups went with the engine");
}

Test(cgroup, a_guest_below_its_memory_limit_runs_as_without_one)
{
	require_cgroups();
	corral_engine *engine = limited_engine(64 * MIB, 0, 1);
	struct touched touched;
	corral_interrupt stop = touch_pages(engine, 16 * MIB, &touched);
	cr_assert_eq(stop.kind, CORRAL_FINISHED, "%s (%s)", corral_interrupt_name(stop.kind), divergence(&touched));
	touched_free(&touched);
	corral_engine_free(engine);
}

Test(cgroup, without_a_limit_the_same_guest_touches_more_and_finishes)
{
	support_require_sandbox();
	corral_engine *engine = limited_engine(0, 0, 1);
	struct touched touched;
	corral_interrupt stop = touch_pages(engine, 96 * MIB, &touched);
	cr_assert_eq(stop.kind, CORRAL_FINISHED, "%s (%s)", corral_interrupt_name(stop.kind), divergence(&touched));
	cr_assert_null(touched.instance->worker->process.cgroup, "no limit, no group");
	touched_free(&touched);
	corral_engine_free(engine);
}

/* The zygote is one process and makes no other: a limit of one task is
 * enough to start it and run code. */
Test(cgroup, a_worker_runs_in_groups_of_its_own_that_hold_the_asked_limits)
{
	require_cgroups();
	corral_engine *engine = limited_engine(64 * MIB, 1, 1);
	corral_module *module = support_module(engine, "load_imm r7, 42\n" HALT, CORRAL_METERING_OFF);
	corral_instance *instance = support_instance(module, 0);
	cr_assert_eq(corral_instance_run(instance).kind, CORRAL_FINISHED, "%s", corral_instance_divergence(instance));
	cr_assert_eq(corral_instance_reg(instance, 7), 42);
	pid_t pid = instance->worker->process.pid;
	char folder[2 * PATH_MAX];
	char home[PATH_MAX];
	bool v2;
	assert_in_own_group(pid, "pids", folder, sizeof folder);
	cr_assert_eq(read_value(folder, "pids.max"), 1, "pids.max in %s", folder);
	cr_assert_eq(read_value(folder, "pids.current"), 1, "the zygote alone, in %s", folder);
	assert_in_own_group(pid, "memory", folder, sizeof folder);
	home_of("memory", home, sizeof home, &v2);
	const char *limit_file = v2 ? "memory.max" : "memory.limit_in_bytes";
	cr_assert_eq(read_value(folder, limit_file), 64 * MIB, "%s in %s", limit_file, folder);
	if (!v2) {
		char memsw[2 * PATH_MAX + 32];
		snprintf(memsw, sizeof memsw, "%s/memory.memsw.limit_in_bytes", folder);
		if (access(memsw, F_OK) == 0)
			cr_assert_eq(read_value(folder, "memory.memsw.limit_in_bytes"), 64 * MIB,
				     "swap does not dodge the limit");
	}
	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine);
	cr_assert_eq(our_groups("memory"), 0, "no memory group outlives the engine");
	cr_assert_eq(our_groups("pids"), 0, "no pids group outlives the engine");
}

Test(cgroup, each_pooled_worker_gets_its_own_groups_and_none_outlives_the_engine)
{
	require_cgroups();
	corral_engine *engine = limited_engine(64 * MIB, 4, 3);
	bool v2;
	char home[PATH_MAX];
	home_of("memory", home, sizeof home, &v2);
	cr_assert_eq(our_groups("memory"), 3, "three workers, three memory groups");
	if (!v2)
		cr_assert_eq(our_groups("pids"), 3, "three workers, three pids groups (v1)");
	corral_engine_free(engine);
	cr_assert_eq(our_groups("memory"), 0);
	cr_assert_eq(our_groups("pids"), 0);
}

/* Root can stand in for a user who may make no cgroup: a child of the test
 * that becomes nobody asks for an engine with a memory limit. */
Test(cgroup, a_limit_where_no_group_can_be_made_fails_the_engine_saying_why)
{
	require_cgroups();
	int pipe_fds[2];
	cr_assert_eq(pipe(pipe_fds), 0);
	pid_t child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		close(pipe_fds[0]);
		char message[sizeof((corral_error *)0)->message + 16] = "";
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) {
			snprintf(message, sizeof message, "cannot become nobody");
		} else {
			corral_engine_config config;
			corral_engine_config_init(&config);
			config.backend = CORRAL_BACKEND_JIT;
			config.sandbox = CORRAL_SANDBOX_LINUX;
			config.sandbox_memory_limit = 64 * MIB;
			corral_engine *engine;
			corral_error error;
			corral_result result = corral_engine_new(&config, &engine, &error);
			snprintf(message, sizeof message, "%d %s", (int)result,
				 result == CORRAL_OK ? "(made)" : error.message);
		}
		ssize_t wrote = write(pipe_fds[1], message, strlen(message));
		_exit(wrote < 0);
	}
	close(pipe_fds[1]);
	char message[1024] = "";
	ssize_t got = read(pipe_fds[0], message, sizeof message - 1);
	close(pipe_fds[0]);
	int status;
	waitpid(child, &status, 0);
	cr_assert_gt(got, 0, "the child said nothing");
	message[got] = 0;
	cr_assert(strstr(message, "cannot limit a sandbox worker's memory (sandbox_memory_limit) by cgroup: mkdir ") &&
			  strstr(message,
				 "Permission denied (making cgroups needs root, or a group delegated to this user)"),
		  "%s", message);
	cr_assert_eq(atoi(message), CORRAL_ERROR_SYSTEM, "%s", message);
}
