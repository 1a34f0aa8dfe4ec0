/* The GP 0.8 draft gas cost model (appendix A.9, A.10): each basic block
 * costs the cycles a simplified out-of-order CPU needs to decode, execute and
 * retire it.
 *
 * The CPU decodes up to 4 slots' worth of instructions a cycle into a reorder
 * buffer of 32 entries, starts up to 5 of them a cycle once their source
 * registers are ready and their execution units free (4 ALU, 4 load, 4 store,
 * 1 multiply, 1 divide), and retires them in order. move_reg is renamed away
 * in the front end. The block costs max(cycles - 3, 1).
 *
 * Memory accesses cost the L2HIT latency (25 cycles), as in every vector. */
#ifndef PVM_GAS_PIPELINE_H
#define PVM_GAS_PIPELINE_H

#include <stdint.h>

#include "program.h"

/* The cost of the basic block whose first instruction is at `pc`: the
 * simulation runs from there to the first instruction of the set T (anything
 * that decodes as trap included, and the implicit trap past the end). */
uint64_t pvm_gas_pipeline_block_cost(const struct pvm_program *program, uint32_t pc);

/* Sets the cost of every block of `program`. */
void pvm_gas_pipeline_cost_blocks(struct pvm_program *program);

#endif
