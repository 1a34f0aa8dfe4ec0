/* The programs the interpreter is timed on, each with the same computation
 * written in C, so that a run that computed something else fails the bench.
 *
 * Every loop takes its count in r7 and halts through the halt address. A
 * label that a jump goes to must start a basic block, so each one follows an
 * instruction that ends a block (a `fallthrough` where nothing else does). */
#include <string.h>

#include "bench/bench.h"

uint64_t bench_hash(const void *bytes, size_t length)
{
	const uint8_t *byte = bytes;
	uint64_t hash = 0xcbf29ce484222325;
	for (size_t i = 0; i < length; i++)
		hash = (hash ^ byte[i]) * 0x100000001b3;
	return hash;
}

/* ---- alu: register arithmetic only ------------------------------------ */

#define XORSHIFT_SEED 0x9e3779b97f4a7c15

static const char alu_source[] = "	load_imm_64 r8, 0x9e3779b97f4a7c15 ; x, a xorshift64 state\n"
				 "	load_imm r9, 0                     ; the sum of every x\n"
				 "	fallthrough\n"
				 "loop:\n"
				 "	shlo_l_imm_64 r10, r8, 13\n"
				 "	xor r8, r8, r10\n"
				 "	shlo_r_imm_64 r10, r8, 7\n"
				 "	xor r8, r8, r10\n"
				 "	shlo_l_imm_64 r10, r8, 17\n"
				 "	xor r8, r8, r10\n"
				 "	add_64 r9, r9, r8\n"
				 "	add_imm_64 r7, r7, -1\n"
				 "	branch_ne_imm r7, 0, @loop\n"
				 "	load_imm r0, -65536\n"
				 "	jump_ind r0, 0\n";

static void alu_reference(uint64_t count, struct bench_outcome *expected)
{
	uint64_t x = XORSHIFT_SEED, sum = 0;
	for (uint64_t i = 0; i < count; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		sum += x;
	}
	*expected = (struct bench_outcome){.value = sum};
}

/* ---- memory: loads and stores over a few pages ------------------------- */

#define MEMORY_PAGES 4
#define MEMORY_WORDS (MEMORY_PAGES * CORRAL_PAGE_SIZE / 8)

/* 0x20000 is BENCH_DATA_ADDRESS and 0x24000 the end of MEMORY_PAGES pages. */
static const char memory_source[] = "	load_imm r11, 1        ; a running sum, folded into every word\n"
				    "	load_imm r10, 0x24000  ; the end of the data\n"
				    "	fallthrough\n"
				    "pass:\n"
				    "	load_imm r8, 0x20000\n"
				    "	fallthrough\n"
				    "pair:\n"
				    "	load_ind_u64 r12, r8, 0\n"
				    "	load_ind_u64 r9, r8, 8\n"
				    "	add_64 r11, r11, r12\n"
				    "	xor r12, r12, r11\n"
				    "	add_64 r9, r9, r12\n"
				    "	store_ind_u64 r12, r8, 0\n"
				    "	store_ind_u64 r9, r8, 8\n"
				    "	add_imm_64 r8, r8, 16\n"
				    "	branch_ne r8, r10, @pair\n"
				    "	add_imm_64 r7, r7, -1\n"
				    "	branch_ne_imm r7, 0, @pass\n"
				    "	load_imm r0, -65536\n"
				    "	jump_ind r0, 0\n";

static void memory_reference(uint64_t count, struct bench_outcome *expected)
{
	static uint64_t words[MEMORY_WORDS];
	uint64_t sum = 1;
	memset(words, 0, sizeof words);
	for (uint64_t pass = 0; pass < count; pass++) {
		for (unsigned i = 0; i < MEMORY_WORDS; i += 2) {
			uint64_t first = words[i], second = words[i + 1];
			sum += first;
			first ^= sum;
			second += first;
			words[i] = first;
			words[i + 1] = second;
		}
	}
	/* Guest memory is little-endian, as the hosts corral runs on are. */
	*expected = (struct bench_outcome){.value = sum, .memory_hash = bench_hash(words, sizeof words)};
}

/* ---- collatz: data-dependent branches ---------------------------------- */

static const char collatz_source[] = "	load_imm r8, 1   ; i, the start value\n"
				     "	load_imm r9, 0   ; steps, over every start value\n"
				     "	fallthrough\n"
				     "next:\n"
				     "	move_reg r10, r8 ; x = i\n"
				     "	branch_eq_imm r10, 1, @done\n"
				     "walk:\n"
				     "	and_imm r11, r10, 1\n"
				     "	add_imm_64 r9, r9, 1\n"
				     "	branch_eq_imm r11, 0, @even\n"
				     "	add_64 r11, r10, r10 ; odd: x = 3x + 1, never 1\n"
				     "	add_64 r10, r10, r11\n"
				     "	add_imm_64 r10, r10, 1\n"
				     "	jump @walk\n"
				     "even:\n"
				     "	shlo_r_imm_64 r10, r10, 1\n"
				     "	branch_ne_imm r10, 1, @walk\n"
				     "done:\n"
				     "	add_imm_64 r8, r8, 1\n"
				     "	branch_ge_u r7, r8, @next\n"
				     "	load_imm r0, -65536\n"
				     "	jump_ind r0, 0\n";

static void collatz_reference(uint64_t count, struct bench_outcome *expected)
{
	uint64_t steps = 0;
	for (uint64_t i = 1; i <= count; i++) {
		for (uint64_t x = i; x != 1; steps++)
			x = x & 1 ? 3 * x + 1 : x >> 1;
	}
	*expected = (struct bench_outcome){.value = steps};
}

/* ---- calls: through the jump table and back ---------------------------- */

/* Jump-table entry i has the dynamic address 2(i + 1): @back_f is 2,
 * @back_g 4 and @func_g 6. */
static const char calls_source[] = "	.jump_table @back_f, @back_g, @func_g\n"
				   "	load_imm r9, 0   ; an accumulator\n"
				   "	load_imm r12, 6  ; a function pointer to @func_g\n"
				   "	fallthrough\n"
				   "loop:\n"
				   "	load_imm_jump r0, 2, @func_f\n"
				   "back_f:\n"
				   "	load_imm_jump_ind r0, r12, 4, 0\n"
				   "back_g:\n"
				   "	add_imm_64 r7, r7, -1\n"
				   "	branch_ne_imm r7, 0, @loop\n"
				   "	load_imm r0, -65536\n"
				   "	jump_ind r0, 0\n"
				   "func_f:\n"
				   "	add_64 r9, r9, r7\n"
				   "	jump_ind r0, 0\n"
				   "func_g:\n"
				   "	mul_imm_64 r9, r9, 5\n"
				   "	jump_ind r0, 0\n";

static void calls_reference(uint64_t count, struct bench_outcome *expected)
{
	uint64_t accumulator = 0;
	for (uint64_t i = count; i > 0; i--)
		accumulator = (accumulator + i) * 5;
	*expected = (struct bench_outcome){.value = accumulator};
}

const struct bench_loop bench_loops[] = {
	{
		.name = "alu",
		.what = "xorshift64 and a sum: shifts, xors, adds, a counter",
		.source = alu_source,
		.result_register = 9,
		.small_count = 10000,
		.reference = alu_reference,
	},
	{
		.name = "memory",
		.what = "2 loads + 2 stores (u64) per 9 instructions over 4 pages",
		.source = memory_source,
		.result_register = 11,
		.data_pages = MEMORY_PAGES,
		.small_count = 10,
		.reference = memory_reference,
	},
	{
		.name = "collatz",
		.what = "collatz steps of 1..n: a data-dependent branch per step",
		.source = collatz_source,
		.result_register = 9,
		.small_count = 300,
		.reference = collatz_reference,
	},
	{
		.name = "calls",
		.what = "per 8 instructions 2 calls and 2 returns, 3 of them dynamic",
		.source = calls_source,
		.result_register = 9,
		.small_count = 10000,
		.reference = calls_reference,
	},
};

const unsigned bench_loop_count = sizeof bench_loops / sizeof bench_loops[0];
