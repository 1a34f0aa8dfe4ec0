/* The pipeline's watchdog (host/pvf_watchdog.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "host/internal.h"
#include "host/pvf_watchdog.h"

/* A look at least this often, so that a raised limit or a clock that
 * reads late never leaves a job unwatched for long. */
#define LONGEST_SLEEP_NS 1000000000ull

struct host_pvf_watchdog {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* a watch came or went, or the end */
	pthread_t thread;
	struct host_pvf_watch *watches;
	bool stopping;
};

static uint64_t monotonic_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

uint64_t host_pvf_process_cpu_ns(pid_t pid)
{
	clockid_t clock;
	struct timespec used;
	if (clock_getcpuclockid(pid, &clock) || clock_gettime(clock, &used))
		return 0;
	return (uint64_t)used.tv_sec * 1000000000ull + (uint64_t)used.tv_nsec;
}

static uint64_t wall_limit(const struct host_pvf_watch *watch)
{
	return HOST_PVF_WALL_FACTOR * watch->cpu_limit_ns + HOST_PVF_WALL_SLACK_NS;
}

/* Kills what passed a limit; returns how long until one could next pass. */
static uint64_t look(struct host_pvf_watchdog *watchdog)
{
	uint64_t now = monotonic_ns(), next = LONGEST_SLEEP_NS;
	for (struct host_pvf_watch *watch = watchdog->watches; watch; watch = watch->next) {
		if (watch->fired)
			continue;
		uint64_t total = host_pvf_process_cpu_ns(watch->pid);
		if (total >= watch->cpu_start_ns)
			watch->cpu_used_ns = total - watch->cpu_start_ns;
		uint64_t wall = now - watch->wall_start_ns;
		if (watch->cpu_used_ns > watch->cpu_limit_ns)
			watch->fired = HOST_PVF_FIRED_CPU;
		else if (wall > wall_limit(watch))
			watch->fired = HOST_PVF_FIRED_WALL;
		if (watch->fired) {
			syscall(SYS_pidfd_send_signal, watch->pidfd, SIGKILL, NULL, 0);
			continue;
		}
		uint64_t cpu_left = watch->cpu_limit_ns - watch->cpu_used_ns, wall_left = wall_limit(watch) - wall;
		uint64_t left = cpu_left < wall_left ? cpu_left : wall_left;
		if (left < next)
			next = left;
	}
	return next;
}

static void *watch_loop(void *argument)
{
	struct host_pvf_watchdog *watchdog = argument;
	pthread_mutex_lock(&watchdog->lock);
	while (!watchdog->stopping) {
		/* Past the moment, by a little: the CPU clock must have moved. */
		uint64_t until = monotonic_ns() + look(watchdog) + 100000;
		struct timespec deadline = {.tv_sec = (time_t)(until / 1000000000ull),
					    .tv_nsec = (long)(until % 1000000000ull)};
		pthread_cond_timedwait(&watchdog->wake, &watchdog->lock, &deadline);
	}
	pthread_mutex_unlock(&watchdog->lock);
	return NULL;
}

corral_result host_pvf_watchdog_new(struct host_pvf_watchdog **out, corral_error *error)
{
	struct host_pvf_watchdog *watchdog = calloc(1, sizeof *watchdog);
	if (!watchdog)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "cannot allocate the pipeline's watchdog");
	pthread_condattr_t attributes;
	pthread_condattr_init(&attributes);
	pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
	pthread_mutex_init(&watchdog->lock, NULL);
	pthread_cond_init(&watchdog->wake, &attributes);
	pthread_condattr_destroy(&attributes);
	int started = pthread_create(&watchdog->thread, NULL, watch_loop, watchdog);
	if (started) {
		pthread_cond_destroy(&watchdog->wake);
		pthread_mutex_destroy(&watchdog->lock);
		free(watchdog);
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot start the pipeline's watchdog thread: %s",
				 strerror(started));
	}
	*out = watchdog;
	return CORRAL_OK;
}

void host_pvf_watchdog_free(struct host_pvf_watchdog *watchdog)
{
	if (!watchdog)
		return;
	pthread_mutex_lock(&watchdog->lock);
	watchdog->stopping = true;
	pthread_cond_signal(&watchdog->wake);
	pthread_mutex_unlock(&watchdog->lock);
	pthread_join(watchdog->thread, NULL);
	pthread_cond_destroy(&watchdog->wake);
	pthread_mutex_destroy(&watchdog->lock);
	free(watchdog);
}

corral_result host_pvf_watch_start(struct host_pvf_watchdog *watchdog, struct host_pvf_watch *watch, pid_t pid,
				   int pidfd, corral_error *error)
{
	int own = fcntl(pidfd, F_DUPFD_CLOEXEC, 0);
	if (own < 0)
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot watch job process %d: %s", (int)pid,
				 strerror(errno));
	pthread_mutex_lock(&watchdog->lock);
	watch->pid = pid;
	watch->pidfd = own;
	watch->cpu_start_ns = host_pvf_process_cpu_ns(pid);
	watch->cpu_used_ns = 0;
	watch->wall_start_ns = monotonic_ns();
	watch->fired = HOST_PVF_FIRED_NONE;
	watch->active = true;
	watch->next = watchdog->watches;
	watchdog->watches = watch;
	pthread_cond_signal(&watchdog->wake);
	pthread_mutex_unlock(&watchdog->lock);
	return CORRAL_OK;
}

void host_pvf_watch_raise(struct host_pvf_watchdog *watchdog, struct host_pvf_watch *watch, uint64_t cpu_limit_ns)
{
	pthread_mutex_lock(&watchdog->lock);
	if (cpu_limit_ns > watch->cpu_limit_ns)
		watch->cpu_limit_ns = cpu_limit_ns;
	pthread_mutex_unlock(&watchdog->lock);
}

enum host_pvf_fired host_pvf_watch_stop(struct host_pvf_watchdog *watchdog, struct host_pvf_watch *watch)
{
	pthread_mutex_lock(&watchdog->lock);
	for (struct host_pvf_watch **at = &watchdog->watches; *at; at = &(*at)->next)
		if (*at == watch) {
			*at = watch->next;
			break;
		}
	if (!watch->fired) {
		uint64_t total = host_pvf_process_cpu_ns(watch->pid);
		if (total >= watch->cpu_start_ns)
			watch->cpu_used_ns = total - watch->cpu_start_ns;
	}
	watch->active = false;
	close(watch->pidfd);
	watch->pidfd = -1;
	enum host_pvf_fired fired = watch->fired;
	pthread_mutex_unlock(&watchdog->lock);
	return fired;
}
