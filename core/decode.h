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

/* Decoding reads the instruction's bytes straight from the code, with 8-byte
 * loads for the immediates; only within PVM_DECODE_WINDOW bytes of the end,
 * where zeta's zeros begin, are they first copied out with zeros after them. */

/* The most any instruction reads from its opcode on: an 8-byte load of imm_y
 * (which starts at most 3 + 4 bytes in) or of load_imm_64's immediate. */
#define PVM_DECODE_WINDOW 24

/* X_n of the `length` bytes (0..4 or 8) at `at`: one load, whatever follows
 * the immediate shifted out. */
static inline uint64_t pvm_immediate(const uint8_t *at, uint32_t length)
{
	uint32_t shift = (64 - 8 * length) & 63;
	uint64_t value = (uint64_t)((int64_t)(pvm_load_le64(at) << shift) >> shift);
	return length ? value : 0;
}

static inline uint32_t pvm_min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* l = min(4, max(0, skip - used)) */
static inline uint32_t pvm_rest_length(uint32_t skip, uint32_t used)
{
	return skip > used ? pvm_min_u32(4, skip - used) : 0;
}

static inline uint8_t pvm_reg_field(uint32_t field)
{
	return (uint8_t)pvm_min_u32(12, field);
}

/* pvm_decode for an instruction whose op and argument class the caller
 * already knows: with both constant, the class's case is all that is left,
 * which lets a caller that switches on the op decode and dispatch with one
 * indirect branch instead of two (the compiler's single pass). `skip` is
 * pvm_code_skip's, `op` and `defined` pvm_code_op's. */
static inline __attribute__((always_inline)) void pvm_decode_as(const struct pvm_code *code, uint32_t pc, uint32_t skip,
								enum pvm_op op, bool defined, enum pvm_args args,
								struct pvm_inst *inst)
{
	/* Near the end the bytes are zeta's: the code, then zeros. */
	uint8_t window[PVM_DECODE_WINDOW];
	const uint8_t *at = window;
	if ((uint64_t)pc + PVM_DECODE_WINDOW <= code->length) {
		at = code->bytes + pc;
	} else {
		for (uint32_t i = 0; i < PVM_DECODE_WINDOW; i++)
			window[i] = (uint64_t)pc + i < code->length ? code->bytes[(uint64_t)pc + i] : 0;
	}
	uint32_t b1 = at[1], lx, ly;

	inst->pc = pc;
	inst->next = pc + 1 + skip;
	inst->op = (uint8_t)op;
	inst->defined = defined;
	inst->ra = inst->rb = inst->rd = 0;
	inst->imm_x = inst->imm_y = 0;

	switch (args) {
	case PVM_ARGS_NONE:
		break;
	case PVM_ARGS_IMM:
		inst->imm_x = pvm_immediate(at + 1, pvm_min_u32(4, skip));
		break;
	case PVM_ARGS_REG_IMM64:
		inst->ra = pvm_reg_field(b1 % 16);
		inst->imm_x = pvm_load_le64(at + 2);
		break;
	case PVM_ARGS_IMM2:
		lx = pvm_min_u32(4, b1 % 8);
		ly = pvm_rest_length(skip, lx + 1);
		inst->imm_x = pvm_immediate(at + 2, lx);
		inst->imm_y = pvm_immediate(at + 2 + lx, ly);
		break;
	case PVM_ARGS_OFFSET:
		lx = pvm_min_u32(4, skip);
		inst->imm_x = (uint64_t)pc + pvm_immediate(at + 1, lx);
		break;
	case PVM_ARGS_REG_IMM:
		inst->ra = pvm_reg_field(b1 % 16);
		inst->imm_x = pvm_immediate(at + 2, pvm_rest_length(skip, 1));
		break;
	case PVM_ARGS_REG_IMM2:
	case PVM_ARGS_REG_IMM_OFFSET:
		inst->ra = pvm_reg_field(b1 % 16);
		lx = pvm_min_u32(4, (b1 / 16) % 8);
		ly = pvm_rest_length(skip, lx + 1);
		inst->imm_x = pvm_immediate(at + 2, lx);
		inst->imm_y = pvm_immediate(at + 2 + lx, ly);
		if (args == PVM_ARGS_REG_IMM_OFFSET)
			inst->imm_y += pc;
		break;
	case PVM_ARGS_REG2:
		inst->rd = pvm_reg_field(b1 % 16);
		inst->ra = pvm_reg_field(b1 / 16);
		break;
	case PVM_ARGS_REG2_IMM:
	case PVM_ARGS_REG2_OFFSET:
		inst->ra = pvm_reg_field(b1 % 16);
		inst->rb = pvm_reg_field(b1 / 16);
		inst->imm_x = pvm_immediate(at + 2, pvm_rest_length(skip, 1));
		if (args == PVM_ARGS_REG2_OFFSET)
			inst->imm_x += pc;
		break;
	case PVM_ARGS_REG2_IMM2:
		inst->ra = pvm_reg_field(b1 % 16);
		inst->rb = pvm_reg_field(b1 / 16);
		lx = pvm_min_u32(4, at[2] % 8);
		ly = pvm_rest_length(skip, lx + 2);
		inst->imm_x = pvm_immediate(at + 3, lx);
		inst->imm_y = pvm_immediate(at + 3 + lx, ly);
		break;
	case PVM_ARGS_REG3:
		inst->ra = pvm_reg_field(b1 % 16);
		inst->rb = pvm_reg_field(b1 / 16);
		inst->rd = pvm_reg_field(at[2]);
		break;
	case PVM_ARGS_COUNT:
		break;
	}
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
