/* One RISC-V instruction in, the PVM instructions that do the same out.
 *
 * The RV64E registers the PVM has map one to one (ra sp t0-t2 s0 s1 a0-a5
 * are r0..r12); gp and tp are not there, and x0 is not a register but a zero
 * operand, so each instruction that reads it uses a PVM form with an
 * immediate 0 instead. How each RISC-V instruction maps is one row of
 * `lowerings`. */
#include <stdint.h>

#include "loader/link_internal.h"

#define ZERO_REG 0xFF /* x0: not a PVM register */
#define NO_OP    0xFF

/* The PVM register of each RV64E register; ZERO_REG for x0, and gp and tp
 * have none. */
#define NO_REG 0xFE
static const uint8_t pvm_register[16] = {
	ZERO_REG, 0, 1, NO_REG, NO_REG, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
};
#define A0 7 /* where a host call takes its first argument and leaves its result */

enum lower_kind {
	LOWER_UNSUPPORTED,
	LOWER_ALU,     /* rd = rs1 op rs2 */
	LOWER_ALU_IMM, /* rd = rs1 op imm */
	LOWER_UNARY,   /* rd = op rs1 */
	LOWER_LOAD,    /* rd = mem[rs1 + imm] */
	LOWER_STORE,   /* mem[rs1 + imm] = rs2 */
	LOWER_BRANCH,  /* if rs1 cmp rs2: goto pc + imm */
	LOWER_LUI,     /* rd = imm */
	LOWER_AUIPC,   /* rd = pc + imm */
	LOWER_JAL,     /* rd = return address; goto pc + imm */
	LOWER_JALR,    /* rd = return address; goto rs1 + imm */
	LOWER_NOTHING, /* fences: one thread, one hart */
	LOWER_TRAP,    /* ebreak, unimp */
	LOWER_ECALLI,  /* corral's custom host call */
	LOWER_SBRK,    /* corral's custom sbrk */
	LOWER_LOAD_RESERVED,
	LOWER_STORE_CONDITIONAL,
	LOWER_ATOMIC, /* amo*: load, op, store */
};

/* What x op y is when x is the zero register and y an immediate. */
enum zero_left { ZERO_LEFT_ZERO, ZERO_LEFT_IMM, ZERO_LEFT_LESS_S, ZERO_LEFT_LESS_U };

struct lowering {
	uint8_t kind;
	/* ALU: op(rs1, rs2); ALU_IMM, UNARY: the op; LOAD: load_ind; STORE: store_ind;
	 * BRANCH: branch on two registers; ATOMIC: the op applied (NO_OP: swap) */
	uint8_t op;
	/* ALU: op(rs1, imm) for rs2 = x0; BRANCH: rs1 against 0; LOAD: absolute;
	 * STORE: store_imm_ind, for rs2 = x0 */
	uint8_t op_imm;
	/* ALU: op(imm, reg) for rs1 = x0, as the PVM's "alt" forms compute it;
	 * BRANCH: rs2 against 0 with the comparison turned round; STORE: absolute */
	uint8_t op_left;
	/* STORE: store_imm to an absolute address; ALU_IMM: what x0 op imm is */
	uint8_t extra;
	uint8_t width;   /* LOAD_RESERVED, STORE_CONDITIONAL, ATOMIC: 4 or 8 */
	const char *why; /* UNSUPPORTED */
};

#define ALU(rv, reg, imm, left) [RISCV_##rv] = {LOWER_ALU, PVM_OP_##reg, PVM_OP_##imm, PVM_OP_##left, 0, 0, 0}
#define ALU_REG_ONLY(rv, reg)   [RISCV_##rv] = {LOWER_ALU, PVM_OP_##reg, NO_OP, NO_OP, 0, 0, 0}
#define ALU_IMM(rv, op, zero)   [RISCV_##rv] = {LOWER_ALU_IMM, PVM_OP_##op, 0, 0, ZERO_LEFT_##zero, 0, 0}
#define UNARY(rv, op)           [RISCV_##rv] = {LOWER_UNARY, PVM_OP_##op, 0, 0, 0, 0, 0}
#define LOAD(rv, ind, abs)      [RISCV_##rv] = {LOWER_LOAD, PVM_OP_##ind, PVM_OP_##abs, 0, 0, 0, 0}
#define STORE(rv, w)                              \
	[RISCV_##rv] = {LOWER_STORE,              \
			PVM_OP_STORE_IND_##w,     \
			PVM_OP_STORE_IMM_IND_##w, \
			PVM_OP_STORE_##w,         \
			PVM_OP_STORE_IMM_##w,     \
			0,                        \
			0}
#define BRANCH(rv, reg, imm, left) [RISCV_##rv] = {LOWER_BRANCH, PVM_OP_##reg, PVM_OP_##imm, PVM_OP_##left, 0, 0, 0}
#define ATOMIC(rv, op, width)      [RISCV_##rv] = {LOWER_ATOMIC, op, 0, 0, 0, width, 0}
#define KIND(rv, kind)             [RISCV_##rv] = {LOWER_##kind, 0, 0, 0, 0, 0, 0}
#define UNSUPPORTED(rv, reason)    [RISCV_##rv] = {LOWER_UNSUPPORTED, 0, 0, 0, 0, 0, reason}

static const struct lowering lowerings[RISCV_OP_COUNT] = {
	UNSUPPORTED(INVALID, "not an instruction corral translates (RV64I, M, A, C and Zbb are)"),
	KIND(LUI, LUI),
	KIND(AUIPC, AUIPC),
	KIND(JAL, JAL),
	KIND(JALR, JALR),
	BRANCH(BEQ, BRANCH_EQ, BRANCH_EQ_IMM, BRANCH_EQ_IMM),
	BRANCH(BNE, BRANCH_NE, BRANCH_NE_IMM, BRANCH_NE_IMM),
	BRANCH(BLT, BRANCH_LT_S, BRANCH_LT_S_IMM, BRANCH_GT_S_IMM),
	BRANCH(BGE, BRANCH_GE_S, BRANCH_GE_S_IMM, BRANCH_LE_S_IMM),
	BRANCH(BLTU, BRANCH_LT_U, BRANCH_LT_U_IMM, BRANCH_GT_U_IMM),
	BRANCH(BGEU, BRANCH_GE_U, BRANCH_GE_U_IMM, BRANCH_LE_U_IMM),
	LOAD(LB, LOAD_IND_I8, LOAD_I8),
	LOAD(LH, LOAD_IND_I16, LOAD_I16),
	LOAD(LW, LOAD_IND_I32, LOAD_I32),
	LOAD(LD, LOAD_IND_U64, LOAD_U64),
	LOAD(LBU, LOAD_IND_U8, LOAD_U8),
	LOAD(LHU, LOAD_IND_U16, LOAD_U16),
	LOAD(LWU, LOAD_IND_U32, LOAD_U32),
	STORE(SB, U8),
	STORE(SH, U16),
	STORE(SW, U32),
	STORE(SD, U64),
	ALU_IMM(ADDI, ADD_IMM_64, IMM),
	ALU_IMM(SLTI, SET_LT_S_IMM, LESS_S),
	ALU_IMM(SLTIU, SET_LT_U_IMM, LESS_U),
	ALU_IMM(XORI, XOR_IMM, IMM),
	ALU_IMM(ORI, OR_IMM, IMM),
	ALU_IMM(ANDI, AND_IMM, ZERO),
	ALU_IMM(SLLI, SHLO_L_IMM_64, ZERO),
	ALU_IMM(SRLI, SHLO_R_IMM_64, ZERO),
	ALU_IMM(SRAI, SHAR_R_IMM_64, ZERO),
	ALU(ADD, ADD_64, ADD_IMM_64, ADD_IMM_64),
	ALU(SUB, SUB_64, ADD_IMM_64, NEG_ADD_IMM_64),
	ALU(SLL, SHLO_L_64, SHLO_L_IMM_64, SHLO_L_IMM_ALT_64),
	ALU(SLT, SET_LT_S, SET_LT_S_IMM, SET_GT_S_IMM),
	ALU(SLTU, SET_LT_U, SET_LT_U_IMM, SET_GT_U_IMM),
	ALU(XOR, XOR, XOR_IMM, XOR_IMM),
	ALU(SRL, SHLO_R_64, SHLO_R_IMM_64, SHLO_R_IMM_ALT_64),
	ALU(SRA, SHAR_R_64, SHAR_R_IMM_64, SHAR_R_IMM_ALT_64),
	ALU(OR, OR, OR_IMM, OR_IMM),
	ALU(AND, AND, AND_IMM, AND_IMM),
	ALU_IMM(ADDIW, ADD_IMM_32, IMM),
	ALU_IMM(SLLIW, SHLO_L_IMM_32, ZERO),
	ALU_IMM(SRLIW, SHLO_R_IMM_32, ZERO),
	ALU_IMM(SRAIW, SHAR_R_IMM_32, ZERO),
	ALU(ADDW, ADD_32, ADD_IMM_32, ADD_IMM_32),
	ALU(SUBW, SUB_32, ADD_IMM_32, NEG_ADD_IMM_32),
	ALU(SLLW, SHLO_L_32, SHLO_L_IMM_32, SHLO_L_IMM_ALT_32),
	ALU(SRLW, SHLO_R_32, SHLO_R_IMM_32, SHLO_R_IMM_ALT_32),
	ALU(SRAW, SHAR_R_32, SHAR_R_IMM_32, SHAR_R_IMM_ALT_32),
	KIND(FENCE, NOTHING),
	KIND(FENCE_I, NOTHING),
	UNSUPPORTED(ECALL, "system calls do not exist in a guest; declare host functions with CORRAL_IMPORT"),
	KIND(EBREAK, TRAP),
	KIND(UNIMP, TRAP),
	UNSUPPORTED(CSRRW, "control and status registers do not exist in a guest"),
	UNSUPPORTED(CSRRS, "control and status registers do not exist in a guest"),
	UNSUPPORTED(CSRRC, "control and status registers do not exist in a guest"),
	UNSUPPORTED(CSRRWI, "control and status registers do not exist in a guest"),
	UNSUPPORTED(CSRRSI, "control and status registers do not exist in a guest"),
	UNSUPPORTED(CSRRCI, "control and status registers do not exist in a guest"),
	ALU(MUL, MUL_64, MUL_IMM_64, MUL_IMM_64),
	ALU_REG_ONLY(MULH, MUL_UPPER_S_S),
	ALU_REG_ONLY(MULHSU, MUL_UPPER_S_U),
	ALU_REG_ONLY(MULHU, MUL_UPPER_U_U),
	ALU_REG_ONLY(DIV, DIV_S_64),
	ALU_REG_ONLY(DIVU, DIV_U_64),
	ALU_REG_ONLY(REM, REM_S_64),
	ALU_REG_ONLY(REMU, REM_U_64),
	ALU(MULW, MUL_32, MUL_IMM_32, MUL_IMM_32),
	ALU_REG_ONLY(DIVW, DIV_S_32),
	ALU_REG_ONLY(DIVUW, DIV_U_32),
	ALU_REG_ONLY(REMW, REM_S_32),
	ALU_REG_ONLY(REMUW, REM_U_32),
	[RISCV_LR_W] = {LOWER_LOAD_RESERVED, PVM_OP_LOAD_IND_I32, 0, 0, 0, 4, 0},
	[RISCV_SC_W] = {LOWER_STORE_CONDITIONAL, PVM_OP_STORE_IND_U32, 0, 0, 0, 4, 0},
	ATOMIC(AMOSWAP_W, NO_OP, 4),
	ATOMIC(AMOADD_W, PVM_OP_ADD_64, 4),
	ATOMIC(AMOXOR_W, PVM_OP_XOR, 4),
	ATOMIC(AMOAND_W, PVM_OP_AND, 4),
	ATOMIC(AMOOR_W, PVM_OP_OR, 4),
	ATOMIC(AMOMIN_W, PVM_OP_MIN, 4),
	ATOMIC(AMOMAX_W, PVM_OP_MAX, 4),
	ATOMIC(AMOMINU_W, PVM_OP_MIN_U, 4),
	ATOMIC(AMOMAXU_W, PVM_OP_MAX_U, 4),
	[RISCV_LR_D] = {LOWER_LOAD_RESERVED, PVM_OP_LOAD_IND_U64, 0, 0, 0, 8, 0},
	[RISCV_SC_D] = {LOWER_STORE_CONDITIONAL, PVM_OP_STORE_IND_U64, 0, 0, 0, 8, 0},
	ATOMIC(AMOSWAP_D, NO_OP, 8),
	ATOMIC(AMOADD_D, PVM_OP_ADD_64, 8),
	ATOMIC(AMOXOR_D, PVM_OP_XOR, 8),
	ATOMIC(AMOAND_D, PVM_OP_AND, 8),
	ATOMIC(AMOOR_D, PVM_OP_OR, 8),
	ATOMIC(AMOMIN_D, PVM_OP_MIN, 8),
	ATOMIC(AMOMAX_D, PVM_OP_MAX, 8),
	ATOMIC(AMOMINU_D, PVM_OP_MIN_U, 8),
	ATOMIC(AMOMAXU_D, PVM_OP_MAX_U, 8),
	ALU_REG_ONLY(ANDN, AND_INV),
	ALU_REG_ONLY(ORN, OR_INV),
	ALU_REG_ONLY(XNOR, XNOR),
	UNARY(CLZ, LEADING_ZERO_BITS_64),
	UNARY(CLZW, LEADING_ZERO_BITS_32),
	UNARY(CTZ, TRAILING_ZERO_BITS_64),
	UNARY(CTZW, TRAILING_ZERO_BITS_32),
	UNARY(CPOP, COUNT_SET_BITS_64),
	UNARY(CPOPW, COUNT_SET_BITS_32),
	ALU_REG_ONLY(MAX, MAX),
	ALU_REG_ONLY(MAXU, MAX_U),
	ALU_REG_ONLY(MIN, MIN),
	ALU_REG_ONLY(MINU, MIN_U),
	UNARY(SEXT_B, SIGN_EXTEND_8),
	UNARY(SEXT_H, SIGN_EXTEND_16),
	UNARY(ZEXT_H, ZERO_EXTEND_16),
	ALU(ROL, ROT_L_64, ROT_R_64_IMM, ROT_R_64_IMM_ALT),
	ALU(ROLW, ROT_L_32, ROT_R_32_IMM, ROT_R_32_IMM_ALT),
	ALU(ROR, ROT_R_64, ROT_R_64_IMM, ROT_R_64_IMM_ALT),
	ALU_IMM(RORI, ROT_R_64_IMM, ZERO),
	ALU_IMM(RORIW, ROT_R_32_IMM, ZERO),
	ALU(RORW, ROT_R_32, ROT_R_32_IMM, ROT_R_32_IMM_ALT),
	UNSUPPORTED(ORC_B, "the PVM has no or-combine (orc.b); build without it or avoid the code that needs it"),
	UNARY(REV8, REVERSE_BYTES),
	KIND(CORRAL_ECALLI, ECALLI),
	KIND(CORRAL_SBRK, SBRK),
};

/* Immediate forms that leave the register as it is when the immediate is 0:
 * those become move_reg. */
static bool identity_at_zero(uint8_t op)
{
	switch (op) {
	case PVM_OP_ADD_IMM_64:
	case PVM_OP_OR_IMM:
	case PVM_OP_XOR_IMM:
	case PVM_OP_SHLO_L_IMM_64:
	case PVM_OP_SHLO_R_IMM_64:
	case PVM_OP_SHAR_R_IMM_64:
	case PVM_OP_ROT_R_64_IMM:
		return true;
	default:
		return false;
	}
}

/* ---- emitting --------------------------------------------------------- */

static struct pvm_inst make(uint8_t op)
{
	struct pvm_inst inst = {0};
	inst.op = op;
	inst.defined = true;
	return inst;
}

/* rd = f(ra): move_reg, the bit counts and extensions. */
static int emit_reg2(struct linker *linker, uint8_t op, uint8_t d, uint8_t a)
{
	struct pvm_inst inst = make(op);
	inst.rd = d;
	inst.ra = a;
	return link_emit(linker, &inst, BUILDER_NO_LABEL);
}

static int emit_move(struct linker *linker, uint8_t to, uint8_t from)
{
	return to == from ? 0 : emit_reg2(linker, PVM_OP_MOVE_REG, to, from);
}

static int emit_load_imm(struct linker *linker, uint8_t to, uint64_t value)
{
	bool fits = (uint64_t)(int64_t)(int32_t)value == value;
	struct pvm_inst inst = make(fits ? PVM_OP_LOAD_IMM : PVM_OP_LOAD_IMM_64);
	inst.ra = to;
	inst.imm_x = value;
	return link_emit(linker, &inst, BUILDER_NO_LABEL);
}

/* ra = f(rb, imm): the PVM's two-register-and-immediate forms. */
static int emit_reg2_imm(struct linker *linker, uint8_t op, uint8_t a, uint8_t b, uint64_t imm)
{
	if (imm == 0 && identity_at_zero(op))
		return emit_move(linker, a, b);
	struct pvm_inst inst = make(op);
	inst.ra = a;
	inst.rb = b;
	inst.imm_x = imm;
	return link_emit(linker, &inst, BUILDER_NO_LABEL);
}

static int emit_reg3(struct linker *linker, uint8_t op, uint8_t d, uint8_t a, uint8_t b)
{
	struct pvm_inst inst = make(op);
	inst.rd = d;
	inst.ra = a;
	inst.rb = b;
	return link_emit(linker, &inst, BUILDER_NO_LABEL);
}

static int emit_jump(struct linker *linker, uint32_t label)
{
	struct pvm_inst inst = make(PVM_OP_JUMP);
	return link_emit(linker, &inst, label);
}

/* ---- registers -------------------------------------------------------- */

/* The PVM register for x<reg>, ZERO_REG for x0, or a failure naming it. */
static int operand(struct linker *linker, size_t index, uint8_t reg, uint8_t *out)
{
	if (reg < 16 && pvm_register[reg] != NO_REG) {
		*out = pvm_register[reg];
		return 0;
	}
	if (reg == 3 || reg == 4)
		return link_fail_at(linker, index,
				    "uses register %s (x%u), which a PVM guest does not have (build with "
				    "-mabi=lp64e and without -ffixed/global register variables)",
				    riscv_reg_name(reg), reg);
	return link_fail_at(linker, index, "uses register %s (x%u), which RV64E does not have (build with -mabi=lp64e)",
			    riscv_reg_name(reg), reg);
}

/* A destination: x0 as a destination would discard a result, a hint that
 * has no PVM meaning, so only the canonical nops are let through (by the
 * caller). */
static int destination(struct linker *linker, size_t index, uint8_t reg, uint8_t *out)
{
	if (operand(linker, index, reg, out))
		return -1;
	if (*out == ZERO_REG)
		return link_fail_at(linker, index, "writes x0 (a hint), which has no PVM equivalent");
	return 0;
}

/* ---- lowering by kind ----------------------------------------------- */

/* Registers an instruction does not name, for sequences that need more
 * than it gives: they are saved just below the stack pointer (the RISC-V
 * ABI keeps nothing there, and nothing else runs that could) and restored. */
#define SP 1
static void pick_scratch(uint8_t *scratch, unsigned count, uint8_t x, uint8_t y, uint8_t z)
{
	static const uint8_t candidates[] = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0};
	unsigned found = 0;
	for (unsigned i = 0; i < sizeof candidates && found < count; i++) {
		uint8_t r = candidates[i];
		if (r != x && r != y && r != z)
			scratch[found++] = r;
	}
}

static int save_scratch(struct linker *linker, const uint8_t *scratch, unsigned count)
{
	for (unsigned i = 0; i < count; i++)
		if (emit_reg2_imm(linker, PVM_OP_STORE_IND_U64, scratch[i], SP, (uint64_t)(-8 * (int64_t)(i + 1))))
			return -1;
	return 0;
}

static int restore_scratch(struct linker *linker, const uint8_t *scratch, unsigned count)
{
	for (unsigned i = count; i-- > 0;)
		if (emit_reg2_imm(linker, PVM_OP_LOAD_IND_U64, scratch[i], SP, (uint64_t)(-8 * (int64_t)(i + 1))))
			return -1;
	return 0;
}

/* An op with no immediate form reading x0: a scratch register holds the 0. */
static int with_zero_register(struct linker *linker, uint8_t op, bool unary, uint8_t d, uint8_t a, uint8_t b)
{
	uint8_t zero = 0;
	pick_scratch(&zero, 1, d, a, b);
	if (save_scratch(linker, &zero, 1) || emit_load_imm(linker, zero, 0))
		return -1;
	a = a == ZERO_REG ? zero : a;
	b = b == ZERO_REG ? zero : b;
	if (unary ? emit_reg2(linker, op, d, a) : emit_reg3(linker, op, d, a, b))
		return -1;
	return restore_scratch(linker, &zero, 1);
}

static int lower_alu(struct linker *linker, const struct lowering *row, uint8_t d, uint8_t a, uint8_t b)
{
	if (a != ZERO_REG && b != ZERO_REG)
		return emit_reg3(linker, row->op, d, a, b);
	if (a != ZERO_REG && row->op_imm != NO_OP)
		return emit_reg2_imm(linker, row->op_imm, d, a, 0);
	if (b != ZERO_REG && a == ZERO_REG && row->op_left != NO_OP)
		return emit_reg2_imm(linker, row->op_left, d, b, 0);
	return with_zero_register(linker, row->op, false, d, a, b);
}

static int lower_alu_imm(struct linker *linker, const struct lowering *row, uint8_t d, uint8_t a, int64_t imm)
{
	if (a != ZERO_REG)
		return emit_reg2_imm(linker, row->op, d, a, (uint64_t)imm);
	/* x0 op imm is a constant. */
	uint64_t value = 0;
	switch (row->extra) {
	case ZERO_LEFT_IMM:
		value = (uint64_t)imm;
		break;
	case ZERO_LEFT_LESS_S:
		value = 0 < imm;
		break;
	case ZERO_LEFT_LESS_U:
		value = imm != 0;
		break;
	case ZERO_LEFT_ZERO:
		break;
	}
	return emit_load_imm(linker, d, value);
}

static int lower_load(struct linker *linker, const struct lowering *row, uint8_t d, uint8_t base, int64_t imm)
{
	struct pvm_inst inst = make(base == ZERO_REG ? row->op_imm : row->op);
	inst.ra = d;
	inst.rb = base == ZERO_REG ? 0 : base;
	inst.imm_x = (uint64_t)imm;
	return link_emit(linker, &inst, BUILDER_NO_LABEL);
}

static int lower_store(struct linker *linker, const struct lowering *row, uint8_t base, uint8_t value, int64_t imm)
{
	struct pvm_inst inst;
	if (base != ZERO_REG && value != ZERO_REG) {
		inst = make(row->op);
		inst.ra = value;
		inst.rb = base;
		inst.imm_x = (uint64_t)imm;
	} else if (base != ZERO_REG) {
		inst = make(row->op_imm);
		inst.ra = base;
		inst.imm_x = (uint64_t)imm;
		inst.imm_y = 0;
	} else if (value != ZERO_REG) {
		inst = make(row->op_left);
		inst.ra = value;
		inst.imm_x = (uint64_t)imm;
	} else {
		inst = make(row->extra);
		inst.imm_x = (uint64_t)imm;
		inst.imm_y = 0;
	}
	return link_emit(linker, &inst, BUILDER_NO_LABEL);
}

/* Branches that always or never go: x0 against x0. */
static bool taken_when_equal(enum riscv_op op)
{
	return op == RISCV_BEQ || op == RISCV_BGE || op == RISCV_BGEU;
}

static int lower_branch(struct linker *linker, size_t index, const struct lowering *row, uint8_t a, uint8_t b)
{
	const struct code_inst *code = &linker->code[index];
	int64_t target = link_find_code(linker, code->address + (uint64_t)code->inst.imm);
	if (target < 0)
		return link_fail_at(linker, index, "branches to 0x%llx, which is not an instruction",
				    (unsigned long long)(code->address + (uint64_t)code->inst.imm));
	uint32_t label = link_label(linker, (size_t)target);
	if (a == ZERO_REG && b == ZERO_REG)
		return taken_when_equal(code->inst.op) ? emit_jump(linker, label) : 0;
	struct pvm_inst inst;
	if (a != ZERO_REG && b != ZERO_REG) {
		inst = make(row->op);
		inst.ra = a;
		inst.rb = b;
	} else {
		inst = make(a != ZERO_REG ? row->op_imm : row->op_left);
		inst.ra = a != ZERO_REG ? a : b;
		inst.imm_x = 0;
	}
	return link_emit(linker, &inst, label);
}

/* The return address a call at code[index] leaves in its link register. */
static uint64_t return_address(const struct linker *linker, size_t index)
{
	const struct code_inst *code = &linker->code[index];
	return link_jump_address(linker, code->address + code->inst.length);
}

/* A call or jump to a known place. */
static int lower_direct(struct linker *linker, size_t index, uint8_t link, uint64_t address)
{
	int64_t target = link_find_code(linker, address);
	if (target < 0)
		return link_fail_at(linker, index, "jumps to 0x%llx, which is not an instruction",
				    (unsigned long long)address);
	uint32_t label = link_label(linker, (size_t)target);
	if (link == ZERO_REG)
		return emit_jump(linker, label);
	struct pvm_inst inst = make(PVM_OP_LOAD_IMM_JUMP);
	inst.ra = link;
	inst.imm_x = return_address(linker, index);
	return link_emit(linker, &inst, label);
}

static int lower_jalr(struct linker *linker, size_t index, uint8_t link, uint8_t base)
{
	const struct code_inst *code = &linker->code[index];
	if (code->flags & CODE_CALL_LO)
		return lower_direct(linker, index, link, code->target);
	if (base == ZERO_REG)
		return link_fail_at(linker, index, "jumps to an absolute address, which the PVM cannot reach");
	if (code->inst.imm != 0)
		return link_fail_at(linker, index,
				    "jumps to a register plus an offset; code addresses in registers are "
				    "jump-table addresses, which cannot be offset");
	if (link == ZERO_REG) {
		struct pvm_inst inst = make(PVM_OP_JUMP_IND);
		inst.ra = base;
		return link_emit(linker, &inst, BUILDER_NO_LABEL);
	}
	struct pvm_inst inst = make(PVM_OP_LOAD_IMM_JUMP_IND);
	inst.ra = link;
	inst.rb = base;
	inst.imm_x = return_address(linker, index);
	inst.imm_y = 0;
	return link_emit(linker, &inst, BUILDER_NO_LABEL);
}

/* The low 12 bits a lo12 instruction adds to what a lui or auipc of
 * `offset` computed: the hi part is what remains. */
static int64_t low_part(uint64_t offset)
{
	return (int64_t)((offset & 0xFFF) ^ 0x800) - 0x800;
}

/* What a lui or auipc leaves in its register. */
static uint64_t upper_value(struct linker *linker, size_t index)
{
	const struct code_inst *code = &linker->code[index];
	if (!(code->flags & CODE_HI_TO_CODE))
		return (uint64_t)code->inst.imm + (code->inst.op == RISCV_AUIPC ? code->address : 0);
	/* The lo12 instructions paired with this one add the low part of the
	 * ELF's offset; load what makes them land on the jump address. */
	uint64_t offset = code->inst.op == RISCV_AUIPC ? code->target - code->address : code->target;
	return link_jump_address(linker, code->target) - (uint64_t)low_part(offset);
}

/* A lui or auipc and the addi or load after it that overwrites the same
 * register are one constant or one absolute load, when nothing jumps
 * between them. */
static bool fuses_with_next(struct linker *linker, size_t index)
{
	const struct code_inst *hi = &linker->code[index];
	if (index + 1 >= linker->code_count || hi->inst.rd == 0)
		return false;
	const struct code_inst *lo = &linker->code[index + 1];
	uint8_t kind = lowerings[lo->inst.op].kind;
	bool pairs = lo->inst.op == RISCV_ADDI || lo->inst.op == RISCV_ADDIW || kind == LOWER_LOAD;
	return pairs && lo->inst.rs1 == hi->inst.rd && lo->inst.rd == hi->inst.rd && lo->flags == 0 &&
	       lo->label == BUILDER_NO_LABEL && link_jump_address(linker, lo->address) == 0 &&
	       lo->address == hi->address + hi->inst.length;
}

static int lower_upper(struct linker *linker, size_t index, uint8_t d, size_t *consumed)
{
	uint64_t value = upper_value(linker, index);
	if (!fuses_with_next(linker, index))
		return emit_load_imm(linker, d, value);
	const struct riscv_inst *lo = &linker->code[index + 1].inst;
	value += (uint64_t)lo->imm;
	if (lo->op == RISCV_ADDIW)
		value = (uint64_t)(int64_t)(int32_t)value;
	if (lo->op == RISCV_ADDI || lo->op == RISCV_ADDIW) {
		*consumed = 2;
		return emit_load_imm(linker, d, value);
	}
	if (value >= 0x80000000u) /* an absolute load takes a sign-extended 32-bit address */
		return emit_load_imm(linker, d, upper_value(linker, index));
	*consumed = 2;
	return lower_load(linker, &lowerings[lo->op], d, ZERO_REG, (int64_t)value);
}

/* ecalli of host call `number`: by number in a JAM program, by its index
 * in the import list in a .polkavm container. */
static int emit_host_call(struct linker *linker, size_t index, uint32_t number)
{
	struct pvm_inst inst = make(PVM_OP_ECALLI);
	inst.imm_x = number;
	if (linker->options->format == LINK_FORMAT_POLKAVM) {
		struct link_import *import = NULL;
		for (size_t i = 0; i < linker->import_count; i++)
			if (linker->imports[i].number == number)
				import = &linker->imports[i];
		if (!import)
			return link_fail_at(linker, index,
					    "host call %u has no import record (declare it with CORRAL_IMPORT), "
					    "and a .polkavm container calls imports by name",
					    number);
		inst.imm_x = import->index;
	}
	return link_emit(linker, &inst, BUILDER_NO_LABEL);
}

static int lower_ecalli(struct linker *linker, size_t index)
{
	const struct code_inst *code = &linker->code[index];
	if (code->inst.imm < 0)
		return link_fail_at(linker, index, "host call numbers are 0..2047");
	return emit_host_call(linker, index, (uint32_t)code->inst.imm);
}

/* GP 0.7 has an sbrk instruction; GP 0.8 has none, so there sbrk is a host
 * call, which takes its argument and leaves its result in a0. */
static int lower_sbrk(struct linker *linker, size_t index, uint8_t d, uint8_t a)
{
	if (a == ZERO_REG)
		return link_fail_at(linker, index, "sbrk of x0: pass the size in a register");
	if (linker->options->isa == PVM_ISA_GP07) {
		struct pvm_inst sbrk = make(PVM_OP_SBRK);
		sbrk.rd = d;
		sbrk.ra = a;
		return link_emit(linker, &sbrk, BUILDER_NO_LABEL);
	}
	if (d != A0 || a != A0)
		return link_fail_at(linker, index,
				    "GP 0.8 has no sbrk instruction, and the host call %u (%s) that replaces it "
				    "takes and returns a0: only sbrk a0, a0 can be translated (the SDK's "
				    "corral_sbrk is that), or link with --isa gp0.7",
				    LINK_SBRK_CALL, LINK_SBRK_NAME);
	return emit_host_call(linker, index, LINK_SBRK_CALL);
}

/* Atomics, on one hart, are a load, an op and a store, with two scratch
 * registers. */
static int lower_atomic(struct linker *linker, const struct lowering *row, uint8_t d, uint8_t base, uint8_t source)
{
	uint8_t scratch[2] = {0, 0};
	pick_scratch(scratch, 2, d, base, source);
	const uint8_t old = scratch[0], new = scratch[1];
	bool word = row->width == 4;
	if (save_scratch(linker, scratch, 2) ||
	    emit_reg2_imm(linker, word ? PVM_OP_LOAD_IND_I32 : PVM_OP_LOAD_IND_U64, old, base, 0))
		return -1;
	int status;
	if (source == ZERO_REG)
		status = emit_load_imm(linker, new, 0);
	else if (word)
		status = emit_reg2_imm(linker, PVM_OP_ADD_IMM_32, new, source, 0); /* compare the low 32 bits */
	else
		status = emit_move(linker, new, source);
	if (status)
		return -1;
	if (row->op != NO_OP && emit_reg3(linker, row->op, new, old, new))
		return -1;
	if (emit_reg2_imm(linker, word ? PVM_OP_STORE_IND_U32 : PVM_OP_STORE_IND_U64, new, base, 0))
		return -1;
	if (d != ZERO_REG && emit_move(linker, d, old))
		return -1;
	return restore_scratch(linker, scratch, 2);
}

/* ---- one instruction -------------------------------------------------- */

static bool is_nop(const struct riscv_inst *inst)
{
	return inst->op == RISCV_ADDI && inst->rd == 0 && inst->rs1 == 0 && inst->imm == 0;
}

int lower_instruction(struct linker *linker, size_t index, size_t *consumed)
{
	const struct code_inst *code = &linker->code[index];
	const struct riscv_inst *inst = &code->inst;
	const struct lowering *row = &lowerings[inst->op < RISCV_OP_COUNT ? inst->op : RISCV_INVALID];
	uint8_t d = ZERO_REG, a = ZERO_REG, b = ZERO_REG;

	*consumed = 1;
	if (is_nop(inst))
		return 0;
	switch (row->kind) {
	case LOWER_UNSUPPORTED:
		return link_fail_at(linker, index, "%s", row->why);
	case LOWER_ALU:
		if (destination(linker, index, inst->rd, &d) || operand(linker, index, inst->rs1, &a) ||
		    operand(linker, index, inst->rs2, &b))
			return -1;
		return lower_alu(linker, row, d, a, b);
	case LOWER_ALU_IMM:
		if (destination(linker, index, inst->rd, &d) || operand(linker, index, inst->rs1, &a))
			return -1;
		return lower_alu_imm(linker, row, d, a, inst->imm);
	case LOWER_UNARY:
		if (destination(linker, index, inst->rd, &d) || operand(linker, index, inst->rs1, &a))
			return -1;
		if (a == ZERO_REG)
			return with_zero_register(linker, row->op, true, d, a, ZERO_REG);
		return emit_reg2(linker, row->op, d, a);
	case LOWER_LOAD:
		if (destination(linker, index, inst->rd, &d) || operand(linker, index, inst->rs1, &a))
			return -1;
		return lower_load(linker, row, d, a, inst->imm);
	case LOWER_STORE:
		if (operand(linker, index, inst->rs1, &a) || operand(linker, index, inst->rs2, &b))
			return -1;
		return lower_store(linker, row, a, b, inst->imm);
	case LOWER_BRANCH:
		if (operand(linker, index, inst->rs1, &a) || operand(linker, index, inst->rs2, &b))
			return -1;
		return lower_branch(linker, index, row, a, b);
	case LOWER_LUI:
	case LOWER_AUIPC:
		if (code->flags & CODE_CALL_HI)
			return 0;
		if (destination(linker, index, inst->rd, &d))
			return -1;
		return lower_upper(linker, index, d, consumed);
	case LOWER_JAL:
		if (operand(linker, index, inst->rd, &d))
			return -1;
		return lower_direct(linker, index, d, code->address + (uint64_t)inst->imm);
	case LOWER_JALR:
		if (operand(linker, index, inst->rd, &d) || operand(linker, index, inst->rs1, &a))
			return -1;
		return lower_jalr(linker, index, d, a);
	case LOWER_NOTHING:
		return 0;
	case LOWER_TRAP: {
		struct pvm_inst trap = make(PVM_OP_TRAP);
		return link_emit(linker, &trap, BUILDER_NO_LABEL);
	}
	case LOWER_ECALLI:
		return lower_ecalli(linker, index);
	case LOWER_SBRK:
		if (destination(linker, index, inst->rd, &d) || operand(linker, index, inst->rs1, &a))
			return -1;
		return lower_sbrk(linker, index, d, a);
	case LOWER_LOAD_RESERVED:
		if (destination(linker, index, inst->rd, &d) || operand(linker, index, inst->rs1, &a))
			return -1;
		if (a == ZERO_REG)
			return link_fail_at(linker, index, "an atomic access to address 0 always faults");
		return emit_reg2_imm(linker, row->op, d, a, 0);
	case LOWER_STORE_CONDITIONAL:
		if (operand(linker, index, inst->rd, &d) || operand(linker, index, inst->rs1, &a) ||
		    operand(linker, index, inst->rs2, &b))
			return -1;
		if (a == ZERO_REG)
			return link_fail_at(linker, index, "an atomic access to address 0 always faults");
		/* With one hart the reservation always holds: store, report success. */
		if (b == ZERO_REG ? lower_store(linker, &lowerings[row->width == 4 ? RISCV_SW : RISCV_SD], a, b, 0)
				  : emit_reg2_imm(linker, row->op, b, a, 0))
			return -1;
		return d == ZERO_REG ? 0 : emit_load_imm(linker, d, 0);
	case LOWER_ATOMIC:
		if (operand(linker, index, inst->rd, &d) || operand(linker, index, inst->rs1, &a) ||
		    operand(linker, index, inst->rs2, &b))
			return -1;
		if (a == ZERO_REG)
			return link_fail_at(linker, index, "an atomic access to address 0 always faults");
		return lower_atomic(linker, row, d, a, b);
	}
	return link_fail_at(linker, index, "internal error: no lowering");
}
