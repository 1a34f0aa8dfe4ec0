/* Instructions as text: the assembler's syntax, one line per instruction.
 *
 * Operands follow the spec's roles, destination first:
 *   add_32 r9, r7, r8            rD, rA, rB
 *   add_imm_32 r7, r8, 5         rA, rB, imm
 *   store_ind_u8 r7, r8, 16      value rA, base rB, offset
 *   branch_eq r7, r8, @12        rA, rB, target
 *   load_imm_jump_ind r0, r7, 5, 8
 * Targets are absolute code offsets written @N. Small numbers print in
 * decimal (negative ones with a sign), others as 64-bit hex. */
#ifndef PVM_DISASM_H
#define PVM_DISASM_H

#include "decode.h"
#include "text.h"

void pvm_disasm_number(struct pvm_text *text, uint64_t value);
void pvm_disasm_inst(struct pvm_text *text, const struct pvm_inst *inst);

#endif
