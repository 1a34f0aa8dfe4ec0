/* The linker: a RISC-V RV64E executable (ld.lld -static --emit-relocs, laid
 * out by guest/corral.ld) in, a PVM program out.
 *
 * Every RISC-V instruction becomes the PVM instructions that do the same:
 * calls become load_imm_jump ra, returns jump_ind ra, and every code address
 * a register or memory can hold (return addresses, function pointers, switch
 * tables) becomes a jump-table address, 2 * (entry + 1). Data keeps its
 * addresses: the linker script already put it where a JAM standard program
 * maps it, so only the references to code are rewritten. */
#ifndef LOADER_LINK_H
#define LOADER_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "core/isa.h"
#include "core/text.h"

enum link_format {
	LINK_FORMAT_JAM,     /* a JAM standard program behind corral's guest metadata */
	LINK_FORMAT_POLKAVM, /* a .polkavm container: imports by name, exports by name */
};

struct link_options {
	enum link_format format;
	enum pvm_isa isa;    /* GP 0.7 (sbrk is an instruction) or GP 0.8 (sbrk is host call LINK_SBRK_CALL) */
	uint32_t stack_size; /* bytes; 0: what the program asks for (__corral_stack_size), else the default */
};

#define LINK_DEFAULT_STACK_SIZE (1u << 20)

/* What the linker did, for `corral link --verbose` and the tests. */
struct link_stats {
	uint32_t riscv_instructions;
	uint32_t pvm_instructions;
	uint32_t code_bytes;
	uint32_t jump_table_entries;
	uint32_t ro_data_bytes;
	uint32_t rw_data_bytes; /* initialised; the zeroed tail (bss) is not stored */
	uint32_t bss_bytes;
	uint32_t imports;
	uint32_t exports;
};

void link_options_init(struct link_options *options);

/* Links `elf`; on success *output is a malloc'd program. On failure returns
 * -1 with one message saying what and where (function, offset and
 * instruction for code). */
int loader_link(const uint8_t *elf, size_t length, const struct link_options *options, uint8_t **output,
		size_t *output_length, struct link_stats *stats, struct pvm_error *error);

/* The metadata a JAM program from the linker starts with: this line, then
 * "isa gp0.8" for GP 0.8 code (no such line: GP 0.7), "export PC NAME" and
 * "import NUMBER NAME" lines. */
#define LINK_METADATA_MAGIC    "corral guest 1\n"
#define LINK_METADATA_ISA_GP08 "isa gp0.8\n"

/* GP 0.8 has no sbrk instruction: the SDK's sbrk (`sbrk a0, a0`) becomes
 * this host call, a0 in and a0 out, imported under this name in a .polkavm
 * container. The host grows the heap exactly as GP 0.7's sbrk would. */
#define LINK_SBRK_CALL 1003
#define LINK_SBRK_NAME "corral_sbrk"

#endif
