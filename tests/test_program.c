/* core/program.c's view of varpi: pvm_program_jump_target_index, the rank
 * tables with a row per jump target are indexed by, checked against a count
 * done by hand for codes that end inside a 64-offset word, on one, and past
 * several. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/program.h"
#include "loader/allocator.h"
#include "tests/raw_program.h"

/* Traps (defined terminators) at every `stride`-th offset of `length` bytes
 * of code, so that each one after the first follows a terminator: all of
 * them are jump targets. */
static void check_ranks(size_t length, size_t stride)
{
	uint8_t code[RAW_MAX_BLOB / 2] = {0}, blob[RAW_MAX_BLOB];
	char starts[RAW_MAX_BLOB / 2 + 1];
	cr_assert_leq(length, sizeof code);
	memset(starts, '0', length);
	starts[length] = 0;
	for (size_t pc = 0; pc < length; pc += stride)
		starts[pc] = '1';
	size_t size = raw_blob(blob, code, length, starts, NULL, 0, 1);
	struct pvm_program program;
	struct pvm_error error;
	cr_assert_eq(pvm_program_init(&program, blob, size, PVM_ISA_GP07, &libc_allocator, &error), 0, "%s",
		     error.message);
	uint32_t seen = 0;
	for (uint32_t pc = 0; pc < length; pc++) {
		bool target = pc % stride == 0;
		cr_assert_eq(pvm_program_is_jump_target(&program, pc), target, "length %zu stride %zu pc %u", length,
			     stride, pc);
		if (target) {
			cr_assert_eq(pvm_program_jump_target_index(&program, pc), seen, "length %zu stride %zu pc %u",
				     length, stride, pc);
			seen++;
		}
	}
	cr_assert_eq(program.jump_target_count, seen, "length %zu stride %zu", length, stride);
	pvm_program_free(&program, &libc_allocator);
}

Test(program, jump_target_index_counts_the_targets_below)
{
	static const size_t lengths[] = {1, 2, 63, 64, 65, 127, 128, 129, 200, 500};
	static const size_t strides[] = {1, 2, 3, 7, 24, 25};
	for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++)
		for (size_t s = 0; s < sizeof strides / sizeof strides[0]; s++)
			check_ranks(lengths[l], strides[s]);
}

Test(program, no_code_has_no_jump_targets)
{
	uint8_t blob[RAW_MAX_BLOB];
	size_t size = raw_blob(blob, NULL, 0, "", NULL, 0, 1);
	struct pvm_program program;
	struct pvm_error error;
	cr_assert_eq(pvm_program_init(&program, blob, size, PVM_ISA_GP07, &libc_allocator, &error), 0, "%s",
		     error.message);
	cr_assert_eq(program.jump_target_count, 0);
	cr_assert_eq(program.instruction_count, 1, "the implicit trap at the end");
	pvm_program_free(&program, &libc_allocator);
}
