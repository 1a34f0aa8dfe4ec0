#include "isa.h"

/* One row per instruction. The GP 0.7 numbers come from the Gray Paper's
 * appendix A tables; GP 0.8 keeps them except that unlikely is 2, sbrk is gone
 * and count_set_bits_64 .. reverse_bytes move down by one (101..110). */
#define NONE PVM_NO_OPCODE
#define T    PVM_TERMINATOR
#define B    (PVM_TERMINATOR | PVM_BRANCH)
#define L    PVM_LOAD
#define S    PVM_STORE

const struct pvm_op_info pvm_ops[PVM_OP_COUNT] = {
	[PVM_OP_TRAP] = {"trap", PVM_ARGS_NONE, T, 0, {0, 0}},
	[PVM_OP_FALLTHROUGH] = {"fallthrough", PVM_ARGS_NONE, T, 0, {1, 1}},
	/* GP 0.7 leaves 3 unassigned; the gas-model vectors, written for GP 0.7 plus the
	 * 0.8 draft, use it for unlikely, so the 0.7 table accepts it. */
	[PVM_OP_UNLIKELY] = {"unlikely", PVM_ARGS_NONE, 0, 0, {3, 2}},
	[PVM_OP_ECALLI] = {"ecalli", PVM_ARGS_IMM, 0, 0, {10, 10}},
	[PVM_OP_LOAD_IMM_64] = {"load_imm_64", PVM_ARGS_REG_IMM64, 0, 0, {20, 20}},
	[PVM_OP_STORE_IMM_U8] = {"store_imm_u8", PVM_ARGS_IMM2, S, 1, {30, 30}},
	[PVM_OP_STORE_IMM_U16] = {"store_imm_u16", PVM_ARGS_IMM2, S, 2, {31, 31}},
	[PVM_OP_STORE_IMM_U32] = {"store_imm_u32", PVM_ARGS_IMM2, S, 4, {32, 32}},
	[PVM_OP_STORE_IMM_U64] = {"store_imm_u64", PVM_ARGS_IMM2, S, 8, {33, 33}},
	[PVM_OP_JUMP] = {"jump", PVM_ARGS_OFFSET, T, 0, {40, 40}},
	[PVM_OP_JUMP_IND] = {"jump_ind", PVM_ARGS_REG_IMM, T, 0, {50, 50}},
	[PVM_OP_LOAD_IMM] = {"load_imm", PVM_ARGS_REG_IMM, 0, 0, {51, 51}},
	[PVM_OP_LOAD_U8] = {"load_u8", PVM_ARGS_REG_IMM, L, 1, {52, 52}},
	[PVM_OP_LOAD_I8] = {"load_i8", PVM_ARGS_REG_IMM, L, 1, {53, 53}},
	[PVM_OP_LOAD_U16] = {"load_u16", PVM_ARGS_REG_IMM, L, 2, {54, 54}},
	[PVM_OP_LOAD_I16] = {"load_i16", PVM_ARGS_REG_IMM, L, 2, {55, 55}},
	[PVM_OP_LOAD_U32] = {"load_u32", PVM_ARGS_REG_IMM, L, 4, {56, 56}},
	[PVM_OP_LOAD_I32] = {"load_i32", PVM_ARGS_REG_IMM, L, 4, {57, 57}},
	[PVM_OP_LOAD_U64] = {"load_u64", PVM_ARGS_REG_IMM, L, 8, {58, 58}},
	[PVM_OP_STORE_U8] = {"store_u8", PVM_ARGS_REG_IMM, S, 1, {59, 59}},
	[PVM_OP_STORE_U16] = {"store_u16", PVM_ARGS_REG_IMM, S, 2, {60, 60}},
	[PVM_OP_STORE_U32] = {"store_u32", PVM_ARGS_REG_IMM, S, 4, {61, 61}},
	[PVM_OP_STORE_U64] = {"store_u64", PVM_ARGS_REG_IMM, S, 8, {62, 62}},
	[PVM_OP_STORE_IMM_IND_U8] = {"store_imm_ind_u8", PVM_ARGS_REG_IMM2, S, 1, {70, 70}},
	[PVM_OP_STORE_IMM_IND_U16] = {"store_imm_ind_u16", PVM_ARGS_REG_IMM2, S, 2, {71, 71}},
	[PVM_OP_STORE_IMM_IND_U32] = {"store_imm_ind_u32", PVM_ARGS_REG_IMM2, S, 4, {72, 72}},
	[PVM_OP_STORE_IMM_IND_U64] = {"store_imm_ind_u64", PVM_ARGS_REG_IMM2, S, 8, {73, 73}},
	[PVM_OP_LOAD_IMM_JUMP] = {"load_imm_jump", PVM_ARGS_REG_IMM_OFFSET, T, 0, {80, 80}},
	[PVM_OP_BRANCH_EQ_IMM] = {"branch_eq_imm", PVM_ARGS_REG_IMM_OFFSET, B, 0, {81, 81}},
	[PVM_OP_BRANCH_NE_IMM] = {"branch_ne_imm", PVM_ARGS_REG_IMM_OFFSET, B, 0, {82, 82}},
	[PVM_OP_BRANCH_LT_U_IMM] = {"branch_lt_u_imm", PVM_ARGS_REG_IMM_OFFSET, B, 0, {83, 83}},
	[PVM_OP_BRANCH_LE_U_IMM] = {"branch_le_u_imm", PVM_ARGS_REG_IMM_OFFSET, B, 0, {84, 84}},
	[PVM_OP_BRANCH_GE_U_IMM] = {"branch_ge_u_imm", PVM_ARGS_REG_IMM_OFFSET, B, 0, {85, 85}},
	[PVM_OP_BRANCH_GT_U_IMM] = {"branch_gt_u_imm", PVM_ARGS_REG_IMM_OFFSET, B, 0, {86, 86}},
	[PVM_OP_BRANCH_LT_S_IMM] = {"branch_lt_s_imm", PVM_ARGS_REG_IMM_OFFSET, B, 0, {87, 87}},
	[PVM_OP_BRANCH_LE_S_IMM] = {"branch_le_s_imm", PVM_ARGS_REG_IMM_OFFSET, B, 0, {88, 88}},
	[PVM_OP_BRANCH_GE_S_IMM] = {"branch_ge_s_imm", PVM_ARGS_REG_IMM_OFFSET, B, 0, {89, 89}},
	[PVM_OP_BRANCH_GT_S_IMM] = {"branch_gt_s_imm", PVM_ARGS_REG_IMM_OFFSET, B, 0, {90, 90}},
	[PVM_OP_MOVE_REG] = {"move_reg", PVM_ARGS_REG2, 0, 0, {100, 100}},
	[PVM_OP_SBRK] = {"sbrk", PVM_ARGS_REG2, 0, 0, {101, NONE}},
	[PVM_OP_COUNT_SET_BITS_64] = {"count_set_bits_64", PVM_ARGS_REG2, 0, 0, {102, 101}},
	[PVM_OP_COUNT_SET_BITS_32] = {"count_set_bits_32", PVM_ARGS_REG2, 0, 0, {103, 102}},
	[PVM_OP_LEADING_ZERO_BITS_64] = {"leading_zero_bits_64", PVM_ARGS_REG2, 0, 0, {104, 103}},
	[PVM_OP_LEADING_ZERO_BITS_32] = {"leading_zero_bits_32", PVM_ARGS_REG2, 0, 0, {105, 104}},
	[PVM_OP_TRAILING_ZERO_BITS_64] = {"trailing_zero_bits_64", PVM_ARGS_REG2, 0, 0, {106, 105}},
	[PVM_OP_TRAILING_ZERO_BITS_32] = {"trailing_zero_bits_32", PVM_ARGS_REG2, 0, 0, {107, 106}},
	[PVM_OP_SIGN_EXTEND_8] = {"sign_extend_8", PVM_ARGS_REG2, 0, 0, {108, 107}},
	[PVM_OP_SIGN_EXTEND_16] = {"sign_extend_16", PVM_ARGS_REG2, 0, 0, {109, 108}},
	[PVM_OP_ZERO_EXTEND_16] = {"zero_extend_16", PVM_ARGS_REG2, 0, 0, {110, 109}},
	[PVM_OP_REVERSE_BYTES] = {"reverse_bytes", PVM_ARGS_REG2, 0, 0, {111, 110}},
	[PVM_OP_STORE_IND_U8] = {"store_ind_u8", PVM_ARGS_REG2_IMM, S, 1, {120, 120}},
	[PVM_OP_STORE_IND_U16] = {"store_ind_u16", PVM_ARGS_REG2_IMM, S, 2, {121, 121}},
	[PVM_OP_STORE_IND_U32] = {"store_ind_u32", PVM_ARGS_REG2_IMM, S, 4, {122, 122}},
	[PVM_OP_STORE_IND_U64] = {"store_ind_u64", PVM_ARGS_REG2_IMM, S, 8, {123, 123}},
	[PVM_OP_LOAD_IND_U8] = {"load_ind_u8", PVM_ARGS_REG2_IMM, L, 1, {124, 124}},
	[PVM_OP_LOAD_IND_I8] = {"load_ind_i8", PVM_ARGS_REG2_IMM, L, 1, {125, 125}},
	[PVM_OP_LOAD_IND_U16] = {"load_ind_u16", PVM_ARGS_REG2_IMM, L, 2, {126, 126}},
	[PVM_OP_LOAD_IND_I16] = {"load_ind_i16", PVM_ARGS_REG2_IMM, L, 2, {127, 127}},
	[PVM_OP_LOAD_IND_U32] = {"load_ind_u32", PVM_ARGS_REG2_IMM, L, 4, {128, 128}},
	[PVM_OP_LOAD_IND_I32] = {"load_ind_i32", PVM_ARGS_REG2_IMM, L, 4, {129, 129}},
	[PVM_OP_LOAD_IND_U64] = {"load_ind_u64", PVM_ARGS_REG2_IMM, L, 8, {130, 130}},
	[PVM_OP_ADD_IMM_32] = {"add_imm_32", PVM_ARGS_REG2_IMM, 0, 0, {131, 131}},
	[PVM_OP_AND_IMM] = {"and_imm", PVM_ARGS_REG2_IMM, 0, 0, {132, 132}},
	[PVM_OP_XOR_IMM] = {"xor_imm", PVM_ARGS_REG2_IMM, 0, 0, {133, 133}},
	[PVM_OP_OR_IMM] = {"or_imm", PVM_ARGS_REG2_IMM, 0, 0, {134, 134}},
	[PVM_OP_MUL_IMM_32] = {"mul_imm_32", PVM_ARGS_REG2_IMM, 0, 0, {135, 135}},
	[PVM_OP_SET_LT_U_IMM] = {"set_lt_u_imm", PVM_ARGS_REG2_IMM, 0, 0, {136, 136}},
	[PVM_OP_SET_LT_S_IMM] = {"set_lt_s_imm", PVM_ARGS_REG2_IMM, 0, 0, {137, 137}},
	[PVM_OP_SHLO_L_IMM_32] = {"shlo_l_imm_32", PVM_ARGS_REG2_IMM, 0, 0, {138, 138}},
	[PVM_OP_SHLO_R_IMM_32] = {"shlo_r_imm_32", PVM_ARGS_REG2_IMM, 0, 0, {139, 139}},
	[PVM_OP_SHAR_R_IMM_32] = {"shar_r_imm_32", PVM_ARGS_REG2_IMM, 0, 0, {140, 140}},
	[PVM_OP_NEG_ADD_IMM_32] = {"neg_add_imm_32", PVM_ARGS_REG2_IMM, 0, 0, {141, 141}},
	[PVM_OP_SET_GT_U_IMM] = {"set_gt_u_imm", PVM_ARGS_REG2_IMM, 0, 0, {142, 142}},
	[PVM_OP_SET_GT_S_IMM] = {"set_gt_s_imm", PVM_ARGS_REG2_IMM, 0, 0, {143, 143}},
	[PVM_OP_SHLO_L_IMM_ALT_32] = {"shlo_l_imm_alt_32", PVM_ARGS_REG2_IMM, 0, 0, {144, 144}},
	[PVM_OP_SHLO_R_IMM_ALT_32] = {"shlo_r_imm_alt_32", PVM_ARGS_REG2_IMM, 0, 0, {145, 145}},
	[PVM_OP_SHAR_R_IMM_ALT_32] = {"shar_r_imm_alt_32", PVM_ARGS_REG2_IMM, 0, 0, {146, 146}},
	[PVM_OP_CMOV_IZ_IMM] = {"cmov_iz_imm", PVM_ARGS_REG2_IMM, 0, 0, {147, 147}},
	[PVM_OP_CMOV_NZ_IMM] = {"cmov_nz_imm", PVM_ARGS_REG2_IMM, 0, 0, {148, 148}},
	[PVM_OP_ADD_IMM_64] = {"add_imm_64", PVM_ARGS_REG2_IMM, 0, 0, {149, 149}},
	[PVM_OP_MUL_IMM_64] = {"mul_imm_64", PVM_ARGS_REG2_IMM, 0, 0, {150, 150}},
	[PVM_OP_SHLO_L_IMM_64] = {"shlo_l_imm_64", PVM_ARGS_REG2_IMM, 0, 0, {151, 151}},
	[PVM_OP_SHLO_R_IMM_64] = {"shlo_r_imm_64", PVM_ARGS_REG2_IMM, 0, 0, {152, 152}},
	[PVM_OP_SHAR_R_IMM_64] = {"shar_r_imm_64", PVM_ARGS_REG2_IMM, 0, 0, {153, 153}},
	[PVM_OP_NEG_ADD_IMM_64] = {"neg_add_imm_64", PVM_ARGS_REG2_IMM, 0, 0, {154, 154}},
	[PVM_OP_SHLO_L_IMM_ALT_64] = {"shlo_l_imm_alt_64", PVM_ARGS_REG2_IMM, 0, 0, {155, 155}},
	[PVM_OP_SHLO_R_IMM_ALT_64] = {"shlo_r_imm_alt_64", PVM_ARGS_REG2_IMM, 0, 0, {156, 156}},
	[PVM_OP_SHAR_R_IMM_ALT_64] = {"shar_r_imm_alt_64", PVM_ARGS_REG2_IMM, 0, 0, {157, 157}},
	[PVM_OP_ROT_R_64_IMM] = {"rot_r_64_imm", PVM_ARGS_REG2_IMM, 0, 0, {158, 158}},
	[PVM_OP_ROT_R_64_IMM_ALT] = {"rot_r_64_imm_alt", PVM_ARGS_REG2_IMM, 0, 0, {159, 159}},
	[PVM_OP_ROT_R_32_IMM] = {"rot_r_32_imm", PVM_ARGS_REG2_IMM, 0, 0, {160, 160}},
	[PVM_OP_ROT_R_32_IMM_ALT] = {"rot_r_32_imm_alt", PVM_ARGS_REG2_IMM, 0, 0, {161, 161}},
	[PVM_OP_BRANCH_EQ] = {"branch_eq", PVM_ARGS_REG2_OFFSET, B, 0, {170, 170}},
	[PVM_OP_BRANCH_NE] = {"branch_ne", PVM_ARGS_REG2_OFFSET, B, 0, {171, 171}},
	[PVM_OP_BRANCH_LT_U] = {"branch_lt_u", PVM_ARGS_REG2_OFFSET, B, 0, {172, 172}},
	[PVM_OP_BRANCH_LT_S] = {"branch_lt_s", PVM_ARGS_REG2_OFFSET, B, 0, {173, 173}},
	[PVM_OP_BRANCH_GE_U] = {"branch_ge_u", PVM_ARGS_REG2_OFFSET, B, 0, {174, 174}},
	[PVM_OP_BRANCH_GE_S] = {"branch_ge_s", PVM_ARGS_REG2_OFFSET, B, 0, {175, 175}},
	[PVM_OP_LOAD_IMM_JUMP_IND] = {"load_imm_jump_ind", PVM_ARGS_REG2_IMM2, T, 0, {180, 180}},
	[PVM_OP_ADD_32] = {"add_32", PVM_ARGS_REG3, 0, 0, {190, 190}},
	[PVM_OP_SUB_32] = {"sub_32", PVM_ARGS_REG3, 0, 0, {191, 191}},
	[PVM_OP_MUL_32] = {"mul_32", PVM_ARGS_REG3, 0, 0, {192, 192}},
	[PVM_OP_DIV_U_32] = {"div_u_32", PVM_ARGS_REG3, 0, 0, {193, 193}},
	[PVM_OP_DIV_S_32] = {"div_s_32", PVM_ARGS_REG3, 0, 0, {194, 194}},
	[PVM_OP_REM_U_32] = {"rem_u_32", PVM_ARGS_REG3, 0, 0, {195, 195}},
	[PVM_OP_REM_S_32] = {"rem_s_32", PVM_ARGS_REG3, 0, 0, {196, 196}},
	[PVM_OP_SHLO_L_32] = {"shlo_l_32", PVM_ARGS_REG3, 0, 0, {197, 197}},
	[PVM_OP_SHLO_R_32] = {"shlo_r_32", PVM_ARGS_REG3, 0, 0, {198, 198}},
	[PVM_OP_SHAR_R_32] = {"shar_r_32", PVM_ARGS_REG3, 0, 0, {199, 199}},
	[PVM_OP_ADD_64] = {"add_64", PVM_ARGS_REG3, 0, 0, {200, 200}},
	[PVM_OP_SUB_64] = {"sub_64", PVM_ARGS_REG3, 0, 0, {201, 201}},
	[PVM_OP_MUL_64] = {"mul_64", PVM_ARGS_REG3, 0, 0, {202, 202}},
	[PVM_OP_DIV_U_64] = {"div_u_64", PVM_ARGS_REG3, 0, 0, {203, 203}},
	[PVM_OP_DIV_S_64] = {"div_s_64", PVM_ARGS_REG3, 0, 0, {204, 204}},
	[PVM_OP_REM_U_64] = {"rem_u_64", PVM_ARGS_REG3, 0, 0, {205, 205}},
	[PVM_OP_REM_S_64] = {"rem_s_64", PVM_ARGS_REG3, 0, 0, {206, 206}},
	[PVM_OP_SHLO_L_64] = {"shlo_l_64", PVM_ARGS_REG3, 0, 0, {207, 207}},
	[PVM_OP_SHLO_R_64] = {"shlo_r_64", PVM_ARGS_REG3, 0, 0, {208, 208}},
	[PVM_OP_SHAR_R_64] = {"shar_r_64", PVM_ARGS_REG3, 0, 0, {209, 209}},
	[PVM_OP_AND] = {"and", PVM_ARGS_REG3, 0, 0, {210, 210}},
	[PVM_OP_XOR] = {"xor", PVM_ARGS_REG3, 0, 0, {211, 211}},
	[PVM_OP_OR] = {"or", PVM_ARGS_REG3, 0, 0, {212, 212}},
	[PVM_OP_MUL_UPPER_S_S] = {"mul_upper_s_s", PVM_ARGS_REG3, 0, 0, {213, 213}},
	[PVM_OP_MUL_UPPER_U_U] = {"mul_upper_u_u", PVM_ARGS_REG3, 0, 0, {214, 214}},
	[PVM_OP_MUL_UPPER_S_U] = {"mul_upper_s_u", PVM_ARGS_REG3, 0, 0, {215, 215}},
	[PVM_OP_SET_LT_U] = {"set_lt_u", PVM_ARGS_REG3, 0, 0, {216, 216}},
	[PVM_OP_SET_LT_S] = {"set_lt_s", PVM_ARGS_REG3, 0, 0, {217, 217}},
	[PVM_OP_CMOV_IZ] = {"cmov_iz", PVM_ARGS_REG3, 0, 0, {218, 218}},
	[PVM_OP_CMOV_NZ] = {"cmov_nz", PVM_ARGS_REG3, 0, 0, {219, 219}},
	[PVM_OP_ROT_L_64] = {"rot_l_64", PVM_ARGS_REG3, 0, 0, {220, 220}},
	[PVM_OP_ROT_L_32] = {"rot_l_32", PVM_ARGS_REG3, 0, 0, {221, 221}},
	[PVM_OP_ROT_R_64] = {"rot_r_64", PVM_ARGS_REG3, 0, 0, {222, 222}},
	[PVM_OP_ROT_R_32] = {"rot_r_32", PVM_ARGS_REG3, 0, 0, {223, 223}},
	[PVM_OP_AND_INV] = {"and_inv", PVM_ARGS_REG3, 0, 0, {224, 224}},
	[PVM_OP_OR_INV] = {"or_inv", PVM_ARGS_REG3, 0, 0, {225, 225}},
	[PVM_OP_XNOR] = {"xnor", PVM_ARGS_REG3, 0, 0, {226, 226}},
	[PVM_OP_MAX] = {"max", PVM_ARGS_REG3, 0, 0, {227, 227}},
	[PVM_OP_MAX_U] = {"max_u", PVM_ARGS_REG3, 0, 0, {228, 228}},
	[PVM_OP_MIN] = {"min", PVM_ARGS_REG3, 0, 0, {229, 229}},
	[PVM_OP_MIN_U] = {"min_u", PVM_ARGS_REG3, 0, 0, {230, 230}},
};

void pvm_opcode_map_init(struct pvm_opcode_map *map, enum pvm_isa isa)
{
	map->isa = isa;
	for (int byte = 0; byte < 256; byte++) {
		map->op_of_byte[byte] = PVM_OP_TRAP;
		map->valid[byte] = false;
	}
	for (int op = 0; op < PVM_OP_COUNT; op++) {
		uint16_t byte = pvm_ops[op].opcode[isa];
		if (byte == PVM_NO_OPCODE)
			continue;
		map->op_of_byte[byte] = (uint8_t)op;
		map->valid[byte] = true;
	}
}

static const char *const isa_names[PVM_ISA_COUNT] = {
	[PVM_ISA_GP07] = "gp0.7",
	[PVM_ISA_GP08] = "gp0.8",
};

const char *pvm_isa_name(enum pvm_isa isa)
{
	return isa < PVM_ISA_COUNT ? isa_names[isa] : "?";
}

static bool same_string(const char *a, const char *b, uint32_t length)
{
	for (uint32_t i = 0; i < length; i++)
		if (a[i] != b[i] || a[i] == 0)
			return false;
	return b[length] == 0;
}

bool pvm_isa_parse(const char *name, enum pvm_isa *isa)
{
	uint32_t length = 0;
	while (name[length])
		length++;
	if (same_string(name, "gp0.7", length)) {
		*isa = PVM_ISA_GP07;
		return true;
	}
	if (same_string(name, "gp0.8", length) || same_string(name, "jamv1", length)) {
		*isa = PVM_ISA_GP08;
		return true;
	}
	return false;
}

enum pvm_op pvm_op_by_name(const char *name, uint32_t length)
{
	for (int op = 0; op < PVM_OP_COUNT; op++)
		if (same_string(name, pvm_ops[op].name, length))
			return (enum pvm_op)op;
	return PVM_OP_COUNT;
}
