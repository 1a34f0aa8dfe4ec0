/* Raw program blobs (GP A.2) written byte by byte, for the encodings the
 * assembler will not produce: clamped register nibbles, unmarked opcodes,
 * gaps longer than the skip limit, instructions cut off by the end of the
 * code. The opcode numbers below are the Gray Paper's, written out here
 * rather than taken from core/isa.c, so that a wrong table row shows up. */
#ifndef TESTS_RAW_PROGRAM_H
#define TESTS_RAW_PROGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "corral.h"
#include "tests/support.h"

/* GP 0.7 opcode bytes (GP A.5); the same in GP 0.8 unless noted. */
enum {
	OP_TRAP = 0,
	OP_FALLTHROUGH = 1,
	OP_UNLIKELY_GP08 = 2,
	OP_UNLIKELY_GP07 = 3,
	OP_ECALLI = 10,
	OP_LOAD_IMM_64 = 20,
	OP_STORE_IMM_U8 = 30,
	OP_STORE_IMM_U64 = 33,
	OP_JUMP = 40,
	OP_JUMP_IND = 50,
	OP_LOAD_IMM = 51,
	OP_LOAD_U8 = 52,
	OP_STORE_IMM_IND_U8 = 70,
	OP_LOAD_IMM_JUMP = 80,
	OP_BRANCH_EQ_IMM = 81,
	OP_MOVE_REG = 100,
	OP_SBRK_GP07 = 101,
	OP_ADD_IMM_64 = 149,
	OP_BRANCH_EQ = 170,
	OP_LOAD_IMM_JUMP_IND = 180,
	OP_ADD_64 = 200,
};

#define RAW_MAX_BLOB 1024

/* E(|j|) ++ E1(z) ++ E(|c|) ++ Ez(j) ++ c ++ k into `out` (RAW_MAX_BLOB
 * bytes); returns the length. `starts` has one character per code byte: '1'
 * marks an opcode, any other character does not. */
size_t raw_blob(uint8_t *out, const uint8_t *code, size_t code_length, const char *starts, const uint32_t *jumps,
		size_t jump_count, unsigned entry_size);

/* A module config for a raw blob in the given numbering. */
corral_module_config raw_config(corral_isa isa);

/* A machine running `code` (no jump table) in the given numbering. */
void machine_from_code(struct machine *machine, corral_isa isa, const uint8_t *code, size_t code_length,
		       const char *starts, int64_t gas);

/* A machine from assembly text, read as a raw blob in the given numbering
 * (the text needs `.isa gp0.8` itself to be encoded that way). */
void machine_from_asm(struct machine *machine, corral_isa isa, const char *source, int64_t gas);

#endif
