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

static const void *const *run_straight(const struct pvm_interp_code *code, struct pvm_state *state,
				       struct pvm_memory *memory, uint32_t start, int64_t gas, struct pvm_exit *exit);

/* The straight loop's handler addresses, by slot kind: what each slot's
 * `code` is taken from. */
static const void *const *straight_handlers(void)
{
	return run_straight(NULL, NULL, NULL, 0, 0, NULL);
}

static void fill_slot(struct pvm_slot *slot, const struct pvm_inst *inst, const void *const *handlers)
{
	slot->code = handlers[inst->op];
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
static const struct pvm_slot *resolve_target(struct pvm_interp_code *code, int64_t target, uint32_t jump_pc,
					     const void *const *handlers)
{
	const struct pvm_program *program = code->program;
	if (pvm_program_is_jump_target(program, target))
		return &code->slots[code->block_slots[pvm_program_block_at(program, (uint32_t)target)]];
	struct pvm_slot *panic = &code->slots[code->slot_count++];
	/* Its cost, more than any balance, sends the straight loop's charge
	 * on entry to the slow path (core/interp_loop.h, ENTER_BLOCK). */
	*panic = (struct pvm_slot){
		.handler = PVM_SLOT_BAD_JUMP, .pc = jump_pc, .x = UINT64_MAX, .code = handlers[PVM_SLOT_BAD_JUMP]};
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

	const void *const *handlers = straight_handlers();
	struct pvm_inst inst;
	struct pvm_slot *slot = code->slots;
	for (uint32_t b = 0; b < program->block_count; b++) {
		const struct pvm_block *block = &program->blocks[b];
		*slot++ = (struct pvm_slot){.handler = PVM_SLOT_CHARGE,
					    .pc = block->pc,
					    .x = block->cost,
					    .code = handlers[PVM_SLOT_CHARGE]};
		uint32_t pc = block->pc;
		for (uint32_t i = 0; i < block->count; i++, slot++) {
			pvm_decode(&program->code, pc, &inst);
			fill_slot(slot, &inst, handlers);
			int64_t target;
			if (pvm_inst_target(&inst, &target))
				slot->y = (uintptr_t)resolve_target(code, target, inst.pc, handlers);
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

#define INTERP_STEP 0
#define INTERP_LOOP run_straight
#include "interp_loop.h"
#undef INTERP_STEP
#undef INTERP_LOOP

#define INTERP_STEP 1
#define INTERP_LOOP run_stepping
#include "interp_loop.h"
#undef INTERP_STEP
#undef INTERP_LOOP

void pvm_interp_run(const struct pvm_interp_code *code, struct pvm_state *state, struct pvm_memory *memory,
		    bool single_step, struct pvm_exit *exit)
{
	const struct pvm_slot *const slots = code->slots;
	int64_t gas = state->gas;
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
	if (single_step)
		run_stepping(code, state, memory, start, gas, exit);
	else
		run_straight(code, state, memory, start, gas, exit);
}
