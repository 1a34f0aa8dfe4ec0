/* Helpers shared by the corral subcommands. */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "corral.h"

struct command {
	const char *name;
	const char *usage;
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* Prints "corral: <message>" to stderr; returns 1 for `return error(...)`. */
int cli_error(const char *format, ...) __attribute__((format(printf, 1, 2)));
int cli_usage_error(const struct command *command, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Reads a whole file; NULL with a message printed on failure. */
uint8_t *cli_read_file(const char *path, size_t *length);
int cli_write_file(const char *path, const uint8_t *bytes, size_t length);

/* Numbers in decimal or 0x-hex, with an optional '-'. */
bool cli_parse_u64(const char *text, uint64_t *value);
bool cli_parse_i64(const char *text, int64_t *value);

bool cli_parse_isa(const char *text, corral_isa *isa);
/* naive (1 per instruction) or gp08 (the GP 0.8 pipeline simulation). */
bool cli_parse_gas_model(const char *text, corral_gas_model *model);
bool cli_parse_format(const char *text, corral_format *format);
/* What --format takes, for its usage error: "--format takes %s". */
extern const char cli_format_choices[];

/* Is argv[*i] "--name VALUE" or "--name=VALUE"? Then *value gets VALUE (NULL
 * when it is missing) and *i moves past what was used. */
bool cli_option(int argc, char **argv, int *i, const char *name, const char **value);

/* What is left once a command has tried its own options on argv[i]: an
 * unknown option is a usage error; otherwise it is the one input file, into
 * *path. Returns 0, or the usage error's exit status. */
int cli_input_argument(const struct command *command, const char *argument, const char **path);

/* A test vector's program (raw blob bytes) and, when it has them, its
 * block-gas-costs; prints the problem and returns 1 on failure. */
struct cli_vector_program {
	uint8_t *program;
	size_t program_length;
	corral_block_cost *costs;
	size_t cost_count;
	bool has_costs;
};
int cli_vector_program(const char *path, const uint8_t *text, size_t text_length, struct cli_vector_program *out);

int cmd_run(int argc, char **argv);
int cmd_gas(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_asm(int argc, char **argv);
int cmd_vectors(int argc, char **argv);
int cmd_link(int argc, char **argv);
int cmd_cc(int argc, char **argv);

extern const struct command cli_commands[];
const struct command *cli_command(const char *name);

#endif
