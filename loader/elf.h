/* Reading a RISC-V ELF: the sections, symbols and relocations the linker
 * needs, every offset and index checked against the file before use.
 *
 * Only 64-bit little-endian RISC-V executables are accepted (ET_EXEC, as
 * ld.lld -static writes them); everything returned points into the caller's
 * bytes, which must outlive the elf_file. */
#ifndef LOADER_ELF_H
#define LOADER_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "core/text.h"

struct elf_section {
	const char *name;
	uint32_t type;  /* SHT_* */
	uint64_t flags; /* SHF_* */
	uint64_t address;
	uint64_t size;
	uint32_t link, info;
	const uint8_t *data; /* size bytes of the file; NULL for SHT_NOBITS */
};

struct elf_symbol {
	const char *name;
	uint64_t value;
	uint64_t size;
	uint16_t section; /* st_shndx */
	uint8_t type;     /* STT_* */
	uint8_t bind;     /* STB_* */
};

struct elf_relocation {
	uint64_t offset; /* an address in the section it applies to */
	uint32_t type;   /* R_RISCV_* */
	uint32_t symbol;
	int64_t addend;
};

struct elf_file {
	const uint8_t *bytes;
	size_t length;
	uint16_t type;
	uint32_t flags; /* e_flags */
	uint64_t entry;
	struct elf_section *sections;
	uint32_t section_count;
	struct elf_symbol *symbols; /* empty when there is no .symtab */
	uint32_t symbol_count;
};

/* Parses the headers, section names and the symbol table. On failure
 * returns -1 and says why in `error` (the caller prefixes the file name). */
int elf_read(const uint8_t *bytes, size_t length, struct elf_file *elf, struct pvm_error *error);
void elf_release(struct elf_file *elf);

/* The entries of a SHT_RELA section, malloc'd (NULL when there are none);
 * symbol indices are checked against the symbol table. */
int elf_relocations(const struct elf_file *elf, const struct elf_section *section, struct elf_relocation **entries,
		    size_t *count, struct pvm_error *error);

/* The function (or failing that, any named symbol) that contains address,
 * or NULL. */
const struct elf_symbol *elf_symbol_at(const struct elf_file *elf, uint64_t address);

const char *elf_relocation_name(uint32_t type);

#endif
