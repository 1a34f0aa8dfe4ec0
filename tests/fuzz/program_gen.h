/* Valid PVM programs from fuzz bytes, for differential fuzzing: every
 * instruction of the chosen numbering can appear with any registers and
 * with immediates drawn from the values where semantics have edges (0, -1,
 * sign and width boundaries, shift counts, addresses at the ends of the
 * mapped pages, accesses that cross a page boundary, and every one of the
 * last eight bytes of the 4 GiB space, where accesses wrap); jumps and branches go to block
 * starts, dynamic jumps through registers loaded with jump-table addresses
 * (a valid entry, the halt address, or an invalid one), host calls, and
 * loops that only a tight gas budget ends. The code is laid out by the same
 * builder the assembler and linker use, so every program decodes and
 * validates. Only a harness includes it, once. */
#ifndef FUZZ_PROGRAM_GEN_H
#define FUZZ_PROGRAM_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/isa.h"
#include "loader/builder.h"

#define GEN_MAX_BLOCKS  16
#define GEN_MAX_ENTRIES 8
#define GEN_MAX_BODY    12

struct gen_input {
	const uint8_t *data;
	size_t size, at;
};

static uint8_t gen_byte(struct gen_input *in)
{
	return in->at < in->size ? in->data[in->at++] : 0;
}

static uint64_t gen_bytes(struct gen_input *in, unsigned count)
{
	uint64_t value = 0;
	for (unsigned i = 0; i < count; i++)
		value |= (uint64_t)gen_byte(in) << (8 * i);
	return value;
}

/* Where the semantics of the PVM's arithmetic, shifts, comparisons and
 * memory accesses change: immediates are 32 bits, sign-extended. */
static const int64_t gen_edges[] = {
	0,
	1,
	2,
	-1,
	-2,
	7,
	8,
	15,
	16,
	31,
	32,
	33,
	63,
	64,
	0x7F,
	0x80,
	0xFF,
	0x100,
	0x7FFF,
	0x8000,
	0xFFFF,
	0x10000,
	0x7FFFFFFF,
	INT32_MIN,
	-0x7FFFFFFF,
	/* the pages differential.h maps, their ends, and just past them */
	0x20000,
	0x20001,
	0x20FF8,
	0x20FFF,
	0x21FF8,
	0x21FFC,
	0x21FFF,
	0x22000,
	0x1FFFF,
	0x30000,
	0x31FF9,
	0x32000,
	0xFFFF,
	0x10000 - 8,
	/* accesses that cross from one page into the next: from read-write
	 * into read-write, read-write into unmapped, unmapped into read-only
	 * and read-only into unmapped */
	0x20FFD,
	0x21FFE,
	0x2FFFE,
	0x31FFD,
	/* offsets from a base at a page start (r3 starts at 0xFFFFF000) */
	0xFF9,
	0xFFC,
	0xFFD,
	0x1000,
	/* the top of the 4 GiB space, where addresses wrap: every byte of the
	 * last eight, the top pages (differential.h may map them) and the
	 * crossing between them */
	-1,
	-2,
	-3,
	-4,
	-5,
	-6,
	-7,
	-8,
	-0x1000,
	-0x1001,
	-0x1004,
	-0x2000,
	-0x10000,
	-0x20000,
};

#define GEN_EDGE_COUNT (sizeof gen_edges / sizeof gen_edges[0])

/* A 32-bit immediate (sign-extended), mostly an edge, sometimes anything. */
static uint64_t gen_imm(struct gen_input *in)
{
	uint8_t pick = gen_byte(in);
	if (pick < 0xE0)
		return (uint64_t)gen_edges[pick % GEN_EDGE_COUNT];
	return (uint64_t)(int64_t)(int32_t)gen_bytes(in, 4);
}

static uint8_t gen_reg(struct gen_input *in)
{
	return gen_byte(in) % 13;
}

struct gen_program {
	enum pvm_isa isa;
	uint8_t body_ops[PVM_OP_COUNT]; /* instructions that do not end a block */
	unsigned body_count;
	/* Among them, the loads and stores: where the ways of running differ
	 * most, drawn (with host calls) more often than their share. */
	uint8_t access_ops[PVM_OP_COUNT];
	unsigned access_count;
	uint32_t blocks[GEN_MAX_BLOCKS];
	unsigned block_count;
	unsigned entry_count;
};

static bool gen_usable(enum pvm_isa isa, unsigned op)
{
	return pvm_ops[op].opcode[isa] != PVM_NO_OPCODE;
}

/* Fills the fields an instruction's argument class has. Targets are left
 * to the caller (a label). */
static void gen_operands(struct gen_input *in, struct pvm_inst *inst)
{
	switch (pvm_ops[inst->op].args) {
	case PVM_ARGS_NONE:
	case PVM_ARGS_OFFSET:
		break;
	case PVM_ARGS_IMM:
		inst->imm_x = gen_byte(in) % 4; /* host call index */
		break;
	case PVM_ARGS_REG_IMM64:
		inst->ra = gen_reg(in);
		inst->imm_x = gen_byte(in) & 1 ? gen_bytes(in, 8) : gen_imm(in);
		break;
	case PVM_ARGS_IMM2:
		inst->imm_x = gen_imm(in);
		inst->imm_y = gen_imm(in);
		break;
	case PVM_ARGS_REG_IMM:
	case PVM_ARGS_REG_IMM_OFFSET:
		inst->ra = gen_reg(in);
		inst->imm_x = gen_imm(in);
		break;
	case PVM_ARGS_REG_IMM2:
		inst->ra = gen_reg(in);
		inst->imm_x = gen_imm(in);
		inst->imm_y = gen_imm(in);
		break;
	case PVM_ARGS_REG2:
		inst->rd = gen_reg(in);
		inst->ra = gen_reg(in);
		break;
	case PVM_ARGS_REG2_IMM:
	case PVM_ARGS_REG2_OFFSET:
		inst->ra = gen_reg(in);
		inst->rb = gen_reg(in);
		if (pvm_ops[inst->op].args == PVM_ARGS_REG2_IMM)
			inst->imm_x = gen_imm(in);
		break;
	case PVM_ARGS_REG2_IMM2:
		inst->ra = gen_reg(in);
		inst->rb = gen_reg(in);
		inst->imm_x = gen_imm(in);
		inst->imm_y = gen_imm(in);
		break;
	case PVM_ARGS_REG3:
		inst->rd = gen_reg(in);
		inst->ra = gen_reg(in);
		inst->rb = gen_reg(in);
		break;
	case PVM_ARGS_COUNT:
		break;
	}
}

static struct pvm_inst gen_inst(uint8_t op)
{
	struct pvm_inst inst = {0};
	inst.op = op;
	inst.defined = true;
	return inst;
}

/* What a dynamic jump will find in its register: mostly a jump-table
 * address, sometimes the halt address, sometimes one that panics. */
static uint64_t gen_dynamic_target(struct gen_input *in, const struct gen_program *program)
{
	uint8_t pick = gen_byte(in);
	if (pick % 8 == 0)
		return 0xFFFF0000u;
	if (pick % 8 == 1)
		return gen_imm(in);
	return program->entry_count ? 2 * (uint64_t)(pick % program->entry_count + 1) : 2;
}

/* Ends a block: a jump, a branch, a dynamic jump or a trap. */
static int gen_terminator(struct gen_input *in, struct builder *builder, const struct gen_program *program)
{
	static const uint8_t enders[] = {
		PVM_OP_TRAP,
		PVM_OP_FALLTHROUGH,
		PVM_OP_JUMP,
		PVM_OP_JUMP_IND,
		PVM_OP_LOAD_IMM_JUMP,
		PVM_OP_LOAD_IMM_JUMP_IND,
		PVM_OP_BRANCH_EQ_IMM,
		PVM_OP_BRANCH_NE,
		PVM_OP_BRANCH_LT_U,
		PVM_OP_BRANCH_LT_S,
		PVM_OP_BRANCH_GE_U,
		PVM_OP_BRANCH_GE_S,
		PVM_OP_BRANCH_EQ,
		PVM_OP_BRANCH_NE_IMM,
		PVM_OP_BRANCH_LT_U_IMM,
		PVM_OP_BRANCH_LE_U_IMM,
		PVM_OP_BRANCH_GE_U_IMM,
		PVM_OP_BRANCH_GT_U_IMM,
		PVM_OP_BRANCH_LT_S_IMM,
		PVM_OP_BRANCH_LE_S_IMM,
		PVM_OP_BRANCH_GE_S_IMM,
		PVM_OP_BRANCH_GT_S_IMM,
	};
	struct pvm_inst inst = gen_inst(enders[gen_byte(in) % sizeof enders]);
	gen_operands(in, &inst);
	if (inst.op == PVM_OP_JUMP_IND || inst.op == PVM_OP_LOAD_IMM_JUMP_IND) {
		/* Load the register the jump reads first, most of the time. */
		uint8_t base = inst.op == PVM_OP_JUMP_IND ? inst.ra : inst.rb;
		if (gen_byte(in) % 4) {
			struct pvm_inst load = gen_inst(PVM_OP_LOAD_IMM_64);
			load.ra = base;
			load.imm_x = gen_dynamic_target(in, program);
			if (builder_append(builder, &load, BUILDER_NO_LABEL))
				return -1;
		}
		if (inst.op == PVM_OP_JUMP_IND)
			inst.imm_x = gen_byte(in) % 4 ? 0 : gen_imm(in);
		else
			inst.imm_y = gen_byte(in) % 4 ? 0 : gen_imm(in);
	}
	bool has_target = pvm_ops[inst.op].args == PVM_ARGS_OFFSET || pvm_ops[inst.op].args == PVM_ARGS_REG2_OFFSET ||
			  pvm_ops[inst.op].args == PVM_ARGS_REG_IMM_OFFSET;
	uint32_t label = has_target ? program->blocks[gen_byte(in) % program->block_count] : BUILDER_NO_LABEL;
	return builder_append(builder, &inst, label);
}

/* Builds a program from the input into `builder` (initialised by the
 * caller with program->isa). */
static int gen_program(struct gen_input *in, struct builder *builder, struct gen_program *program)
{
	program->body_count = program->access_count = 0;
	for (unsigned op = 0; op < PVM_OP_COUNT; op++) {
		if (!gen_usable(program->isa, op) || (pvm_ops[op].flags & PVM_TERMINATOR))
			continue;
		program->body_ops[program->body_count++] = (uint8_t)op;
		if (pvm_ops[op].flags & (PVM_LOAD | PVM_STORE))
			program->access_ops[program->access_count++] = (uint8_t)op;
	}
	program->block_count = 1 + gen_byte(in) % GEN_MAX_BLOCKS;
	program->entry_count = gen_byte(in) % (GEN_MAX_ENTRIES + 1);
	for (unsigned b = 0; b < program->block_count; b++)
		if ((program->blocks[b] = builder_new_label(builder)) == BUILDER_NO_LABEL)
			return -1;
	for (unsigned e = 0; e < program->entry_count; e++)
		if (builder_jump_entry(builder, program->blocks[gen_byte(in) % program->block_count]))
			return -1;
	for (unsigned b = 0; b < program->block_count; b++) {
		if (builder_place_label(builder, program->blocks[b]))
			return -1;
		unsigned body = gen_byte(in) % (GEN_MAX_BODY + 1);
		for (unsigned i = 0; i < body; i++) {
			uint8_t pick = gen_byte(in);
			struct pvm_inst inst =
				gen_inst(pick >= 0xF0   ? PVM_OP_ECALLI
					 : pick >= 0xC0 ? program->access_ops[pick % program->access_count]
							: program->body_ops[pick % program->body_count]);
			gen_operands(in, &inst);
			if (builder_append(builder, &inst, BUILDER_NO_LABEL))
				return -1;
		}
		if (gen_terminator(in, builder, program))
			return -1;
	}
	return 0;
}

#endif
