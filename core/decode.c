#include "decode.h"

/* Decoding reads the instruction's bytes straight from the code, with 8-byte
 * loads for the immediates; only within WINDOW bytes of the end, where zeta's
 * zeros begin, are they first copied out with zeros after them. */

/* The most any instruction reads from its opcode on: an 8-byte load of imm_y
 * (which starts at most 3 + 4 bytes in) or of load_imm_64's immediate. */
#define WINDOW 24

/* X_n of the `length` bytes (0..4 or 8) at `at`: one load, whatever follows
 * the immediate shifted out. */
static inline uint64_t immediate(const uint8_t *at, uint32_t length)
{
	uint32_t shift = (64 - 8 * length) & 63;
	uint64_t value = (uint64_t)((int64_t)(pvm_load_le64(at) << shift) >> shift);
	return length ? value : 0;
}

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* l = min(4, max(0, skip - used)) */
static inline uint32_t rest_length(uint32_t skip, uint32_t used)
{
	return skip > used ? min_u32(4, skip - used) : 0;
}

static inline uint8_t reg(uint32_t field)
{
	return (uint8_t)min_u32(12, field);
}

void pvm_decode(const struct pvm_code *code, uint32_t pc, struct pvm_inst *inst)
{
	/* Near the end the bytes are zeta's: the code, then zeros. */
	uint8_t window[WINDOW];
	const uint8_t *at = window;
	if ((uint64_t)pc + WINDOW <= code->length) {
		at = code->bytes + pc;
	} else {
		for (uint32_t i = 0; i < WINDOW; i++)
			window[i] = (uint64_t)pc + i < code->length ? code->bytes[(uint64_t)pc + i] : 0;
	}
	uint32_t skip = pvm_code_skip(code, pc);
	bool defined;
	enum pvm_op op = pvm_code_op(code, pc, &defined);
	uint32_t b1 = at[1], lx, ly;

	inst->pc = pc;
	inst->next = pc + 1 + skip;
	inst->op = (uint8_t)op;
	inst->defined = defined;
	inst->ra = inst->rb = inst->rd = 0;
	inst->imm_x = inst->imm_y = 0;

	switch (pvm_ops[op].args) {
	case PVM_ARGS_NONE:
		break;
	case PVM_ARGS_IMM:
		inst->imm_x = immediate(at + 1, min_u32(4, skip));
		break;
	case PVM_ARGS_REG_IMM64:
		inst->ra = reg(b1 % 16);
		inst->imm_x = pvm_load_le64(at + 2);
		break;
	case PVM_ARGS_IMM2:
		lx = min_u32(4, b1 % 8);
		ly = rest_length(skip, lx + 1);
		inst->imm_x = immediate(at + 2, lx);
		inst->imm_y = immediate(at + 2 + lx, ly);
		break;
	case PVM_ARGS_OFFSET:
		lx = min_u32(4, skip);
		inst->imm_x = (uint64_t)pc + immediate(at + 1, lx);
		break;
	case PVM_ARGS_REG_IMM:
		inst->ra = reg(b1 % 16);
		inst->imm_x = immediate(at + 2, rest_length(skip, 1));
		break;
	case PVM_ARGS_REG_IMM2:
	case PVM_ARGS_REG_IMM_OFFSET:
		inst->ra = reg(b1 % 16);
		lx = min_u32(4, (b1 / 16) % 8);
		ly = rest_length(skip, lx + 1);
		inst->imm_x = immediate(at + 2, lx);
		inst->imm_y = immediate(at + 2 + lx, ly);
		if (pvm_ops[op].args == PVM_ARGS_REG_IMM_OFFSET)
			inst->imm_y += pc;
		break;
	case PVM_ARGS_REG2:
		inst->rd = reg(b1 % 16);
		inst->ra = reg(b1 / 16);
		break;
	case PVM_ARGS_REG2_IMM:
	case PVM_ARGS_REG2_OFFSET:
		inst->ra = reg(b1 % 16);
		inst->rb = reg(b1 / 16);
		inst->imm_x = immediate(at + 2, rest_length(skip, 1));
		if (pvm_ops[op].args == PVM_ARGS_REG2_OFFSET)
			inst->imm_x += pc;
		break;
	case PVM_ARGS_REG2_IMM2:
		inst->ra = reg(b1 % 16);
		inst->rb = reg(b1 / 16);
		lx = min_u32(4, at[2] % 8);
		ly = rest_length(skip, lx + 2);
		inst->imm_x = immediate(at + 3, lx);
		inst->imm_y = immediate(at + 3 + lx, ly);
		break;
	case PVM_ARGS_REG3:
		inst->ra = reg(b1 % 16);
		inst->rb = reg(b1 / 16);
		inst->rd = reg(at[2]);
		break;
	}
}

bool pvm_inst_target(const struct pvm_inst *inst, int64_t *target)
{
	switch (pvm_ops[inst->op].args) {
	case PVM_ARGS_OFFSET:
	case PVM_ARGS_REG2_OFFSET:
		*target = (int64_t)inst->imm_x;
		return true;
	case PVM_ARGS_REG_IMM_OFFSET:
		*target = (int64_t)inst->imm_y;
		return true;
	default:
		return false;
	}
}
