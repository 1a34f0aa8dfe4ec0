/* Fuzzing the ELF reader and the linker.
 *
 * Input: an ELF file, as `corral link` reads one.
 *
 * Checks: a refused file gets a message; an accepted one links the same way
 * twice (the output is deterministic), into both containers, and what the
 * linker writes is a program corral loads. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corral.h"
#include "loader/link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void failed(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

static void failed(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	fprintf(stderr, "fuzz_elf: ");
	vfprintf(stderr, format, args);
	fprintf(stderr, "\n");
	va_end(args);
	abort();
}

static void link_and_load(const uint8_t *data, size_t size, enum link_format format, corral_engine *engine)
{
	struct link_options options;
	link_options_init(&options);
	options.format = format;
	uint8_t *output = NULL, *again = NULL;
	size_t length = 0, again_length = 0;
	struct pvm_error error = {0};
	if (loader_link(data, size, &options, &output, &length, NULL, &error)) {
		if (!error.message[0])
			failed("a refused ELF has no message");
		return;
	}
	if (loader_link(data, size, &options, &again, &again_length, NULL, &error))
		failed("the second link of the same ELF failed: %s", error.message);
	if (length != again_length || memcmp(output, again, length))
		failed("two links of the same ELF differ");
	corral_module_config config;
	corral_module_config_init(&config);
	corral_module *module = NULL;
	corral_error problem;
	if (corral_module_new(engine, output, length, "linked", &config, &module, &problem))
		failed("the linker wrote a program corral refuses: %s", problem.message);
	corral_module_free(module);
	free(output);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static corral_engine *engine;
	corral_error error;
	if (!engine && corral_engine_new(NULL, &engine, &error))
		failed("no engine: %s", error.message);
	link_and_load(data, size, LINK_FORMAT_JAM, engine);
	link_and_load(data, size, LINK_FORMAT_POLKAVM, engine);
	return 0;
}
