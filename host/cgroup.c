/* Memory and process limits for sandbox workers, by cgroup (host/cgroup.h).
 *
 * A worker given a limit gets a group of its own, corral-<our pid>-<n>,
 * below our own group in each hierarchy that has a controller the limit
 * needs: where cgroups are hybrid (memory and pids on v1) one group per
 * hierarchy, on a pure v2 system one group in the unified hierarchy, with
 * the controllers enabled in our group's subtree_control. host/features.c
 * says where (host_cgroup_home), as `corral check` reports it. The host
 * moves the cloned child in before it lets it exec the zygote, so that all
 * the zygote ever maps is charged there (CLONE_INTO_CGROUP would do it in
 * the clone, but only on v2).
 *
 * The memory limit holds for swap too (v1 memory.memsw.limit_in_bytes, v2
 * memory.swap.max 0), and the OOM killer stays on: a zygote that touches
 * more than its limit is killed with SIGKILL, and the group's OOM-kill
 * count tells that death from others. Guest memory is a memfd the host maps
 * too: the pages the zygote touches are charged to its group, those the
 * host writes (corral_instance_write) to ours. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host/cgroup.h"
#include "host/features.h"
#include "host/internal.h"

/* A group whose last process was just reaped can be busy a moment more. */
#define REMOVE_TRIES    200
#define REMOVE_PAUSE_NS 1000000L

enum controller { MEMORY, PIDS, CONTROLLERS };

static const char *const controller_names[CONTROLLERS] = {"memory", "pids"};

/* What each limit limits, for the errors. */
static const char *const limit_names[CONTROLLERS] = {
	[MEMORY] = "memory (sandbox_memory_limit)",
	[PIDS] = "tasks (sandbox_pids_limit)",
};

struct group {
	char path[PATH_MAX];
	bool v2;
};

struct host_cgroup {
	struct group groups[CONTROLLERS]; /* one per hierarchy: v2 has both controllers in one */
	size_t count;
	int memory; /* the group with the memory controller, or -1 */
};

static unsigned next_number;

/* Writes `text` to folder/name: 0 or the errno. */
static int write_file(const char *folder, const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", folder, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	ssize_t wrote = write(fd, text, strlen(text));
	int problem = wrote == (ssize_t)strlen(text) ? 0 : wrote < 0 ? errno : EIO;
	close(fd);
	return problem;
}

static bool file_exists(const char *folder, const char *name)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", folder, name);
	return access(path, F_OK) == 0;
}

/* The number after `key` on a "key value" line of folder/name, or the
 * file's first number when key is NULL. */
static bool read_number(const char *folder, const char *name, const char *key, uint64_t *value)
{
	char path[PATH_MAX + 64], line[256];
	snprintf(path, sizeof path, "%s/%s", folder, name);
	FILE *file = fopen(path, "re");
	bool found = false;
	size_t length = key ? strlen(key) : 0;
	while (!found && file && fgets(line, sizeof line, file)) {
		if (key && (strncmp(line, key, length) || line[length] != ' '))
			continue;
		found = sscanf(line + length, " %" SCNu64, value) == 1;
	}
	if (file)
		fclose(file);
	return found;
}

static bool list_has(const char *folder, const char *name, const char *word)
{
	char path[PATH_MAX + 64], list[1024];
	snprintf(path, sizeof path, "%s/%s", folder, name);
	FILE *file = fopen(path, "re");
	bool got = file && fgets(list, sizeof list, file);
	if (file)
		fclose(file);
	char *save = NULL;
	for (char *item = got ? strtok_r(list, " \n", &save) : NULL; item; item = strtok_r(NULL, " \n", &save))
		if (!strcmp(item, word))
			return true;
	return false;
}

static const char *permission_hint(int problem)
{
	return problem == EACCES || problem == EPERM || problem == EROFS
		       ? " (making cgroups needs root, or a group delegated to this user)"
		       : "";
}

static corral_result cannot(corral_error *error, enum controller controller, const char *what, const char *path,
			    int problem, const char *hint)
{
	return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot limit a sandbox worker's %s by cgroup: %s %s: %s%s",
			 limit_names[controller], what, path, strerror(problem), hint);
}

/* A v2 group's children get only the controllers its subtree_control
 * enables; a group that is not the root and has processes of its own may
 * enable none (the "no internal processes" rule). */
static corral_result enable_v2(const char *home, enum controller controller, corral_error *error)
{
	const char *name = controller_names[controller];
	if (list_has(home, "cgroup.subtree_control", name))
		return CORRAL_OK;
	char path[PATH_MAX + 64], plus[16];
	snprintf(path, sizeof path, "%s/cgroup.subtree_control", home);
	if (!list_has(home, "cgroup.controllers", name))
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "cannot limit a sandbox worker's %s by cgroup: the %s controller is not available "
				 "in %s (not in its cgroup.controllers)",
				 limit_names[controller], name, home);
	snprintf(plus, sizeof plus, "+%s", name);
	int problem = write_file(home, "cgroup.subtree_control", plus);
	if (!problem)
		return CORRAL_OK;
	return cannot(error, controller, "cannot enable the controller in", path, problem,
		      problem == EBUSY ? " (a v2 group with processes of its own cannot enable controllers for "
					 "groups below it: run the host in a group of its own)"
				       : permission_hint(problem));
}

/* The group for `controller`: one made already in the same hierarchy (v2),
 * or a new one. */
static corral_result find_group(struct host_cgroup *cgroup, enum controller controller, unsigned number,
				struct group **out, corral_error *error)
{
	char home[PATH_MAX], path[PATH_MAX];
	bool v2;
	if (!host_cgroup_home(controller_names[controller], home, sizeof home, &v2))
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "cannot limit a sandbox worker's %s by cgroup: no mounted cgroup hierarchy has the %s "
				 "controller",
				 limit_names[controller], controller_names[controller]);
	if (v2) {
		corral_result result = enable_v2(home, controller, error);
		if (result != CORRAL_OK)
			return result;
	}
	if ((size_t)snprintf(path, sizeof path, "%s/corral-%ld-%u", home, (long)getpid(), number) >= sizeof path)
		return cannot(error, controller, "cannot make a group in", home, ENAMETOOLONG, "");
	for (size_t i = 0; i < cgroup->count; i++)
		if (!strcmp(cgroup->groups[i].path, path)) {
			*out = &cgroup->groups[i];
			return CORRAL_OK;
		}
	int made = mkdir(path, 0700);
	/* Left behind by an earlier process that had our pid and died
	 * before it could remove it: empty, so it goes. */
	if (made && errno == EEXIST && !rmdir(path))
		made = mkdir(path, 0700);
	if (made) {
		int problem = errno;
		return cannot(error, controller, "mkdir", path, problem, permission_hint(problem));
	}
	struct group *group = &cgroup->groups[cgroup->count++];
	memcpy(group->path, path, sizeof path);
	group->v2 = v2;
	*out = group;
	return CORRAL_OK;
}

static corral_result set(const struct group *group, enum controller controller, const char *name, const char *value,
			 corral_error *error)
{
	int problem = write_file(group->path, name, value);
	if (!problem)
		return CORRAL_OK;
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", group->path, name);
	return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot limit a sandbox worker's %s by cgroup: write %s to %s: %s",
			 limit_names[controller], value, path, strerror(problem));
}

static corral_result set_memory(const struct group *group, const char *limit, corral_error *error)
{
	if (group->v2) {
		corral_result result = set(group, MEMORY, "memory.max", limit, error);
		if (result == CORRAL_OK && file_exists(group->path, "memory.swap.max"))
			result = set(group, MEMORY, "memory.swap.max", "0", error);
		return result;
	}
	/* memsw (memory + swap) may not be below the memory limit: set second. */
	corral_result result = set(group, MEMORY, "memory.limit_in_bytes", limit, error);
	if (result == CORRAL_OK && file_exists(group->path, "memory.memsw.limit_in_bytes"))
		result = set(group, MEMORY, "memory.memsw.limit_in_bytes", limit, error);
	/* A new v1 group inherits its parent's oom_kill_disable; with it set,
	 * a worker at its limit would hang rather than die. */
	uint64_t disabled = 0;
	if (result == CORRAL_OK && read_number(group->path, "memory.oom_control", "oom_kill_disable", &disabled) &&
	    disabled)
		result = set(group, MEMORY, "memory.oom_control", "0", error);
	return result;
}

corral_result host_cgroup_create(struct host_cgroup **out, uint64_t memory_limit, uint32_t pids_limit,
				 corral_error *error)
{
	*out = NULL;
	if (!memory_limit && !pids_limit)
		return CORRAL_OK;
	struct host_cgroup *cgroup = calloc(1, sizeof *cgroup);
	if (!cgroup)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "cannot allocate a sandbox worker's cgroups");
	cgroup->memory = -1;
	unsigned number = __atomic_fetch_add(&next_number, 1, __ATOMIC_RELAXED);
	const uint64_t limits[CONTROLLERS] = {[MEMORY] = memory_limit, [PIDS] = pids_limit};
	corral_result result = CORRAL_OK;
	for (int controller = 0; controller < CONTROLLERS && result == CORRAL_OK; controller++) {
		if (!limits[controller])
			continue;
		struct group *group;
		char value[32];
		snprintf(value, sizeof value, "%" PRIu64, limits[controller]);
		result = find_group(cgroup, (enum controller)controller, number, &group, error);
		if (result == CORRAL_OK && controller == MEMORY) {
			cgroup->memory = (int)(group - cgroup->groups);
			result = set_memory(group, value, error);
		} else if (result == CORRAL_OK) {
			result = set(group, PIDS, "pids.max", value, error);
		}
	}
	if (result != CORRAL_OK) {
		host_cgroup_remove(cgroup);
		return result;
	}
	*out = cgroup;
	return CORRAL_OK;
}

corral_result host_cgroup_enter(const struct host_cgroup *cgroup, pid_t pid, corral_error *error)
{
	char text[32];
	snprintf(text, sizeof text, "%ld", (long)pid);
	for (size_t i = 0; cgroup && i < cgroup->count; i++) {
		int problem = write_file(cgroup->groups[i].path, "cgroup.procs", text);
		if (problem)
			return host_fail(error, CORRAL_ERROR_SYSTEM,
					 "cannot move a sandbox worker (pid %ld) into its cgroup %s: %s", (long)pid,
					 cgroup->groups[i].path, strerror(problem));
	}
	return CORRAL_OK;
}

bool host_cgroup_out_of_memory(const struct host_cgroup *cgroup)
{
	if (!cgroup || cgroup->memory < 0)
		return false;
	const struct group *group = &cgroup->groups[cgroup->memory];
	uint64_t count = 0;
	if (read_number(group->path, group->v2 ? "memory.events" : "memory.oom_control", "oom_kill", &count))
		return count > 0;
	/* Before Linux 4.13 v1 counts no OOM kills: that the group ever hit
	 * its limit is the best sign left. */
	return !group->v2 && read_number(group->path, "memory.failcnt", NULL, &count) && count > 0;
}

void host_cgroup_remove(struct host_cgroup *cgroup)
{
	if (!cgroup)
		return;
	for (size_t i = 0; i < cgroup->count; i++) {
		const struct timespec pause = {.tv_nsec = REMOVE_PAUSE_NS};
		for (int tries = 0; rmdir(cgroup->groups[i].path) && errno == EBUSY && tries < REMOVE_TRIES; tries++)
			nanosleep(&pause, NULL);
	}
	free(cgroup);
}
