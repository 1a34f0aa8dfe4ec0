/* Fuzzing the container parser (raw blob, JAM standard program, either
 * behind metadata), the standard memory layout, and module and instance
 * creation for JAM standard programs.
 *
 * Input: a program file, as `corral run` reads one.
 *
 * Checks: a refused file gets a message; everything an accepted one points
 * to lies inside the input; the layout's regions are whole pages between
 * 64 KiB and 4 GiB, in order, apart, with their data inside them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corral.h"
#include "loader/container.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void failed(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

static void failed(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	fprintf(stderr, "fuzz_container: ");
	vfprintf(stderr, format, args);
	fprintf(stderr, "\n");
	va_end(args);
	abort();
}

static void require_inside(const uint8_t *data, size_t size, const uint8_t *part, size_t length, const char *what)
{
	if (length == 0)
		return;
	if (part < data || part > data + size || length > (size_t)(data + size - part))
		failed("the %s (%zu bytes) lies outside the input", what, length);
}

static void check_program(const uint8_t *data, size_t size, const struct loader_program *program)
{
	require_inside(data, size, program->blob, program->blob_length, "code");
	require_inside(data, size, program->metadata, program->metadata_length, "metadata");
	require_inside(data, size, program->ro_data, program->ro_length, "read-only data");
	require_inside(data, size, program->rw_data, program->rw_length, "read-write data");
	if (program->format != CORRAL_FORMAT_BLOB && program->format != CORRAL_FORMAT_JAM)
		failed("parsed as format %u", (unsigned)program->format);
}

static void check_layout(const struct loader_layout *layout, size_t arguments_length)
{
	uint64_t end = 0x10000; /* nothing below 64 KiB may be mapped */
	for (uint32_t i = 0; i < layout->region_count; i++) {
		const struct loader_region *region = &layout->regions[i];
		if (region->address % CORRAL_PAGE_SIZE || region->length % CORRAL_PAGE_SIZE || region->length == 0)
			failed("the %s region 0x%x + 0x%x is not whole pages", region->name, region->address,
			       region->length);
		if (region->address < end || (uint64_t)region->address + region->length > 1ull << 32)
			failed("the %s region 0x%x + 0x%x overlaps the one before it or runs past 4 GiB", region->name,
			       region->address, region->length);
		if (region->data_length > region->length)
			failed("the %s region holds %u bytes of data in %u bytes", region->name, region->data_length,
			       region->length);
		end = (uint64_t)region->address + region->length;
	}
	if (layout->heap_top > layout->heap_end)
		failed("the heap starts at 0x%x, past its end at 0x%x", layout->heap_top, layout->heap_end);
	if (layout->regs[8] != arguments_length)
		failed("r8 is %llu, not the %zu bytes of arguments", (unsigned long long)layout->regs[8],
		       arguments_length);
}

/* The public API's view: a module, and an instance laid out as GP A.7 says. */
static void instantiate(const uint8_t *data, size_t size, const uint8_t *arguments, size_t arguments_length)
{
	static corral_engine *engine;
	corral_error error;
	if (!engine && corral_engine_new(NULL, &engine, &error))
		failed("no engine: %s", error.message);

	corral_module_config config;
	corral_module_config_init(&config);
	config.format = CORRAL_FORMAT_JAM;
	corral_module *module;
	if (corral_module_new(engine, data, size, "input", &config, &module, &error)) {
		if (!error.message[0])
			failed("corral_module_new failed without a message");
		return;
	}
	corral_instance_config instance_config;
	corral_instance_config_init(&instance_config);
	instance_config.arguments = arguments;
	instance_config.arguments_length = arguments_length;
	instance_config.gas = 1000;
	corral_instance *instance;
	if (corral_instance_new(module, &instance_config, &instance, &error) == CORRAL_OK)
		corral_instance_free(instance);
	else if (!error.message[0])
		failed("corral_instance_new failed without a message");
	corral_module_free(module);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const corral_format formats[] = {CORRAL_FORMAT_AUTO, CORRAL_FORMAT_JAM};
	/* The first bytes stand in for argument data: any bytes will do. */
	size_t arguments_length = size < 16 ? size : 16;
	bool jam = false;

	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		struct loader_program program;
		struct loader_layout layout;
		struct pvm_error problem;
		if (loader_parse(data, size, formats[i], &program, &problem)) {
			if (!problem.message[0])
				failed("loader_parse (%s) failed without a message", loader_format_name(formats[i]));
			continue;
		}
		check_program(data, size, &program);
		if (program.format != CORRAL_FORMAT_JAM)
			continue;
		jam = true;
		if (loader_standard_layout(&program, data, arguments_length, &layout, &problem) == 0)
			check_layout(&layout, arguments_length);
		else if (!problem.message[0])
			failed("loader_standard_layout failed without a message");
	}
	if (jam)
		instantiate(data, size, data, arguments_length);
	return 0;
}
