/* The cross-check: compiled code and the interpreter in lock step.
 *
 * The instance keeps a twin, a second guest memory and state that the
 * interpreter runs. A run single-steps both, the compiled code in step mode,
 * and after each instruction compares what the embedder could see: the
 * interrupt, pc, registers, gas, the heap top and the bytes the instruction
 * stored. The first difference stops the run with a trap, and
 * corral_instance_divergence says what differed. Otherwise the run goes on
 * until an interrupt a normal run would return (or after one instruction if
 * the embedder single-steps). */
#include <stdarg.h>
#include <stdlib.h>

#include "host/internal.h"

corral_result host_twin_new(corral_instance *instance, corral_error *error)
{
	struct host_twin *twin = calloc(1, sizeof *twin);
	if (!twin)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "%s: cannot allocate the cross-check's twin",
				 instance->module->name);
	/* Only the interpreter runs on it, which tests the table itself. */
	enum host_memory_kind kind = instance->dynamic_paging ? HOST_MEMORY_FLAT : HOST_MEMORY_PROTECTED;
	corral_result result = host_memory_init(&twin->memory, 0, false, kind, error);
	if (result != CORRAL_OK) {
		free(twin);
		return result;
	}
	instance->twin = twin;
	return CORRAL_OK;
}

void host_twin_free(struct host_twin *twin)
{
	if (!twin)
		return;
	host_memory_free(&twin->memory);
	free(twin);
}

/* The guest store the instruction about to run makes, if any. */
struct store {
	uint32_t address, width;
};

static struct store store_ahead(const corral_module *module, const struct pvm_state *state)
{
	struct pvm_inst inst;
	struct store store = {0};
	bool write = false;
	pvm_decode(&module->program.code, state->pc, &inst);
	if (!pvm_inst_access(&inst, state->regs, &store.address, &store.width, &write) || !write)
		store.width = 0;
	return store;
}

/* The differences found so far, as one message. */
struct report {
	struct pvm_text text;
	unsigned count;
};

static void differ(struct report *report, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void differ(struct report *report, const char *format, ...)
{
	if (report->count++)
		pvm_text_put(&report->text, "; ");
	va_list args;
	va_start(args, format);
	pvm_vtextf(&report->text, format, args);
	va_end(args);
}

static void compare_interrupts(struct report *report, const corral_interrupt *jit, const corral_interrupt *interp)
{
	if (jit->kind != interp->kind)
		differ(report, "stop jit=%s interp=%s", corral_interrupt_name(jit->kind),
		       corral_interrupt_name(interp->kind));
	if (jit->pc != interp->pc)
		differ(report, "stop pc jit=%u interp=%u", jit->pc, interp->pc);
	if (jit->kind == interp->kind && jit->kind == CORRAL_HOST_CALL && jit->host_call != interp->host_call)
		differ(report, "host call jit=%llu interp=%llu", (unsigned long long)jit->host_call,
		       (unsigned long long)interp->host_call);
	if (jit->kind == interp->kind && jit->kind == CORRAL_PAGE_FAULT && jit->address != interp->address)
		differ(report, "fault page jit=0x%x interp=0x%x", jit->address, interp->address);
	if (jit->kind == interp->kind && jit->kind == CORRAL_PAGE_FAULT &&
	    jit->write_protected != interp->write_protected)
		differ(report, "fault on a write-protected page jit=%d interp=%d", jit->write_protected,
		       interp->write_protected);
}

static void compare_states(struct report *report, const struct pvm_state *jit, const struct pvm_state *interp)
{
	if (jit->pc != interp->pc)
		differ(report, "pc jit=%u interp=%u", jit->pc, interp->pc);
	if (jit->block_paid != interp->block_paid)
		differ(report, "block paid jit=%d interp=%d", jit->block_paid, interp->block_paid);
	for (unsigned i = 0; i < PVM_REGISTER_COUNT; i++)
		if (jit->regs[i] != interp->regs[i])
			differ(report, "r%u jit=0x%llx interp=0x%llx", i, (unsigned long long)jit->regs[i],
			       (unsigned long long)interp->regs[i]);
	if (jit->gas != interp->gas)
		differ(report, "gas jit=%lld interp=%lld", (long long)jit->gas, (long long)interp->gas);
}

static void compare_memory(struct report *report, const struct pvm_memory *jit, const struct pvm_memory *interp,
			   struct store store)
{
	if (jit->heap_top != interp->heap_top)
		differ(report, "heap top jit=0x%x interp=0x%x", jit->heap_top, interp->heap_top);
	for (uint32_t i = 0; i < store.width; i++) {
		uint32_t at = store.address + i; /* wraps as the access does */
		uint8_t access = jit->access[at >> PVM_PAGE_SHIFT];
		if (access != interp->access[at >> PVM_PAGE_SHIFT]) {
			differ(report, "access of page 0x%x jit=%u interp=%u", at & ~(PVM_PAGE_SIZE - 1), access,
			       interp->access[at >> PVM_PAGE_SHIFT]);
			return;
		}
		if (access != PVM_ACCESS_NONE && jit->base[at] != interp->base[at])
			differ(report, "byte at 0x%x jit=0x%x interp=0x%x", at, jit->base[at], interp->base[at]);
	}
}

/* One instruction on both; false, with the trap in *stop, if they differ. */
static bool step_both(corral_instance *instance, corral_interrupt *stop)
{
	const corral_module *module = instance->module;
	struct host_twin *twin = instance->twin;
	uint32_t pc = instance->state.pc;
	struct store store = store_ahead(module, &twin->state);
	corral_interrupt jit = host_jit_run(instance, true);
	if (instance->divergence[0]) {
		*stop = jit;
		return false;
	}
	corral_interrupt interp = host_interp_run(module, &twin->state, &twin->memory, true);

	char found[sizeof instance->divergence];
	struct report report = {0};
	pvm_text_init(&report.text, found, sizeof found);
	compare_interrupts(&report, &jit, &interp);
	compare_states(&report, &instance->state, &twin->state);
	compare_memory(&report, &instance->memory.core, &twin->memory.core, store);
	if (!report.count) {
		*stop = jit;
		return true;
	}
	char text[96];
	corral_module_instruction(module, pc, text, sizeof text);
	host_divergence(instance, "after pc %u (%s): %s", pc, text, found);
	*stop = (corral_interrupt){.kind = CORRAL_TRAP, .pc = pc};
	return false;
}

corral_interrupt host_cross_check_run(corral_instance *instance)
{
	corral_module *module = instance->module;
	if (!host_jit_variant_code(module, HOST_JIT_STEP)) {
		host_divergence(instance, "the cross-check cannot run: %s", module->step.error.message);
		return (corral_interrupt){.kind = CORRAL_TRAP, .pc = instance->state.pc};
	}
	corral_interrupt stop;
	while (step_both(instance, &stop))
		if (instance->single_step || stop.kind != CORRAL_STEP)
			break;
	return stop;
}
