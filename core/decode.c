#include "decode.h"

static inline uint8_t zeta(const struct pvm_code *code, uint64_t offset)
{
	return offset < code->length ? code->bytes[offset] : 0;
}

/* Inlined into pvm_decode, which the compiler and the interpreter's
 * preparation call once per instruction. */
static inline uint32_t code_skip(const struct pvm_code *code, uint32_t pc)
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

static inline enum pvm_op code_op(const struct pvm_code *code, uint32_t pc, bool *defined)
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

uint32_t pvm_code_skip(const struct pvm_code *code, uint32_t pc)
{
	return code_skip(code, pc);
}

enum pvm_op pvm_code_op(const struct pvm_code *code, uint32_t pc, bool *defined)
{
	return code_op(code, pc, defined);
}

/* Little-endian, `length` bytes (0..8) of zeta from `offset`. */
static uint64_t read_le(const struct pvm_code *code, uint64_t offset, uint32_t length)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* Away from the end, one unaligned load does it. */
	if (offset + 8 <= code->length) {
		uint64_t word;
		__builtin_memcpy(&word, code->bytes + offset, 8);
		return length >= 8 ? word : word & ((1ull << (8 * length)) - 1);
	}
#endif
	uint64_t value = 0;
	for (uint32_t i = 0; i < length; i++)
		value |= (uint64_t)zeta(code, offset + i) << (8 * i);
	return value;
}

/* X_n: sign-extend an n-byte value to 64 bits. */
static uint64_t sign_extend(uint64_t value, uint32_t length)
{
	if (length == 0)
		return 0;
	if (length >= 8)
		return value;
	uint32_t shift = 64 - 8 * length;
	return (uint64_t)((int64_t)(value << shift) >> shift);
}

static uint64_t immediate(const struct pvm_code *code, uint64_t offset, uint32_t length)
{
	return sign_extend(read_le(code, offset, length), length);
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* l = min(4, max(0, skip - used)) */
static uint32_t rest_length(uint32_t skip, uint32_t used)
{
	return skip > used ? min_u32(4, skip - used) : 0;
}

static uint8_t reg(uint32_t field)
{
	return (uint8_t)min_u32(12, field);
}

void pvm_decode(const struct pvm_code *code, uint32_t pc, struct pvm_inst *inst)
{
	uint32_t skip = code_skip(code, pc);
	bool defined;
	enum pvm_op op = code_op(code, pc, &defined);
	uint8_t b1 = zeta(code, (uint64_t)pc + 1);
	uint32_t lx, ly;

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
		inst->imm_x = immediate(code, (uint64_t)pc + 1, min_u32(4, skip));
		break;
	case PVM_ARGS_REG_IMM64:
		inst->ra = reg(b1 % 16);
		inst->imm_x = read_le(code, (uint64_t)pc + 2, 8);
		break;
	case PVM_ARGS_IMM2:
		lx = min_u32(4, b1 % 8);
		ly = rest_length(skip, lx + 1);
		inst->imm_x = immediate(code, (uint64_t)pc + 2, lx);
		inst->imm_y = immediate(code, (uint64_t)pc + 2 + lx, ly);
		break;
	case PVM_ARGS_OFFSET:
		lx = min_u32(4, skip);
		inst->imm_x = (uint64_t)pc + immediate(code, (uint64_t)pc + 1, lx);
		break;
	case PVM_ARGS_REG_IMM:
		inst->ra = reg(b1 % 16);
		inst->imm_x = immediate(code, (uint64_t)pc + 2, rest_length(skip, 1));
		break;
	case PVM_ARGS_REG_IMM2:
	case PVM_ARGS_REG_IMM_OFFSET:
		inst->ra = reg(b1 % 16);
		lx = min_u32(4, (b1 / 16) % 8);
		ly = rest_length(skip, lx + 1);
		inst->imm_x = immediate(code, (uint64_t)pc + 2, lx);
		inst->imm_y = immediate(code, (uint64_t)pc + 2 + lx, ly);
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
		inst->imm_x = immediate(code, (uint64_t)pc + 2, rest_length(skip, 1));
		if (pvm_ops[op].args == PVM_ARGS_REG2_OFFSET)
			inst->imm_x += pc;
		break;
	case PVM_ARGS_REG2_IMM2:
		inst->ra = reg(b1 % 16);
		inst->rb = reg(b1 / 16);
		lx = min_u32(4, zeta(code, (uint64_t)pc + 2) % 8);
		ly = rest_length(skip, lx + 2);
		inst->imm_x = immediate(code, (uint64_t)pc + 3, lx);
		inst->imm_y = immediate(code, (uint64_t)pc + 3 + lx, ly);
		break;
	case PVM_ARGS_REG3:
		inst->ra = reg(b1 % 16);
		inst->rb = reg(b1 / 16);
		inst->rd = reg(zeta(code, (uint64_t)pc + 2));
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
