/* The linker's driver: read the ELF, check the data layout, decode the code,
 * find every code address that becomes a value, rewrite the data that holds
 * them, translate the code, and write the container. */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/array.h"
#include "loader/container.h"
#include "loader/jam_write.h"
#include "loader/link_internal.h"
#include "loader/polkavm.h"

#define PAGE_SIZE         4096u
#define CODE_SECTIONS     64
#define IMPORTS_NAME      ".corral_imports"
#define EXPORTS_NAME      ".corral_exports"
#define LAYOUT_ADVICE     "link with guest/corral.ld (corral cc does)"
#define MAX_DATA_BYTES    0xFFFFFFu /* E3 in the standard program header */
#define STACK_SIZE_SYMBOL "__corral_stack_size"

void link_options_init(struct link_options *options)
{
	options->format = LINK_FORMAT_JAM;
	options->isa = PVM_ISA_GP07;
	options->stack_size = LINK_DEFAULT_STACK_SIZE;
}

/* ---- errors ----------------------------------------------------------- */

static int vfail(struct linker *linker, const char *prefix, const char *format, va_list args)
{
	char *message = linker->error->message;
	size_t size = sizeof linker->error->message;
	size_t used = strlen(prefix) < size ? strlen(prefix) : size - 1;
	memcpy(message, prefix, used);
	vsnprintf(message + used, size - used, format, args);
	return -1;
}

int link_fail(struct linker *linker, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vfail(linker, "", format, args);
	va_end(args);
	return -1;
}

int link_fail_at(struct linker *linker, size_t index, const char *format, ...)
{
	const struct code_inst *code = &linker->code[index];
	const struct elf_symbol *symbol = elf_symbol_at(&linker->elf, code->address);
	char where[160], text[96];
	riscv_format(&code->inst, text, sizeof text);
	if (symbol)
		snprintf(where, sizeof where, "%s+0x%llx (0x%llx): '%s': ", symbol->name,
			 (unsigned long long)(code->address - symbol->value), (unsigned long long)code->address, text);
	else
		snprintf(where, sizeof where, "0x%llx: '%s': ", (unsigned long long)code->address, text);
	va_list args;
	va_start(args, format);
	vfail(linker, where, format, args);
	va_end(args);
	return -1;
}

/* ---- code addresses --------------------------------------------------- */

int64_t link_find_code(const struct linker *linker, uint64_t address)
{
	size_t low = 0, high = linker->code_count;
	while (low < high) {
		size_t middle = low + (high - low) / 2;
		if (linker->code[middle].address < address)
			low = middle + 1;
		else
			high = middle;
	}
	return low < linker->code_count && linker->code[low].address == address ? (int64_t)low : -1;
}

uint32_t link_label(struct linker *linker, size_t index)
{
	if (linker->code[index].label == BUILDER_NO_LABEL)
		linker->code[index].label = builder_new_label(&linker->builder);
	return linker->code[index].label;
}

static int64_t find_taken(const struct linker *linker, uint64_t address)
{
	size_t low = 0, high = linker->taken_count;
	while (low < high) {
		size_t middle = low + (high - low) / 2;
		if (linker->taken[middle] < address)
			low = middle + 1;
		else
			high = middle;
	}
	return low < linker->taken_count && linker->taken[low] == address ? (int64_t)low : -1;
}

uint64_t link_jump_address(const struct linker *linker, uint64_t address)
{
	int64_t entry = find_taken(linker, address);
	return entry < 0 ? 0 : 2 * ((uint64_t)entry + 1);
}

uint32_t link_label_at(struct linker *linker, uint64_t address)
{
	int64_t index = link_find_code(linker, address);
	if (index >= 0)
		return link_label(linker, (size_t)index);
	linker->end_used = true;
	return linker->end_label;
}

int link_emit(struct linker *linker, const struct pvm_inst *inst, uint32_t target_label)
{
	if (builder_append(&linker->builder, inst, target_label))
		return link_fail(linker, "out of memory");
	linker->last_terminates = (pvm_ops[inst->op].flags & PVM_TERMINATOR) != 0;
	linker->emitted++;
	return 0;
}

/* ---- sections --------------------------------------------------------- */

struct data_region {
	const char *name;
	uint64_t start;
	uint64_t data_end; /* initialised bytes end here */
	uint64_t end;      /* zeroed ones here */
	uint8_t *bytes;    /* [start, data_end) */
};

struct layout {
	const struct elf_section *code[CODE_SECTIONS];
	unsigned code_sections;
	const struct elf_section *imports, *exports;
	struct data_region ro, rw;
};

static bool is_code_address(const struct layout *layout, uint64_t address)
{
	for (unsigned i = 0; i < layout->code_sections; i++)
		if (address - layout->code[i]->address <= layout->code[i]->size)
			return true;
	return false;
}

static uint64_t round_up(uint64_t value, uint64_t unit)
{
	return (value + unit - 1) / unit * unit;
}

static int compare_sections(const void *a, const void *b)
{
	const struct elf_section *x = *(const struct elf_section *const *)a;
	const struct elf_section *y = *(const struct elf_section *const *)b;
	return x->address < y->address ? -1 : x->address > y->address;
}

/* Sorts the allocated sections into code, read-only data and read-write
 * data, refusing what a guest cannot have. */
static int classify(struct linker *linker, struct layout *layout)
{
	layout->ro = (struct data_region){.name = "read-only", .start = LOADER_ZONE_SIZE};
	layout->rw = (struct data_region){.name = "read-write"};
	for (uint32_t i = 0; i < linker->elf.section_count; i++) {
		const struct elf_section *section = &linker->elf.sections[i];
		if (!(section->flags & SHF_ALLOC) || section->size == 0 || section->type == SHT_NOTE)
			continue;
		bool is_imports = !strcmp(section->name, IMPORTS_NAME),
		     is_exports = !strcmp(section->name, EXPORTS_NAME);
		if ((is_imports || is_exports) && !section->data)
			return link_fail(linker, "section '%s' holds records but has no contents (type %u)",
					 section->name, section->type);
		if (is_imports) {
			layout->imports = section;
			continue;
		}
		if (is_exports) {
			layout->exports = section;
			continue;
		}
		if (section->flags & SHF_TLS)
			return link_fail(linker, "section '%s' is thread-local storage, which guests do not have",
					 section->name);
		if (section->type == SHT_INIT_ARRAY || section->type == SHT_FINI_ARRAY ||
		    section->type == SHT_PREINIT_ARRAY)
			return link_fail(linker,
					 "section '%s' holds global constructors or destructors, which guests do "
					 "not run; initialise statically or from main",
					 section->name);
		if (section->type != SHT_PROGBITS && section->type != SHT_NOBITS)
			return link_fail(linker, "section '%s' has type %u, which a guest program cannot hold",
					 section->name, section->type);
		if (section->flags & SHF_EXECINSTR) {
			if (layout->code_sections == CODE_SECTIONS)
				return link_fail(linker, "more than %u code sections; %s", CODE_SECTIONS,
						 LAYOUT_ADVICE);
			if (!section->data)
				return link_fail(linker, "code section '%s' has no contents", section->name);
			layout->code[layout->code_sections++] = section;
		}
	}
	if (!layout->code_sections)
		return link_fail(linker, "there is no code (no executable section)");
	qsort(layout->code, layout->code_sections, sizeof layout->code[0], compare_sections);
	return 0;
}

static bool overlaps_code(const struct layout *layout, uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < layout->code_sections; i++) {
		const struct elf_section *code = layout->code[i];
		if (start < code->address + code->size && code->address < end)
			return true;
	}
	return false;
}

/* Extends a region by a section and copies its bytes in. */
static int add_to_region(struct linker *linker, struct data_region *region, const struct elf_section *section)
{
	uint64_t end = section->address + section->size;
	if (section->address < region->start || end < section->address || end - region->start > MAX_DATA_BYTES)
		return link_fail(linker,
				 "section '%s' (0x%llx..0x%llx) lies outside the %s data region, which starts at "
				 "0x%llx and holds at most 16 MiB; %s",
				 section->name, (unsigned long long)section->address, (unsigned long long)end,
				 region->name, (unsigned long long)region->start, LAYOUT_ADVICE);
	if (end > region->end)
		region->end = end;
	if (section->type == SHT_NOBITS)
		return 0;
	if (end > region->data_end) {
		uint8_t *grown = realloc(region->bytes, end - region->start);
		if (!grown)
			return link_fail(linker, "out of memory");
		memset(grown + (region->data_end > region->start ? region->data_end - region->start : 0), 0,
		       end - (region->data_end > region->start ? region->data_end : region->start));
		region->bytes = grown;
		region->data_end = end;
	}
	memcpy(region->bytes + (section->address - region->start), section->data, section->size);
	return 0;
}

/* Data must already sit where a JAM standard program maps it: read-only at
 * Z_Z, read-write at 2 Z_Z + rnd_Z(|o|). */
static int lay_out_data(struct linker *linker, struct layout *layout)
{
	struct data_region *ro = &layout->ro, *rw = &layout->rw;
	ro->end = ro->data_end = ro->start;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			rw->start = 2 * LOADER_ZONE_SIZE + round_up(ro->end - ro->start, LOADER_ZONE_SIZE);
			rw->end = rw->data_end = rw->start;
		}
		for (uint32_t i = 0; i < linker->elf.section_count; i++) {
			const struct elf_section *section = &linker->elf.sections[i];
			bool writable = (section->flags & SHF_WRITE) != 0;
			if (!(section->flags & SHF_ALLOC) || section->size == 0 || section->type == SHT_NOTE ||
			    (section->flags & SHF_EXECINSTR) || section == layout->imports ||
			    section == layout->exports || writable != (pass == 1))
				continue;
			if (add_to_region(linker, pass ? rw : ro, section))
				return -1;
		}
	}
	if (overlaps_code(layout, ro->start, ro->end) || overlaps_code(layout, rw->start, rw->end))
		return link_fail(linker, "code and data overlap in the ELF's address space; %s", LAYOUT_ADVICE);
	return 0;
}

/* Trailing zeros of the read-write data need not be stored: the region is
 * zero past them anyway. Read-only data keeps its length, which decides
 * where read-write data starts. Run after the fixups, which may write into
 * what was zero. */
static void drop_trailing_zeros(struct data_region *rw)
{
	while (rw->data_end > rw->start && rw->bytes[rw->data_end - rw->start - 1] == 0)
		rw->data_end--;
}

/* ---- code ------------------------------------------------------------- */

static int decode_code(struct linker *linker, const struct layout *layout)
{
	size_t capacity = 0;
	for (unsigned s = 0; s < layout->code_sections; s++) {
		const struct elf_section *section = layout->code[s];
		if (s && section->address < layout->code[s - 1]->address + layout->code[s - 1]->size)
			return link_fail(linker, "code sections '%s' and '%s' overlap", layout->code[s - 1]->name,
					 section->name);
		for (uint64_t at = 0; at < section->size;) {
			if (!array_reserve((void **)&linker->code, &capacity, linker->code_count + 1,
					   sizeof *linker->code))
				return link_fail(linker, "out of memory");
			struct code_inst *code = &linker->code[linker->code_count];
			unsigned length = riscv_decode(section->data + at, section->size - at, &code->inst);
			code->address = section->address + at;
			code->flags = 0;
			code->label = BUILDER_NO_LABEL;
			code->target = 0;
			if (length == 0)
				return link_fail(linker, "0x%llx: section '%s' ends inside an instruction",
						 (unsigned long long)code->address, section->name);
			linker->code_count++;
			at += length;
		}
	}
	linker->code_start = layout->code[0]->address;
	const struct elf_section *last = layout->code[layout->code_sections - 1];
	linker->code_end = last->address + last->size;
	return 0;
}

static int add_taken(struct linker *linker, size_t *capacity, uint64_t address)
{
	if (!array_reserve((void **)&linker->taken, capacity, linker->taken_count + 1, sizeof *linker->taken))
		return link_fail(linker, "out of memory");
	linker->taken[linker->taken_count++] = address;
	return 0;
}

static bool writes_link(const struct riscv_inst *inst)
{
	return (inst->op == RISCV_JAL || inst->op == RISCV_JALR) && inst->rd != 0;
}

static int mark_call(struct linker *linker, size_t index, uint64_t target)
{
	struct code_inst *hi = &linker->code[index], *lo = &linker->code[index + 1];
	int64_t callee = link_find_code(linker, target);
	if (callee < 0)
		return link_fail_at(linker, index, "calls 0x%llx, which is not an instruction",
				    (unsigned long long)target);
	hi->flags |= CODE_CALL_HI;
	lo->flags |= CODE_CALL_LO;
	lo->target = target;
	linker->code[callee].flags |= CODE_BRANCH_TARGET;
	return 0;
}

/* An auipc that computes a code address with no relocation saying so (the
 * assembler resolves references within a section itself): a call when a
 * jalr through its register follows, a function address when an addi does. */
static int pc_relative_code(struct linker *linker, const struct layout *layout, size_t index, size_t *taken_capacity)
{
	struct code_inst *hi = &linker->code[index];
	uint64_t base = hi->address + (uint64_t)hi->inst.imm;
	if (!overlaps_code(layout, base - 0x800, base + 0x800))
		return 0;
	const struct riscv_inst *next = index + 1 < linker->code_count ? &linker->code[index + 1].inst : NULL;
	if (next && next->rs1 == hi->inst.rd && hi->inst.rd != 0) {
		uint64_t target = base + (uint64_t)next->imm;
		if (next->op == RISCV_JALR && is_code_address(layout, target))
			return mark_call(linker, index, target);
		if (next->op == RISCV_ADDI && is_code_address(layout, target)) {
			hi->flags |= CODE_HI_TO_CODE;
			hi->target = target;
			return add_taken(linker, taken_capacity, target);
		}
	}
	return link_fail_at(linker, index,
			    "computes an address near code with no relocation and no jalr or addi after it; link "
			    "with --emit-relocs");
}

/* Branch targets get labels (so blocks start there); return addresses
 * become values. */
static int scan_code(struct linker *linker, const struct layout *layout, size_t *taken_capacity)
{
	for (size_t i = 0; i < linker->code_count; i++) {
		struct code_inst *code = &linker->code[i];
		enum riscv_op op = code->inst.op;
		if (op == RISCV_JAL || (op >= RISCV_BEQ && op <= RISCV_BGEU)) {
			int64_t target = link_find_code(linker, code->address + (uint64_t)code->inst.imm);
			if (target < 0)
				return link_fail_at(linker, i, "jumps to 0x%llx, which is not an instruction",
						    (unsigned long long)(code->address + (uint64_t)code->inst.imm));
			linker->code[target].flags |= CODE_BRANCH_TARGET;
		}
		if (writes_link(&code->inst) && add_taken(linker, taken_capacity, code->address + code->inst.length))
			return -1;
		if (op == RISCV_AUIPC && pc_relative_code(linker, layout, i, taken_capacity))
			return -1;
	}
	return 0;
}

/* ---- relocations ------------------------------------------------------ */

/* A relocation in data whose target is code: the field holds an ELF code
 * address (or a difference with one), which must become a jump address. */
struct data_fixup {
	struct data_region *region;
	uint64_t address;
	uint64_t target;
	uint8_t width;
	bool subtract;
};

struct fixups {
	struct data_fixup *list;
	size_t count, capacity;
};

static uint64_t symbol_value(const struct linker *linker, const struct elf_relocation *relocation)
{
	return relocation->symbol ? linker->elf.symbols[relocation->symbol].value : 0;
}

/* A relocation in code the linker cannot honour: named with the instruction
 * it applies to, when there is one. */
static int refuse_code_relocation(struct linker *linker, const struct elf_relocation *r, int64_t index,
				  const char *what)
{
	if (index >= 0)
		return link_fail_at(linker, (size_t)index, "%s (%s)", what, elf_relocation_name(r->type));
	return link_fail(linker, "0x%llx: %s (%s, type %u)", (unsigned long long)r->offset, what,
			 elf_relocation_name(r->type), r->type);
}

static int code_relocation(struct linker *linker, const struct layout *layout, const struct elf_relocation *r,
			   size_t *taken_capacity)
{
	uint64_t target = symbol_value(linker, r) + (uint64_t)r->addend;
	int64_t index = link_find_code(linker, r->offset);
	switch (r->type) {
	case R_RISCV_NONE:
	case R_RISCV_RELAX:
	case R_RISCV_ALIGN:
	case R_RISCV_BRANCH:
	case R_RISCV_JAL:
	case R_RISCV_RVC_BRANCH:
	case R_RISCV_RVC_JUMP:
	case R_RISCV_PCREL_LO12_I:
	case R_RISCV_PCREL_LO12_S:
	case R_RISCV_LO12_I:
	case R_RISCV_LO12_S:
		/* branches are decoded; lo12 parts follow their hi20 */
		return 0;
	case R_RISCV_CALL:
	case R_RISCV_CALL_PLT: {
		if (index < 0 || (size_t)index + 1 >= linker->code_count)
			return link_fail(linker, "a call relocation at 0x%llx is not at an instruction",
					 (unsigned long long)r->offset);
		struct code_inst *hi = &linker->code[index], *lo = &linker->code[index + 1];
		if (hi->inst.op != RISCV_AUIPC || lo->inst.op != RISCV_JALR || lo->inst.rs1 != hi->inst.rd)
			return link_fail_at(linker, (size_t)index, "a call relocation is not on an auipc + jalr pair");
		if (!is_code_address(layout, target))
			return link_fail_at(linker, (size_t)index, "calls 0x%llx, which is not code",
					    (unsigned long long)target);
		return mark_call(linker, (size_t)index, target);
	}
	case R_RISCV_PCREL_HI20:
	case R_RISCV_HI20:
	case R_RISCV_RVC_LUI: {
		enum riscv_op want = r->type == R_RISCV_PCREL_HI20 ? RISCV_AUIPC : RISCV_LUI;
		if (index < 0 || linker->code[index].inst.op != want)
			return link_fail(linker, "a %s relocation at 0x%llx is not on a%s instruction",
					 elf_relocation_name(r->type), (unsigned long long)r->offset,
					 want == RISCV_AUIPC ? "n auipc" : " lui");
		if (!is_code_address(layout, target))
			return 0; /* data: its address is final already */
		linker->code[index].flags |= CODE_HI_TO_CODE;
		linker->code[index].target = target;
		return add_taken(linker, taken_capacity, target);
	}
	case R_RISCV_GOT_HI20:
		return refuse_code_relocation(
			linker, r, index,
			"reads a global offset table (a weak or preemptible symbol); compile with "
			"-fno-pic (corral cc does) and define every symbol");
	case R_RISCV_TLS_GOT_HI20:
	case R_RISCV_TLS_GD_HI20:
	case R_RISCV_TPREL_HI20:
	case R_RISCV_TPREL_LO12_I:
	case R_RISCV_TPREL_LO12_S:
	case R_RISCV_TPREL_ADD:
		return refuse_code_relocation(linker, r, index, "uses thread-local storage, which guests do not have");
	default:
		return refuse_code_relocation(linker, r, index, "has a relocation corral does not support");
	}
}

/* The width of the field a data relocation writes, and whether it
 * subtracts; 0 for relocation types data may not hold. */
static unsigned data_field(uint32_t type, bool *subtract)
{
	*subtract = false;
	switch (type) {
	case R_RISCV_64:
	case R_RISCV_ADD64:
		return 8;
	case R_RISCV_32:
	case R_RISCV_ADD32:
	case R_RISCV_SET32:
	case R_RISCV_32_PCREL:
		return 4;
	case R_RISCV_ADD16:
	case R_RISCV_SET16:
		return 2;
	case R_RISCV_ADD8:
	case R_RISCV_SET8:
		return 1;
	case R_RISCV_SUB64:
		*subtract = true;
		return 8;
	case R_RISCV_SUB32:
		*subtract = true;
		return 4;
	case R_RISCV_SUB16:
		*subtract = true;
		return 2;
	case R_RISCV_SUB8:
		*subtract = true;
		return 1;
	default:
		return 0;
	}
}

static int data_relocation(struct linker *linker, const struct layout *layout, struct data_region *region,
			   const struct elf_section *section, const struct elf_relocation *r, struct fixups *fixups,
			   size_t *taken_capacity)
{
	if (r->type == R_RISCV_NONE || r->type == R_RISCV_RELAX || r->type == R_RISCV_ALIGN)
		return 0;
	bool subtract;
	unsigned width = data_field(r->type, &subtract);
	if (!width) {
		const struct elf_symbol *symbol = elf_symbol_at(&linker->elf, r->offset);
		return link_fail(linker,
				 "section '%s' at 0x%llx (%s+0x%llx): relocation %s (type %u) in data is not supported",
				 section->name, (unsigned long long)r->offset, symbol ? symbol->name : "?",
				 (unsigned long long)(symbol ? r->offset - symbol->value : 0),
				 elf_relocation_name(r->type), r->type);
	}
	/* size < width first: the subtraction below would wrap and let it in */
	if (section->size < width || r->offset < section->address ||
	    r->offset - section->address > section->size - width)
		return link_fail(linker, "section '%s': a relocation at 0x%llx lies outside it", section->name,
				 (unsigned long long)r->offset);
	uint64_t target = symbol_value(linker, r) + (uint64_t)r->addend;
	if (!is_code_address(layout, target))
		return 0;
	if (section->type == SHT_NOBITS)
		return link_fail(linker, "section '%s' is zero-initialised but has a relocation", section->name);
	if (!array_reserve((void **)&fixups->list, &fixups->capacity, fixups->count + 1, sizeof *fixups->list))
		return link_fail(linker, "out of memory");
	fixups->list[fixups->count++] = (struct data_fixup){region, r->offset, target, (uint8_t)width, subtract};
	return add_taken(linker, taken_capacity, target);
}

static int read_relocations(struct linker *linker, struct layout *layout, struct fixups *fixups, size_t *taken_capacity)
{
	for (uint32_t i = 0; i < linker->elf.section_count; i++) {
		const struct elf_section *rela = &linker->elf.sections[i];
		if (rela->type == SHT_REL)
			return link_fail(linker, "relocation section '%s' is SHT_REL; RISC-V uses SHT_RELA",
					 rela->name);
		if (rela->type != SHT_RELA)
			continue;
		if (rela->info >= linker->elf.section_count)
			return link_fail(linker, "relocation section '%s' applies to section %u, which does not exist",
					 rela->name, rela->info);
		const struct elf_section *section = &linker->elf.sections[rela->info];
		if (!(section->flags & SHF_ALLOC) || section == layout->imports || section == layout->exports ||
		    section->type == SHT_NOTE)
			continue;
		struct elf_relocation *entries;
		size_t count;
		struct pvm_error problem;
		if (elf_relocations(&linker->elf, rela, &entries, &count, &problem))
			return link_fail(linker, "%s", problem.message);
		int status = 0;
		struct data_region *region = (section->flags & SHF_WRITE) ? &layout->rw : &layout->ro;
		for (size_t j = 0; j < count && !status; j++)
			status = (section->flags & SHF_EXECINSTR)
					 ? code_relocation(linker, layout, &entries[j], taken_capacity)
					 : data_relocation(linker, layout, region, section, &entries[j], fixups,
							   taken_capacity);
		free(entries);
		if (status)
			return -1;
	}
	return 0;
}

static int compare_addresses(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorts and dedups the taken addresses: entry k of the jump table is the
 * k-th lowest, so the output does not depend on the order found. */
static int settle_taken(struct linker *linker)
{
	if (linker->taken_count)
		qsort(linker->taken, linker->taken_count, sizeof *linker->taken, compare_addresses);
	size_t unique = 0;
	for (size_t i = 0; i < linker->taken_count; i++)
		if (!unique || linker->taken[unique - 1] != linker->taken[i])
			linker->taken[unique++] = linker->taken[i];
	linker->taken_count = unique;
	if (unique > (UINT32_MAX - 2) / 2)
		return link_fail(linker, "too many code addresses are taken (%zu)", unique);
	return 0;
}

static int apply_fixups(struct linker *linker, const struct fixups *fixups)
{
	for (size_t i = 0; i < fixups->count; i++) {
		const struct data_fixup *fixup = &fixups->list[i];
		if (link_find_code(linker, fixup->target) < 0)
			return link_fail(linker,
					 "data at 0x%llx refers to code address 0x%llx, which is not an instruction",
					 (unsigned long long)fixup->address, (unsigned long long)fixup->target);
		uint64_t delta = link_jump_address(linker, fixup->target) - fixup->target;
		if (fixup->subtract)
			delta = -delta;
		uint8_t *field = fixup->region->bytes + (fixup->address - fixup->region->start);
		uint64_t value = 0;
		for (unsigned b = 0; b < fixup->width; b++)
			value |= (uint64_t)field[b] << (8 * b);
		value += delta;
		for (unsigned b = 0; b < fixup->width; b++)
			field[b] = (uint8_t)(value >> (8 * b));
	}
	return 0;
}

/* ---- imports and exports ---------------------------------------------- */

static const char *record_name(struct linker *linker, const struct elf_section *section, uint64_t *at)
{
	const char *name = (const char *)section->data + *at;
	const char *end = memchr(name, 0, section->size - *at);
	if (!end || end == name) {
		link_fail(linker, "section '%s' at offset %llu: a record's name is empty or unterminated",
			  section->name, (unsigned long long)*at);
		return NULL;
	}
	*at += (uint64_t)(end - name) + 1;
	return name;
}

static int add_import(struct linker *linker, size_t *capacity, uint32_t number, const char *name)
{
	for (size_t i = 0; i < linker->import_count; i++) {
		const struct link_import *other = &linker->imports[i];
		bool same_number = other->number == number, same_name = !strcmp(other->name, name);
		if (same_number != same_name)
			return link_fail(linker,
					 "host call %u is imported as '%s', and host call %u as '%s': each number "
					 "needs one name",
					 number, name, other->number, other->name);
		if (same_number)
			return 0;
	}
	if (!array_reserve((void **)&linker->imports, capacity, linker->import_count + 1, sizeof *linker->imports))
		return link_fail(linker, "out of memory");
	linker->imports[linker->import_count++] = (struct link_import){number, name, false, 0};
	return 0;
}

static bool uses_sbrk(const struct linker *linker)
{
	for (size_t i = 0; i < linker->code_count; i++)
		if (linker->code[i].inst.op == RISCV_CORRAL_SBRK)
			return true;
	return false;
}

/* The .corral_imports records; for GP 0.8 code that grows its heap, also
 * the host call its sbrk becomes, which no record names. */
static int read_imports(struct linker *linker, const struct elf_section *section)
{
	size_t capacity = 0;
	for (uint64_t at = 0; section && at < section->size;) {
		at = round_up(at, 4);
		if (at >= section->size)
			break;
		if (section->size - at < 5)
			return link_fail(linker, "section '%s' ends inside a record", section->name);
		uint32_t number = (uint32_t)section->data[at] | (uint32_t)section->data[at + 1] << 8 |
				  (uint32_t)section->data[at + 2] << 16 | (uint32_t)section->data[at + 3] << 24;
		at += 4;
		const char *name = record_name(linker, section, &at);
		if (!name || add_import(linker, &capacity, number, name))
			return -1;
	}
	if (linker->options->isa != PVM_ISA_GP08 || !uses_sbrk(linker))
		return 0;
	for (size_t i = 0; i < linker->import_count; i++) {
		const struct link_import *other = &linker->imports[i];
		if ((other->number == LINK_SBRK_CALL) != !strcmp(other->name, LINK_SBRK_NAME))
			return link_fail(linker,
					 "GP 0.8 code grows its heap with host call %u '%s', but the program "
					 "imports host call %u as '%s': each number needs one name; rename or "
					 "renumber that import, or link with --isa gp0.7",
					 LINK_SBRK_CALL, LINK_SBRK_NAME, other->number, other->name);
	}
	return add_import(linker, &capacity, LINK_SBRK_CALL, LINK_SBRK_NAME);
}

static int compare_imports(const void *a, const void *b)
{
	const struct link_import *x = a, *y = b;
	return x->number < y->number ? -1 : x->number > y->number;
}

/* Only the host calls the code makes are listed, numbered in order. */
static void number_imports(struct linker *linker)
{
	if (linker->import_count)
		qsort(linker->imports, linker->import_count, sizeof *linker->imports, compare_imports);
	for (size_t i = 0; i < linker->code_count; i++) {
		const struct riscv_inst *inst = &linker->code[i].inst;
		uint32_t number;
		if (inst->op == RISCV_CORRAL_ECALLI)
			number = (uint32_t)inst->imm;
		else if (inst->op == RISCV_CORRAL_SBRK && linker->options->isa == PVM_ISA_GP08)
			number = LINK_SBRK_CALL;
		else
			continue;
		for (size_t j = 0; j < linker->import_count; j++)
			if (linker->imports[j].number == number)
				linker->imports[j].used = true;
	}
	uint32_t next = 0;
	for (size_t i = 0; i < linker->import_count; i++)
		if (linker->imports[i].used)
			linker->imports[i].index = next++;
}

static int add_export(struct linker *linker, size_t *capacity, const char *name, uint64_t address)
{
	int64_t index = link_find_code(linker, address);
	if (index < 0)
		return link_fail(linker, "export '%s' is at 0x%llx, which is not an instruction", name,
				 (unsigned long long)address);
	for (size_t i = 0; i < linker->export_count; i++)
		if (!strcmp(linker->exports[i].name, name))
			return link_fail(linker, "'%s' is exported twice", name);
	if (!array_reserve((void **)&linker->exports, capacity, linker->export_count + 1, sizeof *linker->exports))
		return link_fail(linker, "out of memory");
	linker->code[index].flags |= CODE_BRANCH_TARGET;
	linker->exports[linker->export_count++] =
		(struct link_export){name, address, link_label(linker, (size_t)index)};
	return 0;
}

/* Entry points from CORRAL_EXPORT records, in link order; without any, the
 * ELF entry point. Each also gets a jump-table entry, so that code (or a
 * host) can reach it by a dynamic jump too. */
static int read_exports(struct linker *linker, const struct elf_section *section, size_t *taken_capacity)
{
	size_t capacity = 0;
	for (uint64_t at = 0; section && at < section->size;) {
		at = round_up(at, 8);
		if (at >= section->size)
			break;
		if (section->size - at < 9)
			return link_fail(linker, "section '%s' ends inside a record", section->name);
		uint64_t address = 0;
		for (unsigned b = 0; b < 8; b++)
			address |= (uint64_t)section->data[at + b] << (8 * b);
		at += 8;
		const char *name = record_name(linker, section, &at);
		if (!name || add_export(linker, &capacity, name, address))
			return -1;
	}
	if (!linker->export_count) {
		const struct elf_symbol *symbol = elf_symbol_at(&linker->elf, linker->elf.entry);
		const char *name = symbol && symbol->value == linker->elf.entry ? symbol->name : "_start";
		if (add_export(linker, &capacity, name, linker->elf.entry))
			return -1;
	}
	for (size_t i = 0; i < linker->export_count; i++)
		if (add_taken(linker, taken_capacity, linker->exports[i].address))
			return -1;
	return 0;
}

/* ---- code generation -------------------------------------------------- */

static int place_label(struct linker *linker, uint32_t label)
{
	/* A label is where a block starts: the instruction before it must end one. */
	if (linker->emitted && !linker->last_terminates) {
		struct pvm_inst fallthrough = {.op = PVM_OP_FALLTHROUGH, .defined = true};
		if (link_emit(linker, &fallthrough, BUILDER_NO_LABEL))
			return -1;
	}
	if (builder_place_label(&linker->builder, label))
		return link_fail(linker, "out of memory");
	return 0;
}

static int generate(struct linker *linker, uint32_t *export_labels)
{
	linker->end_label = builder_new_label(&linker->builder);
	/* A JAM program starts at pc 0: a jump per export puts them there, in order. */
	bool prologue = linker->options->format == LINK_FORMAT_JAM &&
			(linker->export_count > 1 || linker->exports[0].address != linker->code[0].address);
	for (size_t i = 0; i < linker->export_count; i++) {
		export_labels[i] = linker->exports[i].label;
		if (!prologue)
			continue;
		export_labels[i] = builder_new_label(&linker->builder);
		struct pvm_inst jump = {.op = PVM_OP_JUMP, .defined = true};
		if (place_label(linker, export_labels[i]) || link_emit(linker, &jump, linker->exports[i].label))
			return -1;
	}
	for (size_t i = 0; i < linker->code_count; i++) {
		const struct code_inst *code = &linker->code[i];
		bool block_start = (code->flags & CODE_BRANCH_TARGET) || find_taken(linker, code->address) >= 0 ||
				   (i && writes_link(&linker->code[i - 1].inst));
		if (block_start || code->label != BUILDER_NO_LABEL) {
			if (place_label(linker, link_label(linker, i)))
				return -1;
		}
		size_t consumed;
		if (lower_instruction(linker, i, &consumed))
			return -1;
		i += consumed - 1;
	}
	/* Where return addresses past the last instruction lead: nothing returns there. */
	struct pvm_inst trap = {.op = PVM_OP_TRAP, .defined = true};
	if (place_label(linker, linker->end_label) || link_emit(linker, &trap, BUILDER_NO_LABEL))
		return -1;
	for (size_t i = 0; i < linker->taken_count; i++)
		if (builder_jump_entry(&linker->builder, link_label_at(linker, linker->taken[i])))
			return link_fail(linker, "out of memory");
	return 0;
}

/* The stack the program asks for (guest/corral.ld defines the symbol), or
 * the default. */
static uint32_t program_stack_size(const struct elf_file *elf)
{
	for (uint32_t i = 0; i < elf->symbol_count; i++)
		if (elf->symbols[i].section == SHN_ABS && !strcmp(elf->symbols[i].name, STACK_SIZE_SYMBOL) &&
		    elf->symbols[i].value < (1u << 24))
			return (uint32_t)elf->symbols[i].value;
	return LINK_DEFAULT_STACK_SIZE;
}

/* ---- output ----------------------------------------------------------- */

struct text_buffer {
	char *data;
	size_t length, capacity;
};

static int append_line(struct linker *linker, struct text_buffer *text, const char *kind, uint64_t number,
		       const char *name)
{
	char line[320];
	int n = snprintf(line, sizeof line, "%s %llu %s\n", kind, (unsigned long long)number, name);
	if (n < 0 || (size_t)n >= sizeof line)
		return link_fail(linker, "the name '%.40s...' is too long", name);
	if (!array_reserve((void **)&text->data, &text->capacity, text->length + (size_t)n + 1, 1))
		return link_fail(linker, "out of memory");
	memcpy(text->data + text->length, line, (size_t)n + 1);
	text->length += (size_t)n;
	return 0;
}

/* corral's guest metadata: the magic line, the instruction set when it is
 * not GP 0.7 (a JAM program cannot say it otherwise), the exports and the
 * host calls. */
static int write_metadata(struct linker *linker, const uint32_t *export_pcs, struct text_buffer *text)
{
	const char *isa = linker->options->isa == PVM_ISA_GP08 ? LINK_METADATA_ISA_GP08 : "";
	size_t magic = strlen(LINK_METADATA_MAGIC), isa_length = strlen(isa);
	if (!array_reserve((void **)&text->data, &text->capacity, magic + isa_length + 1, 1))
		return link_fail(linker, "out of memory");
	memcpy(text->data, LINK_METADATA_MAGIC, magic);
	memcpy(text->data + magic, isa, isa_length + 1);
	text->length = magic + isa_length;
	for (size_t i = 0; i < linker->export_count; i++)
		if (append_line(linker, text, "export", export_pcs[i], linker->exports[i].name))
			return -1;
	for (size_t i = 0; i < linker->import_count; i++)
		if (linker->imports[i].used &&
		    append_line(linker, text, "import", linker->imports[i].number, linker->imports[i].name))
			return -1;
	return 0;
}

static int write_output(struct linker *linker, const struct layout *layout, const uint8_t *blob, size_t blob_length,
			const uint32_t *export_pcs, uint8_t **output, size_t *output_length)
{
	const struct data_region *ro = &layout->ro, *rw = &layout->rw;
	uint64_t ro_length = ro->data_end - ro->start, rw_length = rw->data_end - rw->start;
	uint64_t rw_size = rw->end - rw->start;
	struct pvm_error problem;
	int status;
	if (linker->options->format == LINK_FORMAT_JAM) {
		struct text_buffer metadata = {0};
		if (write_metadata(linker, export_pcs, &metadata))
			return -1;
		struct loader_jam_parts parts = {
			.has_metadata = true,
			.metadata = (const uint8_t *)metadata.data,
			.metadata_length = metadata.length,
			.ro_data = ro->bytes,
			.ro_length = ro_length,
			.rw_data = rw->bytes,
			.rw_length = rw_length,
			.heap_pages = (round_up(rw_size, PAGE_SIZE) - round_up(rw_length, PAGE_SIZE)) / PAGE_SIZE,
			.stack_size = linker->stack_size,
			.blob = blob,
			.blob_length = blob_length,
		};
		status = loader_jam_write(&parts, output, output_length, &problem);
		free(metadata.data);
	} else {
		const char **imports = calloc(linker->import_count + 1, sizeof *imports);
		struct loader_polkavm_export *exports = calloc(linker->export_count, sizeof *exports);
		if (!imports || !exports) {
			free(imports);
			free(exports);
			return link_fail(linker, "out of memory");
		}
		size_t used = 0;
		for (size_t i = 0; i < linker->import_count; i++)
			if (linker->imports[i].used)
				imports[used++] = linker->imports[i].name;
		for (size_t i = 0; i < linker->export_count; i++)
			exports[i] = (struct loader_polkavm_export){linker->exports[i].name, export_pcs[i]};
		struct loader_polkavm_parts parts = {
			.isa = linker->options->isa == PVM_ISA_GP08 ? CORRAL_ISA_GP08 : CORRAL_ISA_GP07,
			.ro_data = ro->bytes,
			.ro_data_length = (uint32_t)ro_length,
			.ro_data_size = (uint32_t)ro_length,
			.rw_data = rw->bytes,
			.rw_data_length = (uint32_t)rw_length,
			.rw_data_size = (uint32_t)rw_size,
			.stack_size = linker->stack_size,
			.imports = imports,
			.import_count = used,
			.exports = exports,
			.export_count = linker->export_count,
			.blob = blob,
			.blob_length = blob_length,
		};
		status = loader_polkavm_write(&parts, output, output_length, &problem);
		free(imports);
		free(exports);
	}
	return status ? link_fail(linker, "%s", problem.message) : 0;
}

/* The whole layout must fit 4 GiB as GP A.7 lays it out (the loader
 * checks again, but the linker is where it can be fixed). */
static int check_fits(struct linker *linker, const struct layout *layout)
{
	uint64_t total = 5 * (uint64_t)LOADER_ZONE_SIZE +
			 round_up(layout->ro.end - layout->ro.start, LOADER_ZONE_SIZE) +
			 round_up(layout->rw.end - layout->rw.start, LOADER_ZONE_SIZE) +
			 round_up(linker->stack_size, LOADER_ZONE_SIZE) + LOADER_INPUT_SIZE;
	if (linker->stack_size >= (1u << 24))
		return link_fail(linker, "a stack of %u bytes is too big (the limit is 16 MiB - 1)",
				 linker->stack_size);
	if (total > (1ull << 32))
		return link_fail(linker,
				 "the data (%llu + %llu bytes) and the stack do not fit the 4 GiB address space",
				 (unsigned long long)(layout->ro.end - layout->ro.start),
				 (unsigned long long)(layout->rw.end - layout->rw.start));
	return 0;
}

static void fill_stats(const struct linker *linker, const struct layout *layout, size_t blob_length,
		       struct link_stats *stats)
{
	if (!stats)
		return;
	size_t used = 0;
	for (size_t i = 0; i < linker->import_count; i++)
		used += linker->imports[i].used;
	*stats = (struct link_stats){
		.riscv_instructions = (uint32_t)linker->code_count,
		.pvm_instructions = linker->emitted,
		.code_bytes = (uint32_t)blob_length,
		.jump_table_entries = (uint32_t)linker->taken_count,
		.ro_data_bytes = (uint32_t)(layout->ro.data_end - layout->ro.start),
		.rw_data_bytes = (uint32_t)(layout->rw.data_end - layout->rw.start),
		.bss_bytes = (uint32_t)(layout->rw.end - layout->rw.data_end),
		.imports = (uint32_t)used,
		.exports = (uint32_t)linker->export_count,
	};
}

static int link_all(struct linker *linker, struct layout *layout, uint8_t **output, size_t *output_length,
		    struct link_stats *stats)
{
	struct fixups fixups = {0};
	size_t taken_capacity = 0;
	uint8_t *blob = NULL;
	size_t blob_length = 0;
	uint32_t *export_labels = NULL, *export_pcs = NULL;
	struct builder_error problem;
	int status = -1;

	if (classify(linker, layout) || lay_out_data(linker, layout) || check_fits(linker, layout) ||
	    decode_code(linker, layout) || scan_code(linker, layout, &taken_capacity) ||
	    read_relocations(linker, layout, &fixups, &taken_capacity) || read_imports(linker, layout->imports) ||
	    read_exports(linker, layout->exports, &taken_capacity) || settle_taken(linker) ||
	    apply_fixups(linker, &fixups))
		goto done;
	drop_trailing_zeros(&layout->rw);
	number_imports(linker);
	export_labels = calloc(linker->export_count, sizeof *export_labels);
	export_pcs = calloc(linker->export_count, sizeof *export_pcs);
	if (!export_labels || !export_pcs) {
		link_fail(linker, "out of memory");
		goto done;
	}
	if (generate(linker, export_labels))
		goto done;
	if (builder_finish(&linker->builder, &blob, &blob_length, &problem)) {
		link_fail(linker, "internal error: the translated code does not lay out: %s", problem.message);
		goto done;
	}
	for (size_t i = 0; i < linker->export_count; i++)
		export_pcs[i] = builder_label_offset(&linker->builder, export_labels[i]);
	if (write_output(linker, layout, blob, blob_length, export_pcs, output, output_length))
		goto done;
	fill_stats(linker, layout, blob_length, stats);
	status = 0;
done:
	free(fixups.list);
	free(blob);
	free(export_labels);
	free(export_pcs);
	return status;
}

int loader_link(const uint8_t *elf, size_t length, const struct link_options *options, uint8_t **output,
		size_t *output_length, struct link_stats *stats, struct pvm_error *error)
{
	struct linker linker = {.options = options, .error = error};
	struct layout layout = {0};
	if (options->isa != PVM_ISA_GP07 && options->isa != PVM_ISA_GP08) {
		pvm_error_set(error, 0, "unknown instruction set %u: the linker writes GP 0.7 or GP 0.8 code",
			      (unsigned)options->isa);
		return -1;
	}
	if (elf_read(elf, length, &linker.elf, error))
		return -1;
	linker.stack_size = options->stack_size ? options->stack_size : program_stack_size(&linker.elf);
	builder_init(&linker.builder, options->isa);
	int status = link_all(&linker, &layout, output, output_length, stats);
	builder_release(&linker.builder);
	elf_release(&linker.elf);
	free(linker.code);
	free(linker.taken);
	free(linker.imports);
	free(linker.exports);
	free(layout.ro.bytes);
	free(layout.rw.bytes);
	return status;
}
