/* Compiled code in a sandbox worker (--sandbox linux).
 *
 * The run loop is host/jit_backend.c's, the same for both places code runs:
 * only entering the code differs. Here the registers and gas go into the
 * JIT context in the shared region (the zygote's r15 points at the same
 * anchor), the requests the zygote needs before the run (map this module's
 * code, change page protections) go on the ring ahead of the run itself,
 * and the host waits for the run's completion. The exit record comes back
 * in the context, as in-process; a hardware fault comes back as the
 * faulting instruction's native offset, which the host maps to a pc.
 *
 * Everything the zygote wrote is checked before it is believed: the exit
 * pc must be an instruction's (host/jit_backend.c), the native offset one
 * of the code's, gas may not grow. A zygote that breaks a rule, dies or
 * runs past the CPU-time limit is killed and the run is aborted. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "host/internal.h"
#include "host/pool.h"

corral_result host_sandbox_engine_init(corral_engine *engine, corral_error *error)
{
	const corral_engine_config *config = &engine->config;
	engine->sandbox = CORRAL_SANDBOX_NONE;
	if (config->backend != CORRAL_BACKEND_JIT || config->sandbox == CORRAL_SANDBOX_NONE)
		return CORRAL_OK;
	struct host_worker_options options = {.image = NULL,
					      /* limits by cgroup (host/cgroup.c) */
					      .memory_limit = config->sandbox_memory_limit,
					      .pids_limit = config->sandbox_pids_limit};
	/* AUTO: one worker started is the proof that the sandbox works. */
	uint32_t size = config->sandbox_pool_size ? config->sandbox_pool_size : 1;
	corral_error problem;
	corral_result result = host_pool_new(&engine->pool, size, &options, &problem);
	if (result == CORRAL_OK) {
		engine->sandbox = CORRAL_SANDBOX_LINUX;
		return CORRAL_OK;
	}
	/* Limits asked for are never dropped silently with the sandbox. */
	bool limits = config->sandbox_memory_limit || config->sandbox_pids_limit;
	if (config->sandbox == CORRAL_SANDBOX_AUTO && !limits) {
		snprintf(engine->sandbox_note, sizeof engine->sandbox_note,
			 "compiled code runs in this process: the linux sandbox is not available here (%s)",
			 problem.message);
		return CORRAL_OK;
	}
	if (error)
		*error = problem;
	return result;
}

void host_sandbox_engine_free(corral_engine *engine)
{
	host_pool_free(engine->pool);
	engine->pool = NULL;
}

corral_result host_sandbox_instance_init(corral_instance *instance, corral_error *error)
{
	corral_module *module = instance->module;
	struct host_sandbox_worker *worker;
	corral_result result = host_pool_take(module->engine->pool, &worker, error);
	if (result != CORRAL_OK)
		return result;
	/* Dynamic paging through the zygote's userfaultfd where it has one
	 * (else with page protections, as without). */
	bool paged = instance->dynamic_paging && worker->process.uffd >= 0;
	result = host_pool_set_paging(worker, paged, error);
	worker->broken |= result != CORRAL_OK;
	if (result == CORRAL_OK)
		result = host_memory_init_shared(&instance->memory, worker->process.guest,
						 paged ? &worker->pager : NULL, error);
	if (result != CORRAL_OK) {
		host_pool_give(module->engine->pool, worker);
		return result;
	}
	instance->worker = worker;
	instance->anchor = worker->process.shared + ZYGOTE_ANCHOR_OFFSET;
	/* Paged, the code checks each access against a copy of the page
	 * table in the shared region (empty, as the last instance left it). */
	instance->page_table = instance->dynamic_paging;
	if (instance->page_table)
		instance->memory.mirror = worker->process.shared + ZYGOTE_PAGE_TABLE_OFFSET;
	return CORRAL_OK;
}

/* The pages whose access changed are ones the wipe must clear. */
static void remember_touched(struct host_sandbox_worker *worker, const struct host_memory *memory)
{
	page_spans_add_all(&worker->touched, &memory->dirty);
}

/* Empties the copy of the page table over the pages the worker's
 * instances touched, the only entries that may be set: whole pages of it
 * go back to the memfd's holes, which read as zeros. */
static void clear_mirror(struct host_sandbox_worker *worker, uint8_t *mirror)
{
	for (uint32_t i = 0; i < worker->touched.count; i++) {
		const struct page_span *span = &worker->touched.span[i];
		uintptr_t start = (uintptr_t)(mirror + span->first) & ~(uintptr_t)(PVM_PAGE_SIZE - 1);
		uintptr_t end = ((uintptr_t)(mirror + span->end) + PVM_PAGE_SIZE - 1) & ~(uintptr_t)(PVM_PAGE_SIZE - 1);
		if (madvise((void *)start, end - start, MADV_REMOVE))
			worker->broken = true;
	}
}

void host_sandbox_instance_release(corral_instance *instance)
{
	struct host_sandbox_worker *worker = instance->worker;
	worker->broken |= instance->aborted;
	/* The wipe covers every page whose access the zygote may still
	 * have, including changes it never heard of. */
	remember_touched(worker, &instance->memory);
	if (instance->memory.mirror)
		clear_mirror(worker, instance->memory.mirror);
	host_pool_give(instance->module->engine->pool, worker);
	instance->worker = NULL;
}

static bool abort_run(corral_instance *instance, const corral_error *why)
{
	host_divergence(instance, "%s", why->message);
	instance->aborted = true;
	instance->worker->broken = true;
	host_worker_kill(&instance->worker->process);
	return false;
}

static const enum zygote_access zygote_access_of[] = {
	[PVM_ACCESS_NONE] = ZYGOTE_ACCESS_NONE,
	[PVM_ACCESS_READ] = ZYGOTE_ACCESS_READ,
	[PVM_ACCESS_WRITE] = ZYGOTE_ACCESS_WRITE,
};

static const struct host_ring_limits control_limits = {.wall_ns = 2000000000ull};

/* Submits what is posted when the ring is about to fill. */
static corral_result make_room(struct host_sandbox_worker *worker, corral_error *error)
{
	if (worker->ring.in_flight < ZYGOTE_RING_ENTRIES - 1)
		return CORRAL_OK;
	struct zygote_cqe done[ZYGOTE_RING_ENTRIES];
	size_t count;
	corral_result result = host_ring_complete(&worker->ring, &control_limits, done, &count, error);
	for (size_t i = 0; result == CORRAL_OK && i < count; i++)
		if (done[i].result)
			result = host_fail(error, CORRAL_ERROR_SYSTEM, "the sandbox worker could not apply op %u: %s",
					   done[i].op, strerror(-done[i].result));
	return result;
}

/* The end of the run of pages from `page` (below `end`) with the access
 * `page` has: eight entries at a time, as a mapping of a large heap makes
 * runs of hundreds of thousands. */
static uint32_t equal_access_end(const uint8_t *access, uint32_t page, uint32_t end)
{
	uint64_t pattern = access[page] * 0x0101010101010101ull;
	uint32_t at = page + 1;
	for (; end - at >= 8; at += 8) {
		uint64_t entries;
		memcpy(&entries, access + at, sizeof entries);
		if (entries != pattern)
			return at + (uint32_t)__builtin_ctzll(entries ^ pattern) / 8;
	}
	while (at < end && access[at] == access[page])
		at++;
	return at;
}

/* Tells the zygote every access change since the last run: one request
 * per run of pages with equal access. Paged, the host has changed the
 * zygote's view itself: the pages are only remembered for the wipe. */
static corral_result post_protections(corral_instance *instance, corral_error *error)
{
	struct host_memory *memory = &instance->memory;
	struct host_sandbox_worker *worker = instance->worker;
	const uint8_t *access = memory->core.access;
	if (page_spans_empty(&memory->dirty))
		return CORRAL_OK;
	remember_touched(worker, memory);
	for (uint32_t i = 0; i < memory->dirty.count; i++) {
		uint32_t page = memory->dirty.span[i].first, end = memory->dirty.span[i].end;
		if (memory->mirror)
			memcpy(memory->mirror + page, access + page, end - page);
		while (memory->kind != HOST_MEMORY_PAGED && page < end) {
			uint32_t run = equal_access_end(access, page, end);
			corral_result result = make_room(worker, error);
			if (result != CORRAL_OK)
				return result;
			struct zygote_sqe *protect = host_ring_post(&worker->ring, ZYGOTE_OP_PROTECT);
			protect->args[0] = (uint64_t)page << PVM_PAGE_SHIFT;
			protect->args[1] = (uint64_t)(run - page) << PVM_PAGE_SHIFT;
			protect->args[2] = zygote_access_of[access[page]];
			page = run;
		}
	}
	page_spans_clear(&memory->dirty);
	return CORRAL_OK;
}

static corral_result post_code(struct host_sandbox_worker *worker, const struct host_jit *jit, corral_error *error)
{
	if (worker->mapped_code == jit->id)
		return CORRAL_OK;
	corral_result result = host_worker_send_fd(&worker->process, jit->memfd, error);
	if (result != CORRAL_OK)
		return result;
	struct zygote_sqe *map = host_ring_post(&worker->ring, ZYGOTE_OP_MAP_CODE);
	map->args[0] = jit->mapped;
	map->args[1] = jit->code.fault_offset;
	worker->mapped_code = jit->id;
	if (jit->code.jump_count > worker->table_entries)
		worker->table_entries = jit->code.jump_count;
	return CORRAL_OK;
}

static const char *const fault_signal_names[] = {
	[SIGSEGV] = "SIGSEGV",
	[SIGBUS] = "SIGBUS",
	[SIGILL] = "SIGILL",
	[SIGFPE] = "SIGFPE",
};

/* The run's completion: values[0] the signal that stopped the code (0 if
 * it left through an exit), [1] the native offset it stopped at. */
static corral_result settle_fault(corral_instance *instance, const struct host_jit *jit, const struct zygote_cqe *run,
				  struct host_jit_running *running, corral_error *error)
{
	uint64_t signal = run->values[0], offset = run->values[1];
	if (signal == 0)
		return CORRAL_OK;
	if (signal >= sizeof fault_signal_names / sizeof *fault_signal_names || !fault_signal_names[signal])
		return host_fail(error, CORRAL_ERROR_SYSTEM, "the sandbox worker reported a fault by signal %llu",
				 (unsigned long long)signal);
	const struct pvm_jit_site *site =
		offset < jit->code.cold_offset ? pvm_jit_site_containing(&jit->code, (uint32_t)offset) : NULL;
	if (!site)
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "the sandbox worker reported a %s at native offset 0x%llx, outside any instruction",
				 fault_signal_names[signal], (unsigned long long)offset);
	struct pvm_jit_context *context = pvm_jit_context_of(instance->anchor);
	context->exit_pc = site->pc;
	context->exit_kind = PVM_JIT_EXIT_FAULT;
	if (signal == SIGILL || signal == SIGFPE) {
		running->unexpected_signal = (int)signal;
		running->unexpected_pc = site->pc;
	}
	return CORRAL_OK;
}

/* Gas only goes down in a run (and not at all unmetered). */
static corral_result check_gas(const struct host_jit *jit, int64_t before, int64_t after, corral_error *error)
{
	bool metered = jit->code.options.gas != PVM_JIT_GAS_NONE;
	if (metered ? after <= before : after == before)
		return CORRAL_OK;
	return host_fail(error, CORRAL_ERROR_SYSTEM, "the sandbox worker turned gas %lld into %lld", (long long)before,
			 (long long)after);
}

bool host_sandbox_enter(corral_instance *instance, const struct host_jit *jit, uint32_t target,
			struct host_jit_running *running)
{
	struct host_sandbox_worker *worker = instance->worker;
	struct pvm_state *state = &instance->state;
	struct pvm_jit_context *context = pvm_jit_context_of(instance->anchor);
	corral_error error;
	*running = (struct host_jit_running){.anchor = instance->anchor, .code = &jit->code};
	memcpy(context->regs, state->regs, sizeof state->regs);
	context->gas = state->gas;
	corral_result result = post_code(worker, jit, &error);
	if (result == CORRAL_OK)
		result = post_protections(instance, &error);
	if (result == CORRAL_OK)
		result = make_room(worker, &error);
	if (result != CORRAL_OK)
		return abort_run(instance, &error);
	struct zygote_sqe *run = host_ring_post(&worker->ring, ZYGOTE_OP_RUN);
	run->args[0] = jit->code.enter_offset;
	run->args[1] = target;
	uint32_t cpu_ms = instance->module->engine->config.sandbox_cpu_limit_ms;
	struct host_ring_limits limits = {.cpu_ns = (uint64_t)cpu_ms * 1000000ull};
	struct zygote_cqe done[ZYGOTE_RING_ENTRIES];
	size_t count;
	result = host_ring_complete(&worker->ring, &limits, done, &count, &error);
	for (size_t i = 0; result == CORRAL_OK && i < count; i++)
		if (done[i].result)
			result = host_fail(&error, CORRAL_ERROR_SYSTEM, "the sandbox worker could not apply op %u: %s",
					   done[i].op, strerror(-done[i].result));
	if (result == CORRAL_OK)
		result = settle_fault(instance, jit, &done[count - 1], running, &error);
	int64_t gas = __atomic_load_n(&context->gas, __ATOMIC_RELAXED);
	if (result == CORRAL_OK)
		result = check_gas(jit, state->gas, gas, &error);
	if (result != CORRAL_OK)
		return abort_run(instance, &error);
	memcpy(state->regs, context->regs, sizeof state->regs);
	state->gas = gas;
	return true;
}
