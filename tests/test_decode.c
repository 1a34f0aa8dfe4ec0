/* Decoding at the edges (GP A.2-A.5): the skip limit of 24, immediates of
 * every length and their sign extension, arguments read past the end of the
 * code (zeta is c followed by zeros), register fields clamped to r12, opcode
 * bytes that are unmarked or undefined (they execute as trap), and the two
 * opcode numberings. Programs are written byte by byte (tests/raw_program.h)
 * so that nothing here depends on the assembler. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/raw_program.h"
#include "tests/support.h"

#define GAS 1000

/* A value no instruction here computes by accident: r0 = 0x1111..., r12 = 0xDDDD.... */
static uint64_t sentinel(unsigned index)
{
	return 0x1111111111111111ull * (index + 1);
}

static void preset_registers(struct machine *m)
{
	for (unsigned i = 0; i < CORRAL_REGISTER_COUNT; i++)
		corral_instance_set_reg(m->instance, i, sentinel(i));
}

static void start(struct machine *m, corral_isa isa, const uint8_t *code, size_t length, const char *starts)
{
	machine_from_code(m, isa, code, length, starts, GAS);
	preset_registers(m);
}

/* Every register but `except` still holds its sentinel. */
static void assert_untouched_but(struct machine *m, int except)
{
	for (unsigned i = 0; i < CORRAL_REGISTER_COUNT; i++)
		if ((int)i != except)
			cr_assert_eq(machine_reg(m, i), sentinel(i), "r%u changed to 0x%llx", i,
				     (unsigned long long)machine_reg(m, i));
}

/* `count` copies of `mark` at `at`. */
static void marks(char *starts, size_t at, size_t count, char mark)
{
	memset(starts + at, mark, count);
}

/* ---- skip ------------------------------------------------------------- */

Test(decode, skip_stops_at_24_and_lands_on_an_unmarked_byte)
{
	/* fallthrough, 29 unmarked bytes, a marked trap at 30: skip(0) =
	 * min(24, 29) = 24, so the next instruction is byte 25, unmarked. */
	uint8_t code[31] = {OP_FALLTHROUGH};
	char starts[32] = {0};
	marks(starts, 0, 31, '0');
	starts[0] = '1';
	starts[30] = '1';
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, starts);
	assert_stop(machine_run(&m), CORRAL_TRAP, 25);
	machine_free(&m);
}

Test(decode, a_gap_of_exactly_24_bytes_reaches_the_next_opcode)
{
	uint8_t code[27] = {OP_FALLTHROUGH};
	char starts[28] = {0};
	marks(starts, 0, 27, '0');
	starts[0] = '1';
	code[25] = OP_ECALLI;
	code[26] = 7;
	starts[25] = '1';
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, starts);
	corral_interrupt stop = machine_run(&m);
	assert_stop(stop, CORRAL_HOST_CALL, 25);
	cr_assert_eq(stop.host_call, 7);
	machine_free(&m);
}

Test(decode, a_gap_of_25_bytes_lands_one_short_of_the_next_opcode)
{
	uint8_t code[28] = {OP_FALLTHROUGH};
	char starts[29] = {0};
	marks(starts, 0, 28, '0');
	starts[0] = '1';
	code[26] = OP_ECALLI;
	code[27] = 7;
	starts[26] = '1';
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, starts);
	assert_stop(machine_run(&m), CORRAL_TRAP, 25);
	machine_free(&m);
}

Test(decode, a_valid_opcode_landed_on_by_the_skip_limit_is_unmarked_and_traps)
{
	/* Bytes 25..27 spell load_imm r1, 5 but are not marked: opcode() is 0. */
	uint8_t code[29] = {OP_FALLTHROUGH};
	char starts[30] = {0};
	marks(starts, 0, 29, '0');
	starts[0] = '1';
	code[25] = OP_LOAD_IMM;
	code[26] = 0x01;
	code[27] = 0x05;
	starts[28] = '1';
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, starts);
	assert_stop(machine_run(&m), CORRAL_TRAP, 25);
	assert_untouched_but(&m, -1);
	machine_free(&m);
}

Test(decode, an_immediate_takes_at_most_4_bytes_of_a_long_skip)
{
	/* ecalli with 24 argument bytes: l_X = min(4, 24). */
	uint8_t code[26] = {OP_ECALLI, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
	char starts[27] = {0};
	marks(starts, 0, 26, '0');
	starts[0] = '1';
	starts[25] = '1'; /* trap */
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, starts);
	corral_interrupt stop = machine_run(&m);
	assert_stop(stop, CORRAL_HOST_CALL, 0);
	cr_assert_eq(stop.host_call, 0x04030201);
	assert_stop(machine_run(&m), CORRAL_TRAP, 25);
	machine_free(&m);
}

/* ---- immediates of each length ------------------------------------------ */

/* load_imm r3 with the given argument bytes (l_X = min(4, n)), then a trap. */
static uint64_t load_imm_r3(const uint8_t *immediate, size_t n)
{
	uint8_t code[32] = {OP_LOAD_IMM, 0x03};
	char starts[33] = {0};
	cr_assert_leq(n, 24);
	if (n)
		memcpy(code + 2, immediate, n);
	code[2 + n] = OP_TRAP;
	marks(starts, 0, n + 3, '0');
	starts[0] = '1';
	starts[n + 2] = '1';
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, n + 3, starts);
	assert_stop(machine_run(&m), CORRAL_TRAP, (uint32_t)(n + 2));
	assert_untouched_but(&m, 3);
	uint64_t value = machine_reg(&m, 3);
	machine_free(&m);
	return value;
}

Test(decode, an_immediate_of_0_bytes_is_zero)
{
	cr_assert_eq(load_imm_r3(NULL, 0), 0);
}

Test(decode, one_byte_immediates_sign_extend_from_bit_7)
{
	cr_assert_eq(load_imm_r3((const uint8_t[]){0x7F}, 1), 0x7F);
	cr_assert_eq(load_imm_r3((const uint8_t[]){0x80}, 1), 0xFFFFFFFFFFFFFF80ull);
	cr_assert_eq(load_imm_r3((const uint8_t[]){0xFF}, 1), UINT64_MAX);
	cr_assert_eq(load_imm_r3((const uint8_t[]){0x00}, 1), 0);
}

Test(decode, two_byte_immediates_are_little_endian_and_sign_extend_from_bit_15)
{
	cr_assert_eq(load_imm_r3((const uint8_t[]){0xFF, 0x7F}, 2), 0x7FFF);
	cr_assert_eq(load_imm_r3((const uint8_t[]){0x00, 0x80}, 2), 0xFFFFFFFFFFFF8000ull);
	cr_assert_eq(load_imm_r3((const uint8_t[]){0x80, 0x00}, 2), 0x80, "bit 7 of a 2-byte immediate is no sign");
}

Test(decode, three_byte_immediates_sign_extend_from_bit_23)
{
	cr_assert_eq(load_imm_r3((const uint8_t[]){0x56, 0x34, 0x12}, 3), 0x123456);
	cr_assert_eq(load_imm_r3((const uint8_t[]){0x56, 0x34, 0x92}, 3), 0xFFFFFFFFFF923456ull);
	cr_assert_eq(load_imm_r3((const uint8_t[]){0x00, 0x80, 0x00}, 3), 0x8000);
}

Test(decode, four_byte_immediates_sign_extend_from_bit_31)
{
	cr_assert_eq(load_imm_r3((const uint8_t[]){0x78, 0x56, 0x34, 0x12}, 4), 0x12345678);
	cr_assert_eq(load_imm_r3((const uint8_t[]){0x00, 0x00, 0x00, 0x80}, 4), 0xFFFFFFFF80000000ull);
	cr_assert_eq(load_imm_r3((const uint8_t[]){0xFF, 0xFF, 0xFF, 0x7F}, 4), 0x7FFFFFFF);
	cr_assert_eq(load_imm_r3((const uint8_t[]){0xFF, 0xFF, 0xFF, 0xFF}, 4), UINT64_MAX);
}

Test(decode, bytes_past_the_fourth_are_ignored)
{
	cr_assert_eq(load_imm_r3((const uint8_t[]){0x78, 0x56, 0x34, 0x12, 0xFF}, 5), 0x12345678);
	uint8_t long_argument[23]; /* skip 24: the longest */
	memset(long_argument, 0xFF, sizeof long_argument);
	long_argument[3] = 0x00;
	cr_assert_eq(load_imm_r3(long_argument, sizeof long_argument), 0x00FFFFFF);
}

Test(decode, load_imm_64_takes_all_8_bytes_without_sign_extension)
{
	uint8_t code[] = {OP_LOAD_IMM_64, 0x07, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, OP_TRAP};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "10000000001");
	assert_stop(machine_run(&m), CORRAL_TRAP, 10);
	cr_assert_eq(machine_reg(&m, 7), 0x8877665544332211ull);
	assert_untouched_but(&m, 7);
	machine_free(&m);
}

Test(decode, load_imm_64_reads_8_bytes_even_over_the_following_opcodes)
{
	/* skip(0) is 1, but the immediate is zeta[2..10): eight fallthroughs. */
	uint8_t code[] = {OP_LOAD_IMM_64, 0x03, 1, 1, 1, 1, 1, 1, 1, 1};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "1011111111");
	assert_stop(machine_run(&m), CORRAL_TRAP, 10);
	cr_assert_eq(machine_reg(&m, 3), 0x0101010101010101ull);
	/* load_imm_64, eight fallthroughs, the trap past the end: 10 instructions. */
	cr_assert_eq(corral_instance_gas(m.instance), GAS - 10);
	machine_free(&m);
}

Test(decode, load_imm_64_cut_off_by_the_end_reads_zeros)
{
	uint8_t code[] = {OP_LOAD_IMM_64, 0x05, 0x11, 0x22};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "1000");
	assert_stop(machine_run(&m), CORRAL_TRAP, 4);
	cr_assert_eq(machine_reg(&m, 5), 0x2211);
	machine_free(&m);
}

/* ---- arguments past the end of the code --------------------------------- */

Test(decode, an_instruction_at_the_last_byte_reads_its_register_as_zero)
{
	uint8_t code[] = {OP_LOAD_IMM};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "1");
	assert_stop(machine_run(&m), CORRAL_TRAP, 1);
	cr_assert_eq(machine_reg(&m, 0), 0, "r_A = zeta[1] mod 16 = 0 and the immediate is empty");
	assert_untouched_but(&m, 0);
	machine_free(&m);
}

Test(decode, an_instruction_without_argument_bytes_reads_its_register_from_the_next_opcode)
{
	/* load_imm at 0 has skip 0; zeta[1] is the fallthrough opcode 1, so r_A = 1. */
	uint8_t code[] = {OP_LOAD_IMM, OP_FALLTHROUGH};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "11");
	assert_stop(machine_run(&m), CORRAL_TRAP, 2);
	cr_assert_eq(machine_reg(&m, 1), 0);
	assert_untouched_but(&m, 1);
	machine_free(&m);
}

Test(decode, a_third_register_byte_past_the_end_is_r0)
{
	uint8_t code[] = {OP_ADD_64, 0x21};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "10");
	corral_instance_set_reg(m.instance, 1, 5);
	corral_instance_set_reg(m.instance, 2, 7);
	assert_stop(machine_run(&m), CORRAL_TRAP, 2);
	cr_assert_eq(machine_reg(&m, 0), 12);
	machine_free(&m);
}

Test(decode, a_first_immediate_longer_than_the_skip_reads_past_the_end)
{
	/* load_imm_jump r2: l_X = min(4, 0x42 / 16 mod 8) = 4 reads zeta[2..6) =
	 * 01 80 00 00, two of them past the end; l_Y = max(0, 3 - 4 - 1) = 0, so
	 * the target is the instruction itself, and it loops until the gas is gone. */
	uint8_t code[] = {OP_LOAD_IMM_JUMP, 0x42, 0x01, 0x80};
	struct machine m;
	machine_from_code(&m, CORRAL_ISA_GP07, code, sizeof code, "1000", 5);
	preset_registers(&m);
	assert_stop(machine_run(&m), CORRAL_OUT_OF_GAS, 0);
	cr_assert_eq(machine_reg(&m, 2), 0x8001);
	cr_assert_eq(corral_instance_gas(m.instance), 0);
	machine_free(&m);
}

/* ---- two immediates: the length fields ---------------------------------- */

static void map_data_page(struct machine *m)
{
	uint8_t fill[16];
	memset(fill, 0xAA, sizeof fill);
	machine_map(m, 0x20000, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	cr_assert_eq(corral_instance_write(m->instance, 0x20000, fill, sizeof fill, NULL), CORRAL_OK);
}

static void assert_bytes(struct machine *m, uint32_t address, const uint8_t *expected, size_t length)
{
	uint8_t got[16];
	cr_assert_leq(length, sizeof got);
	cr_assert_eq(corral_instance_read(m->instance, address, got, length, NULL), CORRAL_OK);
	for (size_t i = 0; i < length; i++)
		cr_assert_eq(got[i], expected[i], "byte %zu at 0x%x is 0x%02x, expected 0x%02x", i, address, got[i],
			     expected[i]);
}

Test(decode, the_first_immediate_length_is_the_low_three_bits)
{
	/* store_imm_u8: 0x0B mod 8 = 3 address bytes (00 00 02), then l_Y =
	 * 5 - 3 - 1 = 1 value byte. */
	uint8_t code[] = {OP_STORE_IMM_U8, 0x0B, 0x00, 0x00, 0x02, 0x80, OP_TRAP};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "1000001");
	map_data_page(&m);
	assert_stop(machine_run(&m), CORRAL_TRAP, 6);
	assert_bytes(&m, 0x20000, (const uint8_t[]){0x80, 0xAA}, 2);
	machine_free(&m);
}

Test(decode, a_first_immediate_length_of_5_to_7_means_4)
{
	uint8_t code[] = {OP_STORE_IMM_U8, 0x07, 0x00, 0x00, 0x02, 0x00, 0x42, OP_TRAP};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "10000001");
	map_data_page(&m);
	assert_stop(machine_run(&m), CORRAL_TRAP, 7);
	assert_bytes(&m, 0x20000, (const uint8_t[]){0x42, 0xAA}, 2);
	machine_free(&m);
}

Test(decode, a_second_immediate_with_no_bytes_left_is_zero)
{
	/* store_imm_u64 0x20000, nothing: l_Y = max(0, 4 - 3 - 1) = 0. */
	uint8_t code[] = {OP_STORE_IMM_U64, 0x03, 0x00, 0x00, 0x02, OP_TRAP};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "100001");
	map_data_page(&m);
	assert_stop(machine_run(&m), CORRAL_TRAP, 5);
	assert_bytes(&m, 0x20000, (const uint8_t[]){0, 0, 0, 0, 0, 0, 0, 0, 0xAA}, 9);
	machine_free(&m);
}

Test(decode, the_register_and_length_share_a_byte_and_the_length_is_taken_mod_8)
{
	/* store_imm_ind_u8 r1: 0x91 / 16 = 9, mod 8 = 1 offset byte (0x10), then
	 * 1 value byte. */
	uint8_t code[] = {OP_STORE_IMM_IND_U8, 0x91, 0x10, 0x55, OP_TRAP};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "10001");
	map_data_page(&m);
	corral_instance_set_reg(m.instance, 1, 0x20000);
	assert_stop(machine_run(&m), CORRAL_TRAP, 4);
	assert_bytes(&m, 0x20010, (const uint8_t[]){0x55}, 1);
	machine_free(&m);
}

/* ---- register fields above 12 -------------------------------------------- */

Test(decode, register_nibbles_13_to_15_mean_r12)
{
	for (uint8_t nibble = 13; nibble <= 15; nibble++) {
		uint8_t code[] = {OP_LOAD_IMM, nibble, 0x05, OP_TRAP};
		struct machine m;
		start(&m, CORRAL_ISA_GP07, code, sizeof code, "1001");
		assert_stop(machine_run(&m), CORRAL_TRAP, 3);
		cr_assert_eq(machine_reg(&m, 12), 5, "nibble %u", nibble);
		assert_untouched_but(&m, 12);
		machine_free(&m);
	}
}

Test(decode, the_high_nibble_of_a_one_register_byte_is_ignored)
{
	uint8_t code[] = {OP_LOAD_IMM, 0xF3, 0x05, OP_TRAP};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "1001");
	assert_stop(machine_run(&m), CORRAL_TRAP, 3);
	cr_assert_eq(machine_reg(&m, 3), 5);
	assert_untouched_but(&m, 3);
	machine_free(&m);
}

Test(decode, load_imm_64_ignores_the_high_nibble_of_its_register_byte)
{
	uint8_t code[] = {OP_LOAD_IMM_64, 0xF7, 1, 0, 0, 0, 0, 0, 0, 0x80, OP_TRAP};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "10000000001");
	assert_stop(machine_run(&m), CORRAL_TRAP, 10);
	cr_assert_eq(machine_reg(&m, 7), 0x8000000000000001ull);
	assert_untouched_but(&m, 7);
	machine_free(&m);
}

Test(decode, load_imm_64_register_15_is_r12)
{
	uint8_t code[] = {OP_LOAD_IMM_64, 0x0F, 1, 2, 3, 4, 5, 6, 7, 8, OP_TRAP};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "10000000001");
	assert_stop(machine_run(&m), CORRAL_TRAP, 10);
	cr_assert_eq(machine_reg(&m, 12), 0x0807060504030201ull);
	assert_untouched_but(&m, 12);
	machine_free(&m);
}

Test(decode, two_register_fields_clamp_both_ways)
{
	/* move_reg: r_D = low nibble, r_A = high nibble. */
	static const struct {
		uint8_t byte;
		unsigned destination, source;
	} cases[] = {{0xF0, 0, 12}, {0x0F, 12, 0}, {0xD1, 1, 12}, {0x1E, 12, 1}};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		uint8_t code[] = {OP_MOVE_REG, cases[i].byte, OP_TRAP};
		struct machine m;
		start(&m, CORRAL_ISA_GP07, code, sizeof code, "101");
		assert_stop(machine_run(&m), CORRAL_TRAP, 2);
		cr_assert_eq(machine_reg(&m, cases[i].destination), sentinel(cases[i].source), "byte 0x%02x",
			     cases[i].byte);
		assert_untouched_but(&m, (int)cases[i].destination);
		machine_free(&m);
	}
}

Test(decode, two_registers_and_an_immediate_clamp_both_registers)
{
	/* add_imm_64 r_A = min(12, 14), r_B = min(12, 13): r12 = r12 + 1. */
	uint8_t code[] = {OP_ADD_IMM_64, 0xDE, 0x01, OP_TRAP};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "1001");
	assert_stop(machine_run(&m), CORRAL_TRAP, 3);
	cr_assert_eq(machine_reg(&m, 12), sentinel(12) + 1);
	assert_untouched_but(&m, 12);
	machine_free(&m);
}

Test(decode, three_registers_clamp_every_field)
{
	/* add_64: r_A = 13 -> 12, r_B = 15 -> 12, r_D = 14 -> 12. */
	uint8_t code[] = {OP_ADD_64, 0xFD, 0x0E, OP_TRAP};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "1001");
	assert_stop(machine_run(&m), CORRAL_TRAP, 3);
	cr_assert_eq(machine_reg(&m, 12), sentinel(12) * 2);
	assert_untouched_but(&m, 12);
	machine_free(&m);
}

Test(decode, the_third_register_is_its_whole_byte_clamped)
{
	/* GP A.5.13: r_D = min(12, zeta[i+2]), the byte and not a nibble of it,
	 * so 0x10 and 0x21 both mean r12 (not r0 and r1). */
	static const uint8_t bytes[] = {0x10, 0x21, 0xFF};
	for (size_t i = 0; i < sizeof bytes; i++) {
		uint8_t code[] = {OP_ADD_64, 0x21, bytes[i], OP_TRAP};
		struct machine m;
		start(&m, CORRAL_ISA_GP07, code, sizeof code, "1001");
		corral_instance_set_reg(m.instance, 1, 5);
		corral_instance_set_reg(m.instance, 2, 7);
		assert_stop(machine_run(&m), CORRAL_TRAP, 3);
		cr_assert_eq(machine_reg(&m, 12), 12, "third register byte 0x%02x", bytes[i]);
		cr_assert_eq(machine_reg(&m, 0), sentinel(0), "byte 0x%02x", bytes[i]);
		cr_assert_eq(machine_reg(&m, 1), 5, "byte 0x%02x", bytes[i]);
		machine_free(&m);
	}
}

Test(decode, a_branch_on_register_15_compares_r12)
{
	/* branch_eq r12, r12 to offset +4: taken, to a trap after the fallthrough. */
	uint8_t code[] = {OP_BRANCH_EQ, 0xFF, 0x04, OP_FALLTHROUGH, OP_TRAP};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "10011");
	assert_stop(machine_run(&m), CORRAL_TRAP, 4);
	/* The branch (1) and the trap (1); the fallthrough never ran. */
	cr_assert_eq(corral_instance_gas(m.instance), GAS - 2);
	machine_free(&m);
}

Test(decode, load_imm_jump_ind_with_both_registers_15_uses_r12_before_writing_it)
{
	/* r_A = r_B = 12; l_X = 0, l_Y = 0: jump to r12 = halt, then r12 = 0. */
	uint8_t code[] = {OP_LOAD_IMM_JUMP_IND, 0xFF, 0x00};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "100");
	corral_instance_set_reg(m.instance, 12, 0xFFFF0000);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 0);
	cr_assert_eq(machine_reg(&m, 12), 0);
	machine_free(&m);
}

/* ---- which bytes are instructions ---------------------------------------- */

static bool in_gp07(unsigned byte)
{
	return byte <= 1 || byte == 3 || byte == 10 || byte == 20 || (byte >= 30 && byte <= 33) || byte == 40 ||
	       (byte >= 50 && byte <= 62) || (byte >= 70 && byte <= 73) || (byte >= 80 && byte <= 90) ||
	       (byte >= 100 && byte <= 111) || (byte >= 120 && byte <= 161) || (byte >= 170 && byte <= 175) ||
	       byte == 180 || (byte >= 190 && byte <= 230);
}

static bool in_gp08(unsigned byte)
{
	return byte <= 2 || byte == 10 || byte == 20 || (byte >= 30 && byte <= 33) || byte == 40 ||
	       (byte >= 50 && byte <= 62) || (byte >= 70 && byte <= 73) || (byte >= 80 && byte <= 90) ||
	       (byte >= 100 && byte <= 110) || (byte >= 120 && byte <= 161) || (byte >= 170 && byte <= 175) ||
	       byte == 180 || (byte >= 190 && byte <= 230);
}

/* An undefined opcode executes as trap (GP A.19): [byte, fallthrough] stops
 * at 0, having paid for that one instruction. */
static void assert_undefined_bytes_trap(corral_isa isa, bool (*defined)(unsigned))
{
	unsigned undefined = 0;
	for (unsigned byte = 2; byte < 256; byte++) {
		if (defined(byte))
			continue;
		undefined++;
		uint8_t code[] = {(uint8_t)byte, OP_FALLTHROUGH};
		struct machine m;
		start(&m, isa, code, sizeof code, "11");
		corral_interrupt stop = machine_run(&m);
		cr_assert_eq(stop.kind, CORRAL_TRAP, "byte %u", byte);
		cr_assert_eq(stop.pc, 0, "byte %u stopped at %u", byte, stop.pc);
		cr_assert_eq(corral_instance_gas(m.instance), GAS - 1, "byte %u", byte);
		assert_untouched_but(&m, -1);
		machine_free(&m);
	}
	cr_assert_gt(undefined, 100);
}

Test(decode, every_byte_gp07_does_not_define_traps, .timeout = 60)
{
	assert_undefined_bytes_trap(CORRAL_ISA_GP07, in_gp07);
}

Test(decode, every_byte_gp08_does_not_define_traps, .timeout = 60)
{
	assert_undefined_bytes_trap(CORRAL_ISA_GP08, in_gp08);
}

Test(decode, an_unmarked_first_byte_traps_at_0)
{
	uint8_t code[] = {OP_LOAD_IMM, 0x01, 0x05, OP_TRAP};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "0001");
	assert_stop(machine_run(&m), CORRAL_TRAP, 0);
	assert_untouched_but(&m, -1);
	machine_free(&m);
}

Test(decode, an_empty_program_traps_at_0_and_pays_for_it)
{
	struct machine m;
	machine_from_code(&m, CORRAL_ISA_GP07, NULL, 0, "", GAS);
	assert_stop(machine_run(&m), CORRAL_TRAP, 0);
	cr_assert_eq(corral_instance_gas(m.instance), GAS - 1);
	machine_free(&m);
}

/* ---- GP 0.7 and GP 0.8 numbering ------------------------------------------ */

/* [byte, load_imm r1, 5]: a no-op byte lets the load run; a trap does not. */
static void assert_no_op(corral_isa isa, uint8_t byte, bool is_no_op)
{
	uint8_t code[] = {byte, OP_LOAD_IMM, 0x01, 0x05};
	struct machine m;
	start(&m, isa, code, sizeof code, "1100");
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_TRAP);
	if (is_no_op) {
		cr_assert_eq(stop.pc, 4, "byte %u should be unlikely, a no-op", byte);
		cr_assert_eq(machine_reg(&m, 1), 5);
	} else {
		cr_assert_eq(stop.pc, 0, "byte %u should trap", byte);
		cr_assert_eq(machine_reg(&m, 1), sentinel(1));
	}
	machine_free(&m);
}

Test(decode, unlikely_is_3_in_gp07_and_2_traps)
{
	assert_no_op(CORRAL_ISA_GP07, OP_UNLIKELY_GP07, true);
	assert_no_op(CORRAL_ISA_GP07, OP_UNLIKELY_GP08, false);
}

Test(decode, unlikely_is_2_in_gp08_and_3_traps)
{
	assert_no_op(CORRAL_ISA_GP08, OP_UNLIKELY_GP08, true);
	assert_no_op(CORRAL_ISA_GP08, OP_UNLIKELY_GP07, false);
}

/* jump +`offset` over [jump, unlikely, fallthrough]: the fallthrough at 3
 * follows unlikely, which ends no block, so it is no jump target. */
static void jump_after_unlikely(corral_isa isa, uint8_t unlikely, uint8_t offset, uint32_t stop_pc)
{
	uint8_t code[] = {OP_JUMP, offset, unlikely, OP_FALLTHROUGH};
	struct machine m;
	start(&m, isa, code, sizeof code, "1011");
	assert_stop(machine_run(&m), CORRAL_TRAP, stop_pc);
	machine_free(&m);
}

Test(decode, unlikely_does_not_end_a_basic_block)
{
	jump_after_unlikely(CORRAL_ISA_GP07, OP_UNLIKELY_GP07, 3, 0);
	jump_after_unlikely(CORRAL_ISA_GP08, OP_UNLIKELY_GP08, 3, 0);
}

Test(decode, unlikely_itself_can_start_a_basic_block)
{
	/* Its byte follows the jump, a terminator: the jump lands and runs on
	 * to the trap past the end. */
	jump_after_unlikely(CORRAL_ISA_GP07, OP_UNLIKELY_GP07, 2, 4);
	jump_after_unlikely(CORRAL_ISA_GP08, OP_UNLIKELY_GP08, 2, 4);
}

Test(decode, byte_101_is_sbrk_in_gp07)
{
	/* r_D = r0, r_A = r1; a raw blob's heap starts at 0x10000. */
	uint8_t code[] = {OP_SBRK_GP07, 0x10, OP_TRAP};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "101");
	corral_instance_set_reg(m.instance, 1, 0xFF);
	assert_stop(machine_run(&m), CORRAL_TRAP, 2);
	cr_assert_eq(machine_reg(&m, 0), 0x10000);
	cr_assert_eq(corral_instance_page_access(m.instance, 0x10000), CORRAL_PAGE_WRITE);
	machine_free(&m);
}

Test(decode, byte_101_is_count_set_bits_64_in_gp08)
{
	uint8_t code[] = {OP_SBRK_GP07, 0x10, OP_TRAP};
	struct machine m;
	start(&m, CORRAL_ISA_GP08, code, sizeof code, "101");
	corral_instance_set_reg(m.instance, 1, 0xFF);
	assert_stop(machine_run(&m), CORRAL_TRAP, 2);
	cr_assert_eq(machine_reg(&m, 0), 8);
	cr_assert_eq(corral_instance_page_access(m.instance, 0x10000), CORRAL_PAGE_NONE, "nothing was allocated");
	machine_free(&m);
}

/* The ten instructions that moved, in order, computed bit by bit from their
 * definitions in GP A.5.10. */
static uint64_t moved_instruction(unsigned which, uint64_t a)
{
	uint64_t result = 0;
	unsigned bits = which % 2 == 0 ? 64 : 32;
	switch (which) {
	case 0: /* count_set_bits_64 */
	case 1: /* count_set_bits_32 */
		for (unsigned i = 0; i < bits; i++)
			result += (a >> i) & 1;
		return result;
	case 2: /* leading_zero_bits_64 */
	case 3: /* leading_zero_bits_32 */
		while (result < bits && !((a >> (bits - 1 - result)) & 1))
			result++;
		return result;
	case 4: /* trailing_zero_bits_64 */
	case 5: /* trailing_zero_bits_32 */
		while (result < bits && !((a >> result) & 1))
			result++;
		return result;
	case 6: /* sign_extend_8 */
		return (a & 0x80) ? (a & 0xFF) | ~0xFFull : a & 0xFF;
	case 7: /* sign_extend_16 */
		return (a & 0x8000) ? (a & 0xFFFF) | ~0xFFFFull : a & 0xFFFF;
	case 8: /* zero_extend_16 */
		return a & 0xFFFF;
	default: /* reverse_bytes */
		for (unsigned i = 0; i < 8; i++)
			result |= ((a >> (8 * i)) & 0xFF) << (8 * (7 - i));
		return result;
	}
}

static void assert_moved_numbering(corral_isa isa, uint8_t first)
{
	static const uint64_t input = 0x00F0000080008180ull;
	for (unsigned which = 0; which < 10; which++) {
		uint8_t code[] = {(uint8_t)(first + which), 0x10, OP_TRAP};
		struct machine m;
		start(&m, isa, code, sizeof code, "101");
		corral_instance_set_reg(m.instance, 1, input);
		assert_stop(machine_run(&m), CORRAL_TRAP, 2);
		cr_assert_eq(machine_reg(&m, 0), moved_instruction(which, input), "opcode %u gave 0x%llx",
			     first + which, (unsigned long long)machine_reg(&m, 0));
		machine_free(&m);
	}
}

Test(decode, count_set_bits_64_to_reverse_bytes_are_102_to_111_in_gp07)
{
	assert_moved_numbering(CORRAL_ISA_GP07, 102);
}

Test(decode, count_set_bits_64_to_reverse_bytes_are_101_to_110_in_gp08)
{
	assert_moved_numbering(CORRAL_ISA_GP08, 101);
}

Test(decode, byte_111_traps_in_gp08)
{
	uint8_t code[] = {111, 0x10, OP_TRAP};
	struct machine m;
	start(&m, CORRAL_ISA_GP08, code, sizeof code, "101");
	assert_stop(machine_run(&m), CORRAL_TRAP, 0);
	assert_untouched_but(&m, -1);
	machine_free(&m);
}

Test(decode, a_jump_with_no_offset_bytes_jumps_to_itself)
{
	uint8_t code[] = {OP_JUMP};
	struct machine m;
	machine_from_code(&m, CORRAL_ISA_GP07, code, sizeof code, "1", 7);
	assert_stop(machine_run(&m), CORRAL_OUT_OF_GAS, 0);
	cr_assert_eq(corral_instance_gas(m.instance), 0, "seven trips round the one-instruction loop");
	machine_free(&m);
}

Test(decode, offsets_are_signed_and_relative_to_the_instruction)
{
	/* 0: fallthrough; 1: ecalli 9; 3: jump -2 (FE) back to 1, a block start. */
	uint8_t code[] = {OP_FALLTHROUGH, OP_ECALLI, 9, OP_JUMP, 0xFE};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "11010");
	for (int trip = 0; trip < 3; trip++) {
		corral_interrupt stop = machine_run(&m);
		assert_stop(stop, CORRAL_HOST_CALL, 1);
		cr_assert_eq(stop.host_call, 9);
	}
	machine_free(&m);
}

Test(decode, a_four_byte_negative_offset_reaches_back)
{
	/* As above, with -2 written in all four bytes: FE FF FF FF. */
	uint8_t code[] = {OP_FALLTHROUGH, OP_ECALLI, 9, OP_JUMP, 0xFE, 0xFF, 0xFF, 0xFF};
	struct machine m;
	start(&m, CORRAL_ISA_GP07, code, sizeof code, "11010000");
	assert_stop(machine_run(&m), CORRAL_HOST_CALL, 1);
	assert_stop(machine_run(&m), CORRAL_HOST_CALL, 1);
	machine_free(&m);
}

Test(decode, load_imm_jump_ind_takes_its_first_length_from_the_low_bits_of_byte_2)
{
	/* load_imm_jump_ind r0, r1: byte 2 is 0xF9, 9 mod 8 = 1 byte of
	 * immediate X (5); immediate Y gets 4 - 1 - 2 = 1 byte (2). With r1 = 0
	 * that is address 2, entry 0, which is offset 5: ecalli 3. */
	uint8_t code[] = {OP_LOAD_IMM_JUMP_IND, 0x10, 0xF9, 0x05, 0x02, OP_ECALLI, 3};
	static const uint32_t table[] = {5};
	uint8_t blob[RAW_MAX_BLOB];
	size_t length = raw_blob(blob, code, sizeof code, "1000010", table, 1, 1);
	corral_module_config config = raw_config(CORRAL_ISA_GP07);
	struct machine m;
	machine_from_bytes(&m, blob, length, &config, GAS);
	corral_instance_set_reg(m.instance, 1, 0);
	corral_interrupt stop = machine_run(&m);
	assert_stop(stop, CORRAL_HOST_CALL, 5);
	cr_assert_eq(stop.host_call, 3);
	cr_assert_eq(machine_reg(&m, 0), 5);
	machine_free(&m);
}

Test(decode, jump_table_entries_wider_than_4_bytes_with_high_bytes_name_no_target)
{
	/* Entry size 5: entry 0 is 5 (a block start), entry 1 is 5 + 2^32. */
	uint8_t code[] = {OP_JUMP_IND, 0x00, OP_FALLTHROUGH, OP_FALLTHROUGH, OP_FALLTHROUGH, OP_ECALLI, 3};
	uint8_t blob[RAW_MAX_BLOB];
	size_t n = 0;
	blob[n++] = 2; /* two entries */
	blob[n++] = 5; /* of five bytes */
	blob[n++] = sizeof code;
	const uint8_t entries[] = {5, 0, 0, 0, 0, 5, 0, 0, 0, 1};
	memcpy(blob + n, entries, sizeof entries);
	n += sizeof entries;
	memcpy(blob + n, code, sizeof code);
	n += sizeof code;
	blob[n++] = 0x3D; /* 0, 2, 3, 4, 5 */
	corral_module_config config = raw_config(CORRAL_ISA_GP07);
	for (uint64_t address = 2; address <= 4; address += 2) {
		struct machine m;
		machine_from_bytes(&m, blob, n, &config, GAS);
		corral_instance_set_reg(m.instance, 0, address);
		corral_interrupt stop = machine_run(&m);
		if (address == 2) {
			assert_stop(stop, CORRAL_HOST_CALL, 5);
		} else {
			assert_stop(stop, CORRAL_TRAP, 0);
		}
		machine_free(&m);
	}
}
