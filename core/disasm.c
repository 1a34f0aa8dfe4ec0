#include "disasm.h"

void pvm_disasm_number(struct pvm_text *text, uint64_t value)
{
	int64_t signed_value = (int64_t)value;
	if (signed_value >= -65536 && signed_value <= 65536)
		pvm_textf(text, "%lld", (long long)signed_value);
	else
		pvm_textf(text, "0x%llx", (unsigned long long)value);
}

static void target(struct pvm_text *text, uint64_t value)
{
	pvm_textf(text, "@%lld", (long long)(int64_t)value);
}

static void reg(struct pvm_text *text, uint8_t index)
{
	pvm_textf(text, "r%u", index);
}

static void separator(struct pvm_text *text)
{
	pvm_text_put(text, ", ");
}

void pvm_disasm_inst(struct pvm_text *text, const struct pvm_inst *inst)
{
	const struct pvm_op_info *info = &pvm_ops[inst->op];
	pvm_text_put(text, info->name);
	if (info->args != PVM_ARGS_NONE)
		pvm_text_putc(text, ' ');
	switch (info->args) {
	case PVM_ARGS_NONE:
		break;
	case PVM_ARGS_IMM:
		pvm_disasm_number(text, inst->imm_x);
		break;
	case PVM_ARGS_REG_IMM64:
	case PVM_ARGS_REG_IMM:
		reg(text, inst->ra);
		separator(text);
		pvm_disasm_number(text, inst->imm_x);
		break;
	case PVM_ARGS_IMM2:
		pvm_disasm_number(text, inst->imm_x);
		separator(text);
		pvm_disasm_number(text, inst->imm_y);
		break;
	case PVM_ARGS_OFFSET:
		target(text, inst->imm_x);
		break;
	case PVM_ARGS_REG_IMM2:
	case PVM_ARGS_REG_IMM_OFFSET:
		reg(text, inst->ra);
		separator(text);
		pvm_disasm_number(text, inst->imm_x);
		separator(text);
		if (info->args == PVM_ARGS_REG_IMM_OFFSET)
			target(text, inst->imm_y);
		else
			pvm_disasm_number(text, inst->imm_y);
		break;
	case PVM_ARGS_REG2:
		reg(text, inst->rd);
		separator(text);
		reg(text, inst->ra);
		break;
	case PVM_ARGS_REG2_IMM:
	case PVM_ARGS_REG2_OFFSET:
		reg(text, inst->ra);
		separator(text);
		reg(text, inst->rb);
		separator(text);
		if (info->args == PVM_ARGS_REG2_OFFSET)
			target(text, inst->imm_x);
		else
			pvm_disasm_number(text, inst->imm_x);
		break;
	case PVM_ARGS_REG2_IMM2:
		reg(text, inst->ra);
		separator(text);
		reg(text, inst->rb);
		separator(text);
		pvm_disasm_number(text, inst->imm_x);
		separator(text);
		pvm_disasm_number(text, inst->imm_y);
		break;
	case PVM_ARGS_REG3:
		reg(text, inst->rd);
		separator(text);
		reg(text, inst->ra);
		separator(text);
		reg(text, inst->rb);
		break;
	}
}
