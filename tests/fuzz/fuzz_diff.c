/* Differential fuzzing on valid programs: tests/fuzz/program_gen.h turns the
 * input into a program that decodes and validates, and
 * tests/fuzz/differential.h runs it every way corral can (the interpreter
 * and the x86-64 compiler, straight through and single-stepped, with each
 * gas metering) and compares the whole state (interrupts, pc, registers,
 * gas, memory).
 *
 * Input: one byte picking the numbering (bit 0), the gas model (bit 1:
 * naive or the GP 0.8 pipeline model) and the gas budget (the rest: tight
 * budgets end loops at every block); one byte picking the pages mapped at
 * the top of the address space (bits 0-1) and whether the compiled code
 * also runs in lock step with the interpreter (bits 2-4 all zero: one
 * program in eight); then the recipe.
 *
 * Checks: the generator's program is accepted (a refusal is a bug in the
 * generator, the builder or the validator) by the interpreter and the
 * compiler alike, and everything differential.h checks. `make fuzz-diff`
 * runs it for FUZZ_DIFF_RUNS programs, `make test` for 20,000. */
#include "corral.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "tests/fuzz/differential.h"
#include "tests/fuzz/program_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	corral_error error;
	if (size < 2)
		return 0;
	differential_name = "fuzz_diff";

	struct gen_input in = {data + 2, size - 2, 0};
	struct gen_program generated = {.isa = data[0] & 1 ? PVM_ISA_GP08 : PVM_ISA_GP07};
	struct builder builder;
	struct builder_error problem;
	uint8_t *blob = NULL;
	size_t length = 0;
	builder_init(&builder, generated.isa);
	if (gen_program(&in, &builder, &generated))
		failed("the generator ran out of memory");
	if (builder_finish(&builder, &blob, &length, &problem))
		failed("the generated program does not lay out: %s", problem.message);
	builder_release(&builder);

	struct differential_program program = {
		.bytes = blob,
		.length = length,
		.pc = 0,
		/* The budget: from a few blocks' worth to enough for long loops. */
		.gas = 1 + (int64_t)(data[0] >> 2) * (data[0] >> 2) * (data[0] & 2 ? 8 : 1),
		.layout = data[1] & 3,
		.lock_step = (data[1] & 0x1C) == 0,
	};
	corral_module_config_init(&program.config);
	program.config.isa = generated.isa == PVM_ISA_GP08 ? CORRAL_ISA_GP08 : CORRAL_ISA_GP07;
	program.config.format = CORRAL_FORMAT_BLOB;
	program.config.gas_model = data[0] & 2 ? CORRAL_GAS_GP08 : CORRAL_GAS_NAIVE;
	if (!differential_check_program(&program, &error))
		failed("a generated program is refused: %s", error.message);

	/* Every jump the generator wrote goes to a block start. */
	corral_module *module;
	if (corral_module_new(differential_engine(), blob, length, "generated", &program.config, &module, &error))
		failed("a generated program is refused: %s", error.message);
	corral_module_info info;
	corral_module_get_info(module, &info);
	if (info.bad_static_targets)
		failed("a generated program has %u jumps to no block start", info.bad_static_targets);
	corral_module_free(module);
	free(blob);
	return 0;
}
