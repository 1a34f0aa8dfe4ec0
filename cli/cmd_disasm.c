/* corral disasm: a program as assembly that `corral asm` turns back into it;
 * with --native, the x86-64 code of each instruction under it, as comments. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "loader/asm.h"
#include "loader/container.h"

static void print_data(FILE *out, const char *what, const uint8_t *bytes, uint32_t length)
{
	for (uint32_t at = 0; at < length; at += 32) {
		fprintf(out, "; %s", what);
		for (uint32_t i = at; i < length && i < at + 32; i++)
			fprintf(out, " %02x", bytes[i]);
		fputc('\n', out);
	}
}

static void print_symbols(FILE *out, const char *kind, const struct loader_symbols *symbols)
{
	size_t at = 0;
	for (uint32_t i = 0; i < symbols->count; i++) {
		struct loader_symbol symbol;
		loader_symbol_next(symbols, &at, &symbol);
		fprintf(out, "; %s %u: %.*s", kind, i, (int)symbol.name_length, (const char *)symbol.name);
		if (symbols->has_pc)
			fprintf(out, " at @%u", symbol.pc);
		fputc('\n', out);
	}
}

/* The assembler writes no .polkavm containers: what only the container
 * holds is shown as comments, then its code section as a raw blob listing,
 * read with the numbering of the container's version. */
static int disassemble_polkavm(const struct loader_program *container, const char *path, FILE *out, char *error,
			       size_t error_size)
{
	fprintf(out, "; %s: .polkavm container for %s\n", path, container->isa == CORRAL_ISA_GP08 ? "gp0.8" : "gp0.7");
	fprintf(out, "; memory: ro_data_size %u, rw_data_size %u, stack_size %u\n", container->ro_size,
		container->rw_size, container->stack_size);
	print_data(out, "ro_data", container->ro_data, container->ro_length);
	print_data(out, "rw_data", container->rw_data, container->rw_length);
	print_symbols(out, "import", &container->imports);
	print_symbols(out, "export", &container->exports);
	fprintf(out, "; the code section follows: `corral asm` turns it back into that raw blob, not the container\n");
	return loader_disassemble(container->blob, container->blob_length, path, CORRAL_FORMAT_BLOB, container->isa,
				  out, error, error_size);
}

/* The plain listing of `bytes` into `out`; 0, or -1 with `error` filled. */
static int disassemble(const uint8_t *bytes, size_t length, const char *path, corral_format format, corral_isa isa,
		       FILE *out, char *error, size_t error_size)
{
	struct loader_program container;
	struct pvm_error problem;
	/* Only a container needs the listing wrapped; anything else is left
	 * to the disassembler whole, errors included. */
	bool container_found = (format == CORRAL_FORMAT_AUTO || format == CORRAL_FORMAT_POLKAVM) &&
			       loader_parse(bytes, length, format, &container, &problem) == 0 &&
			       container.format == CORRAL_FORMAT_POLKAVM;
	if (container_found)
		return disassemble_polkavm(&container, path, out, error, error_size);
	if (format == CORRAL_FORMAT_POLKAVM) {
		snprintf(error, error_size, "%s: %s", path, problem.message);
		return -1;
	}
	return loader_disassemble(bytes, length, path, format, isa, out, error, error_size);
}

/* The module the JIT makes of the program, for --native. */
static int compile(const uint8_t *bytes, size_t length, const char *path, corral_format format, corral_isa isa,
		   corral_gas_metering metering, corral_engine **engine, corral_module **module)
{
	corral_engine_config engine_config;
	corral_module_config config;
	corral_error error;
	corral_engine_config_init(&engine_config);
	engine_config.backend = CORRAL_BACKEND_JIT;
	/* The in-process code: listing it needs no sandbox worker. */
	engine_config.sandbox = CORRAL_SANDBOX_NONE;
	corral_module_config_init(&config);
	config.format = format;
	config.isa = isa;
	config.metering = metering;
	if (corral_engine_new(&engine_config, engine, &error) ||
	    corral_module_new(*engine, bytes, length, path, &config, module, &error))
		return cli_error("%s", error.message);
	return 0;
}

/* The plain listing, then each instruction's native code under it. */
static int disassemble_native(const uint8_t *bytes, size_t length, const char *path, corral_format format,
			      corral_isa isa, corral_gas_metering metering, FILE *out)
{
	corral_engine *engine = NULL;
	corral_module *module = NULL;
	char *listing = NULL, error[600];
	size_t listing_length;
	int status = compile(bytes, length, path, format, isa, metering, &engine, &module);
	FILE *memory = status ? NULL : open_memstream(&listing, &listing_length);
	if (!status && !memory)
		status = cli_error("out of memory");
	if (!status) {
		fprintf(memory, "; x86-64 code from the compiler (gas metering %s) under each instruction\n",
			cli_metering_name(metering));
		status = disassemble(bytes, length, path, format, isa, memory, error, sizeof error);
		if (fclose(memory))
			status = cli_error("out of memory");
		else if (status)
			status = cli_error("%s", error);
		else
			status = cli_native_listing(module, listing, out);
	}
	free(listing);
	corral_module_free(module);
	corral_engine_free(engine);
	return status;
}

int cmd_disasm(int argc, char **argv)
{
	const struct command *self = cli_command("disasm");
	const char *path = NULL, *output = NULL, *value;
	int status;
	corral_isa isa = CORRAL_ISA_GP07;
	corral_format format = CORRAL_FORMAT_AUTO;
	corral_gas_metering metering = CORRAL_METERING_SYNC;
	bool native = false, metering_given = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--native")) {
			native = true;
		} else if (cli_option(argc, argv, &i, "--gas-metering", &value)) {
			if (!value || !cli_parse_metering(value, &metering))
				return cli_usage_error(self, "--gas-metering takes %s", cli_metering_choices);
			metering_given = true;
		} else if (cli_option(argc, argv, &i, "--isa", &value)) {
			if (!value || !cli_parse_isa(value, &isa))
				return cli_usage_error(self, "--isa takes gp0.7 or gp0.8");
		} else if (cli_option(argc, argv, &i, "--format", &value)) {
			if (!value || !cli_parse_format(value, &format))
				return cli_usage_error(self, "--format takes %s", cli_format_choices);
		} else if (cli_option(argc, argv, &i, "-o", &value)) {
			if (!value)
				return cli_usage_error(self, "-o needs a file name");
			output = value;
		} else if ((status = cli_input_argument(self, argv[i], &path))) {
			return status;
		}
	}
	if (!path)
		return cli_usage_error(self, "which program?");
	if (metering_given && !native)
		return cli_usage_error(self, "--gas-metering says how the compiled code --native shows meters gas");
	size_t length;
	uint8_t *bytes = cli_read_file(path, &length);
	if (!bytes)
		return 1;
	FILE *out = output ? fopen(output, "w") : stdout;
	if (!out) {
		free(bytes);
		return cli_error("%s: cannot create", output);
	}
	char error[600];
	if (native) {
		status = disassemble_native(bytes, length, path, format, isa, metering, out);
		if (output && fclose(out) && !status)
			status = cli_error("%s: cannot write", output);
		free(bytes);
		return status;
	}
	status = disassemble(bytes, length, path, format, isa, out, error, sizeof error);
	if (output && fclose(out))
		status = -1, snprintf(error, sizeof error, "%s: cannot write", output);
	free(bytes);
	return status ? cli_error("%s", error) : 0;
}
