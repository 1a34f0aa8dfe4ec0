/* Encoding instructions: the inverse of pvm_decode.
 *
 * The canonical encoding uses the shortest immediates that decode back to
 * the same values and no padding; `corral disasm` prints an instruction's
 * bytes explicitly only when they differ from it. */
#ifndef PVM_ENCODE_H
#define PVM_ENCODE_H

#include <stdint.h>

#include "decode.h"
#include "text.h"

#define PVM_MAX_ENCODED 16

/* Encodes `inst` as it would sit at inst->pc. The jump or branch offset
 * takes at least `offset_length` bytes (0..4), for layouts that must not
 * shrink. Returns the length, or 0 with the reason in `error`. */
uint32_t pvm_encode(const struct pvm_inst *inst, enum pvm_isa isa, uint32_t offset_length, uint8_t *out,
		    struct pvm_error *error);

/* The fewest bytes (0..4) whose sign extension gives `value`; 5 if none. */
uint32_t pvm_immediate_length(uint64_t value);

/* Appends the GP natural-number encoding of `value`; returns its length. */
uint32_t pvm_varint_write(uint64_t value, uint8_t *out);

#endif
