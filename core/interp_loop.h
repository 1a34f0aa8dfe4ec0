/* The interpreter's loop, a template: core/interp.c includes it twice, as
 * run_straight (INTERP_STEP 0: direct threading, every handler jumps straight
 * to the next slot's) and run_stepping (INTERP_STEP 1: every handler stops
 * after its instruction). Two copies because GCC neither inlines nor clones a
 * function whose handlers are labels, and a test per instruction for the step
 * mode would cost the straight loop what threading saves.
 *
 * INTERP_LOOP(code = NULL) returns the loop's handler addresses, which
 * pvm_interp_prepare stores in the slots; otherwise it runs from slot
 * `start` with `gas` left, after the block's charge where one was due. */

#if INTERP_STEP
/* One instruction (after its block's charge), then out; a jump that panics
 * still panics within its own step. */
#define DISPATCH() goto *handlers[s->handler]
#define NEXT()                  \
	do {                    \
		s++;            \
		goto step_done; \
	} while (0)
#define ENTER_BLOCK(target)                                       \
	do {                                                      \
		s = (const struct pvm_slot *)(uintptr_t)(target); \
		if (s->handler == PVM_SLOT_BAD_JUMP)              \
			goto panic;                               \
		goto step_done;                                   \
	} while (0)
#else
/* Direct threading: each slot holds its handler's address. */
#define DISPATCH() goto * s->code
#define NEXT()              \
	do {                \
		s++;        \
		DISPATCH(); \
	} while (0)
/* A terminator enters the next block itself, charge included, rather than
 * through the charge slot's own dispatch: one indirect jump less per block,
 * and one predicted per kind of terminator rather than one shared by all.
 * `target` is a charge slot, or a bad-jump slot, which costs more than any
 * balance so that it takes the same slow path, where it is told apart. */
#define ENTER_BLOCK(target)                                               \
	do {                                                              \
		s = (const struct pvm_slot *)(uintptr_t)(target);         \
		if (__builtin_expect(gas < 0 || (uint64_t)gas < s->x, 0)) \
			goto cannot_enter;                                \
		gas -= (int64_t)s->x;                                     \
		s++;                                                      \
		DISPATCH();                                               \
	} while (0)
#endif

/* Memory access: the inlined test, then the careful one, which either allows
 * an access that straddles two pages or says why it stops. */
#define CHECK_ACCESS(address, width, need)                                                           \
	do {                                                                                         \
		if (__builtin_expect(!pvm_memory_allows(access, address, width, need), 0)) {         \
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

/* Not taken, a branch falls into the next block, whose charge slot follows it. */
#define BRANCH(condition)                  \
	do {                               \
		if (condition)             \
			ENTER_BLOCK(s->y); \
		ENTER_BLOCK(s + 1);        \
	} while (0)

#define DYNAMIC_JUMP(address)                                                   \
	do {                                                                    \
		uint32_t address_ = (address);                                  \
		uint32_t index_ = address_ / 2 - 1; /* 0 wraps: out of range */ \
		if ((address_ & 1) || index_ >= jump_count) {                   \
			if (address_ == PVM_HALT_ADDRESS)                       \
				goto halt;                                      \
			goto panic;                                             \
		}                                                               \
		if (!jump_targets[index_])                                      \
			goto panic;                                             \
		ENTER_BLOCK(jump_targets[index_]);                              \
	} while (0)

static const void *const *INTERP_LOOP(const struct pvm_interp_code *code, struct pvm_state *state,
				      struct pvm_memory *memory, uint32_t start, int64_t gas, struct pvm_exit *exit)
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
	if (!code)
		return handlers;

	const struct pvm_slot *const slots = code->slots;
	const struct pvm_slot *const *const jump_targets = code->jump_targets;
	const uint32_t jump_count = code->jump_count;
	uint8_t *const base = memory->base;
	/* Held here: the compiler cannot tell that guest stores leave the pointer be. */
	const uint8_t *const access = memory->access;
	uint64_t r[PVM_REGISTER_COUNT];
	enum pvm_access_result access_result;
	uint32_t fault_page = 0;
	const struct pvm_slot *s = slots + start;

	for (int i = 0; i < PVM_REGISTER_COUNT; i++)
		r[i] = state->regs[i];
	exit->write_protected = false;
	DISPATCH();

charge:
	if (__builtin_expect(gas < 0 || (uint64_t)gas < s->x, 0))
		goto out_of_gas;
	gas -= (int64_t)s->x;
	s++;
	DISPATCH();

op_trap:
	goto panic;
op_fallthrough:
	ENTER_BLOCK(s + 1);
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
	ENTER_BLOCK(s->y);
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
	ENTER_BLOCK(s->y);
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
/* Stops at the current slot's instruction; `paid`: its block is paid for. */
#define STOP(how, what, paid)               \
	do {                                \
		exit->status = (how);       \
		exit->pc = s->pc;           \
		exit->argument = (what);    \
		state->pc = s->pc;          \
		state->block_paid = (paid); \
		goto leave;                 \
	} while (0)
memory_stop:
	/* A forbidden access leaves the state as it was before the instruction. */
	exit->write_protected = access_result == PVM_ACCESS_PROTECTED;
	if (access_result == PVM_ACCESS_PANIC)
		STOP(PVM_STATUS_PANIC, 0, true);
	STOP(PVM_STATUS_PAGE_FAULT, fault_page, true);
panic:
	STOP(PVM_STATUS_PANIC, 0, true);
halt:
	STOP(PVM_STATUS_HALT, 0, true);
#if !INTERP_STEP
cannot_enter:
	if (s->handler == PVM_SLOT_BAD_JUMP)
		goto panic;
	goto out_of_gas;
#endif
out_of_gas:
	STOP(PVM_STATUS_OUT_OF_GAS, 0, false);
#if INTERP_STEP
step_done:
	STOP(PVM_STATUS_STEP, 0, s->handler != PVM_SLOT_CHARGE);
#endif
leave:
	state->resume_slot = (uint32_t)(s - slots);
	state->gas = gas;
	for (int i = 0; i < PVM_REGISTER_COUNT; i++)
		state->regs[i] = r[i];
	return NULL;
}

#undef DISPATCH
#undef NEXT
#undef ENTER_BLOCK
#undef CHECK_ACCESS
#undef LOAD
#undef STORE
#undef BRANCH
#undef DYNAMIC_JUMP
#undef STOP
