/* corral disasm: a program as assembly that `corral asm` turns back into it. */
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

int cmd_disasm(int argc, char **argv)
{
	const struct command *self = cli_command("disasm");
	const char *path = NULL, *output = NULL, *value;
	int status;
	corral_isa isa = CORRAL_ISA_GP07;
	corral_format format = CORRAL_FORMAT_AUTO;

	for (int i = 1; i < argc; i++) {
		if (cli_option(argc, argv, &i, "--isa", &value)) {
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
	struct loader_program container;
	struct pvm_error problem;
	/* Only a container needs the listing wrapped; anything else is left
	 * to the disassembler whole, errors included. */
	bool container_found = (format == CORRAL_FORMAT_AUTO || format == CORRAL_FORMAT_POLKAVM) &&
			       loader_parse(bytes, length, format, &container, &problem) == 0 &&
			       container.format == CORRAL_FORMAT_POLKAVM;
	if (container_found)
		status = disassemble_polkavm(&container, path, out, error, sizeof error);
	else if (format == CORRAL_FORMAT_POLKAVM)
		status = -1, snprintf(error, sizeof error, "%s: %s", path, problem.message);
	else
		status = loader_disassemble(bytes, length, path, format, isa, out, error, sizeof error);
	if (output && fclose(out))
		status = -1, snprintf(error, sizeof error, "%s: cannot write", output);
	free(bytes);
	return status ? cli_error("%s", error) : 0;
}
