/* corral vectors: runs JSON test vectors and reports the first difference.
 *
 * Three schemas are read (see the vectors' README): the flat v0.4 one
 * (initial-* / expected-*), the step list of the gas-model vectors ("kind"
 * keys, underscores), and the JamV1 step list (one-key objects, hyphens). Each
 * is turned into the same sequence: map, write, set-reg, run, assert. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/json.h"
#include "cli/pager.h"
#include "loader/array.h"

struct options {
	bool isa_given;
	corral_isa isa;
	bool gas_model_given; /* then the vectors' block-gas-costs are not used */
	corral_gas_model gas_model;
	bool verbose;
	bool dynamic_paging;
};

struct vector_run {
	const char *path;
	corral_engine *engine;
	corral_instance *instance;
	corral_module *module;
	corral_interrupt last;
	bool ran;
	/* --dynamic-paging: the instance starts with nothing mapped; what the
	 * vector maps and writes waits here until the guest touches it. */
	bool paged;
	struct cli_pager pager;
	char failure[512];
};

static bool failf(struct vector_run *run, const char *format, ...) __attribute__((format(printf, 2, 3)));

static bool failf(struct vector_run *run, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vsnprintf(run->failure, sizeof run->failure, format, args);
	va_end(args);
	return false;
}

static const char *const status_of_kind[] = {
	[CORRAL_FINISHED] = "halt",         [CORRAL_TRAP] = "panic",          [CORRAL_OUT_OF_GAS] = "out-of-gas",
	[CORRAL_PAGE_FAULT] = "page-fault", [CORRAL_HOST_CALL] = "host-call", [CORRAL_STEP] = "step",
	[CORRAL_ABORTED] = "aborted",
};

static bool get_u64(struct vector_run *run, const struct json_value *object, const char *key, uint64_t *value)
{
	const struct json_value *field = json_get(object, key);
	if (!field)
		return failf(run, "line %u: missing \"%s\"", object->line, key);
	if (!json_to_u64(field, value))
		return failf(run, "line %u: \"%s\" is not an unsigned 64-bit integer", field->line, key);
	return true;
}

static bool get_u32(struct vector_run *run, const struct json_value *object, const char *key, uint32_t *value)
{
	uint64_t wide;
	if (!get_u64(run, object, key, &wide))
		return false;
	if (wide > UINT32_MAX)
		return failf(run, "line %u: \"%s\" = %llu does not fit 32 bits", json_get(object, key)->line, key,
			     (unsigned long long)wide);
	*value = (uint32_t)wide;
	return true;
}

/* A JSON array of byte values into a fresh buffer. */
static bool get_bytes(struct vector_run *run, const struct json_value *object, const char *key, uint8_t **bytes,
		      size_t *length)
{
	const struct json_value *array = json_get(object, key);
	size_t bad;
	if (json_to_bytes(array, bytes, length, &bad))
		return true;
	if (bad == SIZE_MAX)
		return failf(run, "line %u: \"%s\" should be an array of bytes", object->line, key);
	if (bad == array->count)
		return failf(run, "out of memory");
	return failf(run, "line %u: \"%s\"[%zu] is not a byte", array->items[bad].line, key, bad);
}

static bool load_costs(struct vector_run *run, const struct json_value *costs, corral_block_cost **table, size_t *count)
{
	*table = calloc(costs->count + 1, sizeof **table);
	if (!*table)
		return failf(run, "out of memory");
	*count = costs->count;
	for (size_t i = 0; i < costs->count; i++) {
		corral_block_cost *entry = &(*table)[i];
		if (costs->type == JSON_OBJECT) {
			/* {"pc": cost, ...} */
			uint64_t pc;
			if (!cli_parse_u64(costs->members[i].key, &pc) || pc > UINT32_MAX)
				return failf(run, "block-gas-costs: key \"%s\" is not a pc", costs->members[i].key);
			entry->pc = (uint32_t)pc;
			if (!json_to_u64(&costs->members[i].value, &entry->cost))
				return failf(run, "block-gas-costs: the cost of pc %u is not a number", entry->pc);
		} else {
			/* [{"pc": .., "cost": ..}, ...] */
			if (!get_u32(run, &costs->items[i], "pc", &entry->pc) ||
			    !get_u64(run, &costs->items[i], "cost", &entry->cost))
				return false;
		}
	}
	return true;
}

static bool create(struct vector_run *run, const struct json_value *root, const struct options *options,
		   corral_isa schema_isa)
{
	uint8_t *program;
	size_t length;
	corral_block_cost *costs = NULL;
	corral_module_config config;
	corral_error error;

	corral_module_config_init(&config);
	config.format = CORRAL_FORMAT_BLOB;
	config.isa = options->isa_given ? options->isa : schema_isa;
	const struct json_value *cost_json = json_get(root, "block-gas-costs");
	if (options->gas_model_given) {
		config.gas_model = options->gas_model;
	} else if (cost_json) {
		if (cost_json->type != JSON_OBJECT && cost_json->type != JSON_ARRAY)
			return failf(run, "line %u: block-gas-costs should be an object or an array", cost_json->line);
		if (!load_costs(run, cost_json, &costs, &config.block_cost_count)) {
			free(costs);
			return false;
		}
		config.gas_model = CORRAL_GAS_TABLE;
		config.block_costs = costs;
	}
	if (!get_bytes(run, root, "program", &program, &length)) {
		free(costs);
		return false;
	}
	corral_result result =
		corral_module_new(run->engine, program, length, "program", &config, &run->module, &error);
	free(program);
	free(costs);
	if (result != CORRAL_OK)
		return failf(run, "%s", error.message);
	corral_instance_config instance_config;
	corral_instance_config_init(&instance_config);
	instance_config.dynamic_paging = run->paged = options->dynamic_paging;
	if (corral_instance_new(run->module, &instance_config, &run->instance, &error) != CORRAL_OK)
		return failf(run, "%s", error.message);

	int64_t gas;
	uint32_t pc;
	const struct json_value *gas_json = json_get(root, "initial-gas");
	if (!gas_json || !json_to_i64(gas_json, &gas))
		return failf(run, "missing or bad \"initial-gas\"");
	if (!get_u32(run, root, "initial-pc", &pc))
		return false;
	corral_instance_set_gas(run->instance, gas);
	corral_instance_set_pc(run->instance, pc);
	return true;
}

static bool do_map(struct vector_run *run, const struct json_value *step)
{
	uint32_t address, length;
	corral_error error;
	if (!get_u32(run, step, "address", &address) || !get_u32(run, step, "length", &length))
		return false;
	const struct json_value *writable = json_get(step, "is-writable");
	if (!writable || writable->type != JSON_BOOL)
		return failf(run, "line %u: map needs a boolean \"is-writable\"", step->line);
	corral_page_access access = writable->boolean ? CORRAL_PAGE_WRITE : CORRAL_PAGE_READ;
	bool failed = run->paged ? cli_pager_add(&run->pager, run->instance, address, length, access, NULL, 0, &error)
				 : corral_instance_map(run->instance, address, length, access, &error) != CORRAL_OK;
	if (failed)
		return failf(run, "line %u: %s", step->line, error.message);
	return true;
}

static bool do_write(struct vector_run *run, const struct json_value *step)
{
	uint32_t address;
	uint8_t *bytes;
	size_t length;
	corral_error error;
	if (!get_u32(run, step, "address", &address) || !get_bytes(run, step, "contents", &bytes, &length))
		return false;
	bool failed = run->paged ? cli_pager_write(&run->pager, run->instance, address, bytes, length, &error)
				 : corral_instance_write(run->instance, address, bytes, length, &error) != CORRAL_OK;
	free(bytes);
	if (failed)
		return failf(run, "line %u: %s", step->line, error.message);
	return true;
}

static bool set_regs(struct vector_run *run, const struct json_value *regs)
{
	if (!regs || regs->type != JSON_ARRAY || regs->count != CORRAL_REGISTER_COUNT)
		return failf(run, "registers should be an array of 13 numbers");
	for (unsigned i = 0; i < CORRAL_REGISTER_COUNT; i++) {
		uint64_t value;
		if (!json_to_u64(&regs->items[i], &value))
			return failf(run, "line %u: register %u is not an unsigned 64-bit number", regs->items[i].line,
				     i);
		corral_instance_set_reg(run->instance, i, value);
	}
	return true;
}

static bool do_set_reg(struct vector_run *run, const struct json_value *step)
{
	uint32_t reg;
	uint64_t value;
	if (!get_u32(run, step, "reg", &reg) || !get_u64(run, step, "value", &value))
		return false;
	if (reg >= CORRAL_REGISTER_COUNT)
		return failf(run, "line %u: register %u does not exist", step->line, reg);
	corral_instance_set_reg(run->instance, reg, value);
	return true;
}

static bool do_run(struct vector_run *run)
{
	run->last = cli_pager_run(run->paged ? &run->pager : NULL, run->instance);
	run->ran = true;
	/* A cross-check that stopped the run decides nothing about the vector. */
	const char *divergence = corral_instance_divergence(run->instance);
	if (divergence)
		return failf(run, "cross-check: the compiled code and the interpreter differ: %s", divergence);
	return true;
}

/* The bytes the vector expects in one page: the listed chunks, zero elsewhere. */
static void expected_page(const struct json_value *memory, uint32_t page, uint8_t *expected)
{
	memset(expected, 0, CORRAL_PAGE_SIZE);
	for (size_t i = 0; memory && i < memory->count; i++) {
		uint64_t address;
		const struct json_value *contents = json_get(&memory->items[i], "contents");
		if (!json_to_u64(json_get(&memory->items[i], "address"), &address) || !contents)
			continue;
		for (size_t j = 0; j < contents->count; j++) {
			uint64_t at = address + j, byte;
			if (at >= page && at < (uint64_t)page + CORRAL_PAGE_SIZE &&
			    json_to_u64(&contents->items[j], &byte))
				expected[at - page] = (uint8_t)byte;
		}
	}
}

static bool check_memory(struct vector_run *run, const struct json_value *memory)
{
	if (memory && memory->type != JSON_ARRAY)
		return failf(run, "line %u: memory should be an array of chunks", memory->line);
	/* Pages still waiting for the guest's touch hold what the vector
	 * mapped and wrote too. */
	corral_error error;
	if (run->paged && cli_pager_serve_all(&run->pager, run->instance, &error))
		return failf(run, "%s", error.message);
	/* Every listed byte must be in a mapped page... */
	for (size_t i = 0; memory && i < memory->count; i++) {
		uint32_t address;
		const struct json_value *chunk = &memory->items[i];
		const struct json_value *contents = json_get(chunk, "contents");
		if (!get_u32(run, chunk, "address", &address))
			return false;
		if (!contents || contents->type != JSON_ARRAY)
			return failf(run, "line %u: a memory chunk needs \"contents\"", chunk->line);
		for (size_t j = 0; j < contents->count; j++) {
			uint64_t at = (uint64_t)address + j;
			if (at > UINT32_MAX ||
			    corral_instance_page_access(run->instance, (uint32_t)at) == CORRAL_PAGE_NONE)
				return failf(run, "memory[0x%llx]: expected a byte, but its page is not mapped",
					     (unsigned long long)at);
		}
	}
	/* ...and every mapped byte must be what is listed, or zero. */
	static uint8_t actual[CORRAL_PAGE_SIZE], expected[CORRAL_PAGE_SIZE];
	for (uint64_t page = 0; page < (1ull << 32); page += CORRAL_PAGE_SIZE) {
		if (corral_instance_page_access(run->instance, (uint32_t)page) == CORRAL_PAGE_NONE)
			continue;
		corral_instance_read(run->instance, (uint32_t)page, actual, sizeof actual, NULL);
		expected_page(memory, (uint32_t)page, expected);
		for (uint32_t k = 0; k < CORRAL_PAGE_SIZE; k++)
			if (actual[k] != expected[k])
				return failf(run, "memory[0x%llx]: expected 0x%02x, got 0x%02x",
					     (unsigned long long)(page + k), expected[k], actual[k]);
	}
	return true;
}

/* `status`, `regs`, `pc`, `gas`, `memory`, `page-fault-address`: any may be
 * absent, and the vector then does not care. */
static bool check(struct vector_run *run, const struct json_value *status, const struct json_value *regs,
		  const struct json_value *pc, const struct json_value *gas, const struct json_value *memory,
		  const struct json_value *fault)
{
	if (!run->ran)
		return failf(run, "an assertion comes before any run");
	const char *actual_status = status_of_kind[run->last.kind];
	if (status) {
		if (status->type != JSON_STRING)
			return failf(run, "line %u: status should be a string", status->line);
		if (strcmp(status->string, actual_status))
			return failf(run, "status: expected %s, got %s (at pc %u)", status->string, actual_status,
				     run->last.pc);
	}
	if (regs) {
		if (regs->type != JSON_ARRAY || regs->count != CORRAL_REGISTER_COUNT)
			return failf(run, "line %u: regs should be an array of 13 numbers", regs->line);
		for (unsigned i = 0; i < CORRAL_REGISTER_COUNT; i++) {
			uint64_t want, got = corral_instance_reg(run->instance, i);
			if (!json_to_u64(&regs->items[i], &want))
				return failf(run, "line %u: register %u is not a number", regs->items[i].line, i);
			if (want != got)
				return failf(run, "regs[%u]: expected 0x%llx, got 0x%llx", i, (unsigned long long)want,
					     (unsigned long long)got);
		}
	}
	uint64_t want_pc;
	if (pc) {
		if (!json_to_u64(pc, &want_pc))
			return failf(run, "line %u: pc is not a number", pc->line);
		if (want_pc != run->last.pc)
			return failf(run, "pc: expected %llu, got %u", (unsigned long long)want_pc, run->last.pc);
	}
	int64_t want_gas;
	if (gas) {
		if (!json_to_i64(gas, &want_gas))
			return failf(run, "line %u: gas is not a number", gas->line);
		if (want_gas != corral_instance_gas(run->instance))
			return failf(run, "gas: expected %lld, got %lld", (long long)want_gas,
				     (long long)corral_instance_gas(run->instance));
	}
	uint64_t want_fault;
	if (fault) {
		if (!json_to_u64(fault, &want_fault))
			return failf(run, "line %u: page-fault address is not a number", fault->line);
		if (run->last.kind != CORRAL_PAGE_FAULT || want_fault != run->last.address)
			return failf(run, "page-fault address: expected 0x%llx, got %s 0x%x",
				     (unsigned long long)want_fault,
				     run->last.kind == CORRAL_PAGE_FAULT ? "" : "no page fault,", run->last.address);
	}
	return check_memory(run, memory);
}

static bool run_flat(struct vector_run *run, const struct json_value *root)
{
	const struct json_value *maps = json_get(root, "initial-page-map");
	const struct json_value *chunks = json_get(root, "initial-memory");
	for (size_t i = 0; maps && i < maps->count; i++)
		if (!do_map(run, &maps->items[i]))
			return false;
	for (size_t i = 0; chunks && i < chunks->count; i++)
		if (!do_write(run, &chunks->items[i]))
			return false;
	if (!set_regs(run, json_get(root, "initial-regs")))
		return false;
	if (!do_run(run))
		return false;
	return check(run, json_get(root, "expected-status"), json_get(root, "expected-regs"),
		     json_get(root, "expected-pc"), json_get(root, "expected-gas"), json_get(root, "expected-memory"),
		     json_get(root, "expected-page-fault-address"));
}

static bool run_steps(struct vector_run *run, const struct json_value *steps)
{
	if (steps->type != JSON_ARRAY)
		return failf(run, "line %u: steps should be an array", steps->line);
	for (size_t i = 0; i < steps->count; i++) {
		const struct json_value *step = &steps->items[i], *body = step;
		const char *kind = NULL;
		const struct json_value *kind_json = json_get(step, "kind");
		if (kind_json && kind_json->type == JSON_STRING) {
			kind = kind_json->string; /* gas-model schema */
		} else if (step->type == JSON_OBJECT && step->count == 1) {
			kind = step->members[0].key; /* JamV1 schema */
			body = &step->members[0].value;
		}
		if (!kind)
			return failf(run, "line %u: steps[%zu] has no kind", step->line, i);
		bool ok;
		if (!strcmp(kind, "map"))
			ok = do_map(run, body);
		else if (!strcmp(kind, "write"))
			ok = do_write(run, body);
		else if (!strcmp(kind, "set-reg") || !strcmp(kind, "set_reg"))
			ok = do_set_reg(run, body);
		else if (!strcmp(kind, "run"))
			ok = do_run(run);
		else if (!strcmp(kind, "assert"))
			ok = check(run, json_get(body, "status"), json_get(body, "regs"), json_get(body, "pc"),
				   json_get(body, "gas"), json_get(body, "memory"),
				   json_get(body, "page-fault-address"));
		else
			return failf(run, "line %u: steps[%zu] has unknown kind \"%s\"", step->line, i, kind);
		if (!ok) {
			size_t n = strlen(run->failure);
			snprintf(run->failure + n, sizeof run->failure - n, " (step %zu, %s)", i, kind);
			return false;
		}
	}
	return true;
}

/* Returns true if the vector passed; prints it if it did not. */
static bool run_vector(const char *path, const struct options *options, corral_engine *engine)
{
	struct vector_run run = {.path = path, .engine = engine};
	struct json_value root;
	size_t length;
	char message[256];
	bool passed = false;
	const char *name = path;

	uint8_t *text = cli_read_file(path, &length);
	if (!text)
		return false;
	if (json_parse((const char *)text, length, &root, message, sizeof message)) {
		printf("FAIL %s: not valid JSON: %s\n", path, message);
		free(text);
		return false;
	}
	const struct json_value *name_json = json_get(&root, "name");
	if (name_json && name_json->type == JSON_STRING)
		name = name_json->string;

	const struct json_value *steps = json_get(&root, "steps");
	bool flat = json_get(&root, "expected-status") != NULL;
	if (!flat && !steps) {
		failf(&run, "neither \"expected-status\" (v0.4 schema) nor \"steps\": not a PVM test vector");
	} else {
		/* The JamV1 schema (one-key steps) uses the GP 0.8 numbering. */
		bool jamv1 = steps && steps->type == JSON_ARRAY && steps->count && !json_get(&steps->items[0], "kind");
		if (create(&run, &root, options, jamv1 ? CORRAL_ISA_GP08 : CORRAL_ISA_GP07))
			passed = flat ? run_flat(&run, &root) : run_steps(&run, steps);
	}
	if (!passed)
		printf("FAIL %s (%s): %s\n", name, path, run.failure);
	else if (options->verbose)
		printf("ok   %s\n", name);
	corral_instance_free(run.instance);
	corral_module_free(run.module);
	cli_pager_free(&run.pager);
	json_free(&root);
	free(text);
	return passed;
}

struct path_list {
	char **paths;
	size_t count, capacity;
};

static int add_path(struct path_list *list, const char *path)
{
	if (!array_reserve((void **)&list->paths, &list->capacity, list->count + 1, sizeof *list->paths))
		return cli_error("out of memory listing vectors");
	list->paths[list->count] = strdup(path);
	if (!list->paths[list->count])
		return cli_error("out of memory listing vectors");
	list->count++;
	return 0;
}

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);
	return n >= m && !strcmp(name + n - m, suffix);
}

/* Files as given; folders searched recursively for *.json. */
static int collect(struct path_list *list, const char *path, bool given)
{
	struct stat info;
	if (stat(path, &info))
		return cli_error("%s: no such file or folder", path);
	if (!S_ISDIR(info.st_mode))
		return given || has_suffix(path, ".json") ? add_path(list, path) : 0;
	DIR *dir = opendir(path);
	if (!dir)
		return cli_error("%s: cannot open the folder", path);
	struct dirent *entry;
	int status = 0;
	while (!status && (entry = readdir(dir))) {
		if (entry->d_name[0] == '.')
			continue;
		char *child;
		if (asprintf(&child, "%s/%s", path, entry->d_name) < 0) {
			status = cli_error("out of memory");
			break;
		}
		status = collect(list, child, false);
		free(child);
	}
	closedir(dir);
	return status;
}

static void free_paths(struct path_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->paths[i]);
	free(list->paths);
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cmd_vectors(int argc, char **argv)
{
	const struct command *self = cli_command("vectors");
	struct options options = {0};
	struct path_list list = {0};
	struct cli_backend backend;
	const char *value;
	int status = 0, taken;

	cli_backend_init(&backend);
	for (int i = 1; i < argc && !status; i++) {
		if ((taken = cli_backend_option(self, argc, argv, &i, &backend)) >= 0) {
			if (taken)
				return taken;
		} else if (cli_option(argc, argv, &i, "--isa", &value)) {
			if (!value || !cli_parse_isa(value, &options.isa))
				return cli_usage_error(self, "--isa takes gp0.7 or gp0.8");
			options.isa_given = true;
		} else if (cli_option(argc, argv, &i, "--gas-model", &value)) {
			if (!value || !cli_parse_gas_model(value, &options.gas_model))
				return cli_usage_error(self, "--gas-model takes naive or gp08");
			options.gas_model_given = true;
		} else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
			options.verbose = true;
		} else if (argv[i][0] == '-') {
			return cli_usage_error(self, "unknown option %s", argv[i]);
		} else {
			status = collect(&list, argv[i], true);
		}
	}
	if (!status)
		status = cli_backend_check(self, &backend);
	options.dynamic_paging = backend.dynamic_paging;
	if (!status && backend.metering != CORRAL_METERING_SYNC)
		status = cli_usage_error(self,
					 "--gas-metering %s: vectors expect exact gas (a block that cannot be paid "
					 "stops at its start with the gas unchanged), which only sync metering gives",
					 cli_metering_name(backend.metering));
	if (!status && list.count == 0)
		status = cli_usage_error(self, "no vector files given");
	if (status) {
		free_paths(&list);
		return status;
	}
	qsort(list.paths, list.count, sizeof *list.paths, compare_paths);

	corral_engine *engine;
	corral_error error;
	if (corral_engine_new(&backend.engine, &engine, &error) != CORRAL_OK) {
		free_paths(&list);
		return cli_error("%s", error.message);
	}
	size_t passed = 0, failed = 0;
	for (size_t i = 0; i < list.count; i++) {
		if (run_vector(list.paths[i], &options, engine))
			passed++;
		else
			failed++;
	}
	free_paths(&list);
	corral_engine_free(engine);
	printf("%zu passed, %zu failed\n", passed, failed);
	return failed ? 1 : 0;
}

int cli_vector_program(const char *path, const uint8_t *text, size_t text_length, struct cli_vector_program *out)
{
	struct vector_run run = {.path = path};
	struct json_value root;
	char message[256];
	memset(out, 0, sizeof *out);
	if (json_parse((const char *)text, text_length, &root, message, sizeof message))
		return cli_error("%s: not valid JSON: %s", path, message);
	bool ok = get_bytes(&run, &root, "program", &out->program, &out->program_length);
	const struct json_value *costs = ok ? json_get(&root, "block-gas-costs") : NULL;
	if (ok && costs) {
		if (costs->type != JSON_OBJECT && costs->type != JSON_ARRAY)
			ok = failf(&run, "line %u: block-gas-costs should be an object or an array", costs->line);
		else if ((ok = load_costs(&run, costs, &out->costs, &out->cost_count)))
			out->has_costs = true;
	}
	json_free(&root);
	if (ok)
		return 0;
	free(out->program);
	free(out->costs);
	memset(out, 0, sizeof *out);
	return cli_error("%s: %s", path, run.failure);
}
