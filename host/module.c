#include <pthread.h>
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
		.metering = CORRAL_METERING_SYNC,
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
	case CORRAL_GAS_GP08:
		*model = (struct pvm_gas_model){.kind = PVM_GAS_PIPELINE};
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

/* Copies a list's symbols into `symbols` and their names to *names on. */
static void copy_list(const struct loader_symbols *list, struct host_symbol *symbols, char **names)
{
	size_t at = 0;
	for (uint32_t i = 0; i < list->count; i++) {
		struct loader_symbol symbol;
		loader_symbol_next(list, &at, &symbol);
		memcpy(*names, symbol.name, symbol.name_length);
		(*names)[symbol.name_length] = 0;
		symbols[i] = (struct host_symbol){.name = *names, .pc = symbol.pc};
		*names += symbol.name_length + 1;
	}
}

/* The container's imports and exports, kept past the caller's bytes' life. */
static corral_result copy_symbols(corral_module *module, corral_error *error)
{
	const struct loader_program *container = &module->container;
	const struct loader_symbols *lists[] = {&container->imports, &container->exports};
	size_t total = 0;
	for (size_t l = 0; l < 2; l++) {
		size_t at = 0;
		for (uint32_t i = 0; i < lists[l]->count; i++) {
			struct loader_symbol symbol;
			loader_symbol_next(lists[l], &at, &symbol);
			total += symbol.name_length + 1;
		}
	}
	module->symbol_names = malloc(total ? total : 1);
	module->imports = calloc(container->imports.count + 1, sizeof *module->imports);
	module->exports = calloc(container->exports.count + 1, sizeof *module->exports);
	if (!module->symbol_names || !module->imports || !module->exports)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "%s: cannot copy %u imports and %u exports",
				 module->name, container->imports.count, container->exports.count);
	char *names = module->symbol_names;
	copy_list(&container->imports, module->imports, &names);
	copy_list(&container->exports, module->exports, &names);
	module->import_count = container->imports.count;
	module->export_count = container->exports.count;
	return CORRAL_OK;
}

/* An entry point must be where execution can start: a block start. */
static corral_result check_exports(const corral_module *module, corral_error *error)
{
	for (size_t i = 0; i < module->export_count; i++) {
		const struct host_symbol *entry = &module->exports[i];
		if (!pvm_program_is_jump_target(&module->program, entry->pc))
			return host_fail(error, CORRAL_ERROR_MALFORMED,
					 "%s: export %zu \"%s\" is at pc %u, which does not start a basic block",
					 module->name, i, entry->name, entry->pc);
	}
	return CORRAL_OK;
}

static const char *const metering_names[] = {
	[CORRAL_METERING_SYNC] = "sync",
	[CORRAL_METERING_ASYNC] = "async",
	[CORRAL_METERING_OFF] = "off",
};

/* The interpreter meters exactly and the cross-check compares gas with it,
 * so only the JIT alone may meter otherwise. */
static corral_result check_metering(const corral_engine *engine, const corral_module_config *config, const char *name,
				    corral_error *error)
{
	if (config->metering > CORRAL_METERING_OFF)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "%s: unknown gas metering %u", name,
				 (unsigned)config->metering);
	if (config->metering == CORRAL_METERING_SYNC)
		return CORRAL_OK;
	if (!engine || engine->config.backend != CORRAL_BACKEND_JIT)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "%s: the interpreter meters gas exactly; --gas-metering %s needs the jit backend",
				 name, metering_names[config->metering]);
	if (engine->config.cross_check)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "%s: the cross-check compares gas with the interpreter, which meters exactly; "
				 "--gas-metering %s cannot be cross-checked",
				 name, metering_names[config->metering]);
	return CORRAL_OK;
}

corral_result corral_module_new(corral_engine *engine, const uint8_t *bytes, size_t length, const char *name,
				const corral_module_config *config, corral_module **out, corral_error *error)
{
	return host_module_new(engine, bytes, length, name, config, true, out, error);
}

corral_result host_module_new(corral_engine *engine, const uint8_t *bytes, size_t length, const char *name,
			      const corral_module_config *config, bool compile, corral_module **out,
			      corral_error *error)
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
	if (config->format > CORRAL_FORMAT_POLKAVM)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "%s: unknown program format %u", name,
				 (unsigned)config->format);
	corral_result checked = check_metering(engine, config, name, error);
	if (checked != CORRAL_OK)
		return checked;

	corral_module *module = calloc(1, sizeof *module);
	if (!module)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "%s: cannot allocate a module", name);
	module->engine = engine;
	module->isa = config->isa;
	module->metering = config->metering;
	module->sandboxed = engine && engine->sandbox == CORRAL_SANDBOX_LINUX;
	if (pthread_mutex_init(&module->lazy_lock, NULL)) {
		free(module);
		return host_fail(error, CORRAL_ERROR_SYSTEM, "%s: cannot create a lock", name);
	}
	module->lazy_lock_ready = true;
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
	if (module->container.format == CORRAL_FORMAT_POLKAVM)
		module->isa = module->container.isa;
	enum pvm_isa isa = module->isa == CORRAL_ISA_GP08 ? PVM_ISA_GP08 : PVM_ISA_GP07;
	if (pvm_program_init(&module->program, module->container.blob, module->container.blob_length, isa,
			     &libc_allocator, &problem)) {
		const char *part = module->container.format == CORRAL_FORMAT_BLOB ? "" : "code: ";
		corral_module_free(module);
		return host_fail(error, CORRAL_ERROR_MALFORMED, "%s: %s%s", name, part, problem.message);
	}
	result = copy_symbols(module, error);
	if (result == CORRAL_OK)
		result = check_exports(module, error);
	if (result != CORRAL_OK) {
		corral_module_free(module);
		return result;
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
	/* Compiled modules need the interpreter's form only for the
	 * cross-check's twin: preparing it anyway would add a whole pass over
	 * the code to every module's creation. */
	bool jit = engine && engine->config.backend == CORRAL_BACKEND_JIT;
	if (!jit || engine->config.cross_check) {
		if (pvm_interp_prepare(&module->interp, &module->program, &libc_allocator, &problem)) {
			corral_module_free(module);
			return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "%s: %s", name, problem.message);
		}
		module->interp_ready = true;
	}
	if (jit && compile) {
		result = host_jit_compile(module, HOST_JIT_PLAIN, &module->jit, error);
		if (result != CORRAL_OK) {
			corral_module_free(module);
			return result;
		}
	}
	*out = module;
	return CORRAL_OK;
}

void corral_module_free(corral_module *module)
{
	if (!module)
		return;
	host_jit_release(&module->jit);
	host_jit_release(&module->step.jit);
	host_jit_release(&module->paged.jit);
	if (module->lazy_lock_ready)
		pthread_mutex_destroy(&module->lazy_lock);
	if (module->interp_ready)
		pvm_interp_free(&module->interp, &libc_allocator);
	pvm_program_free(&module->program, &libc_allocator);
	free(module->imports);
	free(module->exports);
	free(module->symbol_names);
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
		.ro_data_size = container->format == CORRAL_FORMAT_POLKAVM ? container->ro_size : container->ro_length,
		.rw_data_size = container->format == CORRAL_FORMAT_POLKAVM ? container->rw_size : container->rw_length,
	};
}

size_t corral_module_export_count(const corral_module *module)
{
	return module->export_count;
}

const char *corral_module_export_name(const corral_module *module, size_t index)
{
	return index < module->export_count ? module->exports[index].name : NULL;
}

uint32_t corral_module_export_pc(const corral_module *module, size_t index)
{
	return index < module->export_count ? module->exports[index].pc : 0;
}

bool corral_module_find_export(const corral_module *module, const char *name, uint32_t *pc)
{
	for (size_t i = 0; i < module->export_count; i++) {
		if (!strcmp(module->exports[i].name, name)) {
			if (pc)
				*pc = module->exports[i].pc;
			return true;
		}
	}
	return false;
}

size_t corral_module_import_count(const corral_module *module)
{
	return module->import_count;
}

const char *corral_module_import_name(const corral_module *module, size_t index)
{
	return index < module->import_count ? module->imports[index].name : NULL;
}

const uint8_t *corral_module_metadata(const corral_module *module, size_t *length)
{
	const struct loader_program *container = &module->container;
	if (length)
		*length = container->has_metadata ? container->metadata_length : 0;
	return container->has_metadata ? container->metadata : NULL;
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

size_t corral_module_block_count(const corral_module *module)
{
	return module->program.block_count;
}

corral_block_cost corral_module_block(const corral_module *module, size_t index)
{
	if (index >= module->program.block_count)
		return (corral_block_cost){0, 0};
	return (corral_block_cost){module->program.blocks[index].pc, module->program.blocks[index].cost};
}

const uint8_t *corral_module_native(const corral_module *module, size_t *length)
{
	if (length)
		*length = module->jit.ready ? module->jit.code.size : 0;
	return module->jit.ready ? module->jit.code.bytes : NULL;
}

size_t corral_module_native_at(const corral_module *module, uint32_t pc, size_t *offset)
{
	if (offset)
		*offset = 0;
	if (!module->jit.ready)
		return 0;
	const struct pvm_jit_code *code = &module->jit.code;
	const struct pvm_jit_site *site = pvm_jit_site_at(code, pc);
	if (!site)
		return 0;
	size_t index = (size_t)(site - code->sites);
	uint32_t end = index + 1 < code->site_count ? code->sites[index + 1].charge : code->cold_offset;
	if (offset)
		*offset = site->charge;
	return end - site->charge;
}
