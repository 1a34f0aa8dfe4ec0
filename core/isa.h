/* The PVM instruction set: one internal numbering, two encodings.
 *
 * Every instruction has one row in pvm_ops[]: its name, the class of its
 * arguments (how its bytes are decoded), whether it ends a basic block, and its
 * opcode byte in each of the two numberings (GP 0.7 and GP 0.8 / JamV1). The
 * decoder, the interpreter, the assembler and the disassembler all read this
 * one table. */
#ifndef PVM_ISA_H
#define PVM_ISA_H

#include <stdbool.h>
#include <stdint.h>

enum pvm_isa {
	PVM_ISA_GP07, /* Gray Paper 0.7: has sbrk; also accepts unlikely = 3 */
	PVM_ISA_GP08, /* Gray Paper 0.8 / JamV1: unlikely = 2, no sbrk, 101..110 */
	PVM_ISA_COUNT,
};

/* How an instruction's argument bytes are laid out (GP appendix A.5). */
enum pvm_args {
	PVM_ARGS_NONE,
	PVM_ARGS_IMM,            /* ecalli */
	PVM_ARGS_REG_IMM64,      /* load_imm_64 */
	PVM_ARGS_IMM2,           /* store_imm_* */
	PVM_ARGS_OFFSET,         /* jump */
	PVM_ARGS_REG_IMM,        /* load_*, store_*, jump_ind */
	PVM_ARGS_REG_IMM2,       /* store_imm_ind_* */
	PVM_ARGS_REG_IMM_OFFSET, /* load_imm_jump, branch_*_imm */
	PVM_ARGS_REG2,           /* move_reg, sbrk, bit counts */
	PVM_ARGS_REG2_IMM,       /* *_imm arithmetic, load_ind_*, store_ind_* */
	PVM_ARGS_REG2_OFFSET,    /* branch_* on two registers */
	PVM_ARGS_REG2_IMM2,      /* load_imm_jump_ind */
	PVM_ARGS_REG3,           /* three-register arithmetic */
	PVM_ARGS_COUNT,
};

/* Internal opcodes: dense, independent of either encoding. */
enum pvm_op {
	PVM_OP_TRAP,
	PVM_OP_FALLTHROUGH,
	PVM_OP_UNLIKELY,
	PVM_OP_ECALLI,
	PVM_OP_LOAD_IMM_64,
	PVM_OP_STORE_IMM_U8,
	PVM_OP_STORE_IMM_U16,
	PVM_OP_STORE_IMM_U32,
	PVM_OP_STORE_IMM_U64,
	PVM_OP_JUMP,
	PVM_OP_JUMP_IND,
	PVM_OP_LOAD_IMM,
	PVM_OP_LOAD_U8,
	PVM_OP_LOAD_I8,
	PVM_OP_LOAD_U16,
	PVM_OP_LOAD_I16,
	PVM_OP_LOAD_U32,
	PVM_OP_LOAD_I32,
	PVM_OP_LOAD_U64,
	PVM_OP_STORE_U8,
	PVM_OP_STORE_U16,
	PVM_OP_STORE_U32,
	PVM_OP_STORE_U64,
	PVM_OP_STORE_IMM_IND_U8,
	PVM_OP_STORE_IMM_IND_U16,
	PVM_OP_STORE_IMM_IND_U32,
	PVM_OP_STORE_IMM_IND_U64,
	PVM_OP_LOAD_IMM_JUMP,
	PVM_OP_BRANCH_EQ_IMM,
	PVM_OP_BRANCH_NE_IMM,
	PVM_OP_BRANCH_LT_U_IMM,
	PVM_OP_BRANCH_LE_U_IMM,
	PVM_OP_BRANCH_GE_U_IMM,
	PVM_OP_BRANCH_GT_U_IMM,
	PVM_OP_BRANCH_LT_S_IMM,
	PVM_OP_BRANCH_LE_S_IMM,
	PVM_OP_BRANCH_GE_S_IMM,
	PVM_OP_BRANCH_GT_S_IMM,
	PVM_OP_MOVE_REG,
	PVM_OP_SBRK,
	PVM_OP_COUNT_SET_BITS_64,
	PVM_OP_COUNT_SET_BITS_32,
	PVM_OP_LEADING_ZERO_BITS_64,
	PVM_OP_LEADING_ZERO_BITS_32,
	PVM_OP_TRAILING_ZERO_BITS_64,
	PVM_OP_TRAILING_ZERO_BITS_32,
	PVM_OP_SIGN_EXTEND_8,
	PVM_OP_SIGN_EXTEND_16,
	PVM_OP_ZERO_EXTEND_16,
	PVM_OP_REVERSE_BYTES,
	PVM_OP_STORE_IND_U8,
	PVM_OP_STORE_IND_U16,
	PVM_OP_STORE_IND_U32,
	PVM_OP_STORE_IND_U64,
	PVM_OP_LOAD_IND_U8,
	PVM_OP_LOAD_IND_I8,
	PVM_OP_LOAD_IND_U16,
	PVM_OP_LOAD_IND_I16,
	PVM_OP_LOAD_IND_U32,
	PVM_OP_LOAD_IND_I32,
	PVM_OP_LOAD_IND_U64,
	PVM_OP_ADD_IMM_32,
	PVM_OP_AND_IMM,
	PVM_OP_XOR_IMM,
	PVM_OP_OR_IMM,
	PVM_OP_MUL_IMM_32,
	PVM_OP_SET_LT_U_IMM,
	PVM_OP_SET_LT_S_IMM,
	PVM_OP_SHLO_L_IMM_32,
	PVM_OP_SHLO_R_IMM_32,
	PVM_OP_SHAR_R_IMM_32,
	PVM_OP_NEG_ADD_IMM_32,
	PVM_OP_SET_GT_U_IMM,
	PVM_OP_SET_GT_S_IMM,
	PVM_OP_SHLO_L_IMM_ALT_32,
	PVM_OP_SHLO_R_IMM_ALT_32,
	PVM_OP_SHAR_R_IMM_ALT_32,
	PVM_OP_CMOV_IZ_IMM,
	PVM_OP_CMOV_NZ_IMM,
	PVM_OP_ADD_IMM_64,
	PVM_OP_MUL_IMM_64,
	PVM_OP_SHLO_L_IMM_64,
	PVM_OP_SHLO_R_IMM_64,
	PVM_OP_SHAR_R_IMM_64,
	PVM_OP_NEG_ADD_IMM_64,
	PVM_OP_SHLO_L_IMM_ALT_64,
	PVM_OP_SHLO_R_IMM_ALT_64,
	PVM_OP_SHAR_R_IMM_ALT_64,
	PVM_OP_ROT_R_64_IMM,
	PVM_OP_ROT_R_64_IMM_ALT,
	PVM_OP_ROT_R_32_IMM,
	PVM_OP_ROT_R_32_IMM_ALT,
	PVM_OP_BRANCH_EQ,
	PVM_OP_BRANCH_NE,
	PVM_OP_BRANCH_LT_U,
	PVM_OP_BRANCH_LT_S,
	PVM_OP_BRANCH_GE_U,
	PVM_OP_BRANCH_GE_S,
	PVM_OP_LOAD_IMM_JUMP_IND,
	PVM_OP_ADD_32,
	PVM_OP_SUB_32,
	PVM_OP_MUL_32,
	PVM_OP_DIV_U_32,
	PVM_OP_DIV_S_32,
	PVM_OP_REM_U_32,
	PVM_OP_REM_S_32,
	PVM_OP_SHLO_L_32,
	PVM_OP_SHLO_R_32,
	PVM_OP_SHAR_R_32,
	PVM_OP_ADD_64,
	PVM_OP_SUB_64,
	PVM_OP_MUL_64,
	PVM_OP_DIV_U_64,
	PVM_OP_DIV_S_64,
	PVM_OP_REM_U_64,
	PVM_OP_REM_S_64,
	PVM_OP_SHLO_L_64,
	PVM_OP_SHLO_R_64,
	PVM_OP_SHAR_R_64,
	PVM_OP_AND,
	PVM_OP_XOR,
	PVM_OP_OR,
	PVM_OP_MUL_UPPER_S_S,
	PVM_OP_MUL_UPPER_U_U,
	PVM_OP_MUL_UPPER_S_U,
	PVM_OP_SET_LT_U,
	PVM_OP_SET_LT_S,
	PVM_OP_CMOV_IZ,
	PVM_OP_CMOV_NZ,
	PVM_OP_ROT_L_64,
	PVM_OP_ROT_L_32,
	PVM_OP_ROT_R_64,
	PVM_OP_ROT_R_32,
	PVM_OP_AND_INV,
	PVM_OP_OR_INV,
	PVM_OP_XNOR,
	PVM_OP_MAX,
	PVM_OP_MAX_U,
	PVM_OP_MIN,
	PVM_OP_MIN_U,
	PVM_OP_COUNT,
};

/* Row flags. */
enum {
	PVM_TERMINATOR = 1 << 0, /* in the set T: ends a basic block */
	PVM_BRANCH = 1 << 1,     /* conditional static branch */
	PVM_LOAD = 1 << 2,
	PVM_STORE = 1 << 3,
};

/* Marks an instruction that one numbering does not have. */
#define PVM_NO_OPCODE 0xFFFF

struct pvm_op_info {
	const char *name;
	uint8_t args;  /* enum pvm_args */
	uint8_t flags; /* PVM_TERMINATOR, ... */
	uint8_t width; /* bytes accessed by a load or store; 0 otherwise */
	uint16_t opcode[PVM_ISA_COUNT];
};

extern const struct pvm_op_info pvm_ops[PVM_OP_COUNT];

/* The numbering of one ISA, for decoding: byte -> internal op. */
struct pvm_opcode_map {
	enum pvm_isa isa;
	uint8_t op_of_byte[256];
	bool valid[256];
};

void pvm_opcode_map_init(struct pvm_opcode_map *map, enum pvm_isa isa);

/* "gp0.7" / "gp0.8" */
const char *pvm_isa_name(enum pvm_isa isa);
/* Accepts "gp0.7", "gp0.8" and "jamv1"; returns false if unknown. */
bool pvm_isa_parse(const char *name, enum pvm_isa *isa);

/* Looks an instruction up by its name; returns PVM_OP_COUNT if none. */
enum pvm_op pvm_op_by_name(const char *name, uint32_t length);

#endif
