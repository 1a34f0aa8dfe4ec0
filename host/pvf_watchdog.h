/* The validation pipeline's watchdog: one thread that holds every running
 * job process to its CPU-time limit and to a wall-clock backstop, and
 * kills it (SIGKILL through a pidfd of its own) when it passes either.
 *
 * It never polls: a job that has used u of its CPU limit L cannot pass it
 * before L - u of wall time has gone by (a job process has one thread),
 * so the thread sleeps until the earliest such moment or wall deadline
 * over all jobs, and looks again. The job's own thread sees the kill as
 * the process's death, and asks the watch why. A running process's CPU
 * time is accounted at scheduler ticks, so a job is killed up to a tick
 * past its limit. */
#ifndef HOST_PVF_WATCHDOG_H
#define HOST_PVF_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "corral.h"

/* The backstop: a job that makes no progress (asleep, or starved of CPU)
 * is killed after this many times its CPU limit, plus the slack. */
#define HOST_PVF_WALL_FACTOR   4
#define HOST_PVF_WALL_SLACK_NS 2000000000ull

enum host_pvf_fired {
	HOST_PVF_FIRED_NONE = 0,
	HOST_PVF_FIRED_CPU,  /* it passed its CPU-time limit */
	HOST_PVF_FIRED_WALL, /* it passed the wall-clock backstop */
};

/* One job process under watch. cpu_limit_ns is set before the watch
 * starts and only raised (host_pvf_watch_raise) after; the rest is the
 * watchdog's. */
struct host_pvf_watch {
	uint64_t cpu_limit_ns;
	pid_t pid;
	int pidfd; /* ours: a duplicate, closed when the watch stops */
	uint64_t cpu_start_ns, cpu_used_ns;
	uint64_t wall_start_ns;
	enum host_pvf_fired fired;
	bool active;
	struct host_pvf_watch *next;
};

struct host_pvf_watchdog;

corral_result host_pvf_watchdog_new(struct host_pvf_watchdog **watchdog, corral_error *error);
/* No watch may be active. */
void host_pvf_watchdog_free(struct host_pvf_watchdog *watchdog);

/* Starts watching process `pid` (`pidfd` is duplicated): its CPU time
 * counts from now. */
corral_result host_pvf_watch_start(struct host_pvf_watchdog *watchdog, struct host_pvf_watch *watch, pid_t pid,
				   int pidfd, corral_error *error);
/* Raises the limit (never lowers it), watched or not yet. */
void host_pvf_watch_raise(struct host_pvf_watchdog *watchdog, struct host_pvf_watch *watch, uint64_t cpu_limit_ns);
/* Stops watching; says whether the watchdog killed the process, and the
 * CPU time it used (watch->cpu_used_ns). */
enum host_pvf_fired host_pvf_watch_stop(struct host_pvf_watchdog *watchdog, struct host_pvf_watch *watch);

/* The CPU time process `pid` has used in all, in ns; 0 when it is gone. */
uint64_t host_pvf_process_cpu_ns(pid_t pid);

#endif
