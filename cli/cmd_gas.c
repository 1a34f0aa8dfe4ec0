/* corral gas: what entering each basic block of a program costs, under a
 * gas model; for a test vector that lists its blocks' costs, which differ. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

struct gas_options {
	const char *path;
	corral_module_config module;
};

static int parse(int argc, char **argv, struct gas_options *options)
{
	const struct command *self = cli_command("gas");
	const char *value;
	int status;
	corral_module_config_init(&options->module);
	options->module.gas_model = CORRAL_GAS_GP08;
	for (int i = 1; i < argc; i++) {
		if (cli_option(argc, argv, &i, "--model", &value)) {
			if (!value || !cli_parse_gas_model(value, &options->module.gas_model))
				return cli_usage_error(self, "--model takes gp08 or naive");
		} else if (cli_option(argc, argv, &i, "--isa", &value)) {
			if (!value || !cli_parse_isa(value, &options->module.isa))
				return cli_usage_error(self, "--isa takes gp0.7 or gp0.8");
		} else if (cli_option(argc, argv, &i, "--format", &value)) {
			if (!value || !cli_parse_format(value, &options->module.format))
				return cli_usage_error(self, "--format takes %s", cli_format_choices);
		} else if ((status = cli_input_argument(self, argv[i], &options->path))) {
			return status;
		}
	}
	return options->path ? 0 : cli_usage_error(self, "which program?");
}

static bool looks_like_json(const uint8_t *bytes, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if (!isspace(bytes[i]))
			return bytes[i] == '{';
	return false;
}

/* The block that starts at pc, by binary search over the module's blocks. */
static bool find_block(const corral_module *module, uint32_t pc, corral_block_cost *block)
{
	size_t low = 0, high = corral_module_block_count(module);
	while (low < high) {
		size_t middle = low + (high - low) / 2;
		*block = corral_module_block(module, middle);
		if (block->pc == pc)
			return true;
		if (block->pc < pc)
			low = middle + 1;
		else
			high = middle;
	}
	return false;
}

/* Every block's cost; then, against the vector's, the ones that differ. */
static int report(const corral_module *module, const struct cli_vector_program *vector)
{
	size_t blocks = corral_module_block_count(module);
	printf("%10s %10s\n", "pc", "cost");
	for (size_t i = 0; i < blocks; i++) {
		corral_block_cost block = corral_module_block(module, i);
		printf("%10u %10" PRIu64 "\n", block.pc, block.cost);
	}
	if (!vector || !vector->has_costs) {
		printf("%zu blocks\n", blocks);
		return 0;
	}
	size_t differ = 0;
	for (size_t i = 0; i < vector->cost_count; i++) {
		const corral_block_cost *want = &vector->costs[i];
		corral_block_cost got;
		bool found = find_block(module, want->pc, &got);
		if (!found)
			printf("differs: pc %u: the vector costs a block there, but no block starts there\n", want->pc);
		else if (got.cost != want->cost)
			printf("differs: pc %u: computed %" PRIu64 ", the vector says %" PRIu64 "\n", want->pc,
			       got.cost, want->cost);
		differ += !found || got.cost != want->cost;
	}
	printf("%zu blocks, %zu differ\n", vector->cost_count, differ);
	return differ ? 3 : 0;
}

int cmd_gas(int argc, char **argv)
{
	struct gas_options options = {0};
	int status = parse(argc, argv, &options);
	if (status)
		return status;
	size_t length;
	uint8_t *bytes = cli_read_file(options.path, &length);
	if (!bytes)
		return 1;
	struct cli_vector_program vector = {0};
	bool is_vector = looks_like_json(bytes, length);
	const uint8_t *program = bytes;
	size_t program_length = length;
	if (is_vector) {
		if (cli_vector_program(options.path, bytes, length, &vector)) {
			free(bytes);
			return 1;
		}
		program = vector.program;
		program_length = vector.program_length;
		options.module.format = CORRAL_FORMAT_BLOB;
	}
	corral_engine *engine = NULL;
	corral_module *module = NULL;
	corral_error error;
	if (corral_engine_new(NULL, &engine, &error) ||
	    corral_module_new(engine, program, program_length, options.path, &options.module, &module, &error))
		status = cli_error("%s", error.message);
	else
		status = report(module, is_vector ? &vector : NULL);
	corral_module_free(module);
	corral_engine_free(engine);
	free(vector.program);
	free(vector.costs);
	free(bytes);
	return status;
}
