/* corral run: runs a program until it stops, and shows how. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/audit.h"
#include "cli/cli.h"
#include "cli/guest_host.h"
#include "cli/pager.h"
#include "loader/container.h"

static const char *const register_names[CORRAL_REGISTER_COUNT] = {
	"ra", "sp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
};

struct run_options {
	const char *path;
	struct cli_backend backend;
	corral_module_config module;
	int64_t gas;
	bool gas_given;
	uint32_t pc;
	bool pc_given;
	bool isa_given;
	bool trace;
	bool resume_host_calls;
	uint8_t *arguments;
	size_t arguments_length;
	enum { HOST_AUTO, HOST_GUEST, HOST_NONE } host;
	const char *entry;
	char **guest_argv; /* what follows FILE: the guest's arguments */
	int guest_argc;
	enum cli_audit_need audit; /* --audit: an eBPF trace of the sandboxes (cli/audit.c) */
};

static void print_module(const char *path, const corral_module *module, const struct cli_backend *backend)
{
	corral_module_info info;
	corral_module_get_info(module, &info);
	static const char *const formats[] = {"?", "raw blob", "JAM standard program", ".polkavm container"};
	printf("%s: %s%s, ISA %s: %u bytes of code, %u instructions, %u basic blocks, %u jump-table entries\n", path,
	       formats[info.format], info.has_metadata ? " (with metadata)" : "",
	       info.isa == CORRAL_ISA_GP08 ? "gp0.8" : "gp0.7", info.code_length, info.instruction_count,
	       info.block_count, info.jump_table_length);
	if (info.format == CORRAL_FORMAT_JAM || info.format == CORRAL_FORMAT_POLKAVM)
		printf("  memory: %u bytes read-only, %u bytes read-write, %u heap pages, %u bytes of stack\n",
		       info.ro_data_length, info.rw_data_length, info.heap_pages, info.stack_size);
	if (info.bad_static_targets || info.bad_jump_entries)
		printf("  note: %u jumps and %u jump-table entries lead to no block start (they panic if taken)\n",
		       info.bad_static_targets, info.bad_jump_entries);
	if (backend->engine.backend == CORRAL_BACKEND_JIT)
		printf("  backend: the x86-64 compiler, gas metering %s%s\n", cli_metering_name(backend->metering),
		       backend->engine.cross_check ? ", cross-checked against the interpreter step by step" : "");
}

static void print_stop(const corral_instance *instance, corral_interrupt interrupt, const struct run_options *options)
{
	switch (interrupt.kind) {
	case CORRAL_FINISHED:
		printf("stopped: finished (halt) at pc %u\n", interrupt.pc);
		break;
	case CORRAL_TRAP:
		printf("stopped: trap (panic) at pc %u\n", interrupt.pc);
		break;
	case CORRAL_OUT_OF_GAS:
		if (options->backend.engine.backend == CORRAL_BACKEND_JIT &&
		    options->backend.metering == CORRAL_METERING_ASYNC)
			printf("stopped: out of gas, noticed at pc %u (async metering notices late and leaves the "
			       "overdraft in the gas)\n",
			       interrupt.pc);
		else
			printf("stopped: out of gas at pc %u (the block there costs more than is left)\n",
			       interrupt.pc);
		break;
	case CORRAL_PAGE_FAULT:
		printf("stopped: page fault at address 0x%x (pc %u)\n", interrupt.address, interrupt.pc);
		break;
	case CORRAL_HOST_CALL:
		printf("stopped: host call %" PRIu64 " at pc %u (ecalli; no host functions are attached)\n",
		       interrupt.host_call, interrupt.pc);
		break;
	case CORRAL_STEP:
		printf("stopped: after one step, at pc %u\n", interrupt.pc);
		break;
	case CORRAL_ABORTED:
		printf("stopped: aborted at pc %u (%s)\n", interrupt.pc, corral_instance_divergence(instance));
		break;
	}
	int64_t left = corral_instance_gas(instance);
	if (options->gas_given)
		printf("gas: %lld used, %lld left\n", (long long)(options->gas - left), (long long)left);
	else
		printf("gas: %lld used (no limit was given)\n", (long long)(options->gas - left));
	printf("registers:\n");
	for (unsigned i = 0; i < CORRAL_REGISTER_COUNT; i++) {
		uint64_t value = corral_instance_reg(instance, i);
		printf("  r%-2u %-2s = 0x%016" PRIx64 "  %" PRIu64 "\n", i, register_names[i], value, value);
	}
}

/* Single-steps, printing each instruction and the registers it changed. */
static corral_interrupt trace(corral_instance *instance, const corral_module *module, struct cli_pager *pager)
{
	char text[160];
	uint64_t before[CORRAL_REGISTER_COUNT];
	corral_instance_set_single_step(instance, true);
	for (;;) {
		uint32_t pc = corral_instance_pc(instance);
		corral_module_instruction(module, pc, text, sizeof text);
		for (unsigned i = 0; i < CORRAL_REGISTER_COUNT; i++)
			before[i] = corral_instance_reg(instance, i);
		corral_interrupt interrupt = cli_pager_run(pager, instance);
		printf("%8u: %-40s gas %lld", pc, text, (long long)corral_instance_gas(instance));
		for (unsigned i = 0; i < CORRAL_REGISTER_COUNT; i++) {
			uint64_t after = corral_instance_reg(instance, i);
			if (after != before[i])
				printf("  r%u=0x%" PRIx64, i, after);
		}
		putchar('\n');
		if (interrupt.kind != CORRAL_STEP)
			return interrupt;
	}
}

/* With --continue, every host call is a no-op: shown, then resumed. */
static corral_interrupt run(corral_instance *instance, const corral_module *module, const struct run_options *options,
			    struct cli_pager *pager)
{
	for (;;) {
		corral_interrupt interrupt =
			options->trace ? trace(instance, module, pager) : cli_pager_run(pager, instance);
		if (interrupt.kind != CORRAL_HOST_CALL || !options->resume_host_calls)
			return interrupt;
		printf("host call %" PRIu64 " at pc %u: a0..a5 =", interrupt.host_call, interrupt.pc);
		for (unsigned i = 7; i < CORRAL_REGISTER_COUNT; i++)
			printf(" 0x%" PRIx64, corral_instance_reg(instance, i));
		printf(" (resumed as a no-op)\n");
	}
}

static int parse_hex(const char *hex, uint8_t **bytes, size_t *length)
{
	size_t n = strlen(hex);
	if (n % 2)
		return -1;
	*bytes = malloc(n / 2 + 1);
	if (!*bytes)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned byte;
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1) {
			free(*bytes);
			return -1;
		}
		(*bytes)[i] = (uint8_t)byte;
	}
	*length = n / 2;
	return 0;
}

/* A guest's arguments as crt0 reads them: the program's name, then each
 * argument, each followed by a NUL. */
static int guest_arguments(struct run_options *options)
{
	size_t length = strlen(options->path) + 1;
	for (int i = 0; i < options->guest_argc; i++)
		length += strlen(options->guest_argv[i]) + 1;
	uint8_t *blob = malloc(length), *at = blob;
	if (!blob)
		return -1;
	for (int i = -1; i < options->guest_argc; i++) {
		const char *argument = i < 0 ? options->path : options->guest_argv[i];
		size_t n = strlen(argument) + 1;
		memcpy(at, argument, n);
		at += n;
	}
	options->arguments = blob;
	options->arguments_length = length;
	return 0;
}

static int parse_options(int argc, char **argv, struct run_options *options)
{
	const struct command *self = cli_command("run");
	const char *value;
	uint64_t number;
	int status, taken;
	corral_module_config_init(&options->module);
	cli_backend_init(&options->backend);
	for (int i = 1; i < argc; i++) {
		if ((taken = cli_backend_option(self, argc, argv, &i, &options->backend)) >= 0) {
			if (taken)
				return taken;
		} else if (cli_option(argc, argv, &i, "--gas", &value)) {
			if (!value || !cli_parse_i64(value, &options->gas))
				return cli_usage_error(self, "--gas takes a signed 64-bit number");
			options->gas_given = true;
		} else if (cli_option(argc, argv, &i, "--pc", &value)) {
			if (!value || !cli_parse_u64(value, &number) || number > UINT32_MAX)
				return cli_usage_error(self, "--pc takes a code offset below 2^32");
			options->pc = (uint32_t)number;
			options->pc_given = true;
		} else if (cli_option(argc, argv, &i, "--isa", &value)) {
			if (!value || !cli_parse_isa(value, &options->module.isa))
				return cli_usage_error(self, "--isa takes gp0.7 or gp0.8");
			options->isa_given = true;
		} else if (cli_option(argc, argv, &i, "--gas-model", &value)) {
			if (!value || !cli_parse_gas_model(value, &options->module.gas_model))
				return cli_usage_error(self, "--gas-model takes naive or gp08");
		} else if (cli_option(argc, argv, &i, "--format", &value)) {
			if (!value || !cli_parse_format(value, &options->module.format))
				return cli_usage_error(self, "--format takes %s", cli_format_choices);
		} else if (cli_option(argc, argv, &i, "--args", &value)) {
			free(options->arguments);
			if (!value || parse_hex(value, &options->arguments, &options->arguments_length))
				return cli_usage_error(self, "--args takes the argument bytes in hex");
		} else if (!strcmp(argv[i], "--trace")) {
			options->trace = true;
		} else if (!strcmp(argv[i], "--continue")) {
			options->resume_host_calls = true;
		} else if (cli_option(argc, argv, &i, "--host", &value)) {
			if (value && !strcmp(value, "auto"))
				options->host = HOST_AUTO;
			else if (value && !strcmp(value, "guest"))
				options->host = HOST_GUEST;
			else if (value && !strcmp(value, "none"))
				options->host = HOST_NONE;
			else
				return cli_usage_error(self, "--host takes auto, guest or none");
		} else if (!strcmp(argv[i], "--audit") || !strncmp(argv[i], "--audit=", 8)) {
			/* Its value is optional, so "--audit VALUE" is not a form. */
			options->audit = CLI_AUDIT_REQUIRED;
			if (argv[i][7] && !cli_parse_audit_need(argv[i] + 8, &options->audit))
				return cli_usage_error(self, "--audit takes required or optional");
		} else if (cli_option(argc, argv, &i, "--entry", &value)) {
			if (!value)
				return cli_usage_error(self, "--entry takes the name of an export");
			options->entry = value;
		} else if ((status = cli_input_argument(self, argv[i], &options->path))) {
			return status;
		} else {
			/* Everything after the program is the program's. */
			options->guest_argv = argv + i + 1;
			options->guest_argc = argc - i - 1;
			break;
		}
	}
	if ((status = cli_backend_check(self, &options->backend)))
		return status;
	options->module.metering = options->backend.metering;
	if (!options->path)
		return cli_usage_error(self, "which program?");
	if (options->guest_argc && options->arguments)
		return cli_usage_error(self, "give the program arguments after FILE or with --args, not both");
	if (!options->gas_given)
		options->gas = INT64_MAX;
	return 0;
}

/* --dynamic-paging: the instance starts with nothing mapped; the pages a
 * standard program's layout gives it (GP A.7) are mapped as it touches
 * them. A raw blob has none, so every page it touches faults. */
static int page_layout(struct cli_pager *pager, corral_instance *instance, const uint8_t *bytes, size_t length,
		       const struct run_options *options)
{
	struct loader_program container;
	struct loader_layout layout;
	struct pvm_error problem;
	corral_error error;
	if (loader_parse(bytes, length, options->module.format, &container, &problem))
		return cli_error("%s: %s", options->path, problem.message);
	if (container.format == CORRAL_FORMAT_BLOB)
		return 0;
	if (loader_standard_layout(&container, options->arguments, options->arguments_length, &layout, &problem))
		return cli_error("%s: %s", options->path, problem.message);
	for (uint32_t i = 0; i < layout.region_count; i++) {
		const struct loader_region *region = &layout.regions[i];
		if (cli_pager_add(pager, instance, region->address, region->length, region->access, region->data,
				  region->data_length, &error))
			return cli_error("%s: %s: %s", options->path, region->name, error.message);
	}
	return 0;
}

static const char *const paging_names[] = {
	[CORRAL_PAGING_TABLE] = "the interpreter's page table",
	[CORRAL_PAGING_MPROTECT] = "page protections",
	[CORRAL_PAGING_USERFAULTFD] = "userfaultfd",
};

int cmd_run(int argc, char **argv)
{
	struct run_options options = {0};
	int status = parse_options(argc, argv, &options);
	if (status) {
		free(options.arguments);
		return status;
	}
	size_t length;
	uint8_t *bytes = cli_read_file(options.path, &length);
	if (!bytes) {
		free(options.arguments);
		return 1;
	}
	corral_engine *engine = NULL;
	corral_module *module = NULL;
	corral_instance *instance = NULL;
	struct cli_audit *audit = NULL;
	corral_error error;
	corral_instance_config config;
	corral_instance_config_init(&config);
	config.gas = options.gas;
	config.dynamic_paging = options.backend.dynamic_paging;
	struct cli_pager pager = {0};

	/* A guest linked for GP 0.8 says so in its metadata; --isa still wins. */
	struct loader_program container;
	struct pvm_error problem;
	if (!options.isa_given && !loader_parse(bytes, length, options.module.format, &container, &problem) &&
	    container.has_metadata)
		guest_metadata_isa(container.metadata, container.metadata_length, &options.module.isa);
	/* --audit: every sandbox worker the engine starts is watched. */
	audit = cli_audit_run_start(options.audit, &status);
	if (status)
		goto done;
	if (corral_engine_new(&options.backend.engine, &engine, &error) ||
	    corral_module_new(engine, bytes, length, options.path, &options.module, &module, &error)) {
		status = cli_error("%s", error.message);
		goto done;
	}
	bool guest = options.host == HOST_GUEST || (options.host == HOST_AUTO && guest_host_detect(module));
	if (guest && !options.arguments && guest_arguments(&options)) {
		status = cli_error("out of memory");
		goto done;
	}
	if (!guest && options.guest_argc) {
		status = cli_usage_error(cli_command("run"),
					 "%s is not a corral guest, so it takes no arguments after it (--args HEX "
					 "gives raw argument bytes; --host guest forces the guest host)",
					 options.path);
		goto done;
	}
	config.arguments = options.arguments;
	config.arguments_length = options.arguments_length;
	if (corral_instance_new(module, &config, &instance, &error)) {
		status = cli_error("%s", error.message);
		goto done;
	}
	if (config.dynamic_paging && (status = page_layout(&pager, instance, bytes, length, &options)))
		goto done;
	if (options.entry || (guest && !options.pc_given)) {
		const char *entry = options.entry ? options.entry : GUEST_DEFAULT_ENTRY;
		if (guest_host_entry(module, entry, &options.pc)) {
			status = cli_error("%s: has no export named '%s'", options.path, entry);
			goto done;
		}
		options.pc_given = true;
	}
	if (options.pc_given)
		corral_instance_set_pc(instance, options.pc);
	struct cli_pager *paging = config.dynamic_paging ? &pager : NULL;
	if (guest && !options.trace) {
		status = guest_host_run(instance, module, options.path, paging);
	} else {
		print_module(options.path, module, &options.backend);
		corral_interrupt interrupt = run(instance, module, &options, paging);
		print_stop(instance, interrupt, &options);
		if (paging)
			printf("dynamic paging: %llu pages mapped as the program touched them (%s)\n",
			       (unsigned long long)pager.served, paging_names[corral_instance_paging(instance)]);
		status = interrupt.kind == CORRAL_FINISHED || interrupt.kind == CORRAL_HOST_CALL ? 0 : 3;
	}
	/* A stop the compiled code and the interpreter disagreed on says
	 * nothing about the program: that outranks its own status. */
	if (cli_check_divergence(instance, options.path))
		status = 1;
done:
	cli_pager_free(&pager);
	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine);
	cli_audit_finish(audit); /* after the engine, whose workers' ends it shows */
	free(bytes);
	free(options.arguments);
	return status;
}
