/* Helpers shared by the corral subcommands. */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* How a program runs (cli/backend.c): --backend interp|jit, --sandbox linux|none|auto,
 * --gas-metering sync|async|off, --cross-check, --dynamic-paging. */
struct cli_backend {
	corral_engine_config engine;
	corral_gas_metering metering; /* for corral_module_config.metering */
	bool metering_given;
	bool dynamic_paging; /* corral_instance_config.dynamic_paging, served by cli/pager.h */
};
extern const char cli_backend_choices[], cli_sandbox_choices[], cli_metering_choices[];
bool cli_parse_backend(const char *text, corral_backend *backend);
bool cli_parse_metering(const char *text, corral_gas_metering *metering);
bool cli_parse_sandbox(const char *text, corral_sandbox *sandbox);
const char *cli_metering_name(corral_gas_metering metering);
void cli_backend_init(struct cli_backend *backend);
/* Tries argv[*i] as one of the options above: 0 when it was one (and *i
 * moved past its value), -1 when it was not, else a usage error's status. */
int cli_backend_option(const struct command *command, int argc, char **argv, int *i, struct cli_backend *backend);
/* Options that mean nothing without --backend jit are usage errors. */
int cli_backend_check(const struct command *command, const struct cli_backend *backend);
/* After a run: when a cross-check found the compiled code and the
 * interpreter disagreeing, says what differed and returns 1; else 0. */
int cli_check_divergence(const corral_instance *instance, const char *path);

/* corral disasm --native: prints `listing` (the plain disassembly of the
 * module's program) with the module's x86-64 code under each instruction,
 * disassembled by objdump, and the code no instruction owns at the end. */
int cli_native_listing(const corral_module *module, const char *listing, FILE *out);

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
int cmd_check(int argc, char **argv);
int cmd_link(int argc, char **argv);
int cmd_cc(int argc, char **argv);

extern const struct command cli_commands[];
const struct command *cli_command(const char *name);

#endif
