/* Fuzzing the program blob parser and everything that walks a program: the
 * validator, the gas costing, the interpreter's preparation, the decoder, the
 * disassembler, the encoder and the listing.
 *
 * Input: one byte whose low bit picks the numbering (0: GP 0.7, 1: GP 0.8),
 * then a raw program blob (GP A.2).
 *
 * Checks, beyond "no crash, no leak, no undefined behaviour": a refused blob
 * gets a message; the gas blocks of an accepted one tile its walk, as
 * core/program.h says; and its listing assembles back into the same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/disasm.h"
#include "core/encode.h"
#include "core/gas.h"
#include "core/interp.h"
#include "loader/allocator.h"
#include "tests/fuzz/listing_round_trip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROUND_TRIP_MAX 16384 /* bytes of blob */

static void failed(const char *what, uint32_t pc)
{
	fprintf(stderr, "fuzz_blob: %s (pc %u)\n", what, pc);
	abort();
}

static void require_message(const struct pvm_error *error)
{
	if (!memchr(error->message, 0, sizeof error->message) || !error->message[0])
		failed("an error without a message", error->offset);
}

/* The gas blocks start at 0, each where the one before ends, and the last
 * holds the implicit trap at the end of the code. */
static void check_blocks(const struct pvm_program *program)
{
	uint32_t pc = 0, instructions = 0;
	for (uint32_t i = 0; i < program->block_count; i++) {
		const struct pvm_block *block = &program->blocks[i];
		if (block->pc != pc || block->end <= block->pc || block->count == 0)
			failed("the gas blocks do not tile the code", block->pc);
		if (pvm_program_block_at(program, block->pc) != i)
			failed("pvm_program_block_at misses the block", block->pc);
		pc = block->end;
		instructions += block->count;
	}
	if (program->block_count == 0 || pc <= program->code.length)
		failed("no gas block holds the end of the code", pc);
	if (instructions != program->instruction_count)
		failed("the gas blocks do not count every instruction", pc);
}

/* Every instruction of the walk decodes, prints and encodes without harm. */
static void walk(const struct pvm_program *program, enum pvm_isa isa)
{
	for (uint32_t pc = 0; pc < program->code.length;) {
		struct pvm_inst inst;
		struct pvm_error problem;
		struct pvm_text text;
		char buffer[160];
		uint8_t encoded[PVM_MAX_ENCODED];

		pvm_decode(&program->code, pc, &inst);
		if (inst.pc != pc || inst.next != pc + 1 + pvm_code_skip(&program->code, pc))
			failed("the decoder and the skip function disagree on the next instruction", pc);
		pvm_text_init(&text, buffer, sizeof buffer);
		pvm_disasm_inst(&text, &inst);
		if (text.length >= sizeof buffer || buffer[text.length] || !text.length)
			failed("the disassembler wrote no text, or past its buffer", pc);
		/* Refusing is allowed (an immediate that no encoding holds), but
		 * only with a reason. */
		if (pvm_encode(&inst, isa, 0, encoded, &problem) == 0)
			require_message(&problem);
		pc = inst.next;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum pvm_isa isa = data[0] & 1 ? PVM_ISA_GP08 : PVM_ISA_GP07;
	const uint8_t *blob = data + 1;
	size_t length = size - 1;
	struct pvm_program program;
	struct pvm_error problem;

	if (pvm_program_init(&program, blob, length, isa, &libc_allocator, &problem)) {
		require_message(&problem);
		return 0;
	}
	check_blocks(&program);
	struct pvm_gas_model naive = {.kind = PVM_GAS_PER_INSTRUCTION};
	if (pvm_gas_cost_blocks(&program, &naive, &problem))
		failed("the naive gas model refused a valid program", problem.offset);
	struct pvm_interp_code code;
	if (pvm_interp_prepare(&code, &program, &libc_allocator, &problem) == 0)
		pvm_interp_free(&code, &libc_allocator);
	else
		require_message(&problem);
	walk(&program, isa);

	/* Assembly has no way to write jump-table entries wider than 8 bytes
	 * (the listing says so); every other valid blob must round-trip. Large
	 * ones (the service and integration seeds) are left to the test suite,
	 * which round-trips them all: here they would cost a third of a second
	 * each, and the fuzzer's finds are small. */
	if (program.blob.jump_entry_size <= 8 && length <= ROUND_TRIP_MAX)
		check_listing_round_trip(blob, length, CORRAL_FORMAT_BLOB,
					 isa == PVM_ISA_GP08 ? CORRAL_ISA_GP08 : CORRAL_ISA_GP07);
	pvm_program_free(&program, &libc_allocator);
	return 0;
}
