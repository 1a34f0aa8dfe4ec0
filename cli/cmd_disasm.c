/* corral disasm: a program as assembly that `corral asm` turns back into it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "loader/asm.h"

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
				return cli_usage_error(self, "--format takes auto, blob or jam");
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
	char error[400];
	status = loader_disassemble(bytes, length, path, format, isa, out, error, sizeof error);
	if (output && fclose(out))
		status = -1, snprintf(error, sizeof error, "%s: cannot write", output);
	free(bytes);
	return status ? cli_error("%s", error) : 0;
}
