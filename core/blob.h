/* The program blob (GP A.2, "deblob"): jump table, code and opcode bitmask.
 *
 *   E(|j|) ++ E1(z) ++ E(|c|) ++ Ez(j) ++ c ++ E(k),   |k| = |c|
 *
 * The blob is borrowed, not copied: every pointer below points into it. */
#ifndef PVM_BLOB_H
#define PVM_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "text.h"

struct pvm_blob {
	const uint8_t *jump_table; /* jump_count entries of jump_entry_size bytes */
	uint32_t jump_count;
	uint8_t jump_entry_size; /* z */
	const uint8_t *code;
	uint32_t code_length;
	const uint8_t *bitmask; /* (code_length + 7) / 8 bytes, padding bits zero */
};

/* Reads a GP natural-number varint at *offset; refuses truncated and
 * non-canonical encodings (the codec defines exactly one per number). */
int pvm_varint_read(const uint8_t *bytes, size_t length, size_t *offset, uint64_t *value);

/* Parses a whole blob; 0 on success, -1 with the offset and the problem. */
int pvm_blob_parse(struct pvm_blob *blob, const uint8_t *bytes, size_t length, struct pvm_error *error);

/* Entry i of the jump table; UINT32_MAX when it does not fit 32 bits (no
 * such code offset exists, so a jump through it panics). */
uint32_t pvm_blob_jump_entry(const struct pvm_blob *blob, uint32_t index);

#endif
