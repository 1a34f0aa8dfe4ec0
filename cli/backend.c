/* The options that choose how a program runs, shared by corral run and
 * corral vectors: --backend, --sandbox, --gas-metering, --cross-check and
 * --dynamic-paging. */
#include <string.h>

#include "cli/cli.h"

const char cli_backend_choices[] = "interp or jit";
const char cli_sandbox_choices[] = "linux, none or auto";
const char cli_metering_choices[] = "sync, async or off";

bool cli_parse_backend(const char *text, corral_backend *backend)
{
	if (!strcmp(text, "interp") || !strcmp(text, "interpreter")) {
		*backend = CORRAL_BACKEND_INTERPRETER;
		return true;
	}
	if (!strcmp(text, "jit")) {
		*backend = CORRAL_BACKEND_JIT;
		return true;
	}
	return false;
}

bool cli_parse_sandbox(const char *text, corral_sandbox *sandbox)
{
	static const struct {
		const char *name;
		corral_sandbox sandbox;
	} names[] = {{"linux", CORRAL_SANDBOX_LINUX}, {"none", CORRAL_SANDBOX_NONE}, {"auto", CORRAL_SANDBOX_AUTO}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!strcmp(text, names[i].name)) {
			*sandbox = names[i].sandbox;
			return true;
		}
	}
	return false;
}

bool cli_parse_metering(const char *text, corral_gas_metering *metering)
{
	static const struct {
		const char *name;
		corral_gas_metering metering;
	} names[] = {{"sync", CORRAL_METERING_SYNC}, {"async", CORRAL_METERING_ASYNC}, {"off", CORRAL_METERING_OFF}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!strcmp(text, names[i].name)) {
			*metering = names[i].metering;
			return true;
		}
	}
	return false;
}

const char *cli_metering_name(corral_gas_metering metering)
{
	switch (metering) {
	case CORRAL_METERING_SYNC:
		return "sync";
	case CORRAL_METERING_ASYNC:
		return "async";
	case CORRAL_METERING_OFF:
		return "off";
	}
	return "?";
}

void cli_backend_init(struct cli_backend *backend)
{
	memset(backend, 0, sizeof *backend);
	corral_engine_config_init(&backend->engine);
	backend->metering = CORRAL_METERING_SYNC;
}

int cli_backend_option(const struct command *command, int argc, char **argv, int *i, struct cli_backend *backend)
{
	const char *value;
	if (cli_option(argc, argv, i, "--backend", &value)) {
		if (!value || !cli_parse_backend(value, &backend->engine.backend))
			return cli_usage_error(command, "--backend takes %s", cli_backend_choices);
	} else if (cli_option(argc, argv, i, "--sandbox", &value)) {
		if (!value || !cli_parse_sandbox(value, &backend->engine.sandbox))
			return cli_usage_error(
				command,
				"--sandbox takes %s (linux: a zygote process that can only compute; none: "
				"this process; auto: linux where the kernel allows it)",
				cli_sandbox_choices);
	} else if (cli_option(argc, argv, i, "--gas-metering", &value)) {
		if (!value || !cli_parse_metering(value, &backend->metering))
			return cli_usage_error(command, "--gas-metering takes %s", cli_metering_choices);
		backend->metering_given = true;
	} else if (!strcmp(argv[*i], "--cross-check")) {
		backend->engine.cross_check = true;
	} else if (!strcmp(argv[*i], "--dynamic-paging")) {
		backend->dynamic_paging = true;
	} else {
		return -1;
	}
	return 0;
}

int cli_backend_check(const struct command *command, const struct cli_backend *backend)
{
	if (backend->engine.backend == CORRAL_BACKEND_JIT)
		return 0;
	if (backend->metering_given && backend->metering != CORRAL_METERING_SYNC)
		return cli_usage_error(command,
				       "--gas-metering %s needs --backend jit: the interpreter always meters gas "
				       "exactly (sync)",
				       cli_metering_name(backend->metering));
	if (backend->engine.cross_check)
		return cli_usage_error(command, "--cross-check compares the compiled code with the interpreter, so it "
						"needs --backend jit");
	return 0;
}

int cli_check_divergence(const corral_instance *instance, const char *path)
{
	const char *divergence = corral_instance_divergence(instance);
	if (!divergence)
		return 0;
	if (corral_instance_aborted(instance))
		return cli_error("%s: the run was aborted: %s", path, divergence);
	return cli_error("%s: cross-check: the compiled code and the interpreter differ (a bug in corral's "
			 "compiler; please report it with this program): %s",
			 path, divergence);
}
