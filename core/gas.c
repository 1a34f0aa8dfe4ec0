#include "gas.h"

#include "gas_pipeline.h"

static const struct pvm_block_cost *table_find(const struct pvm_gas_model *model, uint32_t pc)
{
	uint32_t low = 0, high = model->table_length;
	while (low < high) {
		uint32_t middle = low + (high - low) / 2;
		if (model->table[middle].pc < pc)
			low = middle + 1;
		else
			high = middle;
	}
	return low < model->table_length && model->table[low].pc == pc ? &model->table[low] : 0;
}

static int cost_per_instruction(struct pvm_program *program, const struct pvm_gas_model *model, struct pvm_error *error)
{
	(void)model;
	(void)error;
	for (uint32_t i = 0; i < program->block_count; i++)
		program->blocks[i].cost = program->blocks[i].count;
	return 0;
}

static int cost_from_table(struct pvm_program *program, const struct pvm_gas_model *model, struct pvm_error *error)
{
	for (uint32_t i = 1; i < model->table_length; i++) {
		if (model->table[i].pc <= model->table[i - 1].pc) {
			pvm_error_set(error, 0, "block-cost table is not sorted by pc at entry %u (pc %u)", i,
				      model->table[i].pc);
			return -1;
		}
	}
	for (uint32_t i = 0; i < program->block_count; i++) {
		struct pvm_block *block = &program->blocks[i];
		const struct pvm_block_cost *entry = table_find(model, block->pc);
		/* Tables list the blocks execution can reach (the vectors leave
		 * out the dead end after a final trap); only an embedder moving
		 * the pc can enter the others, and it pays nothing there. */
		if (!entry && !block->reachable) {
			block->cost = 0;
			continue;
		}
		if (!entry) {
			pvm_error_set(error, block->pc, "the block-cost table has no cost for the basic block at pc %u",
				      block->pc);
			return -1;
		}
		block->cost = entry->cost;
	}
	return 0;
}

static int cost_pipeline(struct pvm_program *program, const struct pvm_gas_model *model, struct pvm_error *error)
{
	(void)model;
	(void)error;
	pvm_gas_pipeline_cost_blocks(program);
	return 0;
}

typedef int (*cost_function)(struct pvm_program *, const struct pvm_gas_model *, struct pvm_error *);

static const struct {
	const char *name;
	cost_function cost;
} models[PVM_GAS_MODEL_COUNT] = {
	[PVM_GAS_PER_INSTRUCTION] = {"naive", cost_per_instruction},
	[PVM_GAS_TABLE] = {"table", cost_from_table},
	[PVM_GAS_PIPELINE] = {"gp0.8", cost_pipeline},
};

int pvm_gas_cost_blocks(struct pvm_program *program, const struct pvm_gas_model *model, struct pvm_error *error)
{
	if (model->kind >= PVM_GAS_MODEL_COUNT) {
		pvm_error_set(error, 0, "unknown gas model %u", (unsigned)model->kind);
		return -1;
	}
	return models[model->kind].cost(program, model, error);
}

const char *pvm_gas_model_name(enum pvm_gas_model_kind kind)
{
	return kind < PVM_GAS_MODEL_COUNT ? models[kind].name : "?";
}
