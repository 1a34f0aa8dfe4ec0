/* The .polkavm container (loader/polkavm.c): writing and reading it back,
 * every way a file can be malformed, CORRAL_FORMAT_AUTO finding it, and a
 * module made from one: its memory, its entry points and host functions. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "core/encode.h"
#include "loader/container.h"
#include "tests/support.h"

#define ZONE  0x10000u
#define INPUT 0x1000000u
#define TOP   (1ull << 32)

#define assert_contains(haystack, needle) \
	cr_assert(strstr((haystack), (needle)) != NULL, "expected \"%s\" in the message: %s", (needle), (haystack))

static const uint8_t trap_blob[] = {0x00, 0x00, 0x01, 0x00, 0x01};

/* ---- writing through loader_polkavm_write ----------------------------- */

struct file {
	uint8_t *data;
	size_t length;
};

static struct file write_parts(const struct loader_polkavm_parts *parts)
{
	struct file file;
	struct pvm_error error;
	cr_assert_eq(loader_polkavm_write(parts, &file.data, &file.length, &error), 0, "write: %s", error.message);
	return file;
}

/* The smallest parts: GP 0.7, no memory, no names, the one-trap blob. */
static struct loader_polkavm_parts minimal_parts(void)
{
	return (struct loader_polkavm_parts){
		.isa = CORRAL_ISA_GP07, .blob = trap_blob, .blob_length = sizeof trap_blob};
}

static void write_refused(const struct loader_polkavm_parts *parts, const char *needle)
{
	uint8_t *out = (uint8_t *)1;
	size_t length = 1;
	struct pvm_error error = {0};
	cr_assert_eq(loader_polkavm_write(parts, &out, &length, &error), -1, "written, though: %s", needle);
	cr_assert_null(out);
	cr_assert_eq(length, 0);
	assert_contains(error.message, needle);
}

/* ---- writing by hand, for what the writer will not write -------------- */

static void append(struct file *out, const void *data, size_t n)
{
	out->data = realloc(out->data, out->length + n + 1);
	cr_assert_not_null(out->data);
	if (n)
		memcpy(out->data + out->length, data, n);
	out->length += n;
}

static void append_byte(struct file *out, uint8_t byte)
{
	append(out, &byte, 1);
}

static void append_varint(struct file *out, uint64_t value)
{
	uint8_t bytes[9];
	append(out, bytes, pvm_varint_write(value, bytes));
}

/* The magic, the version and a length that set_length fills in. */
static struct file begin(uint8_t version)
{
	struct file out = {0};
	append(&out, "PVM\0", 4);
	append_byte(&out, version);
	append(&out, "\0\0\0\0\0\0\0\0", 8);
	return out;
}

static void section(struct file *out, uint8_t id, const void *body, size_t n)
{
	append_byte(out, id);
	append_varint(out, n);
	append(out, body, n);
}

static struct file memory_body(uint64_t ro, uint64_t rw, uint64_t stack)
{
	struct file body = {0};
	append_varint(&body, ro);
	append_varint(&body, rw);
	append_varint(&body, stack);
	return body;
}

static void memory_section(struct file *out, uint64_t ro, uint64_t rw, uint64_t stack)
{
	struct file body = memory_body(ro, rw, stack);
	section(out, 1, body.data, body.length);
	free(body.data);
}

static void code_section(struct file *out)
{
	section(out, 6, trap_blob, sizeof trap_blob);
}

static void set_length(struct file *out, uint64_t length)
{
	for (unsigned i = 0; i < 8; i++)
		out->data[5 + i] = (uint8_t)(length >> (8 * i));
}

/* The end section, and the header's length made right. */
static void finish(struct file *out)
{
	append(out, "\0\0", 2);
	set_length(out, out->length);
}

/* The body of a names section (4 or 5); pcs may be NULL. */
static struct file names_body(const char *const *names, const uint32_t *pcs, size_t count)
{
	struct file body = {0};
	append_varint(&body, count);
	for (size_t i = 0; i < count; i++) {
		if (pcs)
			append_varint(&body, pcs[i]);
		append_varint(&body, strlen(names[i]));
		append(&body, names[i], strlen(names[i]));
	}
	return body;
}

/* A version-1 file of section `id` and the code section, in order of id. */
static struct file with_section(uint8_t id, const void *body, size_t n)
{
	struct file file = begin(1);
	if (id < 6)
		section(&file, id, body, n);
	code_section(&file);
	if (id > 6)
		section(&file, id, body, n);
	finish(&file);
	return file;
}

/* Refused by the parser and by the module (AUTO finds the magic), both
 * saying `needle`. */
static void refused(const struct file *file, const char *needle)
{
	struct loader_program program;
	struct pvm_error error = {0};
	cr_assert_eq(loader_parse(file->data, file->length, CORRAL_FORMAT_POLKAVM, &program, &error), -1,
		     "accepted, though: %s", needle);
	assert_contains(error.message, needle);

	corral_module_config config;
	corral_module_config_init(&config);
	corral_error module_error;
	cr_assert_eq(module_try(file->data, file->length, &config, &module_error), CORRAL_ERROR_MALFORMED);
	assert_contains(module_error.message, needle);
}

/* with_section's file, refused; the body is freed. */
static void refused_with(uint8_t id, struct file body, const char *needle)
{
	struct file file = with_section(id, body.data, body.length);
	refused(&file, needle);
	free(file.data);
	free(body.data);
}

static struct loader_program parsed(const struct file *file)
{
	struct loader_program program;
	struct pvm_error error;
	cr_assert_eq(loader_parse(file->data, file->length, CORRAL_FORMAT_POLKAVM, &program, &error), 0, "%s",
		     error.message);
	cr_assert_eq(program.format, CORRAL_FORMAT_POLKAVM);
	return program;
}

static void assert_symbol(const struct loader_symbols *symbols, size_t *at, const char *name, uint32_t pc)
{
	struct loader_symbol symbol;
	loader_symbol_next(symbols, at, &symbol);
	cr_assert_eq(symbol.name_length, strlen(name));
	cr_assert_eq(memcmp(symbol.name, name, symbol.name_length), 0, "expected %s, got %.*s", name,
		     (int)symbol.name_length, (const char *)symbol.name);
	cr_assert_eq(symbol.pc, pc, "%s: pc %u, not %u", name, symbol.pc, pc);
}

/* ---- writing and reading ---------------------------------------------- */

Test(polkavm, the_smallest_container_is_these_bytes)
{
	struct loader_polkavm_parts parts = minimal_parts();
	struct file file = write_parts(&parts);
	const uint8_t expected[] = {
		'P', 'V', 'M', 0, 1, 27, 0, 0, 0, 0, 0, 0, 0, /* magic, version, length */
		1,   3,   0,   0, 0,                          /* memory: 0, 0, 0 */
		6,   5,   0,   0, 1, 0,  1,                   /* code: the trap blob */
		0,   0,                                       /* end */
	};
	cr_assert_eq(file.length, sizeof expected);
	cr_assert_eq(memcmp(file.data, expected, sizeof expected), 0);
	free(file.data);
}

Test(polkavm, every_section_is_written_and_read_back)
{
	static const uint8_t ro[] = "read-only bytes";
	static const uint8_t rw[] = {1, 2, 3, 4, 5};
	static const char *const imports[] = {"log", "gas", "fetch"};
	static const struct loader_polkavm_export exports[] = {{"main", 0}, {"refine", 0}};
	struct loader_polkavm_parts parts = minimal_parts();
	parts.isa = CORRAL_ISA_GP08;
	parts.ro_data = ro, parts.ro_data_length = sizeof ro, parts.ro_data_size = 5000;
	parts.rw_data = rw, parts.rw_data_length = sizeof rw, parts.rw_data_size = 3 * 4096 + 1;
	parts.stack_size = 65536;
	parts.imports = imports, parts.import_count = 3;
	parts.exports = exports, parts.export_count = 2;
	struct file file = write_parts(&parts);

	struct loader_program program = parsed(&file);
	cr_assert_eq(program.isa, CORRAL_ISA_GP08);
	cr_assert_eq(program.ro_length, sizeof ro);
	cr_assert_eq(memcmp(program.ro_data, ro, sizeof ro), 0);
	cr_assert_eq(program.ro_size, 5000);
	cr_assert_eq(program.rw_length, sizeof rw);
	cr_assert_eq(memcmp(program.rw_data, rw, sizeof rw), 0);
	cr_assert_eq(program.rw_size, 3 * 4096 + 1);
	cr_assert_eq(program.heap_pages, 3, "4 pages of read-write region, 1 of them data");
	cr_assert_eq(program.stack_size, 65536);
	cr_assert_eq(program.blob_length, sizeof trap_blob);
	cr_assert_eq(memcmp(program.blob, trap_blob, sizeof trap_blob), 0);
	cr_assert_not(program.has_metadata);

	cr_assert_eq(program.imports.count, 3);
	size_t at = 0;
	for (size_t i = 0; i < 3; i++)
		assert_symbol(&program.imports, &at, imports[i], 0);
	cr_assert_eq(program.exports.count, 2);
	at = 0;
	for (size_t i = 0; i < 2; i++)
		assert_symbol(&program.exports, &at, exports[i].name, exports[i].pc);

	/* The same parts, the same bytes. */
	struct file again = write_parts(&parts);
	cr_assert_eq(again.length, file.length);
	cr_assert_eq(memcmp(again.data, file.data, file.length), 0);
	free(again.data);
	free(file.data);
}

Test(polkavm, empty_sections_are_left_out_and_missing_ones_read_as_empty)
{
	struct loader_polkavm_parts parts = minimal_parts();
	struct file file = write_parts(&parts);
	struct loader_program program = parsed(&file);
	cr_assert_eq(program.ro_length + program.rw_length + program.ro_size + program.rw_size, 0);
	cr_assert_eq(program.imports.count + program.exports.count, 0);
	free(file.data);

	/* Not even a memory section: only code and end. */
	struct file bare = begin(1);
	code_section(&bare);
	finish(&bare);
	program = parsed(&bare);
	cr_assert_eq(program.stack_size + program.heap_pages, 0);
	free(bare.data);
}

Test(polkavm, auto_recognises_the_magic)
{
	struct loader_polkavm_parts parts = minimal_parts();
	parts.isa = CORRAL_ISA_GP08;
	struct file file = write_parts(&parts);
	struct loader_program program;
	struct pvm_error error;
	cr_assert_eq(loader_parse(file.data, file.length, CORRAL_FORMAT_AUTO, &program, &error), 0, "%s",
		     error.message);
	cr_assert_eq(program.format, CORRAL_FORMAT_POLKAVM);

	struct machine machine;
	machine_from_bytes(&machine, file.data, file.length, NULL, 10);
	corral_module_info info;
	corral_module_get_info(machine.module, &info);
	cr_assert_eq(info.format, CORRAL_FORMAT_POLKAVM);
	cr_assert_eq(info.isa, CORRAL_ISA_GP08);
	machine_free(&machine);
	cr_assert_str_eq(loader_format_name(CORRAL_FORMAT_POLKAVM), ".polkavm container");
	free(file.data);
}

Test(polkavm, other_formats_do_not_read_a_container)
{
	struct loader_polkavm_parts parts = minimal_parts();
	struct file file = write_parts(&parts);
	corral_module_config config;
	corral_module_config_init(&config);
	corral_error error;
	config.format = CORRAL_FORMAT_JAM;
	cr_assert_eq(module_try(file.data, file.length, &config, &error), CORRAL_ERROR_MALFORMED);
	config.format = CORRAL_FORMAT_BLOB;
	cr_assert_eq(module_try(file.data, file.length, &config, &error), CORRAL_ERROR_MALFORMED);
	free(file.data);
}

/* A raw blob may start with "PVM\0" too: 80 jump-table entries of 86 bytes
 * and 77 bytes of code. AUTO tries the container first, then the rest. */
Test(polkavm, auto_still_reads_a_blob_that_happens_to_start_with_the_magic)
{
	struct file blob = {0};
	append(&blob, "PVM", 3);
	uint8_t zeros[80 * 86 + 77 + 10] = {0};
	append(&blob, zeros, sizeof zeros);
	struct loader_program program;
	struct pvm_error error;
	cr_assert_eq(loader_parse(blob.data, blob.length, CORRAL_FORMAT_AUTO, &program, &error), 0, "%s",
		     error.message);
	cr_assert_eq(program.format, CORRAL_FORMAT_BLOB);

	/* Cut short it is neither, and the container's problem is the one told. */
	cr_assert_eq(loader_parse(blob.data, 40, CORRAL_FORMAT_AUTO, &program, &error), -1);
	assert_contains(error.message, "unsupported version 0");
	free(blob.data);
}

/* ---- the header ---------------------------------------------------------- */

Test(polkavm, a_file_without_the_magic_is_refused)
{
	struct loader_polkavm_parts parts = minimal_parts();
	struct file file = write_parts(&parts);
	file.data[3] = '!';
	struct loader_program program;
	struct pvm_error error;
	cr_assert_eq(loader_parse(file.data, file.length, CORRAL_FORMAT_POLKAVM, &program, &error), -1);
	assert_contains(error.message, "not the magic \"PVM\\0\"");
	assert_contains(error.message, "50 56 4d 21");
	cr_assert_eq(loader_parse(file.data, 2, CORRAL_FORMAT_POLKAVM, &program, &error), -1);
	assert_contains(error.message, "2 bytes are too few");
	free(file.data);
}

Test(polkavm, a_file_that_stops_inside_the_header_is_refused)
{
	struct file file = begin(1);
	struct loader_program program;
	struct pvm_error error;
	cr_assert_eq(loader_parse(file.data, 4, CORRAL_FORMAT_POLKAVM, &program, &error), -1);
	assert_contains(error.message, "version byte");
	for (size_t cut = 5; cut < 13; cut++) {
		cr_assert_eq(loader_parse(file.data, cut, CORRAL_FORMAT_POLKAVM, &program, &error), -1);
		assert_contains(error.message, "inside the 8-byte file length");
	}
	free(file.data);
}

Test(polkavm, only_versions_1_and_3_are_read)
{
	for (unsigned version = 0; version < 256; version++) {
		struct file file = begin((uint8_t)version);
		code_section(&file);
		finish(&file);
		struct loader_program program;
		struct pvm_error error;
		int status = loader_parse(file.data, file.length, CORRAL_FORMAT_POLKAVM, &program, &error);
		if (version == 1 || version == 3) {
			cr_assert_eq(status, 0, "version %u: %s", version, error.message);
			cr_assert_eq(program.isa, version == 1 ? CORRAL_ISA_GP07 : CORRAL_ISA_GP08);
		} else {
			char needle[40];
			snprintf(needle, sizeof needle, "unsupported version %u", version);
			refused(&file, needle);
		}
		free(file.data);
	}
}

Test(polkavm, the_length_in_the_header_must_be_the_files)
{
	struct file file = begin(1);
	code_section(&file);
	finish(&file);
	const uint64_t lies[] = {0, file.length - 1, file.length + 1, 1ull << 32, UINT64_MAX};
	for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
		set_length(&file, lies[i]);
		refused(&file, "the header says the file is");
	}
	free(file.data);
}

/* ---- sections -------------------------------------------------------------- */

Test(polkavm, sections_must_ascend)
{
	struct file file = begin(1);
	code_section(&file);
	memory_section(&file, 0, 0, 0);
	finish(&file);
	refused(&file, "the memory section (id 1) at byte 20: it comes after the code section (id 6)");
	free(file.data);
}

Test(polkavm, a_section_may_appear_once)
{
	struct file file = begin(1);
	memory_section(&file, 0, 0, 0);
	memory_section(&file, 0, 0, 0);
	code_section(&file);
	finish(&file);
	refused(&file, "the memory section (id 1) at byte 18: a second one");
	free(file.data);

	file = begin(1);
	code_section(&file);
	section(&file, 0x90, "x", 1);
	section(&file, 0x90, "y", 1);
	finish(&file);
	refused(&file, "a second one");
	free(file.data);
}

Test(polkavm, every_cut_of_a_container_is_refused_with_a_message)
{
	static const char *const imports[] = {"a", "bb"};
	static const struct loader_polkavm_export exports[] = {{"main", 0}};
	struct loader_polkavm_parts parts = minimal_parts();
	parts.ro_data = (const uint8_t *)"ro", parts.ro_data_length = 2, parts.ro_data_size = 2;
	parts.rw_data = (const uint8_t *)"rw", parts.rw_data_length = 2, parts.rw_data_size = 2;
	parts.imports = imports, parts.import_count = 2;
	parts.exports = exports, parts.export_count = 1;
	struct file file = write_parts(&parts);
	for (size_t cut = 0; cut < file.length; cut++) {
		struct loader_program program;
		struct pvm_error error = {0};
		set_length(&file, cut);
		cr_assert_eq(loader_parse(file.data, cut, CORRAL_FORMAT_POLKAVM, &program, &error), -1, "cut at %zu",
			     cut);
		cr_assert(error.message[0], "cut at %zu: no message", cut);
	}
	free(file.data);
}

Test(polkavm, a_section_longer_than_the_file_is_refused)
{
	struct file file = begin(1);
	append_byte(&file, 6);
	append_varint(&file, 100);
	append(&file, trap_blob, sizeof trap_blob);
	set_length(&file, file.length);
	refused(&file, "the code section (id 6) at byte 13: it says 100 bytes, but only 5 follow its length");
	free(file.data);
}

Test(polkavm, a_section_length_must_be_canonical)
{
	struct file file = begin(1);
	append_byte(&file, 6);
	append(&file, "\x80\x05", 2); /* 5, in two bytes */
	append(&file, trap_blob, sizeof trap_blob);
	finish(&file);
	refused(&file, "its length at byte 14 is a truncated or non-canonical number");
	free(file.data);
}

Test(polkavm, the_end_section_is_required_empty_and_last)
{
	struct file file = begin(1);
	code_section(&file);
	set_length(&file, file.length);
	refused(&file, "without the end section (id 0)");

	append(&file, "\0\1\0", 3);
	set_length(&file, file.length);
	refused(&file, "the end section (id 0) at byte 20: it must be empty, but says 1 bytes");
	free(file.data);

	file = begin(1);
	code_section(&file);
	append(&file, "\0\0\0", 3);
	set_length(&file, file.length);
	refused(&file, "1 bytes follow it at byte 22: the end section must be the last thing in the file");
	free(file.data);
}

Test(polkavm, the_code_section_is_required)
{
	struct file file = begin(1);
	memory_section(&file, 0, 0, 0);
	finish(&file);
	refused(&file, "no code section (id 6)");
	free(file.data);
}

Test(polkavm, the_code_must_be_a_program_blob)
{
	struct file file = begin(1);
	section(&file, 6, "\0\0\5\0", 4);
	finish(&file);
	refused(&file, "the code section at byte 15 is not a program blob");
	free(file.data);
}

static struct file bytes_body(const void *bytes, size_t n)
{
	struct file body = {0};
	append(&body, bytes, n);
	return body;
}

Test(polkavm, unknown_section_ids_are_refused_and_optional_ones_skipped)
{
	const uint8_t unknown[] = {7, 8, 0x40, 0x7F};
	for (size_t i = 0; i < sizeof unknown; i++) {
		char needle[80];
		snprintf(needle, sizeof needle, "the unknown section (id %u) at byte 20: no such section", unknown[i]);
		refused_with(unknown[i], bytes_body("data", 4), needle);
	}

	struct file file = begin(1);
	code_section(&file);
	section(&file, 0x80, "debug info", 10);
	section(&file, 0xC3, "", 0);
	section(&file, 0xFF, "\xff\xff\xff", 3);
	finish(&file);
	struct loader_program program = parsed(&file);
	cr_assert_eq(program.blob_length, sizeof trap_blob);
	free(file.data);
}

/* ---- memory and data ------------------------------------------------------ */

Test(polkavm, the_memory_section_holds_three_numbers_and_nothing_else)
{
	struct file body = memory_body(1, 2, 3);
	append_byte(&body, 0);
	refused_with(1, body, "1 bytes are left over at byte 18");
	body = memory_body(1, 2, 3);
	body.length = 2;
	refused_with(1, body, "the section ends at byte 17 where stack_size should be");
	refused_with(1, memory_body(0, 1ull << 32, 0),
		     "rw_data_size at byte 16 is 4294967296, over the limit of 4294967295");
}

Test(polkavm, the_memory_must_fit_the_standard_layout)
{
	/* Everything but the five zones and the argument area: just fits. */
	const uint32_t room = (uint32_t)(TOP - 5 * ZONE - INPUT);
	const uint32_t fits[][3] = {{room, 0, 0}, {0, room, 0}, {0, 0, room}, {room - ZONE, ZONE, 0}};
	for (size_t i = 0; i < sizeof fits / sizeof fits[0]; i++) {
		struct file body = memory_body(fits[i][0], fits[i][1], fits[i][2]);
		struct file file = with_section(1, body.data, body.length);
		parsed(&file);
		free(file.data);
		free(body.data);

		body = memory_body(fits[i][0] + (i == 0), fits[i][1] + (i == 1 || i == 3), fits[i][2] + (i == 2));
		refused_with(1, body, "more than the 4 GiB address space");
	}
}

Test(polkavm, data_must_fit_its_region)
{
	struct file file = begin(1);
	memory_section(&file, 3, 100, 0);
	section(&file, 2, "four", 4);
	code_section(&file);
	finish(&file);
	refused(&file,
		"the read-only data section (id 2) at byte 18: 4 bytes of data do not fit the 3-byte read-only region");
	free(file.data);

	file = begin(1);
	memory_section(&file, 100, 3, 0);
	section(&file, 3, "four", 4);
	code_section(&file);
	finish(&file);
	refused(&file, "4 bytes of data do not fit the 3-byte read-write region (the memory section's rw_data_size)");
	free(file.data);

	/* Without a memory section every region is empty. */
	refused_with(3, bytes_body("x", 1), "1 bytes of data do not fit the 0-byte read-write region");
}

/* ---- imports and exports -------------------------------------------------- */

static void names_refused(uint8_t id, const char *const *names, size_t count, const char *needle)
{
	const uint32_t pcs[8] = {0};
	refused_with(id, names_body(names, id == 5 ? pcs : NULL, count), needle);
}

static void names_accepted(const char *const *names, size_t count)
{
	struct file body = names_body(names, NULL, count);
	struct file file = with_section(4, body.data, body.length);
	cr_assert_eq(parsed(&file).imports.count, count);
	free(file.data);
	free(body.data);
}

Test(polkavm, names_are_unique)
{
	static const char *const names[] = {"alpha", "beta", "gamma", "beta"};
	names_refused(4, names, 4,
		      "the imports section (id 4) at byte 13: import 3 at byte 33 is named \"beta\" like import 1");
	names_refused(5, names, 4, "export 3 at byte 36 is named \"beta\" like export 1");
	/* A name that is a prefix of another is another name. */
	static const char *const prefixes[] = {"get", "get_all", "ge"};
	names_accepted(prefixes, 3);
}

Test(polkavm, names_are_1_to_255_bytes_of_printable_ascii)
{
	char longest[256], too_long[257];
	memset(longest, 'x', 255), longest[255] = 0;
	memset(too_long, 'y', 256), too_long[256] = 0;
	const char *const good[] = {longest, " ", "~tilde~", "a b"};
	names_accepted(good, 4);

	const char *empty[] = {"ok", ""};
	names_refused(4, empty, 2, "import 1 at byte 19 has a name of 0 bytes (names are 1 to 255 bytes)");
	const char *long_one[] = {too_long};
	names_refused(5, long_one, 1, "export 0 at byte 17 has a name of 256 bytes");
	const char *const bad[] = {"tab\there", "del\x7f", "high\x80", "nl\n"};
	for (size_t i = 0; i < 4; i++)
		names_refused(4, &bad[i], 1, "names are printable ASCII (0x20..0x7E)");
	names_refused(5, &bad[1], 1, "the name of export 0 has byte 0x7f at byte 21");
}

Test(polkavm, a_name_cannot_run_past_its_section)
{
	refused_with(4,
		     bytes_body("\x01\x05"
				"abc",
				5),
		     "import 0 at byte 16: its 5-byte name runs past the section's end at byte 20");
}

Test(polkavm, a_count_larger_than_its_section_is_refused)
{
	refused_with(4,
		     bytes_body("\x03\x01"
				"a\x01"
				"b",
				5),
		     "3 imports cannot fit in the 4 bytes that follow the count");
	/* A count that would make a huge allocation is refused before it. */
	struct file body = {0};
	append_varint(&body, UINT32_MAX);
	append(&body, "\x00\x01z", 3);
	refused_with(5, body, "4294967295 exports cannot fit");
}

Test(polkavm, entries_must_fill_their_section)
{
	refused_with(4,
		     bytes_body("\x01\x01"
				"a!",
				4),
		     "1 bytes are left over at byte 18");
}

Test(polkavm, an_export_must_lie_inside_the_code)
{
	static const char *const names[] = {"main", "beyond"};
	const uint32_t pcs[] = {0, 1};
	refused_with(5, names_body(names, pcs, 2), "export 1 \"beyond\" is at pc 1, past the end of the 1-byte code");
	const uint32_t far[] = {0, UINT32_MAX};
	refused_with(5, names_body(names, far, 2), "is at pc 4294967295, past the end");
}

Test(polkavm, the_writer_refuses_what_the_reader_would)
{
	static const char *const twice[] = {"x", "x"};
	static const char *const null_name[] = {NULL};
	static const struct loader_polkavm_export past[] = {{"main", 1}};
	struct loader_polkavm_parts parts = minimal_parts();
	parts.imports = twice, parts.import_count = 2;
	write_refused(&parts, "import 1 at byte 23 is named \"x\" like import 0");
	parts = minimal_parts();
	parts.imports = null_name, parts.import_count = 1;
	write_refused(&parts, "import 0 has no name");
	parts = minimal_parts();
	parts.exports = past, parts.export_count = 1;
	write_refused(&parts, "export 0 \"main\" is at pc 1, past the end of the 1-byte code");
	parts = minimal_parts();
	parts.rw_data = (const uint8_t *)"abc", parts.rw_data_length = 3, parts.rw_data_size = 2;
	write_refused(&parts, "3 bytes of data do not fit the 2-byte read-write region");
	parts = minimal_parts();
	parts.isa = (corral_isa)7;
	write_refused(&parts, "unknown ISA 7");
	parts = minimal_parts();
	parts.blob = (const uint8_t *)"\0", parts.blob_length = 1;
	write_refused(&parts, "is not a program blob");
}

/* ---- modules ----------------------------------------------------------------- */

/* GP 0.7 code that reads both data regions, asks sbrk for the heap top,
 * calls import 1 and halts; `second` is another entry point. */
static const char program_source[] = "\tload_u64 r7, 0x10000\n"
				     "\tload_u64 r8, 0x30000\n"
				     "\tload_imm r10, 0\n"
				     "\tsbrk r9, r10\n"
				     "\tecalli 1\n"
				     "\tload_imm r0, -65536\n"
				     "\tjump_ind r0, 0\n"
				     "second:\n"
				     "\tload_imm r7, 42\n"
				     "\tecalli 0\n"
				     "\ttrap\n";

/* The pc of the instruction whose text starts with `prefix`. */
static uint32_t pc_of(const uint8_t *blob, size_t length, const char *prefix)
{
	corral_engine *engine;
	corral_module *module;
	corral_error error;
	corral_module_config config;
	corral_module_config_init(&config);
	config.format = CORRAL_FORMAT_BLOB;
	cr_assert_eq(corral_engine_new(NULL, &engine, &error), CORRAL_OK);
	cr_assert_eq(corral_module_new(engine, blob, length, "blob", &config, &module, &error), CORRAL_OK, "%s",
		     error.message);
	corral_module_info info;
	corral_module_get_info(module, &info);
	uint32_t pc = 0, found = UINT32_MAX;
	while (pc < info.code_length && found == UINT32_MAX) {
		char text[128];
		uint32_t next = corral_module_instruction(module, pc, text, sizeof text);
		if (!strncmp(text, prefix, strlen(prefix)))
			found = pc;
		pc = next;
	}
	corral_module_free(module);
	corral_engine_free(engine);
	cr_assert_neq(found, UINT32_MAX, "no instruction %s", prefix);
	return found;
}

static const uint8_t ro_bytes[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
static const uint8_t rw_bytes[16] = {0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 9, 10, 11, 12, 13, 14, 15, 16};
static const char *const program_imports[] = {"log", "print"};

/* program_source in a container: 5000 bytes of read-only region, 10000 of
 * read-write, 8 KiB of stack; exports main and second. */
static struct file program_container(struct loader_polkavm_export *exports)
{
	size_t blob_length;
	uint8_t *blob = support_assemble(program_source, &blob_length);
	exports[0] = (struct loader_polkavm_export){"main", 0};
	exports[1] = (struct loader_polkavm_export){"second", pc_of(blob, blob_length, "load_imm r7, 42")};
	struct loader_polkavm_parts parts = {
		.isa = CORRAL_ISA_GP07,
		.ro_data = ro_bytes,
		.ro_data_length = sizeof ro_bytes,
		.ro_data_size = 5000,
		.rw_data = rw_bytes,
		.rw_data_length = sizeof rw_bytes,
		.rw_data_size = 10000,
		.stack_size = 8192,
		.imports = program_imports,
		.import_count = 2,
		.exports = exports,
		.export_count = 2,
		.blob = blob,
		.blob_length = blob_length,
	};
	struct file file = write_parts(&parts);
	free(blob);
	return file;
}

static uint64_t u64_of(const uint8_t *bytes)
{
	uint64_t value = 0;
	for (unsigned i = 0; i < 8; i++)
		value |= (uint64_t)bytes[i] << (8 * i);
	return value;
}

static void assert_access(const corral_instance *instance, uint32_t address, corral_page_access access)
{
	cr_assert_eq(corral_instance_page_access(instance, address), access, "page 0x%x: access %d, expected %d",
		     address, corral_instance_page_access(instance, address), access);
}

Test(polkavm, a_module_runs_with_memory_laid_out_as_a_standard_program)
{
	struct loader_polkavm_export exports[2];
	struct file file = program_container(exports);
	corral_engine *engine;
	corral_module *module;
	corral_instance *instance;
	corral_error error;
	cr_assert_eq(corral_engine_new(NULL, &engine, &error), CORRAL_OK);
	cr_assert_eq(corral_module_new(engine, file.data, file.length, "test.polkavm", NULL, &module, &error),
		     CORRAL_OK, "%s", error.message);
	corral_module_info info;
	corral_module_get_info(module, &info);
	cr_assert_eq(info.format, CORRAL_FORMAT_POLKAVM);
	cr_assert_eq(info.ro_data_length, 8);
	cr_assert_eq(info.ro_data_size, 5000);
	cr_assert_eq(info.rw_data_length, 16);
	cr_assert_eq(info.rw_data_size, 10000);
	cr_assert_eq(info.heap_pages, 2, "3 pages of read-write region, 1 of them data");
	cr_assert_eq(info.stack_size, 8192);

	corral_instance_config config;
	corral_instance_config_init(&config);
	config.gas = 1000;
	config.arguments = (const uint8_t *)"hi";
	config.arguments_length = 2;
	cr_assert_eq(corral_instance_new(module, &config, &instance, &error), CORRAL_OK, "%s", error.message);

	/* Read-only: 5000 bytes are two pages at 0x10000, the data first. */
	assert_access(instance, 0x10000, CORRAL_PAGE_READ);
	assert_access(instance, 0x11000, CORRAL_PAGE_READ);
	assert_access(instance, 0x12000, CORRAL_PAGE_NONE);
	uint8_t page[4096];
	cr_assert_eq(corral_instance_read(instance, 0x10000, page, sizeof page, &error), CORRAL_OK);
	cr_assert_eq(memcmp(page, ro_bytes, sizeof ro_bytes), 0);
	for (size_t i = sizeof ro_bytes; i < sizeof page; i++)
		cr_assert_eq(page[i], 0, "read-only byte %zu", i);
	/* Read-write: one zone past the read-only zone, 10000 bytes in three
	 * pages, then nothing until sbrk. */
	const uint32_t rw = 2 * ZONE + ZONE;
	assert_access(instance, rw, CORRAL_PAGE_WRITE);
	assert_access(instance, rw + 0x2000, CORRAL_PAGE_WRITE);
	assert_access(instance, rw + 0x3000, CORRAL_PAGE_NONE);
	assert_access(instance, rw - 0x1000, CORRAL_PAGE_NONE);
	cr_assert_eq(corral_instance_read(instance, rw, page, sizeof page, &error), CORRAL_OK);
	cr_assert_eq(memcmp(page, rw_bytes, sizeof rw_bytes), 0);
	for (size_t i = sizeof rw_bytes; i < sizeof page; i++)
		cr_assert_eq(page[i], 0, "read-write byte %zu", i);
	/* The stack below the arguments, the registers as GP A.7 sets them. */
	const uint32_t stack_end = (uint32_t)(TOP - 2 * ZONE - INPUT);
	assert_access(instance, stack_end - 0x1000, CORRAL_PAGE_WRITE);
	assert_access(instance, stack_end - 0x2000, CORRAL_PAGE_WRITE);
	assert_access(instance, stack_end - 0x3000, CORRAL_PAGE_NONE);
	cr_assert_eq(corral_instance_reg(instance, 0), TOP - ZONE);
	cr_assert_eq(corral_instance_reg(instance, 1), stack_end);
	cr_assert_eq(corral_instance_reg(instance, 7), TOP - ZONE - INPUT);
	cr_assert_eq(corral_instance_reg(instance, 8), 2);
	char arguments[2];
	cr_assert_eq(corral_instance_read(instance, (uint32_t)(TOP - ZONE - INPUT), arguments, 2, &error), CORRAL_OK);
	cr_assert_eq(memcmp(arguments, "hi", 2), 0);

	corral_interrupt stop = corral_instance_run(instance);
	cr_assert_eq(stop.kind, CORRAL_HOST_CALL, "%s at pc %u", corral_interrupt_name(stop.kind), stop.pc);
	cr_assert_eq(stop.host_call, 1);
	cr_assert_str_eq(corral_module_import_name(module, stop.host_call), "print");
	cr_assert_eq(corral_instance_reg(instance, 7), u64_of(ro_bytes));
	cr_assert_eq(corral_instance_reg(instance, 8), u64_of(rw_bytes));
	cr_assert_eq(corral_instance_reg(instance, 9), rw + 0x3000, "the heap starts where rw_data_size ends");
	stop = corral_instance_run(instance);
	cr_assert_eq(stop.kind, CORRAL_FINISHED, "%s at pc %u", corral_interrupt_name(stop.kind), stop.pc);

	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine);
	free(file.data);
}

Test(polkavm, exports_are_entry_points_and_imports_name_host_calls)
{
	struct loader_polkavm_export exports[2];
	struct file file = program_container(exports);
	struct machine machine;
	machine_from_bytes(&machine, file.data, file.length, NULL, 1000);
	corral_module *module = machine.module;

	cr_assert_eq(corral_module_export_count(module), 2);
	cr_assert_str_eq(corral_module_export_name(module, 0), "main");
	cr_assert_eq(corral_module_export_pc(module, 0), 0);
	cr_assert_str_eq(corral_module_export_name(module, 1), "second");
	cr_assert_eq(corral_module_export_pc(module, 1), exports[1].pc);
	cr_assert_null(corral_module_export_name(module, 2));
	cr_assert_eq(corral_module_export_pc(module, 2), 0);
	cr_assert_eq(corral_module_import_count(module), 2);
	cr_assert_str_eq(corral_module_import_name(module, 0), "log");
	cr_assert_str_eq(corral_module_import_name(module, 1), "print");
	cr_assert_null(corral_module_import_name(module, 2));

	uint32_t pc = 12345;
	cr_assert_not(corral_module_find_export(module, "secon", &pc));
	cr_assert_not(corral_module_find_export(module, "seconds", &pc));
	cr_assert_eq(pc, 12345);
	cr_assert(corral_module_find_export(module, "second", &pc));
	cr_assert_eq(pc, exports[1].pc);
	cr_assert(corral_module_find_export(module, "main", NULL));

	corral_instance_set_pc(machine.instance, pc);
	corral_interrupt stop = machine_run(&machine);
	assert_stop(stop, CORRAL_HOST_CALL, pc + 3); /* after the 3-byte load_imm */
	cr_assert_eq(stop.host_call, 0);
	cr_assert_str_eq(corral_module_import_name(module, stop.host_call), "log");
	cr_assert_eq(machine_reg(&machine, 7), 42);
	machine_free(&machine);
	free(file.data);
}

Test(polkavm, an_export_must_start_a_basic_block)
{
	size_t blob_length;
	uint8_t *blob = support_assemble(program_source, &blob_length);
	uint32_t inside = pc_of(blob, blob_length, "load_u64 r8") + 1, mid_block = pc_of(blob, blob_length, "sbrk");
	const uint32_t bad[] = {inside, mid_block};
	for (size_t i = 0; i < 2; i++) {
		struct loader_polkavm_export exports[] = {{"main", 0}, {"bad_entry", bad[i]}};
		struct loader_polkavm_parts parts = {
			.isa = CORRAL_ISA_GP07,
			.exports = exports,
			.export_count = 2,
			.blob = blob,
			.blob_length = blob_length,
		};
		struct file file = write_parts(&parts);
		corral_error error;
		cr_assert_eq(module_try(file.data, file.length, NULL, &error), CORRAL_ERROR_MALFORMED);
		char needle[100];
		snprintf(needle, sizeof needle,
			 "export 1 \"bad_entry\" is at pc %u, which does not start a basic block", bad[i]);
		assert_contains(error.message, needle);
		free(file.data);
	}
	free(blob);
}

Test(polkavm, the_version_decides_the_numbering)
{
	/* sbrk is opcode 101 in GP 0.7; GP 0.8 has no sbrk and 101 is another
	 * instruction. Whatever the configuration says, the version decides. */
	size_t blob_length;
	uint8_t *blob = support_assemble("\tsbrk r7, r8\n\ttrap\n", &blob_length);
	const corral_isa configured[] = {CORRAL_ISA_GP07, CORRAL_ISA_GP08};
	for (int version = 0; version < 2; version++) {
		struct loader_polkavm_parts parts = minimal_parts();
		parts.isa = version ? CORRAL_ISA_GP08 : CORRAL_ISA_GP07;
		parts.blob = blob, parts.blob_length = blob_length;
		struct file file = write_parts(&parts);
		cr_assert_eq(file.data[4], version ? 3 : 1);
		for (int c = 0; c < 2; c++) {
			corral_module_config config;
			corral_module_config_init(&config);
			config.isa = configured[c];
			struct machine machine;
			machine_from_bytes(&machine, file.data, file.length, &config, 10);
			corral_module_info info;
			corral_module_get_info(machine.module, &info);
			cr_assert_eq(info.isa, parts.isa);
			char text[80];
			corral_module_instruction(machine.module, 0, text, sizeof text);
			if (version)
				cr_assert(strncmp(text, "sbrk", 4), "GP 0.8 read opcode 101 as %s", text);
			else
				cr_assert_str_eq(text, "sbrk r7, r8");
			machine_free(&machine);
		}
		free(file.data);
	}
	free(blob);
}

Test(polkavm, names_outlive_the_bytes_they_came_from)
{
	struct loader_polkavm_export exports[2];
	struct file file = program_container(exports);
	corral_engine *engine;
	corral_module *module;
	corral_error error;
	cr_assert_eq(corral_engine_new(NULL, &engine, &error), CORRAL_OK);
	cr_assert_eq(corral_module_new(engine, file.data, file.length, NULL, NULL, &module, &error), CORRAL_OK, "%s",
		     error.message);
	memset(file.data, 0xEE, file.length);
	free(file.data);
	cr_assert_str_eq(corral_module_export_name(module, 1), "second");
	cr_assert_str_eq(corral_module_import_name(module, 0), "log");
	cr_assert(corral_module_find_export(module, "main", NULL));
	corral_module_free(module);
	corral_engine_free(engine);
}

Test(polkavm, other_formats_declare_no_names)
{
	struct machine machine;
	machine_from_source(&machine, "\ttrap\n", NULL, 10);
	cr_assert_eq(corral_module_export_count(machine.module), 0);
	cr_assert_eq(corral_module_import_count(machine.module), 0);
	cr_assert_null(corral_module_export_name(machine.module, 0));
	cr_assert_null(corral_module_import_name(machine.module, 0));
	cr_assert_not(corral_module_find_export(machine.module, "main", NULL));
	size_t length = 99;
	cr_assert_null(corral_module_metadata(machine.module, &length));
	cr_assert_eq(length, 0);
	machine_free(&machine);
}

Test(polkavm, a_jam_programs_metadata_is_exposed)
{
	struct machine machine;
	machine_from_source(&machine, ".metadata 6e 61 6d 65\n\ttrap\n", NULL, 10);
	size_t length;
	const uint8_t *metadata = corral_module_metadata(machine.module, &length);
	cr_assert_not_null(metadata);
	cr_assert_eq(length, 4);
	cr_assert_eq(memcmp(metadata, "name", 4), 0);
	machine_free(&machine);

	machine_from_source(&machine, ".metadata\n\ttrap\n", NULL, 10);
	metadata = corral_module_metadata(machine.module, &length);
	cr_assert_not_null(metadata, "an empty prefix is still a prefix");
	cr_assert_eq(length, 0);
	machine_free(&machine);

	machine_from_source(&machine, ".format jam\n\ttrap\n", NULL, 10);
	cr_assert_null(corral_module_metadata(machine.module, &length));
	cr_assert_eq(length, 0);
	machine_free(&machine);

	struct loader_polkavm_parts parts = minimal_parts();
	struct file file = write_parts(&parts);
	machine_from_bytes(&machine, file.data, file.length, NULL, 10);
	cr_assert_null(corral_module_metadata(machine.module, &length));
	machine_free(&machine);
	free(file.data);
}
