/* Program containers (loader/container.c): the JAM standard program of GP
 * A.7 with and without a metadata prefix, its memory layout and registers at
 * start, and CORRAL_FORMAT_AUTO telling containers from raw blobs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "core/encode.h"
#include "loader/container.h"
#include "tests/support.h"
#include "tests/vector_programs.h"

#define ZONE  0x10000u
#define INPUT 0x1000000u

#define assert_contains(haystack, needle) \
	cr_assert(strstr((haystack), (needle)) != NULL, "expected \"%s\" in the message: %s", (needle), (haystack))

/* ---- building containers by hand -------------------------------------- */

struct jam_parts {
	bool has_metadata;
	const char *metadata;
	const uint8_t *ro, *rw;
	uint32_t ro_length, rw_length;
	uint32_t heap_pages, stack_size;
	const uint8_t *code;
	size_t code_length;
};

struct bytes {
	uint8_t *data;
	size_t length;
};

static void append(struct bytes *out, const void *data, size_t n)
{
	out->data = realloc(out->data, out->length + n + 1);
	cr_assert_not_null(out->data);
	if (n)
		memcpy(out->data + out->length, data, n);
	out->length += n;
}

static void append_fixed(struct bytes *out, uint64_t value, unsigned width)
{
	uint8_t bytes[8];
	for (unsigned i = 0; i < width; i++)
		bytes[i] = (uint8_t)(value >> (8 * i));
	append(out, bytes, width);
}

/* [E(|m|) m] E3(|o|) E3(|w|) E2(z) E3(s) o w E4(|c|) c */
static struct bytes jam_build(const struct jam_parts *parts)
{
	struct bytes out = {0};
	if (parts->has_metadata) {
		uint8_t prefix[9];
		size_t n = strlen(parts->metadata);
		append(&out, prefix, pvm_varint_write(n, prefix));
		append(&out, parts->metadata, n);
	}
	append_fixed(&out, parts->ro_length, 3);
	append_fixed(&out, parts->rw_length, 3);
	append_fixed(&out, parts->heap_pages, 2);
	append_fixed(&out, parts->stack_size, 3);
	append(&out, parts->ro, parts->ro_length);
	append(&out, parts->rw, parts->rw_length);
	append_fixed(&out, parts->code_length, 4);
	append(&out, parts->code, parts->code_length);
	return out;
}

static const uint8_t trap_blob[] = {0x00, 0x00, 0x01, 0x00, 0x01};

static corral_module_config format_config(corral_format format)
{
	corral_module_config config;
	corral_module_config_init(&config);
	config.format = format;
	return config;
}

static void module_info(const uint8_t *bytes, size_t length, corral_format format, corral_module_info *info)
{
	corral_engine *engine;
	corral_module *module;
	corral_error error;
	corral_module_config config = format_config(format);
	cr_assert_eq(corral_engine_new(NULL, &engine, &error), CORRAL_OK);
	cr_assert_eq(corral_module_new(engine, bytes, length, "test", &config, &module, &error), CORRAL_OK, "%s",
		     error.message);
	corral_module_get_info(module, info);
	corral_module_free(module);
	corral_engine_free(engine);
}

/* A machine for a JAM program with arguments. */
static void jam_machine(struct machine *m, const uint8_t *bytes, size_t length, const uint8_t *arguments,
			size_t arguments_length, int64_t gas)
{
	corral_error error;
	corral_module_config config = format_config(CORRAL_FORMAT_JAM);
	corral_instance_config instance_config;
	memset(m, 0, sizeof *m);
	cr_assert_eq(corral_engine_new(NULL, &m->engine, &error), CORRAL_OK);
	cr_assert_eq(corral_module_new(m->engine, bytes, length, "test", &config, &m->module, &error), CORRAL_OK,
		     "module: %s", error.message);
	corral_instance_config_init(&instance_config);
	instance_config.arguments = arguments;
	instance_config.arguments_length = arguments_length;
	instance_config.gas = gas;
	cr_assert_eq(corral_instance_new(m->module, &instance_config, &m->instance, &error), CORRAL_OK, "instance: %s",
		     error.message);
}

/* ---- parsing ---------------------------------------------------------- */

Test(container, a_plain_standard_program_is_read_field_by_field)
{
	static const uint8_t ro[] = {1, 2, 3}, rw[] = {4, 5};
	struct jam_parts parts = {.ro = ro,
				  .ro_length = sizeof ro,
				  .rw = rw,
				  .rw_length = sizeof rw,
				  .heap_pages = 7,
				  .stack_size = 0x12345,
				  .code = trap_blob,
				  .code_length = sizeof trap_blob};
	struct bytes jam = jam_build(&parts);
	corral_module_info info;
	module_info(jam.data, jam.length, CORRAL_FORMAT_JAM, &info);
	cr_assert_eq(info.format, CORRAL_FORMAT_JAM);
	cr_assert_not(info.has_metadata);
	cr_assert_eq(info.ro_data_length, 3);
	cr_assert_eq(info.rw_data_length, 2);
	cr_assert_eq(info.heap_pages, 7);
	cr_assert_eq(info.stack_size, 0x12345);
	cr_assert_eq(info.code_length, 1);

	struct loader_program program;
	struct pvm_error error;
	cr_assert_eq(loader_parse(jam.data, jam.length, CORRAL_FORMAT_JAM, &program, &error), 0, "%s", error.message);
	cr_assert_eq(program.ro_data, jam.data + 11);
	cr_assert_eq(program.rw_data, jam.data + 14);
	cr_assert_eq(program.blob, jam.data + 20);
	cr_assert_eq(program.blob_length, sizeof trap_blob);
	free(jam.data);
}

Test(container, a_metadata_prefix_is_found_and_skipped)
{
	struct jam_parts parts = {.has_metadata = true,
				  .metadata = "name 1.0 (c) nobody",
				  .stack_size = 4096,
				  .code = trap_blob,
				  .code_length = sizeof trap_blob};
	struct bytes jam = jam_build(&parts);
	corral_module_info info;
	module_info(jam.data, jam.length, CORRAL_FORMAT_JAM, &info);
	cr_assert(info.has_metadata);
	cr_assert_eq(info.stack_size, 4096);
	struct loader_program program;
	struct pvm_error error;
	cr_assert_eq(loader_parse(jam.data, jam.length, CORRAL_FORMAT_JAM, &program, &error), 0, "%s", error.message);
	cr_assert_eq(program.metadata_length, strlen(parts.metadata));
	cr_assert_eq(memcmp(program.metadata, parts.metadata, program.metadata_length), 0);
	free(jam.data);
}

/* Bytes with two readings: behind a 17-byte metadata prefix, a program
 * whose code is an empty blob; read plainly, a header (17 bytes read-only,
 * 4 read-write) with code of length 0, which is no blob. The reading with
 * a blob wins in either format; the plain one once won, and the
 * disassembler's listing of what the assembler wrote did not read back. */
Test(container, the_reading_whose_code_is_a_blob_wins)
{
	static const uint8_t bytes[] = {
		0x11,                                                                         /* E(|m|) = 17 */
		0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x12, 0x79, 0x14, 0x46, /* m */
		0x24, 0x27, 0x10, 0x11,                                                       /* m */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,             /* no data */
		0x03, 0x00, 0x00, 0x00,                                                       /* E4(|c|) = 3 */
		0x00, 0x00, 0x00,                                                             /* an empty blob */
	};
	static const corral_format formats[] = {CORRAL_FORMAT_JAM, CORRAL_FORMAT_AUTO};
	for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
		struct loader_program program;
		struct pvm_error error;
		cr_assert_eq(loader_parse(bytes, sizeof bytes, formats[i], &program, &error), 0, "%s", error.message);
		cr_expect_eq(program.format, CORRAL_FORMAT_JAM);
		cr_expect(program.has_metadata, "format %s: read behind the metadata", loader_format_name(formats[i]));
		cr_expect_eq(program.metadata_length, 17);
		cr_expect_eq(program.ro_length, 0);
		cr_expect_eq(program.rw_length, 0);
		cr_expect_eq(program.blob_length, 3);
	}
}

Test(container, long_metadata_takes_a_two_byte_length)
{
	char metadata[300];
	memset(metadata, 'm', sizeof metadata - 1);
	metadata[sizeof metadata - 1] = 0;
	struct jam_parts parts = {
		.has_metadata = true, .metadata = metadata, .code = trap_blob, .code_length = sizeof trap_blob};
	struct bytes jam = jam_build(&parts);
	cr_assert_eq(jam.data[0] & 0xc0, 0x80, "299 needs a two-byte varint");
	corral_module_info info;
	module_info(jam.data, jam.length, CORRAL_FORMAT_AUTO, &info);
	cr_assert_eq(info.format, CORRAL_FORMAT_JAM);
	cr_assert(info.has_metadata);
	free(jam.data);
}

static const struct {
	const char *file;
	uint32_t metadata, ro, rw, heap_pages, stack, code, jump_entries;
} services[] = {
	{"jam-bootstrap-service.jam", 80, 13080, 10096, 0, 8192, 80074, 998},
	{"jam-null-authorizer.jam", 78, 7816, 10088, 0, 8192, 23819, 190},
	{"test-service.jam", 71, 8176, 10076, 0, 8192, 20297, 184},
};

static uint8_t *read_service(const char *vectors, size_t i, size_t *length)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/pvm/services/%s", vectors, services[i].file);
	return support_read_file(path, length);
}

Test(container, the_three_service_programs_parse)
{
	const char *vectors = support_vectors();
	if (!vectors)
		cr_skip_test("CORRAL_VECTORS is not set: no service programs");
	for (size_t i = 0; i < sizeof services / sizeof *services; i++) {
		size_t length;
		uint8_t *bytes = read_service(vectors, i, &length);
		corral_format formats[] = {CORRAL_FORMAT_JAM, CORRAL_FORMAT_AUTO};
		for (size_t f = 0; f < 2; f++) {
			corral_module_info info;
			module_info(bytes, length, formats[f], &info);
			cr_assert_eq(info.format, CORRAL_FORMAT_JAM, "%s", services[i].file);
			cr_assert(info.has_metadata, "%s", services[i].file);
			cr_assert_eq(info.ro_data_length, services[i].ro, "%s", services[i].file);
			cr_assert_eq(info.rw_data_length, services[i].rw, "%s", services[i].file);
			cr_assert_eq(info.heap_pages, services[i].heap_pages, "%s", services[i].file);
			cr_assert_eq(info.stack_size, services[i].stack, "%s", services[i].file);
			cr_assert_eq(info.code_length, services[i].code, "%s", services[i].file);
			cr_assert_eq(info.jump_table_length, services[i].jump_entries, "%s", services[i].file);
		}
		struct loader_program program;
		struct pvm_error error;
		cr_assert_eq(loader_parse(bytes, length, CORRAL_FORMAT_JAM, &program, &error), 0);
		cr_assert_eq(program.metadata_length, services[i].metadata);
		cr_assert_eq(program.metadata, bytes + 1);
		free(bytes);
	}
}

Test(container, a_service_program_is_not_a_raw_blob)
{
	const char *vectors = support_vectors();
	if (!vectors)
		cr_skip_test("CORRAL_VECTORS is not set: no service programs");
	size_t length;
	uint8_t *bytes = read_service(vectors, 2, &length);
	corral_module_config config = format_config(CORRAL_FORMAT_BLOB);
	corral_error error;
	cr_assert_eq(module_try(bytes, length, &config, &error), CORRAL_ERROR_MALFORMED);
	free(bytes);
}

Test(container, every_truncation_of_a_service_program_is_refused, .timeout = 60)
{
	const char *vectors = support_vectors();
	if (!vectors)
		cr_skip_test("CORRAL_VECTORS is not set: no service programs");
	for (size_t i = 0; i < sizeof services / sizeof *services; i++) {
		size_t length;
		uint8_t *bytes = read_service(vectors, i, &length);
		/* The container reading borrows the bytes, so every prefix costs
		 * nothing: all of them, as JAM and as AUTO. */
		for (size_t cut = 0; cut < length; cut++) {
			struct loader_program program;
			struct pvm_error error;
			cr_assert_eq(loader_parse(bytes, cut, CORRAL_FORMAT_JAM, &program, &error), -1,
				     "%s cut to %zu bytes parses as JAM", services[i].file, cut);
			cr_assert_neq(error.message[0], 0);
			if (loader_parse(bytes, cut, CORRAL_FORMAT_AUTO, &program, &error) == 0) {
				/* AUTO may only fall back to a raw blob that is one. */
				cr_assert_eq(program.format, CORRAL_FORMAT_BLOB);
				struct pvm_blob blob;
				cr_assert_eq(pvm_blob_parse(&blob, bytes, cut, &error), 0);
			}
		}
		/* A module copies the bytes: a stride of prefixes through the
		 * whole API, every one of the last 64. */
		corral_module_config config = format_config(CORRAL_FORMAT_JAM);
		for (size_t cut = 0; cut < length; cut += cut + 64 >= length ? 1 : length / 256) {
			corral_error error;
			cr_assert_eq(module_try(bytes, cut, &config, &error), CORRAL_ERROR_MALFORMED,
				     "%s cut to %zu bytes was accepted", services[i].file, cut);
		}
		free(bytes);
	}
}

Test(container, a_truncated_service_program_is_blamed_on_its_code_length)
{
	/* The real header is behind the metadata; a message about what the
	 * metadata bytes would mean as a header sends the reader astray. */
	const char *vectors = support_vectors();
	if (!vectors)
		cr_skip_test("CORRAL_VECTORS is not set: no service programs");
	size_t length;
	uint8_t *bytes = read_service(vectors, 2, &length);
	corral_module_config config = format_config(CORRAL_FORMAT_JAM);
	corral_error error;
	const uint8_t *code;
	size_t code_length;
	vector_service_code(bytes, length, &code, &code_length);
	char says[64];
	snprintf(says, sizeof says, "%zu", code_length);
	cr_assert_eq(module_try(bytes, length - 1, &config, &error), CORRAL_ERROR_MALFORMED);
	assert_contains(error.message, "code length");
	assert_contains(error.message, says);
	free(bytes);
}

Test(container, a_short_header_is_refused)
{
	static const uint8_t header[11] = {0};
	for (size_t n = 0; n < sizeof header; n++) {
		struct loader_program program;
		struct pvm_error error;
		cr_assert_eq(loader_parse(header, n, CORRAL_FORMAT_JAM, &program, &error), -1);
		assert_contains(error.message, "11-byte");
	}
}

Test(container, a_header_promising_more_data_than_there_is)
{
	static const uint8_t ro[4] = {0};
	struct jam_parts parts = {.ro = ro, .ro_length = 4, .code = trap_blob, .code_length = sizeof trap_blob};
	struct bytes jam = jam_build(&parts);
	uint32_t lies[][2] = {{0xffffff, 0}, {0, 0xffffff}, {0xffffff, 0xffffff}, {200, 0}, {4, 100}};
	for (size_t i = 0; i < sizeof lies / sizeof *lies; i++) {
		jam.data[0] = (uint8_t)lies[i][0];
		jam.data[1] = (uint8_t)(lies[i][0] >> 8);
		jam.data[2] = (uint8_t)(lies[i][0] >> 16);
		jam.data[3] = (uint8_t)lies[i][1];
		jam.data[4] = (uint8_t)(lies[i][1] >> 8);
		jam.data[5] = (uint8_t)(lies[i][1] >> 16);
		corral_module_config config = format_config(CORRAL_FORMAT_JAM);
		corral_error error;
		cr_assert_eq(module_try(jam.data, jam.length, &config, &error), CORRAL_ERROR_MALFORMED,
			     "ro %u rw %u accepted", lies[i][0], lies[i][1]);
		char expected[64];
		snprintf(expected, sizeof expected, "%u bytes of read-only", lies[i][0]);
		assert_contains(error.message, expected);
	}
	free(jam.data);
}

Test(container, a_code_length_that_lies_either_way)
{
	struct jam_parts parts = {.code = trap_blob, .code_length = sizeof trap_blob};
	struct bytes jam = jam_build(&parts);
	static const uint32_t lies[] = {0, 4, 6, 0xffffffff, 0x80000005};
	for (size_t i = 0; i < sizeof lies / sizeof *lies; i++) {
		for (unsigned b = 0; b < 4; b++)
			jam.data[11 + b] = (uint8_t)(lies[i] >> (8 * b));
		corral_module_config config = format_config(CORRAL_FORMAT_JAM);
		corral_error error;
		cr_assert_eq(module_try(jam.data, jam.length, &config, &error), CORRAL_ERROR_MALFORMED,
			     "code length %u accepted", lies[i]);
		char expected[80];
		snprintf(expected, sizeof expected, "says %u bytes, but 5 bytes follow", lies[i]);
		assert_contains(error.message, expected);
		assert_contains(error.message, "byte 11");
	}
	free(jam.data);
}

Test(container, metadata_longer_than_the_file_is_refused)
{
	struct jam_parts parts = {
		.has_metadata = true, .metadata = "abc", .code = trap_blob, .code_length = sizeof trap_blob};
	struct bytes jam = jam_build(&parts);
	for (unsigned lie = 4; lie < 128; lie++) {
		jam.data[0] = (uint8_t)lie;
		struct loader_program program;
		struct pvm_error error;
		cr_assert_eq(loader_parse(jam.data, jam.length, CORRAL_FORMAT_JAM, &program, &error), -1,
			     "metadata length %u accepted", lie);
	}
	free(jam.data);
}

Test(container, invalid_code_is_reported_as_code)
{
	static const uint8_t bad_code[] = {0x00, 0x00, 0x01, 0x00, 0x03}; /* padding bit set */
	struct jam_parts parts = {.code = bad_code, .code_length = sizeof bad_code};
	struct bytes jam = jam_build(&parts);
	corral_module_config config = format_config(CORRAL_FORMAT_JAM);
	corral_error error;
	cr_assert_eq(module_try(jam.data, jam.length, &config, &error), CORRAL_ERROR_MALFORMED);
	assert_contains(error.message, "test: code: ");
	assert_contains(error.message, "padding");
	free(jam.data);

	parts.code_length = 0;
	jam = jam_build(&parts);
	cr_assert_eq(module_try(jam.data, jam.length, &config, &error), CORRAL_ERROR_MALFORMED);
	assert_contains(error.message, "code: ");
	assert_contains(error.message, "jump-table length");
	free(jam.data);
}

/* ---- the layout condition --------------------------------------------- */

static int layout(uint32_t ro, uint32_t rw, uint32_t heap_pages, uint32_t stack, struct loader_layout *out,
		  struct pvm_error *error)
{
	struct loader_program program = {
		.format = CORRAL_FORMAT_JAM,
		.ro_length = ro,
		.rw_length = rw,
		.heap_pages = heap_pages,
		.stack_size = stack,
	};
	return loader_standard_layout(&program, NULL, 0, out, error);
}

Test(container, the_layout_may_fill_4_gib_exactly_but_not_more)
{
	/* 5 Z + Q(o) + Q(w + z P) + Q(s) + I <= 2^32; what is left for the three
	 * sections together is 2^32 - 5 Z - I. */
	const uint32_t room = (uint32_t)((1ull << 32) - 5 * ZONE - INPUT);
	const uint32_t splits[][4] = {
		{room, 0, 0, 0},
		{0, room, 0, 0},
		{0, 0, room / 4096, 0},
		{0, 0, 0, room},
		{room - ZONE, 0, 0, ZONE},
		{ZONE, room - 3 * ZONE, 0, 2 * ZONE},
		{ZONE, ZONE - 4096, (room - 3 * ZONE) / 4096 + 1, ZONE},
	};
	for (size_t i = 0; i < sizeof splits / sizeof *splits; i++) {
		const uint32_t *s = splits[i];
		struct loader_layout out;
		struct pvm_error error;
		cr_assert_eq(layout(s[0], s[1], s[2], s[3], &out, &error), 0, "split %zu: %s", i, error.message);
		/* One byte more in any section crosses a zone. */
		cr_assert_eq(layout(s[0] + 1, s[1], s[2], s[3], &out, &error), -1, "split %zu, ro + 1", i);
		assert_contains(error.message, "4 GiB");
		cr_assert_eq(layout(s[0], s[1] + 1, s[2], s[3], &out, &error), -1, "split %zu, rw + 1", i);
		cr_assert_eq(layout(s[0], s[1], s[2], s[3] + 1, &out, &error), -1, "split %zu, stack + 1", i);
		cr_assert_eq(layout(s[0], s[1], s[2] + 1, s[3], &out, &error), -1, "split %zu, heap + 1", i);
	}
	struct loader_layout out;
	struct pvm_error error;
	cr_assert_eq(layout(UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, &out, &error), -1);
}

Test(container, every_standard_program_the_format_can_state_fits)
{
	/* With E3, E3, E2, E3 fields the largest layout is far below 4 GiB. */
	struct loader_layout out;
	struct pvm_error error;
	cr_assert_eq(layout(0xffffff, 0xffffff, 0xffff, 0xffffff, &out, &error), 0, "%s", error.message);
}

Test(container, arguments_past_the_input_limit_are_refused)
{
	struct jam_parts parts = {.code = trap_blob, .code_length = sizeof trap_blob};
	struct bytes jam = jam_build(&parts);
	uint8_t *arguments = calloc(INPUT + 1, 1);
	cr_assert_not_null(arguments);
	arguments[INPUT - 1] = 0x5a;

	struct machine m;
	jam_machine(&m, jam.data, jam.length, arguments, INPUT, 10);
	cr_assert_eq(machine_reg(&m, 8), INPUT);
	uint8_t last;
	corral_error error;
	cr_assert_eq(corral_instance_read(m.instance, 0xffffffffu - ZONE, &last, 1, &error), CORRAL_OK, "%s",
		     error.message);
	cr_assert_eq(last, 0x5a);
	machine_free(&m);

	corral_engine *engine;
	corral_module *module;
	corral_instance *instance = NULL;
	corral_module_config config = format_config(CORRAL_FORMAT_JAM);
	corral_instance_config instance_config;
	cr_assert_eq(corral_engine_new(NULL, &engine, &error), CORRAL_OK);
	cr_assert_eq(corral_module_new(engine, jam.data, jam.length, "test", &config, &module, &error), CORRAL_OK);
	corral_instance_config_init(&instance_config);
	instance_config.arguments = arguments;
	instance_config.arguments_length = INPUT + 1;
	/* Too much argument data is the embedder's mistake, not the program's. */
	cr_assert_eq(corral_instance_new(module, &instance_config, &instance, &error), CORRAL_ERROR_ARGUMENT, "%s",
		     error.message);
	cr_assert_null(instance);
	assert_contains(error.message, "16777217");
	corral_module_free(module);
	corral_engine_free(engine);
	free(arguments);
	free(jam.data);
}

/* ---- the memory and registers at start -------------------------------- */

static const uint8_t arguments[] = {'a', 'r', 'g', 's', 0, 1, 2, 3, 4, 5};

/* ro 5000 bytes, rw 3000 bytes, 2 heap pages, 10000 bytes of stack. */
static void layout_machine(struct machine *m, uint8_t *ro, uint8_t *rw)
{
	for (int i = 0; i < 5000; i++)
		ro[i] = (uint8_t)(i * 7 + 1);
	for (int i = 0; i < 3000; i++)
		rw[i] = (uint8_t)(i * 13 + 5);
	struct jam_parts parts = {.ro = ro,
				  .ro_length = 5000,
				  .rw = rw,
				  .rw_length = 3000,
				  .heap_pages = 2,
				  .stack_size = 10000,
				  .code = trap_blob,
				  .code_length = sizeof trap_blob};
	struct bytes jam = jam_build(&parts);
	jam_machine(m, jam.data, jam.length, arguments, sizeof arguments, 100);
	free(jam.data);
}

Test(container, registers_at_start_follow_the_gray_paper)
{
	static uint8_t ro[5000], rw[3000];
	struct machine m;
	layout_machine(&m, ro, rw);
	for (unsigned r = 0; r < CORRAL_REGISTER_COUNT; r++) {
		uint64_t expected = 0;
		if (r == 0)
			expected = (1ull << 32) - (1ull << 16);
		else if (r == 1)
			expected = (1ull << 32) - 2 * ZONE - INPUT;
		else if (r == 7)
			expected = (1ull << 32) - ZONE - INPUT;
		else if (r == 8)
			expected = sizeof arguments;
		cr_assert_eq(machine_reg(&m, r), expected, "r%u = 0x%llx, not 0x%llx", r,
			     (unsigned long long)machine_reg(&m, r), (unsigned long long)expected);
	}
	cr_assert_eq(corral_instance_pc(m.instance), 0);
	cr_assert_eq(corral_instance_gas(m.instance), 100);
	machine_free(&m);
}

Test(container, regions_have_their_access_and_gaps_are_unmapped)
{
	static uint8_t ro[5000], rw[3000];
	struct machine m;
	layout_machine(&m, ro, rw);
	static const struct {
		uint32_t address;
		corral_page_access access;
	} pages[] = {
		{0x0, CORRAL_PAGE_NONE},
		{0xf000, CORRAL_PAGE_NONE},
		{0x10000, CORRAL_PAGE_READ}, /* ro: two pages */
		{0x11000, CORRAL_PAGE_READ},
		{0x12000, CORRAL_PAGE_NONE},
		{0x2f000, CORRAL_PAGE_NONE},
		{0x30000, CORRAL_PAGE_WRITE}, /* rw: one page, then two of heap */
		{0x31000, CORRAL_PAGE_WRITE},
		{0x32000, CORRAL_PAGE_WRITE},
		{0x33000, CORRAL_PAGE_NONE},
		{0x80000000, CORRAL_PAGE_NONE},
		{0xfefdc000, CORRAL_PAGE_NONE},
		{0xfefdd000, CORRAL_PAGE_WRITE}, /* stack: three pages below 2^32 - 2Z - I */
		{0xfefdf000, CORRAL_PAGE_WRITE},
		{0xfefe0000, CORRAL_PAGE_NONE},
		{0xfefef000, CORRAL_PAGE_NONE},
		{0xfeff0000, CORRAL_PAGE_READ}, /* arguments */
		{0xfeff1000, CORRAL_PAGE_NONE},
		{0xffff0000, CORRAL_PAGE_NONE},
		{0xfffff000, CORRAL_PAGE_NONE},
	};
	for (size_t i = 0; i < sizeof pages / sizeof *pages; i++)
		cr_assert_eq(corral_instance_page_access(m.instance, pages[i].address), pages[i].access,
			     "page 0x%x: access %u, not %u", pages[i].address,
			     corral_instance_page_access(m.instance, pages[i].address), pages[i].access);
	machine_free(&m);
}

Test(container, data_is_copied_in_and_padded_with_zeros)
{
	static uint8_t ro[5000], rw[3000], page[2 * 4096];
	struct machine m;
	layout_machine(&m, ro, rw);
	corral_error error;
	cr_assert_eq(corral_instance_read(m.instance, 0x10000, page, sizeof page, &error), CORRAL_OK, "%s",
		     error.message);
	cr_assert_arr_eq(page, ro, sizeof ro);
	for (size_t i = sizeof ro; i < sizeof page; i++)
		cr_assert_eq(page[i], 0, "ro byte %zu", i);
	cr_assert_eq(corral_instance_read(m.instance, 0x30000, page, 3 * 4096 - sizeof page, &error), CORRAL_OK);
	cr_assert_arr_eq(page, rw, sizeof rw);
	for (size_t i = sizeof rw; i < 4096; i++)
		cr_assert_eq(page[i], 0, "rw byte %zu", i);
	cr_assert_eq(corral_instance_read(m.instance, 0xfeff0000, page, 4096, &error), CORRAL_OK);
	cr_assert_arr_eq(page, arguments, sizeof arguments);
	for (size_t i = sizeof arguments; i < 4096; i++)
		cr_assert_eq(page[i], 0, "argument byte %zu", i);
	machine_free(&m);
}

Test(container, no_arguments_map_no_argument_page)
{
	struct jam_parts parts = {.code = trap_blob, .code_length = sizeof trap_blob};
	struct bytes jam = jam_build(&parts);
	struct machine m;
	jam_machine(&m, jam.data, jam.length, NULL, 0, 10);
	cr_assert_eq(machine_reg(&m, 8), 0);
	cr_assert_eq(machine_reg(&m, 7), 0xfeff0000);
	cr_assert_eq(corral_instance_page_access(m.instance, 0xfeff0000), CORRAL_PAGE_NONE);
	cr_assert_eq(corral_instance_page_access(m.instance, 0x10000), CORRAL_PAGE_NONE, "no ro data, no ro page");
	cr_assert_eq(corral_instance_page_access(m.instance, 0x20000), CORRAL_PAGE_NONE, "no rw data, no rw page");
	machine_free(&m);
	free(jam.data);
}

Test(container, whole_pages_of_data_get_no_extra_page)
{
	static uint8_t ro[8192], rw[4096];
	struct jam_parts parts = {.ro = ro,
				  .ro_length = sizeof ro,
				  .rw = rw,
				  .rw_length = sizeof rw,
				  .stack_size = 4096,
				  .code = trap_blob,
				  .code_length = sizeof trap_blob};
	struct bytes jam = jam_build(&parts);
	uint8_t args[4096] = {0};
	struct machine m;
	jam_machine(&m, jam.data, jam.length, args, sizeof args, 10);
	cr_assert_eq(corral_instance_page_access(m.instance, 0x11000), CORRAL_PAGE_READ);
	cr_assert_eq(corral_instance_page_access(m.instance, 0x12000), CORRAL_PAGE_NONE);
	cr_assert_eq(corral_instance_page_access(m.instance, 0x30000), CORRAL_PAGE_WRITE);
	cr_assert_eq(corral_instance_page_access(m.instance, 0x31000), CORRAL_PAGE_NONE);
	cr_assert_eq(corral_instance_page_access(m.instance, 0xfefdf000), CORRAL_PAGE_WRITE);
	cr_assert_eq(corral_instance_page_access(m.instance, 0xfefde000), CORRAL_PAGE_NONE);
	cr_assert_eq(corral_instance_page_access(m.instance, 0xfeff0000), CORRAL_PAGE_READ);
	cr_assert_eq(corral_instance_page_access(m.instance, 0xfeff1000), CORRAL_PAGE_NONE);
	machine_free(&m);
	free(jam.data);
}

Test(container, a_raw_blob_starts_with_nothing_mapped_and_zero_registers)
{
	struct machine m;
	corral_module_config config = format_config(CORRAL_FORMAT_BLOB);
	machine_from_bytes(&m, trap_blob, sizeof trap_blob, &config, 5);
	for (unsigned r = 0; r < CORRAL_REGISTER_COUNT; r++)
		cr_assert_eq(machine_reg(&m, r), 0, "r%u", r);
	static const uint32_t probes[] = {0x10000, 0x30000, 0xfefdf000, 0xfeff0000};
	for (size_t i = 0; i < sizeof probes / sizeof *probes; i++)
		cr_assert_eq(corral_instance_page_access(m.instance, probes[i]), CORRAL_PAGE_NONE);
	machine_free(&m);
}

/* The guest's view: the same layout through loads and stores. */
static corral_interrupt run_jam_source(const char *source, struct machine *m)
{
	size_t length;
	uint8_t *bytes = support_assemble(source, &length);
	jam_machine(m, bytes, length, arguments, sizeof arguments, 1000);
	free(bytes);
	return machine_run(m);
}

Test(container, the_guest_reads_everything_and_writes_rw_heap_and_stack)
{
	struct machine m;
	corral_interrupt stop = run_jam_source(".ro_data 11 22 33\n"
					       ".rw_data 44 55\n"
					       ".heap_pages 1\n"
					       ".stack_size 4096\n"
					       "load_u8 r2, 0x10002\n"      /* ro */
					       "load_u8 r3, 0x30001\n"      /* rw */
					       "store_u8 r2, 0x31fff\n"     /* heap */
					       "load_u8 r4, 0x31fff\n"      /* heap, back */
					       "store_ind_u64 r3, r1, -8\n" /* stack */
					       "load_ind_u64 r5, r1, -8\n"  /* stack, back */
					       "load_ind_u32 r6, r7, 0\n"   /* arguments */
					       "jump_ind r0, 0\n",
					       &m);
	cr_assert_eq(stop.kind, CORRAL_FINISHED, "stopped: %s at %u", corral_interrupt_name(stop.kind), stop.pc);
	cr_assert_eq(machine_reg(&m, 2), 0x33);
	cr_assert_eq(machine_reg(&m, 3), 0x55);
	cr_assert_eq(machine_reg(&m, 4), 0x33);
	cr_assert_eq(machine_reg(&m, 5), 0x55);
	cr_assert_eq(machine_reg(&m, 6), 0x73677261, "\"args\" little-endian");
	machine_free(&m);
}

Test(container, the_guest_cannot_write_read_only_data_or_arguments)
{
	static const char *const stores[] = {"store_u8 r0, 0x10000\ntrap\n", "store_ind_u8 r0, r7, 0\ntrap\n"};
	for (size_t i = 0; i < 2; i++) {
		char source[200];
		snprintf(source, sizeof source, ".ro_data 11\n%s", stores[i]);
		struct machine m;
		corral_interrupt stop = run_jam_source(source, &m);
		cr_assert_eq(stop.kind, CORRAL_TRAP, "%s: stopped: %s", stores[i], corral_interrupt_name(stop.kind));
		cr_assert_eq(stop.pc, 0);
		machine_free(&m);
	}
}

Test(container, the_gaps_fault_at_their_page)
{
	static const struct {
		const char *load;
		uint32_t page;
	} cases[] = {
		{"load_u8 r2, 0x20010\n", 0x20000},               /* between ro and rw */
		{"load_u8 r2, 0x31000\n", 0x31000},               /* past the heap */
		{"load_u8 r2, 0xfffffffffefde123\n", 0xfefde000}, /* below the stack */
		{"load_u8 r2, 0xfffffffffefe0000\n", 0xfefe0000}, /* between stack and arguments */
		{"load_u8 r2, 0xfffffffffeff1000\n", 0xfeff1000}, /* past the arguments */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char source[200];
		snprintf(source, sizeof source, ".ro_data 11\n.rw_data 22\n.stack_size 4096\n%s", cases[i].load);
		struct machine m;
		corral_interrupt stop = run_jam_source(source, &m);
		cr_assert_eq(stop.kind, CORRAL_PAGE_FAULT, "%s: stopped: %s", cases[i].load,
			     corral_interrupt_name(stop.kind));
		cr_assert_eq(stop.address, cases[i].page, "%s: fault at 0x%x", cases[i].load, stop.address);
		machine_free(&m);
	}
}

/* ---- telling formats apart -------------------------------------------- */

Test(container, auto_reads_a_raw_blob_as_a_raw_blob)
{
	corral_module_info info;
	module_info(trap_blob, sizeof trap_blob, CORRAL_FORMAT_AUTO, &info);
	cr_assert_eq(info.format, CORRAL_FORMAT_BLOB);
	cr_assert_not(info.has_metadata);
	cr_assert_eq(info.code_length, 1);
}

Test(container, auto_reads_standard_programs_with_and_without_metadata)
{
	struct jam_parts parts = {.stack_size = 4096, .code = trap_blob, .code_length = sizeof trap_blob};
	struct bytes jam = jam_build(&parts);
	corral_module_info info;
	module_info(jam.data, jam.length, CORRAL_FORMAT_AUTO, &info);
	cr_assert_eq(info.format, CORRAL_FORMAT_JAM);
	cr_assert_not(info.has_metadata);
	free(jam.data);
	parts.has_metadata = true;
	parts.metadata = "";
	jam = jam_build(&parts);
	module_info(jam.data, jam.length, CORRAL_FORMAT_AUTO, &info);
	cr_assert_eq(info.format, CORRAL_FORMAT_JAM);
	cr_assert(info.has_metadata, "an empty metadata prefix is still a prefix");
	free(jam.data);
}

Test(container, auto_names_both_attempts_when_neither_parses)
{
	static const char garbage[] = "this is neither a blob nor a JAM program";
	corral_module_config config = format_config(CORRAL_FORMAT_AUTO);
	corral_error error;
	cr_assert_eq(module_try((const uint8_t *)garbage, sizeof garbage - 1, &config, &error), CORRAL_ERROR_MALFORMED);
	assert_contains(error.message, "test: ");
	assert_contains(error.message, "as a JAM standard program");
	assert_contains(error.message, "as a raw blob");
	cr_assert_eq(module_try((const uint8_t *)"", 0, &config, &error), CORRAL_ERROR_MALFORMED);
	assert_contains(error.message, "as a JAM standard program");
	assert_contains(error.message, "as a raw blob");
}

Test(container, explicit_formats_do_not_guess)
{
	corral_error error;
	corral_module_config jam = format_config(CORRAL_FORMAT_JAM);
	cr_assert_eq(module_try(trap_blob, sizeof trap_blob, &jam, &error), CORRAL_ERROR_MALFORMED);
	assert_contains(error.message, "11-byte");

	struct jam_parts parts = {.code = trap_blob, .code_length = sizeof trap_blob};
	struct bytes bytes = jam_build(&parts);
	corral_module_config blob = format_config(CORRAL_FORMAT_BLOB);
	cr_assert_eq(module_try(bytes.data, bytes.length, &blob, &error), CORRAL_ERROR_MALFORMED);
	free(bytes.data);
}

Test(container, auto_still_accepts_a_raw_blob_that_looks_like_a_container)
{
	/* A valid raw blob (10 jump entries of 4 bytes, no code) whose bytes
	 * also read as E(10) metadata, then a standard-program header and a
	 * 17-byte "code" that is no blob. AUTO must not reject a valid raw
	 * blob because a container reading of it fails later. */
	uint8_t bytes[43] = {10, 4, 0};
	/* bytes 3..10: the tail of the metadata; 11..21: the header (all
	 * zero); 22..25: E4(17); 26..42: the code. */
	bytes[22] = 17;
	memset(bytes + 26, 0xff, 17);
	struct pvm_blob blob;
	struct pvm_error problem;
	cr_assert_eq(pvm_blob_parse(&blob, bytes, sizeof bytes, &problem), 0, "%s", problem.message);
	corral_module_config blob_config = format_config(CORRAL_FORMAT_BLOB);
	corral_error error;
	cr_assert_eq(module_try(bytes, sizeof bytes, &blob_config, &error), CORRAL_OK, "%s", error.message);
	corral_module_config auto_config = format_config(CORRAL_FORMAT_AUTO);
	cr_assert_eq(module_try(bytes, sizeof bytes, &auto_config, &error), CORRAL_OK, "%s", error.message);
}

Test(container, format_names)
{
	cr_assert_str_eq(loader_format_name(CORRAL_FORMAT_BLOB), "raw blob");
	cr_assert_str_eq(loader_format_name(CORRAL_FORMAT_JAM), "JAM standard program");
	cr_assert_str_eq(loader_format_name((corral_format)77), "?");
}
