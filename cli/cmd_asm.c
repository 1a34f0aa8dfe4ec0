/* corral asm: PVM assembly to a program (a raw blob, or a JAM standard
 * program when the source has data directives). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "loader/asm.h"

int cmd_asm(int argc, char **argv)
{
	const struct command *self = cli_command("asm");
	const char *path = NULL, *output = NULL, *value;
	int status;

	for (int i = 1; i < argc; i++) {
		if (cli_option(argc, argv, &i, "-o", &value)) {
			if (!value)
				return cli_usage_error(self, "-o needs a file name");
			output = value;
		} else if ((status = cli_input_argument(self, argv[i], &path))) {
			return status;
		}
	}
	if (!path || !output)
		return cli_usage_error(self, "needs a source file and -o OUTPUT");
	size_t length, program_length;
	uint8_t *source = cli_read_file(path, &length), *program;
	if (!source)
		return 1;
	char error[400];
	status = loader_assemble((const char *)source, length, path, &program, &program_length, error, sizeof error);
	free(source);
	if (status)
		return cli_error("%s", error);
	status = cli_write_file(output, program, program_length);
	free(program);
	return status;
}
