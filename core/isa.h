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

/* Every instruction, one row each, in the order of the internal numbering:
 * X(NAME, name, argument class, flags, bytes a load or store accesses, GP 0.7
 * opcode, GP 0.8 opcode). The enum below, pvm_ops[] and the compiler's
 * dispatch (core/jit.c) all expand this one list.
 *
 * The GP 0.7 numbers come from the Gray Paper's appendix A tables; GP 0.8
 * keeps them except that unlikely is 2, sbrk is gone and count_set_bits_64 ..
 * reverse_bytes move down by one (101..110). GP 0.7 leaves 3 unassigned; the
 * gas-model vectors, written for GP 0.7 plus the 0.8 draft, use it for
 * unlikely, so the 0.7 numbering accepts it. */
#define PVM_INSTRUCTIONS(X)                                                                             \
	X(TRAP, "trap", NONE, PVM_TERMINATOR, 0, 0, 0)                                                  \
	X(FALLTHROUGH, "fallthrough", NONE, PVM_TERMINATOR, 0, 1, 1)                                    \
	X(UNLIKELY, "unlikely", NONE, 0, 0, 3, 2)                                                       \
	X(ECALLI, "ecalli", IMM, 0, 0, 10, 10)                                                          \
	X(LOAD_IMM_64, "load_imm_64", REG_IMM64, 0, 0, 20, 20)                                          \
	X(STORE_IMM_U8, "store_imm_u8", IMM2, PVM_STORE, 1, 30, 30)                                     \
	X(STORE_IMM_U16, "store_imm_u16", IMM2, PVM_STORE, 2, 31, 31)                                   \
	X(STORE_IMM_U32, "store_imm_u32", IMM2, PVM_STORE, 4, 32, 32)                                   \
	X(STORE_IMM_U64, "store_imm_u64", IMM2, PVM_STORE, 8, 33, 33)                                   \
	X(JUMP, "jump", OFFSET, PVM_TERMINATOR, 0, 40, 40)                                              \
	X(JUMP_IND, "jump_ind", REG_IMM, PVM_TERMINATOR, 0, 50, 50)                                     \
	X(LOAD_IMM, "load_imm", REG_IMM, 0, 0, 51, 51)                                                  \
	X(LOAD_U8, "load_u8", REG_IMM, PVM_LOAD, 1, 52, 52)                                             \
	X(LOAD_I8, "load_i8", REG_IMM, PVM_LOAD, 1, 53, 53)                                             \
	X(LOAD_U16, "load_u16", REG_IMM, PVM_LOAD, 2, 54, 54)                                           \
	X(LOAD_I16, "load_i16", REG_IMM, PVM_LOAD, 2, 55, 55)                                           \
	X(LOAD_U32, "load_u32", REG_IMM, PVM_LOAD, 4, 56, 56)                                           \
	X(LOAD_I32, "load_i32", REG_IMM, PVM_LOAD, 4, 57, 57)                                           \
	X(LOAD_U64, "load_u64", REG_IMM, PVM_LOAD, 8, 58, 58)                                           \
	X(STORE_U8, "store_u8", REG_IMM, PVM_STORE, 1, 59, 59)                                          \
	X(STORE_U16, "store_u16", REG_IMM, PVM_STORE, 2, 60, 60)                                        \
	X(STORE_U32, "store_u32", REG_IMM, PVM_STORE, 4, 61, 61)                                        \
	X(STORE_U64, "store_u64", REG_IMM, PVM_STORE, 8, 62, 62)                                        \
	X(STORE_IMM_IND_U8, "store_imm_ind_u8", REG_IMM2, PVM_STORE, 1, 70, 70)                         \
	X(STORE_IMM_IND_U16, "store_imm_ind_u16", REG_IMM2, PVM_STORE, 2, 71, 71)                       \
	X(STORE_IMM_IND_U32, "store_imm_ind_u32", REG_IMM2, PVM_STORE, 4, 72, 72)                       \
	X(STORE_IMM_IND_U64, "store_imm_ind_u64", REG_IMM2, PVM_STORE, 8, 73, 73)                       \
	X(LOAD_IMM_JUMP, "load_imm_jump", REG_IMM_OFFSET, PVM_TERMINATOR, 0, 80, 80)                    \
	X(BRANCH_EQ_IMM, "branch_eq_imm", REG_IMM_OFFSET, (PVM_TERMINATOR | PVM_BRANCH), 0, 81, 81)     \
	X(BRANCH_NE_IMM, "branch_ne_imm", REG_IMM_OFFSET, (PVM_TERMINATOR | PVM_BRANCH), 0, 82, 82)     \
	X(BRANCH_LT_U_IMM, "branch_lt_u_imm", REG_IMM_OFFSET, (PVM_TERMINATOR | PVM_BRANCH), 0, 83, 83) \
	X(BRANCH_LE_U_IMM, "branch_le_u_imm", REG_IMM_OFFSET, (PVM_TERMINATOR | PVM_BRANCH), 0, 84, 84) \
	X(BRANCH_GE_U_IMM, "branch_ge_u_imm", REG_IMM_OFFSET, (PVM_TERMINATOR | PVM_BRANCH), 0, 85, 85) \
	X(BRANCH_GT_U_IMM, "branch_gt_u_imm", REG_IMM_OFFSET, (PVM_TERMINATOR | PVM_BRANCH), 0, 86, 86) \
	X(BRANCH_LT_S_IMM, "branch_lt_s_imm", REG_IMM_OFFSET, (PVM_TERMINATOR | PVM_BRANCH), 0, 87, 87) \
	X(BRANCH_LE_S_IMM, "branch_le_s_imm", REG_IMM_OFFSET, (PVM_TERMINATOR | PVM_BRANCH), 0, 88, 88) \
	X(BRANCH_GE_S_IMM, "branch_ge_s_imm", REG_IMM_OFFSET, (PVM_TERMINATOR | PVM_BRANCH), 0, 89, 89) \
	X(BRANCH_GT_S_IMM, "branch_gt_s_imm", REG_IMM_OFFSET, (PVM_TERMINATOR | PVM_BRANCH), 0, 90, 90) \
	X(MOVE_REG, "move_reg", REG2, 0, 0, 100, 100)                                                   \
	X(SBRK, "sbrk", REG2, 0, 0, 101, PVM_NO_OPCODE)                                                 \
	X(COUNT_SET_BITS_64, "count_set_bits_64", REG2, 0, 0, 102, 101)                                 \
	X(COUNT_SET_BITS_32, "count_set_bits_32", REG2, 0, 0, 103, 102)                                 \
	X(LEADING_ZERO_BITS_64, "leading_zero_bits_64", REG2, 0, 0, 104, 103)                           \
	X(LEADING_ZERO_BITS_32, "leading_zero_bits_32", REG2, 0, 0, 105, 104)                           \
	X(TRAILING_ZERO_BITS_64, "trailing_zero_bits_64", REG2, 0, 0, 106, 105)                         \
	X(TRAILING_ZERO_BITS_32, "trailing_zero_bits_32", REG2, 0, 0, 107, 106)                         \
	X(SIGN_EXTEND_8, "sign_extend_8", REG2, 0, 0, 108, 107)                                         \
	X(SIGN_EXTEND_16, "sign_extend_16", REG2, 0, 0, 109, 108)                                       \
	X(ZERO_EXTEND_16, "zero_extend_16", REG2, 0, 0, 110, 109)                                       \
	X(REVERSE_BYTES, "reverse_bytes", REG2, 0, 0, 111, 110)                                         \
	X(STORE_IND_U8, "store_ind_u8", REG2_IMM, PVM_STORE, 1, 120, 120)                               \
	X(STORE_IND_U16, "store_ind_u16", REG2_IMM, PVM_STORE, 2, 121, 121)                             \
	X(STORE_IND_U32, "store_ind_u32", REG2_IMM, PVM_STORE, 4, 122, 122)                             \
	X(STORE_IND_U64, "store_ind_u64", REG2_IMM, PVM_STORE, 8, 123, 123)                             \
	X(LOAD_IND_U8, "load_ind_u8", REG2_IMM, PVM_LOAD, 1, 124, 124)                                  \
	X(LOAD_IND_I8, "load_ind_i8", REG2_IMM, PVM_LOAD, 1, 125, 125)                                  \
	X(LOAD_IND_U16, "load_ind_u16", REG2_IMM, PVM_LOAD, 2, 126, 126)                                \
	X(LOAD_IND_I16, "load_ind_i16", REG2_IMM, PVM_LOAD, 2, 127, 127)                                \
	X(LOAD_IND_U32, "load_ind_u32", REG2_IMM, PVM_LOAD, 4, 128, 128)                                \
	X(LOAD_IND_I32, "load_ind_i32", REG2_IMM, PVM_LOAD, 4, 129, 129)                                \
	X(LOAD_IND_U64, "load_ind_u64", REG2_IMM, PVM_LOAD, 8, 130, 130)                                \
	X(ADD_IMM_32, "add_imm_32", REG2_IMM, 0, 0, 131, 131)                                           \
	X(AND_IMM, "and_imm", REG2_IMM, 0, 0, 132, 132)                                                 \
	X(XOR_IMM, "xor_imm", REG2_IMM, 0, 0, 133, 133)                                                 \
	X(OR_IMM, "or_imm", REG2_IMM, 0, 0, 134, 134)                                                   \
	X(MUL_IMM_32, "mul_imm_32", REG2_IMM, 0, 0, 135, 135)                                           \
	X(SET_LT_U_IMM, "set_lt_u_imm", REG2_IMM, 0, 0, 136, 136)                                       \
	X(SET_LT_S_IMM, "set_lt_s_imm", REG2_IMM, 0, 0, 137, 137)                                       \
	X(SHLO_L_IMM_32, "shlo_l_imm_32", REG2_IMM, 0, 0, 138, 138)                                     \
	X(SHLO_R_IMM_32, "shlo_r_imm_32", REG2_IMM, 0, 0, 139, 139)                                     \
	X(SHAR_R_IMM_32, "shar_r_imm_32", REG2_IMM, 0, 0, 140, 140)                                     \
	X(NEG_ADD_IMM_32, "neg_add_imm_32", REG2_IMM, 0, 0, 141, 141)                                   \
	X(SET_GT_U_IMM, "set_gt_u_imm", REG2_IMM, 0, 0, 142, 142)                                       \
	X(SET_GT_S_IMM, "set_gt_s_imm", REG2_IMM, 0, 0, 143, 143)                                       \
	X(SHLO_L_IMM_ALT_32, "shlo_l_imm_alt_32", REG2_IMM, 0, 0, 144, 144)                             \
	X(SHLO_R_IMM_ALT_32, "shlo_r_imm_alt_32", REG2_IMM, 0, 0, 145, 145)                             \
	X(SHAR_R_IMM_ALT_32, "shar_r_imm_alt_32", REG2_IMM, 0, 0, 146, 146)                             \
	X(CMOV_IZ_IMM, "cmov_iz_imm", REG2_IMM, 0, 0, 147, 147)                                         \
	X(CMOV_NZ_IMM, "cmov_nz_imm", REG2_IMM, 0, 0, 148, 148)                                         \
	X(ADD_IMM_64, "add_imm_64", REG2_IMM, 0, 0, 149, 149)                                           \
	X(MUL_IMM_64, "mul_imm_64", REG2_IMM, 0, 0, 150, 150)                                           \
	X(SHLO_L_IMM_64, "shlo_l_imm_64", REG2_IMM, 0, 0, 151, 151)                                     \
	X(SHLO_R_IMM_64, "shlo_r_imm_64", REG2_IMM, 0, 0, 152, 152)                                     \
	X(SHAR_R_IMM_64, "shar_r_imm_64", REG2_IMM, 0, 0, 153, 153)                                     \
	X(NEG_ADD_IMM_64, "neg_add_imm_64", REG2_IMM, 0, 0, 154, 154)                                   \
	X(SHLO_L_IMM_ALT_64, "shlo_l_imm_alt_64", REG2_IMM, 0, 0, 155, 155)                             \
	X(SHLO_R_IMM_ALT_64, "shlo_r_imm_alt_64", REG2_IMM, 0, 0, 156, 156)                             \
	X(SHAR_R_IMM_ALT_64, "shar_r_imm_alt_64", REG2_IMM, 0, 0, 157, 157)                             \
	X(ROT_R_64_IMM, "rot_r_64_imm", REG2_IMM, 0, 0, 158, 158)                                       \
	X(ROT_R_64_IMM_ALT, "rot_r_64_imm_alt", REG2_IMM, 0, 0, 159, 159)                               \
	X(ROT_R_32_IMM, "rot_r_32_imm", REG2_IMM, 0, 0, 160, 160)                                       \
	X(ROT_R_32_IMM_ALT, "rot_r_32_imm_alt", REG2_IMM, 0, 0, 161, 161)                               \
	X(BRANCH_EQ, "branch_eq", REG2_OFFSET, (PVM_TERMINATOR | PVM_BRANCH), 0, 170, 170)              \
	X(BRANCH_NE, "branch_ne", REG2_OFFSET, (PVM_TERMINATOR | PVM_BRANCH), 0, 171, 171)              \
	X(BRANCH_LT_U, "branch_lt_u", REG2_OFFSET, (PVM_TERMINATOR | PVM_BRANCH), 0, 172, 172)          \
	X(BRANCH_LT_S, "branch_lt_s", REG2_OFFSET, (PVM_TERMINATOR | PVM_BRANCH), 0, 173, 173)          \
	X(BRANCH_GE_U, "branch_ge_u", REG2_OFFSET, (PVM_TERMINATOR | PVM_BRANCH), 0, 174, 174)          \
	X(BRANCH_GE_S, "branch_ge_s", REG2_OFFSET, (PVM_TERMINATOR | PVM_BRANCH), 0, 175, 175)          \
	X(LOAD_IMM_JUMP_IND, "load_imm_jump_ind", REG2_IMM2, PVM_TERMINATOR, 0, 180, 180)               \
	X(ADD_32, "add_32", REG3, 0, 0, 190, 190)                                                       \
	X(SUB_32, "sub_32", REG3, 0, 0, 191, 191)                                                       \
	X(MUL_32, "mul_32", REG3, 0, 0, 192, 192)                                                       \
	X(DIV_U_32, "div_u_32", REG3, 0, 0, 193, 193)                                                   \
	X(DIV_S_32, "div_s_32", REG3, 0, 0, 194, 194)                                                   \
	X(REM_U_32, "rem_u_32", REG3, 0, 0, 195, 195)                                                   \
	X(REM_S_32, "rem_s_32", REG3, 0, 0, 196, 196)                                                   \
	X(SHLO_L_32, "shlo_l_32", REG3, 0, 0, 197, 197)                                                 \
	X(SHLO_R_32, "shlo_r_32", REG3, 0, 0, 198, 198)                                                 \
	X(SHAR_R_32, "shar_r_32", REG3, 0, 0, 199, 199)                                                 \
	X(ADD_64, "add_64", REG3, 0, 0, 200, 200)                                                       \
	X(SUB_64, "sub_64", REG3, 0, 0, 201, 201)                                                       \
	X(MUL_64, "mul_64", REG3, 0, 0, 202, 202)                                                       \
	X(DIV_U_64, "div_u_64", REG3, 0, 0, 203, 203)                                                   \
	X(DIV_S_64, "div_s_64", REG3, 0, 0, 204, 204)                                                   \
	X(REM_U_64, "rem_u_64", REG3, 0, 0, 205, 205)                                                   \
	X(REM_S_64, "rem_s_64", REG3, 0, 0, 206, 206)                                                   \
	X(SHLO_L_64, "shlo_l_64", REG3, 0, 0, 207, 207)                                                 \
	X(SHLO_R_64, "shlo_r_64", REG3, 0, 0, 208, 208)                                                 \
	X(SHAR_R_64, "shar_r_64", REG3, 0, 0, 209, 209)                                                 \
	X(AND, "and", REG3, 0, 0, 210, 210)                                                             \
	X(XOR, "xor", REG3, 0, 0, 211, 211)                                                             \
	X(OR, "or", REG3, 0, 0, 212, 212)                                                               \
	X(MUL_UPPER_S_S, "mul_upper_s_s", REG3, 0, 0, 213, 213)                                         \
	X(MUL_UPPER_U_U, "mul_upper_u_u", REG3, 0, 0, 214, 214)                                         \
	X(MUL_UPPER_S_U, "mul_upper_s_u", REG3, 0, 0, 215, 215)                                         \
	X(SET_LT_U, "set_lt_u", REG3, 0, 0, 216, 216)                                                   \
	X(SET_LT_S, "set_lt_s", REG3, 0, 0, 217, 217)                                                   \
	X(CMOV_IZ, "cmov_iz", REG3, 0, 0, 218, 218)                                                     \
	X(CMOV_NZ, "cmov_nz", REG3, 0, 0, 219, 219)                                                     \
	X(ROT_L_64, "rot_l_64", REG3, 0, 0, 220, 220)                                                   \
	X(ROT_L_32, "rot_l_32", REG3, 0, 0, 221, 221)                                                   \
	X(ROT_R_64, "rot_r_64", REG3, 0, 0, 222, 222)                                                   \
	X(ROT_R_32, "rot_r_32", REG3, 0, 0, 223, 223)                                                   \
	X(AND_INV, "and_inv", REG3, 0, 0, 224, 224)                                                     \
	X(OR_INV, "or_inv", REG3, 0, 0, 225, 225)                                                       \
	X(XNOR, "xnor", REG3, 0, 0, 226, 226)                                                           \
	X(MAX, "max", REG3, 0, 0, 227, 227)                                                             \
	X(MAX_U, "max_u", REG3, 0, 0, 228, 228)                                                         \
	X(MIN, "min", REG3, 0, 0, 229, 229)                                                             \
	X(MIN_U, "min_u", REG3, 0, 0, 230, 230)

/* Internal opcodes: dense, independent of either encoding. */
enum pvm_op {
#define PVM_OP_ENUMERATOR(op, ...) PVM_OP_##op,
	PVM_INSTRUCTIONS(PVM_OP_ENUMERATOR)
#undef PVM_OP_ENUMERATOR
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
