#include "program.h"

#include "array.h"

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

/* What the pass gathers before varpi is complete. */
struct walk {
	struct pvm_block *blocks;
	uint32_t block_capacity;
	/* Static targets inside the code, checked once varpi is known: a jump
	 * may go forward. */
	uint32_t *targets;
	uint32_t target_count, target_capacity;
};

static bool note_target(struct pvm_program *program, struct walk *walk, uint32_t pc,
			const struct pvm_allocator *allocator)
{
	struct pvm_inst inst;
	int64_t target;
	pvm_decode(&program->code, pc, &inst);
	pvm_inst_target(&inst, &target);
	if (target < 0 || target >= program->code.length) {
		program->bad_static_targets++;
		return true;
	}
	void *targets = walk->targets;
	if (!pvm_array_reserve(allocator, &targets, &walk->target_capacity, walk->target_count, 1,
			       sizeof *walk->targets))
		return false;
	walk->targets = targets;
	walk->targets[walk->target_count++] = (uint32_t)target;
	return true;
}

/* One pass over the instructions: varpi, the gas blocks, and the targets of
 * jumps and branches (only those need their arguments decoded). False when
 * out of memory. */
static bool walk_code(struct pvm_program *program, struct walk *walk, const struct pvm_allocator *allocator)
{
	const struct pvm_code *code = &program->code;
	struct pvm_block *block = NULL;
	bool fell_through = true; /* execution starts at 0 */
	bool defined;

	if (code->length > 0 && (pvm_code_op(code, 0, &defined), defined))
		mark(program->jump_targets, 0);
	for (uint32_t pc = 0;;) {
		enum pvm_op op = pvm_code_op(code, pc, &defined);
		uint32_t next = pc + 1 + pvm_code_skip(code, pc);
		program->instruction_count++;
		if (!block) {
			void *blocks = walk->blocks;
			if (!pvm_array_reserve(allocator, &blocks, &walk->block_capacity, program->block_count, 1,
					       sizeof *walk->blocks))
				return false;
			walk->blocks = blocks;
			/* Whether pc is in varpi is settled: only the
			 * instruction before it marks it. */
			block = &walk->blocks[program->block_count++];
			*block = (struct pvm_block){
				.pc = pc,
				.reachable = fell_through || pvm_program_is_jump_target(program, pc),
			};
		}
		block->count++;
		block->end = next;
		if (pvm_args_have_target(pvm_ops[op].args) && !note_target(program, walk, pc, allocator))
			return false;
		if (ends_flow(op)) {
			block = NULL;
			fell_through = defined && falls_through(op);
			bool next_defined = false;
			if (defined && next < code->length)
				pvm_code_op(code, next, &next_defined);
			if (next_defined)
				mark(program->jump_targets, next);
		}
		if (pc >= code->length)
			return true;
		pc = next;
	}
}

/* The blocks, kept at their exact size for the program's life. */
static bool keep_blocks(struct pvm_program *program, const struct walk *walk, const struct pvm_allocator *allocator)
{
	size_t size = (size_t)program->block_count * sizeof *program->blocks;
	program->blocks = pvm_allocate(allocator, size);
	if (!program->blocks)
		return false;
	__builtin_memcpy(program->blocks, walk->blocks, size);
	return true;
}

/* targets_below, once varpi is complete. */
static bool count_targets(struct pvm_program *program, const struct pvm_allocator *allocator)
{
	size_t words = program->jump_targets_size / 8;
	program->targets_below_size = (words + 1) * sizeof *program->targets_below;
	program->targets_below = pvm_allocate(allocator, program->targets_below_size);
	if (!program->targets_below)
		return false;
	uint32_t count = 0;
	for (size_t w = 0; w < words; w++) {
		program->targets_below[w] = count;
		count += (uint32_t)__builtin_popcountll(pvm_load_le64(program->jump_targets + 8 * w));
	}
	program->targets_below[words] = count;
	program->jump_target_count = count;
	return true;
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
	program->jump_targets_size = ((size_t)program->code.length + 63) / 64 * 8;
	program->jump_targets = pvm_allocate(allocator, program->jump_targets_size);
	if (!program->jump_targets) {
		pvm_error_set(error, 0, "out of memory for the jump-target map of %u bytes of code",
			      program->code.length);
		return -1;
	}
	/* First guesses, grown as needed: compiled code has a block in every
	 * few dozen bytes. */
	struct walk walk = {
		.block_capacity = program->code.length / 32 + 1,
		.target_capacity = program->code.length / 64 + 1,
	};
	walk.blocks = pvm_allocate(allocator, (size_t)walk.block_capacity * sizeof *walk.blocks);
	walk.targets = pvm_allocate(allocator, (size_t)walk.target_capacity * sizeof *walk.targets);
	bool done = walk.blocks && walk.targets && walk_code(program, &walk, allocator);
	if (done) {
		for (uint32_t i = 0; i < walk.target_count; i++)
			if (!pvm_program_is_jump_target(program, walk.targets[i]))
				program->bad_static_targets++;
		for (uint32_t i = 0; i < program->blob.jump_count; i++)
			if (!pvm_program_is_jump_target(program, pvm_blob_jump_entry(&program->blob, i)))
				program->bad_jump_entries++;
		done = keep_blocks(program, &walk, allocator) && count_targets(program, allocator);
	}
	pvm_release(allocator, walk.blocks, (size_t)walk.block_capacity * sizeof *walk.blocks);
	pvm_release(allocator, walk.targets, (size_t)walk.target_capacity * sizeof *walk.targets);
	if (!done) {
		pvm_error_set(error, 0, "out of memory for the basic blocks of %u bytes of code", program->code.length);
		pvm_program_free(program, allocator);
		return -1;
	}
	return 0;
}

void pvm_program_free(struct pvm_program *program, const struct pvm_allocator *allocator)
{
	pvm_release(allocator, program->jump_targets, program->jump_targets_size);
	pvm_release(allocator, program->targets_below, program->targets_below_size);
	pvm_release(allocator, program->blocks, (size_t)program->block_count * sizeof *program->blocks);
	program->jump_targets = NULL;
	program->targets_below = NULL;
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
