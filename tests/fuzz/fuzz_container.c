/* Fuzzing the container parsers (raw blob, JAM standard program, either
 * behind metadata, .polkavm container), the standard memory layout, the
 * .polkavm writer, and module and instance creation for both containers.
 *
 * Input: a program file, as `corral run` reads one. AUTO and the explicit
 * .polkavm format reach the container parser whenever the input starts with
 * "PVM\0" (the seeds include containers).
 *
 * Checks: a refused file gets a message; everything an accepted one points
 * to lies inside the input; a container's names are printable, its exports
 * inside the code, and writing its parts back gives a container that reads
 * the same; the layout's regions are whole pages between 64 KiB and 4 GiB,
 * in order, apart, with their data inside them; a module's names are the
 * container's. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
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

/* Every name inside the input and printable; every pc inside the code. */
static void check_symbols(const uint8_t *data, size_t size, const struct loader_symbols *symbols, uint32_t code_length)
{
	require_inside(data, size, symbols->bytes, symbols->length, "symbol list");
	size_t at = 0;
	for (uint32_t i = 0; i < symbols->count; i++) {
		struct loader_symbol symbol;
		loader_symbol_next(symbols, &at, &symbol);
		if (at > symbols->length)
			failed("symbol %u ends past its list", i);
		require_inside(data, size, symbol.name, symbol.name_length, "name");
		if (symbol.name_length == 0 || symbol.name_length > LOADER_POLKAVM_NAME_MAX)
			failed("symbol %u has a name of %u bytes", i, symbol.name_length);
		for (uint32_t b = 0; b < symbol.name_length; b++)
			if (symbol.name[b] < 0x20 || symbol.name[b] > 0x7E)
				failed("symbol %u has byte 0x%02x in its name", i, symbol.name[b]);
		if (symbols->has_pc && symbol.pc >= code_length)
			failed("export %u at pc %u, past the %u-byte code", i, symbol.pc, code_length);
	}
}

static void check_program(const uint8_t *data, size_t size, const struct loader_program *program)
{
	require_inside(data, size, program->blob, program->blob_length, "code");
	require_inside(data, size, program->metadata, program->metadata_length, "metadata");
	require_inside(data, size, program->ro_data, program->ro_length, "read-only data");
	require_inside(data, size, program->rw_data, program->rw_length, "read-write data");
	if (program->format != CORRAL_FORMAT_BLOB && program->format != CORRAL_FORMAT_JAM &&
	    program->format != CORRAL_FORMAT_POLKAVM)
		failed("parsed as format %u", (unsigned)program->format);
	if (program->format != CORRAL_FORMAT_POLKAVM)
		return;
	struct pvm_blob blob;
	struct pvm_error problem;
	if (pvm_blob_parse(&blob, program->blob, program->blob_length, &problem))
		failed("a container was accepted with a code section that is no blob: %s", problem.message);
	if (program->ro_length > program->ro_size || program->rw_length > program->rw_size)
		failed("data longer than its region: %u > %u or %u > %u", program->ro_length, program->ro_size,
		       program->rw_length, program->rw_size);
	check_symbols(data, size, &program->imports, blob.code_length);
	check_symbols(data, size, &program->exports, blob.code_length);
}

/* A list's names as NUL-terminated strings (and pcs), for the writer. */
static char **symbol_strings(const struct loader_symbols *symbols, struct loader_polkavm_export *exports)
{
	char **names = calloc(symbols->count + 1, sizeof *names);
	size_t at = 0;
	for (uint32_t i = 0; names && i < symbols->count; i++) {
		struct loader_symbol symbol;
		loader_symbol_next(symbols, &at, &symbol);
		names[i] = calloc(symbol.name_length + 1, 1);
		if (!names[i])
			failed("out of memory");
		memcpy(names[i], symbol.name, symbol.name_length);
		if (exports)
			exports[i] = (struct loader_polkavm_export){names[i], symbol.pc};
	}
	if (!names)
		failed("out of memory");
	return names;
}

static void free_strings(char **names, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

static bool same_bytes(const uint8_t *a, size_t a_length, const uint8_t *b, size_t b_length)
{
	return a_length == b_length && (a_length == 0 || !memcmp(a, b, a_length));
}

static bool same_symbols(const struct loader_symbols *a, const struct loader_symbols *b)
{
	if (a->count != b->count)
		return false;
	size_t at_a = 0, at_b = 0;
	for (uint32_t i = 0; i < a->count; i++) {
		struct loader_symbol x, y;
		loader_symbol_next(a, &at_a, &x);
		loader_symbol_next(b, &at_b, &y);
		if (x.pc != y.pc || !same_bytes(x.name, x.name_length, y.name, y.name_length))
			return false;
	}
	return true;
}

/* What was read, written again, reads the same. */
static void check_rewrite(const struct loader_program *program)
{
	struct loader_polkavm_export *exports = calloc(program->exports.count + 1, sizeof *exports);
	if (!exports)
		failed("out of memory");
	char **imports = symbol_strings(&program->imports, NULL);
	char **export_names = symbol_strings(&program->exports, exports);
	struct loader_polkavm_parts parts = {
		.isa = program->isa,
		.ro_data = program->ro_data,
		.ro_data_length = program->ro_length,
		.ro_data_size = program->ro_size,
		.rw_data = program->rw_data,
		.rw_data_length = program->rw_length,
		.rw_data_size = program->rw_size,
		.stack_size = program->stack_size,
		.imports = (const char *const *)imports,
		.import_count = program->imports.count,
		.exports = exports,
		.export_count = program->exports.count,
		.blob = program->blob,
		.blob_length = program->blob_length,
	};
	uint8_t *bytes;
	size_t length;
	struct pvm_error problem;
	if (loader_polkavm_write(&parts, &bytes, &length, &problem))
		failed("the parts of an accepted container cannot be written: %s", problem.message);
	struct loader_program again;
	if (loader_polkavm_parse(bytes, length, &again, &problem))
		failed("a written container does not read back: %s", problem.message);
	if (again.isa != program->isa || again.ro_size != program->ro_size || again.rw_size != program->rw_size ||
	    again.stack_size != program->stack_size || again.heap_pages != program->heap_pages ||
	    !same_bytes(again.ro_data, again.ro_length, program->ro_data, program->ro_length) ||
	    !same_bytes(again.rw_data, again.rw_length, program->rw_data, program->rw_length) ||
	    !same_bytes(again.blob, again.blob_length, program->blob, program->blob_length) ||
	    !same_symbols(&again.imports, &program->imports) || !same_symbols(&again.exports, &program->exports))
		failed("a container written from what was read reads differently");
	free(bytes);
	free_strings(imports, program->imports.count);
	free_strings(export_names, program->exports.count);
	free(exports);
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

/* The module's names are the container's, each found by name. */
static void check_module_names(const corral_module *module, const struct loader_program *program)
{
	if (corral_module_import_count(module) != program->imports.count ||
	    corral_module_export_count(module) != program->exports.count)
		failed("the module has %zu imports and %zu exports, the container %u and %u",
		       corral_module_import_count(module), corral_module_export_count(module), program->imports.count,
		       program->exports.count);
	size_t at = 0;
	for (uint32_t i = 0; i < program->imports.count; i++) {
		struct loader_symbol symbol;
		loader_symbol_next(&program->imports, &at, &symbol);
		const char *name = corral_module_import_name(module, i);
		if (!name || !same_bytes((const uint8_t *)name, strlen(name), symbol.name, symbol.name_length))
			failed("import %u has another name in the module", i);
	}
	at = 0;
	for (uint32_t i = 0; i < program->exports.count; i++) {
		struct loader_symbol symbol;
		loader_symbol_next(&program->exports, &at, &symbol);
		const char *name = corral_module_export_name(module, i);
		uint32_t pc;
		if (!name || !same_bytes((const uint8_t *)name, strlen(name), symbol.name, symbol.name_length) ||
		    corral_module_export_pc(module, i) != symbol.pc)
			failed("export %u differs in the module", i);
		if (!corral_module_find_export(module, name, &pc) || pc != symbol.pc)
			failed("export %u \"%s\" is not found by its name", i, name);
	}
}

/* The public API's view: a module, and an instance laid out as GP A.7 says. */
static void instantiate(const uint8_t *data, size_t size, const struct loader_program *program,
			const uint8_t *arguments, size_t arguments_length)
{
	static corral_engine *engine;
	corral_error error;
	if (!engine && corral_engine_new(NULL, &engine, &error))
		failed("no engine: %s", error.message);

	corral_module_config config;
	corral_module_config_init(&config);
	config.format = program->format;
	corral_module *module;
	if (corral_module_new(engine, data, size, "input", &config, &module, &error)) {
		if (!error.message[0])
			failed("corral_module_new failed without a message");
		return;
	}
	if (program->format == CORRAL_FORMAT_POLKAVM)
		check_module_names(module, program);
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
	static const corral_format formats[] = {CORRAL_FORMAT_AUTO, CORRAL_FORMAT_JAM, CORRAL_FORMAT_POLKAVM};
	/* The first bytes stand in for argument data: any bytes will do. */
	size_t arguments_length = size < 16 ? size : 16;
	struct loader_program containers[CORRAL_FORMAT_POLKAVM + 1];
	bool found[CORRAL_FORMAT_POLKAVM + 1] = {false};

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
		if (program.format == CORRAL_FORMAT_BLOB || found[program.format])
			continue;
		found[program.format] = true;
		containers[program.format] = program;
		if (program.format == CORRAL_FORMAT_POLKAVM)
			check_rewrite(&program);
		if (loader_standard_layout(&program, data, arguments_length, &layout, &problem) == 0)
			check_layout(&layout, arguments_length);
		else if (!problem.message[0])
			failed("loader_standard_layout failed without a message");
	}
	for (int format = CORRAL_FORMAT_JAM; format <= CORRAL_FORMAT_POLKAVM; format++)
		if (found[format])
			instantiate(data, size, &containers[format], data, arguments_length);
	return 0;
}
