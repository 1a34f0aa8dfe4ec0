#include "loader/elf.h"

#include <elf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Fields are read byte by byte: the file may be misaligned in memory and
 * is little-endian whatever the host is. */
static uint64_t read_le(const uint8_t *at, unsigned width)
{
	uint64_t value = 0;
	for (unsigned i = 0; i < width; i++)
		value |= (uint64_t)at[i] << (8 * i);
	return value;
}

static bool within(size_t length, uint64_t offset, uint64_t size)
{
	return offset <= length && size <= length - offset;
}

/* A NUL-terminated string at `offset` of a string table, or NULL. */
static const char *table_string(const struct elf_section *table, uint64_t offset)
{
	if (!table->data || offset >= table->size)
		return NULL;
	const char *start = (const char *)table->data + offset;
	return memchr(start, 0, table->size - offset) ? start : NULL;
}

static int check_header(const uint8_t *bytes, size_t length, struct pvm_error *error)
{
	if (length < sizeof(Elf64_Ehdr) || memcmp(bytes, ELFMAG, SELFMAG)) {
		pvm_error_set(error, 0, "not an ELF file (no \\177ELF magic)");
		return -1;
	}
	if (bytes[EI_CLASS] != ELFCLASS64 || bytes[EI_DATA] != ELFDATA2LSB) {
		pvm_error_set(error, EI_CLASS, "not a 64-bit little-endian ELF (a RISC-V RV64 guest is needed)");
		return -1;
	}
	uint16_t machine = (uint16_t)read_le(bytes + offsetof(Elf64_Ehdr, e_machine), 2);
	if (machine != EM_RISCV) {
		pvm_error_set(error, offsetof(Elf64_Ehdr, e_machine), "ELF machine %u is not RISC-V (%u)", machine,
			      EM_RISCV);
		return -1;
	}
	uint16_t type = (uint16_t)read_le(bytes + offsetof(Elf64_Ehdr, e_type), 2);
	if (type == ET_DYN || type == ET_REL) {
		pvm_error_set(
			error, offsetof(Elf64_Ehdr, e_type), "%s",
			type == ET_DYN
				? "a position-independent executable (ET_DYN); link with ld.lld -static"
				: "an object file (ET_REL), not a linked program; link it first (corral cc does)");
		return -1;
	}
	if (type != ET_EXEC) {
		pvm_error_set(error, offsetof(Elf64_Ehdr, e_type), "ELF type %u is not an executable", type);
		return -1;
	}
	uint32_t flags = (uint32_t)read_le(bytes + offsetof(Elf64_Ehdr, e_flags), 4);
	if (flags & EF_RISCV_FLOAT_ABI) {
		pvm_error_set(error, offsetof(Elf64_Ehdr, e_flags),
			      "uses a hardware floating-point ABI; guests are built for -mabi=lp64e (no F/D)");
		return -1;
	}
	return 0;
}

static int read_sections(struct elf_file *elf, struct pvm_error *error)
{
	const uint8_t *bytes = elf->bytes;
	uint64_t table = read_le(bytes + offsetof(Elf64_Ehdr, e_shoff), 8);
	uint16_t entry_size = (uint16_t)read_le(bytes + offsetof(Elf64_Ehdr, e_shentsize), 2);
	uint16_t count = (uint16_t)read_le(bytes + offsetof(Elf64_Ehdr, e_shnum), 2);
	uint16_t names_index = (uint16_t)read_le(bytes + offsetof(Elf64_Ehdr, e_shstrndx), 2);
	if (count == 0) {
		pvm_error_set(error, offsetof(Elf64_Ehdr, e_shnum),
			      "has no section headers (they were stripped; the linker needs them)");
		return -1;
	}
	if (entry_size != sizeof(Elf64_Shdr) || !within(elf->length, table, (uint64_t)count * entry_size)) {
		pvm_error_set(error, offsetof(Elf64_Ehdr, e_shoff),
			      "the section header table (%u entries of %u bytes at %llu) lies outside the file", count,
			      entry_size, (unsigned long long)table);
		return -1;
	}
	if (names_index >= count) {
		pvm_error_set(error, offsetof(Elf64_Ehdr, e_shstrndx), "section name table index %u is out of range",
			      names_index);
		return -1;
	}
	elf->sections = calloc(count, sizeof *elf->sections);
	if (!elf->sections) {
		pvm_error_set(error, 0, "out of memory");
		return -1;
	}
	elf->section_count = count;
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *header = bytes + table + (uint64_t)i * entry_size;
		struct elf_section *section = &elf->sections[i];
		uint64_t offset = read_le(header + offsetof(Elf64_Shdr, sh_offset), 8);
		section->type = (uint32_t)read_le(header + offsetof(Elf64_Shdr, sh_type), 4);
		section->flags = read_le(header + offsetof(Elf64_Shdr, sh_flags), 8);
		section->address = read_le(header + offsetof(Elf64_Shdr, sh_addr), 8);
		section->size = read_le(header + offsetof(Elf64_Shdr, sh_size), 8);
		section->link = (uint32_t)read_le(header + offsetof(Elf64_Shdr, sh_link), 4);
		section->info = (uint32_t)read_le(header + offsetof(Elf64_Shdr, sh_info), 4);
		if (section->type == SHT_NOBITS || section->type == SHT_NULL)
			continue;
		if (!within(elf->length, offset, section->size)) {
			pvm_error_set(error, (uint32_t)(table + (uint64_t)i * entry_size),
				      "section %u (%llu bytes at offset %llu) lies outside the file", i,
				      (unsigned long long)section->size, (unsigned long long)offset);
			return -1;
		}
		section->data = bytes + offset;
	}
	const struct elf_section *names = &elf->sections[names_index];
	for (uint32_t i = 0; i < count; i++) {
		uint32_t name = (uint32_t)read_le(bytes + table + (uint64_t)i * entry_size, 4);
		elf->sections[i].name = table_string(names, name);
		if (!elf->sections[i].name) {
			pvm_error_set(error, (uint32_t)(table + (uint64_t)i * entry_size),
				      "section %u has a name outside the section name table", i);
			return -1;
		}
	}
	return 0;
}

static int read_symbols(struct elf_file *elf, struct pvm_error *error)
{
	const struct elf_section *symtab = NULL;
	for (uint32_t i = 0; i < elf->section_count; i++)
		if (elf->sections[i].type == SHT_SYMTAB)
			symtab = &elf->sections[i];
	if (!symtab)
		return 0;
	if (symtab->size % sizeof(Elf64_Sym) || symtab->link >= elf->section_count) {
		pvm_error_set(error, 0, "the symbol table '%s' is malformed (size %llu, string table %u)", symtab->name,
			      (unsigned long long)symtab->size, symtab->link);
		return -1;
	}
	const struct elf_section *strings = &elf->sections[symtab->link];
	uint64_t count = symtab->size / sizeof(Elf64_Sym);
	if (count > UINT32_MAX) {
		pvm_error_set(error, 0, "the symbol table has too many entries");
		return -1;
	}
	elf->symbols = calloc(count ? count : 1, sizeof *elf->symbols);
	if (!elf->symbols) {
		pvm_error_set(error, 0, "out of memory");
		return -1;
	}
	elf->symbol_count = (uint32_t)count;
	for (uint64_t i = 0; i < count; i++) {
		const uint8_t *entry = symtab->data + i * sizeof(Elf64_Sym);
		struct elf_symbol *symbol = &elf->symbols[i];
		uint8_t info = entry[offsetof(Elf64_Sym, st_info)];
		symbol->name = table_string(strings, read_le(entry + offsetof(Elf64_Sym, st_name), 4));
		if (!symbol->name) {
			pvm_error_set(error, 0, "symbol %llu has a name outside the string table",
				      (unsigned long long)i);
			return -1;
		}
		symbol->value = read_le(entry + offsetof(Elf64_Sym, st_value), 8);
		symbol->size = read_le(entry + offsetof(Elf64_Sym, st_size), 8);
		symbol->section = (uint16_t)read_le(entry + offsetof(Elf64_Sym, st_shndx), 2);
		symbol->type = ELF64_ST_TYPE(info);
		symbol->bind = ELF64_ST_BIND(info);
	}
	return 0;
}

int elf_read(const uint8_t *bytes, size_t length, struct elf_file *elf, struct pvm_error *error)
{
	memset(elf, 0, sizeof *elf);
	if (check_header(bytes, length, error))
		return -1;
	elf->bytes = bytes;
	elf->length = length;
	elf->type = (uint16_t)read_le(bytes + offsetof(Elf64_Ehdr, e_type), 2);
	elf->flags = (uint32_t)read_le(bytes + offsetof(Elf64_Ehdr, e_flags), 4);
	elf->entry = read_le(bytes + offsetof(Elf64_Ehdr, e_entry), 8);
	if (read_sections(elf, error) || read_symbols(elf, error)) {
		elf_release(elf);
		return -1;
	}
	return 0;
}

void elf_release(struct elf_file *elf)
{
	free(elf->sections);
	free(elf->symbols);
	elf->sections = NULL;
	elf->symbols = NULL;
}

int elf_relocations(const struct elf_file *elf, const struct elf_section *section, struct elf_relocation **entries,
		    size_t *count, struct pvm_error *error)
{
	*entries = NULL;
	*count = 0;
	if (section->size % sizeof(Elf64_Rela)) {
		pvm_error_set(error, 0, "relocation section '%s' is %llu bytes, not a whole number of entries",
			      section->name, (unsigned long long)section->size);
		return -1;
	}
	size_t n = section->size / sizeof(Elf64_Rela);
	if (!n)
		return 0;
	struct elf_relocation *list = calloc(n, sizeof *list);
	if (!list) {
		pvm_error_set(error, 0, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *entry = section->data + i * sizeof(Elf64_Rela);
		uint64_t info = read_le(entry + offsetof(Elf64_Rela, r_info), 8);
		list[i].offset = read_le(entry + offsetof(Elf64_Rela, r_offset), 8);
		list[i].type = (uint32_t)ELF64_R_TYPE(info);
		list[i].symbol = (uint32_t)ELF64_R_SYM(info);
		list[i].addend = (int64_t)read_le(entry + offsetof(Elf64_Rela, r_addend), 8);
		if (list[i].symbol >= elf->symbol_count && list[i].symbol != 0) {
			pvm_error_set(error, 0, "relocation %llu of '%s' names symbol %u, but there are %u",
				      (unsigned long long)i, section->name, list[i].symbol, elf->symbol_count);
			free(list);
			return -1;
		}
	}
	*entries = list;
	*count = n;
	return 0;
}

const struct elf_symbol *elf_symbol_at(const struct elf_file *elf, uint64_t address)
{
	const struct elf_symbol *best = NULL;
	for (uint32_t i = 0; i < elf->symbol_count; i++) {
		const struct elf_symbol *symbol = &elf->symbols[i];
		if (!symbol->name[0] || symbol->type == STT_SECTION || symbol->type == STT_FILE ||
		    symbol->value > address)
			continue;
		if (symbol->type == STT_FUNC && address - symbol->value < symbol->size)
			return symbol;
		/* Local labels (.L*, $x) say nothing to a reader. */
		if (symbol->name[0] == '.' || symbol->name[0] == '$')
			continue;
		if (!best || symbol->value > best->value)
			best = symbol;
	}
	return best;
}

static const char *const relocation_names[] = {
	[R_RISCV_NONE] = "R_RISCV_NONE",
	[R_RISCV_32] = "R_RISCV_32",
	[R_RISCV_64] = "R_RISCV_64",
	[R_RISCV_RELATIVE] = "R_RISCV_RELATIVE",
	[R_RISCV_COPY] = "R_RISCV_COPY",
	[R_RISCV_JUMP_SLOT] = "R_RISCV_JUMP_SLOT",
	[R_RISCV_TLS_DTPMOD32] = "R_RISCV_TLS_DTPMOD32",
	[R_RISCV_TLS_DTPMOD64] = "R_RISCV_TLS_DTPMOD64",
	[R_RISCV_TLS_DTPREL32] = "R_RISCV_TLS_DTPREL32",
	[R_RISCV_TLS_DTPREL64] = "R_RISCV_TLS_DTPREL64",
	[R_RISCV_TLS_TPREL32] = "R_RISCV_TLS_TPREL32",
	[R_RISCV_TLS_TPREL64] = "R_RISCV_TLS_TPREL64",
	[R_RISCV_BRANCH] = "R_RISCV_BRANCH",
	[R_RISCV_JAL] = "R_RISCV_JAL",
	[R_RISCV_CALL] = "R_RISCV_CALL",
	[R_RISCV_CALL_PLT] = "R_RISCV_CALL_PLT",
	[R_RISCV_GOT_HI20] = "R_RISCV_GOT_HI20",
	[R_RISCV_TLS_GOT_HI20] = "R_RISCV_TLS_GOT_HI20",
	[R_RISCV_TLS_GD_HI20] = "R_RISCV_TLS_GD_HI20",
	[R_RISCV_PCREL_HI20] = "R_RISCV_PCREL_HI20",
	[R_RISCV_PCREL_LO12_I] = "R_RISCV_PCREL_LO12_I",
	[R_RISCV_PCREL_LO12_S] = "R_RISCV_PCREL_LO12_S",
	[R_RISCV_HI20] = "R_RISCV_HI20",
	[R_RISCV_LO12_I] = "R_RISCV_LO12_I",
	[R_RISCV_LO12_S] = "R_RISCV_LO12_S",
	[R_RISCV_TPREL_HI20] = "R_RISCV_TPREL_HI20",
	[R_RISCV_TPREL_LO12_I] = "R_RISCV_TPREL_LO12_I",
	[R_RISCV_TPREL_LO12_S] = "R_RISCV_TPREL_LO12_S",
	[R_RISCV_TPREL_ADD] = "R_RISCV_TPREL_ADD",
	[R_RISCV_ADD8] = "R_RISCV_ADD8",
	[R_RISCV_ADD16] = "R_RISCV_ADD16",
	[R_RISCV_ADD32] = "R_RISCV_ADD32",
	[R_RISCV_ADD64] = "R_RISCV_ADD64",
	[R_RISCV_SUB8] = "R_RISCV_SUB8",
	[R_RISCV_SUB16] = "R_RISCV_SUB16",
	[R_RISCV_SUB32] = "R_RISCV_SUB32",
	[R_RISCV_SUB64] = "R_RISCV_SUB64",
	[R_RISCV_ALIGN] = "R_RISCV_ALIGN",
	[R_RISCV_RVC_BRANCH] = "R_RISCV_RVC_BRANCH",
	[R_RISCV_RVC_JUMP] = "R_RISCV_RVC_JUMP",
	[R_RISCV_RVC_LUI] = "R_RISCV_RVC_LUI",
	[R_RISCV_GPREL_I] = "R_RISCV_GPREL_I",
	[R_RISCV_GPREL_S] = "R_RISCV_GPREL_S",
	[R_RISCV_TPREL_I] = "R_RISCV_TPREL_I",
	[R_RISCV_TPREL_S] = "R_RISCV_TPREL_S",
	[R_RISCV_RELAX] = "R_RISCV_RELAX",
	[R_RISCV_SUB6] = "R_RISCV_SUB6",
	[R_RISCV_SET6] = "R_RISCV_SET6",
	[R_RISCV_SET8] = "R_RISCV_SET8",
	[R_RISCV_SET16] = "R_RISCV_SET16",
	[R_RISCV_SET32] = "R_RISCV_SET32",
	[R_RISCV_32_PCREL] = "R_RISCV_32_PCREL",
	[R_RISCV_IRELATIVE] = "R_RISCV_IRELATIVE",
};

const char *elf_relocation_name(uint32_t type)
{
	if (type < sizeof relocation_names / sizeof relocation_names[0] && relocation_names[type])
		return relocation_names[type];
	return "an unknown relocation type";
}
