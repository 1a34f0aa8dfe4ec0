/* The public API's argument checks and messages (include/corral.h): guest
 * memory from the embedder's side, module configuration, names in messages,
 * instruction text, and moving the pc. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support.h"

#define assert_contains(haystack, needle) \
	cr_assert(strstr((haystack), (needle)) != NULL, "expected \"%s\" in: %s", (needle), (haystack))

/* A raw blob's instance: nothing mapped. */
static void empty_machine(struct machine *m)
{
	machine_from_source(m, "trap\n", NULL, 100);
}

static corral_result map(struct machine *m, uint32_t address, uint64_t length, corral_page_access access,
			 corral_error *error)
{
	memset(error, 0, sizeof *error);
	return corral_instance_map(m->instance, address, length, access, error);
}

/* ---- corral_instance_map ---------------------------------------------- */

Test(api, map_refuses_misaligned_addresses_and_lengths)
{
	struct machine m;
	empty_machine(&m);
	static const struct {
		uint32_t address;
		uint64_t length;
		const char *shown;
	} cases[] = {
		{0x10001, 4096, "0x10001 + 0x1000:"}, {0x10800, 4096, "0x10800 + 0x1000:"},
		{0x10000, 1, "0x10000 + 0x1:"},       {0x10000, 4097, "0x10000 + 0x1001:"},
		{0x10000, 4095, "0x10000 + 0xfff:"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		corral_error error;
		cr_assert_eq(map(&m, cases[i].address, cases[i].length, CORRAL_PAGE_WRITE, &error),
			     CORRAL_ERROR_ARGUMENT, "case %zu", i);
		cr_assert_eq(error.code, CORRAL_ERROR_ARGUMENT);
		assert_contains(error.message, "multiples of the 4096-byte page");
		assert_contains(error.message, cases[i].shown);
	}
	cr_assert_eq(corral_instance_page_access(m.instance, 0x10000), CORRAL_PAGE_NONE, "a refused map maps nothing");
	machine_free(&m);
}

Test(api, map_refuses_the_lowest_64_kib)
{
	struct machine m;
	empty_machine(&m);
	static const uint32_t addresses[] = {0x0, 0x1000, 0xf000};
	for (size_t i = 0; i < sizeof addresses / sizeof *addresses; i++) {
		corral_error error;
		cr_assert_eq(map(&m, addresses[i], 0x2000, CORRAL_PAGE_READ, &error), CORRAL_ERROR_ARGUMENT, "0x%x",
			     addresses[i]);
		assert_contains(error.message, "below 0x10000");
	}
	corral_error error;
	cr_assert_eq(corral_instance_page_access(m.instance, 0x10000), CORRAL_PAGE_NONE,
		     "a map straddling 64 KiB is refused whole");
	cr_assert_eq(map(&m, 0x10000, 4096, CORRAL_PAGE_READ, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(corral_instance_page_access(m.instance, 0x10000), CORRAL_PAGE_READ);
	machine_free(&m);
}

Test(api, map_refuses_ranges_past_4_gib)
{
	struct machine m;
	empty_machine(&m);
	static const struct {
		uint32_t address;
		uint64_t length;
	} cases[] = {
		{0xfffff000, 0x2000},     {0x10000, 1ull << 32},
		{0x80000000, 0x80001000}, {0x10000, UINT64_MAX & ~0xfffull},
		{0xfffff000, 1ull << 63},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		corral_error error;
		cr_assert_eq(map(&m, cases[i].address, cases[i].length, CORRAL_PAGE_WRITE, &error),
			     CORRAL_ERROR_ARGUMENT, "case %zu", i);
		assert_contains(error.message, "runs past 4 GiB");
	}
	cr_assert_eq(corral_instance_page_access(m.instance, 0xfffff000), CORRAL_PAGE_NONE);
	machine_free(&m);
}

Test(api, map_may_reach_the_last_page_and_span_everything)
{
	struct machine m;
	empty_machine(&m);
	corral_error error;
	cr_assert_eq(map(&m, 0xfffff000, 0x1000, CORRAL_PAGE_WRITE, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(corral_instance_page_access(m.instance, 0xfffff000), CORRAL_PAGE_WRITE);
	uint8_t byte = 0x77;
	cr_assert_eq(corral_instance_write(m.instance, 0xffffffff, &byte, 1, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(map(&m, 0x10000, (1ull << 32) - 0x10000, CORRAL_PAGE_READ, &error), CORRAL_OK, "%s",
		     error.message);
	cr_assert_eq(corral_instance_page_access(m.instance, 0x10000), CORRAL_PAGE_READ);
	cr_assert_eq(corral_instance_page_access(m.instance, 0x80000000), CORRAL_PAGE_READ);
	cr_assert_eq(corral_instance_page_access(m.instance, 0xfffff000), CORRAL_PAGE_READ);
	cr_assert_eq(corral_instance_page_access(m.instance, 0xf000), CORRAL_PAGE_NONE);
	cr_assert_eq(map(&m, 0x10000, (1ull << 32) - 0x10000, CORRAL_PAGE_NONE, &error), CORRAL_OK, "%s",
		     error.message);
	cr_assert_eq(corral_instance_page_access(m.instance, 0x80000000), CORRAL_PAGE_NONE);
	machine_free(&m);
}

Test(api, map_of_nothing_is_fine_anywhere_aligned)
{
	struct machine m;
	empty_machine(&m);
	corral_error error;
	cr_assert_eq(map(&m, 0x20000, 0, CORRAL_PAGE_WRITE, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(corral_instance_page_access(m.instance, 0x20000), CORRAL_PAGE_NONE);
	machine_free(&m);
}

Test(api, map_refuses_unknown_access_values)
{
	struct machine m;
	empty_machine(&m);
	static const unsigned values[] = {3, 4, 255, 0x80000000u};
	for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
		corral_error error;
		cr_assert_eq(map(&m, 0x10000, 4096, (corral_page_access)values[i], &error), CORRAL_ERROR_ARGUMENT);
		char expected[40];
		snprintf(expected, sizeof expected, "unknown page access %u", values[i]);
		assert_contains(error.message, expected);
		cr_assert_eq(corral_instance_page_access(m.instance, 0x10000), CORRAL_PAGE_NONE);
	}
	machine_free(&m);
}

Test(api, a_null_error_is_allowed)
{
	struct machine m;
	empty_machine(&m);
	uint8_t byte = 0;
	cr_assert_eq(corral_instance_map(m.instance, 0x10001, 4096, CORRAL_PAGE_READ, NULL), CORRAL_ERROR_ARGUMENT);
	cr_assert_eq(corral_instance_read(m.instance, 0x10000, &byte, 1, NULL), CORRAL_ERROR_ACCESS);
	cr_assert_eq(corral_instance_write(m.instance, 0x10000, &byte, 1, NULL), CORRAL_ERROR_ACCESS);
	corral_module *module;
	static const uint8_t bad[] = {1, 2, 3};
	cr_assert_eq(corral_module_new(m.engine, bad, sizeof bad, NULL, NULL, &module, NULL), CORRAL_ERROR_MALFORMED);
	cr_assert_null(module);
	machine_free(&m);
}

/* ---- corral_instance_read and _write ---------------------------------- */

Test(api, unmapped_pages_are_access_errors_naming_the_page)
{
	struct machine m;
	empty_machine(&m);
	uint8_t buffer[16] = {0};
	corral_error error;
	cr_assert_eq(corral_instance_read(m.instance, 0x20010, buffer, 4, &error), CORRAL_ERROR_ACCESS);
	cr_assert_eq(error.code, CORRAL_ERROR_ACCESS);
	assert_contains(error.message, "read");
	assert_contains(error.message, "page 0x20000");
	cr_assert_eq(corral_instance_write(m.instance, 0x3fff0, buffer, 4, &error), CORRAL_ERROR_ACCESS);
	assert_contains(error.message, "write");
	assert_contains(error.message, "page 0x3f000");
	/* Memory below 64 KiB is never mapped either. */
	cr_assert_eq(corral_instance_read(m.instance, 0, buffer, 1, &error), CORRAL_ERROR_ACCESS);
	assert_contains(error.message, "page 0x0");
	machine_free(&m);
}

Test(api, an_access_across_pages_names_the_first_unmapped_one)
{
	struct machine m;
	empty_machine(&m);
	machine_map(&m, 0x20000, 0x1000, CORRAL_PAGE_WRITE);
	machine_map(&m, 0x22000, 0x1000, CORRAL_PAGE_WRITE);
	uint8_t buffer[0x3000] = {0};
	corral_error error;
	cr_assert_eq(corral_instance_write(m.instance, 0x20ffe, buffer, 4, &error), CORRAL_ERROR_ACCESS);
	assert_contains(error.message, "page 0x21000");
	cr_assert_eq(corral_instance_read(m.instance, 0x20000, buffer, sizeof buffer, &error), CORRAL_ERROR_ACCESS);
	assert_contains(error.message, "page 0x21000");
	/* Refused whole: the mapped part was not written. */
	uint8_t ones[4] = {1, 1, 1, 1}, back[2];
	cr_assert_eq(corral_instance_write(m.instance, 0x20ffe, ones, 4, &error), CORRAL_ERROR_ACCESS);
	cr_assert_eq(corral_instance_read(m.instance, 0x20ffe, back, 2, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(back[0], 0);
	cr_assert_eq(back[1], 0);
	machine_map(&m, 0x21000, 0x1000, CORRAL_PAGE_READ);
	cr_assert_eq(corral_instance_write(m.instance, 0x20ffe, ones, 4, &error), CORRAL_OK, "%s", error.message);
	machine_free(&m);
}

Test(api, accesses_past_4_gib_are_refused)
{
	struct machine m;
	empty_machine(&m);
	machine_map(&m, 0xfffff000, 0x1000, CORRAL_PAGE_WRITE);
	uint8_t buffer[8] = {0};
	corral_error error;
	cr_assert_eq(corral_instance_read(m.instance, 0xffffffff, buffer, 2, &error), CORRAL_ERROR_ACCESS);
	assert_contains(error.message, "runs past 4 GiB");
	cr_assert_eq(corral_instance_write(m.instance, 0xfffffff9, buffer, 8, &error), CORRAL_ERROR_ACCESS);
	assert_contains(error.message, "runs past 4 GiB");
	cr_assert_eq(corral_instance_write(m.instance, 0xfffffff8, buffer, 8, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(corral_instance_read(m.instance, 0x10000, buffer, SIZE_MAX, &error), CORRAL_ERROR_ACCESS);
	machine_free(&m);
}

Test(api, an_empty_access_needs_no_mapping)
{
	struct machine m;
	empty_machine(&m);
	uint8_t byte;
	corral_error error;
	cr_assert_eq(corral_instance_read(m.instance, 0x20000, &byte, 0, &error), CORRAL_OK);
	cr_assert_eq(corral_instance_write(m.instance, 0, &byte, 0, &error), CORRAL_OK);
	machine_free(&m);
}

Test(api, read_only_pages_are_writable_by_the_embedder)
{
	struct machine m;
	empty_machine(&m);
	machine_map(&m, 0x40000, 0x2000, CORRAL_PAGE_READ);
	static const char text[] = "read-only for the guest only";
	char back[sizeof text];
	corral_error error;
	cr_assert_eq(corral_instance_write(m.instance, 0x40ff0, text, sizeof text, &error), CORRAL_OK, "%s",
		     error.message);
	cr_assert_eq(corral_instance_read(m.instance, 0x40ff0, back, sizeof back, &error), CORRAL_OK, "%s",
		     error.message);
	cr_assert_str_eq(back, text);
	cr_assert_eq(corral_instance_page_access(m.instance, 0x40000), CORRAL_PAGE_READ, "writing changes no access");
	machine_free(&m);
}

Test(api, unmapping_drops_the_contents)
{
	struct machine m;
	empty_machine(&m);
	machine_map(&m, 0x50000, 0x3000, CORRAL_PAGE_WRITE);
	uint8_t data[0x3000], back[0x3000];
	memset(data, 0xab, sizeof data);
	corral_error error;
	cr_assert_eq(corral_instance_write(m.instance, 0x50000, data, sizeof data, &error), CORRAL_OK);
	/* Read-only keeps them; none drops them (the middle page only). */
	machine_map(&m, 0x50000, 0x3000, CORRAL_PAGE_READ);
	cr_assert_eq(corral_instance_read(m.instance, 0x50000, back, sizeof back, &error), CORRAL_OK);
	cr_assert_arr_eq(back, data, sizeof data);
	machine_map(&m, 0x51000, 0x1000, CORRAL_PAGE_NONE);
	cr_assert_eq(corral_instance_page_access(m.instance, 0x51000), CORRAL_PAGE_NONE);
	cr_assert_eq(corral_instance_read(m.instance, 0x51000, back, 1, &error), CORRAL_ERROR_ACCESS);
	machine_map(&m, 0x51000, 0x1000, CORRAL_PAGE_WRITE);
	cr_assert_eq(corral_instance_read(m.instance, 0x50000, back, sizeof back, &error), CORRAL_OK);
	for (size_t i = 0; i < sizeof back; i++)
		cr_assert_eq(back[i], i >= 0x1000 && i < 0x2000 ? 0 : 0xab, "byte 0x%zx", i);
	machine_free(&m);
}

Test(api, instances_do_not_share_memory)
{
	struct machine a, b;
	empty_machine(&a);
	empty_machine(&b);
	machine_map(&a, 0x10000, 0x1000, CORRAL_PAGE_WRITE);
	machine_map(&b, 0x10000, 0x1000, CORRAL_PAGE_WRITE);
	uint8_t one = 1, back = 9;
	corral_error error;
	cr_assert_eq(corral_instance_write(a.instance, 0x10000, &one, 1, &error), CORRAL_OK);
	cr_assert_eq(corral_instance_read(b.instance, 0x10000, &back, 1, &error), CORRAL_OK);
	cr_assert_eq(back, 0);
	machine_free(&a);
	machine_free(&b);
}

/* ---- module configuration --------------------------------------------- */

static corral_result try_named(const uint8_t *bytes, size_t length, const char *name,
			       const corral_module_config *config, corral_error *error)
{
	corral_engine *engine;
	corral_module *module = NULL;
	cr_assert_eq(corral_engine_new(NULL, &engine, error), CORRAL_OK);
	memset(error, 0, sizeof *error);
	corral_result result = corral_module_new(engine, bytes, length, name, config, &module, error);
	if (result != CORRAL_OK)
		cr_assert_null(module, "a failed module_new leaves no module");
	corral_module_free(module);
	corral_engine_free(engine);
	return result;
}

static const uint8_t trap_blob[] = {0x00, 0x00, 0x01, 0x00, 0x01};

Test(api, config_defaults)
{
	corral_module_config module;
	memset(&module, 0x5a, sizeof module);
	corral_module_config_init(&module);
	cr_assert_eq(module.isa, CORRAL_ISA_GP07);
	cr_assert_eq(module.format, CORRAL_FORMAT_AUTO);
	cr_assert_eq(module.gas_model, CORRAL_GAS_NAIVE);
	cr_assert_null(module.block_costs);
	cr_assert_eq(module.block_cost_count, 0);
	corral_instance_config instance;
	memset(&instance, 0x5a, sizeof instance);
	corral_instance_config_init(&instance);
	cr_assert_null(instance.arguments);
	cr_assert_eq(instance.arguments_length, 0);
	cr_assert_eq(instance.gas, 0);
	corral_engine_config engine;
	corral_engine_config_init(&engine);
	cr_assert_eq(engine.backend, CORRAL_BACKEND_INTERPRETER);
}

Test(api, an_unknown_backend_is_refused)
{
	corral_engine_config config;
	corral_engine_config_init(&config);
	config.backend = (corral_backend)7;
	corral_engine *engine = NULL;
	corral_error error;
	cr_assert_eq(corral_engine_new(&config, &engine, &error), CORRAL_ERROR_ARGUMENT);
	assert_contains(error.message, "unknown backend 7");
}

Test(api, an_unknown_isa_is_refused)
{
	corral_module_config config;
	corral_module_config_init(&config);
	config.isa = (corral_isa)2;
	corral_error error;
	cr_assert_eq(try_named(trap_blob, sizeof trap_blob, "a.bin", &config, &error), CORRAL_ERROR_ARGUMENT);
	cr_assert_str_eq(error.message, "a.bin: unknown ISA 2");
	config.isa = (corral_isa)-1;
	cr_assert_eq(try_named(trap_blob, sizeof trap_blob, "a.bin", &config, &error), CORRAL_ERROR_ARGUMENT);
	assert_contains(error.message, "unknown ISA");
}

Test(api, an_unknown_format_is_an_argument_error)
{
	/* A configuration value out of range is the embedder's mistake, as for
	 * the ISA and the gas model; the bytes are not to blame. */
	corral_module_config config;
	corral_module_config_init(&config);
	config.format = (corral_format)9;
	corral_error error;
	corral_result result = try_named(trap_blob, sizeof trap_blob, "a.bin", &config, &error);
	assert_contains(error.message, "a.bin: ");
	assert_contains(error.message, "unknown program format 9");
	cr_assert_eq(result, CORRAL_ERROR_ARGUMENT, "got %s", corral_result_name(result));
}

Test(api, an_unknown_gas_model_is_refused)
{
	corral_module_config config;
	corral_module_config_init(&config);
	config.gas_model = (corral_gas_model)5;
	corral_error error;
	cr_assert_eq(try_named(trap_blob, sizeof trap_blob, "a.bin", &config, &error), CORRAL_ERROR_ARGUMENT);
	cr_assert_str_eq(error.message, "a.bin: unknown gas model 5");
}

/* Three blocks: 0 (trap), 1 (fallthrough), 2.. (halts). */
static const char *const three_blocks = "trap\nfallthrough\nload_imm r7, 1\nload_imm r0, -65536\njump_ind r0, 0\n";

static corral_result try_costs(const corral_block_cost *costs, size_t count, corral_error *error)
{
	size_t length;
	uint8_t *bytes = support_assemble(three_blocks, &length);
	corral_module_config config;
	corral_module_config_init(&config);
	config.gas_model = CORRAL_GAS_TABLE;
	config.block_costs = costs;
	config.block_cost_count = count;
	corral_result result = try_named(bytes, length, "costs.bin", &config, error);
	free(bytes);
	return result;
}

Test(api, duplicate_block_costs_are_refused)
{
	static const corral_block_cost costs[] = {{0, 1}, {1, 1}, {2, 5}, {1, 2}};
	corral_error error;
	cr_assert_eq(try_costs(costs, 4, &error), CORRAL_ERROR_ARGUMENT);
	cr_assert_str_eq(error.message, "costs.bin: two block costs for pc 1");
}

Test(api, a_reachable_block_without_a_cost_is_refused)
{
	static const corral_block_cost costs[] = {{0, 1}, {2, 5}};
	corral_error error;
	cr_assert_eq(try_costs(costs, 2, &error), CORRAL_ERROR_ARGUMENT);
	assert_contains(error.message, "costs.bin: ");
	assert_contains(error.message, "no cost for the basic block at pc 1");
	cr_assert_eq(try_costs(NULL, 0, &error), CORRAL_ERROR_ARGUMENT);
	assert_contains(error.message, "pc 0");
}

Test(api, block_costs_in_any_order_are_charged_on_entry)
{
	/* Extra entries for pcs that start no block are ignored; the end of
	 * the code needs none (nothing reaches it but falling off). */
	static const corral_block_cost costs[] = {{2, 7}, {99, 1000}, {0, 1}, {1, 3}};
	size_t length;
	uint8_t *bytes = support_assemble(three_blocks, &length);
	corral_module_config config;
	corral_module_config_init(&config);
	config.gas_model = CORRAL_GAS_TABLE;
	config.block_costs = costs;
	config.block_cost_count = 4;
	struct machine m;
	machine_from_bytes(&m, bytes, length, &config, 100);
	corral_instance_set_pc(m.instance, 1);
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_FINISHED);
	cr_assert_eq(corral_instance_gas(m.instance), 100 - 3 - 7);
	machine_free(&m);
	free(bytes);
}

Test(api, module_names_prefix_every_message)
{
	static const uint8_t bad[] = {0x00, 0x00, 0x01, 0x00, 0x03};
	corral_error error;
	corral_module_config config;
	corral_module_config_init(&config);
	config.format = CORRAL_FORMAT_BLOB;
	cr_assert_eq(try_named(bad, sizeof bad, "dir/service.jam", &config, &error), CORRAL_ERROR_MALFORMED);
	cr_assert_eq(strncmp(error.message, "dir/service.jam: ", 17), 0, "%s", error.message);
	cr_assert_eq(try_named(bad, sizeof bad, NULL, &config, &error), CORRAL_ERROR_MALFORMED);
	cr_assert_eq(strncmp(error.message, "program: ", 9), 0, "%s", error.message);
	config.isa = (corral_isa)9;
	cr_assert_eq(try_named(bad, sizeof bad, NULL, &config, &error), CORRAL_ERROR_ARGUMENT);
	cr_assert_eq(strncmp(error.message, "program: ", 9), 0, "%s", error.message);
}

Test(api, a_long_name_is_cut_not_overrun)
{
	char name[1000];
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = 0;
	static const uint8_t bad[] = {0x00, 0x00, 0x01, 0x00, 0x03};
	corral_error error;
	cr_assert_eq(try_named(bad, sizeof bad, name, NULL, &error), CORRAL_ERROR_MALFORMED);
	cr_assert_eq(strlen(error.message), sizeof error.message - 1);
}

Test(api, the_module_keeps_its_own_copy_of_the_bytes)
{
	size_t length;
	uint8_t *bytes = support_assemble("load_imm r7, 42\nload_imm r0, -65536\njump_ind r0, 0\n", &length);
	struct machine m;
	machine_from_bytes(&m, bytes, length, NULL, 100);
	memset(bytes, 0xff, length);
	free(bytes);
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_FINISHED);
	cr_assert_eq(machine_reg(&m, 7), 42);
	machine_free(&m);
}

/* ---- instruction text ------------------------------------------------- */

Test(api, module_instruction_prints_and_steps)
{
	struct machine m;
	machine_from_source(&m, "load_imm r7, 42\nadd_64 r1, r2, r3\nbranch_eq_imm r7, 5, @0\ntrap\n", NULL, 0);
	char text[64];
	cr_assert_eq(corral_module_instruction(m.module, 0, text, sizeof text), 3);
	cr_assert_str_eq(text, "load_imm r7, 42");
	cr_assert_eq(corral_module_instruction(m.module, 3, text, sizeof text), 6);
	cr_assert_str_eq(text, "add_64 r1, r2, r3");
	cr_assert_eq(corral_module_instruction(m.module, 6, text, sizeof text), 10);
	cr_assert_str_eq(text, "branch_eq_imm r7, 5, @0");
	cr_assert_eq(corral_module_instruction(m.module, 10, text, sizeof text), 11);
	cr_assert_str_eq(text, "trap");
	machine_free(&m);
}

Test(api, module_instruction_outside_opcodes_is_trap)
{
	struct machine m;
	machine_from_source(&m, "load_imm r7, 42\n", NULL, 0);
	char text[64];
	/* Inside the load_imm: no opcode starts there. */
	corral_module_instruction(m.module, 1, text, sizeof text);
	cr_assert_str_eq(text, "trap");
	/* Past the end: the implicit trap, and far past it. */
	cr_assert_eq(corral_module_instruction(m.module, 3, text, sizeof text), 4);
	cr_assert_str_eq(text, "trap");
	corral_module_instruction(m.module, UINT32_MAX - 1, text, sizeof text);
	cr_assert_str_eq(text, "trap");
	machine_free(&m);
}

Test(api, module_instruction_never_overruns_the_buffer)
{
	struct machine m;
	machine_from_source(&m, "load_imm_64 r12, 0x123456789abcdef0\n", NULL, 0);
	char text[16];
	for (size_t size = 0; size <= sizeof text; size++) {
		memset(text, '#', sizeof text);
		cr_assert_eq(corral_module_instruction(m.module, 0, text, size), 10);
		if (size == 0) {
			cr_assert_eq(text[0], '#', "a buffer of 0 bytes is not written");
			continue;
		}
		cr_assert_eq(strlen(text), size - 1 < 35 ? size - 1 : 35, "size %zu", size);
		cr_assert_eq(strncmp(text, "load_imm_64 r12, 0x123456789abcdef0", size - 1), 0);
		for (size_t i = size; i < sizeof text; i++)
			cr_assert_eq(text[i], '#', "byte %zu written with size %zu", i, size);
	}
	machine_free(&m);
}

/* ---- the pc ----------------------------------------------------------- */

static const char *const after_trap = "trap\n"
				      "load_imm r7, 42\n"     /* 1 */
				      "load_imm r0, -65536\n" /* 4 */
				      "jump_ind r0, 0\n";     /* 9; the code ends at 11 */

Test(api, set_pc_moves_execution_to_a_block_and_charges_it)
{
	struct machine m;
	machine_from_source(&m, after_trap, NULL, 100);
	cr_assert_eq(corral_instance_pc(m.instance), 0);
	corral_instance_set_pc(m.instance, 1);
	cr_assert_eq(corral_instance_pc(m.instance), 1);
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_FINISHED, "%s", corral_interrupt_name(stop.kind));
	cr_assert_eq(stop.pc, 9);
	cr_assert_eq(machine_reg(&m, 7), 42);
	cr_assert_eq(corral_instance_gas(m.instance), 97);
	machine_free(&m);
}

Test(api, set_pc_after_a_trap_runs_again)
{
	struct machine m;
	machine_from_source(&m, after_trap, NULL, 100);
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_TRAP);
	cr_assert_eq(stop.pc, 0);
	cr_assert_eq(corral_instance_gas(m.instance), 99);
	corral_instance_set_pc(m.instance, 1);
	stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_FINISHED);
	cr_assert_eq(corral_instance_gas(m.instance), 96);
	machine_free(&m);
}

Test(api, set_pc_after_a_host_call_goes_where_it_is_told)
{
	struct machine m;
	machine_from_source(&m,
			    "ecalli 3\n"
			    "load_imm r7, 1\n"
			    "trap\n"
			    "there: load_imm r8, 2\n"
			    "load_imm r0, -65536\n"
			    "jump_ind r0, 0\n",
			    NULL, 100);
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_HOST_CALL);
	cr_assert_eq(stop.host_call, 3);
	int64_t before = corral_instance_gas(m.instance);
	corral_instance_set_pc(m.instance, 2 + 3 + 1);
	stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_FINISHED, "%s at %u", corral_interrupt_name(stop.kind), stop.pc);
	cr_assert_eq(machine_reg(&m, 7), 0, "the rest of the first block did not run");
	cr_assert_eq(machine_reg(&m, 8), 2);
	cr_assert_eq(corral_instance_gas(m.instance), before - 3);
	machine_free(&m);
}

Test(api, set_pc_inside_a_block_starts_there)
{
	struct machine m;
	machine_from_source(&m, after_trap, NULL, 100);
	corral_instance_set_pc(m.instance, 4);
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_FINISHED, "%s at %u", corral_interrupt_name(stop.kind), stop.pc);
	cr_assert_eq(machine_reg(&m, 7), 0, "the load_imm before pc 4 must not run");
	machine_free(&m);
}

Test(api, set_pc_to_no_instruction_traps)
{
	static const uint32_t pcs[] = {2, 5, 10, 11, 1000, UINT32_MAX};
	for (size_t i = 0; i < sizeof pcs / sizeof *pcs; i++) {
		struct machine m;
		machine_from_source(&m, after_trap, NULL, 100);
		corral_instance_set_pc(m.instance, pcs[i]);
		corral_interrupt stop = machine_run(&m);
		cr_assert_eq(stop.kind, CORRAL_TRAP, "pc %u: %s", pcs[i], corral_interrupt_name(stop.kind));
		cr_assert_eq(machine_reg(&m, 7), 0);
		machine_free(&m);
	}
}

/* ---- registers, gas and names ----------------------------------------- */

Test(api, registers_out_of_range_read_zero_and_ignore_writes)
{
	struct machine m;
	empty_machine(&m);
	corral_instance_set_reg(m.instance, 12, 0xdeadbeefcafef00dull);
	cr_assert_eq(machine_reg(&m, 12), 0xdeadbeefcafef00dull);
	corral_instance_set_reg(m.instance, 13, 5);
	corral_instance_set_reg(m.instance, UINT32_MAX, 5);
	cr_assert_eq(machine_reg(&m, 13), 0);
	cr_assert_eq(machine_reg(&m, UINT32_MAX), 0);
	for (unsigned r = 0; r < 12; r++)
		cr_assert_eq(machine_reg(&m, r), 0, "r%u", r);
	corral_instance_set_gas(m.instance, -5);
	cr_assert_eq(corral_instance_gas(m.instance), -5);
	corral_instance_set_gas(m.instance, INT64_MAX);
	cr_assert_eq(corral_instance_gas(m.instance), INT64_MAX);
	machine_free(&m);
}

Test(api, result_and_interrupt_names)
{
	cr_assert_str_eq(corral_result_name(CORRAL_OK), "ok");
	cr_assert_str_eq(corral_result_name(CORRAL_ERROR_ARGUMENT), "invalid argument");
	cr_assert_str_eq(corral_result_name(CORRAL_ERROR_MALFORMED), "malformed program");
	cr_assert_str_eq(corral_result_name(CORRAL_ERROR_OUT_OF_MEMORY), "out of memory");
	cr_assert_str_eq(corral_result_name(CORRAL_ERROR_SYSTEM), "system error");
	cr_assert_str_eq(corral_result_name(CORRAL_ERROR_ACCESS), "memory access error");
	cr_assert_str_eq(corral_result_name((corral_result)100), "?");
	cr_assert_str_eq(corral_result_name((corral_result)-1), "?");
	cr_assert_str_eq(corral_interrupt_name(CORRAL_FINISHED), "finished");
	cr_assert_str_eq(corral_interrupt_name(CORRAL_TRAP), "trap");
	cr_assert_str_eq(corral_interrupt_name(CORRAL_OUT_OF_GAS), "out of gas");
	cr_assert_str_eq(corral_interrupt_name(CORRAL_PAGE_FAULT), "page fault");
	cr_assert_str_eq(corral_interrupt_name(CORRAL_HOST_CALL), "host call");
	cr_assert_str_eq(corral_interrupt_name(CORRAL_STEP), "step");
	cr_assert_str_eq(corral_interrupt_name((corral_interrupt_kind)42), "?");
}

Test(api, module_info_of_a_raw_blob)
{
	struct machine m;
	machine_from_source(&m, ".jump_table @0\ntrap\nfallthrough\n", NULL, 0);
	corral_module_info info;
	corral_module_get_info(m.module, &info);
	cr_assert_eq(info.format, CORRAL_FORMAT_BLOB);
	cr_assert_eq(info.isa, CORRAL_ISA_GP07);
	cr_assert_not(info.has_metadata);
	cr_assert_eq(info.code_length, 2);
	cr_assert_eq(info.jump_table_length, 1);
	cr_assert_eq(info.ro_data_length, 0);
	cr_assert_eq(info.rw_data_length, 0);
	cr_assert_eq(info.heap_pages, 0);
	cr_assert_eq(info.stack_size, 0);
	machine_free(&m);
}
