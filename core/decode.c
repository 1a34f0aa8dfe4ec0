#include "decode.h"

void pvm_decode(const struct pvm_code *code, uint32_t pc, struct pvm_inst *inst)
{
	bool defined;
	enum pvm_op op = pvm_code_op(code, pc, &defined);
	pvm_decode_as(code, pc, pvm_code_skip(code, pc), op, defined, (enum pvm_args)pvm_ops[op].args, inst);
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
