/* RISC-V decoding: one table row per 32-bit instruction (its name, operand
 * shape and encoding), one per compressed form (the base op it expands to,
 * where its registers and immediate bits sit), and a length scheme in front. */
#include "loader/riscv.h"

#include <stdarg.h>
#include <stdio.h>

/* ---- operand shapes: how fields are pulled out and printed ------------- */

enum field { FIELD_RD = 1, FIELD_RS1 = 2, FIELD_RS2 = 4 };

enum imm_kind { IMM_NONE, IMM_I, IMM_S, IMM_B, IMM_U, IMM_J, IMM_SHAMT, IMM_FIELD12 };

enum shape {
	SHAPE_NONE,
	SHAPE_U,
	SHAPE_J,
	SHAPE_B,
	SHAPE_I,
	SHAPE_LOAD, /* loads and jalr: the immediate is an offset from rs1 */
	SHAPE_S,
	SHAPE_R,
	SHAPE_UNARY,
	SHAPE_SHIFT,
	SHAPE_LR,
	SHAPE_AMO,
	SHAPE_CSR,
	SHAPE_CSRI,
	SHAPE_FENCE,
	SHAPE_ECALLI,
};

/* `text` spells the operands after the name: d s t are rd rs1 rs2 by ABI
 * name, i the immediate in decimal, u the lui/auipc immediate as the 20 bits
 * written in assembly, p a pc-relative target, c a CSR number, z the 5-bit
 * zimm of the csr*i forms (it sits in rs1), f fence's ordering sets; anything
 * else is copied. */
static const struct shape_info {
	uint8_t fields;
	uint8_t imm;
	const char *text;
} shapes[] = {
	[SHAPE_NONE] = {0, IMM_NONE, ""},
	[SHAPE_U] = {FIELD_RD, IMM_U, "d, u"},
	[SHAPE_J] = {FIELD_RD, IMM_J, "d, p"},
	[SHAPE_B] = {FIELD_RS1 | FIELD_RS2, IMM_B, "s, t, p"},
	[SHAPE_I] = {FIELD_RD | FIELD_RS1, IMM_I, "d, s, i"},
	[SHAPE_LOAD] = {FIELD_RD | FIELD_RS1, IMM_I, "d, i(s)"},
	[SHAPE_S] = {FIELD_RS1 | FIELD_RS2, IMM_S, "t, i(s)"},
	[SHAPE_R] = {FIELD_RD | FIELD_RS1 | FIELD_RS2, IMM_NONE, "d, s, t"},
	[SHAPE_UNARY] = {FIELD_RD | FIELD_RS1, IMM_NONE, "d, s"},
	[SHAPE_SHIFT] = {FIELD_RD | FIELD_RS1, IMM_SHAMT, "d, s, i"},
	[SHAPE_LR] = {FIELD_RD | FIELD_RS1, IMM_NONE, "d, (s)"},
	[SHAPE_AMO] = {FIELD_RD | FIELD_RS1 | FIELD_RS2, IMM_NONE, "d, t, (s)"},
	[SHAPE_CSR] = {FIELD_RD | FIELD_RS1, IMM_FIELD12, "d, c, s"},
	[SHAPE_CSRI] = {FIELD_RD | FIELD_RS1, IMM_FIELD12, "d, c, z"},
	[SHAPE_FENCE] = {0, IMM_FIELD12, "f"},
	[SHAPE_ECALLI] = {0, IMM_I, "i"},
};

/* ---- the 32-bit instructions -------------------------------------------- */

enum major {
	MAJOR_LOAD = 0x03,
	MAJOR_CUSTOM_0 = 0x0b,
	MAJOR_MISC_MEM = 0x0f,
	MAJOR_OP_IMM = 0x13,
	MAJOR_AUIPC = 0x17,
	MAJOR_OP_IMM_32 = 0x1b,
	MAJOR_STORE = 0x23,
	MAJOR_AMO = 0x2f,
	MAJOR_OP = 0x33,
	MAJOR_LUI = 0x37,
	MAJOR_OP_32 = 0x3b,
	MAJOR_BRANCH = 0x63,
	MAJOR_JALR = 0x67,
	MAJOR_JAL = 0x6f,
	MAJOR_SYSTEM = 0x73,
};

/* Each expands to the row's mask and match: the bits that name the
 * instruction and their values. */
#define OPCODE(major)             0x0000007f, (major)
#define F3(funct3, major)         0x0000707f, ((funct3) << 12 | (major))
#define F7(funct7, funct3, major) 0xfe00707f, ((uint32_t)(funct7) << 25 | (funct3) << 12 | (major))
/* RV64's shifts by a constant: six bits of shift amount leave six of funct7. */
#define F6(funct6, funct3, major) 0xfc00707f, ((uint32_t)(funct6) << 26 | (funct3) << 12 | (major))
/* One-operand forms, whose rs2 field is part of the opcode. */
#define F12(funct12, funct3, major) 0xfff0707f, ((uint32_t)(funct12) << 20 | (funct3) << 12 | (major))
/* aq and rl (bits 26, 25) are left out of the mask: ordering means nothing to PVM. */
#define AMO(funct5, funct3) 0xf800707f, ((uint32_t)(funct5) << 27 | (funct3) << 12 | MAJOR_AMO)
/* lr has no rs2; a nonzero one is reserved. */
#define LR(funct3)  0xf9f0707f, (0x02u << 27 | (funct3) << 12 | MAJOR_AMO)
#define EXACT(word) 0xffffffff, (word)

/* The decoder takes the first row that matches. No two rows overlap except
 * unimp, which is one word inside csrrw's encodings and so comes before it. */
static const struct op_info {
	const char *name;
	uint8_t shape;
	uint32_t mask, match;
} ops[RISCV_OP_COUNT] = {
	[RISCV_INVALID] = {"invalid", SHAPE_NONE}, /* never tried */
	[RISCV_LUI] = {"lui", SHAPE_U, OPCODE(MAJOR_LUI)},
	[RISCV_AUIPC] = {"auipc", SHAPE_U, OPCODE(MAJOR_AUIPC)},
	[RISCV_JAL] = {"jal", SHAPE_J, OPCODE(MAJOR_JAL)},
	[RISCV_JALR] = {"jalr", SHAPE_LOAD, F3(0, MAJOR_JALR)},
	[RISCV_BEQ] = {"beq", SHAPE_B, F3(0, MAJOR_BRANCH)},
	[RISCV_BNE] = {"bne", SHAPE_B, F3(1, MAJOR_BRANCH)},
	[RISCV_BLT] = {"blt", SHAPE_B, F3(4, MAJOR_BRANCH)},
	[RISCV_BGE] = {"bge", SHAPE_B, F3(5, MAJOR_BRANCH)},
	[RISCV_BLTU] = {"bltu", SHAPE_B, F3(6, MAJOR_BRANCH)},
	[RISCV_BGEU] = {"bgeu", SHAPE_B, F3(7, MAJOR_BRANCH)},
	[RISCV_LB] = {"lb", SHAPE_LOAD, F3(0, MAJOR_LOAD)},
	[RISCV_LH] = {"lh", SHAPE_LOAD, F3(1, MAJOR_LOAD)},
	[RISCV_LW] = {"lw", SHAPE_LOAD, F3(2, MAJOR_LOAD)},
	[RISCV_LD] = {"ld", SHAPE_LOAD, F3(3, MAJOR_LOAD)},
	[RISCV_LBU] = {"lbu", SHAPE_LOAD, F3(4, MAJOR_LOAD)},
	[RISCV_LHU] = {"lhu", SHAPE_LOAD, F3(5, MAJOR_LOAD)},
	[RISCV_LWU] = {"lwu", SHAPE_LOAD, F3(6, MAJOR_LOAD)},
	[RISCV_SB] = {"sb", SHAPE_S, F3(0, MAJOR_STORE)},
	[RISCV_SH] = {"sh", SHAPE_S, F3(1, MAJOR_STORE)},
	[RISCV_SW] = {"sw", SHAPE_S, F3(2, MAJOR_STORE)},
	[RISCV_SD] = {"sd", SHAPE_S, F3(3, MAJOR_STORE)},
	[RISCV_ADDI] = {"addi", SHAPE_I, F3(0, MAJOR_OP_IMM)},
	[RISCV_SLTI] = {"slti", SHAPE_I, F3(2, MAJOR_OP_IMM)},
	[RISCV_SLTIU] = {"sltiu", SHAPE_I, F3(3, MAJOR_OP_IMM)},
	[RISCV_XORI] = {"xori", SHAPE_I, F3(4, MAJOR_OP_IMM)},
	[RISCV_ORI] = {"ori", SHAPE_I, F3(6, MAJOR_OP_IMM)},
	[RISCV_ANDI] = {"andi", SHAPE_I, F3(7, MAJOR_OP_IMM)},
	[RISCV_SLLI] = {"slli", SHAPE_SHIFT, F6(0x00, 1, MAJOR_OP_IMM)},
	[RISCV_SRLI] = {"srli", SHAPE_SHIFT, F6(0x00, 5, MAJOR_OP_IMM)},
	[RISCV_SRAI] = {"srai", SHAPE_SHIFT, F6(0x10, 5, MAJOR_OP_IMM)},
	[RISCV_ADD] = {"add", SHAPE_R, F7(0x00, 0, MAJOR_OP)},
	[RISCV_SUB] = {"sub", SHAPE_R, F7(0x20, 0, MAJOR_OP)},
	[RISCV_SLL] = {"sll", SHAPE_R, F7(0x00, 1, MAJOR_OP)},
	[RISCV_SLT] = {"slt", SHAPE_R, F7(0x00, 2, MAJOR_OP)},
	[RISCV_SLTU] = {"sltu", SHAPE_R, F7(0x00, 3, MAJOR_OP)},
	[RISCV_XOR] = {"xor", SHAPE_R, F7(0x00, 4, MAJOR_OP)},
	[RISCV_SRL] = {"srl", SHAPE_R, F7(0x00, 5, MAJOR_OP)},
	[RISCV_SRA] = {"sra", SHAPE_R, F7(0x20, 5, MAJOR_OP)},
	[RISCV_OR] = {"or", SHAPE_R, F7(0x00, 6, MAJOR_OP)},
	[RISCV_AND] = {"and", SHAPE_R, F7(0x00, 7, MAJOR_OP)},
	[RISCV_ADDIW] = {"addiw", SHAPE_I, F3(0, MAJOR_OP_IMM_32)},
	/* funct7 rather than funct6: a shift amount of 32 or more is reserved for the *w shifts. */
	[RISCV_SLLIW] = {"slliw", SHAPE_SHIFT, F7(0x00, 1, MAJOR_OP_IMM_32)},
	[RISCV_SRLIW] = {"srliw", SHAPE_SHIFT, F7(0x00, 5, MAJOR_OP_IMM_32)},
	[RISCV_SRAIW] = {"sraiw", SHAPE_SHIFT, F7(0x20, 5, MAJOR_OP_IMM_32)},
	[RISCV_ADDW] = {"addw", SHAPE_R, F7(0x00, 0, MAJOR_OP_32)},
	[RISCV_SUBW] = {"subw", SHAPE_R, F7(0x20, 0, MAJOR_OP_32)},
	[RISCV_SLLW] = {"sllw", SHAPE_R, F7(0x00, 1, MAJOR_OP_32)},
	[RISCV_SRLW] = {"srlw", SHAPE_R, F7(0x00, 5, MAJOR_OP_32)},
	[RISCV_SRAW] = {"sraw", SHAPE_R, F7(0x20, 5, MAJOR_OP_32)},
	/* fence and fence.i leave rd, rs1 (and fence.i its immediate) reserved for
	 * finer-grained fences, which the spec says to ignore. */
	[RISCV_FENCE] = {"fence", SHAPE_FENCE, F3(0, MAJOR_MISC_MEM)},
	[RISCV_FENCE_I] = {"fence.i", SHAPE_NONE, F3(1, MAJOR_MISC_MEM)},
	[RISCV_ECALL] = {"ecall", SHAPE_NONE, EXACT(0x00000073)},
	[RISCV_EBREAK] = {"ebreak", SHAPE_NONE, EXACT(0x00100073)},
	[RISCV_UNIMP] = {"unimp", SHAPE_NONE, EXACT(0xc0001073)},
	[RISCV_CSRRW] = {"csrrw", SHAPE_CSR, F3(1, MAJOR_SYSTEM)},
	[RISCV_CSRRS] = {"csrrs", SHAPE_CSR, F3(2, MAJOR_SYSTEM)},
	[RISCV_CSRRC] = {"csrrc", SHAPE_CSR, F3(3, MAJOR_SYSTEM)},
	[RISCV_CSRRWI] = {"csrrwi", SHAPE_CSRI, F3(5, MAJOR_SYSTEM)},
	[RISCV_CSRRSI] = {"csrrsi", SHAPE_CSRI, F3(6, MAJOR_SYSTEM)},
	[RISCV_CSRRCI] = {"csrrci", SHAPE_CSRI, F3(7, MAJOR_SYSTEM)},
	[RISCV_MUL] = {"mul", SHAPE_R, F7(0x01, 0, MAJOR_OP)},
	[RISCV_MULH] = {"mulh", SHAPE_R, F7(0x01, 1, MAJOR_OP)},
	[RISCV_MULHSU] = {"mulhsu", SHAPE_R, F7(0x01, 2, MAJOR_OP)},
	[RISCV_MULHU] = {"mulhu", SHAPE_R, F7(0x01, 3, MAJOR_OP)},
	[RISCV_DIV] = {"div", SHAPE_R, F7(0x01, 4, MAJOR_OP)},
	[RISCV_DIVU] = {"divu", SHAPE_R, F7(0x01, 5, MAJOR_OP)},
	[RISCV_REM] = {"rem", SHAPE_R, F7(0x01, 6, MAJOR_OP)},
	[RISCV_REMU] = {"remu", SHAPE_R, F7(0x01, 7, MAJOR_OP)},
	[RISCV_MULW] = {"mulw", SHAPE_R, F7(0x01, 0, MAJOR_OP_32)},
	[RISCV_DIVW] = {"divw", SHAPE_R, F7(0x01, 4, MAJOR_OP_32)},
	[RISCV_DIVUW] = {"divuw", SHAPE_R, F7(0x01, 5, MAJOR_OP_32)},
	[RISCV_REMW] = {"remw", SHAPE_R, F7(0x01, 6, MAJOR_OP_32)},
	[RISCV_REMUW] = {"remuw", SHAPE_R, F7(0x01, 7, MAJOR_OP_32)},
	[RISCV_LR_W] = {"lr.w", SHAPE_LR, LR(2)},
	[RISCV_SC_W] = {"sc.w", SHAPE_AMO, AMO(0x03, 2)},
	[RISCV_AMOSWAP_W] = {"amoswap.w", SHAPE_AMO, AMO(0x01, 2)},
	[RISCV_AMOADD_W] = {"amoadd.w", SHAPE_AMO, AMO(0x00, 2)},
	[RISCV_AMOXOR_W] = {"amoxor.w", SHAPE_AMO, AMO(0x04, 2)},
	[RISCV_AMOAND_W] = {"amoand.w", SHAPE_AMO, AMO(0x0c, 2)},
	[RISCV_AMOOR_W] = {"amoor.w", SHAPE_AMO, AMO(0x08, 2)},
	[RISCV_AMOMIN_W] = {"amomin.w", SHAPE_AMO, AMO(0x10, 2)},
	[RISCV_AMOMAX_W] = {"amomax.w", SHAPE_AMO, AMO(0x14, 2)},
	[RISCV_AMOMINU_W] = {"amominu.w", SHAPE_AMO, AMO(0x18, 2)},
	[RISCV_AMOMAXU_W] = {"amomaxu.w", SHAPE_AMO, AMO(0x1c, 2)},
	[RISCV_LR_D] = {"lr.d", SHAPE_LR, LR(3)},
	[RISCV_SC_D] = {"sc.d", SHAPE_AMO, AMO(0x03, 3)},
	[RISCV_AMOSWAP_D] = {"amoswap.d", SHAPE_AMO, AMO(0x01, 3)},
	[RISCV_AMOADD_D] = {"amoadd.d", SHAPE_AMO, AMO(0x00, 3)},
	[RISCV_AMOXOR_D] = {"amoxor.d", SHAPE_AMO, AMO(0x04, 3)},
	[RISCV_AMOAND_D] = {"amoand.d", SHAPE_AMO, AMO(0x0c, 3)},
	[RISCV_AMOOR_D] = {"amoor.d", SHAPE_AMO, AMO(0x08, 3)},
	[RISCV_AMOMIN_D] = {"amomin.d", SHAPE_AMO, AMO(0x10, 3)},
	[RISCV_AMOMAX_D] = {"amomax.d", SHAPE_AMO, AMO(0x14, 3)},
	[RISCV_AMOMINU_D] = {"amominu.d", SHAPE_AMO, AMO(0x18, 3)},
	[RISCV_AMOMAXU_D] = {"amomaxu.d", SHAPE_AMO, AMO(0x1c, 3)},
	[RISCV_ANDN] = {"andn", SHAPE_R, F7(0x20, 7, MAJOR_OP)},
	[RISCV_ORN] = {"orn", SHAPE_R, F7(0x20, 6, MAJOR_OP)},
	[RISCV_XNOR] = {"xnor", SHAPE_R, F7(0x20, 4, MAJOR_OP)},
	[RISCV_CLZ] = {"clz", SHAPE_UNARY, F12(0x600, 1, MAJOR_OP_IMM)},
	[RISCV_CLZW] = {"clzw", SHAPE_UNARY, F12(0x600, 1, MAJOR_OP_IMM_32)},
	[RISCV_CTZ] = {"ctz", SHAPE_UNARY, F12(0x601, 1, MAJOR_OP_IMM)},
	[RISCV_CTZW] = {"ctzw", SHAPE_UNARY, F12(0x601, 1, MAJOR_OP_IMM_32)},
	[RISCV_CPOP] = {"cpop", SHAPE_UNARY, F12(0x602, 1, MAJOR_OP_IMM)},
	[RISCV_CPOPW] = {"cpopw", SHAPE_UNARY, F12(0x602, 1, MAJOR_OP_IMM_32)},
	[RISCV_MAX] = {"max", SHAPE_R, F7(0x05, 6, MAJOR_OP)},
	[RISCV_MAXU] = {"maxu", SHAPE_R, F7(0x05, 7, MAJOR_OP)},
	[RISCV_MIN] = {"min", SHAPE_R, F7(0x05, 4, MAJOR_OP)},
	[RISCV_MINU] = {"minu", SHAPE_R, F7(0x05, 5, MAJOR_OP)},
	[RISCV_SEXT_B] = {"sext.b", SHAPE_UNARY, F12(0x604, 1, MAJOR_OP_IMM)},
	[RISCV_SEXT_H] = {"sext.h", SHAPE_UNARY, F12(0x605, 1, MAJOR_OP_IMM)},
	/* Zbkb's packw with rs2 = x0, which is all of it that Zbb has. */
	[RISCV_ZEXT_H] = {"zext.h", SHAPE_UNARY, F12(0x080, 4, MAJOR_OP_32)},
	[RISCV_ROL] = {"rol", SHAPE_R, F7(0x30, 1, MAJOR_OP)},
	[RISCV_ROLW] = {"rolw", SHAPE_R, F7(0x30, 1, MAJOR_OP_32)},
	[RISCV_ROR] = {"ror", SHAPE_R, F7(0x30, 5, MAJOR_OP)},
	[RISCV_RORI] = {"rori", SHAPE_SHIFT, F6(0x18, 5, MAJOR_OP_IMM)},
	[RISCV_RORIW] = {"roriw", SHAPE_SHIFT, F7(0x30, 5, MAJOR_OP_IMM_32)},
	[RISCV_RORW] = {"rorw", SHAPE_R, F7(0x30, 5, MAJOR_OP_32)},
	[RISCV_ORC_B] = {"orc.b", SHAPE_UNARY, F12(0x287, 5, MAJOR_OP_IMM)},
	/* RV64's rev8, whose shift-amount field reads 56 (RV32's reads 24). */
	[RISCV_REV8] = {"rev8", SHAPE_UNARY, F12(0x6b8, 5, MAJOR_OP_IMM)},
	/* rd and rs1 must be zero: the call number is all the operand there is. */
	[RISCV_CORRAL_ECALLI] = {"custom ecalli", SHAPE_ECALLI, 0x000fffff, MAJOR_CUSTOM_0},
	/* The immediate must be zero, kept for a later use. */
	[RISCV_CORRAL_SBRK] = {"custom sbrk", SHAPE_UNARY, F12(0x000, 1, MAJOR_CUSTOM_0)},
};

static uint32_t bits(uint32_t word, unsigned high, unsigned low)
{
	return (word >> low) & ((2u << (high - low)) - 1);
}

/* `value` read as a `width`-bit two's-complement number. */
static int64_t sign_extend(uint64_t value, unsigned width)
{
	uint64_t sign = 1ull << (width - 1);
	return (int64_t)((value ^ sign) - sign);
}

static int64_t immediate(uint32_t raw, enum imm_kind kind)
{
	switch (kind) {
	case IMM_I:
		return sign_extend(bits(raw, 31, 20), 12);
	case IMM_S:
		return sign_extend(bits(raw, 31, 25) << 5 | bits(raw, 11, 7), 12);
	case IMM_B:
		return sign_extend(bits(raw, 31, 31) << 12 | bits(raw, 7, 7) << 11 | bits(raw, 30, 25) << 5 |
					   bits(raw, 11, 8) << 1,
				   13);
	case IMM_U:
		return sign_extend(raw & 0xfffff000u, 32);
	case IMM_J:
		return sign_extend(bits(raw, 31, 31) << 20 | bits(raw, 19, 12) << 12 | bits(raw, 20, 20) << 11 |
					   bits(raw, 30, 21) << 1,
				   21);
	case IMM_SHAMT:
		return bits(raw, 25, 20);
	case IMM_FIELD12:
		return bits(raw, 31, 20);
	case IMM_NONE:
		break;
	}
	return 0;
}

static void decode_32(uint32_t raw, struct riscv_inst *inst)
{
	for (unsigned op = RISCV_INVALID + 1; op < RISCV_OP_COUNT; op++) {
		if ((raw & ops[op].mask) != ops[op].match)
			continue;
		const struct shape_info *shape = &shapes[ops[op].shape];
		inst->op = op;
		inst->rd = shape->fields & FIELD_RD ? bits(raw, 11, 7) : 0;
		inst->rs1 = shape->fields & FIELD_RS1 ? bits(raw, 19, 15) : 0;
		inst->rs2 = shape->fields & FIELD_RS2 ? bits(raw, 24, 20) : 0;
		inst->imm = immediate(raw, shape->imm);
		return;
	}
}

/* ---- the compressed forms ----------------------------------------------- */

/* Where a compressed form finds a register: a fixed one, a 5-bit field, or a
 * 3-bit field naming x8..x15. */
enum creg { C_X0, C_RA, C_SP, C_11_7, C_6_2, C_9_7, C_4_2 };

enum {
	SIGNED = 1,       /* the immediate's top bit is its sign */
	NONZERO_IMM = 2,  /* a zero immediate is reserved */
	NONZERO_11_7 = 4, /* a zero in bits 11:7 is reserved */
};

#define X -1

/* The first row that matches wins, so the special cases (c.unimp within
 * c.addi4spn, c.addi16sp within c.lui, c.jr within c.mv, c.ebreak and c.jalr
 * within c.add) come first.
 * `imm` says, as the spec's tables do, which bit of the immediate each of
 * the instruction's bits 12, 11, ..., 2 holds; X marks bits that hold none.
 * Whatever matches no row (the floating-point loads and stores, Zcb, Zcmp,
 * the reserved holes) is invalid. Hints (c.lui x0, c.li x0, c.mv x0, c.slli
 * by 0, ...) decode as the base instruction they look like, which does nothing. */
static const struct compressed {
	uint16_t mask, match;
	uint8_t op;
	uint8_t rd, rs1, rs2;
	uint8_t flags;
	int8_t imm[11];
} compressed[] = {
	/* the all-zero halfword, defined illegal so that zeroed memory traps */
	{0xffff, 0x0000, RISCV_UNIMP, C_X0, C_X0, C_X0, 0, {X, X, X, X, X, X, X, X, X, X, X}},
	/* quadrant 0: c.addi4spn c.lw c.ld c.sw c.sd */
	{0xe003, 0x0000, RISCV_ADDI, C_4_2, C_SP, C_X0, NONZERO_IMM, {5, 4, 9, 8, 7, 6, 2, 3, X, X, X}},
	{0xe003, 0x4000, RISCV_LW, C_4_2, C_9_7, C_X0, 0, {5, 4, 3, X, X, X, 2, 6, X, X, X}},
	{0xe003, 0x6000, RISCV_LD, C_4_2, C_9_7, C_X0, 0, {5, 4, 3, X, X, X, 7, 6, X, X, X}},
	{0xe003, 0xc000, RISCV_SW, C_X0, C_9_7, C_4_2, 0, {5, 4, 3, X, X, X, 2, 6, X, X, X}},
	{0xe003, 0xe000, RISCV_SD, C_X0, C_9_7, C_4_2, 0, {5, 4, 3, X, X, X, 7, 6, X, X, X}},
	/* quadrant 1: c.addi (and c.nop) c.addiw c.li c.addi16sp c.lui c.srli c.srai c.andi c.sub c.xor c.or c.and
	 * c.subw c.addw c.j c.beqz c.bnez */
	{0xe003, 0x0001, RISCV_ADDI, C_11_7, C_11_7, C_X0, SIGNED, {5, X, X, X, X, X, 4, 3, 2, 1, 0}},
	{0xe003, 0x2001, RISCV_ADDIW, C_11_7, C_11_7, C_X0, SIGNED | NONZERO_11_7, {5, X, X, X, X, X, 4, 3, 2, 1, 0}},
	{0xe003, 0x4001, RISCV_ADDI, C_11_7, C_X0, C_X0, SIGNED, {5, X, X, X, X, X, 4, 3, 2, 1, 0}},
	{0xef83, 0x6101, RISCV_ADDI, C_SP, C_SP, C_X0, SIGNED | NONZERO_IMM, {9, X, X, X, X, X, 4, 6, 8, 7, 5}},
	{0xe003, 0x6001, RISCV_LUI, C_11_7, C_X0, C_X0, SIGNED | NONZERO_IMM, {17, X, X, X, X, X, 16, 15, 14, 13, 12}},
	{0xec03, 0x8001, RISCV_SRLI, C_9_7, C_9_7, C_X0, 0, {5, X, X, X, X, X, 4, 3, 2, 1, 0}},
	{0xec03, 0x8401, RISCV_SRAI, C_9_7, C_9_7, C_X0, 0, {5, X, X, X, X, X, 4, 3, 2, 1, 0}},
	{0xec03, 0x8801, RISCV_ANDI, C_9_7, C_9_7, C_X0, SIGNED, {5, X, X, X, X, X, 4, 3, 2, 1, 0}},
	{0xfc63, 0x8c01, RISCV_SUB, C_9_7, C_9_7, C_4_2, 0, {X, X, X, X, X, X, X, X, X, X, X}},
	{0xfc63, 0x8c21, RISCV_XOR, C_9_7, C_9_7, C_4_2, 0, {X, X, X, X, X, X, X, X, X, X, X}},
	{0xfc63, 0x8c41, RISCV_OR, C_9_7, C_9_7, C_4_2, 0, {X, X, X, X, X, X, X, X, X, X, X}},
	{0xfc63, 0x8c61, RISCV_AND, C_9_7, C_9_7, C_4_2, 0, {X, X, X, X, X, X, X, X, X, X, X}},
	{0xfc63, 0x9c01, RISCV_SUBW, C_9_7, C_9_7, C_4_2, 0, {X, X, X, X, X, X, X, X, X, X, X}},
	{0xfc63, 0x9c21, RISCV_ADDW, C_9_7, C_9_7, C_4_2, 0, {X, X, X, X, X, X, X, X, X, X, X}},
	{0xe003, 0xa001, RISCV_JAL, C_X0, C_X0, C_X0, SIGNED, {11, 4, 9, 8, 10, 6, 7, 3, 2, 1, 5}},
	{0xe003, 0xc001, RISCV_BEQ, C_X0, C_9_7, C_X0, SIGNED, {8, 4, 3, X, X, X, 7, 6, 2, 1, 5}},
	{0xe003, 0xe001, RISCV_BNE, C_X0, C_9_7, C_X0, SIGNED, {8, 4, 3, X, X, X, 7, 6, 2, 1, 5}},
	/* quadrant 2: c.slli c.lwsp c.ldsp c.jr c.mv c.ebreak c.jalr c.add c.swsp c.sdsp */
	{0xe003, 0x0002, RISCV_SLLI, C_11_7, C_11_7, C_X0, 0, {5, X, X, X, X, X, 4, 3, 2, 1, 0}},
	{0xe003, 0x4002, RISCV_LW, C_11_7, C_SP, C_X0, NONZERO_11_7, {5, X, X, X, X, X, 4, 3, 2, 7, 6}},
	{0xe003, 0x6002, RISCV_LD, C_11_7, C_SP, C_X0, NONZERO_11_7, {5, X, X, X, X, X, 4, 3, 8, 7, 6}},
	{0xf07f, 0x8002, RISCV_JALR, C_X0, C_11_7, C_X0, NONZERO_11_7, {X, X, X, X, X, X, X, X, X, X, X}},
	{0xf003, 0x8002, RISCV_ADD, C_11_7, C_X0, C_6_2, 0, {X, X, X, X, X, X, X, X, X, X, X}},
	{0xffff, 0x9002, RISCV_EBREAK, C_X0, C_X0, C_X0, 0, {X, X, X, X, X, X, X, X, X, X, X}},
	{0xf07f, 0x9002, RISCV_JALR, C_RA, C_11_7, C_X0, 0, {X, X, X, X, X, X, X, X, X, X, X}},
	{0xf003, 0x9002, RISCV_ADD, C_11_7, C_11_7, C_6_2, 0, {X, X, X, X, X, X, X, X, X, X, X}},
	{0xe003, 0xc002, RISCV_SW, C_X0, C_SP, C_6_2, 0, {5, 4, 3, 2, 7, 6, X, X, X, X, X}},
	{0xe003, 0xe002, RISCV_SD, C_X0, C_SP, C_6_2, 0, {5, 4, 3, 8, 7, 6, X, X, X, X, X}},
};

#undef X

static uint8_t compressed_register(uint16_t raw, enum creg where)
{
	switch (where) {
	case C_X0:
		return 0;
	case C_RA:
		return 1;
	case C_SP:
		return 2;
	case C_11_7:
		return bits(raw, 11, 7);
	case C_6_2:
		return bits(raw, 6, 2);
	case C_9_7:
		return 8 + bits(raw, 9, 7);
	case C_4_2:
		return 8 + bits(raw, 4, 2);
	}
	return 0;
}

static int64_t compressed_immediate(uint16_t raw, const struct compressed *form)
{
	uint64_t value = 0;
	int top = -1;
	for (unsigned i = 0; i < sizeof form->imm; i++) {
		int to = form->imm[i];
		if (to < 0)
			continue;
		value |= (uint64_t)bits(raw, 12 - i, 12 - i) << to;
		if (to > top)
			top = to;
	}
	return form->flags & SIGNED ? sign_extend(value, (unsigned)top + 1) : (int64_t)value;
}

static void decode_16(uint16_t raw, struct riscv_inst *inst)
{
	for (size_t i = 0; i < sizeof compressed / sizeof compressed[0]; i++) {
		const struct compressed *form = &compressed[i];
		if ((raw & form->mask) != form->match)
			continue;
		int64_t imm = compressed_immediate(raw, form);
		if ((form->flags & NONZERO_IMM && imm == 0) || (form->flags & NONZERO_11_7 && bits(raw, 11, 7) == 0))
			return;
		inst->op = form->op;
		inst->rd = compressed_register(raw, form->rd);
		inst->rs1 = compressed_register(raw, form->rs1);
		inst->rs2 = compressed_register(raw, form->rs2);
		inst->imm = imm;
		return;
	}
}

/* ---- lengths and the entry point ---------------------------------------- */

/* The base ISA's length scheme, read from the first halfword; 2 for the
 * prefix reserved for 192 bits and more, which has no length yet. */
static unsigned encoded_length(uint16_t first)
{
	if ((first & 0x03) != 0x03)
		return 2;
	if ((first & 0x1c) != 0x1c)
		return 4;
	if ((first & 0x3f) == 0x1f)
		return 6;
	if ((first & 0x7f) == 0x3f)
		return 8;
	unsigned n = bits(first, 14, 12);
	return n == 7 ? 2 : 10 + 2 * n;
}

unsigned riscv_decode(const uint8_t *bytes, size_t available, struct riscv_inst *inst)
{
	*inst = (struct riscv_inst){.op = RISCV_INVALID};
	if (available < 2)
		return 0;
	uint16_t first = (uint16_t)(bytes[0] | bytes[1] << 8);
	unsigned length = encoded_length(first);
	if (available < length)
		return 0;
	inst->length = (uint8_t)length;
	if (length == 2) {
		inst->raw = first;
		if ((first & 0x03) != 0x03)
			decode_16(first, inst);
		return length;
	}
	inst->raw = first | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
	if (length == 4)
		decode_32(inst->raw, inst);
	return length;
}

/* ---- names and text ------------------------------------------------------ */

const char *riscv_op_name(enum riscv_op op)
{
	return (unsigned)op < RISCV_OP_COUNT ? ops[op].name : "invalid";
}

const char *riscv_reg_name(unsigned reg)
{
	static const char *const names[32] = {
		"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",  "a1",  "a2", "a3", "a4", "a5",
		"a6",   "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
	};
	return reg < 32 ? names[reg] : "?";
}

/* Appends while there is room; a piece that does not fit is cut by
 * vsnprintf, which keeps the buffer NUL-terminated, and later ones are dropped. */
struct text {
	char *buffer;
	size_t size, used;
};

static void put(struct text *text, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *text, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	size_t room = text->used < text->size ? text->size - text->used : 0;
	int n = vsnprintf(room ? text->buffer + text->used : NULL, room, format, args);
	va_end(args);
	if (n > 0)
		text->used += (size_t)n;
}

/* fence's pred and succ sets, as the letters of the device input, device
 * output, memory read and memory write they order; "0" for none. */
static void put_fence_set(struct text *text, unsigned set)
{
	if (!set) {
		put(text, "0");
		return;
	}
	for (unsigned i = 0; i < 4; i++)
		if (set & 8u >> i)
			put(text, "%c", "iorw"[i]);
}

static void put_operands(struct text *text, const struct riscv_inst *inst, const char *spelling)
{
	for (const char *c = spelling; *c; c++) {
		switch (*c) {
		case 'd':
			put(text, "%s", riscv_reg_name(inst->rd));
			break;
		case 's':
			put(text, "%s", riscv_reg_name(inst->rs1));
			break;
		case 't':
			put(text, "%s", riscv_reg_name(inst->rs2));
			break;
		case 'i':
			put(text, "%lld", (long long)inst->imm);
			break;
		case 'u':
			put(text, "0x%llx", (unsigned long long)inst->imm >> 12 & 0xfffff);
			break;
		case 'p':
			put(text, "pc%+lld", (long long)inst->imm);
			break;
		case 'c':
			put(text, "0x%llx", (unsigned long long)inst->imm);
			break;
		case 'z':
			put(text, "%u", inst->rs1);
			break;
		case 'f':
			/* fm = 0 is the plain fence; anything else (fence.tso's 8) shows as the raw field. */
			if (inst->imm >> 8) {
				put(text, "0x%llx", (unsigned long long)inst->imm);
				break;
			}
			put_fence_set(text, (unsigned)inst->imm >> 4 & 0xf);
			put(text, ", ");
			put_fence_set(text, (unsigned)inst->imm & 0xf);
			break;
		default:
			put(text, "%c", *c);
		}
	}
}

void riscv_format(const struct riscv_inst *inst, char *buffer, size_t size)
{
	struct text text = {buffer, size, 0};
	if (size)
		buffer[0] = '\0';
	if (inst->op == RISCV_INVALID || (unsigned)inst->op >= RISCV_OP_COUNT) {
		if (inst->length <= 2)
			put(&text, ".insn 0x%04x", (unsigned)inst->raw);
		else if (inst->length == 4)
			put(&text, ".insn 0x%08x", (unsigned)inst->raw);
		else
			put(&text, ".insn 0x%08x... (a %u-bit instruction)", (unsigned)inst->raw, inst->length * 8u);
		return;
	}
	const char *spelling = shapes[ops[inst->op].shape].text;
	put(&text, "%s%s", ops[inst->op].name, *spelling ? " " : "");
	put_operands(&text, inst, spelling);
}
