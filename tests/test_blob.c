/* The program blob (GP A.2 deblob) and the natural-number varint it is
 * built from (GP C.1): every length, canonical encodings only, and blobs cut
 * or changed anywhere must be refused with a message, never accepted and
 * never crash. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "core/encode.h"
#include "tests/support.h"
#include "tests/vector_programs.h"

/* ---- building blobs by hand ------------------------------------------- */

struct builder {
	uint8_t bytes[8192];
	size_t length;
};

static void put(struct builder *b, const void *data, size_t n)
{
	cr_assert_leq(b->length + n, sizeof b->bytes);
	if (n)
		memcpy(b->bytes + b->length, data, n);
	b->length += n;
}

static void put_byte(struct builder *b, uint8_t byte)
{
	put(b, &byte, 1);
}

static void put_varint(struct builder *b, uint64_t value)
{
	uint8_t encoded[9];
	put(b, encoded, pvm_varint_write(value, encoded));
}

/* E(|j|) E1(z) E(|c|) Ez(j) c k, with the bitmask given whole. */
static void put_blob(struct builder *b, uint64_t jump_count, uint8_t entry_size, const uint8_t *table,
		     uint64_t code_length, const uint8_t *code, const uint8_t *mask, size_t mask_length)
{
	put_varint(b, jump_count);
	put_byte(b, entry_size);
	put_varint(b, code_length);
	put(b, table, (size_t)(jump_count * entry_size));
	put(b, code, (size_t)code_length);
	put(b, mask, mask_length);
}

static int parse(const struct builder *b, struct pvm_blob *blob, struct pvm_error *error)
{
	memset(error, 0, sizeof *error);
	return pvm_blob_parse(blob, b->bytes, b->length, error);
}

static corral_module_config blob_config(corral_isa isa)
{
	corral_module_config config;
	corral_module_config_init(&config);
	config.format = CORRAL_FORMAT_BLOB;
	config.isa = isa;
	return config;
}

#define assert_contains(haystack, needle) \
	cr_assert(strstr((haystack), (needle)) != NULL, "expected \"%s\" in the message: %s", (needle), (haystack))

/* ---- the varint ------------------------------------------------------- */

/* The smallest value of each encoded length 1..9: 0, 2^7, 2^14 .. 2^56. */
static uint64_t smallest_of_length(unsigned length)
{
	return length == 1 ? 0 : 1ull << (7 * (length - 1));
}

Test(varint, every_length_from_1_to_9_at_both_ends)
{
	for (unsigned length = 1; length <= 9; length++) {
		uint64_t low = smallest_of_length(length);
		uint64_t high = length == 9 ? UINT64_MAX : smallest_of_length(length + 1) - 1;
		uint64_t values[] = {low, low + 1, high - 1, high};
		for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
			uint8_t bytes[9];
			uint32_t n = pvm_varint_write(values[i], bytes);
			cr_assert_eq(n, length, "%llu took %u bytes, not %u", (unsigned long long)values[i], n, length);
			size_t offset = 0;
			uint64_t back = 0;
			cr_assert_eq(pvm_varint_read(bytes, n, &offset, &back), 0, "%llu does not read back",
				     (unsigned long long)values[i]);
			cr_assert_eq(back, values[i]);
			cr_assert_eq(offset, n);
		}
	}
}

Test(varint, known_encodings_match_the_gray_paper)
{
	static const struct {
		uint64_t value;
		uint8_t bytes[9];
		unsigned length;
	} cases[] = {
		{0, {0x00}, 1},
		{1, {0x01}, 1},
		{127, {0x7f}, 1},
		{128, {0x80, 0x80}, 2},
		{0x3fff, {0xbf, 0xff}, 2},
		{0x4000, {0xc0, 0x00, 0x40}, 3},
		{0x1fffff, {0xdf, 0xff, 0xff}, 3},
		{0x200000, {0xe0, 0x00, 0x00, 0x20}, 4},
		{0xdeadbeef, {0xf0, 0xef, 0xbe, 0xad, 0xde}, 5},
		{1ull << 56, {0xff, 0, 0, 0, 0, 0, 0, 0, 0x01}, 9},
		{UINT64_MAX, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 9},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		uint8_t bytes[9] = {0};
		cr_assert_eq(pvm_varint_write(cases[i].value, bytes), cases[i].length);
		cr_assert_arr_eq(bytes, cases[i].bytes, cases[i].length, "encoding of 0x%llx",
				 (unsigned long long)cases[i].value);
	}
}

Test(varint, non_canonical_encodings_are_refused_at_every_length)
{
	/* Each length 2..9 used for a value that fits one byte less. */
	for (unsigned length = 2; length <= 9; length++) {
		uint64_t value = smallest_of_length(length) - 1; /* the largest of length - 1 */
		uint8_t bytes[9] = {0};
		unsigned extra = length - 1;
		bytes[0] = (uint8_t)(0xff00u >> extra);
		if (extra < 8)
			bytes[0] |= (uint8_t)(value >> (8 * extra));
		for (unsigned i = 0; i < extra && i < 8; i++)
			bytes[1 + i] = (uint8_t)(value >> (8 * i));
		size_t offset = 0;
		uint64_t read = 12345;
		cr_assert_eq(pvm_varint_read(bytes, length, &offset, &read), -1,
			     "0x%llx in %u bytes is not canonical but was read", (unsigned long long)value, length);
		cr_assert_eq(offset, 0, "a refused read must not move the offset");
		cr_assert_eq(read, 12345, "a refused read must not write the value");
	}
	/* Zero padded out to two bytes. */
	uint8_t zero[] = {0x80, 0x00};
	size_t offset = 0;
	uint64_t read;
	cr_assert_eq(pvm_varint_read(zero, 2, &offset, &read), -1);
}

Test(varint, a_number_reads_back_only_from_its_own_encoding)
{
	/* For every first byte, with three fillings of what follows: the read
	 * succeeds exactly when writing the result gives the same bytes back. */
	static const uint8_t fillings[] = {0x00, 0x01, 0xff};
	for (unsigned first = 0; first < 256; first++) {
		for (size_t f = 0; f < sizeof fillings; f++) {
			uint8_t bytes[9], again[9];
			bytes[0] = (uint8_t)first;
			memset(bytes + 1, fillings[f], 8);
			size_t offset = 0;
			uint64_t value;
			int status = pvm_varint_read(bytes, sizeof bytes, &offset, &value);
			if (status == 0) {
				uint32_t n = pvm_varint_write(value, again);
				cr_assert_eq(n, offset, "first byte 0x%02x: read %zu bytes, writes %u", first, offset,
					     n);
				cr_assert_arr_eq(bytes, again, n, "first byte 0x%02x, filling 0x%02x", first,
						 fillings[f]);
			} else {
				cr_assert_geq(first, 0x80, "the one-byte number 0x%02x was refused", first);
			}
		}
	}
}

Test(varint, every_truncation_is_refused)
{
	for (unsigned length = 2; length <= 9; length++) {
		uint8_t bytes[9];
		uint64_t value = smallest_of_length(length) + 3;
		cr_assert_eq(pvm_varint_write(value, bytes), length);
		for (unsigned cut = 0; cut < length; cut++) {
			size_t offset = 0;
			uint64_t read;
			cr_assert_eq(pvm_varint_read(bytes, cut, &offset, &read), -1, "%u of %u bytes were read", cut,
				     length);
			cr_assert_eq(offset, 0);
		}
	}
}

Test(varint, reads_from_the_middle_of_a_buffer_and_stops_at_its_end)
{
	uint8_t bytes[] = {0x55, 0x81, 0x00, 0x07};
	size_t offset = 1;
	uint64_t value;
	cr_assert_eq(pvm_varint_read(bytes, sizeof bytes, &offset, &value), 0);
	cr_assert_eq(value, 0x100);
	cr_assert_eq(offset, 3);
	cr_assert_eq(pvm_varint_read(bytes, sizeof bytes, &offset, &value), 0);
	cr_assert_eq(value, 7);
	cr_assert_eq(offset, 4);
	cr_assert_eq(pvm_varint_read(bytes, sizeof bytes, &offset, &value), -1, "read at the end");
	offset = 9;
	cr_assert_eq(pvm_varint_read(bytes, sizeof bytes, &offset, &value), -1, "read past the end");
}

/* ---- deblob: what a valid blob is ------------------------------------- */

Test(blob, the_empty_program_is_three_zero_bytes)
{
	struct builder b = {.length = 0};
	put_blob(&b, 0, 0, NULL, 0, NULL, NULL, 0);
	cr_assert_eq(b.length, 3);
	struct pvm_blob blob;
	struct pvm_error error;
	cr_assert_eq(parse(&b, &blob, &error), 0, "%s", error.message);
	cr_assert_eq(blob.code_length, 0);
	cr_assert_eq(blob.jump_count, 0);
	corral_module_config config = blob_config(CORRAL_ISA_GP07);
	corral_error failure;
	cr_assert_eq(module_try(b.bytes, b.length, &config, &failure), CORRAL_OK, "%s", failure.message);
}

Test(blob, fields_point_into_the_bytes)
{
	static const uint8_t table[] = {0x00, 0x00, 0x02, 0x00};
	static const uint8_t code[] = {0x00, 0x00, 0x00};
	static const uint8_t mask[] = {0x07};
	struct builder b = {.length = 0};
	put_blob(&b, 2, 2, table, sizeof code, code, mask, sizeof mask);
	struct pvm_blob blob;
	struct pvm_error error;
	cr_assert_eq(parse(&b, &blob, &error), 0, "%s", error.message);
	cr_assert_eq(blob.jump_count, 2);
	cr_assert_eq(blob.jump_entry_size, 2);
	cr_assert_eq(blob.jump_table, b.bytes + 3);
	cr_assert_eq(blob.code, b.bytes + 7);
	cr_assert_eq(blob.code_length, 3);
	cr_assert_eq(blob.bitmask, b.bytes + 10);
	cr_assert_eq(pvm_blob_jump_entry(&blob, 0), 0);
	cr_assert_eq(pvm_blob_jump_entry(&blob, 1), 2);
}

Test(blob, long_varint_lengths_are_read)
{
	/* 200 jump-table entries and 300 bytes of code: both lengths take two bytes. */
	static uint8_t table[200], code[300], mask[38];
	memset(mask, 0xff, sizeof mask);
	mask[37] = 0x0f; /* 300 = 37 * 8 + 4 */
	struct builder b = {.length = 0};
	put_blob(&b, 200, 1, table, sizeof code, code, mask, sizeof mask);
	struct pvm_blob blob;
	struct pvm_error error;
	cr_assert_eq(parse(&b, &blob, &error), 0, "%s", error.message);
	cr_assert_eq(blob.jump_count, 200);
	cr_assert_eq(blob.code_length, 300);
}

Test(blob, wide_jump_entries_beyond_32_bits_never_name_an_offset)
{
	/* z = 8: an entry whose high bytes are set is no code offset. */
	static const uint8_t table[] = {
		0x01, 0,    0,    0,    0, 0, 0, 0, /* 1 */
		0x01, 0,    0,    0,    1, 0, 0, 0, /* 2^32 + 1 */
		0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, /* 2^32 - 1 */
	};
	static const uint8_t code[] = {0x00};
	static const uint8_t mask[] = {0x01};
	struct builder b = {.length = 0};
	put_blob(&b, 3, 8, table, sizeof code, code, mask, sizeof mask);
	struct pvm_blob blob;
	struct pvm_error error;
	cr_assert_eq(parse(&b, &blob, &error), 0, "%s", error.message);
	cr_assert_eq(pvm_blob_jump_entry(&blob, 0), 1);
	cr_assert_eq(pvm_blob_jump_entry(&blob, 1), UINT32_MAX, "2^32 + 1 must not wrap to 1");
	cr_assert_eq(pvm_blob_jump_entry(&blob, 2), UINT32_MAX);
}

Test(blob, entry_size_zero_without_entries_is_fine)
{
	static const uint8_t code[] = {0x00};
	static const uint8_t mask[] = {0x01};
	struct builder b = {.length = 0};
	put_blob(&b, 0, 0, NULL, sizeof code, code, mask, sizeof mask);
	struct pvm_blob blob;
	struct pvm_error error;
	cr_assert_eq(parse(&b, &blob, &error), 0, "%s", error.message);
}

/* ---- deblob: every way to be wrong ------------------------------------ */

Test(blob, an_empty_input_has_no_header)
{
	struct pvm_blob blob;
	struct pvm_error error;
	cr_assert_eq(pvm_blob_parse(&blob, (const uint8_t *)"", 0, &error), -1);
	assert_contains(error.message, "byte 0");
	assert_contains(error.message, "jump-table length");
}

Test(blob, each_truncated_header_field_is_named)
{
	static const struct {
		uint8_t bytes[4];
		size_t length;
		const char *what;
		const char *where;
	} cases[] = {
		{{0x80}, 1, "jump-table length", "byte 0"},
		{{0x00}, 1, "jump-table entry size", "byte 1"},
		{{0x00, 0x00}, 2, "code length", "byte 2"},
		{{0x00, 0x00, 0xc0}, 3, "code length", "byte 2"},
		{{0x00, 0x00, 0xc0, 0x01}, 4, "code length", "byte 2"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct pvm_blob blob;
		struct pvm_error error;
		cr_assert_eq(pvm_blob_parse(&blob, cases[i].bytes, cases[i].length, &error), -1, "case %zu", i);
		assert_contains(error.message, cases[i].what);
		assert_contains(error.message, cases[i].where);
	}
}

Test(blob, non_canonical_lengths_are_refused)
{
	/* |j| = 0 written in two bytes; then |c| = 1 written in two bytes. */
	static const uint8_t long_jump_count[] = {0x80, 0x00, 0x00, 0x01, 0x00, 0x01};
	static const uint8_t long_code_length[] = {0x00, 0x00, 0x80, 0x01, 0x00, 0x01};
	struct pvm_blob blob;
	struct pvm_error error;
	cr_assert_eq(pvm_blob_parse(&blob, long_jump_count, sizeof long_jump_count, &error), -1);
	assert_contains(error.message, "non-canonical");
	assert_contains(error.message, "byte 0");
	cr_assert_eq(pvm_blob_parse(&blob, long_code_length, sizeof long_code_length, &error), -1);
	assert_contains(error.message, "non-canonical");
	assert_contains(error.message, "byte 2");
}

Test(blob, a_bitmask_one_byte_short_runs_past_the_end)
{
	/* 9 bytes of code need 2 bitmask bytes; give 1. */
	static const uint8_t code[9] = {0};
	static const uint8_t mask[] = {0xff};
	struct builder b = {.length = 0};
	put_blob(&b, 0, 0, NULL, sizeof code, code, mask, sizeof mask);
	struct pvm_blob blob;
	struct pvm_error error;
	cr_assert_eq(parse(&b, &blob, &error), -1);
	assert_contains(error.message, "run past the end");
	assert_contains(error.message, "9 bytes");
	assert_contains(error.message, "13-byte blob");
	cr_assert_eq(error.offset, 3);
}

Test(blob, a_bitmask_one_byte_long_is_trailing_data)
{
	/* |k| = |c| = 8 bits is one byte; a second byte is left over. */
	static const uint8_t code[8] = {0};
	static const uint8_t mask[] = {0xff, 0x00};
	struct builder b = {.length = 0};
	put_blob(&b, 0, 0, NULL, sizeof code, code, mask, sizeof mask);
	struct pvm_blob blob;
	struct pvm_error error;
	cr_assert_eq(parse(&b, &blob, &error), -1);
	assert_contains(error.message, "1 bytes of trailing data");
	assert_contains(error.message, "byte 12");
	cr_assert_eq(error.offset, 12);
}

Test(blob, any_trailing_byte_is_refused_and_counted)
{
	static const uint8_t code[] = {0x00};
	static const uint8_t mask[] = {0x01};
	for (size_t extra = 1; extra <= 40; extra++) {
		struct builder b = {.length = 0};
		put_blob(&b, 0, 0, NULL, sizeof code, code, mask, sizeof mask);
		for (size_t i = 0; i < extra; i++)
			put_byte(&b, (uint8_t)i);
		struct pvm_blob blob;
		struct pvm_error error;
		cr_assert_eq(parse(&b, &blob, &error), -1, "%zu trailing bytes accepted", extra);
		char expected[64];
		snprintf(expected, sizeof expected, "%zu bytes of trailing data", extra);
		assert_contains(error.message, expected);
		assert_contains(error.message, "byte 5");
	}
}

Test(blob, every_padding_bit_of_the_bitmask_must_be_zero)
{
	/* For code lengths 1..15, set each bit of the last bitmask byte past
	 * the code in turn. */
	for (unsigned length = 1; length < 16; length++) {
		if (length % 8 == 0)
			continue;
		for (unsigned bit = length % 8; bit < 8; bit++) {
			uint8_t code[16] = {0}, mask[2] = {0x01, 0x00};
			size_t mask_length = (length + 7) / 8;
			mask[mask_length - 1] |= (uint8_t)(1u << bit);
			struct builder b = {.length = 0};
			put_blob(&b, 0, 0, NULL, length, code, mask, mask_length);
			struct pvm_blob blob;
			struct pvm_error error;
			cr_assert_eq(parse(&b, &blob, &error), -1, "code of %u bytes, padding bit %u accepted", length,
				     bit);
			assert_contains(error.message, "padding");
			char where[32];
			snprintf(where, sizeof where, "byte %zu", b.length - 1);
			assert_contains(error.message, where);
			cr_assert_eq(error.offset, b.length - 1);
		}
	}
}

Test(blob, a_jump_table_past_the_end_names_its_size)
{
	/* Three 4-byte entries promised, 5 bytes present. */
	static const uint8_t table[5] = {0};
	struct builder b = {.length = 0};
	put_varint(&b, 3);
	put_byte(&b, 4);
	put_varint(&b, 0);
	put(&b, table, sizeof table);
	struct pvm_blob blob;
	struct pvm_error error;
	cr_assert_eq(parse(&b, &blob, &error), -1);
	assert_contains(error.message, "jump table of 3 entries x 4 bytes");
	assert_contains(error.message, "8-byte blob");
	cr_assert_eq(error.offset, 3);
}

Test(blob, a_huge_jump_count_does_not_overflow)
{
	/* 2^63 entries of 255 bytes: the product wraps 64 bits, the check must not. */
	static const uint64_t counts[] = {1ull << 63, UINT64_MAX, (UINT64_MAX / 255) + 1, 1ull << 32};
	for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
		for (unsigned size = 1; size <= 255; size += 127) {
			struct builder b = {.length = 0};
			put_varint(&b, counts[i]);
			put_byte(&b, (uint8_t)size);
			put_varint(&b, 0);
			for (int k = 0; k < 64; k++)
				put_byte(&b, 0);
			struct pvm_blob blob;
			struct pvm_error error;
			cr_assert_eq(parse(&b, &blob, &error), -1, "count %llu x %u accepted",
				     (unsigned long long)counts[i], size);
			assert_contains(error.message, "runs past the end");
		}
	}
}

Test(blob, entry_size_zero_with_entries_is_refused)
{
	static const uint8_t code[] = {0x00};
	static const uint8_t mask[] = {0x01};
	struct builder b = {.length = 0};
	put_blob(&b, 5, 0, NULL, sizeof code, code, mask, sizeof mask);
	struct pvm_blob blob;
	struct pvm_error error;
	cr_assert_eq(parse(&b, &blob, &error), -1);
	assert_contains(error.message, "5 entries of 0 bytes");
	cr_assert_eq(error.offset, 1, "the offset should point at z");
}

Test(blob, code_lengths_past_4_gib_are_refused)
{
	static const uint64_t lengths[] = {UINT32_MAX, 1ull << 32, UINT64_MAX};
	for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
		struct builder b = {.length = 0};
		put_varint(&b, 0);
		put_byte(&b, 0);
		put_varint(&b, lengths[i]);
		put_byte(&b, 0);
		struct pvm_blob blob;
		struct pvm_error error;
		cr_assert_eq(parse(&b, &blob, &error), -1);
		assert_contains(error.message, "4 GiB");
	}
}

Test(blob, a_code_length_near_4_gib_runs_past_the_end)
{
	/* 2^32 - 2 passes the 4 GiB check; the bitmask computation must not wrap. */
	struct builder b = {.length = 0};
	put_varint(&b, 0);
	put_byte(&b, 0);
	put_varint(&b, UINT32_MAX - 1);
	for (int k = 0; k < 16; k++)
		put_byte(&b, 0xff);
	struct pvm_blob blob;
	struct pvm_error error;
	cr_assert_eq(parse(&b, &blob, &error), -1);
	assert_contains(error.message, "run past the end");
}

Test(blob, module_errors_are_malformed_and_prefixed_with_the_name)
{
	static const uint8_t bytes[] = {0x00, 0x00, 0x02, 0x00, 0x00, 0x07};
	corral_module_config config = blob_config(CORRAL_ISA_GP07);
	corral_error error;
	cr_assert_eq(module_try(bytes, sizeof bytes, &config, &error), CORRAL_ERROR_MALFORMED);
	cr_assert_eq(error.code, CORRAL_ERROR_MALFORMED);
	cr_assert_eq(strncmp(error.message, "test: ", 6), 0, "%s", error.message);
	assert_contains(error.message, "padding");
}

/* ---- every truncation and mutation ------------------------------------ */

/* Every prefix of a valid blob is refused, with a message that says where. */
static void check_truncations(const uint8_t *bytes, size_t length, corral_isa isa, const char *what)
{
	corral_module_config config = blob_config(isa);
	corral_error error;
	cr_assert_eq(module_try(bytes, length, &config, &error), CORRAL_OK, "%s: %s", what, error.message);
	/* Copying the program dominates each try: past a few KB, test the
	 * first and last 512 prefixes and a stride of those between. */
	size_t stride = length > 4096 ? length / 512 : 1;
	for (size_t cut = 0; cut < length; cut++) {
		if (cut >= 512 && cut + 512 < length && cut % stride)
			continue;
		memset(&error, 0, sizeof error);
		corral_result result = module_try(bytes, cut, &config, &error);
		cr_assert_eq(result, CORRAL_ERROR_MALFORMED, "%s: the first %zu of %zu bytes were accepted", what, cut,
			     length);
		cr_assert(strstr(error.message, "byte") != NULL, "%s cut to %zu: the message says not where: %s", what,
			  cut, error.message);
	}
}

static const char *const hand_made_sources[] = {
	"trap\n",
	"fallthrough\nload_imm r7, 42\nload_imm r0, -65536\njump_ind r0, 0\n",
	".jump_table @a, @b, @c\n"
	"a: load_imm_64 r1, 0x123456789abcdef0\n"
	"b: branch_eq_imm r1, 5, @a\n"
	"c: ecalli 7\nadd_64 r1, r2, r3\ntrap\n",
	".jump_entry_size 4\n.jump_table @9, @10\n.bytes 01 02 03 04 05 06 07 08 09\nfallthrough\nfallthrough\ntrap\n",
};

Test(blob, every_truncation_of_hand_made_blobs_is_refused)
{
	for (size_t i = 0; i < sizeof hand_made_sources / sizeof *hand_made_sources; i++) {
		size_t length;
		uint8_t *bytes = support_assemble(hand_made_sources[i], &length);
		check_truncations(bytes, length, CORRAL_ISA_GP07, hand_made_sources[i]);
		free(bytes);
	}
	/* Two-byte varints for both lengths. */
	static uint8_t table[130 * 2], code[200], mask[25];
	mask[0] = 0x01;
	struct builder b = {.length = 0};
	put_blob(&b, 130, 2, table, sizeof code, code, mask, sizeof mask);
	check_truncations(b.bytes, b.length, CORRAL_ISA_GP07, "130 entries, 200 bytes of code");
}

static void truncate_vector(const struct vector_program *program, void *context)
{
	(void)context;
	const uint8_t *code = program->bytes;
	size_t length = program->length;
	if (program->format == CORRAL_FORMAT_JAM)
		vector_service_code(program->bytes, program->length, &code, &length);
	check_truncations(code, length, program->isa, program->path);
}

Test(blob, every_truncation_of_every_vector_program_is_refused, .timeout = 60)
{
	const char *vectors = support_vectors();
	if (!vectors)
		cr_skip_test("CORRAL_VECTORS is not set: no vector programs to cut");
	size_t count = vector_programs_each(vectors, VECTOR_JSON | VECTOR_SERVICES, truncate_vector, NULL);
	cr_assert_gt(count, 400, "only %zu vector programs found", count);
}

/* Changing any one byte gives an error or a program that runs; never a crash.
 * Accepted small programs are run for a little gas too. */
static void check_mutations(const uint8_t *bytes, size_t length, corral_isa isa, size_t positions, bool run)
{
	static const uint8_t flips[] = {0x01, 0x80, 0xff};
	uint8_t *copy = malloc(length ? length : 1);
	cr_assert_not_null(copy);
	corral_module_config config = blob_config(isa);
	corral_engine *engine;
	corral_error error;
	cr_assert_eq(corral_engine_new(NULL, &engine, &error), CORRAL_OK);
	size_t stride = length > positions ? length / positions : 1;
	for (size_t at = 0; at < length; at += at < 8 ? 1 : stride) {
		for (size_t f = 0; f < sizeof flips; f++) {
			memcpy(copy, bytes, length);
			copy[at] ^= flips[f];
			corral_module *module = NULL;
			corral_result result =
				corral_module_new(engine, copy, length, "mutant", &config, &module, &error);
			if (result != CORRAL_OK) {
				cr_assert_eq(result, CORRAL_ERROR_MALFORMED, "byte %zu ^ 0x%02x: %s", at, flips[f],
					     error.message);
				cr_assert_neq(error.message[0], 0);
				continue;
			}
			corral_module_info info;
			corral_module_get_info(module, &info);
			if (run) {
				corral_instance *instance;
				corral_instance_config instance_config;
				corral_instance_config_init(&instance_config);
				instance_config.gas = 200;
				cr_assert_eq(corral_instance_new(module, &instance_config, &instance, &error),
					     CORRAL_OK, "%s", error.message);
				corral_interrupt stop;
				int runs = 0;
				do
					stop = corral_instance_run(instance);
				while (stop.kind == CORRAL_HOST_CALL && ++runs < 8);
				corral_instance_free(instance);
			}
			corral_module_free(module);
		}
	}
	corral_engine_free(engine);
	free(copy);
}

Test(blob, single_byte_mutations_of_hand_made_blobs_never_crash)
{
	for (size_t i = 0; i < sizeof hand_made_sources / sizeof *hand_made_sources; i++) {
		size_t length;
		uint8_t *bytes = support_assemble(hand_made_sources[i], &length);
		check_mutations(bytes, length, CORRAL_ISA_GP07, length, true);
		check_mutations(bytes, length, CORRAL_ISA_GP08, length, true);
		free(bytes);
	}
}

static void mutate_vector(const struct vector_program *program, void *context)
{
	(void)context;
	const uint8_t *code = program->bytes;
	size_t length = program->length;
	if (program->format == CORRAL_FORMAT_JAM)
		vector_service_code(program->bytes, program->length, &code, &length);
	/* Each mutant is validated and prepared whole, so the positions tried
	 * shrink as programs grow: every byte of small ones, a stride through
	 * the big ones (16 positions past the header at least). */
	size_t positions = ((size_t)1 << 15) / (length ? length : 1);
	check_mutations(code, length, program->isa, positions < 16 ? 16 : positions, false);
}

Test(blob, single_byte_mutations_of_vector_programs_never_crash, .timeout = 60)
{
	const char *vectors = support_vectors();
	if (!vectors)
		cr_skip_test("CORRAL_VECTORS is not set: no vector programs to mutate");
	vector_programs_each(vectors, VECTOR_JSON | VECTOR_SERVICES, mutate_vector, NULL);
}

Test(blob, appending_any_byte_to_a_valid_blob_is_refused)
{
	size_t length;
	uint8_t *bytes = support_assemble(hand_made_sources[2], &length);
	uint8_t *longer = malloc(length + 1);
	cr_assert_not_null(longer);
	memcpy(longer, bytes, length);
	corral_module_config config = blob_config(CORRAL_ISA_GP07);
	for (unsigned value = 0; value < 256; value++) {
		longer[length] = (uint8_t)value;
		corral_error error;
		cr_assert_eq(module_try(longer, length + 1, &config, &error), CORRAL_ERROR_MALFORMED,
			     "0x%02x appended was accepted", value);
		assert_contains(error.message, "trailing data");
	}
	free(longer);
	free(bytes);
}
