/* Differential fuzzing on valid programs: tests/fuzz/program_gen.h turns the
 * input into a program that decodes and validates, and
 * tests/fuzz/differential.h runs it every way corral can and compares the
 * whole state (interrupts, pc, registers, gas, memory).
 *
 * Input: one byte picking the numbering (bit 0), the gas model (bit 1:
 * naive or the GP 0.8 pipeline model) and the gas budget (the rest: tight
 * budgets end loops at every block), then the recipe.
 *
 * Checks: the generator's program is accepted (a refusal is a bug in the
 * generator, the builder or the validator), and everything differential.h
 * checks. `make fuzz-diff` runs it for FUZZ_DIFF_RUNS programs. */
#include "corral.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "tests/fuzz/differential.h"
#include "tests/fuzz/program_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	corral_error error;
	if (size < 1)
		return 0;
	corral_engine *engine = differential_engine();
	differential_name = "fuzz_diff";

	struct gen_input in = {data + 1, size - 1, 0};
	struct gen_program program = {.isa = data[0] & 1 ? PVM_ISA_GP08 : PVM_ISA_GP07};
	struct builder builder;
	struct builder_error problem;
	uint8_t *blob = NULL;
	size_t length = 0;
	builder_init(&builder, program.isa);
	if (gen_program(&in, &builder, &program))
		failed("the generator ran out of memory");
	if (builder_finish(&builder, &blob, &length, &problem))
		failed("the generated program does not lay out: %s", problem.message);
	builder_release(&builder);

	corral_module_config config;
	corral_module_config_init(&config);
	config.isa = program.isa == PVM_ISA_GP08 ? CORRAL_ISA_GP08 : CORRAL_ISA_GP07;
	config.format = CORRAL_FORMAT_BLOB;
	config.gas_model = data[0] & 2 ? CORRAL_GAS_GP08 : CORRAL_GAS_NAIVE;
	corral_module *module;
	if (corral_module_new(engine, blob, length, "generated", &config, &module, &error))
		failed("a generated program is refused: %s", error.message);
	corral_module_info info;
	corral_module_get_info(module, &info);
	if (info.bad_static_targets)
		failed("a generated program has %u jumps to no block start", info.bad_static_targets);
	/* The budget: from a few blocks' worth to enough for long loops. */
	int64_t gas = 1 + (int64_t)(data[0] >> 2) * (data[0] >> 2) * (data[0] & 2 ? 8 : 1);
	differential_check_with_gas(module, 0, true, gas);
	corral_module_free(module);
	free(blob);
	return 0;
}
