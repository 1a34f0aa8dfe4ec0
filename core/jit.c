#include "jit.h"

#include <stddef.h>

#include "array.h"
#include "interp.h"
#include "x64_emit.h"

/* ---- the fixed assignment of registers --------------------------------------
 *
 * rax and rdx go to the guest registers the RISC-V ABI uses least (ra and a5):
 * mul and div need them and save them around. rcx is the scratch (shift counts
 * live in cl), r15 the anchor, rsp the host's stack. */
const uint8_t pvm_jit_register_map[PVM_REGISTER_COUNT] = {
	X64_RAX, X64_RSI, X64_RBX, X64_RBP, X64_RDI, X64_R8,  X64_R9,
	X64_R10, X64_R11, X64_R12, X64_R13, X64_R14, X64_RDX,
};

/* The helpers most instructions use are inlined into each instruction's
 * case, where the op and most operands are constants: as calls they cost
 * the compiler 40% of its time. Inlining all of them too (so that the
 * compiler's state could live in registers) saves another 10% but takes
 * the C compiler over a minute on this file. */
#define INLINE static inline X64_ALWAYS_INLINE

#define SCRATCH X64_RCX
#define ANCHOR  X64_R15

/* The context's fields, as displacements from the anchor; CONTEXT_MEM is
 * the operand for the compiler `c` in scope (the anchor is in r15 or GS). */
#define CONTEXT(field)     ((int32_t)offsetof(struct pvm_jit_context, field) - (int32_t)sizeof(struct pvm_jit_context))
#define CONTEXT_MEM(field) anchor_mem(c, CONTEXT(field))

/* In rsp the balance is biased by 2^63 (see enum pvm_jit_gas_home). */
#define GAS_BIAS (UINT64_C(1) << 63)

/* Callee-saved registers of the SysV ABI that the guest registers overwrite. */
static const uint8_t host_saved[] = {X64_RBX, X64_RBP, X64_R12, X64_R13, X64_R14, X64_R15};
#define HOST_SAVED_COUNT (sizeof host_saved / sizeof host_saved[0])

#define INSTRUCTION_BYTES PVM_JIT_INSTRUCTION_BYTES
#define STUB_BYTES        PVM_JIT_STUB_BYTES
#define STUBS_PER_INST    PVM_JIT_STUBS_PER_INSTRUCTION
#define TRAMPOLINE_BYTES  1024
/* The jump table's displacement from the anchor must fit 32 bits. */
#define MAX_JUMP_COUNT (1u << 26)

/* The dynamic address 0xFFFF0000 after the dispatch's "minus 2, rotate right
 * by one": it never indexes the table, so only the slow path tests it. */
#define HALT_INDEX ((PVM_HALT_ADDRESS - 2) >> 1 | ((PVM_HALT_ADDRESS - 2) & 1) << 31)

static const char *const exit_names[PVM_JIT_EXIT_COUNT] = {
	[PVM_JIT_EXIT_HOST_CALL] = "host-call",   [PVM_JIT_EXIT_SBRK] = "sbrk",
	[PVM_JIT_EXIT_PANIC] = "panic",           [PVM_JIT_EXIT_HALT] = "halt",
	[PVM_JIT_EXIT_OUT_OF_GAS] = "out-of-gas", [PVM_JIT_EXIT_STEP] = "step",
	[PVM_JIT_EXIT_FAULT] = "fault",
};

const char *pvm_jit_exit_name(enum pvm_jit_exit exit)
{
	return exit < PVM_JIT_EXIT_COUNT ? exit_names[exit] : "?";
}

size_t pvm_jit_below_anchor(uint32_t jump_count)
{
	size_t bytes = PVM_JIT_CONTEXT_SIZE + 8 * (size_t)jump_count;
	return (bytes + PVM_PAGE_SIZE - 1) & ~(size_t)(PVM_PAGE_SIZE - 1);
}

size_t pvm_jit_capacity(const struct pvm_program *program, const struct pvm_jit_options *options)
{
	(void)options;
	size_t per_instruction = INSTRUCTION_BYTES + STUBS_PER_INST * STUB_BYTES;
	return TRAMPOLINE_BYTES + (size_t)program->instruction_count * per_instruction +
	       (size_t)program->block_count * STUB_BYTES;
}

/* ---- the compiler's state ---------------------------------------------------- */

/* A jump to a block start not emitted yet: its rel32 field and the target. */
struct forward_jump {
	uint32_t field;
	uint32_t target_pc;
};

/* Out-of-line code a jcc goes to, emitted after all the instructions so that
 * the straight path stays dense. */
enum stub_kind {
	STUB_PANIC,         /* a jump or branch to a bad target */
	STUB_DYNAMIC,       /* a dynamic address outside the table: halt or panic */
	STUB_GAS_REFUND,    /* sync out of gas: give back an imm32 cost */
	STUB_GAS_REFUND_CX, /* the same for a cost in rcx */
	STUB_GAS,           /* out of gas with nothing to give back */
	STUB_FAULT,         /* the page table refused a load or store */
};

struct stub {
	uint32_t field; /* the rel32 to point at the stub */
	uint32_t pc;
	uint8_t kind;
	int32_t cost;
};

struct compiler {
	const struct pvm_program *program;
	struct pvm_jit_options options;
	uint8_t *start;
	uint8_t *at;
	/* Per jump target (pvm_program_jump_target_index): where a jump there
	 * lands, once emitted. */
	uint32_t *entries;
	/* Grown as the pass goes (grow_scratch): a program needs far fewer
	 * than the most its instructions could ask for. */
	struct forward_jump *forward;
	uint32_t forward_count, forward_capacity;
	struct stub *stubs;
	uint32_t stub_count, stub_capacity;
	uint8_t *loop_heads; /* async: bitmap by pc of the blocks that test the balance */
	/* Trampolines, emitted first. */
	uint8_t *exits[PVM_JIT_EXIT_COUNT];
	uint32_t pc; /* of the instruction being compiled */
};

/* Offset 0 is the enter trampoline, never a block's entry: the zeroed
 * entries say "not emitted yet" without a pass to fill them. */
#define NO_ENTRY 0

INLINE uint32_t *entry_of(const struct compiler *c, uint32_t target)
{
	return &c->entries[pvm_program_jump_target_index(c->program, target)];
}

INLINE uint32_t offset_of(const struct compiler *c, const uint8_t *at)
{
	return (uint32_t)(at - c->start);
}

INLINE enum x64_reg guest(unsigned index)
{
	return (enum x64_reg)pvm_jit_register_map[index];
}

/* Where the balance lives; without metering, nowhere that costs a
 * register or moves the anchor. */
INLINE enum pvm_jit_gas_home gas_home(const struct compiler *c)
{
	return c->options.gas == PVM_JIT_GAS_NONE ? PVM_JIT_GAS_IN_CONTEXT : c->options.gas_home;
}

INLINE bool anchor_in_gs(const struct compiler *c)
{
	return c->options.anchor == PVM_JIT_ANCHOR_GS;
}

/* [anchor + disp] */
INLINE struct x64_mem anchor_mem(const struct compiler *c, int32_t disp)
{
	return anchor_in_gs(c) ? x64_mem_gs(x64_mem_base(X64_NO_BASE, disp)) : x64_mem_base(ANCHOR, disp);
}

/* [anchor + index * scale + disp] */
INLINE struct x64_mem anchor_index(const struct compiler *c, enum x64_reg index, unsigned scale, int32_t disp)
{
	if (!anchor_in_gs(c))
		return x64_mem_index(ANCHOR, index, scale, disp);
	return x64_mem_gs(scale == 1 ? x64_mem_base(index, disp) : x64_mem_index(X64_NO_BASE, index, scale, disp));
}

/* ---- trampolines -------------------------------------------------------------- */

/* void enter(uint8_t *anchor, const void *target): keeps the host's frame,
 * loads the guest registers and jumps in. */
static void emit_enter(struct compiler *c)
{
	uint8_t *at = c->at;
	for (unsigned i = 0; i < HOST_SAVED_COUNT; i++)
		at = x64_push(at, (enum x64_reg)host_saved[i]);
	if (!anchor_in_gs(c)) /* else the caller has set GS's base to it */
		at = x64_mov_rr(at, X64_W64, ANCHOR, X64_RDI);
	at = x64_mov_mr(at, X64_W64, CONTEXT_MEM(host_rsp), X64_RSP);
	at = x64_mov_rr(at, X64_W64, SCRATCH, X64_RSI);
	if (gas_home(c) == PVM_JIT_GAS_IN_RSP) {
		at = x64_movabs_ri(at, X64_RAX, GAS_BIAS);
		at = x64_alu_rm(at, X64_XOR, X64_W64, X64_RAX, CONTEXT_MEM(gas));
		at = x64_mov_rr(at, X64_W64, X64_RSP, X64_RAX);
	} else if (gas_home(c) == PVM_JIT_GAS_IN_R15) {
		at = x64_mov_rm(at, X64_W64, X64_R15, CONTEXT_MEM(gas));
	}
	for (unsigned i = 0; i < PVM_REGISTER_COUNT; i++)
		at = x64_mov_rm(at, X64_W64, guest(i), anchor_mem(c, CONTEXT(regs) + 8 * (int32_t)i));
	at = x64_jmp_r(at, SCRATCH);
	c->at = at;
}

/* One per exit kind: records the kind, then the shared way out stores the
 * guest registers and returns into pvm_jit_enter's caller. */
static void emit_exits(struct compiler *c)
{
	uint8_t *leave = c->at;
	uint8_t *at = leave;
	for (unsigned i = 0; i < PVM_REGISTER_COUNT; i++)
		at = x64_mov_mr(at, X64_W64, anchor_mem(c, CONTEXT(regs) + 8 * (int32_t)i), guest(i));
	/* The guest registers are stored: rax is free. */
	if (gas_home(c) == PVM_JIT_GAS_IN_RSP) {
		at = x64_movabs_ri(at, X64_RAX, GAS_BIAS);
		at = x64_alu_rr(at, X64_XOR, X64_W64, X64_RAX, X64_RSP);
		at = x64_mov_mr(at, X64_W64, CONTEXT_MEM(gas), X64_RAX);
	} else if (gas_home(c) == PVM_JIT_GAS_IN_R15) {
		at = x64_mov_mr(at, X64_W64, CONTEXT_MEM(gas), X64_R15);
	}
	at = x64_mov_rm(at, X64_W64, X64_RSP, CONTEXT_MEM(host_rsp));
	for (unsigned i = HOST_SAVED_COUNT; i-- > 0;)
		at = x64_pop(at, (enum x64_reg)host_saved[i]);
	at = x64_ret(at);
	for (unsigned kind = 0; kind < PVM_JIT_EXIT_COUNT; kind++) {
		at = x64_align(at, c->start, 8);
		c->exits[kind] = at;
		at = x64_mov_mi(at, X64_W32, CONTEXT_MEM(exit_kind), (int32_t)kind);
		at = x64_jmp_to(at, leave);
	}
	c->at = at;
}

/* ---- small pieces ---------------------------------------------------------------- */

INLINE void store_exit_pc(struct compiler *c, uint32_t pc)
{
	c->at = x64_mov_mi(c->at, X64_W32, CONTEXT_MEM(exit_pc), (int32_t)pc);
}

INLINE void exit_at(struct compiler *c, enum pvm_jit_exit kind, uint32_t pc)
{
	store_exit_pc(c, pc);
	c->at = x64_jmp_to(c->at, c->exits[kind]);
}

/* A jcc (or jmp, cond < 0) to a stub emitted later. */
INLINE void jump_to_stub(struct compiler *c, int cond, enum stub_kind kind, uint32_t pc, int32_t cost)
{
	c->at = cond < 0 ? x64_jmp_rel32(c->at, 0) : x64_jcc_rel32(c->at, (enum x64_cond)cond, 0);
	c->stubs[c->stub_count++] =
		(struct stub){.field = offset_of(c, c->at - 4), .pc = pc, .kind = (uint8_t)kind, .cost = cost};
}

/* A jcc (or jmp) to the block starting at target, which the caller knows is
 * a jump target; forward ones are patched at the end. */
INLINE void jump_to_block(struct compiler *c, int cond, uint32_t target)
{
	uint32_t entry = *entry_of(c, target);
	if (entry != NO_ENTRY) {
		c->at = cond < 0 ? x64_jmp_to(c->at, c->start + entry)
				 : x64_jcc_to(c->at, (enum x64_cond)cond, c->start + entry);
		return;
	}
	c->at = cond < 0 ? x64_jmp_rel32(c->at, 0) : x64_jcc_rel32(c->at, (enum x64_cond)cond, 0);
	c->forward[c->forward_count++] = (struct forward_jump){.field = offset_of(c, c->at - 4), .target_pc = target};
}

/* ---- gas ------------------------------------------------------------------------ */

/* Adds or subtracts an imm32 cost, or one in rcx (cost_in_scratch), to the
 * balance wherever it lives. */
INLINE void gas_alu(struct compiler *c, enum x64_alu op, bool cost_in_scratch, int32_t cost)
{
	static const enum x64_reg registers[PVM_JIT_GAS_HOME_COUNT] = {
		[PVM_JIT_GAS_IN_RSP] = X64_RSP,
		[PVM_JIT_GAS_IN_R15] = X64_R15,
	};
	if (gas_home(c) != PVM_JIT_GAS_IN_CONTEXT)
		c->at = cost_in_scratch ? x64_alu_rr(c->at, op, X64_W64, registers[gas_home(c)], SCRATCH)
					: x64_alu_ri(c->at, op, X64_W64, registers[gas_home(c)], cost);
	else
		c->at = cost_in_scratch ? x64_alu_mr(c->at, op, X64_W64, CONTEXT_MEM(gas), SCRATCH)
					: x64_alu_mi(c->at, op, X64_W64, CONTEXT_MEM(gas), cost);
}

/* The condition, right after a charge, that the balance is below zero:
 * in rsp (biased) that is the sign bit clear. */
INLINE enum x64_cond overdrawn(const struct compiler *c)
{
	return gas_home(c) == PVM_JIT_GAS_IN_RSP ? X64_NS : X64_L;
}

/* Async metering tests the balance only where execution can loop: every
 * cycle of the program passes through a backward jump or branch, or a
 * dynamic jump, so it is enough that the blocks those can reach test it,
 * right after their own charge and on its flags. */
static bool is_loop_head(const struct compiler *c, uint32_t pc)
{
	return c->loop_heads && ((c->loop_heads[pc >> 3] >> (pc & 7)) & 1);
}

static void mark_loop_head(uint8_t *loop_heads, const struct pvm_program *program, int64_t target)
{
	if (pvm_program_is_jump_target(program, target))
		loop_heads[target >> 3] |= (uint8_t)(1u << (target & 7));
}

/* One look at each block's last instruction and at the jump table. */
static void find_loop_heads(uint8_t *loop_heads, const struct pvm_program *program)
{
	for (uint32_t b = 0; b < program->block_count; b++) {
		const struct pvm_block *block = &program->blocks[b];
		uint32_t last = block->pc;
		for (uint32_t i = 1; i < block->count; i++)
			last += 1 + pvm_code_skip(&program->code, last);
		struct pvm_inst inst;
		int64_t target;
		pvm_decode(&program->code, last, &inst);
		if (pvm_inst_target(&inst, &target) && target <= last)
			mark_loop_head(loop_heads, program, target);
	}
	for (uint32_t j = 0; j < program->blob.jump_count; j++)
		mark_loop_head(loop_heads, program, pvm_blob_jump_entry(&program->blob, j));
}

INLINE void charge_block(struct compiler *c, const struct pvm_block *block)
{
	uint64_t cost = block->cost;
	bool sync = c->options.gas == PVM_JIT_GAS_SYNC;
	if (c->options.gas == PVM_JIT_GAS_NONE)
		return;
	if (cost <= INT32_MAX) {
		gas_alu(c, X64_SUB, false, (int32_t)cost);
		if (sync)
			jump_to_stub(c, overdrawn(c), STUB_GAS_REFUND, block->pc, (int32_t)cost);
	} else if (cost <= INT64_MAX) {
		c->at = x64_movabs_ri(c->at, SCRATCH, cost);
		gas_alu(c, X64_SUB, true, 0);
		if (sync)
			jump_to_stub(c, overdrawn(c), STUB_GAS_REFUND_CX, block->pc, 0);
	} else {
		/* More than any balance: the interpreter's unsigned test
		 * always fails. */
		jump_to_stub(c, -1, STUB_GAS, block->pc, 0);
		return;
	}
	/* Async: a loop head keeps what it charged, the overdraft. */
	if (!sync && is_loop_head(c, block->pc))
		jump_to_stub(c, overdrawn(c), STUB_GAS, block->pc, 0);
}

/* A static jump or branch (cond < 0: always) to target. */
INLINE void static_jump(struct compiler *c, int cond, int64_t target)
{
	if (!pvm_program_is_jump_target(c->program, target)) {
		jump_to_stub(c, cond, STUB_PANIC, c->pc, 0);
		return;
	}
	jump_to_block(c, cond, (uint32_t)target);
}

INLINE void sign_extend_32(struct compiler *c, enum x64_reg reg)
{
	c->at = x64_movsx_rr(c->at, X64_W64, reg, X64_W32, reg);
}

/* A 32-bit operation that follows writes the low half and clears the rest,
 * so moving a register onto itself is never needed. */
INLINE void move(struct compiler *c, enum x64_width width, enum x64_reg dst, enum x64_reg src)
{
	if (dst != src)
		c->at = x64_mov_rr(c->at, width, dst, src);
}

/* ---- memory ---------------------------------------------------------------------- */

/* The operand for guest address base_reg + offset mod 2^32 (base_reg < 0: the
 * offset alone); may compute the address into rcx first. */
INLINE struct x64_mem guest_address(struct compiler *c, int base_reg, uint32_t offset)
{
	bool in_gs = c->options.memory == PVM_JIT_MEMORY_BASE && anchor_in_gs(c);
	if (c->options.memory == PVM_JIT_MEMORY_ABSOLUTE || in_gs) {
		struct x64_mem mem;
		if (in_gs && base_reg < 0 && offset <= INT32_MAX)
			return anchor_mem(c, (int32_t)offset);
		if (base_reg < 0) {
			c->at = x64_mov_ri32(c->at, SCRATCH, offset);
			mem = x64_mem_base(SCRATCH, 0);
		} else {
			mem = x64_mem_addr32(x64_mem_base(guest((unsigned)base_reg), (int32_t)offset));
		}
		return in_gs ? x64_mem_gs(mem) : mem;
	}
	if (base_reg < 0) {
		if (offset <= INT32_MAX)
			return anchor_mem(c, (int32_t)offset);
		c->at = x64_mov_ri32(c->at, SCRATCH, offset);
	} else if (offset == 0) {
		c->at = x64_mov_rr(c->at, X64_W32, SCRATCH, guest((unsigned)base_reg));
	} else {
		c->at = x64_lea(c->at, X64_W32, SCRATCH, x64_mem_base(guest((unsigned)base_reg), (int32_t)offset));
	}
	return anchor_index(c, SCRATCH, 1, 0);
}

/* With a page table (pvm_jit_options.page_table): the page of the access's
 * first byte must allow `need`, or the instruction leaves through a fault
 * stub. A table entry is at least `need` exactly when it allows it. */
static void check_page(struct compiler *c, int base_reg, uint32_t offset, enum pvm_access need)
{
	int32_t table = c->options.page_table;
	if (table == 0)
		return;
	struct x64_mem entry;
	if (base_reg < 0) {
		entry = anchor_mem(c, table + (int32_t)(offset >> PVM_PAGE_SHIFT));
	} else {
		c->at = x64_lea(c->at, X64_W32, SCRATCH, x64_mem_base(guest((unsigned)base_reg), (int32_t)offset));
		c->at = x64_shift_ri(c->at, X64_SHR, X64_W32, SCRATCH, PVM_PAGE_SHIFT);
		entry = anchor_index(c, SCRATCH, 1, table);
	}
	c->at = x64_alu_mi(c->at, X64_CMP, X64_W8, entry, (int32_t)need);
	jump_to_stub(c, X64_B, STUB_FAULT, c->pc, 0);
}

static const enum x64_width width_of_bytes[9] = {[1] = X64_W8, [2] = X64_W16, [4] = X64_W32, [8] = X64_W64};

INLINE void load(struct compiler *c, unsigned dst, struct x64_mem mem, unsigned bytes, bool is_signed)
{
	enum x64_width from = width_of_bytes[bytes];
	if (from == X64_W64)
		c->at = x64_mov_rm(c->at, X64_W64, guest(dst), mem);
	else if (is_signed)
		c->at = x64_movsx_rm(c->at, X64_W64, guest(dst), from, mem);
	else
		c->at = x64_movzx_rm(c->at, X64_W32, guest(dst), from, mem);
}

INLINE void store_reg(struct compiler *c, struct x64_mem mem, unsigned bytes, unsigned src)
{
	c->at = x64_mov_mr(c->at, width_of_bytes[bytes], mem, guest(src));
}

INLINE void store_imm(struct compiler *c, struct x64_mem mem, unsigned bytes, uint64_t value)
{
	/* Store immediates are at most 4 bytes, sign-extended: a 64-bit store
	 * of the sign-extended imm32 writes exactly the value. */
	c->at = x64_mov_mi(c->at, width_of_bytes[bytes], mem, (int32_t)value);
}

/* ---- arithmetic helpers ------------------------------------------------------------ */

/* d = a op b, op commutative or not. */
INLINE void alu3(struct compiler *c, enum x64_alu op, enum x64_width width, bool commutative, unsigned d, unsigned a,
		 unsigned b)
{
	enum x64_reg rd = guest(d), ra = guest(a), rb = guest(b);
	if (rd == ra) {
		c->at = x64_alu_rr(c->at, op, width, rd, rb);
	} else if (rd == rb && commutative) {
		c->at = x64_alu_rr(c->at, op, width, rd, ra);
	} else if (rd == rb) {
		c->at = x64_mov_rr(c->at, X64_W64, SCRATCH, ra);
		c->at = x64_alu_rr(c->at, op, width, SCRATCH, rb);
		c->at = x64_mov_rr(c->at, X64_W64, rd, SCRATCH);
	} else {
		c->at = x64_mov_rr(c->at, width, rd, ra);
		c->at = x64_alu_rr(c->at, op, width, rd, rb);
	}
	if (width == X64_W32)
		sign_extend_32(c, rd);
}

/* a = b op imm */
INLINE void alu_imm(struct compiler *c, enum x64_alu op, enum x64_width width, unsigned a, unsigned b, uint64_t imm)
{
	move(c, width, guest(a), guest(b));
	c->at = x64_alu_ri(c->at, op, width, guest(a), (int32_t)imm);
	if (width == X64_W32)
		sign_extend_32(c, guest(a));
}

INLINE void add_imm(struct compiler *c, enum x64_width width, unsigned a, unsigned b, uint64_t imm)
{
	if (imm == 0)
		move(c, width, guest(a), guest(b));
	else
		c->at = x64_lea(c->at, width, guest(a), x64_mem_base(guest(b), (int32_t)imm));
	if (width == X64_W32)
		sign_extend_32(c, guest(a));
}

INLINE void mul3(struct compiler *c, enum x64_width width, unsigned d, unsigned a, unsigned b)
{
	enum x64_reg rd = guest(d), ra = guest(a), rb = guest(b);
	if (rd == ra) {
		c->at = x64_imul_rr(c->at, width, rd, rb);
	} else if (rd == rb) {
		c->at = x64_imul_rr(c->at, width, rd, ra);
	} else {
		c->at = x64_mov_rr(c->at, width, rd, ra);
		c->at = x64_imul_rr(c->at, width, rd, rb);
	}
	if (width == X64_W32)
		sign_extend_32(c, rd);
}

/* d = a shifted by b (the processor masks cl as the PVM masks the count) */
static void shift3(struct compiler *c, enum x64_shift op, enum x64_width width, unsigned d, unsigned a, unsigned b)
{
	c->at = x64_mov_rr(c->at, X64_W32, SCRATCH, guest(b));
	move(c, width, guest(d), guest(a));
	c->at = x64_shift_cl(c->at, op, width, guest(d));
	if (width == X64_W32)
		sign_extend_32(c, guest(d));
}

/* a = b shifted by imm */
INLINE void shift_imm(struct compiler *c, enum x64_shift op, enum x64_width width, unsigned a, unsigned b, uint64_t imm)
{
	uint8_t count = (uint8_t)(imm & (width == X64_W64 ? 63 : 31));
	move(c, width, guest(a), guest(b));
	if (count)
		c->at = x64_shift_ri(c->at, op, width, guest(a), count);
	if (width == X64_W32)
		sign_extend_32(c, guest(a));
}

/* a = imm shifted by b */
static void shift_imm_alt(struct compiler *c, enum x64_shift op, enum x64_width width, unsigned a, unsigned b,
			  uint64_t imm)
{
	c->at = x64_mov_rr(c->at, X64_W32, SCRATCH, guest(b));
	if (width == X64_W64)
		c->at = x64_mov_ri64(c->at, guest(a), imm);
	else
		c->at = x64_mov_ri32(c->at, guest(a), (uint32_t)imm);
	c->at = x64_shift_cl(c->at, op, width, guest(a));
	if (width == X64_W32)
		sign_extend_32(c, guest(a));
}

/* dst = cond ? 1 : 0, after a compare */
static void set_flag(struct compiler *c, enum x64_cond cond, unsigned dst)
{
	c->at = x64_setcc(c->at, cond, SCRATCH);
	c->at = x64_movzx_rr(c->at, X64_W32, guest(dst), X64_W8, SCRATCH);
}

/* d = (a cond b) ? b : a, through rcx: max and min */
static void select3(struct compiler *c, enum x64_cond take_b, unsigned d, unsigned a, unsigned b)
{
	c->at = x64_mov_rr(c->at, X64_W64, SCRATCH, guest(a));
	c->at = x64_alu_rr(c->at, X64_CMP, X64_W64, SCRATCH, guest(b));
	c->at = x64_cmovcc_rr(c->at, take_b, X64_W64, SCRATCH, guest(b));
	c->at = x64_mov_rr(c->at, X64_W64, guest(d), SCRATCH);
}

/* ---- mul and div: rdx:rax --------------------------------------------------------
 *
 * The guest values of rax and rdx are parked in the context while the
 * instruction borrows them; reading a guest register that lives there
 * afterwards goes to the parked copy. */

static void park_rax_rdx(struct compiler *c)
{
	c->at = x64_mov_mr(c->at, X64_W64, CONTEXT_MEM(saved_rax), X64_RAX);
	c->at = x64_mov_mr(c->at, X64_W64, CONTEXT_MEM(saved_rdx), X64_RDX);
}

static void unpark_rax_rdx(struct compiler *c)
{
	c->at = x64_mov_rm(c->at, X64_W64, X64_RAX, CONTEXT_MEM(saved_rax));
	c->at = x64_mov_rm(c->at, X64_W64, X64_RDX, CONTEXT_MEM(saved_rdx));
}

/* dst = guest register g's value, after park_rax_rdx */
static void read_parked(struct compiler *c, enum x64_reg dst, unsigned g)
{
	if (guest(g) == X64_RAX)
		c->at = x64_mov_rm(c->at, X64_W64, dst, CONTEXT_MEM(saved_rax));
	else if (guest(g) == X64_RDX)
		c->at = x64_mov_rm(c->at, X64_W64, dst, CONTEXT_MEM(saved_rdx));
	else
		c->at = x64_mov_rr(c->at, X64_W64, dst, guest(g));
}

enum upper { UPPER_SS, UPPER_UU, UPPER_SU };

static void mul_upper(struct compiler *c, enum upper kind, unsigned d, unsigned a, unsigned b)
{
	c->at = x64_mov_rr(c->at, X64_W64, SCRATCH, guest(b));
	park_rax_rdx(c);
	read_parked(c, X64_RAX, a);
	c->at = x64_unary_r(c->at, kind == UPPER_SS ? X64_IMUL : X64_MUL, X64_W64, SCRATCH);
	if (kind == UPPER_SU) {
		/* signed a times unsigned b: the unsigned product's high half,
		 * less b when a is negative */
		read_parked(c, X64_RAX, a);
		c->at = x64_shift_ri(c->at, X64_SAR, X64_W64, X64_RAX, 63);
		c->at = x64_alu_rr(c->at, X64_AND, X64_W64, X64_RAX, SCRATCH);
		c->at = x64_alu_rr(c->at, X64_SUB, X64_W64, X64_RDX, X64_RAX);
	}
	c->at = x64_mov_rr(c->at, X64_W64, SCRATCH, X64_RDX);
	unpark_rax_rdx(c);
	c->at = x64_mov_rr(c->at, X64_W64, guest(d), SCRATCH);
}

struct division {
	enum x64_width width;
	bool is_signed;
	bool remainder;
};

/* The PVM defines every case the processor faults on: by zero the quotient
 * is all ones and the remainder the dividend; the signed overflow (MIN / -1)
 * gives MIN and 0, which is what negating gives for any dividend over -1. */
static void divide(struct compiler *c, struct division how, unsigned d, unsigned a, unsigned b)
{
	enum x64_width w = how.width;
	enum x64_reg rd = guest(d);
	c->at = x64_mov_rr(c->at, X64_W64, SCRATCH, guest(b));
	c->at = x64_test_rr(c->at, w, SCRATCH, SCRATCH);
	c->at = x64_jcc_rel8(c->at, X64_E, 0);
	uint8_t *by_zero = c->at - 1;
	uint8_t *by_minus_one = NULL;
	if (how.is_signed) {
		c->at = x64_alu_ri(c->at, X64_CMP, w, SCRATCH, -1);
		c->at = x64_jcc_rel8(c->at, X64_E, 0);
		by_minus_one = c->at - 1;
	}
	park_rax_rdx(c);
	read_parked(c, X64_RAX, a);
	if (how.is_signed)
		c->at = w == X64_W64 ? x64_cqo(c->at) : x64_cdq(c->at);
	else
		c->at = x64_alu_rr(c->at, X64_XOR, X64_W32, X64_RDX, X64_RDX);
	c->at = x64_unary_r(c->at, how.is_signed ? X64_IDIV : X64_DIV, w, SCRATCH);
	c->at = x64_mov_rr(c->at, X64_W64, SCRATCH, how.remainder ? X64_RDX : X64_RAX);
	unpark_rax_rdx(c);
	if (w == X64_W32)
		c->at = x64_movsx_rr(c->at, X64_W64, rd, X64_W32, SCRATCH);
	else
		c->at = x64_mov_rr(c->at, X64_W64, rd, SCRATCH);
	c->at = x64_jmp_rel8(c->at, 0);
	uint8_t *done_from_normal = c->at - 1;

	x64_patch_rel8(by_zero, c->at);
	if (how.remainder) {
		if (w == X64_W32)
			c->at = x64_movsx_rr(c->at, X64_W64, rd, X64_W32, guest(a));
		else
			move(c, X64_W64, rd, guest(a));
	} else {
		c->at = x64_mov_ri32_sx(c->at, rd, -1);
	}
	uint8_t *done_from_zero = NULL;
	if (how.is_signed) {
		c->at = x64_jmp_rel8(c->at, 0);
		done_from_zero = c->at - 1;
		x64_patch_rel8(by_minus_one, c->at);
		if (how.remainder) {
			c->at = x64_mov_ri32(c->at, rd, 0);
		} else {
			c->at = x64_mov_rr(c->at, w, SCRATCH, guest(a));
			c->at = x64_unary_r(c->at, X64_NEG, w, SCRATCH);
			if (w == X64_W32)
				c->at = x64_movsx_rr(c->at, X64_W64, rd, X64_W32, SCRATCH);
			else
				c->at = x64_mov_rr(c->at, X64_W64, rd, SCRATCH);
		}
	}
	x64_patch_rel8(done_from_normal, c->at);
	if (done_from_zero)
		x64_patch_rel8(done_from_zero, c->at);
}

/* ---- dynamic jumps ------------------------------------------------------------------
 *
 * Address a goes to entry a/2 - 1 of the jump table when a is even and the
 * entry exists. (a - 2) rotated right by one is that index for even a and at
 * least 2^31 for odd a (and for 0), so one unsigned compare does all three
 * tests; the halt address lands out of range too and is told apart in the
 * slow path. */
static void dynamic_jump(struct compiler *c, unsigned reg, uint64_t offset, bool load_imm, unsigned dst, uint64_t imm)
{
	const struct pvm_program *program = c->program;
	uint32_t count = program->blob.jump_count;
	c->at = x64_lea(c->at, X64_W32, SCRATCH, x64_mem_base(guest(reg), (int32_t)((uint32_t)offset - 2)));
	if (load_imm)
		c->at = x64_mov_ri64(c->at, guest(dst), imm);
	c->at = x64_shift_ri(c->at, X64_ROR, X64_W32, SCRATCH, 1);
	c->at = x64_alu_ri(c->at, X64_CMP, X64_W32, SCRATCH, (int32_t)count);
	jump_to_stub(c, X64_AE, STUB_DYNAMIC, c->pc, 0);
	/* Entries that are not jump targets go to the panic trampoline,
	 * which needs the pc: only programs that have such entries pay. */
	if (program->bad_jump_entries)
		store_exit_pc(c, c->pc);
	int32_t table = -(int32_t)(PVM_JIT_CONTEXT_SIZE + 8 * count);
	c->at = x64_jmp_m(c->at, anchor_index(c, SCRATCH, 8, table));
}

/* ---- one instruction ------------------------------------------------------------------ */

struct branch_row {
	enum x64_cond cond;
	bool with_imm;
};

static const struct branch_row branch_rows[PVM_OP_COUNT] = {
	[PVM_OP_BRANCH_EQ_IMM] = {X64_E, true},    [PVM_OP_BRANCH_NE_IMM] = {X64_NE, true},
	[PVM_OP_BRANCH_LT_U_IMM] = {X64_B, true},  [PVM_OP_BRANCH_LE_U_IMM] = {X64_BE, true},
	[PVM_OP_BRANCH_GE_U_IMM] = {X64_AE, true}, [PVM_OP_BRANCH_GT_U_IMM] = {X64_A, true},
	[PVM_OP_BRANCH_LT_S_IMM] = {X64_L, true},  [PVM_OP_BRANCH_LE_S_IMM] = {X64_LE, true},
	[PVM_OP_BRANCH_GE_S_IMM] = {X64_GE, true}, [PVM_OP_BRANCH_GT_S_IMM] = {X64_G, true},
	[PVM_OP_BRANCH_EQ] = {X64_E, false},       [PVM_OP_BRANCH_NE] = {X64_NE, false},
	[PVM_OP_BRANCH_LT_U] = {X64_B, false},     [PVM_OP_BRANCH_LT_S] = {X64_L, false},
	[PVM_OP_BRANCH_GE_U] = {X64_AE, false},    [PVM_OP_BRANCH_GE_S] = {X64_GE, false},
};

static void branch(struct compiler *c, const struct pvm_inst *inst)
{
	const struct branch_row *row = &branch_rows[inst->op];
	/* pvm_inst_target's, from the row: a branch on a register and an
	 * immediate has its target in imm_y, one on two registers in imm_x. */
	int64_t target = (int64_t)(row->with_imm ? inst->imm_y : inst->imm_x);
	if (!row->with_imm)
		c->at = x64_alu_rr(c->at, X64_CMP, X64_W64, guest(inst->ra), guest(inst->rb));
	else if (inst->imm_x == 0 && (row->cond == X64_E || row->cond == X64_NE))
		c->at = x64_test_rr(c->at, X64_W64, guest(inst->ra), guest(inst->ra));
	else
		c->at = x64_alu_ri(c->at, X64_CMP, X64_W64, guest(inst->ra), (int32_t)inst->imm_x);
	static_jump(c, row->cond, target);
}

static void jump(struct compiler *c, int64_t target)
{
	static_jump(c, -1, target);
}

/* Loads and stores: the address form, the direction and the width. A row
 * per op in a static table, so that where the op is a constant (every case
 * of decode_and_compile) the row is too, and memory_access folds to one form. */
enum access_form {
	ACCESS_ABSOLUTE,     /* load_* / store_*: ra, [x] */
	ACCESS_ABSOLUTE_IMM, /* store_imm_*: [x] = y */
	ACCESS_INDIRECT_IMM, /* store_imm_ind_*: [ra + x] = y */
	ACCESS_INDIRECT,     /* load_ind_* / store_ind_*: ra, [rb + x] */
};

struct access_row {
	uint8_t form; /* enum access_form */
	bool loads;
	uint8_t bytes;
	bool is_signed;
};

static const struct access_row access_rows[PVM_OP_COUNT] = {
	[PVM_OP_LOAD_U8] = {ACCESS_ABSOLUTE, true, 1, false},
	[PVM_OP_LOAD_I8] = {ACCESS_ABSOLUTE, true, 1, true},
	[PVM_OP_LOAD_U16] = {ACCESS_ABSOLUTE, true, 2, false},
	[PVM_OP_LOAD_I16] = {ACCESS_ABSOLUTE, true, 2, true},
	[PVM_OP_LOAD_U32] = {ACCESS_ABSOLUTE, true, 4, false},
	[PVM_OP_LOAD_I32] = {ACCESS_ABSOLUTE, true, 4, true},
	[PVM_OP_LOAD_U64] = {ACCESS_ABSOLUTE, true, 8, false},
	[PVM_OP_LOAD_IND_U8] = {ACCESS_INDIRECT, true, 1, false},
	[PVM_OP_LOAD_IND_I8] = {ACCESS_INDIRECT, true, 1, true},
	[PVM_OP_LOAD_IND_U16] = {ACCESS_INDIRECT, true, 2, false},
	[PVM_OP_LOAD_IND_I16] = {ACCESS_INDIRECT, true, 2, true},
	[PVM_OP_LOAD_IND_U32] = {ACCESS_INDIRECT, true, 4, false},
	[PVM_OP_LOAD_IND_I32] = {ACCESS_INDIRECT, true, 4, true},
	[PVM_OP_LOAD_IND_U64] = {ACCESS_INDIRECT, true, 8, false},
	[PVM_OP_STORE_U8] = {ACCESS_ABSOLUTE, false, 1, false},
	[PVM_OP_STORE_U16] = {ACCESS_ABSOLUTE, false, 2, false},
	[PVM_OP_STORE_U32] = {ACCESS_ABSOLUTE, false, 4, false},
	[PVM_OP_STORE_U64] = {ACCESS_ABSOLUTE, false, 8, false},
	[PVM_OP_STORE_IMM_U8] = {ACCESS_ABSOLUTE_IMM, false, 1, false},
	[PVM_OP_STORE_IMM_U16] = {ACCESS_ABSOLUTE_IMM, false, 2, false},
	[PVM_OP_STORE_IMM_U32] = {ACCESS_ABSOLUTE_IMM, false, 4, false},
	[PVM_OP_STORE_IMM_U64] = {ACCESS_ABSOLUTE_IMM, false, 8, false},
	[PVM_OP_STORE_IMM_IND_U8] = {ACCESS_INDIRECT_IMM, false, 1, false},
	[PVM_OP_STORE_IMM_IND_U16] = {ACCESS_INDIRECT_IMM, false, 2, false},
	[PVM_OP_STORE_IMM_IND_U32] = {ACCESS_INDIRECT_IMM, false, 4, false},
	[PVM_OP_STORE_IMM_IND_U64] = {ACCESS_INDIRECT_IMM, false, 8, false},
	[PVM_OP_STORE_IND_U8] = {ACCESS_INDIRECT, false, 1, false},
	[PVM_OP_STORE_IND_U16] = {ACCESS_INDIRECT, false, 2, false},
	[PVM_OP_STORE_IND_U32] = {ACCESS_INDIRECT, false, 4, false},
	[PVM_OP_STORE_IND_U64] = {ACCESS_INDIRECT, false, 8, false},
};

static void memory_access(struct compiler *c, const struct pvm_inst *inst)
{
	const struct access_row *row = &access_rows[inst->op];
	enum pvm_access need = row->loads ? PVM_ACCESS_READ : PVM_ACCESS_WRITE;
	/* The register the address is relative to, -1 for none. */
	int base = row->form == ACCESS_INDIRECT ? inst->rb : row->form == ACCESS_INDIRECT_IMM ? inst->ra : -1;
	check_page(c, base, (uint32_t)inst->imm_x, need);
	struct x64_mem mem = guest_address(c, base, (uint32_t)inst->imm_x);
	if (row->form == ACCESS_ABSOLUTE_IMM || row->form == ACCESS_INDIRECT_IMM)
		store_imm(c, mem, row->bytes, inst->imm_y);
	else if (row->loads)
		load(c, inst->ra, mem, row->bytes, row->is_signed);
	else
		store_reg(c, mem, row->bytes, inst->ra);
}

INLINE void instruction(struct compiler *c, const struct pvm_inst *inst)
{
	unsigned a = inst->ra, b = inst->rb, d = inst->rd;
	uint64_t x = inst->imm_x;
	enum x64_reg ra = guest(a), rb = guest(b), rd = guest(d);
	c->pc = inst->pc;
	switch ((enum pvm_op)inst->op) {
	case PVM_OP_LOAD_U8:
	case PVM_OP_LOAD_I8:
	case PVM_OP_LOAD_U16:
	case PVM_OP_LOAD_I16:
	case PVM_OP_LOAD_U32:
	case PVM_OP_LOAD_I32:
	case PVM_OP_LOAD_U64:
	case PVM_OP_LOAD_IND_U8:
	case PVM_OP_LOAD_IND_I8:
	case PVM_OP_LOAD_IND_U16:
	case PVM_OP_LOAD_IND_I16:
	case PVM_OP_LOAD_IND_U32:
	case PVM_OP_LOAD_IND_I32:
	case PVM_OP_LOAD_IND_U64:
	case PVM_OP_STORE_U8:
	case PVM_OP_STORE_U16:
	case PVM_OP_STORE_U32:
	case PVM_OP_STORE_U64:
	case PVM_OP_STORE_IMM_U8:
	case PVM_OP_STORE_IMM_U16:
	case PVM_OP_STORE_IMM_U32:
	case PVM_OP_STORE_IMM_U64:
	case PVM_OP_STORE_IMM_IND_U8:
	case PVM_OP_STORE_IMM_IND_U16:
	case PVM_OP_STORE_IMM_IND_U32:
	case PVM_OP_STORE_IMM_IND_U64:
	case PVM_OP_STORE_IND_U8:
	case PVM_OP_STORE_IND_U16:
	case PVM_OP_STORE_IND_U32:
	case PVM_OP_STORE_IND_U64:
		memory_access(c, inst);
		break;
	case PVM_OP_BRANCH_EQ_IMM:
	case PVM_OP_BRANCH_NE_IMM:
	case PVM_OP_BRANCH_LT_U_IMM:
	case PVM_OP_BRANCH_LE_U_IMM:
	case PVM_OP_BRANCH_GE_U_IMM:
	case PVM_OP_BRANCH_GT_U_IMM:
	case PVM_OP_BRANCH_LT_S_IMM:
	case PVM_OP_BRANCH_LE_S_IMM:
	case PVM_OP_BRANCH_GE_S_IMM:
	case PVM_OP_BRANCH_GT_S_IMM:
	case PVM_OP_BRANCH_EQ:
	case PVM_OP_BRANCH_NE:
	case PVM_OP_BRANCH_LT_U:
	case PVM_OP_BRANCH_LT_S:
	case PVM_OP_BRANCH_GE_U:
	case PVM_OP_BRANCH_GE_S:
		branch(c, inst);
		break;
	case PVM_OP_TRAP:
		exit_at(c, PVM_JIT_EXIT_PANIC, inst->pc);
		break;
	case PVM_OP_FALLTHROUGH:
	case PVM_OP_UNLIKELY:
		break;
	case PVM_OP_ECALLI:
		store_exit_pc(c, inst->pc);
		c->at = x64_mov_mi(c->at, X64_W64, CONTEXT_MEM(exit_argument), (int32_t)x);
		c->at = x64_jmp_to(c->at, c->exits[PVM_JIT_EXIT_HOST_CALL]);
		break;
	case PVM_OP_SBRK:
		exit_at(c, PVM_JIT_EXIT_SBRK, inst->pc);
		break;
	case PVM_OP_LOAD_IMM_64:
	case PVM_OP_LOAD_IMM:
		c->at = x64_mov_ri64(c->at, ra, x);
		break;
	case PVM_OP_JUMP:
		jump(c, (int64_t)x);
		break;
	case PVM_OP_LOAD_IMM_JUMP:
		c->at = x64_mov_ri64(c->at, ra, x);
		jump(c, (int64_t)inst->imm_y);
		break;
	case PVM_OP_JUMP_IND:
		dynamic_jump(c, a, x, false, 0, 0);
		break;
	case PVM_OP_LOAD_IMM_JUMP_IND:
		/* The address reads rb before ra is written: they may be one. */
		dynamic_jump(c, b, inst->imm_y, true, a, x);
		break;
	case PVM_OP_MOVE_REG:
		move(c, X64_W64, rd, ra);
		break;
	case PVM_OP_COUNT_SET_BITS_64:
		c->at = x64_bitcount_rr(c->at, X64_POPCNT, X64_W64, rd, ra);
		break;
	case PVM_OP_COUNT_SET_BITS_32:
		c->at = x64_bitcount_rr(c->at, X64_POPCNT, X64_W32, rd, ra);
		break;
	case PVM_OP_LEADING_ZERO_BITS_64:
		c->at = x64_bitcount_rr(c->at, X64_LZCNT, X64_W64, rd, ra);
		break;
	case PVM_OP_LEADING_ZERO_BITS_32:
		c->at = x64_bitcount_rr(c->at, X64_LZCNT, X64_W32, rd, ra);
		break;
	case PVM_OP_TRAILING_ZERO_BITS_64:
		c->at = x64_bitcount_rr(c->at, X64_TZCNT, X64_W64, rd, ra);
		break;
	case PVM_OP_TRAILING_ZERO_BITS_32:
		c->at = x64_bitcount_rr(c->at, X64_TZCNT, X64_W32, rd, ra);
		break;
	case PVM_OP_SIGN_EXTEND_8:
		c->at = x64_movsx_rr(c->at, X64_W64, rd, X64_W8, ra);
		break;
	case PVM_OP_SIGN_EXTEND_16:
		c->at = x64_movsx_rr(c->at, X64_W64, rd, X64_W16, ra);
		break;
	case PVM_OP_ZERO_EXTEND_16:
		c->at = x64_movzx_rr(c->at, X64_W32, rd, X64_W16, ra);
		break;
	case PVM_OP_REVERSE_BYTES:
		move(c, X64_W64, rd, ra);
		c->at = x64_bswap(c->at, X64_W64, rd);
		break;

	case PVM_OP_ADD_IMM_32:
		add_imm(c, X64_W32, a, b, x);
		break;
	case PVM_OP_ADD_IMM_64:
		add_imm(c, X64_W64, a, b, x);
		break;
	case PVM_OP_AND_IMM:
		alu_imm(c, X64_AND, X64_W64, a, b, x);
		break;
	case PVM_OP_XOR_IMM:
		alu_imm(c, X64_XOR, X64_W64, a, b, x);
		break;
	case PVM_OP_OR_IMM:
		alu_imm(c, X64_OR, X64_W64, a, b, x);
		break;
	case PVM_OP_MUL_IMM_32:
		c->at = x64_imul_rri(c->at, X64_W32, ra, rb, (int32_t)x);
		sign_extend_32(c, ra);
		break;
	case PVM_OP_MUL_IMM_64:
		c->at = x64_imul_rri(c->at, X64_W64, ra, rb, (int32_t)x);
		break;
	case PVM_OP_SET_LT_U_IMM:
		c->at = x64_alu_ri(c->at, X64_CMP, X64_W64, rb, (int32_t)x);
		set_flag(c, X64_B, a);
		break;
	case PVM_OP_SET_LT_S_IMM:
		c->at = x64_alu_ri(c->at, X64_CMP, X64_W64, rb, (int32_t)x);
		set_flag(c, X64_L, a);
		break;
	case PVM_OP_SET_GT_U_IMM:
		c->at = x64_alu_ri(c->at, X64_CMP, X64_W64, rb, (int32_t)x);
		set_flag(c, X64_A, a);
		break;
	case PVM_OP_SET_GT_S_IMM:
		c->at = x64_alu_ri(c->at, X64_CMP, X64_W64, rb, (int32_t)x);
		set_flag(c, X64_G, a);
		break;
	case PVM_OP_SHLO_L_IMM_32:
		shift_imm(c, X64_SHL, X64_W32, a, b, x);
		break;
	case PVM_OP_SHLO_R_IMM_32:
		shift_imm(c, X64_SHR, X64_W32, a, b, x);
		break;
	case PVM_OP_SHAR_R_IMM_32:
		shift_imm(c, X64_SAR, X64_W32, a, b, x);
		break;
	case PVM_OP_SHLO_L_IMM_64:
		shift_imm(c, X64_SHL, X64_W64, a, b, x);
		break;
	case PVM_OP_SHLO_R_IMM_64:
		shift_imm(c, X64_SHR, X64_W64, a, b, x);
		break;
	case PVM_OP_SHAR_R_IMM_64:
		shift_imm(c, X64_SAR, X64_W64, a, b, x);
		break;
	case PVM_OP_ROT_R_64_IMM:
		shift_imm(c, X64_ROR, X64_W64, a, b, x);
		break;
	case PVM_OP_ROT_R_32_IMM:
		shift_imm(c, X64_ROR, X64_W32, a, b, x);
		break;
	case PVM_OP_SHLO_L_IMM_ALT_32:
		shift_imm_alt(c, X64_SHL, X64_W32, a, b, x);
		break;
	case PVM_OP_SHLO_R_IMM_ALT_32:
		shift_imm_alt(c, X64_SHR, X64_W32, a, b, x);
		break;
	case PVM_OP_SHAR_R_IMM_ALT_32:
		shift_imm_alt(c, X64_SAR, X64_W32, a, b, x);
		break;
	case PVM_OP_SHLO_L_IMM_ALT_64:
		shift_imm_alt(c, X64_SHL, X64_W64, a, b, x);
		break;
	case PVM_OP_SHLO_R_IMM_ALT_64:
		shift_imm_alt(c, X64_SHR, X64_W64, a, b, x);
		break;
	case PVM_OP_SHAR_R_IMM_ALT_64:
		shift_imm_alt(c, X64_SAR, X64_W64, a, b, x);
		break;
	case PVM_OP_ROT_R_64_IMM_ALT:
		shift_imm_alt(c, X64_ROR, X64_W64, a, b, x);
		break;
	case PVM_OP_ROT_R_32_IMM_ALT:
		shift_imm_alt(c, X64_ROR, X64_W32, a, b, x);
		break;
	case PVM_OP_NEG_ADD_IMM_32:
	case PVM_OP_NEG_ADD_IMM_64: {
		enum x64_width w = inst->op == PVM_OP_NEG_ADD_IMM_32 ? X64_W32 : X64_W64;
		if (ra == rb) {
			c->at = x64_unary_r(c->at, X64_NEG, w, ra);
			if (x)
				c->at = x64_alu_ri(c->at, X64_ADD, w, ra, (int32_t)x);
		} else {
			c->at = x64_mov_ri64(c->at, ra, x);
			c->at = x64_alu_rr(c->at, X64_SUB, w, ra, rb);
		}
		if (w == X64_W32)
			sign_extend_32(c, ra);
		break;
	}
	case PVM_OP_CMOV_IZ_IMM:
	case PVM_OP_CMOV_NZ_IMM:
		c->at = x64_mov_ri64(c->at, SCRATCH, x);
		c->at = x64_test_rr(c->at, X64_W64, rb, rb);
		c->at = x64_cmovcc_rr(c->at, inst->op == PVM_OP_CMOV_IZ_IMM ? X64_E : X64_NE, X64_W64, ra, SCRATCH);
		break;

	case PVM_OP_ADD_32:
		alu3(c, X64_ADD, X64_W32, true, d, a, b);
		break;
	case PVM_OP_SUB_32:
		alu3(c, X64_SUB, X64_W32, false, d, a, b);
		break;
	case PVM_OP_ADD_64:
		if (rd != ra && rd != rb)
			c->at = x64_lea(c->at, X64_W64, rd, x64_mem_index(ra, rb, 1, 0));
		else
			alu3(c, X64_ADD, X64_W64, true, d, a, b);
		break;
	case PVM_OP_SUB_64:
		alu3(c, X64_SUB, X64_W64, false, d, a, b);
		break;
	case PVM_OP_AND:
		alu3(c, X64_AND, X64_W64, true, d, a, b);
		break;
	case PVM_OP_XOR:
		alu3(c, X64_XOR, X64_W64, true, d, a, b);
		break;
	case PVM_OP_OR:
		alu3(c, X64_OR, X64_W64, true, d, a, b);
		break;
	case PVM_OP_MUL_32:
		mul3(c, X64_W32, d, a, b);
		break;
	case PVM_OP_MUL_64:
		mul3(c, X64_W64, d, a, b);
		break;
	case PVM_OP_DIV_U_32:
		divide(c, (struct division){X64_W32, false, false}, d, a, b);
		break;
	case PVM_OP_DIV_S_32:
		divide(c, (struct division){X64_W32, true, false}, d, a, b);
		break;
	case PVM_OP_REM_U_32:
		divide(c, (struct division){X64_W32, false, true}, d, a, b);
		break;
	case PVM_OP_REM_S_32:
		divide(c, (struct division){X64_W32, true, true}, d, a, b);
		break;
	case PVM_OP_DIV_U_64:
		divide(c, (struct division){X64_W64, false, false}, d, a, b);
		break;
	case PVM_OP_DIV_S_64:
		divide(c, (struct division){X64_W64, true, false}, d, a, b);
		break;
	case PVM_OP_REM_U_64:
		divide(c, (struct division){X64_W64, false, true}, d, a, b);
		break;
	case PVM_OP_REM_S_64:
		divide(c, (struct division){X64_W64, true, true}, d, a, b);
		break;
	case PVM_OP_SHLO_L_32:
		shift3(c, X64_SHL, X64_W32, d, a, b);
		break;
	case PVM_OP_SHLO_R_32:
		shift3(c, X64_SHR, X64_W32, d, a, b);
		break;
	case PVM_OP_SHAR_R_32:
		shift3(c, X64_SAR, X64_W32, d, a, b);
		break;
	case PVM_OP_SHLO_L_64:
		shift3(c, X64_SHL, X64_W64, d, a, b);
		break;
	case PVM_OP_SHLO_R_64:
		shift3(c, X64_SHR, X64_W64, d, a, b);
		break;
	case PVM_OP_SHAR_R_64:
		shift3(c, X64_SAR, X64_W64, d, a, b);
		break;
	case PVM_OP_ROT_L_64:
		shift3(c, X64_ROL, X64_W64, d, a, b);
		break;
	case PVM_OP_ROT_L_32:
		shift3(c, X64_ROL, X64_W32, d, a, b);
		break;
	case PVM_OP_ROT_R_64:
		shift3(c, X64_ROR, X64_W64, d, a, b);
		break;
	case PVM_OP_ROT_R_32:
		shift3(c, X64_ROR, X64_W32, d, a, b);
		break;
	case PVM_OP_MUL_UPPER_S_S:
		mul_upper(c, UPPER_SS, d, a, b);
		break;
	case PVM_OP_MUL_UPPER_U_U:
		mul_upper(c, UPPER_UU, d, a, b);
		break;
	case PVM_OP_MUL_UPPER_S_U:
		mul_upper(c, UPPER_SU, d, a, b);
		break;
	case PVM_OP_SET_LT_U:
		c->at = x64_alu_rr(c->at, X64_CMP, X64_W64, ra, rb);
		set_flag(c, X64_B, d);
		break;
	case PVM_OP_SET_LT_S:
		c->at = x64_alu_rr(c->at, X64_CMP, X64_W64, ra, rb);
		set_flag(c, X64_L, d);
		break;
	case PVM_OP_CMOV_IZ:
	case PVM_OP_CMOV_NZ:
		c->at = x64_test_rr(c->at, X64_W64, rb, rb);
		c->at = x64_cmovcc_rr(c->at, inst->op == PVM_OP_CMOV_IZ ? X64_E : X64_NE, X64_W64, rd, ra);
		break;
	case PVM_OP_AND_INV: /* ra & ~rb: BMI1, which the backend requires */
		c->at = x64_andn(c->at, X64_W64, rd, rb, ra);
		break;
	case PVM_OP_OR_INV:
		c->at = x64_mov_rr(c->at, X64_W64, SCRATCH, rb);
		c->at = x64_unary_r(c->at, X64_NOT, X64_W64, SCRATCH);
		c->at = x64_alu_rr(c->at, X64_OR, X64_W64, SCRATCH, ra);
		c->at = x64_mov_rr(c->at, X64_W64, rd, SCRATCH);
		break;
	case PVM_OP_XNOR:
		c->at = x64_mov_rr(c->at, X64_W64, SCRATCH, ra);
		c->at = x64_alu_rr(c->at, X64_XOR, X64_W64, SCRATCH, rb);
		c->at = x64_unary_r(c->at, X64_NOT, X64_W64, SCRATCH);
		c->at = x64_mov_rr(c->at, X64_W64, rd, SCRATCH);
		break;
	case PVM_OP_MAX:
		select3(c, X64_L, d, a, b);
		break;
	case PVM_OP_MAX_U:
		select3(c, X64_B, d, a, b);
		break;
	case PVM_OP_MIN:
		select3(c, X64_G, d, a, b);
		break;
	case PVM_OP_MIN_U:
		select3(c, X64_A, d, a, b);
		break;
	default:
		/* Every op is handled above; an unknown one traps. */
		exit_at(c, PVM_JIT_EXIT_PANIC, inst->pc);
		break;
	}
}

/* Decodes the instruction at pc and compiles it, with one indirect branch:
 * each case knows its op and argument class as constants, so the decoding
 * folds to that class's few loads and instruction() to that op's case. A
 * separate decode (pvm_decode) would add a second, as unpredictable, switch. */
INLINE void decode_and_compile(struct compiler *c, const struct pvm_code *code, uint32_t pc, uint32_t skip,
			       enum pvm_op op, bool defined)
{
	struct pvm_inst inst;
	switch (op) {
#define COMPILE(name, text, args, ...)                                                         \
	case PVM_OP_##name:                                                                    \
		pvm_decode_as(code, pc, skip, PVM_OP_##name, defined, PVM_ARGS_##args, &inst); \
		instruction(c, &inst);                                                         \
		break;
		PVM_INSTRUCTIONS(COMPILE)
#undef COMPILE
	case PVM_OP_COUNT:
		break;
	}
}

/* ---- stubs and patches ------------------------------------------------------------ */

static void emit_stub(struct compiler *c, const struct stub *stub)
{
	x64_patch_rel32(c->start + stub->field, c->at);
	switch ((enum stub_kind)stub->kind) {
	case STUB_PANIC:
		exit_at(c, PVM_JIT_EXIT_PANIC, stub->pc);
		break;
	case STUB_DYNAMIC: {
		c->at = x64_alu_ri(c->at, X64_CMP, X64_W32, SCRATCH, (int32_t)HALT_INDEX);
		c->at = x64_jcc_rel8(c->at, X64_NE, 0);
		uint8_t *panic = c->at - 1;
		exit_at(c, PVM_JIT_EXIT_HALT, stub->pc);
		x64_patch_rel8(panic, c->at);
		exit_at(c, PVM_JIT_EXIT_PANIC, stub->pc);
		break;
	}
	case STUB_GAS_REFUND:
		gas_alu(c, X64_ADD, false, stub->cost);
		exit_at(c, PVM_JIT_EXIT_OUT_OF_GAS, stub->pc);
		break;
	case STUB_GAS_REFUND_CX:
		gas_alu(c, X64_ADD, true, 0);
		exit_at(c, PVM_JIT_EXIT_OUT_OF_GAS, stub->pc);
		break;
	case STUB_GAS:
		exit_at(c, PVM_JIT_EXIT_OUT_OF_GAS, stub->pc);
		break;
	case STUB_FAULT:
		exit_at(c, PVM_JIT_EXIT_FAULT, stub->pc);
		break;
	}
}

/* ---- the pass ------------------------------------------------------------------------- */

/* At most this many forward jumps per instruction (a branch's, or
 * load_imm_jump's). */
#define FORWARD_PER_INST 1

INLINE void release_scratch(struct compiler *c, const struct pvm_allocator *allocator)
{
	pvm_release(allocator, c->entries, (size_t)c->program->jump_target_count * sizeof *c->entries);
	pvm_release(allocator, c->forward, (size_t)c->forward_capacity * sizeof *c->forward);
	pvm_release(allocator, c->stubs, (size_t)c->stub_capacity * sizeof *c->stubs);
	pvm_release(allocator, c->loop_heads, (size_t)c->program->code.length / 8 + 1);
}

/* pvm_code_skip for pc, and pvm_code_op for the instruction after it.
 * Away from the end one load of the bitmask does both: the bit that ends
 * the skip marks the next opcode, and where the 25 bits hold none, the
 * next offset is unmarked, a trap. */
INLINE enum pvm_op step_to_next(const struct pvm_code *code, uint32_t pc, uint32_t *skip, bool *defined)
{
	uint64_t start = (uint64_t)pc + 1;
	if (start + 64 > code->length) {
		*skip = pvm_code_skip(code, pc);
		return pvm_code_op(code, pc + 1 + *skip, defined);
	}
	uint64_t bits = pvm_load_le64(code->bitmask + (start >> 3)) >> (start & 7);
	*skip = (uint32_t)__builtin_ctzll(bits | 1ull << PVM_MAX_SKIP);
	uint8_t byte = code->bytes[start + *skip];
	*defined = ((bits >> *skip) & 1) && code->map->valid[byte];
	return *defined ? (enum pvm_op)code->map->op_of_byte[byte] : PVM_OP_TRAP;
}

/* Before each block: room for the most stubs and forward jumps its
 * instructions (and its gas charge) can add, which is what keeps the
 * emitters free of checks. */
INLINE bool grow_scratch(struct compiler *c, const struct pvm_allocator *allocator, uint32_t instructions)
{
	void *stubs = c->stubs, *forward = c->forward;
	bool room = pvm_array_reserve(allocator, &stubs, &c->stub_capacity, c->stub_count,
				      STUBS_PER_INST * instructions + 1, sizeof *c->stubs) &&
		    pvm_array_reserve(allocator, &forward, &c->forward_capacity, c->forward_count,
				      FORWARD_PER_INST * instructions, sizeof *c->forward);
	c->stubs = stubs;
	c->forward = forward;
	return room;
}

int pvm_jit_compile(struct pvm_jit_code *code, const struct pvm_program *program, const struct pvm_jit_options *options,
		    uint8_t *buffer, size_t capacity, const struct pvm_allocator *allocator, struct pvm_error *error)
{
	*code = (struct pvm_jit_code){.program = program, .options = *options, .bytes = buffer};
	if (options->memory >= PVM_JIT_MEMORY_COUNT || options->gas >= PVM_JIT_GAS_COUNT ||
	    options->gas_home >= PVM_JIT_GAS_HOME_COUNT || options->anchor >= PVM_JIT_ANCHOR_COUNT ||
	    (options->gas_home == PVM_JIT_GAS_IN_R15 && options->anchor != PVM_JIT_ANCHOR_GS)) {
		pvm_error_set(error, 0,
			      "unknown compiler options (memory model %u, gas metering %u in %u, anchor %u; the "
			      "balance can be in r15 only with the anchor in GS)",
			      (unsigned)options->memory, (unsigned)options->gas, (unsigned)options->gas_home,
			      (unsigned)options->anchor);
		return -1;
	}
	if (program->blob.jump_count > MAX_JUMP_COUNT) {
		pvm_error_set(error, 0, "jump table of %u entries is larger than the compiler supports (%u)",
			      program->blob.jump_count, MAX_JUMP_COUNT);
		return -1;
	}
	if (capacity < pvm_jit_capacity(program, options)) {
		pvm_error_set(error, 0, "code buffer of %llu bytes is smaller than the %llu the program may need",
			      (unsigned long long)capacity, (unsigned long long)pvm_jit_capacity(program, options));
		return -1;
	}
	/* A first guess at the scratch a program needs: a gas stub per block
	 * and a few more for its jumps. */
	struct compiler c = {
		.program = program,
		.options = *options,
		.start = buffer,
		.at = buffer,
		.stub_capacity = program->block_count + program->instruction_count / 8 + STUBS_PER_INST + 1,
		.forward_capacity = program->instruction_count / 16 + FORWARD_PER_INST,
	};
	c.entries = pvm_allocate(allocator, (size_t)program->jump_target_count * sizeof *c.entries);
	c.forward = pvm_allocate(allocator, (size_t)c.forward_capacity * sizeof *c.forward);
	c.stubs = pvm_allocate(allocator, (size_t)c.stub_capacity * sizeof *c.stubs);
	code->sites = pvm_allocate(allocator, (size_t)program->instruction_count * sizeof *code->sites);
	code->jump_count = program->blob.jump_count;
	code->jump_offsets = pvm_allocate(allocator, (size_t)code->jump_count * sizeof *code->jump_offsets);
	if (options->gas == PVM_JIT_GAS_ASYNC) {
		c.loop_heads = pvm_allocate(allocator, (size_t)program->code.length / 8 + 1);
		if (c.loop_heads)
			find_loop_heads(c.loop_heads, program);
	}
	if (!c.entries || !c.forward || !c.stubs || !code->sites || !code->jump_offsets ||
	    (options->gas == PVM_JIT_GAS_ASYNC && !c.loop_heads)) {
		release_scratch(&c, allocator);
		pvm_jit_free(code, allocator);
		pvm_error_set(error, 0, "out of memory compiling %u instructions", program->instruction_count);
		return -1;
	}

	code->enter_offset = offset_of(&c, c.at);
	emit_enter(&c);
	emit_exits(&c);
	code->fault_offset = offset_of(&c, c.exits[PVM_JIT_EXIT_FAULT]);

	/* Blocks are contiguous from 0. The next instruction's op is read
	 * before this one's dispatch: when that indirect branch mispredicts,
	 * the next one's target is already known rather than a chain of
	 * dependent loads away. */
	/* The code in a local: every byte the emitters write may alias
	 * anything, so what is read through the program would be read again
	 * after each. */
	const struct pvm_code walk = program->code;
	uint32_t pc = 0;
	bool defined;
	enum pvm_op op = pvm_code_op(&walk, pc, &defined);
	struct pvm_jit_site *site = code->sites;
	const bool step = options->step;
	for (uint32_t b = 0; b < program->block_count; b++) {
		const struct pvm_block *block = &program->blocks[b];
		if (!grow_scratch(&c, allocator, block->count)) {
			release_scratch(&c, allocator);
			pvm_jit_free(code, allocator);
			pvm_error_set(error, pc, "out of memory compiling the block at pc %u", pc);
			return -1;
		}
		for (uint32_t i = 0, count = block->count; i < count; i++, site++) {
			uint32_t skip;
			bool next_defined;
			enum pvm_op next_op = step_to_next(&walk, pc, &skip, &next_defined);
			uint32_t next = pc + 1 + skip;
			uint32_t entry = offset_of(&c, c.at);
			site->pc = pc;
			site->entry = entry;
			if (step)
				exit_at(&c, PVM_JIT_EXIT_STEP, pc);
			site->charge = offset_of(&c, c.at);
			if (i == 0) {
				if (pvm_program_is_jump_target(program, pc))
					*entry_of(&c, pc) = entry;
				charge_block(&c, block);
			}
			site->body = offset_of(&c, c.at);
			decode_and_compile(&c, &walk, pc, skip, op, defined);
			pc = next;
			op = next_op;
			defined = next_defined;
		}
	}
	code->site_count = (uint32_t)(site - code->sites);
	code->cold_offset = offset_of(&c, c.at);
	for (uint32_t i = 0; i < c.stub_count; i++)
		emit_stub(&c, &c.stubs[i]);
	for (uint32_t i = 0; i < c.forward_count; i++)
		x64_patch_rel32(c.start + c.forward[i].field, c.start + *entry_of(&c, c.forward[i].target_pc));
	for (uint32_t j = 0; j < code->jump_count; j++) {
		uint32_t target = pvm_blob_jump_entry(&program->blob, j);
		code->jump_offsets[j] = pvm_program_is_jump_target(program, target)
						? *entry_of(&c, target)
						: offset_of(&c, c.exits[PVM_JIT_EXIT_PANIC]);
	}
	code->size = offset_of(&c, c.at);
	release_scratch(&c, allocator);
	return 0;
}

void pvm_jit_free(struct pvm_jit_code *code, const struct pvm_allocator *allocator)
{
	if (!code->program)
		return;
	pvm_release(allocator, code->sites, (size_t)code->program->instruction_count * sizeof *code->sites);
	pvm_release(allocator, code->jump_offsets, (size_t)code->jump_count * sizeof *code->jump_offsets);
	code->sites = NULL;
	code->jump_offsets = NULL;
}

void pvm_jit_fill_jump_table(const struct pvm_jit_code *code, uint64_t code_address, uint64_t *table)
{
	for (uint32_t j = 0; j < code->jump_count; j++)
		table[j] = code_address + code->jump_offsets[j];
}

const struct pvm_jit_site *pvm_jit_site_at(const struct pvm_jit_code *code, uint32_t pc)
{
	uint32_t low = 0, high = code->site_count;
	while (low < high) {
		uint32_t middle = low + (high - low) / 2;
		if (code->sites[middle].pc < pc)
			low = middle + 1;
		else
			high = middle;
	}
	return low < code->site_count && code->sites[low].pc == pc ? &code->sites[low] : NULL;
}

const struct pvm_jit_site *pvm_jit_site_containing(const struct pvm_jit_code *code, uint32_t offset)
{
	if (code->site_count == 0 || offset < code->sites[0].entry || offset >= code->cold_offset)
		return NULL;
	uint32_t low = 0, high = code->site_count;
	while (high - low > 1) {
		uint32_t middle = low + (high - low) / 2;
		if (code->sites[middle].entry <= offset)
			low = middle;
		else
			high = middle;
	}
	return &code->sites[low];
}

bool pvm_inst_access(const struct pvm_inst *inst, const uint64_t regs[PVM_REGISTER_COUNT], uint32_t *address,
		     uint32_t *width, bool *write)
{
	const struct pvm_op_info *info = &pvm_ops[inst->op];
	if (!(info->flags & (PVM_LOAD | PVM_STORE)))
		return false;
	switch (info->args) {
	case PVM_ARGS_REG_IMM:
	case PVM_ARGS_IMM2:
		*address = (uint32_t)inst->imm_x;
		break;
	case PVM_ARGS_REG_IMM2:
		*address = (uint32_t)(regs[inst->ra] + inst->imm_x);
		break;
	case PVM_ARGS_REG2_IMM:
		*address = (uint32_t)(regs[inst->rb] + inst->imm_x);
		break;
	default:
		return false;
	}
	*width = info->width;
	*write = (info->flags & PVM_STORE) != 0;
	return true;
}
