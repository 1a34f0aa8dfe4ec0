/* Small whole programs (the .s files in tests/asm/) for what the public vectors leave
 * out: sbrk, host calls, conditional moves with immediates, the 64 KiB floor,
 * a loop that runs out of gas, a jump-table switch, and loops over memory.
 * Each test runs one program to its end and checks the final state. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/raw_program.h"
#include "tests/support.h"

#define GAS 100000

static void load_file(struct machine *m, const char *name, int64_t gas)
{
	corral_module_config config = raw_config(CORRAL_ISA_GP07);
	machine_from_file(m, name, &config, gas);
}

static void assert_kind(corral_interrupt stop, corral_interrupt_kind kind)
{
	cr_assert_eq(stop.kind, kind, "stopped with %s at pc %u, expected %s", corral_interrupt_name(stop.kind),
		     stop.pc, corral_interrupt_name(kind));
}

static void assert_reg(struct machine *m, unsigned index, uint64_t expected)
{
	cr_assert_eq(machine_reg(m, index), expected, "r%u is 0x%llx, expected 0x%llx", index,
		     (unsigned long long)machine_reg(m, index), (unsigned long long)expected);
}

static void assert_access(struct machine *m, uint32_t page, corral_page_access access)
{
	cr_assert_eq(corral_instance_page_access(m->instance, page), access, "page 0x%x has access %d, expected %d",
		     page, corral_instance_page_access(m->instance, page), access);
}

static void assert_memory(struct machine *m, uint32_t address, const uint8_t *expected, size_t length)
{
	uint8_t got[16];
	cr_assert_leq(length, sizeof got);
	cr_assert_eq(corral_instance_read(m->instance, address, got, length, NULL), CORRAL_OK);
	cr_assert_arr_eq(got, expected, length, "memory at 0x%x", address);
}

/* ---- sbrk ----------------------------------------------------------------- */

Test(programs, sbrk_queries_grows_within_and_across_pages_and_the_memory_works)
{
	struct machine m;
	load_file(&m, "sbrk.s", GAS);
	assert_kind(machine_run(&m), CORRAL_FINISHED);
	assert_reg(&m, 2, 0x10000);
	assert_reg(&m, 3, 0x10000);
	assert_reg(&m, 4, 0x10064);
	assert_reg(&m, 5, 0x10064);
	assert_reg(&m, 6, 0x12064);
	assert_reg(&m, 7, 0x11223344);
	assert_reg(&m, 8, 0x7788);
	assert_access(&m, 0x10000, CORRAL_PAGE_WRITE);
	assert_access(&m, 0x11000, CORRAL_PAGE_WRITE);
	assert_access(&m, 0x12000, CORRAL_PAGE_WRITE);
	assert_access(&m, 0x13000, CORRAL_PAGE_NONE);
	assert_memory(&m, 0x10000, (const uint8_t[]){0x44, 0x33, 0x22, 0x11, 0}, 5);
	assert_memory(&m, 0x10064, (const uint8_t[]){0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0}, 9);
	assert_memory(&m, 0x11FFF, (const uint8_t[]){0x88, 0x77}, 2);
	assert_memory(&m, 0x12062, (const uint8_t[]){0, 0x5A, 0}, 3);
	machine_free(&m);
}

Test(programs, sbrk_refuses_what_it_cannot_serve_and_maps_only_what_it_gives)
{
	struct machine m;
	load_file(&m, "sbrk_limits.s", GAS);
	corral_interrupt stop = machine_run(&m);
	assert_kind(stop, CORRAL_PAGE_FAULT);
	cr_assert_eq(stop.pc, 38);
	cr_assert_eq(stop.address, 0x11000);
	assert_reg(&m, 2, 0);
	assert_reg(&m, 3, 0);
	assert_reg(&m, 4, 0x10000);
	assert_reg(&m, 5, 0x10000);
	assert_reg(&m, 6, 0x10001);
	assert_reg(&m, 7, 0x10002);
	assert_access(&m, 0x10000, CORRAL_PAGE_WRITE);
	assert_access(&m, 0x11000, CORRAL_PAGE_NONE);
	assert_memory(&m, 0x10FFF, (const uint8_t[]){1}, 1);
	machine_free(&m);
}

Test(programs, sbrk_does_not_exist_in_gp08)
{
	/* The same bytes read with GP 0.8 numbering: 101 is count_set_bits_64,
	 * so sbrk r2, r1 with r1 = 0 counts zero bits, and nothing is mapped. */
	struct machine m;
	corral_module_config config = raw_config(CORRAL_ISA_GP08);
	machine_from_source(&m,
			    "load_imm r1, 0\n"
			    "sbrk r2, r1 = 65 12\n"
			    "trap\n",
			    &config, GAS);
	corral_instance_set_reg(m.instance, 2, 99);
	assert_kind(machine_run(&m), CORRAL_TRAP);
	assert_reg(&m, 2, 0);
	assert_access(&m, 0x10000, CORRAL_PAGE_NONE);
	machine_free(&m);
}

/* ---- conditional moves ------------------------------------------------------ */

Test(programs, cmov_with_immediates)
{
	struct machine m;
	load_file(&m, "cmov_imm.s", GAS);
	corral_instance_set_reg(m.instance, 4, 0x44);
	corral_instance_set_reg(m.instance, 6, 0x66);
	assert_kind(machine_run(&m), CORRAL_FINISHED);
	assert_reg(&m, 3, 9);
	assert_reg(&m, 4, 0x44);
	assert_reg(&m, 5, UINT64_MAX);
	assert_reg(&m, 6, 0x66);
	assert_reg(&m, 7, 0xFFFFFFFF80000000ull);
	assert_reg(&m, 9, 1);
	assert_reg(&m, 10, 0);
	machine_free(&m);
}

/* ---- the 64 KiB floor ------------------------------------------------------- */

Test(programs, a_load_one_byte_below_64_kib_panics)
{
	struct machine m;
	load_file(&m, "low_memory.s", GAS);
	machine_map(&m, 0x10000, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	cr_assert_eq(corral_instance_write(m.instance, 0x10000, (const uint8_t[]){0xAB}, 1, NULL), CORRAL_OK);
	corral_interrupt stop = machine_run(&m);
	assert_kind(stop, CORRAL_TRAP);
	cr_assert_eq(stop.pc, 10);
	assert_reg(&m, 2, 0xAB);
	assert_reg(&m, 3, 0);
	assert_reg(&m, 4, 0);
	machine_free(&m);
}

/* ---- gas ------------------------------------------------------------------------ */

Test(programs, an_endless_loop_ends_when_the_gas_does)
{
	/* 1000 - 2 to enter = 998 = 332 trips of 3, and 2 left over. */
	struct machine m;
	load_file(&m, "gas_loop.s", 1000);
	corral_interrupt stop = machine_run(&m);
	assert_kind(stop, CORRAL_OUT_OF_GAS);
	cr_assert_eq(stop.pc, 3);
	cr_assert_eq(corral_instance_gas(m.instance), 2);
	assert_reg(&m, 1, 332);
	assert_reg(&m, 2, 664);
	corral_instance_set_gas(m.instance, 30);
	assert_kind(machine_run(&m), CORRAL_OUT_OF_GAS);
	cr_assert_eq(corral_instance_gas(m.instance), 0);
	assert_reg(&m, 1, 342);
	machine_free(&m);
}

/* ---- host calls ------------------------------------------------------------------ */

Test(programs, the_guest_sums_numbers_the_host_hands_over)
{
	struct machine m;
	load_file(&m, "host_sum.s", GAS);
	for (uint64_t n = 1; n <= 11; n++) {
		corral_interrupt stop = machine_run(&m);
		assert_kind(stop, CORRAL_HOST_CALL);
		cr_assert_eq(stop.host_call, 1);
		corral_instance_set_reg(m.instance, 7, n <= 10 ? n : 0);
	}
	corral_interrupt stop = machine_run(&m);
	assert_kind(stop, CORRAL_HOST_CALL);
	cr_assert_eq(stop.host_call, 2);
	assert_reg(&m, 8, 55);
	assert_kind(machine_run(&m), CORRAL_FINISHED);
	/* 2 to enter, 4 per number, 2 for the last ask, 3 to report and halt. */
	cr_assert_eq(corral_instance_gas(m.instance), GAS - (2 + 4 * 10 + 2 + 3));
	machine_free(&m);
}

/* ---- a switch ---------------------------------------------------------------------- */

Test(programs, a_jump_table_switch_takes_each_case)
{
	static const uint64_t results[] = {100, 200, 300};
	for (uint64_t index = 0; index < 3; index++) {
		struct machine m;
		load_file(&m, "dispatch.s", GAS);
		corral_instance_set_reg(m.instance, 1, index);
		assert_kind(machine_run(&m), CORRAL_FINISHED);
		assert_reg(&m, 3, results[index]);
		assert_reg(&m, 2, (index + 1) * 2);
		machine_free(&m);
	}
}

Test(programs, a_jump_table_switch_out_of_range_panics_at_the_switch)
{
	/* Case 3 is address 8, past the three entries; case 2^63 - 1 wraps to
	 * address 0. Both panic at the jump_ind, pc 6. */
	static const uint64_t indexes[] = {3, 0x7FFFFFFFFFFFFFFFull};
	for (size_t i = 0; i < 2; i++) {
		struct machine m;
		load_file(&m, "dispatch.s", GAS);
		corral_instance_set_reg(m.instance, 1, indexes[i]);
		corral_interrupt stop = machine_run(&m);
		assert_kind(stop, CORRAL_TRAP);
		cr_assert_eq(stop.pc, 6);
		machine_free(&m);
	}
}

/* ---- loops over memory -------------------------------------------------------------- */

Test(programs, a_byte_copy_across_page_boundaries)
{
	struct machine m;
	load_file(&m, "copy.s", GAS);
	machine_map(&m, 0x20000, 2 * CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	machine_map(&m, 0x30000, 2 * CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	uint8_t source[100];
	for (size_t i = 0; i < sizeof source; i++)
		source[i] = (uint8_t)(i * 7 + 1);
	cr_assert_eq(corral_instance_write(m.instance, 0x20FD0, source, sizeof source, NULL), CORRAL_OK);
	corral_instance_set_reg(m.instance, 1, 0x20FD0);
	corral_instance_set_reg(m.instance, 2, 0x30FE0);
	corral_instance_set_reg(m.instance, 3, sizeof source);
	assert_kind(machine_run(&m), CORRAL_FINISHED);
	uint8_t copied[100];
	cr_assert_eq(corral_instance_read(m.instance, 0x30FE0, copied, sizeof copied, NULL), CORRAL_OK);
	cr_assert_arr_eq(copied, source, sizeof source);
	assert_reg(&m, 3, 0);
	assert_reg(&m, 1, 0x20FD0 + 100);
	/* 1 to enter, 7 per byte, 1 for the last test, 2 to halt. */
	cr_assert_eq(corral_instance_gas(m.instance), GAS - (1 + 7 * 100 + 1 + 2));
	machine_free(&m);
}

Test(programs, a_byte_copy_into_an_unmapped_page_faults_midway_and_resumes)
{
	struct machine m;
	load_file(&m, "copy.s", GAS);
	machine_map(&m, 0x20000, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	machine_map(&m, 0x30000, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	uint8_t source[64];
	for (size_t i = 0; i < sizeof source; i++)
		source[i] = (uint8_t)(0xC0 + i);
	cr_assert_eq(corral_instance_write(m.instance, 0x20F00, source, sizeof source, NULL), CORRAL_OK);
	corral_instance_set_reg(m.instance, 1, 0x20F00);
	corral_instance_set_reg(m.instance, 2, 0x30FE0);
	corral_instance_set_reg(m.instance, 3, sizeof source);
	corral_interrupt stop = machine_run(&m);
	assert_kind(stop, CORRAL_PAGE_FAULT);
	cr_assert_eq(stop.address, 0x31000);
	assert_reg(&m, 3, sizeof source - 0x20); /* 0x20 bytes fit before the page ends */
	assert_reg(&m, 2, 0x31000);
	machine_map(&m, 0x31000, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	assert_kind(machine_run(&m), CORRAL_FINISHED);
	uint8_t copied[64];
	cr_assert_eq(corral_instance_read(m.instance, 0x30FE0, copied, sizeof copied, NULL), CORRAL_OK);
	cr_assert_arr_eq(copied, source, sizeof source);
	machine_free(&m);
}

/* ---- a computation ------------------------------------------------------------------- */

static uint64_t fibonacci(unsigned n)
{
	uint64_t a = 0, b = 1;
	for (unsigned i = 0; i < n; i++) {
		uint64_t next = a + b;
		a = b;
		b = next;
	}
	return a;
}

Test(programs, fibonacci_with_64_bit_wrapping)
{
	static const unsigned ns[] = {0, 1, 2, 10, 50, 93, 94, 200};
	for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
		struct machine m;
		load_file(&m, "fibonacci.s", GAS);
		corral_instance_set_reg(m.instance, 1, ns[i]);
		assert_kind(machine_run(&m), CORRAL_FINISHED);
		assert_reg(&m, 2, fibonacci(ns[i]));
		/* 3 to enter, 6 per step, 1 for the last test, 2 to halt. */
		cr_assert_eq(corral_instance_gas(m.instance), GAS - (6 * (int64_t)ns[i] + 6), "fib(%u)", ns[i]);
		machine_free(&m);
	}
}

Test(programs, memory_handed_out_by_sbrk_is_writable_even_after_the_embedder_unmaps_the_top_page)
{
	/* GP A.5.10, sbrk: the range handed out is writable afterwards. The
	 * embedder unmaps the page holding the heap top between two calls. */
	struct machine m;
	load_file(&m, "sbrk_after_unmap.s", GAS);
	corral_interrupt stop = machine_run(&m);
	assert_kind(stop, CORRAL_HOST_CALL);
	assert_reg(&m, 2, 0x10000);
	machine_map(&m, 0x10000, CORRAL_PAGE_SIZE, CORRAL_PAGE_NONE);
	stop = machine_run(&m);
	assert_reg(&m, 3, 0x10001);
	assert_kind(stop, CORRAL_FINISHED);
	assert_access(&m, 0x10000, CORRAL_PAGE_WRITE);
	assert_access(&m, 0x11000, CORRAL_PAGE_WRITE);
	machine_free(&m);
}
