/* Decoding one instruction at a code offset (GP A.2-A.5).
 *
 * The code is read as zeta = c ++ [0, 0, ...]: reads past the end are zero, so
 * every offset decodes to something; an opcode whose bitmask bit is clear, or
 * that the ISA does not define, decodes as trap. */
#ifndef PVM_DECODE_H
#define PVM_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "isa.h"

#define PVM_REGISTER_COUNT 13
#define PVM_MAX_SKIP       24

struct pvm_code {
	const uint8_t *bytes;
	uint32_t length;
	const uint8_t *bitmask;
	const struct pvm_opcode_map *map;
};

struct pvm_inst {
	uint32_t pc;
	uint32_t next; /* pc + 1 + skip(pc) */
	uint8_t op;    /* enum pvm_op; PVM_OP_TRAP for an invalid opcode */
	uint8_t ra, rb, rd;
	bool defined; /* false when the opcode byte is invalid or not marked */
	/* Immediates, sign-extended to 64 bits. For a jump or branch the
	 * target (pc + offset) is in imm_y (imm_x for jump), as a signed value. */
	uint64_t imm_x;
	uint64_t imm_y;
};

static inline bool pvm_code_is_marked(const struct pvm_code *code, uint32_t pc)
{
	return pc < code->length && ((code->bitmask[pc >> 3] >> (pc & 7)) & 1);
}

/* The distance in bytes, minus one, to the next marked opcode; at most 24. */
uint32_t pvm_code_skip(const struct pvm_code *code, uint32_t pc);

/* The opcode at pc as the spec's opcode() function: 0 (trap) unless marked
 * and defined. Sets *defined accordingly. */
enum pvm_op pvm_code_op(const struct pvm_code *code, uint32_t pc, bool *defined);

void pvm_decode(const struct pvm_code *code, uint32_t pc, struct pvm_inst *inst);

/* Where a jump or branch goes (pc + offset, which may lie outside the code);
 * false when the instruction has no static target. */
bool pvm_inst_target(const struct pvm_inst *inst, int64_t *target);

#endif
