/* PVM assembly: the text form `corral disasm` prints and `corral asm` reads.
 *
 *   ; a comment (also # ...)
 *   .isa gp0.7                      numbering to encode with (gp0.7 default)
 *   .jump_table @loop, @17          appends jump-table entries
 *   .jump_entry_size 4              bytes per entry (default: the fewest)
 *   loop:                           a label
 *   @12:                            asserts that the next byte is offset 12
 *       12: add_32 r9, r7, r8       an instruction; "12:" is asserted too
 *       branch_ne_imm r9, 0, @loop  targets: @label, label, or @offset
 *       trap = ff 00                these exact bytes, decoding as written
 *   .bytes 00 00                    bytes no instruction starts in
 *
 * A JAM standard program instead of a raw blob: `.format jam`, or any of
 * `.ro_data HEX`, `.rw_data HEX`, `.heap_pages N`, `.stack_size N`,
 * `.metadata HEX` (the data directives append).
 *
 * Registers are r0..r12 or ra sp t0 t1 t2 s0 s1 a0..a5. Numbers are decimal
 * or 0x-hex, optionally negative. */
#ifndef LOADER_ASM_H
#define LOADER_ASM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "corral.h"

/* Assembles `source`; on success *output is a malloc'd program. On failure
 * returns -1 and `error` reads "NAME:LINE: problem". */
int loader_assemble(const char *source, size_t length, const char *name, uint8_t **output, size_t *output_length,
		    char *error, size_t error_size);

/* Writes the listing of a program (raw blob or JAM standard program) that
 * loader_assemble turns back into the same bytes. */
int loader_disassemble(const uint8_t *bytes, size_t length, const char *name, corral_format format, corral_isa isa,
		       FILE *out, char *error, size_t error_size);

#endif
