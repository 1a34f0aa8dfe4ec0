/* RISC-V instruction decoding for the linker that turns RV64E ELF guests into
 * PVM programs: RV64I, M, A, Zbb, the integer compressed forms (expanded to
 * the base instruction they stand for) and corral's two custom instructions.
 * Everything else decodes as RISCV_INVALID with its length, so the linker can
 * name what it cannot translate. */
#ifndef LOADER_RISCV_H
#define LOADER_RISCV_H

#include <stddef.h>
#include <stdint.h>

enum riscv_op {
	RISCV_INVALID,
	/* RV64I */
	RISCV_LUI,
	RISCV_AUIPC,
	RISCV_JAL,
	RISCV_JALR,
	RISCV_BEQ,
	RISCV_BNE,
	RISCV_BLT,
	RISCV_BGE,
	RISCV_BLTU,
	RISCV_BGEU,
	RISCV_LB,
	RISCV_LH,
	RISCV_LW,
	RISCV_LD,
	RISCV_LBU,
	RISCV_LHU,
	RISCV_LWU,
	RISCV_SB,
	RISCV_SH,
	RISCV_SW,
	RISCV_SD,
	RISCV_ADDI,
	RISCV_SLTI,
	RISCV_SLTIU,
	RISCV_XORI,
	RISCV_ORI,
	RISCV_ANDI,
	RISCV_SLLI,
	RISCV_SRLI,
	RISCV_SRAI,
	RISCV_ADD,
	RISCV_SUB,
	RISCV_SLL,
	RISCV_SLT,
	RISCV_SLTU,
	RISCV_XOR,
	RISCV_SRL,
	RISCV_SRA,
	RISCV_OR,
	RISCV_AND,
	RISCV_ADDIW,
	RISCV_SLLIW,
	RISCV_SRLIW,
	RISCV_SRAIW,
	RISCV_ADDW,
	RISCV_SUBW,
	RISCV_SLLW,
	RISCV_SRLW,
	RISCV_SRAW,
	RISCV_FENCE,
	RISCV_FENCE_I,
	RISCV_ECALL,
	RISCV_EBREAK,
	RISCV_UNIMP, /* 0xc0001073 (csrrw x0, cycle, x0) and the all-zero halfword */
	RISCV_CSRRW,
	RISCV_CSRRS,
	RISCV_CSRRC,
	RISCV_CSRRWI,
	RISCV_CSRRSI,
	RISCV_CSRRCI,
	/* M */
	RISCV_MUL,
	RISCV_MULH,
	RISCV_MULHSU,
	RISCV_MULHU,
	RISCV_DIV,
	RISCV_DIVU,
	RISCV_REM,
	RISCV_REMU,
	RISCV_MULW,
	RISCV_DIVW,
	RISCV_DIVUW,
	RISCV_REMW,
	RISCV_REMUW,
	/* A (the aq/rl ordering bits are dropped) */
	RISCV_LR_W,
	RISCV_SC_W,
	RISCV_AMOSWAP_W,
	RISCV_AMOADD_W,
	RISCV_AMOXOR_W,
	RISCV_AMOAND_W,
	RISCV_AMOOR_W,
	RISCV_AMOMIN_W,
	RISCV_AMOMAX_W,
	RISCV_AMOMINU_W,
	RISCV_AMOMAXU_W,
	RISCV_LR_D,
	RISCV_SC_D,
	RISCV_AMOSWAP_D,
	RISCV_AMOADD_D,
	RISCV_AMOXOR_D,
	RISCV_AMOAND_D,
	RISCV_AMOOR_D,
	RISCV_AMOMIN_D,
	RISCV_AMOMAX_D,
	RISCV_AMOMINU_D,
	RISCV_AMOMAXU_D,
	/* Zbb */
	RISCV_ANDN,
	RISCV_ORN,
	RISCV_XNOR,
	RISCV_CLZ,
	RISCV_CLZW,
	RISCV_CTZ,
	RISCV_CTZW,
	RISCV_CPOP,
	RISCV_CPOPW,
	RISCV_MAX,
	RISCV_MAXU,
	RISCV_MIN,
	RISCV_MINU,
	RISCV_SEXT_B,
	RISCV_SEXT_H,
	RISCV_ZEXT_H,
	RISCV_ROL,
	RISCV_ROLW,
	RISCV_ROR,
	RISCV_RORI,
	RISCV_RORIW,
	RISCV_RORW,
	RISCV_ORC_B,
	RISCV_REV8,
	/* corral's, on the custom-0 major opcode */
	RISCV_CORRAL_ECALLI,
	RISCV_CORRAL_SBRK,
	RISCV_OP_COUNT
};

/* A decoded instruction. Registers an instruction does not use are 0.
 *
 * imm, always sign-extended to 64 bits unless said otherwise:
 *   I- and S-type, jalr, loads, stores: the 12-bit immediate
 *   branches, jal: the byte offset from this instruction
 *   lui, auipc: the value itself, imm20 << 12 (lui a0, 0xfffff gives -4096)
 *   shifts and rori/roriw: the shift amount
 *   csr*: the CSR number (unsigned); rs1 holds the 5-bit zimm in the *i forms
 *   fence: the 12-bit fm/pred/succ field (unsigned, not interpreted)
 *   custom ecalli: the 12-bit immediate */
struct riscv_inst {
	enum riscv_op op;
	uint8_t rd, rs1, rs2; /* 0..31 as encoded: RV64E's limit of 16 is the caller's to check */
	uint8_t length;       /* bytes: 2 (compressed) or 4; see riscv_decode for longer encodings */
	int64_t imm;
	uint32_t raw; /* the instruction's bits: 16 of them when length is 2, else the first 32 */
};

/* Decodes the instruction at bytes[0..available) and returns its length in
 * bytes, never reading past `available`:
 *   2 or 4 for the 16- and 32-bit encodings, with op = RISCV_INVALID when the
 *     encoding is not one we decode (F/D/V/Q, privileged, reserved);
 *   6, 8, or 10..22 for the 48-, 64- and 80..176-bit encodings of the base
 *     ISA's length scheme, always RISCV_INVALID since nothing uses them;
 *   2 for the prefix reserved for 192 bits and more (RISCV_INVALID), whose
 *     length no one has defined, so that the caller still has one parcel to name;
 *   0 when fewer bytes are available than the instruction needs. */
unsigned riscv_decode(const uint8_t *bytes, size_t available, struct riscv_inst *inst);

/* "addi", "amoadd.w", "custom ecalli"; compressed forms have no names of their
 * own, they decode to their base op. "invalid" for RISCV_INVALID or out of range. */
const char *riscv_op_name(enum riscv_op op);

/* The ABI name of x0..x31: zero ra sp gp tp t0 t1 t2 s0 s1 a0..a7 s2..s11 t3..t6;
 * "?" past 31. */
const char *riscv_reg_name(unsigned reg);

/* Assembly text for error messages: "addi a0, a1, -5", "ld a0, 8(sp)",
 * "beq a0, a1, pc+12", "lui a0, 0x12345", "custom ecalli 1000", and
 * ".insn 0x12345678" for RISCV_INVALID. Always NUL-terminates (if size > 0),
 * truncating to fit. */
void riscv_format(const struct riscv_inst *inst, char *buffer, size_t size);

#endif
