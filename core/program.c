#include "program.h"

static void mark(uint8_t *bits, uint32_t at)
{
	bits[at >> 3] |= (uint8_t)(1u << (at & 7));
}

/* Does the instruction at pc end a gas block? Anything executing as trap does. */
static bool ends_flow(enum pvm_op op)
{
	return (pvm_ops[op].flags & PVM_TERMINATOR) != 0;
}

/* Can execution continue to the next instruction after this one? */
static bool falls_through(enum pvm_op op)
{
	return !(pvm_ops[op].flags & PVM_TERMINATOR) || (pvm_ops[op].flags & PVM_BRANCH) || op == PVM_OP_FALLTHROUGH;
}

/* Pass one: varpi and the number of gas blocks and instructions. */
static void scan(struct pvm_program *program, uint32_t *block_count)
{
	const struct pvm_code *code = &program->code;
	bool defined;
	uint32_t blocks = 0, instructions = 0;
	bool block_open = false;

	if (code->length > 0 && (pvm_code_op(code, 0, &defined), defined))
		mark(program->jump_targets, 0);
	for (uint32_t pc = 0;;) {
		enum pvm_op op = pvm_code_op(code, pc, &defined);
		uint32_t next = pc + 1 + pvm_code_skip(code, pc);
		if (!block_open)
			blocks++;
		instructions++;
		block_open = !ends_flow(op);
		if (pc >= code->length)
			break;
		if (defined && ends_flow(op) && next < code->length) {
			bool next_defined;
			pvm_code_op(code, next, &next_defined);
			if (next_defined)
				mark(program->jump_targets, next);
		}
		pc = next;
	}
	*block_count = blocks;
	program->instruction_count = instructions;
}

/* Pass two: the gas blocks, and what panics when taken. Only jumps and
 * branches need their arguments decoded. */
static void collect(struct pvm_program *program)
{
	const struct pvm_code *code = &program->code;
	struct pvm_block *block = NULL;
	uint32_t count = 0;
	bool fell_through = true; /* execution starts at 0 */

	for (uint32_t pc = 0;;) {
		bool defined;
		enum pvm_op op = pvm_code_op(code, pc, &defined);
		uint32_t next = pc + 1 + pvm_code_skip(code, pc);
		if (!block) {
			block = &program->blocks[count++];
			block->pc = pc;
			block->count = 0;
			block->cost = 0;
			block->reachable = fell_through || pvm_program_is_jump_target(program, pc);
		}
		block->count++;
		block->end = next;
		if (pvm_args_have_target(pvm_ops[op].args)) {
			struct pvm_inst inst;
			int64_t target;
			pvm_decode(code, pc, &inst);
			if (pvm_inst_target(&inst, &target) && !pvm_program_is_jump_target(program, target))
				program->bad_static_targets++;
		}
		if (ends_flow(op)) {
			block = NULL;
			fell_through = defined && falls_through(op);
		}
		if (pc >= code->length)
			break;
		pc = next;
	}
	program->block_count = count;
	for (uint32_t i = 0; i < program->blob.jump_count; i++)
		if (!pvm_program_is_jump_target(program, pvm_blob_jump_entry(&program->blob, i)))
			program->bad_jump_entries++;
}

int pvm_program_init(struct pvm_program *program, const uint8_t *bytes, size_t length, enum pvm_isa isa,
		     const struct pvm_allocator *allocator, struct pvm_error *error)
{
	*program = (struct pvm_program){0};
	if (isa >= PVM_ISA_COUNT) {
		pvm_error_set(error, 0, "unknown instruction set %u", (unsigned)isa);
		return -1;
	}
	if (pvm_blob_parse(&program->blob, bytes, length, error))
		return -1;
	pvm_opcode_map_init(&program->map, isa);
	program->code = (struct pvm_code){
		.bytes = program->blob.code,
		.length = program->blob.code_length,
		.bitmask = program->blob.bitmask,
		.map = &program->map,
	};
	program->jump_targets_size = ((size_t)program->code.length + 7) / 8;
	program->jump_targets = pvm_allocate(allocator, program->jump_targets_size);
	if (!program->jump_targets) {
		pvm_error_set(error, 0, "out of memory for the jump-target map of %u bytes of code",
			      program->code.length);
		return -1;
	}
	uint32_t block_count;
	scan(program, &block_count);
	program->blocks = pvm_allocate(allocator, (size_t)block_count * sizeof *program->blocks);
	if (!program->blocks) {
		pvm_error_set(error, 0, "out of memory for %u basic blocks", block_count);
		pvm_program_free(program, allocator);
		return -1;
	}
	collect(program);
	return 0;
}

void pvm_program_free(struct pvm_program *program, const struct pvm_allocator *allocator)
{
	pvm_release(allocator, program->jump_targets, program->jump_targets_size);
	pvm_release(allocator, program->blocks, (size_t)program->block_count * sizeof *program->blocks);
	program->jump_targets = NULL;
	program->blocks = NULL;
}

int64_t pvm_program_block_at(const struct pvm_program *program, uint32_t pc)
{
	uint32_t low = 0, high = program->block_count;
	while (low < high) {
		uint32_t middle = low + (high - low) / 2;
		if (program->blocks[middle].pc <= pc)
			low = middle + 1;
		else
			high = middle;
	}
	if (low == 0)
		return -1;
	const struct pvm_block *block = &program->blocks[low - 1];
	return pc < block->end ? (int64_t)(low - 1) : -1;
}

int64_t pvm_program_dynamic_target(const struct pvm_program *program, uint32_t address)
{
	/* GP A.18: address = (index + 1) * 2; zero, odd and too-large panic. */
	if (address == 0 || (address & 1) || address / 2 > program->blob.jump_count)
		return -1;
	uint32_t target = pvm_blob_jump_entry(&program->blob, address / 2 - 1);
	return pvm_program_is_jump_target(program, target) ? (int64_t)target : -1;
}

bool pvm_program_charge_block_at(const struct pvm_program *program, uint32_t pc, int64_t *gas)
{
	uint64_t cost = program->blocks[pvm_program_block_at(program, pc)].cost;
	if (*gas < 0 || (uint64_t)*gas < cost)
		return false;
	*gas -= (int64_t)cost;
	return true;
}
