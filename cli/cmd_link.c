/* corral link: a RISC-V RV64E executable to a PVM program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/link_options.h"
#include "loader/link.h"

int cmd_link(int argc, char **argv)
{
	const struct command *self = cli_command("link");
	const char *path = NULL, *output = NULL, *value;
	struct link_options options;
	bool verbose = false;
	int status;

	link_options_init(&options);
	for (int i = 1; i < argc; i++) {
		if (cli_option(argc, argv, &i, "-o", &value)) {
			if (!value)
				return cli_usage_error(self, "-o needs a file name");
			output = value;
		} else if ((status = cli_link_option(self, argc, argv, &i, &options)) != CLI_LINK_NOT_MINE) {
			if (status)
				return status;
		} else if (!strcmp(argv[i], "--verbose")) {
			verbose = true;
		} else if ((status = cli_input_argument(self, argv[i], &path))) {
			return status;
		}
	}
	if (!path || !output)
		return cli_usage_error(self, "needs an ELF file and -o OUTPUT");
	return cli_link_file(path, output, &options, verbose);
}

int cli_link_file(const char *path, const char *output, const struct link_options *options, bool verbose)
{
	size_t length, program_length;
	uint8_t *elf = cli_read_file(path, &length), *program;
	if (!elf)
		return 1;
	struct pvm_error error;
	struct link_stats stats;
	int status = loader_link(elf, length, options, &program, &program_length, &stats, &error);
	free(elf);
	if (status)
		return cli_error("%s: %s", path, error.message);
	if (verbose)
		fprintf(stderr,
			"%s: %u RISC-V instructions -> %u PVM instructions, %u bytes of code, %u jump-table entries; "
			"%u bytes read-only, %u read-write, %u zeroed; %u imports, %u exports; %zu bytes written\n",
			output, stats.riscv_instructions, stats.pvm_instructions, stats.code_bytes,
			stats.jump_table_entries, stats.ro_data_bytes, stats.rw_data_bytes, stats.bss_bytes,
			stats.imports, stats.exports, program_length);
	status = cli_write_file(output, program, program_length);
	free(program);
	return status;
}

int cli_link_option(const struct command *self, int argc, char **argv, int *i, struct link_options *options)
{
	const char *value;
	uint64_t number;
	if (cli_option(argc, argv, i, "--format", &value)) {
		if (value && !strcmp(value, "jam"))
			options->format = LINK_FORMAT_JAM;
		else if (value && !strcmp(value, "polkavm"))
			options->format = LINK_FORMAT_POLKAVM;
		else
			return cli_usage_error(self, "--format takes jam or polkavm");
		return 0;
	}
	if (cli_option(argc, argv, i, "--isa", &value)) {
		corral_isa isa;
		if (!value || !cli_parse_isa(value, &isa))
			return cli_usage_error(self, "--isa takes gp0.7 or gp0.8");
		options->isa = isa == CORRAL_ISA_GP08 ? PVM_ISA_GP08 : PVM_ISA_GP07;
		return 0;
	}
	if (cli_option(argc, argv, i, "--stack-size", &value)) {
		if (!value || !cli_parse_u64(value, &number) || number >= (1u << 24))
			return cli_usage_error(self, "--stack-size takes a number of bytes below 16 MiB");
		options->stack_size = (uint32_t)number;
		return 0;
	}
	return CLI_LINK_NOT_MINE;
}
