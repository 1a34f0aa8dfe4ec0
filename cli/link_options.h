/* The options `corral link` and `corral cc` share, and linking a file. */
#ifndef CLI_LINK_OPTIONS_H
#define CLI_LINK_OPTIONS_H

#include <stdbool.h>

#include "cli/cli.h"
#include "loader/link.h"

#define CLI_LINK_NOT_MINE (-1)

/* Takes --format, --isa and --stack-size at argv[*i]: 0 when taken, a usage
 * error's status when malformed, CLI_LINK_NOT_MINE for anything else. */
int cli_link_option(const struct command *self, int argc, char **argv, int *i, struct link_options *options);

/* Links the ELF at path into output; prints the error and returns 1 on failure. */
int cli_link_file(const char *path, const char *output, const struct link_options *options, bool verbose);

#endif
