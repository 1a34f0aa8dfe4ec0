/* The disassembly listing: every instruction with its offset, every block
 * start, the jump table and, for a JAM standard program, its data — written
 * so that the assembler turns it back into the same bytes. */
#include <stdio.h>
#include <string.h>

#include "core/disasm.h"
#include "core/encode.h"
#include "core/program.h"
#include "loader/allocator.h"
#include "loader/asm.h"
#include "loader/container.h"

#define BYTES_PER_DATA_LINE 32

static void hex_line(FILE *out, const uint8_t *bytes, size_t length)
{
	for (size_t i = 0; i < length; i++)
		fprintf(out, "%s%02x", i ? " " : "", bytes[i]);
}

static void data_directive(FILE *out, const char *directive, const uint8_t *bytes, size_t length)
{
	for (size_t at = 0; at < length; at += BYTES_PER_DATA_LINE) {
		size_t n = length - at < BYTES_PER_DATA_LINE ? length - at : BYTES_PER_DATA_LINE;
		fprintf(out, "%s ", directive);
		hex_line(out, bytes + at, n);
		fputc('\n', out);
	}
}

static void print_container(FILE *out, const struct loader_program *container)
{
	fprintf(out, ".format jam\n");
	if (container->has_metadata) {
		fprintf(out, "; metadata: %zu bytes\n", container->metadata_length);
		if (container->metadata_length == 0)
			fprintf(out, ".metadata\n");
		data_directive(out, ".metadata", container->metadata, container->metadata_length);
	}
	fprintf(out, ".heap_pages %u\n.stack_size %u\n", container->heap_pages, container->stack_size);
	fprintf(out, "; read-only data: %u bytes\n", container->ro_length);
	data_directive(out, ".ro_data", container->ro_data, container->ro_length);
	fprintf(out, "; read-write data: %u bytes\n", container->rw_length);
	data_directive(out, ".rw_data", container->rw_data, container->rw_length);
}

static void print_jump_table(FILE *out, const struct pvm_program *program)
{
	const struct pvm_blob *blob = &program->blob;
	if (blob->jump_count == 0 && blob->jump_entry_size == 0)
		return;
	if (blob->jump_entry_size > 8)
		fprintf(out, "; jump-table entries of %u bytes cannot be written in assembly (8 at most)\n",
			blob->jump_entry_size);
	fprintf(out, ".jump_entry_size %u\n", blob->jump_entry_size);
	for (uint32_t i = 0; i < blob->jump_count; i++) {
		uint64_t entry = 0;
		const uint8_t *bytes = blob->jump_table + (size_t)i * blob->jump_entry_size;
		for (unsigned b = 0; b < blob->jump_entry_size && b < 8; b++)
			entry |= (uint64_t)bytes[b] << (8 * b);
		int width = fprintf(out, ".jump_table @%llu", (unsigned long long)entry);
		fprintf(out, "%*s; index %u, address %llu", width < 34 ? 34 - width : 1, "", i, 2ull * (i + 1));
		if (!pvm_program_is_jump_target(program, (int64_t)entry))
			fprintf(out, "; not a block start: jumping here panics");
		fputc('\n', out);
	}
}

static const char *block_note(const struct pvm_program *program, const struct pvm_block *block)
{
	if (pvm_program_is_jump_target(program, block->pc))
		return "";
	if (block->pc >= program->code.length)
		return "  ; end of code: reached by falling through";
	return block->reachable ? "  ; reached only by falling through" : "  ; unreachable";
}

/* One walk position: an instruction, or bytes no opcode marks. */
static void print_position(FILE *out, const struct pvm_program *program, enum pvm_isa isa, uint32_t pc)
{
	const struct pvm_code *code = &program->code;
	struct pvm_inst inst;
	struct pvm_error problem;
	char text[160];
	struct pvm_text line;
	uint8_t canonical[PVM_MAX_ENCODED];

	pvm_decode(code, pc, &inst);
	uint32_t end = inst.next < code->length ? inst.next : code->length;
	const uint8_t *bytes = code->bytes + pc;
	uint32_t length = end - pc;

	pvm_text_init(&line, text, sizeof text);
	if (!pvm_code_is_marked(code, pc)) {
		fprintf(out, "%8u: .bytes ", pc);
		hex_line(out, bytes, length);
		fprintf(out, "  ; no opcode starts here: executes as trap\n");
		return;
	}
	pvm_disasm_inst(&line, &inst);
	uint32_t size = pvm_encode(&inst, isa, 0, canonical, &problem);
	bool exact = size == length && !memcmp(canonical, bytes, length);
	fprintf(out, "%8u: %s", pc, text);
	if (!exact) {
		fprintf(out, " = ");
		hex_line(out, bytes, length);
	}
	int64_t target;
	if (!inst.defined)
		fprintf(out, "  ; opcode %u is not defined in %s: executes as trap", bytes[0], pvm_isa_name(isa));
	else if (pvm_inst_target(&inst, &target) && !pvm_program_is_jump_target(program, target))
		fprintf(out, "  ; target is not a block start: panics if taken");
	else if (exact) {
		fprintf(out, "%*s; ", line.length < 40 ? 40 - (int)line.length : 1, "");
		hex_line(out, bytes, length);
	}
	fputc('\n', out);
}

int loader_disassemble(const uint8_t *bytes, size_t length, const char *name, corral_format format, corral_isa isa,
		       FILE *out, char *error, size_t error_size)
{
	struct loader_program container;
	struct pvm_program program;
	struct pvm_error problem;
	enum pvm_isa core_isa = isa == CORRAL_ISA_GP08 ? PVM_ISA_GP08 : PVM_ISA_GP07;

	if (loader_parse(bytes, length, format, &container, &problem) ||
	    pvm_program_init(&program, container.blob, container.blob_length, core_isa, &libc_allocator, &problem)) {
		snprintf(error, error_size, "%s: %s", name, problem.message);
		return -1;
	}
	fprintf(out, "; %s: %s, %u bytes of code, %u instructions, %u basic blocks, %u jump-table entries\n", name,
		loader_format_name(container.format), program.code.length, program.instruction_count,
		program.block_count, program.blob.jump_count);
	if (container.format == CORRAL_FORMAT_JAM)
		print_container(out, &container);
	fprintf(out, ".isa %s\n", pvm_isa_name(core_isa));
	print_jump_table(out, &program);

	uint32_t block = 0;
	for (uint32_t pc = 0; pc < program.code.length;) {
		if (block < program.block_count && program.blocks[block].pc == pc) {
			fprintf(out, "@%u:%s\n", pc, block_note(&program, &program.blocks[block]));
			block++;
		}
		print_position(out, &program, core_isa, pc);
		pc += 1 + pvm_code_skip(&program.code, pc);
	}
	fprintf(out, "@%u:  ; end of code: running on from here traps\n", program.code.length);
	pvm_program_free(&program, &libc_allocator);
	return ferror(out) ? -1 : 0;
}
