#include "tests/support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "loader/asm.h"
#include "tests/raw_program.h"

uint8_t *support_assemble(const char *source, size_t *length)
{
	uint8_t *bytes = NULL;
	char error[400];
	int status = loader_assemble(source, strlen(source), "test.s", &bytes, length, error, sizeof error);
	cr_assert_eq(status, 0, "assembly failed: %s", error);
	return bytes;
}

void machine_from_bytes(struct machine *machine, const uint8_t *bytes, size_t length,
			const corral_module_config *config, int64_t gas)
{
	corral_error error;
	corral_instance_config instance_config;
	memset(machine, 0, sizeof *machine);
	cr_assert_eq(corral_engine_new(NULL, &machine->engine, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(corral_module_new(machine->engine, bytes, length, "test", config, &machine->module, &error),
		     CORRAL_OK, "module: %s", error.message);
	corral_instance_config_init(&instance_config);
	instance_config.gas = gas;
	cr_assert_eq(corral_instance_new(machine->module, &instance_config, &machine->instance, &error), CORRAL_OK,
		     "instance: %s", error.message);
}

void machine_from_source(struct machine *machine, const char *source, const corral_module_config *config, int64_t gas)
{
	size_t length;
	uint8_t *bytes = support_assemble(source, &length);
	machine_from_bytes(machine, bytes, length, config, gas);
	free(bytes);
}

void machine_from_file(struct machine *machine, const char *name, const corral_module_config *config, int64_t gas)
{
	char path[256];
	size_t length;
	snprintf(path, sizeof path, "tests/asm/%s", name);
	uint8_t *text = support_read_file(path, &length);
	char *source = malloc(length + 1);
	cr_assert_not_null(source);
	memcpy(source, text, length);
	source[length] = 0;
	machine_from_source(machine, source, config, gas);
	free(source);
	free(text);
}

void machine_free(struct machine *machine)
{
	corral_instance_free(machine->instance);
	corral_module_free(machine->module);
	corral_engine_free(machine->engine);
	memset(machine, 0, sizeof *machine);
}

corral_interrupt machine_run(struct machine *machine)
{
	return corral_instance_run(machine->instance);
}

uint64_t machine_reg(struct machine *machine, unsigned index)
{
	return corral_instance_reg(machine->instance, index);
}

void machine_map(struct machine *machine, uint32_t address, uint32_t length, corral_page_access access)
{
	corral_error error;
	cr_assert_eq(corral_instance_map(machine->instance, address, length, access, &error), CORRAL_OK, "map: %s",
		     error.message);
}

corral_result module_try(const uint8_t *bytes, size_t length, const corral_module_config *config, corral_error *error)
{
	corral_engine *engine;
	corral_module *module = NULL;
	cr_assert_eq(corral_engine_new(NULL, &engine, error), CORRAL_OK);
	corral_result result = corral_module_new(engine, bytes, length, "test", config, &module, error);
	corral_module_free(module);
	corral_engine_free(engine);
	return result;
}

const char *support_vectors(void)
{
	const char *path = getenv("CORRAL_VECTORS");
	struct stat info;
	if (!path || stat(path, &info) || !S_ISDIR(info.st_mode))
		return NULL;
	return path;
}

uint8_t *support_read_file(const char *path, size_t *length)
{
	FILE *file = fopen(path, "rb");
	cr_assert_not_null(file, "cannot open %s", path);
	fseek(file, 0, SEEK_END);
	long size = ftell(file);
	fseek(file, 0, SEEK_SET);
	uint8_t *bytes = malloc((size_t)size + 1);
	cr_assert_not_null(bytes);
	cr_assert_eq(fread(bytes, 1, (size_t)size, file), (size_t)size);
	fclose(file);
	*length = (size_t)size;
	return bytes;
}

void machine_load_untouched(struct machine *machine, int64_t gas, const char *source)
{
	machine_from_asm(machine, CORRAL_ISA_GP07, source, gas);
	for (unsigned i = 0; i < CORRAL_REGISTER_COUNT; i++)
		corral_instance_set_reg(machine->instance, i, UNTOUCHED);
}

void assert_stop(corral_interrupt stop, corral_interrupt_kind kind, uint32_t pc)
{
	cr_assert_eq(stop.kind, kind, "stopped with %s, expected %s", corral_interrupt_name(stop.kind),
		     corral_interrupt_name(kind));
	cr_assert_eq(stop.pc, pc, "stopped at pc %u, expected %u", stop.pc, pc);
}

bool support_sandbox_works(const char **why)
{
	static int known; /* 0: not probed, 1: works, 2: does not */
	static corral_error problem;
	if (!known) {
		corral_engine_config config;
		corral_engine_config_init(&config);
		config.backend = CORRAL_BACKEND_JIT;
		config.sandbox = CORRAL_SANDBOX_LINUX;
		corral_engine *engine;
		known = corral_engine_new(&config, &engine, &problem) == CORRAL_OK ? 1 : 2;
		if (known == 1)
			corral_engine_free(engine);
	}
	if (why)
		*why = problem.message;
	return known == 1;
}

void support_require_sandbox(void)
{
	const char *why;
	if (!support_sandbox_works(&why))
		cr_skip_test("the linux sandbox cannot run here: %s", why);
}

corral_module *support_module(corral_engine *engine, const char *source, corral_gas_metering metering)
{
	size_t length;
	uint8_t *bytes = support_assemble(source, &length);
	corral_module_config config = raw_config(CORRAL_ISA_GP07);
	config.metering = metering;
	corral_module *module;
	corral_error error;
	cr_assert_eq(corral_module_new(engine, bytes, length, "test", &config, &module, &error), CORRAL_OK, "%s",
		     error.message);
	free(bytes);
	return module;
}

corral_instance *support_instance(corral_module *module, int64_t gas)
{
	corral_instance_config config;
	corral_instance_config_init(&config);
	config.gas = gas;
	corral_instance *instance;
	corral_error error;
	cr_assert_eq(corral_instance_new(module, &config, &instance, &error), CORRAL_OK, "%s", error.message);
	return instance;
}
