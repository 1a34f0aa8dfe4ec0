/* Gas cost models: what entering each basic block costs.
 *
 * A block's whole cost is charged when execution enters it (GP 0.8 draft,
 * and the vectors); the models differ only in how that cost is computed. */
#ifndef PVM_GAS_H
#define PVM_GAS_H

#include <stdint.h>

#include "program.h"

enum pvm_gas_model_kind {
	PVM_GAS_PER_INSTRUCTION, /* 1 per instruction (the v0.4 vectors) */
	PVM_GAS_TABLE,           /* an explicit cost per block start */
	PVM_GAS_PIPELINE,        /* the GP 0.8 pipeline simulation (core/gas_pipeline.c) */
	PVM_GAS_MODEL_COUNT,
};

struct pvm_block_cost {
	uint32_t pc;
	uint64_t cost;
};

struct pvm_gas_model {
	enum pvm_gas_model_kind kind;
	/* PVM_GAS_TABLE: costs sorted by pc, one per block start. */
	const struct pvm_block_cost *table;
	uint32_t table_length;
};

/* Sets every block's cost; -1 if the model cannot cost one of them. */
int pvm_gas_cost_blocks(struct pvm_program *program, const struct pvm_gas_model *model, struct pvm_error *error);

const char *pvm_gas_model_name(enum pvm_gas_model_kind kind);

#endif
