/* Arithmetic at its corners (GP A.5.10-A.5.13): division and remainder by
 * zero and INT_MIN / -1, shift and rotate amounts at and past the width,
 * 32-bit results sign-extended, the upper halves of products, bit counts of
 * zero, extensions, min/max, conditional moves and comparisons.
 *
 * The expected values are either worked out by hand (the named cases) or
 * computed by the formulas below, each written from the paper's table row,
 * not from corral's code: signed values go through __int128, signed division
 * rounds toward zero by its definition (rtz), smod keeps the dividend's sign,
 * and rotations move one bit at a time. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "tests/raw_program.h"
#include "tests/support.h"

#define ALL_ONES   UINT64_MAX
#define INT64_LOW  0x8000000000000000ull /* -2^63 as a register */
#define INT64_HIGH 0x7FFFFFFFFFFFFFFFull
/* What a destination holds before the instruction: a conditional move that
 * does not move leaves it. */
#define KEEP 0x5EED5EED5EED5EEDull

typedef __int128 wide;
typedef unsigned __int128 uwide;

/* ---- the paper's helper functions ------------------------------------- */

/* X_4 (A.16): the low 32 bits, sign-extended. */
static uint64_t x4(uint64_t value)
{
	uint64_t low = value % (1ull << 32);
	return low + ((low >> 31) & 1) * (ALL_ONES - 0xFFFFFFFFull);
}

/* Z_8 and Z_4 (A.10): a register as a signed number. */
static wide z8(uint64_t value)
{
	return value < (1ull << 63) ? (wide)value : (wide)value - ((wide)1 << 64);
}

static wide z4(uint64_t value)
{
	uint64_t low = value % (1ull << 32);
	return low < (1ull << 31) ? (wide)low : (wide)low - ((wide)1 << 32);
}

/* Z_8^-1 (A.11): back to a register, mod 2^64. */
static uint64_t unz(wide value)
{
	wide modulus = (wide)1 << 64;
	return (uint64_t)(((value % modulus) + modulus) % modulus);
}

/* floor(a / 2^n) for any sign: the arithmetic shifts. */
static wide floor_shift(wide a, unsigned n)
{
	wide divisor = (wide)1 << n;
	wide quotient = a / divisor;
	if (a % divisor != 0 && a < 0)
		quotient--;
	return quotient;
}

static wide magnitude(wide a)
{
	return a < 0 ? -a : a;
}

/* rtz(a / b): the quotient of the magnitudes, negative when the signs differ. */
static wide rtz_divide(wide a, wide b)
{
	wide quotient = magnitude(a) / magnitude(b);
	return (a < 0) != (b < 0) ? -quotient : quotient;
}

/* smod: sgn(a) * (|a| mod |b|), and a when b is 0. */
static wide smod(wide a, wide b)
{
	if (b == 0)
		return a;
	wide rest = magnitude(a) % magnitude(b);
	return a < 0 ? -rest : rest;
}

/* Bit i of `value` lands on bit (i + by) mod width. */
static uint64_t rotate_left(uint64_t value, unsigned width, uint64_t by)
{
	uint64_t result = 0;
	for (unsigned i = 0; i < width; i++)
		if ((value >> i) & 1)
			result |= 1ull << ((i + by % width) % width);
	return result;
}

/* Bit i of the result is bit (i + by) mod width of `value`. */
static uint64_t rotate_right(uint64_t value, unsigned width, uint64_t by)
{
	uint64_t result = 0;
	for (unsigned i = 0; i < width; i++)
		if ((value >> ((i + by % width) % width)) & 1)
			result |= 1ull << i;
	return result;
}

static uint64_t low32(uint64_t value)
{
	return value % (1ull << 32);
}

/* ---- running one instruction --------------------------------------------- */

static void load(struct machine *m, const char *source)
{
	machine_from_asm(m, CORRAL_ISA_GP07, source, INT64_MAX);
}

/* Runs the program from 0 with r0, r1 and r2 set; it must reach its trap. */
static uint64_t again(struct machine *m, uint64_t r0, uint64_t r1, uint64_t r2, const char *what)
{
	corral_instance_set_reg(m->instance, 0, r0);
	corral_instance_set_reg(m->instance, 1, r1);
	corral_instance_set_reg(m->instance, 2, r2);
	corral_instance_set_pc(m->instance, 0);
	corral_interrupt stop = machine_run(m);
	cr_assert_eq(stop.kind, CORRAL_TRAP, "%s: stopped with %s", what, corral_interrupt_name(stop.kind));
	cr_assert_gt(stop.pc, 0, "%s: the instruction itself trapped", what);
	return machine_reg(m, 2);
}

/* `name r2, r0, r1`: three registers, r_D = r2, r_A = r0, r_B = r1. */
static uint64_t three(const char *name, uint64_t a, uint64_t b)
{
	char source[96];
	struct machine m;
	snprintf(source, sizeof source, "%s r2, r0, r1\ntrap\n", name);
	load(&m, source);
	uint64_t result = again(&m, a, b, KEEP, name);
	machine_free(&m);
	return result;
}

/* `name r2, r1, immediate`: r_A = r2 (written), r_B = r1. */
static uint64_t with_immediate(const char *name, uint64_t b, int64_t immediate)
{
	char source[96];
	struct machine m;
	snprintf(source, sizeof source, "%s r2, r1, %lld\ntrap\n", name, (long long)immediate);
	load(&m, source);
	uint64_t result = again(&m, 0, b, KEEP, name);
	machine_free(&m);
	return result;
}

/* `name r2, r1`: r_D = r2, r_A = r1. */
static uint64_t two(const char *name, uint64_t a)
{
	char source[96];
	struct machine m;
	snprintf(source, sizeof source, "%s r2, r1\ntrap\n", name);
	load(&m, source);
	uint64_t result = again(&m, 0, a, KEEP, name);
	machine_free(&m);
	return result;
}

#define assert_value(got, expected)                                                                                    \
	do {                                                                                                           \
		uint64_t got_ = (got), expected_ = (expected);                                                         \
		cr_assert_eq(got_, expected_, "%s gave 0x%016llx, expected 0x%016llx", #got, (unsigned long long)got_, \
			     (unsigned long long)expected_);                                                           \
	} while (0)

/* ---- division and remainder ---------------------------------------------- */

Test(arith, div_u_32_by_zero_is_all_ones)
{
	assert_value(three("div_u_32", 5, 0), ALL_ONES);
	assert_value(three("div_u_32", 5, 0x100000000ull), ALL_ONES); /* only the low half counts */
}

Test(arith, div_u_32_reads_low_halves_and_sign_extends)
{
	assert_value(three("div_u_32", 0xFFFFFFFF80000000ull, 1), 0xFFFFFFFF80000000ull);
	assert_value(three("div_u_32", 0x100000010ull, 0xFFFFFFFF00000003ull), 5);
	assert_value(three("div_u_32", 0xFFFFFFFF, 0x10), 0x0FFFFFFF);
}

Test(arith, div_s_32_by_zero_is_all_ones)
{
	assert_value(three("div_s_32", 0xFFFFFFF9, 0), ALL_ONES);
	assert_value(three("div_s_32", 7, 0xFFFFFFFF00000000ull), ALL_ONES);
}

Test(arith, div_s_32_of_int_min_by_minus_one_is_int_min)
{
	assert_value(three("div_s_32", 0x1234567880000000ull, 0xFFFFFFFF), 0xFFFFFFFF80000000ull);
}

Test(arith, div_s_32_rounds_toward_zero)
{
	assert_value(three("div_s_32", 0xFFFFFFF9, 2), 0xFFFFFFFFFFFFFFFDull); /* -7 / 2 = -3 */
	assert_value(three("div_s_32", 7, 0xFFFFFFFE), 0xFFFFFFFFFFFFFFFDull); /* 7 / -2 = -3 */
	assert_value(three("div_s_32", 0xFFFFFFF9, 0xFFFFFFFE), 3);            /* -7 / -2 = 3 */
}

Test(arith, rem_u_32_by_zero_is_the_dividend_sign_extended)
{
	assert_value(three("rem_u_32", 0x180000001ull, 0), 0xFFFFFFFF80000001ull);
	assert_value(three("rem_u_32", 0xABCD00000005ull, 0x100000000ull), 5);
}

Test(arith, rem_s_32_by_zero_is_the_dividend)
{
	assert_value(three("rem_s_32", 0xFFFFFFF9, 0), 0xFFFFFFFFFFFFFFF9ull);
	assert_value(three("rem_s_32", 0xABCD00000005ull, 0x100000000ull), 5);
}

Test(arith, rem_s_32_of_int_min_by_minus_one_is_zero)
{
	assert_value(three("rem_s_32", 0x80000000, 0xFFFFFFFF), 0);
}

Test(arith, rem_s_32_takes_the_sign_of_the_dividend)
{
	assert_value(three("rem_s_32", 0xFFFFFFF9, 2), ALL_ONES); /* -7 smod 2 = -1 */
	assert_value(three("rem_s_32", 7, 0xFFFFFFFE), 1);        /* 7 smod -2 = 1 */
	assert_value(three("rem_s_32", 0xFFFFFFF9, 0xFFFFFFFE), ALL_ONES);
}

Test(arith, div_64_by_zero_is_all_ones)
{
	assert_value(three("div_u_64", 12345, 0), ALL_ONES);
	assert_value(three("div_s_64", ALL_ONES - 6, 0), ALL_ONES);
	assert_value(three("div_s_64", INT64_LOW, 0), ALL_ONES);
}

Test(arith, div_s_64_of_int_min_by_minus_one_is_int_min)
{
	assert_value(three("div_s_64", INT64_LOW, ALL_ONES), INT64_LOW);
}

Test(arith, div_s_64_rounds_toward_zero)
{
	assert_value(three("div_s_64", ALL_ONES - 6, 2), ALL_ONES - 2); /* -7 / 2 = -3 */
	assert_value(three("div_s_64", ALL_ONES - 6, ALL_ONES - 1), 3); /* -7 / -2 = 3 */
	assert_value(three("div_s_64", 7, ALL_ONES - 1), ALL_ONES - 2); /* 7 / -2 = -3 */
}

Test(arith, div_u_64_is_unsigned)
{
	assert_value(three("div_u_64", ALL_ONES, 2), INT64_HIGH);
	assert_value(three("div_u_64", ALL_ONES, ALL_ONES), 1);
	assert_value(three("div_u_64", 5, ALL_ONES), 0);
}

Test(arith, rem_64_by_zero_is_the_dividend)
{
	assert_value(three("rem_u_64", 0xDEADBEEF12345678ull, 0), 0xDEADBEEF12345678ull);
	assert_value(three("rem_s_64", ALL_ONES - 4, 0), ALL_ONES - 4);
	assert_value(three("rem_s_64", INT64_LOW, 0), INT64_LOW);
}

Test(arith, rem_s_64_of_int_min_by_minus_one_is_zero)
{
	assert_value(three("rem_s_64", INT64_LOW, ALL_ONES), 0);
}

Test(arith, rem_s_64_takes_the_sign_of_the_dividend)
{
	assert_value(three("rem_s_64", ALL_ONES - 6, 2), ALL_ONES); /* -7 smod 2 = -1 */
	assert_value(three("rem_s_64", 7, ALL_ONES - 1), 1);        /* 7 smod -2 = 1 */
	/* 2^63 mod 3 = 2, so -2^63 smod 3 = -2. */
	assert_value(three("rem_s_64", INT64_LOW, 3), ALL_ONES - 1);
}

Test(arith, rem_u_64_is_unsigned)
{
	assert_value(three("rem_u_64", ALL_ONES, 10), 5); /* 18446744073709551615 mod 10 */
	assert_value(three("rem_u_64", 3, ALL_ONES), 3);
}

/* ---- shifts ---------------------------------------------------------------- */

Test(arith, shlo_l_32_takes_the_amount_mod_32)
{
	assert_value(three("shlo_l_32", 1, 32), 1);
	assert_value(three("shlo_l_32", 1, 33), 2);
	assert_value(three("shlo_l_32", 1, 0xFFFFFFFFFFFFFFE1ull), 2);
}

Test(arith, shlo_l_32_sign_extends_bit_31_and_drops_the_upper_half)
{
	assert_value(three("shlo_l_32", 1, 31), 0xFFFFFFFF80000000ull);
	assert_value(three("shlo_l_32", 0x100000001ull, 4), 0x10);
	assert_value(three("shlo_l_32", 0xC0000000, 1), 0xFFFFFFFF80000000ull);
}

Test(arith, shlo_r_32_shifts_the_low_half)
{
	assert_value(three("shlo_r_32", 0xFFFFFFFF80000000ull, 31), 1);
	assert_value(three("shlo_r_32", 0xFFFFFFFF80000000ull, 32), 0xFFFFFFFF80000000ull);
	assert_value(three("shlo_r_32", 0x100000000ull, 0), 0);
}

Test(arith, shar_r_32_fills_with_bit_31)
{
	assert_value(three("shar_r_32", 0x80000000, 31), ALL_ONES);
	assert_value(three("shar_r_32", 0x80000000, 63), ALL_ONES);
	assert_value(three("shar_r_32", 0x80000000, 32), 0xFFFFFFFF80000000ull);
	assert_value(three("shar_r_32", 0x7FFFFFFF7FFFFFFFull, 30), 1);
}

Test(arith, shlo_l_64_takes_the_amount_mod_64)
{
	assert_value(three("shlo_l_64", 1, 64), 1);
	assert_value(three("shlo_l_64", 1, 65), 2);
	assert_value(three("shlo_l_64", 1, 63), INT64_LOW);
	assert_value(three("shlo_l_64", 3, 127), INT64_LOW);
}

Test(arith, shlo_r_64_takes_the_amount_mod_64)
{
	assert_value(three("shlo_r_64", INT64_LOW, 64), INT64_LOW);
	assert_value(three("shlo_r_64", INT64_LOW, 63), 1);
	assert_value(three("shlo_r_64", ALL_ONES, 65), INT64_HIGH);
}

Test(arith, shar_r_64_takes_the_amount_mod_64_and_fills_with_the_sign)
{
	assert_value(three("shar_r_64", INT64_LOW, 63), ALL_ONES);
	assert_value(three("shar_r_64", INT64_LOW, 64), INT64_LOW);
	assert_value(three("shar_r_64", INT64_LOW, 127), ALL_ONES);
	assert_value(three("shar_r_64", 1ull << 62, 62), 1);
}

Test(arith, immediate_shift_amounts_are_taken_mod_the_width)
{
	assert_value(with_immediate("shlo_l_imm_32", 1, 32), 1);
	assert_value(with_immediate("shlo_l_imm_64", 1, 64), 1);
	assert_value(with_immediate("shlo_l_imm_64", 1, 65), 2);
	assert_value(with_immediate("shar_r_imm_64", INT64_LOW, 65), 0xC000000000000000ull);
	assert_value(with_immediate("shlo_r_imm_32", 0xFFFFFFFF, 36), 0x0FFFFFFF);
	assert_value(with_immediate("shlo_r_imm_64", ALL_ONES, -1), 1); /* -1 mod 64 = 63 */
	assert_value(with_immediate("shar_r_imm_32", 0x80000000, -1), ALL_ONES);
}

Test(arith, alt_shifts_shift_the_immediate_by_the_register)
{
	assert_value(with_immediate("shlo_l_imm_alt_32", 33, 1), 2);
	assert_value(with_immediate("shlo_l_imm_alt_32", 31, 1), 0xFFFFFFFF80000000ull);
	assert_value(with_immediate("shlo_l_imm_alt_64", 65, 1), 2);
	assert_value(with_immediate("shlo_r_imm_alt_32", 28, INT32_MIN), 8);
	assert_value(with_immediate("shar_r_imm_alt_32", 28, INT32_MIN), ALL_ONES - 7);
	/* The 64-bit immediate is sign-extended first: -1 is 2^64 - 1. */
	assert_value(with_immediate("shlo_r_imm_alt_64", 4, -1), 0x0FFFFFFFFFFFFFFFull);
	assert_value(with_immediate("shlo_r_imm_alt_64", 64, -1), ALL_ONES);
	assert_value(with_immediate("shar_r_imm_alt_64", 4, -16), ALL_ONES);
}

/* ---- 32- and 64-bit wrapping ---------------------------------------------- */

Test(arith, add_32_wraps_and_sign_extends)
{
	assert_value(three("add_32", 0x7FFFFFFF, 1), 0xFFFFFFFF80000000ull);
	assert_value(three("add_32", 0xFFFFFFFF00000001ull, 0x100000001ull), 2);
	assert_value(three("add_32", 0xFFFFFFFF, 1), 0);
}

Test(arith, sub_32_wraps_and_sign_extends)
{
	assert_value(three("sub_32", 0, 1), ALL_ONES);
	assert_value(three("sub_32", 0x80000000, 1), 0x7FFFFFFF);
	assert_value(three("sub_32", 0x100000005ull, 0x200000003ull), 2);
}

Test(arith, mul_32_keeps_the_low_32_bits_sign_extended)
{
	assert_value(three("mul_32", 0x10000, 0x10000), 0);
	assert_value(three("mul_32", 0xFFFF, 0x10001), ALL_ONES);
	assert_value(three("mul_32", 0x40000000, 2), 0xFFFFFFFF80000000ull);
	assert_value(three("mul_32", 0xFFFFFFFF00000003ull, 0xFFFFFFFF00000005ull), 15);
}

Test(arith, imm_32_arithmetic_wraps_and_sign_extends)
{
	assert_value(with_immediate("add_imm_32", 0, -1), ALL_ONES);
	assert_value(with_immediate("add_imm_32", 0x7FFFFFFF, 1), 0xFFFFFFFF80000000ull);
	assert_value(with_immediate("mul_imm_32", 0x10000, 0x10000), 0);
	assert_value(with_immediate("mul_imm_32", 3, -1), ALL_ONES - 2);
	assert_value(with_immediate("neg_add_imm_32", 1, 0), ALL_ONES);
	assert_value(with_immediate("neg_add_imm_32", 0x80000000, 0), 0xFFFFFFFF80000000ull);
	assert_value(with_immediate("neg_add_imm_32", 0x100000001ull, 5), 4);
}

Test(arith, sixty_four_bit_arithmetic_wraps)
{
	assert_value(three("add_64", ALL_ONES, 1), 0);
	assert_value(three("sub_64", 0, 1), ALL_ONES);
	assert_value(three("mul_64", 1ull << 32, 1ull << 32), 0);
	assert_value(three("mul_64", ALL_ONES, ALL_ONES), 1);
	assert_value(with_immediate("add_imm_64", ALL_ONES, 1), 0);
	assert_value(with_immediate("mul_imm_64", INT64_LOW, -1), INT64_LOW);
	assert_value(with_immediate("neg_add_imm_64", 7, 5), ALL_ONES - 1);
}

/* ---- upper halves of products --------------------------------------------- */

Test(arith, mul_upper_u_u_is_unsigned)
{
	assert_value(three("mul_upper_u_u", ALL_ONES, ALL_ONES), ALL_ONES - 1);
	assert_value(three("mul_upper_u_u", 1ull << 32, 1ull << 32), 1);
	assert_value(three("mul_upper_u_u", INT64_LOW, 2), 1);
}

Test(arith, mul_upper_s_s_is_signed_both_ways)
{
	assert_value(three("mul_upper_s_s", ALL_ONES, ALL_ONES), 0);
	assert_value(three("mul_upper_s_s", INT64_LOW, INT64_LOW), 1ull << 62);
	assert_value(three("mul_upper_s_s", ALL_ONES, 1), ALL_ONES); /* floor(-1 / 2^64) = -1 */
	assert_value(three("mul_upper_s_s", INT64_LOW, ALL_ONES), 0);
}

Test(arith, mul_upper_s_u_is_signed_times_unsigned)
{
	/* -1 * (2^64 - 1) = -2^64 + 1, floor / 2^64 = -1. */
	assert_value(three("mul_upper_s_u", ALL_ONES, ALL_ONES), ALL_ONES);
	assert_value(three("mul_upper_s_u", ALL_ONES, 1), ALL_ONES);
	assert_value(three("mul_upper_s_u", 2, INT64_LOW), 1);
	assert_value(three("mul_upper_s_u", 1, ALL_ONES), 0);
	/* -2^63 * (2^64 - 1) / 2^64 = -2^63 + 1/2, floored to -2^63. */
	assert_value(three("mul_upper_s_u", INT64_LOW, ALL_ONES), INT64_LOW);
}

/* ---- rotations -------------------------------------------------------------- */

Test(arith, rot_l_64_takes_the_amount_mod_64)
{
	assert_value(three("rot_l_64", 0x8000000000000001ull, 4), 0x18);
	assert_value(three("rot_l_64", 0x8000000000000001ull, 64), 0x8000000000000001ull);
	assert_value(three("rot_l_64", 0x8000000000000001ull, 68), 0x18);
}

Test(arith, rot_l_32_rotates_the_low_half_and_sign_extends)
{
	assert_value(three("rot_l_32", 0x80000001, 1), 3);
	assert_value(three("rot_l_32", 0x40000000, 1), 0xFFFFFFFF80000000ull);
	assert_value(three("rot_l_32", 0xFFFFFFFF00000001ull, 33), 2);
}

Test(arith, rot_r_64_takes_the_amount_mod_64)
{
	assert_value(three("rot_r_64", 1, 1), INT64_LOW);
	assert_value(three("rot_r_64", 0x18, 68), 0x8000000000000001ull);
	assert_value(three("rot_r_64", 0x123456789ABCDEF0ull, 0), 0x123456789ABCDEF0ull);
}

Test(arith, rot_r_32_rotates_the_low_half_and_sign_extends)
{
	assert_value(three("rot_r_32", 1, 1), 0xFFFFFFFF80000000ull);
	assert_value(three("rot_r_32", 0xFFFFFFFF00000002ull, 33), 1);
}

Test(arith, immediate_rotations)
{
	assert_value(with_immediate("rot_r_64_imm", 1, 1), INT64_LOW);
	assert_value(with_immediate("rot_r_64_imm", 1, 65), INT64_LOW);
	assert_value(with_immediate("rot_r_64_imm_alt", 4, 0x10), 1);
	assert_value(with_immediate("rot_r_64_imm_alt", 64, 3), 3);
	assert_value(with_immediate("rot_r_32_imm", 0xFFFFFFFF00000001ull, 1), 0xFFFFFFFF80000000ull);
	assert_value(with_immediate("rot_r_32_imm", 2, 33), 1);
	assert_value(with_immediate("rot_r_32_imm_alt", 1, 1), 0xFFFFFFFF80000000ull);
	assert_value(with_immediate("rot_r_32_imm_alt", 4, -16), 0x0FFFFFFF);
}

/* ---- bit counts and extensions ------------------------------------------------ */

Test(arith, bit_counts_of_zero)
{
	assert_value(two("count_set_bits_64", 0), 0);
	assert_value(two("count_set_bits_32", 0), 0);
	assert_value(two("leading_zero_bits_64", 0), 64);
	assert_value(two("leading_zero_bits_32", 0), 32);
	assert_value(two("trailing_zero_bits_64", 0), 64);
	assert_value(two("trailing_zero_bits_32", 0), 32);
}

Test(arith, thirty_two_bit_counts_ignore_the_upper_half)
{
	assert_value(two("count_set_bits_32", 0xFFFFFFFF00000000ull), 0);
	assert_value(two("count_set_bits_32", ALL_ONES), 32);
	assert_value(two("leading_zero_bits_32", 0xFFFFFFFF00000000ull), 32);
	assert_value(two("leading_zero_bits_32", 0xFFFFFFFF00000001ull), 31);
	assert_value(two("trailing_zero_bits_32", 0x100000000ull), 32);
	assert_value(two("trailing_zero_bits_32", 0x80000000), 31);
}

Test(arith, sixty_four_bit_counts_at_the_ends)
{
	assert_value(two("count_set_bits_64", ALL_ONES), 64);
	assert_value(two("leading_zero_bits_64", 1), 63);
	assert_value(two("leading_zero_bits_64", INT64_LOW), 0);
	assert_value(two("trailing_zero_bits_64", INT64_LOW), 63);
	assert_value(two("trailing_zero_bits_64", 1), 0);
}

Test(arith, sign_and_zero_extension)
{
	assert_value(two("sign_extend_8", 0x80), 0xFFFFFFFFFFFFFF80ull);
	assert_value(two("sign_extend_8", 0x1234567F), 0x7F);
	assert_value(two("sign_extend_8", 0xFF00), 0);
	assert_value(two("sign_extend_16", 0x8000), 0xFFFFFFFFFFFF8000ull);
	assert_value(two("sign_extend_16", 0xFFFF7FFF), 0x7FFF);
	assert_value(two("zero_extend_16", 0xFFFFFFFFFFFF8001ull), 0x8001);
}

Test(arith, reverse_bytes_and_move_reg)
{
	assert_value(two("reverse_bytes", 0x0102030405060708ull), 0x0807060504030201ull);
	assert_value(two("reverse_bytes", 0xFF), 0xFF00000000000000ull);
	assert_value(two("move_reg", ALL_ONES), ALL_ONES);
}

/* ---- min, max, comparisons, conditional moves ------------------------------ */

Test(arith, min_and_max_signed_and_unsigned)
{
	assert_value(three("max", ALL_ONES, 1), 1);
	assert_value(three("max_u", ALL_ONES, 1), ALL_ONES);
	assert_value(three("min", ALL_ONES, 1), ALL_ONES);
	assert_value(three("min_u", ALL_ONES, 1), 1);
	assert_value(three("min", INT64_LOW, INT64_HIGH), INT64_LOW);
	assert_value(three("max", INT64_LOW, INT64_HIGH), INT64_HIGH);
	assert_value(three("min_u", INT64_LOW, INT64_HIGH), INT64_HIGH);
	assert_value(three("max_u", INT64_LOW, INT64_HIGH), INT64_LOW);
}

Test(arith, set_lt_signed_and_unsigned)
{
	assert_value(three("set_lt_u", ALL_ONES, 0), 0);
	assert_value(three("set_lt_u", 0, ALL_ONES), 1);
	assert_value(three("set_lt_u", 5, 5), 0);
	assert_value(three("set_lt_s", ALL_ONES, 0), 1);
	assert_value(three("set_lt_s", 0, ALL_ONES), 0);
	assert_value(three("set_lt_s", INT64_LOW, INT64_HIGH), 1);
	assert_value(three("set_lt_s", 5, 5), 0);
}

Test(arith, set_with_immediates_compare_against_the_sign_extended_immediate)
{
	assert_value(with_immediate("set_lt_u_imm", 5, -1), 1);
	assert_value(with_immediate("set_lt_u_imm", ALL_ONES, -1), 0);
	assert_value(with_immediate("set_lt_s_imm", 0, -1), 0);
	assert_value(with_immediate("set_lt_s_imm", ALL_ONES, 0), 1);
	assert_value(with_immediate("set_lt_s_imm", 0xFFFFFFFF, -1), 0);
	assert_value(with_immediate("set_gt_u_imm", ALL_ONES, -1), 0);
	assert_value(with_immediate("set_gt_u_imm", ALL_ONES, 0x7FFFFFFF), 1);
	assert_value(with_immediate("set_gt_s_imm", 0, -1), 1);
	assert_value(with_immediate("set_gt_s_imm", 0xFFFFFFFF, -1), 1);
	assert_value(with_immediate("set_gt_s_imm", ALL_ONES, -1), 0);
}

Test(arith, cmov_iz_moves_only_when_all_64_bits_are_zero)
{
	assert_value(three("cmov_iz", 42, 0), 42);
	assert_value(three("cmov_iz", 42, 1), KEEP);
	assert_value(three("cmov_iz", 42, 0x100000000ull), KEEP);
}

Test(arith, cmov_nz_moves_when_any_bit_is_set)
{
	assert_value(three("cmov_nz", 42, 0), KEEP);
	assert_value(three("cmov_nz", 42, 0x100000000ull), 42);
	assert_value(three("cmov_nz", 42, INT64_LOW), 42);
}

Test(arith, cmov_with_immediates_move_the_sign_extended_immediate)
{
	assert_value(with_immediate("cmov_iz_imm", 0, -5), ALL_ONES - 4);
	assert_value(with_immediate("cmov_iz_imm", 1, -5), KEEP);
	assert_value(with_immediate("cmov_nz_imm", INT64_LOW, 7), 7);
	assert_value(with_immediate("cmov_nz_imm", 0, 7), KEEP);
}

Test(arith, bitwise_with_inversions_and_immediates)
{
	assert_value(three("and_inv", 0xFF00, 0x0F0F), 0xF000);
	assert_value(three("or_inv", 0, ALL_ONES), 0);
	assert_value(three("or_inv", 0, 0), ALL_ONES);
	assert_value(three("xnor", 0x1234, 0x1234), ALL_ONES);
	assert_value(with_immediate("and_imm", ALL_ONES, -128), 0xFFFFFFFFFFFFFF80ull);
	assert_value(with_immediate("or_imm", 0, -1), ALL_ONES);
	assert_value(with_immediate("xor_imm", ALL_ONES, 0x7FFFFFFF), 0xFFFFFFFF80000000ull);
}

/* ---- one register in several roles ------------------------------------------ */

static uint64_t run_text(const char *source, uint64_t r1, uint64_t r2)
{
	struct machine m;
	load(&m, source);
	uint64_t result = again(&m, 0, r1, r2, source);
	machine_free(&m);
	return result;
}

Test(arith, a_register_may_be_every_operand)
{
	assert_value(run_text("add_64 r2, r2, r2\ntrap\n", 0, 21), 42);
	assert_value(run_text("div_u_64 r2, r2, r2\ntrap\n", 0, 0), ALL_ONES);
	assert_value(run_text("rem_s_64 r2, r2, r2\ntrap\n", 0, INT64_LOW), 0);
	assert_value(run_text("sub_64 r2, r1, r2\ntrap\n", 10, 3), 7);
	assert_value(run_text("cmov_iz r2, r1, r2\ntrap\n", 9, 0), 9);
	assert_value(run_text("shlo_l_64 r2, r2, r2\ntrap\n", 0, 65), 130); /* 65 << (65 mod 64) */
}

/* ---- every operation over corner values, against its formula ---------------- */

static const uint64_t corners[] = {
	0,
	1,
	2,
	3,
	7,
	31,
	32,
	33,
	63,
	64,
	65,
	0x7F,
	0x80,
	0xFF,
	0x8000,
	0x7FFFFFFF,
	0x80000000,
	0xFFFFFFFF,
	0x100000000ull,
	0xFFFFFFFF80000000ull,
	0x123456789ABCDEF0ull,
	INT64_HIGH,
	INT64_LOW,
	ALL_ONES - 6,
	ALL_ONES - 1,
	ALL_ONES,
};
#define CORNER_COUNT (sizeof corners / sizeof *corners)

typedef uint64_t binary(uint64_t a, uint64_t b, uint64_t d);

static uint64_t f_add_32(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return x4(a + b);
}

static uint64_t f_sub_32(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return x4(a + (1ull << 32) - low32(b));
}

static uint64_t f_mul_32(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return x4(a * b);
}

static uint64_t f_div_u_32(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return low32(b) == 0 ? ALL_ONES : x4(low32(a) / low32(b));
}

static uint64_t f_div_s_32(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	wide x = z4(a), y = z4(b);
	if (y == 0)
		return ALL_ONES;
	if (x == -((wide)1 << 31) && y == -1)
		return unz(x);
	return unz(rtz_divide(x, y));
}

static uint64_t f_rem_u_32(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return low32(b) == 0 ? x4(a) : x4(low32(a) % low32(b));
}

static uint64_t f_rem_s_32(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	wide x = z4(a), y = z4(b);
	if (x == -((wide)1 << 31) && y == -1)
		return 0;
	return unz(smod(x, y));
}

static uint64_t f_shlo_l_32(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return x4(low32(a) << (b % 32));
}

static uint64_t f_shlo_r_32(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return x4(low32(a) >> (b % 32));
}

static uint64_t f_shar_r_32(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return unz(floor_shift(z4(a), (unsigned)(b % 32)));
}

static uint64_t f_add_64(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return (uint64_t)(((uwide)a + b) % ((uwide)1 << 64));
}

static uint64_t f_sub_64(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return (uint64_t)(((uwide)a + ((uwide)1 << 64) - b) % ((uwide)1 << 64));
}

static uint64_t f_mul_64(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return (uint64_t)(((uwide)a * b) % ((uwide)1 << 64));
}

static uint64_t f_div_u_64(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return b == 0 ? ALL_ONES : a / b;
}

static uint64_t f_div_s_64(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	if (b == 0)
		return ALL_ONES;
	if (z8(a) == -((wide)1 << 63) && z8(b) == -1)
		return a;
	return unz(rtz_divide(z8(a), z8(b)));
}

static uint64_t f_rem_u_64(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return b == 0 ? a : a % b;
}

static uint64_t f_rem_s_64(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	if (z8(a) == -((wide)1 << 63) && z8(b) == -1)
		return 0;
	return unz(smod(z8(a), z8(b)));
}

static uint64_t f_shlo_l_64(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return (uint64_t)(((uwide)a << (b % 64)) % ((uwide)1 << 64));
}

static uint64_t f_shlo_r_64(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return a >> (b % 64);
}

static uint64_t f_shar_r_64(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return unz(floor_shift(z8(a), (unsigned)(b % 64)));
}

static uint64_t f_and(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return a & b;
}

static uint64_t f_xor(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return a ^ b;
}

static uint64_t f_or(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return a | b;
}

static uint64_t f_mul_upper_s_s(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return unz(floor_shift(z8(a) * z8(b), 64));
}

static uint64_t f_mul_upper_u_u(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return (uint64_t)(((uwide)a * b) >> 64);
}

static uint64_t f_mul_upper_s_u(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return unz(floor_shift(z8(a) * (wide)b, 64));
}

static uint64_t f_set_lt_u(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return a < b;
}

static uint64_t f_set_lt_s(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return z8(a) < z8(b);
}

static uint64_t f_cmov_iz(uint64_t a, uint64_t b, uint64_t d)
{
	return b == 0 ? a : d;
}

static uint64_t f_cmov_nz(uint64_t a, uint64_t b, uint64_t d)
{
	return b != 0 ? a : d;
}

static uint64_t f_rot_l_64(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return rotate_left(a, 64, b);
}

static uint64_t f_rot_l_32(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return x4(rotate_left(low32(a), 32, b));
}

static uint64_t f_rot_r_64(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return rotate_right(a, 64, b);
}

static uint64_t f_rot_r_32(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return x4(rotate_right(low32(a), 32, b));
}

static uint64_t f_and_inv(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return a & ~b;
}

static uint64_t f_or_inv(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return a | ~b;
}

static uint64_t f_xnor(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return ~(a ^ b);
}

static uint64_t f_max(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return z8(a) > z8(b) ? a : b;
}

static uint64_t f_max_u(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return a > b ? a : b;
}

static uint64_t f_min(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return z8(a) < z8(b) ? a : b;
}

static uint64_t f_min_u(uint64_t a, uint64_t b, uint64_t d)
{
	(void)d;
	return a < b ? a : b;
}

static const struct {
	const char *name;
	binary *formula;
} three_register_ops[] = {
	{"add_32", f_add_32},
	{"sub_32", f_sub_32},
	{"mul_32", f_mul_32},
	{"div_u_32", f_div_u_32},
	{"div_s_32", f_div_s_32},
	{"rem_u_32", f_rem_u_32},
	{"rem_s_32", f_rem_s_32},
	{"shlo_l_32", f_shlo_l_32},
	{"shlo_r_32", f_shlo_r_32},
	{"shar_r_32", f_shar_r_32},
	{"add_64", f_add_64},
	{"sub_64", f_sub_64},
	{"mul_64", f_mul_64},
	{"div_u_64", f_div_u_64},
	{"div_s_64", f_div_s_64},
	{"rem_u_64", f_rem_u_64},
	{"rem_s_64", f_rem_s_64},
	{"shlo_l_64", f_shlo_l_64},
	{"shlo_r_64", f_shlo_r_64},
	{"shar_r_64", f_shar_r_64},
	{"and", f_and},
	{"xor", f_xor},
	{"or", f_or},
	{"mul_upper_s_s", f_mul_upper_s_s},
	{"mul_upper_u_u", f_mul_upper_u_u},
	{"mul_upper_s_u", f_mul_upper_s_u},
	{"set_lt_u", f_set_lt_u},
	{"set_lt_s", f_set_lt_s},
	{"cmov_iz", f_cmov_iz},
	{"cmov_nz", f_cmov_nz},
	{"rot_l_64", f_rot_l_64},
	{"rot_l_32", f_rot_l_32},
	{"rot_r_64", f_rot_r_64},
	{"rot_r_32", f_rot_r_32},
	{"and_inv", f_and_inv},
	{"or_inv", f_or_inv},
	{"xnor", f_xnor},
	{"max", f_max},
	{"max_u", f_max_u},
	{"min", f_min},
	{"min_u", f_min_u},
};

Test(arith, every_three_register_operation_over_corner_values, .timeout = 60)
{
	for (size_t op = 0; op < sizeof three_register_ops / sizeof *three_register_ops; op++) {
		char source[96];
		struct machine m;
		snprintf(source, sizeof source, "%s r2, r0, r1\ntrap\n", three_register_ops[op].name);
		load(&m, source);
		for (size_t i = 0; i < CORNER_COUNT; i++) {
			for (size_t j = 0; j < CORNER_COUNT; j++) {
				uint64_t a = corners[i], b = corners[j];
				uint64_t got = again(&m, a, b, KEEP, three_register_ops[op].name);
				uint64_t expected = three_register_ops[op].formula(a, b, KEEP);
				cr_assert_eq(got, expected, "%s(0x%llx, 0x%llx) gave 0x%llx, expected 0x%llx",
					     three_register_ops[op].name, (unsigned long long)a, (unsigned long long)b,
					     (unsigned long long)got, (unsigned long long)expected);
			}
		}
		machine_free(&m);
	}
}

/* Two registers and an immediate: the formulas take (register B, the
 * sign-extended immediate, the destination's old value). */
static uint64_t g_neg_add_imm_32(uint64_t b, uint64_t x, uint64_t d)
{
	(void)d;
	return x4(x + (1ull << 32) - b);
}

static uint64_t g_set_gt_u_imm(uint64_t b, uint64_t x, uint64_t d)
{
	(void)d;
	return b > x;
}

static uint64_t g_set_gt_s_imm(uint64_t b, uint64_t x, uint64_t d)
{
	(void)d;
	return z8(b) > z8(x);
}

static uint64_t g_shlo_l_imm_alt_32(uint64_t b, uint64_t x, uint64_t d)
{
	return f_shlo_l_32(x, b, d);
}

static uint64_t g_shlo_r_imm_alt_32(uint64_t b, uint64_t x, uint64_t d)
{
	return f_shlo_r_32(x, b, d);
}

static uint64_t g_shar_r_imm_alt_32(uint64_t b, uint64_t x, uint64_t d)
{
	return f_shar_r_32(x, b, d);
}

static uint64_t g_cmov_iz_imm(uint64_t b, uint64_t x, uint64_t d)
{
	return b == 0 ? x : d;
}

static uint64_t g_cmov_nz_imm(uint64_t b, uint64_t x, uint64_t d)
{
	return b != 0 ? x : d;
}

static uint64_t g_neg_add_imm_64(uint64_t b, uint64_t x, uint64_t d)
{
	return f_sub_64(x, b, d);
}

static uint64_t g_shlo_l_imm_alt_64(uint64_t b, uint64_t x, uint64_t d)
{
	return f_shlo_l_64(x, b, d);
}

static uint64_t g_shlo_r_imm_alt_64(uint64_t b, uint64_t x, uint64_t d)
{
	return f_shlo_r_64(x, b, d);
}

static uint64_t g_shar_r_imm_alt_64(uint64_t b, uint64_t x, uint64_t d)
{
	return f_shar_r_64(x, b, d);
}

static uint64_t g_rot_r_64_imm_alt(uint64_t b, uint64_t x, uint64_t d)
{
	return f_rot_r_64(x, b, d);
}

static uint64_t g_rot_r_32_imm_alt(uint64_t b, uint64_t x, uint64_t d)
{
	return f_rot_r_32(x, b, d);
}

static const struct {
	const char *name;
	binary *formula;
} immediate_ops[] = {
	{"add_imm_32", f_add_32},
	{"and_imm", f_and},
	{"xor_imm", f_xor},
	{"or_imm", f_or},
	{"mul_imm_32", f_mul_32},
	{"set_lt_u_imm", f_set_lt_u},
	{"set_lt_s_imm", f_set_lt_s},
	{"shlo_l_imm_32", f_shlo_l_32},
	{"shlo_r_imm_32", f_shlo_r_32},
	{"shar_r_imm_32", f_shar_r_32},
	{"neg_add_imm_32", g_neg_add_imm_32},
	{"set_gt_u_imm", g_set_gt_u_imm},
	{"set_gt_s_imm", g_set_gt_s_imm},
	{"shlo_l_imm_alt_32", g_shlo_l_imm_alt_32},
	{"shlo_r_imm_alt_32", g_shlo_r_imm_alt_32},
	{"shar_r_imm_alt_32", g_shar_r_imm_alt_32},
	{"cmov_iz_imm", g_cmov_iz_imm},
	{"cmov_nz_imm", g_cmov_nz_imm},
	{"add_imm_64", f_add_64},
	{"mul_imm_64", f_mul_64},
	{"shlo_l_imm_64", f_shlo_l_64},
	{"shlo_r_imm_64", f_shlo_r_64},
	{"shar_r_imm_64", f_shar_r_64},
	{"neg_add_imm_64", g_neg_add_imm_64},
	{"shlo_l_imm_alt_64", g_shlo_l_imm_alt_64},
	{"shlo_r_imm_alt_64", g_shlo_r_imm_alt_64},
	{"shar_r_imm_alt_64", g_shar_r_imm_alt_64},
	{"rot_r_64_imm", f_rot_r_64},
	{"rot_r_64_imm_alt", g_rot_r_64_imm_alt},
	{"rot_r_32_imm", f_rot_r_32},
	{"rot_r_32_imm_alt", g_rot_r_32_imm_alt},
};

/* Immediates are 32-bit values sign-extended to 64 bits. */
static const int64_t immediates[] = {0, 1, 7, 31, 32, 33, 63, 64, 65, 0x7F, -128, 0x7FFFFFFF, INT32_MIN, -1, -7};

Test(arith, every_immediate_operation_over_corner_values, .timeout = 60)
{
	for (size_t op = 0; op < sizeof immediate_ops / sizeof *immediate_ops; op++) {
		for (size_t k = 0; k < sizeof immediates / sizeof *immediates; k++) {
			char source[96];
			struct machine m;
			snprintf(source, sizeof source, "%s r2, r1, %lld\ntrap\n", immediate_ops[op].name,
				 (long long)immediates[k]);
			load(&m, source);
			uint64_t x = (uint64_t)immediates[k];
			for (size_t i = 0; i < CORNER_COUNT; i++) {
				uint64_t b = corners[i];
				uint64_t got = again(&m, 0, b, KEEP, immediate_ops[op].name);
				uint64_t expected = immediate_ops[op].formula(b, x, KEEP);
				cr_assert_eq(got, expected, "%s r_B=0x%llx imm=%lld gave 0x%llx, expected 0x%llx",
					     immediate_ops[op].name, (unsigned long long)b, (long long)immediates[k],
					     (unsigned long long)got, (unsigned long long)expected);
			}
			machine_free(&m);
		}
	}
}
