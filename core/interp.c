#include "interp.h"

static const char *const status_names[PVM_STATUS_COUNT] = {
	[PVM_STATUS_HALT] = "halt",
	[PVM_STATUS_PANIC] = "panic",
	[PVM_STATUS_OUT_OF_GAS] = "out-of-gas",
	[PVM_STATUS_PAGE_FAULT] = "page-fault",
	[PVM_STATUS_HOST_CALL] = "host-call",
	[PVM_STATUS_STEP] = "step",
};

const char *pvm_status_name(enum pvm_status status)
{
	return status < PVM_STATUS_COUNT ? status_names[status] : "?";
}

/* ---- preparation ------------------------------------------------------ */

static void fill_slot(struct pvm_slot *slot, const struct pvm_inst *inst)
{
	slot->handler = inst->op;
	slot->a = inst->ra;
	slot->b = inst->rb;
	slot->d = inst->rd;
	slot->pc = inst->pc;
	slot->x = inst->imm_x;
	slot->y = inst->imm_y;
}

/* The slot a static jump to `target` lands on: the charge slot of the target
 * block, or a fresh bad-jump slot carrying the jump's own pc, because a jump
 * to anything but a block start panics at the jump (GP A.17). */
static const struct pvm_slot *resolve_target(struct pvm_interp_code *code, int64_t target, uint32_t jump_pc)
{
	const struct pvm_program *program = code->program;
	if (pvm_program_is_jump_target(program, target))
		return &code->slots[code->block_slots[pvm_program_block_at(program, (uint32_t)target)]];
	struct pvm_slot *panic = &code->slots[code->slot_count++];
	*panic = (struct pvm_slot){.handler = PVM_SLOT_BAD_JUMP, .pc = jump_pc};
	return panic;
}

int pvm_interp_prepare(struct pvm_interp_code *code, const struct pvm_program *program,
		       const struct pvm_allocator *allocator, struct pvm_error *error)
{
	*code = (struct pvm_interp_code){.program = program};
	/* The dispatch tests the halt address only for out-of-range indexes,
	 * which holds while no index reaches the halt address's own. */
	if (program->blob.jump_count > PVM_HALT_ADDRESS / 2 - 1) {
		pvm_error_set(error, 0, "jump table of %u entries is larger than the interpreter supports (%u)",
			      program->blob.jump_count, PVM_HALT_ADDRESS / 2 - 1);
		return -1;
	}
	size_t capacity = (size_t)program->instruction_count + program->block_count + program->bad_static_targets;
	code->block_slots = pvm_allocate(allocator, (size_t)program->block_count * sizeof *code->block_slots);
	code->slots = pvm_allocate(allocator, capacity * sizeof *code->slots);
	code->jump_count = program->blob.jump_count;
	code->jump_targets = pvm_allocate(allocator, (size_t)code->jump_count * sizeof *code->jump_targets);
	if (!code->block_slots || !code->slots || !code->jump_targets) {
		pvm_interp_free(code, allocator);
		pvm_error_set(error, 0, "out of memory for %llu interpreter slots", (unsigned long long)capacity);
		return -1;
	}

	/* Where each block's charge slot goes is known before any is filled,
	 * so forward jumps resolve in the same pass. */
	uint32_t next = 0;
	for (uint32_t b = 0; b < program->block_count; b++) {
		code->block_slots[b] = next;
		next += 1 + program->blocks[b].count;
	}
	code->program_slots = code->slot_count = next;

	struct pvm_inst inst;
	struct pvm_slot *slot = code->slots;
	for (uint32_t b = 0; b < program->block_count; b++) {
		const struct pvm_block *block = &program->blocks[b];
		*slot++ = (struct pvm_slot){.handler = PVM_SLOT_CHARGE, .pc = block->pc, .x = block->cost};
		uint32_t pc = block->pc;
		for (uint32_t i = 0; i < block->count; i++, slot++) {
			pvm_decode(&program->code, pc, &inst);
			fill_slot(slot, &inst);
			int64_t target;
			if (pvm_inst_target(&inst, &target))
				slot->y = (uintptr_t)resolve_target(code, target, inst.pc);
			pc = inst.next;
		}
	}
	for (uint32_t j = 0; j < code->jump_count; j++) {
		uint32_t target = pvm_blob_jump_entry(&program->blob, j);
		code->jump_targets[j] = pvm_program_is_jump_target(program, target)
						? &code->slots[code->block_slots[pvm_program_block_at(program, target)]]
						: NULL;
	}
	return 0;
}

void pvm_interp_free(struct pvm_interp_code *code, const struct pvm_allocator *allocator)
{
	const struct pvm_program *program = code->program;
	size_t capacity = (size_t)program->instruction_count + program->block_count + program->bad_static_targets;
	pvm_release(allocator, code->slots, capacity * sizeof *code->slots);
	pvm_release(allocator, code->jump_targets, (size_t)code->jump_count * sizeof *code->jump_targets);
	pvm_release(allocator, code->block_slots, (size_t)program->block_count * sizeof *code->block_slots);
	code->slots = NULL;
	code->jump_targets = NULL;
	code->block_slots = NULL;
}

void pvm_state_set_pc(struct pvm_state *state, uint32_t pc)
{
	state->pc = pc;
	state->block_paid = false;
	state->resume_slot = PVM_NO_SLOT;
}

/* ---- semantics shared by several handlers ----------------------------- */

static inline uint64_t sext32(uint64_t value)
{
	return (uint64_t)(int64_t)(int32_t)(uint32_t)value;
}

static inline uint64_t rotr64(uint64_t value, uint64_t by)
{
	by &= 63;
	return by ? (value >> by) | (value << (64 - by)) : value;
}

static inline uint32_t rotr32(uint32_t value, uint64_t by)
{
	by &= 31;
	return by ? (value >> by) | (value << (32 - by)) : value;
}

static inline uint64_t div_u_64(uint64_t a, uint64_t b)
{
	return b == 0 ? UINT64_MAX : a / b;
}

static inline uint64_t div_s_64(uint64_t a, uint64_t b)
{
	if (b == 0)
		return UINT64_MAX;
	if ((int64_t)a == INT64_MIN && (int64_t)b == -1)
		return a;
	return (uint64_t)((int64_t)a / (int64_t)b);
}

static inline uint64_t rem_u_64(uint64_t a, uint64_t b)
{
	return b == 0 ? a : a % b;
}

/* smod: the sign of the dividend, C's % already does that. */
static inline uint64_t rem_s_64(uint64_t a, uint64_t b)
{
	if (b == 0)
		return a;
	if ((int64_t)a == INT64_MIN && (int64_t)b == -1)
		return 0;
	return (uint64_t)((int64_t)a % (int64_t)b);
}

static inline uint64_t div_u_32(uint64_t a, uint64_t b)
{
	return (uint32_t)b == 0 ? UINT64_MAX : sext32((uint32_t)a / (uint32_t)b);
}

static inline uint64_t div_s_32(uint64_t a, uint64_t b)
{
	int32_t x = (int32_t)(uint32_t)a, y = (int32_t)(uint32_t)b;
	if (y == 0)
		return UINT64_MAX;
	if (x == INT32_MIN && y == -1)
		return (uint64_t)(int64_t)x;
	return (uint64_t)(int64_t)(x / y);
}

static inline uint64_t rem_u_32(uint64_t a, uint64_t b)
{
	return (uint32_t)b == 0 ? sext32(a) : sext32((uint32_t)a % (uint32_t)b);
}

static inline uint64_t rem_s_32(uint64_t a, uint64_t b)
{
	int32_t x = (int32_t)(uint32_t)a, y = (int32_t)(uint32_t)b;
	if (y == 0)
		return (uint64_t)(int64_t)x;
	if (x == INT32_MIN && y == -1)
		return 0;
	return (uint64_t)(int64_t)(x % y);
}

static inline uint64_t mul_upper_s_s(uint64_t a, uint64_t b)
{
	return (uint64_t)(((__int128)(int64_t)a * (__int128)(int64_t)b) >> 64);
}

static inline uint64_t mul_upper_u_u(uint64_t a, uint64_t b)
{
	return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

static inline uint64_t mul_upper_s_u(uint64_t a, uint64_t b)
{
	return (uint64_t)(((__int128)(int64_t)a * (__int128)b) >> 64);
}

static inline uint64_t leading_zeros_64(uint64_t value)
{
	return value ? (uint64_t)__builtin_clzll(value) : 64;
}

static inline uint64_t leading_zeros_32(uint64_t value)
{
	return (uint32_t)value ? (uint64_t)__builtin_clz((uint32_t)value) : 32;
}

static inline uint64_t trailing_zeros_64(uint64_t value)
{
	return value ? (uint64_t)__builtin_ctzll(value) : 64;
}

static inline uint64_t trailing_zeros_32(uint64_t value)
{
	return (uint32_t)value ? (uint64_t)__builtin_ctz((uint32_t)value) : 32;
}

static inline uint64_t load_le(const uint8_t *at, uint32_t width)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	switch (width) {
	case 1:
		__builtin_memcpy(&u8, at, 1);
		return u8;
	case 2:
		__builtin_memcpy(&u16, at, 2);
		return u16;
	case 4:
		__builtin_memcpy(&u32, at, 4);
		return u32;
	default:
		__builtin_memcpy(&u64, at, 8);
		return u64;
	}
}

static inline void store_le(uint8_t *at, uint64_t value, uint32_t width)
{
	uint8_t u8 = (uint8_t)value;
	uint16_t u16 = (uint16_t)value;
	uint32_t u32 = (uint32_t)value;
	switch (width) {
	case 1:
		__builtin_memcpy(at, &u8, 1);
		break;
	case 2:
		__builtin_memcpy(at, &u16, 2);
		break;
	case 4:
		__builtin_memcpy(at, &u32, 4);
		break;
	default:
		__builtin_memcpy(at, &value, 8);
		break;
	}
}

static inline uint64_t sign_extend(uint64_t value, uint32_t width)
{
	uint32_t shift = 64 - 8 * width;
	return (uint64_t)((int64_t)(value << shift) >> shift);
}

/* The instruction slot for pc, or PVM_NO_SLOT when no instruction of the
 * program's walk starts there. Rare (only after set_pc), so a walk through
 * the block is fine. */
static uint32_t find_slot(const struct pvm_interp_code *code, uint32_t pc)
{
	int64_t block = pvm_program_block_at(code->program, pc);
	if (block < 0)
		return PVM_NO_SLOT;
	uint32_t slot = code->block_slots[block] + 1;
	for (uint32_t i = 0; i < code->program->blocks[block].count; i++, slot++)
		if (code->slots[slot].pc == pc)
			return slot;
	return PVM_NO_SLOT;
}

/* ---- the loop --------------------------------------------------------- */

#define NEXT()                                \
	do {                                  \
		s++;                          \
		goto *next_table[s->handler]; \
	} while (0)

#define JUMP_TO(target)                                           \
	do {                                                      \
		s = (const struct pvm_slot *)(uintptr_t)(target); \
		goto *next_table[s->handler];                     \
	} while (0)

/* Memory access: the inlined test, then the careful one, which either allows
 * an access that straddles two pages or says why it stops. */
#define CHECK_ACCESS(address, width, need)                                                           \
	do {                                                                                         \
		if (__builtin_expect(!pvm_memory_allows(memory, address, width, need), 0)) {         \
			access_result = pvm_memory_check(memory, address, width, need, &fault_page); \
			if (access_result != PVM_ACCESS_OK)                                          \
				goto memory_stop;                                                    \
		}                                                                                    \
	} while (0)

#define LOAD(address, width, dest, is_signed)                                \
	do {                                                                 \
		uint32_t at_ = (address);                                    \
		CHECK_ACCESS(at_, width, PVM_ACCESS_READ);                   \
		uint64_t value_ = load_le(base + at_, width);                \
		r[dest] = (is_signed) ? sign_extend(value_, width) : value_; \
		NEXT();                                                      \
	} while (0)

#define STORE(address, width, value)                        \
	do {                                                \
		uint32_t at_ = (address);                   \
		CHECK_ACCESS(at_, width, PVM_ACCESS_WRITE); \
		store_le(base + at_, (value), width);       \
		NEXT();                                     \
	} while (0)

#define BRANCH(condition)              \
	do {                           \
		if (condition)         \
			JUMP_TO(s->y); \
		NEXT();                \
	} while (0)

#define DYNAMIC_JUMP(address)                                                   \
	do {                                                                    \
		uint32_t address_ = (address);                                  \
		uint32_t index_ = address_ / 2 - 1; /* 0 wraps: out of range */ \
		if ((address_ & 1) || index_ >= code->jump_count) {             \
			if (address_ == PVM_HALT_ADDRESS)                       \
				goto halt;                                      \
			goto panic;                                             \
		}                                                               \
		if (!code->jump_targets[index_])                                \
			goto panic;                                             \
		JUMP_TO(code->jump_targets[index_]);                            \
	} while (0)

void pvm_interp_run(const struct pvm_interp_code *code, struct pvm_state *state, struct pvm_memory *memory,
		    bool single_step, struct pvm_exit *exit)
{
	static const void *const handlers[PVM_SLOT_KINDS] = {
		[PVM_OP_TRAP] = &&op_trap,
		[PVM_OP_FALLTHROUGH] = &&op_fallthrough,
		[PVM_OP_UNLIKELY] = &&op_unlikely,
		[PVM_OP_ECALLI] = &&op_ecalli,
		[PVM_OP_LOAD_IMM_64] = &&op_load_imm_64,
		[PVM_OP_STORE_IMM_U8] = &&op_store_imm_u8,
		[PVM_OP_STORE_IMM_U16] = &&op_store_imm_u16,
		[PVM_OP_STORE_IMM_U32] = &&op_store_imm_u32,
		[PVM_OP_STORE_IMM_U64] = &&op_store_imm_u64,
		[PVM_OP_JUMP] = &&op_jump,
		[PVM_OP_JUMP_IND] = &&op_jump_ind,
		[PVM_OP_LOAD_IMM] = &&op_load_imm,
		[PVM_OP_LOAD_U8] = &&op_load_u8,
		[PVM_OP_LOAD_I8] = &&op_load_i8,
		[PVM_OP_LOAD_U16] = &&op_load_u16,
		[PVM_OP_LOAD_I16] = &&op_load_i16,
		[PVM_OP_LOAD_U32] = &&op_load_u32,
		[PVM_OP_LOAD_I32] = &&op_load_i32,
		[PVM_OP_LOAD_U64] = &&op_load_u64,
		[PVM_OP_STORE_U8] = &&op_store_u8,
		[PVM_OP_STORE_U16] = &&op_store_u16,
		[PVM_OP_STORE_U32] = &&op_store_u32,
		[PVM_OP_STORE_U64] = &&op_store_u64,
		[PVM_OP_STORE_IMM_IND_U8] = &&op_store_imm_ind_u8,
		[PVM_OP_STORE_IMM_IND_U16] = &&op_store_imm_ind_u16,
		[PVM_OP_STORE_IMM_IND_U32] = &&op_store_imm_ind_u32,
		[PVM_OP_STORE_IMM_IND_U64] = &&op_store_imm_ind_u64,
		[PVM_OP_LOAD_IMM_JUMP] = &&op_load_imm_jump,
		[PVM_OP_BRANCH_EQ_IMM] = &&op_branch_eq_imm,
		[PVM_OP_BRANCH_NE_IMM] = &&op_branch_ne_imm,
		[PVM_OP_BRANCH_LT_U_IMM] = &&op_branch_lt_u_imm,
		[PVM_OP_BRANCH_LE_U_IMM] = &&op_branch_le_u_imm,
		[PVM_OP_BRANCH_GE_U_IMM] = &&op_branch_ge_u_imm,
		[PVM_OP_BRANCH_GT_U_IMM] = &&op_branch_gt_u_imm,
		[PVM_OP_BRANCH_LT_S_IMM] = &&op_branch_lt_s_imm,
		[PVM_OP_BRANCH_LE_S_IMM] = &&op_branch_le_s_imm,
		[PVM_OP_BRANCH_GE_S_IMM] = &&op_branch_ge_s_imm,
		[PVM_OP_BRANCH_GT_S_IMM] = &&op_branch_gt_s_imm,
		[PVM_OP_MOVE_REG] = &&op_move_reg,
		[PVM_OP_SBRK] = &&op_sbrk,
		[PVM_OP_COUNT_SET_BITS_64] = &&op_count_set_bits_64,
		[PVM_OP_COUNT_SET_BITS_32] = &&op_count_set_bits_32,
		[PVM_OP_LEADING_ZERO_BITS_64] = &&op_leading_zero_bits_64,
		[PVM_OP_LEADING_ZERO_BITS_32] = &&op_leading_zero_bits_32,
		[PVM_OP_TRAILING_ZERO_BITS_64] = &&op_trailing_zero_bits_64,
		[PVM_OP_TRAILING_ZERO_BITS_32] = &&op_trailing_zero_bits_32,
		[PVM_OP_SIGN_EXTEND_8] = &&op_sign_extend_8,
		[PVM_OP_SIGN_EXTEND_16] = &&op_sign_extend_16,
		[PVM_OP_ZERO_EXTEND_16] = &&op_zero_extend_16,
		[PVM_OP_REVERSE_BYTES] = &&op_reverse_bytes,
		[PVM_OP_STORE_IND_U8] = &&op_store_ind_u8,
		[PVM_OP_STORE_IND_U16] = &&op_store_ind_u16,
		[PVM_OP_STORE_IND_U32] = &&op_store_ind_u32,
		[PVM_OP_STORE_IND_U64] = &&op_store_ind_u64,
		[PVM_OP_LOAD_IND_U8] = &&op_load_ind_u8,
		[PVM_OP_LOAD_IND_I8] = &&op_load_ind_i8,
		[PVM_OP_LOAD_IND_U16] = &&op_load_ind_u16,
		[PVM_OP_LOAD_IND_I16] = &&op_load_ind_i16,
		[PVM_OP_LOAD_IND_U32] = &&op_load_ind_u32,
		[PVM_OP_LOAD_IND_I32] = &&op_load_ind_i32,
		[PVM_OP_LOAD_IND_U64] = &&op_load_ind_u64,
		[PVM_OP_ADD_IMM_32] = &&op_add_imm_32,
		[PVM_OP_AND_IMM] = &&op_and_imm,
		[PVM_OP_XOR_IMM] = &&op_xor_imm,
		[PVM_OP_OR_IMM] = &&op_or_imm,
		[PVM_OP_MUL_IMM_32] = &&op_mul_imm_32,
		[PVM_OP_SET_LT_U_IMM] = &&op_set_lt_u_imm,
		[PVM_OP_SET_LT_S_IMM] = &&op_set_lt_s_imm,
		[PVM_OP_SHLO_L_IMM_32] = &&op_shlo_l_imm_32,
		[PVM_OP_SHLO_R_IMM_32] = &&op_shlo_r_imm_32,
		[PVM_OP_SHAR_R_IMM_32] = &&op_shar_r_imm_32,
		[PVM_OP_NEG_ADD_IMM_32] = &&op_neg_add_imm_32,
		[PVM_OP_SET_GT_U_IMM] = &&op_set_gt_u_imm,
		[PVM_OP_SET_GT_S_IMM] = &&op_set_gt_s_imm,
		[PVM_OP_SHLO_L_IMM_ALT_32] = &&op_shlo_l_imm_alt_32,
		[PVM_OP_SHLO_R_IMM_ALT_32] = &&op_shlo_r_imm_alt_32,
		[PVM_OP_SHAR_R_IMM_ALT_32] = &&op_shar_r_imm_alt_32,
		[PVM_OP_CMOV_IZ_IMM] = &&op_cmov_iz_imm,
		[PVM_OP_CMOV_NZ_IMM] = &&op_cmov_nz_imm,
		[PVM_OP_ADD_IMM_64] = &&op_add_imm_64,
		[PVM_OP_MUL_IMM_64] = &&op_mul_imm_64,
		[PVM_OP_SHLO_L_IMM_64] = &&op_shlo_l_imm_64,
		[PVM_OP_SHLO_R_IMM_64] = &&op_shlo_r_imm_64,
		[PVM_OP_SHAR_R_IMM_64] = &&op_shar_r_imm_64,
		[PVM_OP_NEG_ADD_IMM_64] = &&op_neg_add_imm_64,
		[PVM_OP_SHLO_L_IMM_ALT_64] = &&op_shlo_l_imm_alt_64,
		[PVM_OP_SHLO_R_IMM_ALT_64] = &&op_shlo_r_imm_alt_64,
		[PVM_OP_SHAR_R_IMM_ALT_64] = &&op_shar_r_imm_alt_64,
		[PVM_OP_ROT_R_64_IMM] = &&op_rot_r_64_imm,
		[PVM_OP_ROT_R_64_IMM_ALT] = &&op_rot_r_64_imm_alt,
		[PVM_OP_ROT_R_32_IMM] = &&op_rot_r_32_imm,
		[PVM_OP_ROT_R_32_IMM_ALT] = &&op_rot_r_32_imm_alt,
		[PVM_OP_BRANCH_EQ] = &&op_branch_eq,
		[PVM_OP_BRANCH_NE] = &&op_branch_ne,
		[PVM_OP_BRANCH_LT_U] = &&op_branch_lt_u,
		[PVM_OP_BRANCH_LT_S] = &&op_branch_lt_s,
		[PVM_OP_BRANCH_GE_U] = &&op_branch_ge_u,
		[PVM_OP_BRANCH_GE_S] = &&op_branch_ge_s,
		[PVM_OP_LOAD_IMM_JUMP_IND] = &&op_load_imm_jump_ind,
		[PVM_OP_ADD_32] = &&op_add_32,
		[PVM_OP_SUB_32] = &&op_sub_32,
		[PVM_OP_MUL_32] = &&op_mul_32,
		[PVM_OP_DIV_U_32] = &&op_div_u_32,
		[PVM_OP_DIV_S_32] = &&op_div_s_32,
		[PVM_OP_REM_U_32] = &&op_rem_u_32,
		[PVM_OP_REM_S_32] = &&op_rem_s_32,
		[PVM_OP_SHLO_L_32] = &&op_shlo_l_32,
		[PVM_OP_SHLO_R_32] = &&op_shlo_r_32,
		[PVM_OP_SHAR_R_32] = &&op_shar_r_32,
		[PVM_OP_ADD_64] = &&op_add_64,
		[PVM_OP_SUB_64] = &&op_sub_64,
		[PVM_OP_MUL_64] = &&op_mul_64,
		[PVM_OP_DIV_U_64] = &&op_div_u_64,
		[PVM_OP_DIV_S_64] = &&op_div_s_64,
		[PVM_OP_REM_U_64] = &&op_rem_u_64,
		[PVM_OP_REM_S_64] = &&op_rem_s_64,
		[PVM_OP_SHLO_L_64] = &&op_shlo_l_64,
		[PVM_OP_SHLO_R_64] = &&op_shlo_r_64,
		[PVM_OP_SHAR_R_64] = &&op_shar_r_64,
		[PVM_OP_AND] = &&op_and,
		[PVM_OP_XOR] = &&op_xor,
		[PVM_OP_OR] = &&op_or,
		[PVM_OP_MUL_UPPER_S_S] = &&op_mul_upper_s_s,
		[PVM_OP_MUL_UPPER_U_U] = &&op_mul_upper_u_u,
		[PVM_OP_MUL_UPPER_S_U] = &&op_mul_upper_s_u,
		[PVM_OP_SET_LT_U] = &&op_set_lt_u,
		[PVM_OP_SET_LT_S] = &&op_set_lt_s,
		[PVM_OP_CMOV_IZ] = &&op_cmov_iz,
		[PVM_OP_CMOV_NZ] = &&op_cmov_nz,
		[PVM_OP_ROT_L_64] = &&op_rot_l_64,
		[PVM_OP_ROT_L_32] = &&op_rot_l_32,
		[PVM_OP_ROT_R_64] = &&op_rot_r_64,
		[PVM_OP_ROT_R_32] = &&op_rot_r_32,
		[PVM_OP_AND_INV] = &&op_and_inv,
		[PVM_OP_OR_INV] = &&op_or_inv,
		[PVM_OP_XNOR] = &&op_xnor,
		[PVM_OP_MAX] = &&op_max,
		[PVM_OP_MAX_U] = &&op_max_u,
		[PVM_OP_MIN] = &&op_min,
		[PVM_OP_MIN_U] = &&op_min_u,
		[PVM_SLOT_CHARGE] = &&charge,
		[PVM_SLOT_BAD_JUMP] = &&panic,
	};
	/* In single-step mode every handler's "next" lands here instead; a jump
	 * that panics still panics within its own step. */
	static const void *const stop_after_one[PVM_SLOT_KINDS] = {
		[0 ... PVM_OP_COUNT] = &&step_done,
		[PVM_SLOT_BAD_JUMP] = &&panic,
	};
	const void *const *next_table = single_step ? stop_after_one : handlers;

	const struct pvm_slot *const slots = code->slots;
	uint8_t *const base = memory->base;
	uint64_t r[PVM_REGISTER_COUNT];
	int64_t gas = state->gas;
	enum pvm_access_result access_result;
	uint32_t fault_page = 0;
	const struct pvm_slot *s;

	for (int i = 0; i < PVM_REGISTER_COUNT; i++)
		r[i] = state->regs[i];
	exit->write_protected = false;

	uint32_t start = state->resume_slot;
	if (start == PVM_NO_SLOT || start >= code->slot_count || slots[start].pc != state->pc) {
		start = find_slot(code, state->pc);
		if (start == PVM_NO_SLOT) {
			/* Not an instruction this program's walk reaches: zeta
			 * has no opcode there, so it executes as trap. */
			exit->status = PVM_STATUS_PANIC;
			exit->pc = state->pc;
			exit->argument = 0;
			state->block_paid = true;
			return;
		}
		if (!state->block_paid) {
			if (slots[start - 1].handler == PVM_SLOT_CHARGE) {
				start--;
			} else {
				if (!pvm_program_charge_block_at(code->program, state->pc, &gas)) {
					exit->status = PVM_STATUS_OUT_OF_GAS;
					exit->pc = state->pc;
					exit->argument = 0;
					return;
				}
			}
		}
	}
	s = slots + start;
	goto *handlers[s->handler];

charge:
	if (__builtin_expect(gas < 0 || (uint64_t)gas < s->x, 0))
		goto out_of_gas;
	gas -= (int64_t)s->x;
	s++;
	goto *handlers[s->handler];

op_trap:
	goto panic;
op_fallthrough:
op_unlikely:
	NEXT();
op_ecalli:
	exit->status = PVM_STATUS_HOST_CALL;
	exit->pc = s->pc;
	exit->argument = s->x;
	s++;
	state->pc = s->pc;
	state->block_paid = true;
	goto leave;
op_load_imm_64:
op_load_imm:
	r[s->a] = s->x;
	NEXT();

op_store_imm_u8:
	STORE((uint32_t)s->x, 1, s->y);
op_store_imm_u16:
	STORE((uint32_t)s->x, 2, s->y);
op_store_imm_u32:
	STORE((uint32_t)s->x, 4, s->y);
op_store_imm_u64:
	STORE((uint32_t)s->x, 8, s->y);

op_jump:
	JUMP_TO(s->y);
op_jump_ind:
	DYNAMIC_JUMP((uint32_t)(r[s->a] + s->x));

op_load_u8:
	LOAD((uint32_t)s->x, 1, s->a, 0);
op_load_i8:
	LOAD((uint32_t)s->x, 1, s->a, 1);
op_load_u16:
	LOAD((uint32_t)s->x, 2, s->a, 0);
op_load_i16:
	LOAD((uint32_t)s->x, 2, s->a, 1);
op_load_u32:
	LOAD((uint32_t)s->x, 4, s->a, 0);
op_load_i32:
	LOAD((uint32_t)s->x, 4, s->a, 1);
op_load_u64:
	LOAD((uint32_t)s->x, 8, s->a, 0);
op_store_u8:
	STORE((uint32_t)s->x, 1, r[s->a]);
op_store_u16:
	STORE((uint32_t)s->x, 2, r[s->a]);
op_store_u32:
	STORE((uint32_t)s->x, 4, r[s->a]);
op_store_u64:
	STORE((uint32_t)s->x, 8, r[s->a]);

op_store_imm_ind_u8:
	STORE((uint32_t)(r[s->a] + s->x), 1, s->y);
op_store_imm_ind_u16:
	STORE((uint32_t)(r[s->a] + s->x), 2, s->y);
op_store_imm_ind_u32:
	STORE((uint32_t)(r[s->a] + s->x), 4, s->y);
op_store_imm_ind_u64:
	STORE((uint32_t)(r[s->a] + s->x), 8, s->y);

op_load_imm_jump:
	r[s->a] = s->x;
	JUMP_TO(s->y);
op_branch_eq_imm:
	BRANCH(r[s->a] == s->x);
op_branch_ne_imm:
	BRANCH(r[s->a] != s->x);
op_branch_lt_u_imm:
	BRANCH(r[s->a] < s->x);
op_branch_le_u_imm:
	BRANCH(r[s->a] <= s->x);
op_branch_ge_u_imm:
	BRANCH(r[s->a] >= s->x);
op_branch_gt_u_imm:
	BRANCH(r[s->a] > s->x);
op_branch_lt_s_imm:
	BRANCH((int64_t)r[s->a] < (int64_t)s->x);
op_branch_le_s_imm:
	BRANCH((int64_t)r[s->a] <= (int64_t)s->x);
op_branch_ge_s_imm:
	BRANCH((int64_t)r[s->a] >= (int64_t)s->x);
op_branch_gt_s_imm:
	BRANCH((int64_t)r[s->a] > (int64_t)s->x);

op_move_reg:
	r[s->d] = r[s->a];
	NEXT();
op_sbrk:
	r[s->d] = pvm_memory_sbrk(memory, r[s->a]);
	NEXT();
op_count_set_bits_64:
	r[s->d] = (uint64_t)__builtin_popcountll(r[s->a]);
	NEXT();
op_count_set_bits_32:
	r[s->d] = (uint64_t)__builtin_popcount((uint32_t)r[s->a]);
	NEXT();
op_leading_zero_bits_64:
	r[s->d] = leading_zeros_64(r[s->a]);
	NEXT();
op_leading_zero_bits_32:
	r[s->d] = leading_zeros_32(r[s->a]);
	NEXT();
op_trailing_zero_bits_64:
	r[s->d] = trailing_zeros_64(r[s->a]);
	NEXT();
op_trailing_zero_bits_32:
	r[s->d] = trailing_zeros_32(r[s->a]);
	NEXT();
op_sign_extend_8:
	r[s->d] = (uint64_t)(int64_t)(int8_t)r[s->a];
	NEXT();
op_sign_extend_16:
	r[s->d] = (uint64_t)(int64_t)(int16_t)r[s->a];
	NEXT();
op_zero_extend_16:
	r[s->d] = (uint16_t)r[s->a];
	NEXT();
op_reverse_bytes:
	r[s->d] = __builtin_bswap64(r[s->a]);
	NEXT();

op_store_ind_u8:
	STORE((uint32_t)(r[s->b] + s->x), 1, r[s->a]);
op_store_ind_u16:
	STORE((uint32_t)(r[s->b] + s->x), 2, r[s->a]);
op_store_ind_u32:
	STORE((uint32_t)(r[s->b] + s->x), 4, r[s->a]);
op_store_ind_u64:
	STORE((uint32_t)(r[s->b] + s->x), 8, r[s->a]);
op_load_ind_u8:
	LOAD((uint32_t)(r[s->b] + s->x), 1, s->a, 0);
op_load_ind_i8:
	LOAD((uint32_t)(r[s->b] + s->x), 1, s->a, 1);
op_load_ind_u16:
	LOAD((uint32_t)(r[s->b] + s->x), 2, s->a, 0);
op_load_ind_i16:
	LOAD((uint32_t)(r[s->b] + s->x), 2, s->a, 1);
op_load_ind_u32:
	LOAD((uint32_t)(r[s->b] + s->x), 4, s->a, 0);
op_load_ind_i32:
	LOAD((uint32_t)(r[s->b] + s->x), 4, s->a, 1);
op_load_ind_u64:
	LOAD((uint32_t)(r[s->b] + s->x), 8, s->a, 0);

op_add_imm_32:
	r[s->a] = sext32(r[s->b] + s->x);
	NEXT();
op_and_imm:
	r[s->a] = r[s->b] & s->x;
	NEXT();
op_xor_imm:
	r[s->a] = r[s->b] ^ s->x;
	NEXT();
op_or_imm:
	r[s->a] = r[s->b] | s->x;
	NEXT();
op_mul_imm_32:
	r[s->a] = sext32(r[s->b] * s->x);
	NEXT();
op_set_lt_u_imm:
	r[s->a] = r[s->b] < s->x;
	NEXT();
op_set_lt_s_imm:
	r[s->a] = (int64_t)r[s->b] < (int64_t)s->x;
	NEXT();
op_shlo_l_imm_32:
	r[s->a] = sext32((uint32_t)r[s->b] << (s->x & 31));
	NEXT();
op_shlo_r_imm_32:
	r[s->a] = sext32((uint32_t)r[s->b] >> (s->x & 31));
	NEXT();
op_shar_r_imm_32:
	r[s->a] = (uint64_t)(int64_t)((int32_t)(uint32_t)r[s->b] >> (s->x & 31));
	NEXT();
op_neg_add_imm_32:
	r[s->a] = sext32(s->x - r[s->b]);
	NEXT();
op_set_gt_u_imm:
	r[s->a] = r[s->b] > s->x;
	NEXT();
op_set_gt_s_imm:
	r[s->a] = (int64_t)r[s->b] > (int64_t)s->x;
	NEXT();
op_shlo_l_imm_alt_32:
	r[s->a] = sext32((uint32_t)s->x << (r[s->b] & 31));
	NEXT();
op_shlo_r_imm_alt_32:
	r[s->a] = sext32((uint32_t)s->x >> (r[s->b] & 31));
	NEXT();
op_shar_r_imm_alt_32:
	r[s->a] = (uint64_t)(int64_t)((int32_t)(uint32_t)s->x >> (r[s->b] & 31));
	NEXT();
op_cmov_iz_imm:
	if (r[s->b] == 0)
		r[s->a] = s->x;
	NEXT();
op_cmov_nz_imm:
	if (r[s->b] != 0)
		r[s->a] = s->x;
	NEXT();
op_add_imm_64:
	r[s->a] = r[s->b] + s->x;
	NEXT();
op_mul_imm_64:
	r[s->a] = r[s->b] * s->x;
	NEXT();
op_shlo_l_imm_64:
	r[s->a] = r[s->b] << (s->x & 63);
	NEXT();
op_shlo_r_imm_64:
	r[s->a] = r[s->b] >> (s->x & 63);
	NEXT();
op_shar_r_imm_64:
	r[s->a] = (uint64_t)((int64_t)r[s->b] >> (s->x & 63));
	NEXT();
op_neg_add_imm_64:
	r[s->a] = s->x - r[s->b];
	NEXT();
op_shlo_l_imm_alt_64:
	r[s->a] = s->x << (r[s->b] & 63);
	NEXT();
op_shlo_r_imm_alt_64:
	r[s->a] = s->x >> (r[s->b] & 63);
	NEXT();
op_shar_r_imm_alt_64:
	r[s->a] = (uint64_t)((int64_t)s->x >> (r[s->b] & 63));
	NEXT();
op_rot_r_64_imm:
	r[s->a] = rotr64(r[s->b], s->x);
	NEXT();
op_rot_r_64_imm_alt:
	r[s->a] = rotr64(s->x, r[s->b]);
	NEXT();
op_rot_r_32_imm:
	r[s->a] = sext32(rotr32((uint32_t)r[s->b], s->x));
	NEXT();
op_rot_r_32_imm_alt:
	r[s->a] = sext32(rotr32((uint32_t)s->x, r[s->b]));
	NEXT();

op_branch_eq:
	BRANCH(r[s->a] == r[s->b]);
op_branch_ne:
	BRANCH(r[s->a] != r[s->b]);
op_branch_lt_u:
	BRANCH(r[s->a] < r[s->b]);
op_branch_lt_s:
	BRANCH((int64_t)r[s->a] < (int64_t)r[s->b]);
op_branch_ge_u:
	BRANCH(r[s->a] >= r[s->b]);
op_branch_ge_s:
	BRANCH((int64_t)r[s->a] >= (int64_t)r[s->b]);

op_load_imm_jump_ind : {
	/* The address uses r[b] before r[a] is written: they may be one. */
	uint32_t address = (uint32_t)(r[s->b] + s->y);
	r[s->a] = s->x;
	DYNAMIC_JUMP(address);
}

op_add_32:
	r[s->d] = sext32(r[s->a] + r[s->b]);
	NEXT();
op_sub_32:
	r[s->d] = sext32(r[s->a] - r[s->b]);
	NEXT();
op_mul_32:
	r[s->d] = sext32(r[s->a] * r[s->b]);
	NEXT();
op_div_u_32:
	r[s->d] = div_u_32(r[s->a], r[s->b]);
	NEXT();
op_div_s_32:
	r[s->d] = div_s_32(r[s->a], r[s->b]);
	NEXT();
op_rem_u_32:
	r[s->d] = rem_u_32(r[s->a], r[s->b]);
	NEXT();
op_rem_s_32:
	r[s->d] = rem_s_32(r[s->a], r[s->b]);
	NEXT();
op_shlo_l_32:
	r[s->d] = sext32((uint32_t)r[s->a] << (r[s->b] & 31));
	NEXT();
op_shlo_r_32:
	r[s->d] = sext32((uint32_t)r[s->a] >> (r[s->b] & 31));
	NEXT();
op_shar_r_32:
	r[s->d] = (uint64_t)(int64_t)((int32_t)(uint32_t)r[s->a] >> (r[s->b] & 31));
	NEXT();
op_add_64:
	r[s->d] = r[s->a] + r[s->b];
	NEXT();
op_sub_64:
	r[s->d] = r[s->a] - r[s->b];
	NEXT();
op_mul_64:
	r[s->d] = r[s->a] * r[s->b];
	NEXT();
op_div_u_64:
	r[s->d] = div_u_64(r[s->a], r[s->b]);
	NEXT();
op_div_s_64:
	r[s->d] = div_s_64(r[s->a], r[s->b]);
	NEXT();
op_rem_u_64:
	r[s->d] = rem_u_64(r[s->a], r[s->b]);
	NEXT();
op_rem_s_64:
	r[s->d] = rem_s_64(r[s->a], r[s->b]);
	NEXT();
op_shlo_l_64:
	r[s->d] = r[s->a] << (r[s->b] & 63);
	NEXT();
op_shlo_r_64:
	r[s->d] = r[s->a] >> (r[s->b] & 63);
	NEXT();
op_shar_r_64:
	r[s->d] = (uint64_t)((int64_t)r[s->a] >> (r[s->b] & 63));
	NEXT();
op_and:
	r[s->d] = r[s->a] & r[s->b];
	NEXT();
op_xor:
	r[s->d] = r[s->a] ^ r[s->b];
	NEXT();
op_or:
	r[s->d] = r[s->a] | r[s->b];
	NEXT();
op_mul_upper_s_s:
	r[s->d] = mul_upper_s_s(r[s->a], r[s->b]);
	NEXT();
op_mul_upper_u_u:
	r[s->d] = mul_upper_u_u(r[s->a], r[s->b]);
	NEXT();
op_mul_upper_s_u:
	r[s->d] = mul_upper_s_u(r[s->a], r[s->b]);
	NEXT();
op_set_lt_u:
	r[s->d] = r[s->a] < r[s->b];
	NEXT();
op_set_lt_s:
	r[s->d] = (int64_t)r[s->a] < (int64_t)r[s->b];
	NEXT();
op_cmov_iz:
	if (r[s->b] == 0)
		r[s->d] = r[s->a];
	NEXT();
op_cmov_nz:
	if (r[s->b] != 0)
		r[s->d] = r[s->a];
	NEXT();
op_rot_l_64:
	r[s->d] = rotr64(r[s->a], 64 - (r[s->b] & 63));
	NEXT();
op_rot_l_32:
	r[s->d] = sext32(rotr32((uint32_t)r[s->a], 32 - (r[s->b] & 31)));
	NEXT();
op_rot_r_64:
	r[s->d] = rotr64(r[s->a], r[s->b]);
	NEXT();
op_rot_r_32:
	r[s->d] = sext32(rotr32((uint32_t)r[s->a], r[s->b]));
	NEXT();
op_and_inv:
	r[s->d] = r[s->a] & ~r[s->b];
	NEXT();
op_or_inv:
	r[s->d] = r[s->a] | ~r[s->b];
	NEXT();
op_xnor:
	r[s->d] = ~(r[s->a] ^ r[s->b]);
	NEXT();
op_max:
	r[s->d] = (int64_t)r[s->a] > (int64_t)r[s->b] ? r[s->a] : r[s->b];
	NEXT();
op_max_u:
	r[s->d] = r[s->a] > r[s->b] ? r[s->a] : r[s->b];
	NEXT();
op_min:
	r[s->d] = (int64_t)r[s->a] < (int64_t)r[s->b] ? r[s->a] : r[s->b];
	NEXT();
op_min_u:
	r[s->d] = r[s->a] < r[s->b] ? r[s->a] : r[s->b];
	NEXT();

	/* ---- ways out ---- */
memory_stop:
	/* A forbidden access leaves the state as it was before the instruction. */
	exit->status = access_result == PVM_ACCESS_PANIC ? PVM_STATUS_PANIC : PVM_STATUS_PAGE_FAULT;
	exit->pc = s->pc;
	exit->argument = access_result == PVM_ACCESS_PANIC ? 0 : fault_page;
	exit->write_protected = access_result == PVM_ACCESS_PROTECTED;
	state->pc = s->pc;
	state->block_paid = true;
	goto leave;
panic:
	exit->status = PVM_STATUS_PANIC;
	exit->pc = s->pc;
	exit->argument = 0;
	state->pc = s->pc;
	state->block_paid = true;
	goto leave;
halt:
	exit->status = PVM_STATUS_HALT;
	exit->pc = s->pc;
	exit->argument = 0;
	state->pc = s->pc;
	state->block_paid = true;
	goto leave;
out_of_gas:
	exit->status = PVM_STATUS_OUT_OF_GAS;
	exit->pc = s->pc;
	exit->argument = 0;
	state->pc = s->pc;
	state->block_paid = false;
	goto leave;
step_done:
	exit->status = PVM_STATUS_STEP;
	exit->pc = s->pc;
	exit->argument = 0;
	state->pc = s->pc;
	state->block_paid = s->handler != PVM_SLOT_CHARGE;
	goto leave;
leave:
	state->resume_slot = (uint32_t)(s - slots);
	state->gas = gas;
	for (int i = 0; i < PVM_REGISTER_COUNT; i++)
		state->regs[i] = r[i];
}
