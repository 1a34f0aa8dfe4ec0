#include <stdlib.h>
#include <string.h>

#include "core/disasm.h"
#include "core/gas.h"
#include "host/internal.h"

void corral_module_config_init(corral_module_config *config)
{
	*config = (corral_module_config){
		.isa = CORRAL_ISA_GP07,
		.format = CORRAL_FORMAT_AUTO,
		.gas_model = CORRAL_GAS_NAIVE,
	};
}

static int compare_costs(const void *a, const void *b)
{
	uint32_t x = ((const struct pvm_block_cost *)a)->pc, y = ((const struct pvm_block_cost *)b)->pc;
	return x < y ? -1 : x > y;
}

/* The gas model from the configuration; the table is sorted into `*sorted`,
 * which the caller frees. */
static corral_result gas_model(const corral_module_config *config, struct pvm_gas_model *model,
			       struct pvm_block_cost **sorted, const char *name, corral_error *error)
{
	*sorted = NULL;
	switch (config->gas_model) {
	case CORRAL_GAS_NAIVE:
		*model = (struct pvm_gas_model){.kind = PVM_GAS_PER_INSTRUCTION};
		return CORRAL_OK;
	case CORRAL_GAS_TABLE:
		if (config->block_cost_count > UINT32_MAX)
			return host_fail(error, CORRAL_ERROR_ARGUMENT, "%s: too many block costs", name);
		*sorted = calloc(config->block_cost_count + 1, sizeof **sorted);
		if (!*sorted)
			return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "%s: cannot copy the block costs", name);
		for (size_t i = 0; i < config->block_cost_count; i++)
			(*sorted)[i] = (struct pvm_block_cost){config->block_costs[i].pc, config->block_costs[i].cost};
		qsort(*sorted, config->block_cost_count, sizeof **sorted, compare_costs);
		for (size_t i = 1; i < config->block_cost_count; i++)
			if ((*sorted)[i].pc == (*sorted)[i - 1].pc)
				return host_fail(error, CORRAL_ERROR_ARGUMENT, "%s: two block costs for pc %u", name,
						 (*sorted)[i].pc);
		*model = (struct pvm_gas_model){
			.kind = PVM_GAS_TABLE,
			.table = *sorted,
			.table_length = (uint32_t)config->block_cost_count,
		};
		return CORRAL_OK;
	}
	return host_fail(error, CORRAL_ERROR_ARGUMENT, "%s: unknown gas model %u", name, (unsigned)config->gas_model);
}

corral_result corral_module_new(corral_engine *engine, const uint8_t *bytes, size_t length, const char *name,
				const corral_module_config *config, corral_module **out, corral_error *error)
{
	corral_module_config defaults;
	struct pvm_error problem;
	struct pvm_block_cost *sorted = NULL;
	corral_result result;

	*out = NULL;
	if (!config) {
		corral_module_config_init(&defaults);
		config = &defaults;
	}
	if (!name)
		name = "program";
	if (config->isa != CORRAL_ISA_GP07 && config->isa != CORRAL_ISA_GP08)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "%s: unknown ISA %u", name, (unsigned)config->isa);
	if (config->format > CORRAL_FORMAT_JAM)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "%s: unknown program format %u", name,
				 (unsigned)config->format);

	corral_module *module = calloc(1, sizeof *module);
	if (!module)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "%s: cannot allocate a module", name);
	module->engine = engine;
	module->isa = config->isa;
	module->name = strdup(name);
	module->bytes = malloc(length ? length : 1);
	if (!module->name || !module->bytes) {
		corral_module_free(module);
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "%s: cannot copy %zu bytes of program", name,
				 length);
	}
	memcpy(module->bytes, bytes, length);
	module->length = length;

	if (loader_parse(module->bytes, length, config->format, &module->container, &problem)) {
		corral_module_free(module);
		return host_fail(error, CORRAL_ERROR_MALFORMED, "%s: %s", name, problem.message);
	}
	enum pvm_isa isa = config->isa == CORRAL_ISA_GP08 ? PVM_ISA_GP08 : PVM_ISA_GP07;
	if (pvm_program_init(&module->program, module->container.blob, module->container.blob_length, isa,
			     &libc_allocator, &problem)) {
		const char *part = module->container.format == CORRAL_FORMAT_JAM ? "code: " : "";
		corral_module_free(module);
		return host_fail(error, CORRAL_ERROR_MALFORMED, "%s: %s%s", name, part, problem.message);
	}
	struct pvm_gas_model model;
	result = gas_model(config, &model, &sorted, name, error);
	if (result == CORRAL_OK && pvm_gas_cost_blocks(&module->program, &model, &problem))
		result = host_fail(error, CORRAL_ERROR_ARGUMENT, "%s: %s", name, problem.message);
	free(sorted);
	if (result != CORRAL_OK) {
		corral_module_free(module);
		return result;
	}
	if (pvm_interp_prepare(&module->interp, &module->program, &libc_allocator, &problem)) {
		corral_module_free(module);
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "%s: %s", name, problem.message);
	}
	module->interp_ready = true;
	*out = module;
	return CORRAL_OK;
}

void corral_module_free(corral_module *module)
{
	if (!module)
		return;
	if (module->interp_ready)
		pvm_interp_free(&module->interp, &libc_allocator);
	pvm_program_free(&module->program, &libc_allocator);
	free(module->bytes);
	free(module->name);
	free(module);
}

void corral_module_get_info(const corral_module *module, corral_module_info *info)
{
	const struct pvm_program *program = &module->program;
	const struct loader_program *container = &module->container;
	*info = (corral_module_info){
		.format = container->format,
		.isa = module->isa,
		.has_metadata = container->has_metadata,
		.code_length = program->code.length,
		.instruction_count = program->instruction_count,
		.block_count = program->block_count,
		.jump_table_length = program->blob.jump_count,
		.bad_static_targets = program->bad_static_targets,
		.bad_jump_entries = program->bad_jump_entries,
		.ro_data_length = container->ro_length,
		.rw_data_length = container->rw_length,
		.heap_pages = container->heap_pages,
		.stack_size = container->stack_size,
	};
}

uint32_t corral_module_instruction(const corral_module *module, uint32_t pc, char *buffer, size_t size)
{
	struct pvm_inst inst;
	struct pvm_text text;
	pvm_decode(&module->program.code, pc, &inst);
	pvm_text_init(&text, buffer, size > UINT32_MAX ? UINT32_MAX : (uint32_t)size);
	pvm_disasm_inst(&text, &inst);
	return inst.next;
}
