/* The assembler (loader/asm.c): what each syntax error says and where, how
 * jump offsets are laid out, what explicit encodings may claim, the
 * directives, and the round trip through the disassembler for every program
 * among the vectors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "loader/asm.h"
#include "loader/container.h"
#include "tests/support.h"
#include "tests/vector_programs.h"

#define assert_contains(haystack, needle) \
	cr_assert(strstr((haystack), (needle)) != NULL, "expected \"%s\" in: %s", (needle), (haystack))

static int assemble(const char *source, uint8_t **bytes, size_t *length, char *error, size_t error_size)
{
	*bytes = NULL;
	error[0] = 0;
	return loader_assemble(source, strlen(source), "test.s", bytes, length, error, error_size);
}

/* The source must fail on `line` with a message containing `problem`. */
static void assert_fails(const char *source, unsigned line, const char *problem)
{
	uint8_t *bytes;
	size_t length;
	char error[400], where[32];
	cr_assert_eq(assemble(source, &bytes, &length, error, sizeof error), -1, "assembled: %s", source);
	cr_assert_null(bytes);
	snprintf(where, sizeof where, "test.s:%u: ", line);
	cr_assert_eq(strncmp(error, where, strlen(where)), 0, "expected line %u for %s\ngot: %s", line, source, error);
	assert_contains(error, problem);
}

/* The code and bitmask of an assembled raw blob. */
struct code {
	uint8_t *bytes; /* the whole blob, to free */
	size_t length;
	struct pvm_blob blob;
};

static struct code assemble_code(const char *source)
{
	struct code code;
	code.bytes = support_assemble(source, &code.length);
	struct pvm_error error;
	cr_assert_eq(pvm_blob_parse(&code.blob, code.bytes, code.length, &error), 0, "%s", error.message);
	return code;
}

static void assert_code(const char *source, const uint8_t *expected, size_t length)
{
	struct code code = assemble_code(source);
	cr_assert_eq(code.blob.code_length, length, "%s: %u bytes of code, not %zu", source, code.blob.code_length,
		     length);
	cr_assert_arr_eq(code.blob.code, expected, length, "%s", source);
	free(code.bytes);
}

/* The instruction text at each opcode, in order, through the public API. */
static size_t listing(const uint8_t *bytes, size_t length, char lines[][64], uint32_t *offsets, size_t most)
{
	struct machine m;
	corral_module_config config;
	corral_module_config_init(&config);
	config.format = CORRAL_FORMAT_BLOB;
	machine_from_bytes(&m, bytes, length, &config, 0);
	corral_module_info info;
	corral_module_get_info(m.module, &info);
	size_t n = 0;
	for (uint32_t pc = 0; pc < info.code_length && n < most; n++) {
		offsets[n] = pc;
		pc = corral_module_instruction(m.module, pc, lines[n], 64);
	}
	machine_free(&m);
	return n;
}

/* ---- the basics ------------------------------------------------------- */

Test(asm, an_empty_source_is_the_empty_blob)
{
	uint8_t *bytes;
	size_t length;
	char error[200];
	cr_assert_eq(assemble("", &bytes, &length, error, sizeof error), 0, "%s", error);
	static const uint8_t empty[] = {0, 0, 0};
	cr_assert_eq(length, 3);
	cr_assert_arr_eq(bytes, empty, 3);
	free(bytes);
	cr_assert_eq(assemble("; nothing\n\n   # at all\n", &bytes, &length, error, sizeof error), 0, "%s", error);
	cr_assert_eq(length, 3);
	free(bytes);
}

Test(asm, a_whole_blob_is_header_code_and_bitmask)
{
	size_t length;
	uint8_t *bytes = support_assemble("trap\nfallthrough\nload_imm r7, 42\n", &length);
	static const uint8_t expected[] = {0x00, 0x00, 0x05, 0x00, 0x01, 0x33, 0x07, 0x2a, 0x07};
	cr_assert_eq(length, sizeof expected);
	cr_assert_arr_eq(bytes, expected, sizeof expected);
	free(bytes);
}

Test(asm, comments_blank_lines_tabs_and_crlf_are_ignored)
{
	static const uint8_t expected[] = {0x00, 0x01};
	assert_code("; header comment\r\n\ttrap ; why\r\n\r\n# another\r\n  fallthrough\t# trailing\r\n", expected,
		    sizeof expected);
}

Test(asm, abi_register_names_are_the_numbered_ones)
{
	struct code a = assemble_code("add_64 a0, sp, ra\nadd_64 s1, t2, a5\nmove_reg t0, s0\n");
	struct code b = assemble_code("add_64 r7, r1, r0\nadd_64 r6, r4, r12\nmove_reg r2, r5\n");
	cr_assert_eq(a.length, b.length);
	cr_assert_arr_eq(a.bytes, b.bytes, a.length);
	free(a.bytes);
	free(b.bytes);
}

Test(asm, operand_order_matches_the_disassembler)
{
	static const char *const lines[] = {
		"store_ind_u64 r0, r1, 40",
		"load_ind_u64 r10, r9, 8",
		"add_64 r1, r2, r3",
		"move_reg r5, r7",
		"load_imm_64 r3, 0x123456789abcdef0",
		"store_imm_u32 65536, -2",
		"load_imm_jump_ind r1, r2, 3, 4",
		"count_set_bits_32 r4, r11",
	};
	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
		char source[128], text[1][64];
		uint32_t offsets[1];
		snprintf(source, sizeof source, "%s\n", lines[i]);
		size_t length;
		uint8_t *bytes = support_assemble(source, &length);
		cr_assert_eq(listing(bytes, length, text, offsets, 1), 1);
		cr_assert_str_eq(text[0], lines[i]);
		free(bytes);
	}
}

/* ---- syntax errors: the line and the problem -------------------------- */

Test(asm, every_syntax_error_names_its_line_and_problem)
{
	static const struct {
		const char *source;
		unsigned line;
		const char *problem;
	} cases[] = {
		{"trap\nfoo r1\n", 2, "unknown instruction 'foo'"},
		{"trap\n\nload_imm r13, 1\n", 3, "'r13' is not a register"},
		{"trap\nload_imm , 1\n", 2, "expected a register"},
		{"load_imm r1 1\n", 1, "expected ','"},
		{"; c\nload_imm r1, x\n", 2, "expected a number at 'x'"},
		{"load_imm r1,\n", 1, "expected a number"},
		{"load_imm r1, 99999999999999999999\n", 1, "fits 64 bits"},
		{"load_imm r1, -9223372036854775809\n", 1, "below -2^63"},
		{"trap\ntrap extra\n", 2, "unexpected 'extra' after the operands"},
		{"trap\n\n\n.foo 1\n", 4, "unknown directive '.foo'"},
		{"a: trap\n; gap\na: trap\n", 3, "label 'a' is already defined on line 1"},
		{"trap\njump @nowhere\ntrap\n", 2, "label 'nowhere' is used but never defined"},
		{"trap\n.jump_table @missing\n", 2, "label 'missing' is used but never defined"},
		{"jump 5\n", 1, "a numeric target is written @N"},
		{"jump\n", 1, "expected a jump target"},
		{".bytes 0\n", 1, "two digits each"},
		{"\n.bytes zz\n", 2, "'zz' is not a hex byte"},
		{"trap\n.isa gp0.8\n", 2, ".isa must come before the first instruction"},
		{".isa gp9\n", 1, "unknown ISA 'gp9'"},
		{".jump_entry_size 9\n", 1, "from 0 to 8"},
		{".jump_entry_size -1\n", 1, "from 0 to 8"},
		{".format elf\n", 1, ".format takes jam or blob"},
		{".heap_pages 65536\n", 1, "from 0 to 65535"},
		{".stack_size 0x1000000\n", 1, "from 0 to 16777215"},
		{".isa gp0.7 extra\n", 1, "unexpected text after .isa"},
		{"trap\n@12 trap\n", 2, "expected '@N:'"},
		{"trap =\n", 1, "explicit encodings are 1 to 25 bytes long, not 0"},
		{"trap = 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n", 1, "not 26"},
		{"trap\n:\n", 2, "expected an instruction or a directive"},
		{"trap\n@0: 1: trap\n", 2, "two different offsets (0 and 1)"},
		{"trap\nadd_64 r1, r2\n", 2, "expected ','"},
		{"trap\nadd_64 r1, r2, 5\n", 2, "'5' is not a register"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		assert_fails(cases[i].source, cases[i].line, cases[i].problem);
}

Test(asm, a_nul_byte_in_the_source_is_refused)
{
	/* Even where nothing else looks: in a comment. */
	static const char hidden[] = "trap ; a\0b\ntrap\n";
	uint8_t *bytes;
	size_t length;
	char error[200];
	cr_assert_eq(loader_assemble(hidden, sizeof hidden - 1, "test.s", &bytes, &length, error, sizeof error), -1);
	assert_contains(error, "NUL");
	static const char bare[] = "trap\n\0\ntrap\n";
	cr_assert_eq(loader_assemble(bare, sizeof bare - 1, "test.s", &bytes, &length, error, sizeof error), -1);
	assert_contains(error, "test.s:2: ");
}

Test(asm, a_long_error_is_cut_to_the_buffer)
{
	uint8_t *bytes;
	size_t length;
	char error[16];
	memset(error, 'x', sizeof error);
	cr_assert_eq(assemble("trap\nfoo\n", &bytes, &length, error, sizeof error), -1);
	cr_assert_eq(strlen(error), sizeof error - 1);
	cr_assert_eq(strncmp(error, "test.s:2: ", 10), 0);
}

Test(asm, numbers_are_decimal_or_hex_never_octal)
{
	/* "Numbers are decimal or 0x-hex": a leading zero is still decimal. */
	char text[1][64];
	uint32_t offsets[1];
	size_t length;
	uint8_t *bytes = support_assemble("load_imm r1, 010\n", &length);
	cr_assert_eq(listing(bytes, length, text, offsets, 1), 1);
	cr_assert_str_eq(text[0], "load_imm r1, 10");
	free(bytes);
}

/* ---- immediates ------------------------------------------------------- */

Test(asm, immediates_must_be_32_bit_sign_extensions)
{
	static const char *const fits[] = {
		"load_imm r0, 0x7fffffff\n",
		"load_imm r0, -2147483648\n",
		"load_imm r0, 0xffffffff80000000\n",
		"load_imm r0, -1\n",
		"load_imm r0, 0xffffffffffffffff\n",
		"add_imm_64 r0, r1, -5\n",
		"store_imm_u64 0x7fffffff, -0x80000000\n",
	};
	for (size_t i = 0; i < sizeof fits / sizeof *fits; i++) {
		size_t length;
		free(support_assemble(fits[i], &length));
	}
	static const struct {
		const char *source;
		const char *problem;
	} refused[] = {
		{"trap\nload_imm r0, 0x80000000\n", "load_imm immediate 0x80000000 does not fit"},
		{"trap\nload_imm r0, 0xffffffff\n", "does not fit"},
		{"trap\nload_imm r0, -2147483649\n", "does not fit"},
		{"trap\nload_imm r0, 0x100000000\n", "does not fit"},
		{"trap\necalli 0x80000000\n", "ecalli immediate"},
		{"trap\nstore_imm_u8 0x80000000, 1\n", "first immediate"},
		{"trap\nstore_imm_u8 1, 0x80000000\n", "second immediate"},
		{"trap\nbranch_eq_imm r1, 0x80000000, @0\n", "first immediate"},
		{"trap\nload_imm_jump_ind r1, r2, 1, 0x123456789\n", "second immediate"},
	};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
		assert_fails(refused[i].source, 2, refused[i].problem);
}

Test(asm, load_imm_64_takes_any_64_bit_value)
{
	static const uint8_t expected[] = {0x14, 0x05, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01};
	assert_code("load_imm_64 r5, 0x0123456789abcdef\n", expected, sizeof expected);
}

Test(asm, immediates_take_the_fewest_bytes)
{
	static const uint8_t expected[] = {
		0x33, 0x01,                         /* load_imm r1, 0 */
		0x33, 0x01, 0x7f,                   /* 127 */
		0x33, 0x01, 0x80, 0x00,             /* 128 */
		0x33, 0x01, 0xff,                   /* -1 */
		0x33, 0x01, 0x00, 0x80,             /* -32768 */
		0x33, 0x01, 0x00, 0x00, 0x80,       /* -2^23 */
		0x33, 0x01, 0xff, 0xff, 0xff, 0x7f, /* 2^31 - 1 */
	};
	assert_code("load_imm r1, 0\nload_imm r1, 127\nload_imm r1, 128\nload_imm r1, -1\nload_imm r1, -32768\n"
		    "load_imm r1, -8388608\nload_imm r1, 2147483647\n",
		    expected, sizeof expected);
}

/* ---- labels, targets and offsets -------------------------------------- */

Test(asm, labels_forward_and_backward)
{
	static const uint8_t code[] = {
		0x01,             /* 0: fallthrough */
		0x28, 0x04,       /* 1: back: jump @end */
		0x01,             /* 3 */
		0x01,             /* 4 */
		0x00,             /* 5: end: trap */
		0x28, 0xfb,       /* 6: jump @back */
		0x51, 0x07, 0xfd, /* 8: branch_eq_imm r7, 0, end (no '@') */
	};
	assert_code("fallthrough\n"
		    "back: jump @end\n"
		    "fallthrough\n"
		    "fallthrough\n"
		    "end: trap\n"
		    "jump @back\n"
		    "branch_eq_imm r7, 0, end\n",
		    code, sizeof code);
}

Test(asm, a_forward_jump_at_offset_0_reaches_its_label)
{
	/* The first layout pass sees every label at 0; an instruction at 0
	 * then needs no offset bytes, and nothing grows to force a second pass. */
	static const uint8_t expected[] = {0x28, 0x03, 0x01, 0x00};
	assert_code("jump @end\nfallthrough\nend: trap\n", expected, sizeof expected);
	static const uint8_t branch[] = {0x51, 0x07, 0x04, 0x01, 0x00};
	assert_code("branch_eq_imm r7, 0, @end\nfallthrough\nend: trap\n", branch, sizeof branch);
}

Test(asm, numeric_targets_are_absolute_offsets)
{
	static const uint8_t expected[] = {
		0x01,                         /* 0 */
		0x28, 0x04,                   /* 1: jump @5 */
		0x28, 0xfd,                   /* 3: jump @0 */
		0x28, 0xfa,                   /* 5: jump @-1 */
		0x28, 0x00, 0x00, 0x80, 0x00, /* 7: jump @8388615 */
		0x28, 0xff, 0xff, 0x7f, 0xff, /* 12: jump @-8388597 */
	};
	assert_code("fallthrough\njump @5\njump @0\njump @-1\njump @8388615\njump @-8388597\n", expected,
		    sizeof expected);
}

Test(asm, labels_may_share_a_line_and_mark_the_end)
{
	/* `end` labels the end of the code: nothing follows it. */
	struct code code = assemble_code("fallthrough\na: b: @1: 1: jump @end\njump @b\ntrap\nend:\n");
	static const uint8_t want[] = {0x01, 0x28, 0x05, 0x28, 0xfe, 0x00};
	cr_assert_eq(code.blob.code_length, sizeof want);
	cr_assert_arr_eq(code.blob.code, want, sizeof want);
	free(code.bytes);
}

/* Relaxation: a jump offset takes 1 to 4 bytes, and a jump that grows moves
 * everything after it. */
static char *padded_source(const char *before, size_t padding, const char *after)
{
	size_t size = strlen(before) + padding * 12 + strlen(after) + 1;
	char *source = malloc(size);
	cr_assert_not_null(source);
	strcpy(source, before);
	char *at = source + strlen(before);
	for (size_t i = 0; i < padding; i++) {
		memcpy(at, "fallthrough\n", 12);
		at += 12;
	}
	strcpy(at, after);
	return source;
}

Test(asm, offset_assertions_that_hold_pass)
{
	size_t length;
	free(support_assemble("@0: trap\n1: fallthrough\n@2: 2: load_imm r1, 5\n5: trap\n@6:\n", &length));
}

Test(asm, offset_assertions_that_do_not_hold_are_errors)
{
	assert_fails("trap\n12: trap\n", 2, "this is at offset 1, not 12");
	assert_fails("trap\n@3: trap\n", 2, "this is at offset 1, not 3");
	assert_fails("@0: trap\n@0: trap\n", 2, "this is at offset 1, not 0");
	assert_fails("trap\n@5:\n", 2, "the code ends at offset 1, not 5");
	assert_fails("trap\n3:\n; nothing more\n", 2, "the code ends at offset 1, not 3");
	/* Right for a one-byte offset, wrong once the jump has grown. */
	char *source = padded_source("fallthrough\njump @far\n@3: trap\n", 130, "far: trap\n");
	assert_fails(source, 3, "this is at offset 4, not 3");
	free(source);
}

static void assert_jump_bytes(const char *before, size_t padding, const char *after, const uint8_t *jump,
			      size_t jump_length, uint32_t jump_at)
{
	char *source = padded_source(before, padding, after);
	struct code code = assemble_code(source);
	cr_assert_geq(code.blob.code_length, jump_at + jump_length);
	cr_assert_arr_eq(code.blob.code + jump_at, jump, jump_length, "padding %zu", padding);
	free(code.bytes);
	free(source);
}

Test(asm, forward_offsets_grow_from_1_to_3_bytes_at_the_boundaries)
{
	/* fallthrough; jump @end; P x fallthrough; end: trap. The jump is at 1,
	 * so the offset is its own size plus P. */
	static const uint8_t one[] = {0x28, 0x7f}, two[] = {0x28, 0x81, 0x00};
	assert_jump_bytes("fallthrough\njump @end\n", 125, "end: trap\n", one, sizeof one, 1);
	assert_jump_bytes("fallthrough\njump @end\n", 126, "end: trap\n", two, sizeof two, 1);
	static const uint8_t two_max[] = {0x28, 0xff, 0x7f}, three[] = {0x28, 0x01, 0x80, 0x00};
	assert_jump_bytes("fallthrough\njump @end\n", 32764, "end: trap\n", two_max, sizeof two_max, 1);
	assert_jump_bytes("fallthrough\njump @end\n", 32765, "end: trap\n", three, sizeof three, 1);
}

Test(asm, backward_offsets_grow_at_minus_129)
{
	static const uint8_t one[] = {0x28, 0x80}, two[] = {0x28, 0x7f, 0xff};
	assert_jump_bytes("fallthrough\nback: fallthrough\n", 127, "jump @back\n", one, sizeof one, 129);
	assert_jump_bytes("fallthrough\nback: fallthrough\n", 128, "jump @back\n", two, sizeof two, 130);
}

Test(asm, four_byte_offsets)
{
	static const uint8_t four[] = {0x28, 0x00, 0x00, 0x80, 0x00};
	assert_jump_bytes("", 0, "jump @8388608\n", four, sizeof four, 0);
	static const uint8_t branch[] = {0xaa, 0x21, 0xff, 0xff, 0x7f, 0xff};
	assert_jump_bytes("", 0, "branch_eq r1, r2, @-8388609\n", branch, sizeof branch, 0);
}

Test(asm, growing_jumps_push_other_targets_across_boundaries)
{
	/* Two forward jumps over each other, with paddings around the 1/2-byte
	 * boundary: every target must land on its label whatever grew. */
	static const size_t paddings[] = {0, 1, 60, 120, 122, 123, 124, 125, 126, 127, 128, 250, 253, 254};
	for (size_t i = 0; i < sizeof paddings / sizeof *paddings; i++) {
		for (size_t j = 0; j < sizeof paddings / sizeof *paddings; j++) {
			char *middle = padded_source("", paddings[i], "");
			char *tail = padded_source("", paddings[j], "");
			size_t size = strlen(middle) + strlen(tail) + 200;
			char *source = malloc(size);
			cr_assert_not_null(source);
			snprintf(source, size,
				 "fallthrough\njump @a\n%sbranch_ne r1, r2, @b\n%sa: fallthrough\nb: jump @a\n", middle,
				 tail);
			size_t length;
			uint8_t *bytes = support_assemble(source, &length);
			size_t count = paddings[i] + paddings[j] + 5;
			char(*text)[64] = calloc(count, 64);
			uint32_t *offsets = calloc(count, sizeof *offsets);
			cr_assert(text && offsets);
			cr_assert_eq(listing(bytes, length, text, offsets, count), count);
			uint32_t a = offsets[count - 2], b = offsets[count - 1];
			char want[64];
			snprintf(want, sizeof want, "jump @%u", a);
			cr_assert_str_eq(text[1], want, "paddings %zu, %zu", paddings[i], paddings[j]);
			snprintf(want, sizeof want, "branch_ne r1, r2, @%u", b);
			cr_assert_str_eq(text[2 + paddings[i]], want, "paddings %zu, %zu", paddings[i], paddings[j]);
			snprintf(want, sizeof want, "jump @%u", a);
			cr_assert_str_eq(text[count - 1], want, "paddings %zu, %zu", paddings[i], paddings[j]);
			free(text);
			free(offsets);
			free(bytes);
			free(source);
			free(middle);
			free(tail);
		}
	}
}

/* ---- explicit encodings and raw bytes --------------------------------- */

Test(asm, explicit_bytes_are_used_when_they_decode_as_written)
{
	/* A two-byte immediate where one would do, and a padded jump. */
	static const uint8_t expected[] = {0x33, 0x00, 0x01, 0x00, 0x28, 0xfc, 0xff, 0xff};
	assert_code("load_imm r0, 1 = 33 00 01 00\njump @0 = 28 fc ff ff\n", expected, sizeof expected);
	/* The same bytes do not mean @0 with a zero in the top byte. */
	assert_fails("load_imm r0, 1 = 33 00 01 00\njump @0 = 28 fc ff 00\n", 2, "decode to 'jump @65536'");
	static const uint8_t packed[] = {0x33, 0x00, 0x01, 0x00};
	assert_code("load_imm r0, 1 = 3300 0100\n", packed, sizeof packed);
}

Test(asm, explicit_bytes_that_decode_to_something_else_are_refused)
{
	assert_fails("trap\nload_imm r0, 2 = 33 00 01\n", 2,
		     "'load_imm r0, 2' is encoded as bytes that decode to 'load_imm r0, 1'");
	assert_fails("trap = 01\n", 1, "decode to 'fallthrough'");
	assert_fails("load_imm r1, 0 = 33 00\n", 1, "decode to 'load_imm r0, 0'");
	assert_fails("trap\njump @0 = 28 00\n", 2, "decode to 'jump @1'");
	assert_fails("sbrk r1, r2 = 66 21\n", 1, "decode to 'count_set_bits_64 r1, r2'");
}

Test(asm, dot_bytes_are_code_no_opcode_starts_in)
{
	struct code code = assemble_code(".bytes 01 02 03\ntrap\n");
	static const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x00};
	cr_assert_eq(code.blob.code_length, 4);
	cr_assert_arr_eq(code.blob.code, bytes, 4);
	cr_assert_eq(code.blob.bitmask[0], 0x08, "only the trap is an opcode");
	free(code.bytes);
	/* After an instruction they would lengthen it: refused. */
	assert_fails("trap\n.bytes 00\n", 1, "'trap' takes 1 bytes here but the next opcode is 2 bytes on");
}

/* ---- the jump table --------------------------------------------------- */

Test(asm, the_jump_table_takes_labels_and_offsets)
{
	struct code code = assemble_code(".jump_table @a, @b\n.jump_table @0\na: fallthrough\nb: trap\n");
	cr_assert_eq(code.blob.jump_count, 3);
	cr_assert_eq(code.blob.jump_entry_size, 1);
	cr_assert_eq(pvm_blob_jump_entry(&code.blob, 0), 0);
	cr_assert_eq(pvm_blob_jump_entry(&code.blob, 1), 1);
	cr_assert_eq(pvm_blob_jump_entry(&code.blob, 2), 0);
	free(code.bytes);
}

Test(asm, jump_entries_take_the_fewest_bytes_unless_told)
{
	static const struct {
		const char *source;
		uint8_t size;
	} cases[] = {
		{"trap\n", 0},
		{".jump_table @0\ntrap\n", 1},
		{".jump_table @255\ntrap\n", 1},
		{".jump_table @256\ntrap\n", 2},
		{".jump_table @65536\ntrap\n", 3},
		{".jump_table @0x1000000\ntrap\n", 4},
		{".jump_table @0x100000000\ntrap\n", 5},
		{".jump_entry_size 4\n.jump_table @1\ntrap\n", 4},
		{".jump_entry_size 8\n.jump_table @1\ntrap\n", 8},
		{".jump_entry_size 3\ntrap\n", 3},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct code code = assemble_code(cases[i].source);
		cr_assert_eq(code.blob.jump_entry_size, cases[i].size, "%s: z = %u", cases[i].source,
			     code.blob.jump_entry_size);
		free(code.bytes);
	}
}

Test(asm, jump_entries_that_do_not_fit_are_errors)
{
	assert_fails(".jump_entry_size 1\n.jump_table @300\ntrap\n", 2, "jump-table entry 300 does not fit 1 bytes");
	assert_fails("trap\n.jump_table @-1\n", 2, "jump-table entry 0 is negative");
}

Test(asm, entries_of_zero_bytes_are_the_sources_mistake)
{
	/* Reported on the .jump_table line like any entry that does not fit,
	 * not as an internal error at the end of the file. */
	assert_fails(".jump_entry_size 0\n.jump_table @0\ntrap\n", 2, "0 bytes");
	uint8_t *bytes;
	size_t length;
	char error[400];
	cr_assert_eq(assemble(".jump_entry_size 0\n.jump_table @0\ntrap\n", &bytes, &length, error, sizeof error), -1);
	cr_assert_null(strstr(error, "internal error"), "%s", error);
}

/* ---- instruction sets ------------------------------------------------- */

Test(asm, isa_gp08_renumbers_and_has_no_sbrk)
{
	static const uint8_t gp07[] = {0x66, 0x21, 0x03}, gp08[] = {0x65, 0x21, 0x02};
	assert_code("count_set_bits_64 r1, r2\nunlikely\n", gp07, sizeof gp07);
	assert_code(".isa gp0.8\ncount_set_bits_64 r1, r2\nunlikely\n", gp08, sizeof gp08);
	assert_code(".isa jamv1\ncount_set_bits_64 r1, r2\nunlikely\n", gp08, sizeof gp08);
	static const uint8_t sbrk[] = {0x65, 0x21};
	assert_code(".isa gp0.7\nsbrk r1, r2\n", sbrk, sizeof sbrk);
	assert_fails(".isa gp0.8\ntrap\n\nsbrk r1, r2\n", 4, "sbrk does not exist in gp0.8");
}

/* ---- JAM programs ----------------------------------------------------- */

Test(asm, format_jam_wraps_the_blob)
{
	size_t length;
	uint8_t *bytes = support_assemble(".format jam\ntrap\n", &length);
	static const uint8_t expected[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 1, 0, 1};
	cr_assert_eq(length, sizeof expected);
	cr_assert_arr_eq(bytes, expected, sizeof expected);
	free(bytes);
	bytes = support_assemble(".format blob\ntrap\n", &length);
	cr_assert_eq(length, 5);
	free(bytes);
}

Test(asm, jam_directives_fill_the_header_and_data)
{
	size_t length;
	uint8_t *bytes = support_assemble(".metadata 6d 65\n.metadata 74 61\n"
					  ".ro_data 01 02\n.ro_data 03\n"
					  ".rw_data 0405\n"
					  ".heap_pages 0x102\n"
					  ".stack_size 0x30201\n"
					  "trap\n",
					  &length);
	static const uint8_t expected[] = {
		4,    'm',  'e',  't', 'a',                   /* E(|m|) m */
		3,    0,    0,    2,   0,   0, 0x02, 0x01,    /* |o| |w| z */
		0x01, 0x02, 0x03,                             /* s */
		1,    2,    3,    4,   5,                     /* o w */
		5,    0,    0,    0,   0,   0, 1,    0,    1, /* E4(|c|) c */
	};
	cr_assert_eq(length, sizeof expected);
	cr_assert_arr_eq(bytes, expected, sizeof expected);

	corral_engine *engine;
	corral_module *module;
	corral_error error;
	cr_assert_eq(corral_engine_new(NULL, &engine, &error), CORRAL_OK);
	cr_assert_eq(corral_module_new(engine, bytes, length, "test", NULL, &module, &error), CORRAL_OK, "%s",
		     error.message);
	corral_module_info info;
	corral_module_get_info(module, &info);
	cr_assert_eq(info.format, CORRAL_FORMAT_JAM);
	cr_assert(info.has_metadata);
	cr_assert_eq(info.ro_data_length, 3);
	cr_assert_eq(info.rw_data_length, 2);
	cr_assert_eq(info.heap_pages, 0x102);
	cr_assert_eq(info.stack_size, 0x30201);
	corral_module_free(module);
	corral_engine_free(engine);
	free(bytes);
}

Test(asm, an_empty_metadata_directive_still_writes_its_length)
{
	size_t length;
	uint8_t *bytes = support_assemble(".metadata\ntrap\n", &length);
	cr_assert_eq(length, 1 + 11 + 4 + 5);
	cr_assert_eq(bytes[0], 0);
	free(bytes);
}

/* ---- the round trip --------------------------------------------------- */

static void round_trip(const uint8_t *bytes, size_t length, corral_format format, corral_isa isa, const char *name)
{
	char *text = NULL;
	size_t text_length = 0;
	char error[400];
	FILE *out = open_memstream(&text, &text_length);
	cr_assert_not_null(out);
	int status = loader_disassemble(bytes, length, name, format, isa, out, error, sizeof error);
	cr_assert_eq(fclose(out), 0);
	cr_assert_eq(status, 0, "%s: %s", name, error);
	uint8_t *again = NULL;
	size_t again_length = 0;
	status = loader_assemble(text, text_length, name, &again, &again_length, error, sizeof error);
	cr_assert_eq(status, 0, "%s: the listing does not assemble: %s", name, error);
	cr_assert_eq(again_length, length, "%s: %zu bytes back from %zu", name, again_length, length);
	for (size_t i = 0; i < length; i++)
		cr_assert_eq(again[i], bytes[i], "%s: byte %zu is 0x%02x, was 0x%02x", name, i, again[i], bytes[i]);
	free(again);
	free(text);
}

static void round_trip_vector(const struct vector_program *program, void *context)
{
	(void)context;
	round_trip(program->bytes, program->length, program->format, program->isa, program->path);
}

Test(asm, every_vector_program_round_trips_through_the_listing, .timeout = 60)
{
	const char *vectors = support_vectors();
	if (!vectors)
		cr_skip_test("CORRAL_VECTORS is not set: no vector programs to round-trip");
	size_t count = vector_programs_each(vectors, VECTOR_JSON, round_trip_vector, NULL);
	cr_assert_gt(count, 400, "only %zu vector programs found", count);
}

Test(asm, every_service_program_round_trips_through_the_listing, .timeout = 60)
{
	const char *vectors = support_vectors();
	if (!vectors)
		cr_skip_test("CORRAL_VECTORS is not set: no service programs to round-trip");
	size_t count = vector_programs_each(vectors, VECTOR_SERVICES, round_trip_vector, NULL);
	cr_assert_eq(count, 3);
}

Test(asm, hand_made_oddities_round_trip)
{
	/* Bytes the canonical encoder would not write: padding, an undefined
	 * opcode, unmarked bytes at the start, long skips, wide jump entries. */
	static const char *const sources[] = {
		".bytes 01 02\nload_imm r0, 1 = 33 00 01 00\njump @0 = 28 fa ff ff ff\ntrap\n",
		"trap = ff 01 02\nfallthrough\n",
		".jump_entry_size 8\n.jump_table @1, @0x100000000\ntrap\nfallthrough\n",
		"move_reg r1, r2 = 64 21 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\ntrap\n",
		".isa gp0.8\nunlikely\ntrap\n",
		".metadata 00\n.ro_data 01\n.stack_size 1\nfallthrough\n",
	};
	for (size_t i = 0; i < sizeof sources / sizeof *sources; i++) {
		size_t length;
		uint8_t *bytes = support_assemble(sources[i], &length);
		corral_isa isa = strstr(sources[i], "gp0.8") ? CORRAL_ISA_GP08 : CORRAL_ISA_GP07;
		char name[32];
		snprintf(name, sizeof name, "oddity %zu", i);
		round_trip(bytes, length, CORRAL_FORMAT_AUTO, isa, name);
		free(bytes);
	}
}

Test(asm, the_disassembler_refuses_what_does_not_parse)
{
	static const uint8_t bad[] = {0x00, 0x00, 0x01, 0x00, 0x03};
	char *text = NULL;
	size_t text_length = 0;
	char error[200];
	FILE *out = open_memstream(&text, &text_length);
	cr_assert_not_null(out);
	cr_assert_eq(loader_disassemble(bad, sizeof bad, "bad.bin", CORRAL_FORMAT_BLOB, CORRAL_ISA_GP07, out, error,
					sizeof error),
		     -1);
	fclose(out);
	free(text);
	assert_contains(error, "bad.bin: ");
	assert_contains(error, "padding");
}
