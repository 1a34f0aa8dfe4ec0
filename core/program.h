/* A validated program: the parsed blob, its basic blocks and their gas costs.
 *
 * Two notions of "block" matter and they differ at the edges:
 * - jump targets: the set varpi of GP A.3 — offset 0 and every marked, defined
 *   opcode that follows a marked, defined terminator. Jumps and branches to
 *   anything else panic.
 * - gas blocks: the straight runs that execution actually enters, each charged
 *   in full on entry. They start at 0 and after every instruction that ends
 *   control flow, counting instructions that execute as trap (invalid or
 *   unmarked opcodes) and the implicit trap at the end of the code. */
#ifndef PVM_PROGRAM_H
#define PVM_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "blob.h"
#include "decode.h"
#include "text.h"

struct pvm_block {
	uint32_t pc;    /* offset of its first instruction */
	uint32_t end;   /* offset just past its last instruction */
	uint32_t count; /* instructions, the terminating one included */
	uint64_t cost;  /* gas charged on entry, set by a cost model */
	/* Can execution get here by itself: offset 0, a jump target, or the
	 * fall-through of the block before? If not, only an embedder setting
	 * the pc can enter it. */
	bool reachable;
};

struct pvm_program {
	struct pvm_blob blob;
	struct pvm_opcode_map map;
	struct pvm_code code;
	uint8_t *jump_targets; /* bitmap of varpi over offsets 0..code.length-1, in whole 8-byte words */
	/* Per 64 offsets: how many jump targets lie below them, so that a
	 * table with a row per jump target needs no row per code byte
	 * (pvm_program_jump_target_index). */
	uint32_t *targets_below;
	uint32_t jump_target_count;
	struct pvm_block *blocks;
	uint32_t block_count;
	uint32_t instruction_count;  /* including the implicit trap at the end */
	uint32_t bad_static_targets; /* jumps and branches that would panic */
	uint32_t bad_jump_entries;   /* jump-table entries that would panic */
	size_t jump_targets_size;
	size_t targets_below_size;
};

/* Parses and validates `bytes` (borrowed: keep them alive with the program). */
int pvm_program_init(struct pvm_program *program, const uint8_t *bytes, size_t length, enum pvm_isa isa,
		     const struct pvm_allocator *allocator, struct pvm_error *error);
void pvm_program_free(struct pvm_program *program, const struct pvm_allocator *allocator);

static inline bool pvm_program_is_jump_target(const struct pvm_program *program, int64_t pc)
{
	return pc >= 0 && pc < program->code.length && ((program->jump_targets[pc >> 3] >> (pc & 7)) & 1);
}

/* Where jump target `pc` comes among all of them in order: 0 for the first,
 * jump_target_count - 1 for the last. */
static inline uint32_t pvm_program_jump_target_index(const struct pvm_program *program, uint32_t pc)
{
	uint64_t word = pvm_load_le64(program->jump_targets + 8 * (size_t)(pc >> 6));
	uint64_t below = word & ((1ull << (pc & 63)) - 1);
	return program->targets_below[pc >> 6] + (uint32_t)__builtin_popcountll(below);
}

/* The gas block whose instructions include `pc`, or -1. */
int64_t pvm_program_block_at(const struct pvm_program *program, uint32_t pc);

/* Entering the block around `pc` from outside (the embedder set the pc)
 * costs the whole block, as entering at its start would: charges it to
 * *gas and returns true, or returns false with *gas unchanged when the
 * balance cannot pay (a negative balance never can). */
bool pvm_program_charge_block_at(const struct pvm_program *program, uint32_t pc, int64_t *gas);

/* Where the jump table sends dynamic address `address` (GP A.18): the target
 * offset, or -1 for a panic. Does not handle the halt address. */
int64_t pvm_program_dynamic_target(const struct pvm_program *program, uint32_t address);

#endif
