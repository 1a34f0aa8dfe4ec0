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

/* Eight bytes as a little-endian number, from any address. */
static inline uint64_t pvm_load_le64(const uint8_t *at)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t word;
	__builtin_memcpy(&word, at, 8);
	return word;
#else
	uint64_t word = 0;
	for (unsigned i = 0; i < 8; i++)
		word |= (uint64_t)at[i] << (8 * i);
	return word;
#endif
}

static inline bool pvm_code_is_marked(const struct pvm_code *code, uint32_t pc)
{
	return pc < code->length && ((code->bitmask[pc >> 3] >> (pc & 7)) & 1);
}

/* The distance in bytes, minus one, to the next marked opcode; at most 24.
 * Inline, as pvm_code_op: the passes over a program call both for every
 * instruction. */
static inline uint32_t pvm_code_skip(const struct pvm_code *code, uint32_t pc)
{
	uint64_t start = (uint64_t)pc + 1;
	if (start >= code->length)
		return 0;
	/* The 25 bitmask bits from `start` on, read a byte at a time: bit j
	 * says whether an opcode starts at start + j. */
	uint64_t mask_bytes = ((uint64_t)code->length + 7) / 8, first = start >> 3, bits = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (first + 8 <= mask_bytes)
		__builtin_memcpy(&bits, code->bitmask + first, 8);
	else
#endif
		for (uint64_t i = 0; i < 5 && first + i < mask_bytes; i++)
			bits |= (uint64_t)code->bitmask[first + i] << (8 * i);
	bits >>= start & 7;
	/* Past the end the bitmask reads as all ones; and skip stops at 24. */
	uint64_t left = code->length - start;
	if (left < PVM_MAX_SKIP)
		bits |= 1ull << left;
	bits |= 1ull << PVM_MAX_SKIP;
	return (uint32_t)__builtin_ctzll(bits);
}

/* The opcode at pc as the spec's opcode() function: 0 (trap) unless marked
 * and defined. Sets *defined accordingly. */
static inline enum pvm_op pvm_code_op(const struct pvm_code *code, uint32_t pc, bool *defined)
{
	*defined = false;
	if (!pvm_code_is_marked(code, pc))
		return PVM_OP_TRAP;
	uint8_t byte = code->bytes[pc];
	if (!code->map->valid[byte])
		return PVM_OP_TRAP;
	*defined = true;
	return (enum pvm_op)code->map->op_of_byte[byte];
}

void pvm_decode(const struct pvm_code *code, uint32_t pc, struct pvm_inst *inst);

/* Does an instruction of this argument class have a static target
 * (pvm_inst_target)? */
static inline bool pvm_args_have_target(enum pvm_args args)
{
	return args == PVM_ARGS_OFFSET || args == PVM_ARGS_REG2_OFFSET || args == PVM_ARGS_REG_IMM_OFFSET;
}

/* Where a jump or branch goes (pc + offset, which may lie outside the code);
 * false when the instruction has no static target. */
bool pvm_inst_target(const struct pvm_inst *inst, int64_t *target);

#endif
