/* Memory and process limits for sandbox workers, by cgroup: each worker
 * given a limit gets groups of its own below ours (host/cgroup.c), which
 * host/worker.c moves it into before it execs the zygote and removes when
 * it is gone. */
#ifndef HOST_CGROUP_H
#define HOST_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "corral.h"

struct host_cgroup;

/* Groups named corral-<our pid>-<n> with the limits set (0: none), in
 * every hierarchy that has a controller a limit needs; *cgroup stays NULL
 * when no limit is asked. An error says which limit cannot be had, and
 * why (no hierarchy has the controller, not root, ...). */
corral_result host_cgroup_create(struct host_cgroup **cgroup, uint64_t memory_limit, uint32_t pids_limit,
				 corral_error *error);

/* Moves process `pid` (all its threads) into the groups. */
corral_result host_cgroup_enter(const struct host_cgroup *cgroup, pid_t pid, corral_error *error);

/* Whether the memory group's OOM killer has killed something in it (v1:
 * memory.oom_control's oom_kill, or memory.failcnt where the kernel counts
 * no OOM kills; v2: memory.events' oom_kill). */
bool host_cgroup_out_of_memory(const struct host_cgroup *cgroup);

/* Removes the groups (their processes must be gone and reaped: a busy
 * group is retried for a moment, then left) and frees `cgroup`. NULL is
 * fine. */
void host_cgroup_remove(struct host_cgroup *cgroup);

#endif
