/* Running compiled code in this process.
 *
 * The instance's state (registers, gas, pc, block_paid) means exactly what it
 * means to the interpreter, so that either can take over from the other: a
 * run starts where pvm_interp_run would, enters compiled code at the
 * instruction's entry that pays or skips its block's charge, and turns the
 * exit record the code leaves in the context back into the state and the
 * interrupt the interpreter would have produced.
 *
 * Two exits never reach the embedder: sbrk, which the host performs and
 * then resumes after, and a hardware fault, which becomes a trap or a page
 * fault once pvm_memory_check has said which. */
#include <string.h>

#include "host/internal.h"

/* The jump table below the anchor holds native addresses: those of the
 * code about to run. */
static void fill_jump_table(corral_instance *instance, const struct host_jit *jit)
{
	if (instance->table_of == jit)
		return;
	const struct pvm_jit_code *code = &jit->code;
	uint64_t *table = pvm_jit_jump_table_of(instance->anchor, code->jump_count);
	pvm_jit_fill_jump_table(code, jit->address, table);
	instance->table_of = jit;
}

static corral_interrupt stop_at(corral_interrupt_kind kind, uint32_t pc)
{
	return (corral_interrupt){.kind = kind, .pc = pc};
}

/* Where execution starts, as pvm_interp_run starts: a pc where no
 * instruction starts traps; an unpaid block start enters at the charge; an
 * unpaid mid-block pc pays the whole block here first. False, with *stop
 * set, when the run ends before any code runs. */
static bool find_entry(corral_instance *instance, const struct host_jit *jit, uint32_t *target, corral_interrupt *stop)
{
	struct pvm_state *state = &instance->state;
	const struct pvm_program *program = &instance->module->program;
	/* After a host call, the site is the one after the ecalli's: no
	 * search, which took as long as the rest of a round trip. */
	const struct pvm_jit_site *site = instance->resume_site;
	const struct pvm_jit_code *code = &jit->code;
	instance->resume_site = NULL;
	if (!site || site < code->sites || site >= code->sites + code->site_count || site->pc != state->pc)
		site = pvm_jit_site_at(code, state->pc);
	if (!site) {
		state->block_paid = true;
		*stop = stop_at(CORRAL_TRAP, state->pc);
		return false;
	}
	if (state->block_paid) {
		*target = site->body;
		return true;
	}
	*target = site->charge;
	if (host_is_block_start(program, state->pc))
		return true;
	*target = site->body;
	if (jit->code.options.gas == PVM_JIT_GAS_NONE)
		return true;
	if (!pvm_program_charge_block_at(program, state->pc, &state->gas)) {
		*stop = stop_at(CORRAL_OUT_OF_GAS, state->pc);
		return false;
	}
	return true;
}

typedef void (*enter_function)(uint8_t *anchor, const void *target);

/* Code compiled with its anchor in GS's base (PVM_JIT_ANCHOR_GS) needs the
 * base set before it is entered. Setting it costs about 15 ns, a good part
 * of a host call, so it is left pointing at the last anchor afterwards:
 * nothing in the C libraries uses GS on x86-64 Linux. A thread that had a
 * base of its own, though, gets it back after every run. */
static __thread uint64_t gs_left; /* the anchor left in this thread's GS base, 0: none */

static uint64_t read_gs_base(void)
{
	uint64_t base;
	__asm__ volatile("rdgsbase %0" : "=r"(base));
	return base;
}

static void write_gs_base(uint64_t base)
{
	__asm__ volatile("wrgsbase %0" : : "r"(base) : "memory");
}

/* Returns the thread's own base to put back after the run, or 0. */
static uint64_t take_gs_base(const uint8_t *anchor)
{
	uint64_t now = read_gs_base(), wanted = (uint64_t)(uintptr_t)anchor;
	uint64_t own = now != 0 && now != gs_left ? now : 0;
	if (now != wanted)
		write_gs_base(wanted);
	gs_left = wanted;
	return own;
}

static void give_back_gs_base(uint64_t own)
{
	if (own) {
		write_gs_base(own);
		gs_left = 0;
	}
}

/* clang's -fsanitize=function checks an indirect call by reading a type
 * signature just before the callee, which compiled code does not have (and
 * the page before it is not mapped). */
#if defined(__clang__)
#define NO_FUNCTION_CHECK __attribute__((noinline, no_sanitize("function")))
#else
#define NO_FUNCTION_CHECK
#endif

NO_FUNCTION_CHECK static void enter(corral_instance *instance, const struct host_jit *jit, uint32_t target,
				    struct host_jit_running *running)
{
	struct pvm_state *state = &instance->state;
	uint8_t *anchor = instance->anchor;
	struct pvm_jit_context *context = pvm_jit_context_of(anchor);
	memcpy(context->regs, state->regs, sizeof state->regs);
	context->gas = state->gas;
	*running = (struct host_jit_running){.anchor = anchor, .code_base = jit->code.bytes, .code = &jit->code};
	enter_function enter_code = (enter_function)(uintptr_t)(jit->code.bytes + jit->code.enter_offset);
	bool in_gs = jit->code.options.anchor == PVM_JIT_ANCHOR_GS;
	uint64_t own_gs_base = in_gs ? take_gs_base(anchor) : 0;
	host_jit_running_set(running);
	enter_code(anchor, jit->code.bytes + target);
	host_jit_running_set(NULL);
	give_back_gs_base(own_gs_base);
	memcpy(state->regs, context->regs, sizeof state->regs);
	state->gas = context->gas;
}

/* A load or store faulted in hardware: the interpreter's test says whether
 * the guest panics or meets a page fault. The registers are as they were
 * before the instruction. */
static corral_interrupt memory_stop(corral_instance *instance, uint32_t pc)
{
	const corral_module *module = instance->module;
	struct pvm_inst inst;
	uint32_t address, width, page;
	bool write;
	char text[96];
	pvm_decode(&module->program.code, pc, &inst);
	instance->state.pc = pc;
	instance->state.block_paid = true;
	if (!pvm_inst_access(&inst, instance->state.regs, &address, &width, &write)) {
		corral_module_instruction(module, pc, text, sizeof text);
		host_divergence(instance,
				"internal error: the compiled code of pc %u (%s) faulted, but it accesses no memory",
				pc, text);
		return stop_at(CORRAL_TRAP, pc);
	}
	enum pvm_access_result result = pvm_memory_check(&instance->memory.core, address, width,
							 write ? PVM_ACCESS_WRITE : PVM_ACCESS_READ, &page);
	switch (result) {
	case PVM_ACCESS_PANIC:
		return stop_at(CORRAL_TRAP, pc);
	case PVM_ACCESS_FAULT:
	case PVM_ACCESS_PROTECTED: {
		corral_interrupt interrupt = stop_at(CORRAL_PAGE_FAULT, pc);
		interrupt.address = page;
		interrupt.write_protected = result == PVM_ACCESS_PROTECTED;
		return interrupt;
	}
	case PVM_ACCESS_OK:
		break;
	}
	corral_module_instruction(module, pc, text, sizeof text);
	host_divergence(
		instance,
		"internal error: the compiled code of pc %u (%s) faulted on %u bytes at 0x%x, which the guest may %s",
		pc, text, width, address, write ? "write" : "read");
	return stop_at(CORRAL_TRAP, pc);
}

/* The host's half of sbrk: the code stopped before it. */
static void run_sbrk(corral_instance *instance, uint32_t pc)
{
	struct pvm_state *state = &instance->state;
	struct pvm_inst inst;
	pvm_decode(&instance->module->program.code, pc, &inst);
	state->regs[inst.rd] = pvm_memory_sbrk(&instance->memory.core, state->regs[inst.ra]);
	state->pc = inst.next;
	state->block_paid = !host_is_block_start(&instance->module->program, inst.next);
}

/* Turns the exit record into the state and interrupt. False when the run
 * goes on (after sbrk, outside step mode). */
static bool settle(corral_instance *instance, const struct host_jit *jit, const struct host_jit_running *running,
		   corral_interrupt *stop)
{
	struct pvm_state *state = &instance->state;
	const struct pvm_program *program = &instance->module->program;
	const struct pvm_jit_context *context = pvm_jit_context_of(instance->anchor);
	/* Read once: in the sandbox the zygote could change it under us. */
	uint32_t pc = __atomic_load_n(&context->exit_pc, __ATOMIC_RELAXED);
	uint32_t kind = __atomic_load_n(&context->exit_kind, __ATOMIC_RELAXED);
	const struct pvm_jit_site *site = pvm_jit_site_at(&jit->code, pc);
	if (!site) {
		host_divergence(instance, "internal error: compiled code left at pc %u, where no instruction starts",
				pc);
		*stop = stop_at(instance->worker ? CORRAL_ABORTED : CORRAL_TRAP, state->pc);
		instance->aborted = instance->worker != NULL;
		return true;
	}
	state->pc = pc;
	state->block_paid = true;
	if (running->unexpected_signal) {
		host_divergence(instance, "internal error: signal %d in the compiled code of pc %u",
				running->unexpected_signal, running->unexpected_pc);
		*stop = stop_at(CORRAL_TRAP, pc);
		return true;
	}
	/* Metered late, gas may have run out anywhere since the last test:
	 * whatever the exit, it stops here, and resuming charges the block
	 * around pc again. */
	if (jit->code.options.gas == PVM_JIT_GAS_ASYNC && state->gas < 0) {
		state->block_paid = false;
		*stop = stop_at(CORRAL_OUT_OF_GAS, pc);
		return true;
	}
	switch ((enum pvm_jit_exit)kind) {
	case PVM_JIT_EXIT_HOST_CALL: {
		/* ecalli is no terminator: the next instruction is the next
		 * site, in the same block (a full decode took a third of a
		 * round trip in this process). */
		state->pc = pc + 1 + pvm_code_skip(&program->code, pc);
		const struct pvm_jit_site *next = site + 1;
		if (next < jit->code.sites + jit->code.site_count && next->pc == state->pc)
			instance->resume_site = next;
		*stop = stop_at(CORRAL_HOST_CALL, pc);
		stop->host_call = context->exit_argument;
		return true;
	}
	case PVM_JIT_EXIT_SBRK:
		run_sbrk(instance, pc);
		*stop = stop_at(CORRAL_STEP, state->pc);
		return jit->code.options.step;
	case PVM_JIT_EXIT_PANIC:
		*stop = stop_at(CORRAL_TRAP, pc);
		return true;
	case PVM_JIT_EXIT_HALT:
		*stop = stop_at(CORRAL_FINISHED, pc);
		return true;
	case PVM_JIT_EXIT_OUT_OF_GAS:
		state->block_paid = false;
		*stop = stop_at(CORRAL_OUT_OF_GAS, pc);
		return true;
	case PVM_JIT_EXIT_STEP:
		/* At a block start the step stopped before its charge. */
		state->block_paid = !host_is_block_start(program, pc);
		*stop = stop_at(CORRAL_STEP, pc);
		return true;
	case PVM_JIT_EXIT_FAULT:
		*stop = memory_stop(instance, pc);
		return true;
	case PVM_JIT_EXIT_COUNT:
		break;
	}
	host_divergence(instance, "internal error: compiled code left with unknown exit kind %u at pc %u", kind, pc);
	instance->aborted = instance->worker != NULL;
	*stop = stop_at(instance->aborted ? CORRAL_ABORTED : CORRAL_TRAP, pc);
	return true;
}

/* An instance whose page-access table lies where page-checking code looks
 * for it (one with dynamic paging) runs that code: its faults leave as
 * exits, not signals. Should that code not compile, the plain code runs
 * it, every fault then a signal, with the same results. */
static const struct host_jit *code_for(corral_instance *instance)
{
	const struct host_jit *paged =
		instance->page_table ? host_jit_variant_code(instance->module, HOST_JIT_PAGED) : NULL;
	return paged ? paged : &instance->module->jit;
}

corral_interrupt host_jit_run(corral_instance *instance, bool step)
{
	corral_module *module = instance->module;
	const struct host_jit *jit = step ? host_jit_variant_code(module, HOST_JIT_STEP) : code_for(instance);
	if (!jit) {
		/* The step-mode code could not be compiled: the interpreter
		 * steps the same state the same way, where it is prepared. */
		if (module->interp_ready)
			return host_interp_run(module, &instance->state, &instance->memory, true);
		host_divergence(instance, "cannot single-step: %s", module->step.error.message);
		return stop_at(CORRAL_TRAP, instance->state.pc);
	}
	fill_jump_table(instance, jit);
	corral_interrupt stop;
	struct host_jit_running running;
	for (;;) {
		uint32_t target;
		if (!find_entry(instance, jit, &target, &stop))
			break;
		if (instance->worker) {
			if (!host_sandbox_enter(instance, jit, target, &running)) {
				stop = stop_at(CORRAL_ABORTED, instance->state.pc);
				break;
			}
		} else {
			enter(instance, jit, target, &running);
		}
		if (settle(instance, jit, &running, &stop))
			break;
	}
	/* The interpreter's cached slot for pc is stale now. */
	instance->state.resume_slot = PVM_NO_SLOT;
	return stop;
}
