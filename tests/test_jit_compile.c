/* The compiler on its own (core/jit.c), without running anything: every
 * instruction of both numberings, with the operands that make its code
 * longest (rax and rdx, which mul and div borrow; the same register three
 * times; immediates at their limits), compiled in every mode. The code of
 * each instruction must fit the room reserved for it, the whole must fit
 * pvm_jit_capacity, and the maps between pcs and native offsets must agree
 * with each other. Running compiled code is tests/test_jit_host.c's. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "core/gas.h"
#include "core/jit.h"
#include "core/program.h"
#include "loader/allocator.h"
#include "loader/builder.h"

/* Guest registers 0 and 12 live in rax and rdx. */
static const uint8_t register_sets[][3] = {
	{0, 12, 5}, {12, 0, 0}, {7, 7, 7}, {0, 0, 0}, {12, 12, 12}, {3, 8, 12}, {1, 2, 3},
};
/* Immediates are at most 4 bytes, sign-extended. */
static const uint64_t immediates[] = {0, 1, UINT64_MAX, 0x7FFFFFFF, 0xFFFFFFFF80000000ull, 63, 0x12345678};

struct compiled {
	struct pvm_program program;
	uint8_t *blob;
	uint8_t *buffer;
	struct pvm_jit_code code;
};

/* One instruction, then a trap; branches and jumps go to the trap (a jump
 * target) and to pc 0 (a jump target too), dynamic jumps through a table. */
static bool build(enum pvm_isa isa, unsigned op, const uint8_t regs[3], uint64_t imm, uint8_t **blob, size_t *length)
{
	struct builder builder;
	builder_init(&builder, isa);
	uint32_t end = builder_new_label(&builder);
	/* Which fields each argument class has: the builder insists the rest
	 * are 0. A target goes in imm_y for the classes with an immediate
	 * before it, else in imm_x. */
	static const struct {
		bool ra, rb, rd, x, y;
	} fields[PVM_ARGS_COUNT] = {
		[PVM_ARGS_IMM] = {.x = true},
		[PVM_ARGS_REG_IMM64] = {.ra = true, .x = true},
		[PVM_ARGS_IMM2] = {.x = true, .y = true},
		[PVM_ARGS_REG_IMM] = {.ra = true, .x = true},
		[PVM_ARGS_REG_IMM2] = {.ra = true, .x = true, .y = true},
		[PVM_ARGS_REG_IMM_OFFSET] = {.ra = true, .x = true},
		[PVM_ARGS_REG2] = {.ra = true, .rd = true},
		[PVM_ARGS_REG2_IMM] = {.ra = true, .rb = true, .x = true},
		[PVM_ARGS_REG2_OFFSET] = {.ra = true, .rb = true},
		[PVM_ARGS_REG2_IMM2] = {.ra = true, .rb = true, .x = true, .y = true},
		[PVM_ARGS_REG3] = {.ra = true, .rb = true, .rd = true},
	};
	unsigned args = pvm_ops[op].args;
	struct pvm_inst inst = {
		.op = (uint8_t)op,
		.ra = fields[args].ra ? regs[0] : 0,
		.rb = fields[args].rb ? regs[1] : 0,
		.rd = fields[args].rd ? regs[2] : 0,
		.imm_x = !fields[args].x              ? 0
			 : args == PVM_ARGS_REG_IMM64 ? imm * 0x9E3779B97F4A7C15ull
						      : imm,
		.imm_y = fields[args].y ? ~imm : 0,
	};
	bool has_target = pvm_ops[op].args == PVM_ARGS_OFFSET || pvm_ops[op].args == PVM_ARGS_REG_IMM_OFFSET ||
			  pvm_ops[op].args == PVM_ARGS_REG2_OFFSET;
	bool ok = builder_append(&builder, &inst, has_target ? end : BUILDER_NO_LABEL) == 0 &&
		  builder_place_label(&builder, end) == 0 &&
		  builder_append(&builder, &(struct pvm_inst){.op = PVM_OP_TRAP}, BUILDER_NO_LABEL) == 0 &&
		  builder_jump_entry(&builder, end) == 0 && builder_jump_entry_value(&builder, 3) == 0;
	struct builder_error error;
	ok = ok && builder_finish(&builder, blob, length, &error) == 0;
	builder_release(&builder);
	return ok;
}

static void compile(struct compiled *out, const uint8_t *blob, size_t length, enum pvm_isa isa,
		    const struct pvm_jit_options *options, uint64_t cost)
{
	struct pvm_error error;
	cr_assert_eq(pvm_program_init(&out->program, blob, length, isa, &libc_allocator, &error), 0, "%s",
		     error.message);
	struct pvm_gas_model model = {.kind = PVM_GAS_PER_INSTRUCTION};
	cr_assert_eq(pvm_gas_cost_blocks(&out->program, &model, &error), 0, "%s", error.message);
	for (uint32_t b = 0; b < out->program.block_count; b++)
		out->program.blocks[b].cost = cost;
	size_t capacity = pvm_jit_capacity(&out->program, options);
	out->buffer = malloc(capacity);
	cr_assert_not_null(out->buffer);
	cr_assert_eq(
		pvm_jit_compile(&out->code, &out->program, options, out->buffer, capacity, &libc_allocator, &error), 0,
		"%s", error.message);
	cr_assert_leq(out->code.size, capacity);
}

static void release(struct compiled *compiled)
{
	pvm_jit_free(&compiled->code, &libc_allocator);
	pvm_program_free(&compiled->program, &libc_allocator);
	free(compiled->buffer);
}

/* Every site's code, from its entry to the next one's, fits the room
 * reserved per instruction; the maps find every site both ways. */
static void check_sites(const struct pvm_jit_code *code, const char *what)
{
	cr_assert_gt(code->site_count, 0);
	for (uint32_t i = 0; i < code->site_count; i++) {
		const struct pvm_jit_site *site = &code->sites[i];
		uint32_t end = i + 1 < code->site_count ? code->sites[i + 1].entry : code->cold_offset;
		cr_assert(site->entry <= site->charge && site->charge <= site->body && site->body <= end,
			  "%s: pc %u: entry %u charge %u body %u end %u out of order", what, site->pc, site->entry,
			  site->charge, site->body, end);
		cr_assert_leq(end - site->entry, PVM_JIT_INSTRUCTION_BYTES, "%s: pc %u takes %u bytes", what, site->pc,
			      end - site->entry);
		cr_assert_eq(pvm_jit_site_at(code, site->pc), site, "%s: pc %u", what, site->pc);
		for (uint32_t offset = site->entry; offset < end; offset++)
			cr_assert_eq(pvm_jit_site_containing(code, offset), site, "%s: offset %u", what, offset);
	}
	cr_assert_null(pvm_jit_site_containing(code, code->sites[0].entry - 1));
	cr_assert_null(pvm_jit_site_containing(code, code->cold_offset));
	cr_assert_leq(code->size - code->cold_offset,
		      PVM_JIT_STUBS_PER_INSTRUCTION * PVM_JIT_STUB_BYTES * code->site_count +
			      PVM_JIT_STUB_BYTES * code->program->block_count,
		      "%s: the stubs outgrew their room", what);
}

#define MODE(memory_model, metering, ...)                                                           \
	{                                                                                           \
		.memory = PVM_JIT_MEMORY_##memory_model, .gas = PVM_JIT_GAS_##metering, __VA_ARGS__ \
	}

static const struct pvm_jit_options modes[] = {
	MODE(BASE, SYNC),
	MODE(BASE, ASYNC),
	MODE(BASE, NONE),
	MODE(BASE, SYNC, .step = true),
	MODE(ABSOLUTE, SYNC, .step = true),
	MODE(ABSOLUTE, ASYNC),
	/* page-checking code, as for paged instances in this process and in a sandbox */
	MODE(BASE, SYNC, .page_table = -(1 << 21)),
	MODE(ABSOLUTE, SYNC, .page_table = 65536),
	/* the balance in rsp, as in a sandbox; the anchor in GS and the balance in r15, as in this process */
	MODE(ABSOLUTE, SYNC, .gas_home = PVM_JIT_GAS_IN_RSP),
	MODE(ABSOLUTE, ASYNC, .gas_home = PVM_JIT_GAS_IN_RSP),
	MODE(ABSOLUTE, SYNC, .gas_home = PVM_JIT_GAS_IN_RSP, .step = true, .page_table = 65536),
	MODE(BASE, SYNC, .gas_home = PVM_JIT_GAS_IN_R15, .anchor = PVM_JIT_ANCHOR_GS),
	MODE(BASE, ASYNC, .gas_home = PVM_JIT_GAS_IN_R15, .anchor = PVM_JIT_ANCHOR_GS),
	MODE(BASE, NONE, .anchor = PVM_JIT_ANCHOR_GS),
	MODE(BASE, SYNC, .gas_home = PVM_JIT_GAS_IN_R15, .anchor = PVM_JIT_ANCHOR_GS, .step = true,
	     .page_table = -(1 << 21)),
};

/* Block costs that take each form of the charge: imm8, imm32, a register,
 * and more than any balance. */
static const uint64_t costs[] = {1, 100000, 1ull << 40, UINT64_MAX};

Test(jit_compile, every_instruction_fits_its_room)
{
	unsigned compiled_count = 0;
	for (int isa = 0; isa < PVM_ISA_COUNT; isa++) {
		for (unsigned op = 0; op < PVM_OP_COUNT; op++) {
			if (pvm_ops[op].opcode[isa] == PVM_NO_OPCODE)
				continue;
			for (size_t r = 0; r < sizeof register_sets / sizeof register_sets[0]; r++) {
				for (size_t i = 0; i < sizeof immediates / sizeof immediates[0]; i++) {
					uint8_t *blob;
					size_t length;
					cr_assert(build((enum pvm_isa)isa, op, register_sets[r], immediates[i], &blob,
							&length),
						  "%s: cannot build", pvm_ops[op].name);
					for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
						struct compiled compiled;
						compile(&compiled, blob, length, (enum pvm_isa)isa, &modes[m],
							costs[(r + i + m) % 4]);
						check_sites(&compiled.code, pvm_ops[op].name);
						release(&compiled);
						compiled_count++;
					}
					free(blob);
				}
			}
		}
	}
	cr_assert_gt(compiled_count, 5000);
}

Test(jit_compile, step_mode_enters_after_the_step_point)
{
	uint8_t *blob;
	size_t length;
	cr_assert(build(PVM_ISA_GP07, PVM_OP_ADD_64, register_sets[0], 0, &blob, &length));
	struct compiled plain, step;
	compile(&plain, blob, length, PVM_ISA_GP07, &modes[0], 1);
	compile(&step, blob, length, PVM_ISA_GP07, &modes[3], 1);
	for (uint32_t i = 0; i < plain.code.site_count; i++) {
		cr_assert_eq(plain.code.sites[i].entry, plain.code.sites[i].charge);
		cr_assert_lt(step.code.sites[i].entry, step.code.sites[i].charge);
	}
	release(&plain);
	release(&step);
	free(blob);
}

Test(jit_compile, jump_table_entries_point_at_block_entries)
{
	uint8_t *blob;
	size_t length;
	cr_assert(build(PVM_ISA_GP07, PVM_OP_JUMP_IND, register_sets[0], 0, &blob, &length));
	struct compiled compiled;
	compile(&compiled, blob, length, PVM_ISA_GP07, &modes[0], 1);
	cr_assert_eq(compiled.code.jump_count, 2);
	/* Entry 0 is the trap's block (the second instruction); entry 1
	 * (offset 3) is no instruction's start. */
	const struct pvm_jit_site *trap = &compiled.code.sites[1];
	cr_assert_eq(compiled.code.jump_offsets[0], trap->entry);
	cr_assert_lt(compiled.code.jump_offsets[1], compiled.code.sites[0].entry, "a bad entry goes to a trampoline");
	uint64_t table[2];
	pvm_jit_fill_jump_table(&compiled.code, 0x100000, table);
	cr_assert_eq(table[0], 0x100000 + trap->entry);
	release(&compiled);
	free(blob);
}

Test(jit_compile, memory_access_of_each_form)
{
	uint64_t regs[PVM_REGISTER_COUNT] = {0};
	regs[3] = 0xFFFFFFF0;
	uint32_t address, width;
	bool write;
	struct pvm_inst load_ind = {.op = PVM_OP_LOAD_IND_U32, .ra = 1, .rb = 3, .imm_x = 0x20};
	cr_assert(pvm_inst_access(&load_ind, regs, &address, &width, &write));
	cr_assert_eq(address, 0x10, "the address wraps at 2^32");
	cr_assert_eq(width, 4);
	cr_assert(!write);
	struct pvm_inst store_imm = {.op = PVM_OP_STORE_IMM_U16, .imm_x = 0x20000, .imm_y = 7};
	cr_assert(pvm_inst_access(&store_imm, regs, &address, &width, &write));
	cr_assert_eq(address, 0x20000);
	cr_assert_eq(width, 2);
	cr_assert(write);
	struct pvm_inst store_imm_ind = {.op = PVM_OP_STORE_IMM_IND_U64, .ra = 3, .imm_x = 0x10};
	cr_assert(pvm_inst_access(&store_imm_ind, regs, &address, &width, &write));
	cr_assert_eq(address, 0);
	cr_assert_eq(width, 8);
	struct pvm_inst add = {.op = PVM_OP_ADD_64};
	cr_assert(!pvm_inst_access(&add, regs, &address, &width, &write));
	struct pvm_inst jump_ind = {.op = PVM_OP_JUMP_IND, .ra = 3};
	cr_assert(!pvm_inst_access(&jump_ind, regs, &address, &width, &write), "a dynamic jump reads no memory");
}
