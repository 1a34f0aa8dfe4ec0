/* Prepare jobs (host/pvf_prepare.h). The request goes into the job's guest
 * memory through our mapping of it, the job is woken through the control
 * block's `submitted` futex, and its answer is awaited on `completed`
 * exactly as a zygote's (host_ring_wait_word: the futex, the pidfd), with
 * no limit of its own: the watchdog enforces the job's. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/internal.h"
#include "host/pvf_prepare.h"
#include "host/pvf_reason.h"
#include "host/ring_client.h"

#ifndef P_PIDFD
#define P_PIDFD 3 /* Linux 5.4 */
#endif

corral_result host_pvf_preparer_spawn(struct host_pvf_preparer *preparer, const struct host_worker_options *options)
{
	if (preparer->alive)
		return CORRAL_OK;
	corral_result result = host_worker_spawn(&preparer->worker, options, &preparer->spawn_error);
	preparer->alive = result == CORRAL_OK;
	return result;
}

void host_pvf_preparer_kill(struct host_pvf_preparer *preparer)
{
	if (preparer->alive)
		host_worker_kill(&preparer->worker);
	preparer->alive = false;
}

void host_pvf_prepare_outcome_free(struct host_pvf_prepare_outcome *outcome)
{
	free(outcome->owned);
	outcome->owned = NULL;
	outcome->code = (struct host_pvf_code){0};
}

static uint64_t round_up(uint64_t value, uint64_t unit)
{
	return (value + unit - 1) / unit * unit;
}

static void say(struct host_pvf_prepare_outcome *outcome, corral_pvf_reason reason, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct host_pvf_prepare_outcome *outcome, corral_pvf_reason reason, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vsnprintf(outcome->message, sizeof outcome->message, format, args);
	va_end(args);
	outcome->reason = reason;
}

/* Lays the request out in the job's memory; false (outcome said why) when
 * the program cannot fit below the arena. */
static bool write_request(struct host_pvf_preparer *preparer, const struct host_pvf_prepare_input *input,
			  struct host_pvf_prepare_outcome *outcome)
{
	uint64_t cost_offset = round_up(input->blob_length, 8);
	uint64_t input_end = PREPARE_INPUT_ADDRESS + cost_offset + input->cost_count * sizeof *input->costs;
	uint64_t arena_start = round_up(input_end + 1, PREPARE_ARENA_ALIGN);
	if (input->blob_length > PREPARE_ARENA_END / 2 || input->cost_count > PREPARE_ARENA_END / 64 ||
	    arena_start >= PREPARE_ARENA_END) {
		say(outcome, CORRAL_PVF_TOO_LARGE, "its code (%zu bytes) does not fit a prepare job's memory",
		    input->blob_length);
		return false;
	}
	uint64_t limit = input->arena_limit;
	if (limit > PREPARE_ARENA_END - arena_start)
		limit = PREPARE_ARENA_END - arena_start;
	uint8_t *guest = preparer->worker.guest;
	memcpy(guest + PREPARE_INPUT_ADDRESS, input->blob, input->blob_length);
	memcpy(guest + PREPARE_INPUT_ADDRESS + cost_offset, input->costs, input->cost_count * sizeof *input->costs);
	struct prepare_header header = {
		.magic = PREPARE_MAGIC,
		.version = PREPARE_VERSION,
		.isa = input->isa,
		.gas_model = input->gas_model,
		.metering = input->metering,
		.blob_length = input->blob_length,
		.cost_offset = cost_offset,
		.cost_count = input->cost_count,
		.arena_start = arena_start,
		.arena_limit = limit,
		.attack = input->attack,
	};
	memcpy(guest + PREPARE_HEADER_ADDRESS, &header, sizeof header);
	return true;
}

/* Wakes the job: the counter first, the flag second (the job sets its flag
 * first and looks at the counter second). */
static void submit(struct zygote_control *control)
{
	__atomic_store_n(&control->submitted, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&control->zygote_waiting, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &control->submitted, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Whether [address, address + length) lies in the arena. */
static bool in_arena(const struct prepare_header *header, uint64_t address, uint64_t length)
{
	return address >= header->arena_start && length <= header->arena_limit &&
	       address - header->arena_start <= header->arena_limit - length;
}

/* Copies the code and its tables out of the job's memory, after checking
 * that everything the job points at is inside its arena. */
static void take_code(struct host_pvf_preparer *preparer, const struct prepare_header *header,
		      struct host_pvf_prepare_outcome *outcome)
{
	uint64_t sites = (uint64_t)header->site_count * sizeof(struct prepare_site);
	uint64_t jumps = (uint64_t)header->jump_count * 4;
	if (header->code_size == 0 || !in_arena(header, header->code_address, header->code_size) ||
	    !in_arena(header, header->sites_address, sites) || !in_arena(header, header->jump_offsets_address, jumps)) {
		say(outcome, CORRAL_PVF_PREPARE_DIED,
		    "the prepare job (pid %d) answered with code or tables outside its memory", (int)outcome->pid);
		return;
	}
	outcome->owned = malloc(header->code_size + sites + jumps);
	if (!outcome->owned) {
		say(outcome, CORRAL_PVF_INTERNAL, "no memory for %llu bytes of compiled code",
		    (unsigned long long)header->code_size);
		return;
	}
	const uint8_t *guest = preparer->worker.guest;
	uint8_t *at = outcome->owned;
	memcpy(at, guest + header->code_address, header->code_size);
	memcpy(at + header->code_size, guest + header->sites_address, sites);
	memcpy(at + header->code_size + sites, guest + header->jump_offsets_address, jumps);
	outcome->code = (struct host_pvf_code){
		.code = at,
		.code_size = header->code_size,
		.sites = (const struct prepare_site *)(at + header->code_size),
		.site_count = header->site_count,
		.jump_offsets = at + header->code_size + sites,
		.jump_count = header->jump_count,
		.enter_offset = header->enter_offset,
		.fault_offset = header->fault_offset,
		.cold_offset = header->cold_offset,
		.instruction_count = header->instruction_count,
	};
	outcome->reason = CORRAL_PVF_OK;
}

/* What each status the job may claim means; a claim of failure is taken
 * as the program's (the job may lie, but never into a local problem). */
static const corral_pvf_reason status_reasons[PREPARE_STATUS_COUNT] = {
	[PREPARE_STATUS_NONE] = CORRAL_PVF_PREPARE_DIED,
	[PREPARE_STATUS_OK] = CORRAL_PVF_OK,
	[PREPARE_STATUS_MALFORMED] = CORRAL_PVF_MALFORMED,
	[PREPARE_STATUS_TOO_LARGE] = CORRAL_PVF_TOO_LARGE,
	[PREPARE_STATUS_OUT_OF_MEMORY] = CORRAL_PVF_PREPARE_OUT_OF_MEMORY,
};

static void read_answer(struct host_pvf_preparer *preparer, struct host_pvf_prepare_outcome *outcome)
{
	struct prepare_header header;
	memcpy(&header, preparer->worker.guest + PREPARE_HEADER_ADDRESS, sizeof header);
	if (header.status >= PREPARE_STATUS_COUNT || header.status == PREPARE_STATUS_NONE) {
		say(outcome, CORRAL_PVF_PREPARE_DIED, "the prepare job (pid %d) answered with status %u",
		    (int)outcome->pid, header.status);
		return;
	}
	if (header.status == PREPARE_STATUS_OK) {
		take_code(preparer, &header, outcome);
		return;
	}
	char why[sizeof header.message + 1];
	uint32_t length = header.message_length < sizeof header.message ? header.message_length : sizeof header.message;
	host_pvf_printable(header.message, length, why, sizeof why);
	corral_pvf_reason reason = status_reasons[header.status];
	if (reason == CORRAL_PVF_PREPARE_OUT_OF_MEMORY)
		say(outcome, reason, "compiling it needs more than the prepare job's %llu MiB",
		    (unsigned long long)(header.arena_limit >> 20));
	else
		say(outcome, reason, "%s", why);
}

/* A running process's CPU time is accounted at scheduler ticks; a dead
 * one's is exact. Kills the job (it is done) and reads its time while it
 * is a zombie, before host_worker_kill reaps it. */
static void account_final(struct host_worker *worker, const struct host_pvf_watch *watch,
			  struct host_pvf_prepare_outcome *outcome)
{
	siginfo_t info;
	if (syscall(SYS_pidfd_send_signal, worker->pidfd, SIGKILL, NULL, 0) ||
	    waitid((idtype_t)P_PIDFD, (id_t)worker->pidfd, &info, WEXITED | WNOWAIT | __WALL))
		return;
	uint64_t total = host_pvf_process_cpu_ns(worker->pid);
	if (total > watch->cpu_start_ns + outcome->cpu_ns)
		outcome->cpu_ns = total - watch->cpu_start_ns;
}

void host_pvf_prepare_run(struct host_pvf_preparer *preparer, const struct host_pvf_prepare_input *input,
			  struct host_pvf_watchdog *watchdog, struct host_pvf_watch *watch,
			  corral_pvf_job_callback on_job, void *on_job_context,
			  struct host_pvf_prepare_outcome *outcome)
{
	*outcome = (struct host_pvf_prepare_outcome){.reason = CORRAL_PVF_INTERNAL};
	if (!preparer->alive) {
		say(outcome, CORRAL_PVF_INTERNAL, "no prepare job process: %s", preparer->spawn_error.message);
		return;
	}
	struct host_worker *worker = &preparer->worker;
	outcome->pid = worker->pid;
	if (!write_request(preparer, input, outcome)) {
		host_pvf_preparer_kill(preparer);
		return;
	}
	corral_error error;
	if (host_pvf_watch_start(watchdog, watch, worker->pid, worker->pidfd, &error) != CORRAL_OK) {
		say(outcome, CORRAL_PVF_INTERNAL, "%s", error.message);
		host_pvf_preparer_kill(preparer);
		return;
	}
	if (on_job)
		on_job(on_job_context, CORRAL_PVF_PREPARE_JOB, worker->pid, true);
	struct zygote_control *control = worker->control;
	uint32_t seen = __atomic_load_n(&control->completed, __ATOMIC_ACQUIRE);
	submit(control);
	static const struct host_ring_limits no_limits = {0};
	corral_result waited =
		host_ring_wait_word(worker, &control->completed, seen, &control->host_waiting, &no_limits, &error);
	enum host_pvf_fired fired = host_pvf_watch_stop(watchdog, watch);
	outcome->cpu_ns = watch->cpu_used_ns;
	if (on_job)
		on_job(on_job_context, CORRAL_PVF_PREPARE_JOB, worker->pid, false);
	if (waited == CORRAL_OK) {
		read_answer(preparer, outcome);
		account_final(worker, watch, outcome);
	} else {
		/* Dead (or killed): reaped, so that how it ended is known. */
		host_worker_exited(worker);
		outcome->reason = host_pvf_death_reason(CORRAL_PVF_PREPARE_JOB, fired, worker);
		host_pvf_describe_death(CORRAL_PVF_PREPARE_JOB, fired, worker, watch->cpu_limit_ns, outcome->message,
					sizeof outcome->message);
	}
	host_pvf_preparer_kill(preparer);
}
