#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/internal.h"

void corral_instance_config_init(corral_instance_config *config)
{
	*config = (corral_instance_config){.gas = 0};
}

/* The regions' pages and data, and the heap's bounds. Under dynamic paging
 * only the bounds: the pages are the embedder's to map. */
static corral_result lay_out(struct host_memory *memory, const struct loader_layout *layout, bool map,
			     corral_error *error)
{
	for (uint32_t i = 0; map && i < layout->region_count; i++) {
		const struct loader_region *region = &layout->regions[i];
		corral_result result =
			host_memory_set_access(memory, region->address, region->length, region->access, error);
		if (result == CORRAL_OK && region->data_length)
			result = host_memory_copy(memory, region->address, (void *)region->data, region->data_length,
						  true, error);
		if (result != CORRAL_OK)
			return result;
	}
	memory->core.heap_top = layout->heap_top;
	memory->core.heap_end = layout->heap_end;
	return CORRAL_OK;
}

static corral_result lay_out_standard(corral_instance *instance, const corral_instance_config *config,
				      corral_error *error)
{
	const corral_module *module = instance->module;
	struct loader_layout layout;
	struct pvm_error problem;
	if (config->arguments_length > LOADER_INPUT_SIZE)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "%s: %zu bytes of arguments are over the limit of %u",
				 module->name, config->arguments_length, LOADER_INPUT_SIZE);
	if (loader_standard_layout(&module->container, config->arguments, config->arguments_length, &layout, &problem))
		return host_fail(error, CORRAL_ERROR_MALFORMED, "%s: %s", module->name, problem.message);
	bool map = !instance->dynamic_paging;
	corral_result result = lay_out(&instance->memory, &layout, map, error);
	if (result == CORRAL_OK && instance->twin)
		result = lay_out(&instance->twin->memory, &layout, map, error);
	if (result != CORRAL_OK)
		return result;
	memcpy(instance->state.regs, layout.regs, sizeof layout.regs);
	return CORRAL_OK;
}

/* In this process: page protections for compiled code, as ever; under
 * dynamic paging, no mapping per page: the interpreter's memory is flat,
 * compiled code's is paged with userfaultfd where this process may. */
static enum host_memory_kind memory_kind(const corral_instance *instance)
{
	if (!instance->dynamic_paging)
		return HOST_MEMORY_PROTECTED;
	if (!instance->module->jit.ready)
		return HOST_MEMORY_FLAT;
	return host_memory_can_page() ? HOST_MEMORY_PAGED : HOST_MEMORY_PROTECTED;
}

corral_result corral_instance_new(corral_module *module, const corral_instance_config *config, corral_instance **out,
				  corral_error *error)
{
	corral_instance_config defaults;
	*out = NULL;
	if (!config) {
		corral_instance_config_init(&defaults);
		config = &defaults;
	}
	corral_instance *instance = calloc(1, sizeof *instance);
	if (!instance)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "%s: cannot allocate an instance", module->name);
	instance->module = module;
	instance->dynamic_paging = config->dynamic_paging;
	corral_result result;
	if (module->sandboxed) {
		result = host_sandbox_instance_init(instance, error);
	} else {
		/* The compiled code's context and jump table lie below guest
		 * memory. */
		size_t below = module->jit.ready ? pvm_jit_below_anchor(module->jit.code.jump_count) : 0;
		/* Under dynamic paging the page-access table goes below it
		 * all, where page-checking code looks for it. */
		instance->page_table = instance->dynamic_paging && module->jit.ready;
		if (instance->page_table)
			below = (size_t)(-(int64_t)host_jit_page_table(module));
		result = host_memory_init(&instance->memory, below, instance->page_table, memory_kind(instance), error);
		instance->anchor = instance->memory.view;
	}
	if (result == CORRAL_OK && module->engine && module->engine->config.cross_check)
		result = host_twin_new(instance, error);
	if (result == CORRAL_OK && module->container.format != CORRAL_FORMAT_BLOB)
		result = lay_out_standard(instance, config, error);
	if (result != CORRAL_OK) {
		corral_instance_free(instance);
		return result;
	}
	instance->state.gas = config->gas;
	pvm_state_set_pc(&instance->state, 0);
	if (instance->twin)
		instance->twin->state = instance->state;
	*out = instance;
	return CORRAL_OK;
}

void corral_instance_free(corral_instance *instance)
{
	if (!instance)
		return;
	host_twin_free(instance->twin);
	if (instance->worker)
		host_sandbox_instance_release(instance);
	host_memory_free(&instance->memory);
	free(instance);
}

static const corral_interrupt_kind kind_of_status[PVM_STATUS_COUNT] = {
	[PVM_STATUS_HALT] = CORRAL_FINISHED,         [PVM_STATUS_PANIC] = CORRAL_TRAP,
	[PVM_STATUS_OUT_OF_GAS] = CORRAL_OUT_OF_GAS, [PVM_STATUS_PAGE_FAULT] = CORRAL_PAGE_FAULT,
	[PVM_STATUS_HOST_CALL] = CORRAL_HOST_CALL,   [PVM_STATUS_STEP] = CORRAL_STEP,
};

static const char *const interrupt_names[] = {
	[CORRAL_FINISHED] = "finished",     [CORRAL_TRAP] = "trap",           [CORRAL_OUT_OF_GAS] = "out of gas",
	[CORRAL_PAGE_FAULT] = "page fault", [CORRAL_HOST_CALL] = "host call", [CORRAL_STEP] = "step",
	[CORRAL_ABORTED] = "aborted",
};

const char *corral_interrupt_name(corral_interrupt_kind kind)
{
	return kind <= CORRAL_ABORTED ? interrupt_names[kind] : "?";
}

corral_interrupt host_interp_run(const corral_module *module, struct pvm_state *state, struct host_memory *memory,
				 bool step)
{
	struct pvm_exit exit;
	pvm_interp_run(&module->interp, state, &memory->core, step, &exit);
	corral_interrupt interrupt = {.kind = kind_of_status[exit.status], .pc = exit.pc};
	if (exit.status == PVM_STATUS_HOST_CALL)
		interrupt.host_call = exit.argument;
	if (exit.status == PVM_STATUS_PAGE_FAULT) {
		interrupt.address = (uint32_t)exit.argument;
		interrupt.write_protected = exit.write_protected;
	}
	return interrupt;
}

bool host_is_block_start(const struct pvm_program *program, uint32_t pc)
{
	int64_t block = pvm_program_block_at(program, pc);
	return block >= 0 && program->blocks[block].pc == pc;
}

void host_divergence(corral_instance *instance, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vsnprintf(instance->divergence, sizeof instance->divergence, format, args);
	va_end(args);
}

corral_interrupt corral_instance_run(corral_instance *instance)
{
	if (instance->aborted)
		return (corral_interrupt){.kind = CORRAL_ABORTED, .pc = instance->state.pc};
	instance->divergence[0] = 0;
	if (instance->twin)
		return host_cross_check_run(instance);
	if (instance->module->jit.ready)
		return host_jit_run(instance, instance->single_step);
	return host_interp_run(instance->module, &instance->state, &instance->memory, instance->single_step);
}

void corral_instance_set_single_step(corral_instance *instance, bool enabled)
{
	instance->single_step = enabled;
}

const char *corral_instance_divergence(const corral_instance *instance)
{
	return instance->divergence[0] ? instance->divergence : NULL;
}

bool corral_instance_aborted(const corral_instance *instance)
{
	return instance->aborted;
}

/* In cross-check mode every change the embedder makes goes to the
 * interpreter's twin as well. */

uint64_t corral_instance_reg(const corral_instance *instance, unsigned index)
{
	return index < CORRAL_REGISTER_COUNT ? instance->state.regs[index] : 0;
}

void corral_instance_set_reg(corral_instance *instance, unsigned index, uint64_t value)
{
	if (index >= CORRAL_REGISTER_COUNT)
		return;
	instance->state.regs[index] = value;
	if (instance->twin)
		instance->twin->state.regs[index] = value;
}

uint32_t corral_instance_pc(const corral_instance *instance)
{
	return instance->state.pc;
}

void corral_instance_set_pc(corral_instance *instance, uint32_t pc)
{
	pvm_state_set_pc(&instance->state, pc);
	if (instance->twin)
		pvm_state_set_pc(&instance->twin->state, pc);
}

int64_t corral_instance_gas(const corral_instance *instance)
{
	return instance->state.gas;
}

void corral_instance_set_gas(corral_instance *instance, int64_t gas)
{
	instance->state.gas = gas;
	if (instance->twin)
		instance->twin->state.gas = gas;
}

corral_result corral_instance_map(corral_instance *instance, uint32_t address, uint64_t length,
				  corral_page_access access, corral_error *error)
{
	corral_result result = host_memory_set_access(&instance->memory, address, length, access, error);
	if (result == CORRAL_OK && instance->twin)
		result = host_memory_set_access(&instance->twin->memory, address, length, access, error);
	return result;
}

uint64_t corral_instance_sbrk(corral_instance *instance, uint64_t amount)
{
	if (instance->twin)
		pvm_memory_sbrk(&instance->twin->memory.core, amount);
	return pvm_memory_sbrk(&instance->memory.core, amount);
}

corral_page_access corral_instance_page_access(const corral_instance *instance, uint32_t address)
{
	return host_memory_page_access(&instance->memory, address);
}

corral_result corral_instance_map_bytes(corral_instance *instance, uint32_t address, const void *bytes, size_t length,
					corral_page_access access, corral_error *error)
{
	corral_result result = host_memory_fill(&instance->memory, address, bytes, length, access, error);
	if (result == CORRAL_OK && instance->twin)
		result = host_memory_fill(&instance->twin->memory, address, bytes, length, access, error);
	return result;
}

corral_result corral_instance_protect(corral_instance *instance, uint32_t address, uint64_t length, bool protect,
				      corral_error *error)
{
	corral_result result = host_memory_protect(&instance->memory, address, length, protect, error);
	if (result == CORRAL_OK && instance->twin)
		result = host_memory_protect(&instance->twin->memory, address, length, protect, error);
	return result;
}

bool corral_instance_page_protected(const corral_instance *instance, uint32_t address)
{
	const uint8_t *table = instance->memory.write_protected;
	return table && table[address >> PVM_PAGE_SHIFT];
}

corral_paging corral_instance_paging(const corral_instance *instance)
{
	if (!instance->module->jit.ready)
		return CORRAL_PAGING_TABLE;
	return instance->memory.kind == HOST_MEMORY_PAGED ? CORRAL_PAGING_USERFAULTFD : CORRAL_PAGING_MPROTECT;
}

corral_result corral_instance_read(const corral_instance *instance, uint32_t address, void *buffer, size_t length,
				   corral_error *error)
{
	return host_memory_copy((struct host_memory *)&instance->memory, address, buffer, length, false, error);
}

corral_result corral_instance_write(corral_instance *instance, uint32_t address, const void *buffer, size_t length,
				    corral_error *error)
{
	corral_result result = host_memory_copy(&instance->memory, address, (void *)buffer, length, true, error);
	if (result == CORRAL_OK && instance->twin)
		result = host_memory_copy(&instance->twin->memory, address, (void *)buffer, length, true, error);
	return result;
}
