/* Fuzzing execution through the public API, driven as an embedder drives
 * it: any raw blob runs in the interpreter on a small gas budget with a few
 * pages mapped, host calls answered and page faults served by mapping the
 * page; then it runs again from the same start in single-step mode.
 *
 * Input: one byte whose low bit picks the numbering (0: GP 0.7, 1: GP 0.8)
 * and whose other bits give the pc to start at (an embedder may start
 * anywhere, even mid-block), then a raw program blob (GP A.2).
 *
 * Checks: gas never rises and never drops below zero; a page fault names a
 * page that is unmapped and may be mapped; and single-stepping meets the
 * same interrupts and ends in the same state (registers, pc, gas, memory) as
 * running straight through, since resuming never charges a block twice. */
#include "corral.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "tests/fuzz/differential.h"

/* sbrk moves a heap top that the public API cannot set back, so a program
 * that has it cannot be run twice from the same start. */
static bool has_sbrk(const corral_module *module)
{
	corral_module_info info;
	char text[160];
	corral_module_get_info(module, &info);
	for (uint32_t pc = 0; pc < info.code_length;) {
		uint32_t next = corral_module_instruction(module, pc, text, sizeof text);
		if (!strncmp(text, "sbrk ", 5))
			return true;
		if (next <= pc)
			failed("the instruction at pc %u says the next one is at %u", pc, next);
		pc = next;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	corral_error error;
	if (size < 1)
		return 0;
	corral_engine *engine = differential_engine();

	corral_module_config config;
	corral_module_config_init(&config);
	config.isa = data[0] & 1 ? CORRAL_ISA_GP08 : CORRAL_ISA_GP07;
	config.format = CORRAL_FORMAT_BLOB;
	corral_module *module;
	if (corral_module_new(engine, data + 1, size - 1, "input", &config, &module, &error)) {
		if (!error.message[0])
			failed("corral_module_new failed without a message");
		return 0;
	}
	differential_name = "fuzz_exec";
	differential_check(module, data[0] >> 1, !has_sbrk(module));
	corral_module_free(module);
	return 0;
}
