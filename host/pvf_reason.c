/* The pipeline's outcomes (host/pvf_reason.h, corral.h): names and classes
 * in one table, and job deaths in another. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include "host/pvf_reason.h"

static const struct {
	const char *name;
	corral_pvf_class class;
} reasons[CORRAL_PVF_REASON_COUNT] = {
	[CORRAL_PVF_OK] = {"ok", CORRAL_PVF_CLASS_NONE},
	[CORRAL_PVF_MALFORMED] = {"malformed", CORRAL_PVF_CLASS_PROGRAM},
	[CORRAL_PVF_TOO_LARGE] = {"too large", CORRAL_PVF_CLASS_PROGRAM},
	[CORRAL_PVF_PREPARE_OUT_OF_MEMORY] = {"prepare out of memory", CORRAL_PVF_CLASS_PROGRAM},
	[CORRAL_PVF_TRAP] = {"trap", CORRAL_PVF_CLASS_PROGRAM},
	[CORRAL_PVF_OUT_OF_GAS] = {"out of gas", CORRAL_PVF_CLASS_PROGRAM},
	[CORRAL_PVF_PAGE_FAULT] = {"page fault", CORRAL_PVF_CLASS_PROGRAM},
	[CORRAL_PVF_TIMEOUT] = {"timeout", CORRAL_PVF_CLASS_PROGRAM},
	[CORRAL_PVF_REJECTED] = {"rejected", CORRAL_PVF_CLASS_PROGRAM},
	[CORRAL_PVF_BAD_OUTPUT] = {"bad output", CORRAL_PVF_CLASS_PROGRAM},
	[CORRAL_PVF_BAD_HOST_CALL] = {"bad host call", CORRAL_PVF_CLASS_PROGRAM},
	[CORRAL_PVF_PREPARE_TIMEOUT] = {"prepare timeout", CORRAL_PVF_CLASS_PREPARE_TRANSIENT},
	[CORRAL_PVF_PREPARE_DIED] = {"prepare job died", CORRAL_PVF_CLASS_PREPARE_TRANSIENT},
	[CORRAL_PVF_OUT_OF_MEMORY] = {"out of memory", CORRAL_PVF_CLASS_EXECUTE_TRANSIENT},
	[CORRAL_PVF_SYSCALL_REFUSED] = {"syscall refused", CORRAL_PVF_CLASS_EXECUTE_TRANSIENT},
	[CORRAL_PVF_JOB_DIED] = {"job died", CORRAL_PVF_CLASS_EXECUTE_TRANSIENT},
	[CORRAL_PVF_RUNTIME_CONSTRUCTION] = {"runtime construction", CORRAL_PVF_CLASS_EXECUTE_TRANSIENT},
	[CORRAL_PVF_ARTIFACT_MISSING] = {"artifact missing", CORRAL_PVF_CLASS_LOCAL},
	[CORRAL_PVF_INTERNAL] = {"internal error", CORRAL_PVF_CLASS_LOCAL},
};

static const char *const verdicts[] = {
	[CORRAL_PVF_VALID] = "valid",
	[CORRAL_PVF_INVALID] = "invalid",
	[CORRAL_PVF_NO_VERDICT] = "no verdict",
};

static const char *const modes[] = {
	[CORRAL_PVF_PRECHECK] = "precheck",
	[CORRAL_PVF_BACKING] = "backing",
	[CORRAL_PVF_APPROVAL] = "approval",
};

const char *corral_pvf_reason_name(corral_pvf_reason reason)
{
	return reason < CORRAL_PVF_REASON_COUNT ? reasons[reason].name : "?";
}

corral_pvf_class corral_pvf_reason_class(corral_pvf_reason reason)
{
	return reason < CORRAL_PVF_REASON_COUNT ? reasons[reason].class : CORRAL_PVF_CLASS_LOCAL;
}

const char *corral_pvf_verdict_name(corral_pvf_verdict verdict)
{
	return verdict <= CORRAL_PVF_NO_VERDICT ? verdicts[verdict] : "?";
}

const char *corral_pvf_mode_name(corral_pvf_mode mode)
{
	return mode <= CORRAL_PVF_APPROVAL ? modes[mode] : "?";
}

/* ---- deaths ------------------------------------------------------------------ */

enum death {
	DEATH_CPU,     /* the watchdog, at the CPU-time limit */
	DEATH_WALL,    /* the watchdog, at the wall-clock backstop */
	DEATH_MEMORY,  /* its cgroup's OOM killer */
	DEATH_SECCOMP, /* SIGSYS: a system call the filter refuses */
	DEATH_OTHER,   /* killed from outside, a fault, an exit, a protocol violation */
	DEATH_COUNT,
};

/* A timeout in execution is the program's (it looped); in preparation it
 * may be the machine's (a busy one compiles slowly), hence retried later.
 * A job that hangs without using CPU is not the program's doing: its
 * code cannot sleep. */
static const corral_pvf_reason death_reasons[DEATH_COUNT][2] = {
	[DEATH_CPU] = {CORRAL_PVF_PREPARE_TIMEOUT, CORRAL_PVF_TIMEOUT},
	[DEATH_WALL] = {CORRAL_PVF_PREPARE_TIMEOUT, CORRAL_PVF_JOB_DIED},
	[DEATH_MEMORY] = {CORRAL_PVF_PREPARE_OUT_OF_MEMORY, CORRAL_PVF_OUT_OF_MEMORY},
	[DEATH_SECCOMP] = {CORRAL_PVF_PREPARE_DIED, CORRAL_PVF_SYSCALL_REFUSED},
	[DEATH_OTHER] = {CORRAL_PVF_PREPARE_DIED, CORRAL_PVF_JOB_DIED},
};

static enum death death_of(enum host_pvf_fired fired, const struct host_worker *worker)
{
	if (fired == HOST_PVF_FIRED_CPU)
		return DEATH_CPU;
	if (fired == HOST_PVF_FIRED_WALL)
		return DEATH_WALL;
	if (worker->dead && worker->out_of_memory)
		return DEATH_MEMORY;
	bool signalled = worker->dead && (worker->exit_code == CLD_KILLED || worker->exit_code == CLD_DUMPED);
	if (signalled && worker->exit_status == SIGSYS)
		return DEATH_SECCOMP;
	return DEATH_OTHER;
}

corral_pvf_reason host_pvf_death_reason(corral_pvf_job_kind kind, enum host_pvf_fired fired,
					const struct host_worker *worker)
{
	return death_reasons[death_of(fired, worker)][kind == CORRAL_PVF_EXECUTE_JOB];
}

void host_pvf_describe_death(corral_pvf_job_kind kind, enum host_pvf_fired fired, const struct host_worker *worker,
			     uint64_t cpu_limit_ns, char *buffer, size_t size)
{
	const char *job = kind == CORRAL_PVF_PREPARE_JOB ? "prepare job" : "execute job";
	unsigned long long limit_ms = (unsigned long long)(cpu_limit_ns / 1000000);
	if (fired == HOST_PVF_FIRED_CPU) {
		snprintf(buffer, size, "the %s (pid %d) passed its CPU-time limit of %llu ms and was killed", job,
			 (int)worker->pid, limit_ms);
		return;
	}
	if (fired == HOST_PVF_FIRED_WALL) {
		snprintf(buffer, size,
			 "the %s (pid %d) was still running after %llu ms of wall-clock time (the backstop for a CPU "
			 "limit of %llu ms) and was killed",
			 job, (int)worker->pid,
			 (unsigned long long)((HOST_PVF_WALL_FACTOR * cpu_limit_ns + HOST_PVF_WALL_SLACK_NS) / 1000000),
			 limit_ms);
		return;
	}
	char how[160];
	host_worker_describe_exit(worker, how, sizeof how);
	snprintf(buffer, size, "the %s (pid %d) %s", job, (int)worker->pid, how);
}

void host_pvf_printable(const char *text, size_t length, char *buffer, size_t size)
{
	size_t out = 0;
	for (size_t i = 0; i < length && out + 1 < size; i++) {
		char c = text[i];
		buffer[out++] = c >= 0x20 && c < 0x7f ? c : c == '\n' ? ' ' : '?';
	}
	while (out && buffer[out - 1] == ' ')
		out--;
	buffer[out] = 0;
}
