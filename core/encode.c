#include "encode.h"

uint32_t pvm_varint_write(uint64_t value, uint8_t *out)
{
	for (uint32_t extra = 0; extra < 8; extra++) {
		if (value < (1ull << (7 * (extra + 1)))) {
			uint8_t prefix = (uint8_t)(0xFF00u >> extra); /* `extra` leading ones */
			out[0] = (uint8_t)(prefix | (value >> (8 * extra)));
			for (uint32_t i = 0; i < extra; i++)
				out[1 + i] = (uint8_t)(value >> (8 * i));
			return 1 + extra;
		}
	}
	out[0] = 0xFF;
	for (uint32_t i = 0; i < 8; i++)
		out[1 + i] = (uint8_t)(value >> (8 * i));
	return 9;
}

uint32_t pvm_immediate_length(uint64_t value)
{
	for (uint32_t length = 0; length <= 4; length++) {
		uint64_t kept = length ? value & (UINT64_MAX >> (64 - 8 * length)) : 0;
		uint64_t extended = kept;
		if (length && (kept >> (8 * length - 1)) & 1)
			extended |= UINT64_MAX << (8 * length);
		if (extended == value)
			return length;
	}
	return 5;
}

static uint32_t put_le(uint8_t *out, uint64_t value, uint32_t length)
{
	for (uint32_t i = 0; i < length; i++)
		out[i] = (uint8_t)(value >> (8 * i));
	return length;
}

struct encoder {
	const struct pvm_inst *inst;
	struct pvm_error *error;
	bool failed;
};

static uint32_t imm_or_fail(struct encoder *encoder, uint64_t value, const char *what)
{
	uint32_t length = pvm_immediate_length(value);
	if (length > 4 && !encoder->failed) {
		encoder->failed = true;
		pvm_error_set(encoder->error, encoder->inst->pc,
			      "%s %s 0x%llx does not fit: immediates are 32-bit values sign-extended to 64 bits",
			      pvm_ops[encoder->inst->op].name, what, (unsigned long long)value);
	}
	return length;
}

static uint32_t offset_or_fail(struct encoder *encoder, uint64_t target, uint32_t at_least)
{
	int64_t offset = (int64_t)(target - encoder->inst->pc);
	uint32_t length = pvm_immediate_length((uint64_t)offset);
	if (length > 4 && !encoder->failed) {
		encoder->failed = true;
		pvm_error_set(encoder->error, encoder->inst->pc, "%s target %lld is out of reach of pc %u",
			      pvm_ops[encoder->inst->op].name, (long long)(int64_t)target, encoder->inst->pc);
	}
	return length > at_least ? length : at_least;
}

static void check_register(struct encoder *encoder, uint8_t reg)
{
	if (reg > 12 && !encoder->failed) {
		encoder->failed = true;
		pvm_error_set(encoder->error, encoder->inst->pc, "register r%u does not exist (r0..r12)", reg);
	}
}

uint32_t pvm_encode(const struct pvm_inst *inst, enum pvm_isa isa, uint32_t offset_length, uint8_t *out,
		    struct pvm_error *error)
{
	struct encoder encoder = {.inst = inst, .error = error};
	const struct pvm_op_info *info = &pvm_ops[inst->op];
	uint32_t n = 0, lx, ly;

	if (inst->op >= PVM_OP_COUNT || info->opcode[isa] == PVM_NO_OPCODE) {
		pvm_error_set(error, inst->pc, "%s does not exist in %s", inst->op < PVM_OP_COUNT ? info->name : "?",
			      pvm_isa_name(isa));
		return 0;
	}
	check_register(&encoder, inst->ra);
	check_register(&encoder, inst->rb);
	check_register(&encoder, inst->rd);
	out[n++] = (uint8_t)info->opcode[isa];

	switch (info->args) {
	case PVM_ARGS_NONE:
		break;
	case PVM_ARGS_IMM:
		n += put_le(out + n, inst->imm_x, imm_or_fail(&encoder, inst->imm_x, "immediate"));
		break;
	case PVM_ARGS_REG_IMM64:
		out[n++] = inst->ra;
		n += put_le(out + n, inst->imm_x, 8);
		break;
	case PVM_ARGS_IMM2:
		lx = imm_or_fail(&encoder, inst->imm_x, "first immediate");
		ly = imm_or_fail(&encoder, inst->imm_y, "second immediate");
		out[n++] = (uint8_t)lx;
		n += put_le(out + n, inst->imm_x, lx);
		n += put_le(out + n, inst->imm_y, ly);
		break;
	case PVM_ARGS_OFFSET:
		lx = offset_or_fail(&encoder, inst->imm_x, offset_length);
		n += put_le(out + n, inst->imm_x - inst->pc, lx);
		break;
	case PVM_ARGS_REG_IMM:
		out[n++] = inst->ra;
		n += put_le(out + n, inst->imm_x, imm_or_fail(&encoder, inst->imm_x, "immediate"));
		break;
	case PVM_ARGS_REG_IMM2:
	case PVM_ARGS_REG_IMM_OFFSET:
		lx = imm_or_fail(&encoder, inst->imm_x, "first immediate");
		if (info->args == PVM_ARGS_REG_IMM_OFFSET)
			ly = offset_or_fail(&encoder, inst->imm_y, offset_length);
		else
			ly = imm_or_fail(&encoder, inst->imm_y, "second immediate");
		out[n++] = (uint8_t)(inst->ra | (lx << 4));
		n += put_le(out + n, inst->imm_x, lx);
		n += put_le(out + n, info->args == PVM_ARGS_REG_IMM_OFFSET ? inst->imm_y - inst->pc : inst->imm_y, ly);
		break;
	case PVM_ARGS_REG2:
		out[n++] = (uint8_t)(inst->rd | (inst->ra << 4));
		break;
	case PVM_ARGS_REG2_IMM:
		out[n++] = (uint8_t)(inst->ra | (inst->rb << 4));
		n += put_le(out + n, inst->imm_x, imm_or_fail(&encoder, inst->imm_x, "immediate"));
		break;
	case PVM_ARGS_REG2_OFFSET:
		out[n++] = (uint8_t)(inst->ra | (inst->rb << 4));
		n += put_le(out + n, inst->imm_x - inst->pc, offset_or_fail(&encoder, inst->imm_x, offset_length));
		break;
	case PVM_ARGS_REG2_IMM2:
		lx = imm_or_fail(&encoder, inst->imm_x, "first immediate");
		ly = imm_or_fail(&encoder, inst->imm_y, "second immediate");
		out[n++] = (uint8_t)(inst->ra | (inst->rb << 4));
		out[n++] = (uint8_t)lx;
		n += put_le(out + n, inst->imm_x, lx);
		n += put_le(out + n, inst->imm_y, ly);
		break;
	case PVM_ARGS_REG3:
		out[n++] = (uint8_t)(inst->ra | (inst->rb << 4));
		out[n++] = inst->rd;
		break;
	}
	return encoder.failed ? 0 : n;
}
