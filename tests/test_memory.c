/* Guest memory from inside the machine (GP A.4, A.7-A.8): addresses taken
 * mod 2^32 and accesses that wrap past 2^32 - 1, the 64 KiB that always
 * panic, read-only pages (loads work, stores panic), unmapped pages (a page
 * fault naming the page, with the machine as it was before the instruction),
 * accesses straddling two pages, and every load and store width. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "tests/raw_program.h"
#include "tests/support.h"

#define GAS      1000
#define DATA     0x20000u /* an ordinary page */
#define TOP_PAGE 0xFFFFF000u

static void put(struct machine *m, uint32_t address, const void *bytes, size_t length)
{
	corral_error error;
	cr_assert_eq(corral_instance_write(m->instance, address, bytes, length, &error), CORRAL_OK, "%s",
		     error.message);
}

static void fill(struct machine *m, uint32_t address, uint8_t byte, size_t length)
{
	uint8_t bytes[64];
	cr_assert_leq(length, sizeof bytes);
	memset(bytes, byte, length);
	put(m, address, bytes, length);
}

static void assert_memory(struct machine *m, uint32_t address, const uint8_t *expected, size_t length)
{
	uint8_t got[64];
	corral_error error;
	cr_assert_leq(length, sizeof got);
	cr_assert_eq(corral_instance_read(m->instance, address, got, length, &error), CORRAL_OK, "%s", error.message);
	for (size_t i = 0; i < length; i++)
		cr_assert_eq(got[i], expected[i], "byte at 0x%x is 0x%02x, expected 0x%02x", address + (uint32_t)i,
			     got[i], expected[i]);
}

static void assert_filled(struct machine *m, uint32_t address, uint8_t byte, size_t length)
{
	uint8_t expected[64];
	cr_assert_leq(length, sizeof expected);
	memset(expected, byte, length);
	assert_memory(m, address, expected, length);
}

static void assert_fault(corral_interrupt stop, uint32_t pc, uint32_t page)
{
	assert_stop(stop, CORRAL_PAGE_FAULT, pc);
	cr_assert_eq(stop.address, page, "fault at 0x%x, expected page 0x%x", stop.address, page);
}

/* ---- wrapping at 2^32 -------------------------------------------------- */

Test(memory, a_load_crossing_2_32_panics_even_with_the_top_page_mapped)
{
	/* Bytes 2^32 - 2, 2^32 - 1, then 2^32 and 2^32 + 1: their lowest
	 * inaccessible index is 2^32, which is 0 mod 2^32 < 2^16. */
	struct machine m;
	machine_load_untouched(&m, GAS, "load_ind_u32 r1, r0, 0\ntrap\n");
	machine_map(&m, TOP_PAGE, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	corral_instance_set_reg(m.instance, 0, 0xFFFFFFFE);
	assert_stop(machine_run(&m), CORRAL_TRAP, 0);
	cr_assert_eq(machine_reg(&m, 1), UNTOUCHED);
	machine_free(&m);
}

Test(memory, an_immediate_address_crossing_2_32_panics_too)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "load_u64 r1, -4\ntrap\n");
	machine_map(&m, TOP_PAGE, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	assert_stop(machine_run(&m), CORRAL_TRAP, 0);
	cr_assert_eq(machine_reg(&m, 1), UNTOUCHED);
	machine_free(&m);
}

Test(memory, a_load_crossing_2_32_from_an_unmapped_top_page_faults_there)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "load_ind_u32 r1, r0, 0\ntrap\n");
	corral_instance_set_reg(m.instance, 0, 0xFFFFFFFE);
	assert_fault(machine_run(&m), 0, TOP_PAGE);
	cr_assert_eq(machine_reg(&m, 1), UNTOUCHED);
	machine_free(&m);
}

Test(memory, a_store_crossing_2_32_panics_and_writes_nothing)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "store_ind_u64 r1, r0, 0\ntrap\n");
	machine_map(&m, TOP_PAGE, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	fill(&m, 0xFFFFFFF0, 0xAA, 16);
	corral_instance_set_reg(m.instance, 0, 0xFFFFFFFC);
	corral_instance_set_reg(m.instance, 1, 0);
	assert_stop(machine_run(&m), CORRAL_TRAP, 0);
	assert_filled(&m, 0xFFFFFFF0, 0xAA, 16);
	machine_free(&m);
}

Test(memory, the_last_byte_below_2_32_is_an_ordinary_byte)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "store_imm_u8 -1, 0x5A\nload_u8 r1, -1\nload_i8 r2, -1\ntrap\n");
	machine_map(&m, TOP_PAGE, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_TRAP);
	cr_assert_gt(stop.pc, 0);
	cr_assert_eq(machine_reg(&m, 1), 0x5A);
	cr_assert_eq(machine_reg(&m, 2), 0x5A);
	assert_memory(&m, 0xFFFFFFFF, (const uint8_t[]){0x5A}, 1);
	machine_free(&m);
}

Test(memory, register_plus_offset_is_taken_mod_2_32)
{
	static const struct {
		uint64_t base;
		int32_t offset;
	} cases[] = {
		{0x100020000ull, 0},
		{0x30000, -0x10000},
		{UINT64_MAX, 0x20001},
		{0xABCD000000020000ull, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char source[64];
		struct machine m;
		snprintf(source, sizeof source, "load_ind_u32 r1, r0, %d\ntrap\n", cases[i].offset);
		machine_load_untouched(&m, GAS, source);
		machine_map(&m, DATA, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
		put(&m, DATA, (const uint8_t[]){0x44, 0x33, 0x22, 0x11}, 4);
		corral_instance_set_reg(m.instance, 0, cases[i].base);
		corral_interrupt stop = machine_run(&m);
		cr_assert_eq(stop.kind, CORRAL_TRAP, "case %zu: %s", i, corral_interrupt_name(stop.kind));
		cr_assert_neq(stop.pc, 0, "case %zu", i);
		cr_assert_eq(machine_reg(&m, 1), 0x11223344, "case %zu", i);
		machine_free(&m);
	}
}

Test(memory, a_negative_immediate_address_is_near_the_top)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "load_u32 r1, -4096\ntrap\n");
	machine_map(&m, TOP_PAGE, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	put(&m, TOP_PAGE, (const uint8_t[]){1, 2, 3, 4}, 4);
	cr_assert_eq(machine_run(&m).kind, CORRAL_TRAP);
	cr_assert_eq(machine_reg(&m, 1), 0x04030201);
	machine_free(&m);
}

Test(memory, a_base_below_a_negative_offset_wraps_to_the_top)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "store_ind_u32 r1, r0, -32\nload_u32 r2, -16\ntrap\n");
	machine_map(&m, TOP_PAGE, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	corral_instance_set_reg(m.instance, 0, 0x10);
	corral_instance_set_reg(m.instance, 1, 0xCAFEF00D);
	cr_assert_eq(machine_run(&m).kind, CORRAL_TRAP);
	cr_assert_eq(machine_reg(&m, 2), 0xCAFEF00D);
	machine_free(&m);
}

Test(memory, the_last_eight_bytes_hold_a_u64)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "store_imm_u64 -8, -2\nload_u64 r1, -8\nload_i32 r2, -4\ntrap\n");
	machine_map(&m, TOP_PAGE, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	cr_assert_eq(machine_run(&m).kind, CORRAL_TRAP);
	cr_assert_eq(machine_reg(&m, 1), 0xFFFFFFFFFFFFFFFEull);
	cr_assert_eq(machine_reg(&m, 2), UINT64_MAX);
	machine_free(&m);
}

/* ---- the lowest 64 KiB --------------------------------------------------- */

Test(memory, every_access_below_64_kib_panics)
{
	static const char *const sources[] = {
		"load_u8 r1, 0xFFFF\n",      "load_u64 r1, 0\n",           "load_i16 r1, 0x8000\n",
		"store_imm_u8 0, 1\n",       "store_u32 r1, 0xFFFC\n",     "store_imm_u64 0x1000, 7\n",
		"load_ind_u8 r1, r2, 0\n",   "store_ind_u16 r1, r2, 16\n", "store_imm_ind_u32 r2, 0x100, 9\n",
		"load_ind_i32 r1, r2, -4\n",
	};
	for (size_t i = 0; i < sizeof sources / sizeof *sources; i++) {
		char source[96];
		struct machine m;
		snprintf(source, sizeof source, "%strap\n", sources[i]);
		machine_load_untouched(&m, GAS, source);
		machine_map(&m, 0x10000, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
		corral_instance_set_reg(m.instance, 2, 0x8000);
		corral_interrupt stop = machine_run(&m);
		cr_assert_eq(stop.kind, CORRAL_TRAP, "%s: %s", sources[i], corral_interrupt_name(stop.kind));
		cr_assert_eq(stop.pc, 0, "%s", sources[i]);
		cr_assert_eq(machine_reg(&m, 1), UNTOUCHED, "%s", sources[i]);
		machine_free(&m);
	}
}

Test(memory, an_access_straddling_the_64_kib_floor_panics)
{
	/* Byte 0xFFFF is below 2^16: a panic, though 0x10000 is mapped. */
	struct machine m;
	machine_load_untouched(&m, GAS, "load_u16 r1, 0xFFFF\ntrap\n");
	machine_map(&m, 0x10000, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	assert_stop(machine_run(&m), CORRAL_TRAP, 0);
	cr_assert_eq(machine_reg(&m, 1), UNTOUCHED);
	machine_free(&m);
}

Test(memory, a_wrapped_register_address_below_64_kib_panics)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "load_ind_u8 r1, r0, 0\ntrap\n");
	corral_instance_set_reg(m.instance, 0, 0x10000FFFFull);
	assert_stop(machine_run(&m), CORRAL_TRAP, 0);
	machine_free(&m);
}

Test(memory, the_first_byte_at_64_kib_is_a_page_fault_when_unmapped)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "load_u8 r1, 0x10000\ntrap\n");
	assert_fault(machine_run(&m), 0, 0x10000);
	cr_assert_eq(machine_reg(&m, 1), UNTOUCHED);
	machine_free(&m);
}

/* ---- read-only pages ------------------------------------------------------ */

Test(memory, a_read_only_page_can_be_loaded)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "load_u64 r1, 0x20000\ntrap\n");
	machine_map(&m, DATA, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	put(&m, DATA, (const uint8_t[]){1, 2, 3, 4, 5, 6, 7, 8}, 8);
	cr_assert_eq(machine_run(&m).kind, CORRAL_TRAP);
	cr_assert_eq(machine_reg(&m, 1), 0x0807060504030201ull);
	machine_free(&m);
}

Test(memory, every_store_to_a_read_only_page_panics_and_changes_nothing)
{
	static const char *const sources[] = {
		"store_u8 r1, 0x20000\n",        "store_u16 r1, 0x20002\n",
		"store_u32 r1, 0x20004\n",       "store_u64 r1, 0x20008\n",
		"store_imm_u8 0x20000, 1\n",     "store_imm_u64 0x20008, -1\n",
		"store_imm_ind_u32 r2, 4, 3\n",  "store_ind_u64 r1, r2, 8\n",
		"store_ind_u16 r1, r2, 0xFFE\n", "store_imm_ind_u16 r2, 0x10, 0x7FFF\n",
	};
	for (size_t i = 0; i < sizeof sources / sizeof *sources; i++) {
		char source[96];
		struct machine m;
		snprintf(source, sizeof source, "%strap\n", sources[i]);
		machine_load_untouched(&m, GAS, source);
		machine_map(&m, DATA, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
		fill(&m, DATA, 0xAA, 32);
		fill(&m, DATA + 0xFE0, 0xAA, 32);
		corral_instance_set_reg(m.instance, 1, 0);
		corral_instance_set_reg(m.instance, 2, DATA);
		corral_interrupt stop = machine_run(&m);
		cr_assert_eq(stop.kind, CORRAL_TRAP, "%s: %s", sources[i], corral_interrupt_name(stop.kind));
		cr_assert_eq(stop.pc, 0, "%s", sources[i]);
		assert_filled(&m, DATA, 0xAA, 32);
		assert_filled(&m, DATA + 0xFE0, 0xAA, 32);
		machine_free(&m);
	}
}

Test(memory, a_store_from_a_writable_into_a_read_only_page_panics_and_writes_neither)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "store_u32 r1, 0x20FFE\ntrap\n");
	machine_map(&m, DATA, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	machine_map(&m, DATA + CORRAL_PAGE_SIZE, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	fill(&m, 0x20FF0, 0xAA, 32);
	corral_instance_set_reg(m.instance, 1, 0);
	assert_stop(machine_run(&m), CORRAL_TRAP, 0);
	assert_filled(&m, 0x20FF0, 0xAA, 32);
	machine_free(&m);
}

/* ---- unmapped pages -------------------------------------------------------- */

Test(memory, a_load_from_an_unmapped_page_faults_with_the_page_address)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "load_u32 r1, 0x20FF0\ntrap\n");
	assert_fault(machine_run(&m), 0, DATA);
	cr_assert_eq(machine_reg(&m, 1), UNTOUCHED);
	machine_free(&m);
}

Test(memory, a_fault_is_resumed_at_the_faulting_instruction_once_the_page_is_mapped)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "load_imm r2, 7\n"
			       "@3: load_u32 r1, 0x20000\n"
			       "add_imm_64 r3, r1, 1\n"
			       "trap\n");
	corral_interrupt stop = machine_run(&m);
	assert_fault(stop, 3, DATA);
	cr_assert_eq(machine_reg(&m, 2), 7, "the instruction before the fault ran");
	cr_assert_eq(machine_reg(&m, 1), UNTOUCHED);
	cr_assert_eq(machine_reg(&m, 3), UNTOUCHED);
	cr_assert_eq(corral_instance_pc(m.instance), 3);

	machine_map(&m, DATA, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	put(&m, DATA, (const uint8_t[]){0x44, 0x33, 0x22, 0x11}, 4);
	stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_TRAP);
	cr_assert_gt(stop.pc, 3);
	cr_assert_eq(machine_reg(&m, 1), 0x11223344);
	cr_assert_eq(machine_reg(&m, 3), 0x11223345);
	machine_free(&m);
}

Test(memory, a_faulting_load_into_its_own_base_register_leaves_it_for_the_retry)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "load_ind_u32 r0, r0, 4\ntrap\n");
	corral_instance_set_reg(m.instance, 0, DATA);
	assert_fault(machine_run(&m), 0, DATA);
	cr_assert_eq(machine_reg(&m, 0), DATA);
	machine_map(&m, DATA, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	put(&m, DATA + 4, (const uint8_t[]){0xEF, 0xBE, 0xAD, 0xDE}, 4);
	cr_assert_eq(machine_run(&m).kind, CORRAL_TRAP);
	cr_assert_eq(machine_reg(&m, 0), 0xDEADBEEF);
	machine_free(&m);
}

Test(memory, a_store_to_an_unmapped_page_faults_and_happens_on_the_retry)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "store_imm_u16 0x20010, 0x1234\ntrap\n");
	assert_fault(machine_run(&m), 0, DATA);
	machine_map(&m, DATA, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	cr_assert_eq(machine_run(&m).kind, CORRAL_TRAP);
	assert_memory(&m, DATA + 0x10, (const uint8_t[]){0x34, 0x12, 0x00}, 3);
	machine_free(&m);
}

Test(memory, unmapping_a_page_makes_it_fault_again)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "load_u8 r1, 0x20000\ntrap\n");
	machine_map(&m, DATA, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	machine_map(&m, DATA, CORRAL_PAGE_SIZE, CORRAL_PAGE_NONE);
	assert_fault(machine_run(&m), 0, DATA);
	machine_free(&m);
}

/* ---- straddling two pages -------------------------------------------------- */

Test(memory, a_load_across_two_mapped_pages_reads_both)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "load_u64 r1, 0x20FFC\ntrap\n");
	machine_map(&m, DATA, 2 * CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	put(&m, 0x20FFC, (const uint8_t[]){1, 2, 3, 4, 5, 6, 7, 8}, 8);
	cr_assert_eq(machine_run(&m).kind, CORRAL_TRAP);
	cr_assert_eq(machine_reg(&m, 1), 0x0807060504030201ull);
	machine_free(&m);
}

Test(memory, a_load_into_an_unmapped_second_page_faults_on_the_second_page)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "load_u64 r1, 0x20FFC\ntrap\n");
	machine_map(&m, DATA, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	assert_fault(machine_run(&m), 0, DATA + CORRAL_PAGE_SIZE);
	cr_assert_eq(machine_reg(&m, 1), UNTOUCHED);
	machine_free(&m);
}

Test(memory, a_load_from_an_unmapped_first_page_faults_on_the_first_page)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "load_u32 r1, 0x20FFE\ntrap\n");
	machine_map(&m, DATA + CORRAL_PAGE_SIZE, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	assert_fault(machine_run(&m), 0, DATA);
	machine_free(&m);
}

Test(memory, a_store_into_an_unmapped_second_page_faults_and_writes_nothing)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "store_u64 r1, 0x20FFC\ntrap\n");
	machine_map(&m, DATA, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	fill(&m, 0x20FF0, 0xAA, 16);
	corral_instance_set_reg(m.instance, 1, 0);
	assert_fault(machine_run(&m), 0, DATA + CORRAL_PAGE_SIZE);
	assert_filled(&m, 0x20FF0, 0xAA, 16);
	machine_free(&m);
}

Test(memory, an_access_over_two_unmapped_pages_faults_on_the_first)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "load_u16 r1, 0x20FFF\ntrap\n");
	assert_fault(machine_run(&m), 0, DATA);
	machine_free(&m);
}

Test(memory, a_store_from_an_unmapped_page_into_a_read_only_one_faults_on_the_first)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "store_u32 r1, 0x20FFE\ntrap\n");
	machine_map(&m, DATA + CORRAL_PAGE_SIZE, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	assert_fault(machine_run(&m), 0, DATA);
	machine_free(&m);
}

Test(memory, a_store_from_a_read_only_page_into_an_unmapped_one_panics)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "store_u32 r1, 0x20FFE\ntrap\n");
	machine_map(&m, DATA, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	assert_stop(machine_run(&m), CORRAL_TRAP, 0);
	machine_free(&m);
}

Test(memory, a_load_from_a_read_only_page_into_an_unmapped_one_faults_on_the_second)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "load_u32 r1, 0x20FFE\ntrap\n");
	machine_map(&m, DATA, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	assert_fault(machine_run(&m), 0, DATA + CORRAL_PAGE_SIZE);
	cr_assert_eq(machine_reg(&m, 1), UNTOUCHED);
	machine_free(&m);
}

Test(memory, a_store_across_two_writable_pages_writes_both)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "store_u32 r1, 0x20FFE\ntrap\n");
	machine_map(&m, DATA, 2 * CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	corral_instance_set_reg(m.instance, 1, 0x11223344);
	cr_assert_eq(machine_run(&m).kind, CORRAL_TRAP);
	assert_memory(&m, 0x20FFE, (const uint8_t[]){0x44, 0x33, 0x22, 0x11}, 4);
	machine_free(&m);
}

/* ---- every width -------------------------------------------------------------- */

static const uint8_t high_bytes[8] = {0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88};
static const uint8_t low_bytes[8] = {0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78};

static const struct {
	const char *name;
	uint64_t from_high, from_low; /* what it reads from high_bytes, low_bytes */
} loads[] = {
	{"u8", 0x81, 0x71},
	{"i8", 0xFFFFFFFFFFFFFF81ull, 0x71},
	{"u16", 0x8281, 0x7271},
	{"i16", 0xFFFFFFFFFFFF8281ull, 0x7271},
	{"u32", 0x84838281, 0x74737271},
	{"i32", 0xFFFFFFFF84838281ull, 0x74737271},
	{"u64", 0x8887868584838281ull, 0x7877767574737271ull},
};

/* Loads at an odd address inside the page, both as load_* and load_ind_*. */
static void check_loads(const char *form)
{
	for (size_t i = 0; i < sizeof loads / sizeof *loads; i++) {
		for (int high = 0; high < 2; high++) {
			char source[96];
			struct machine m;
			if (!strcmp(form, "direct"))
				snprintf(source, sizeof source, "load_%s r1, 0x20003\ntrap\n", loads[i].name);
			else
				snprintf(source, sizeof source, "load_ind_%s r1, r2, 3\ntrap\n", loads[i].name);
			machine_load_untouched(&m, GAS, source);
			machine_map(&m, DATA, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
			put(&m, DATA + 3, high ? high_bytes : low_bytes, 8);
			corral_instance_set_reg(m.instance, 2, DATA);
			cr_assert_eq(machine_run(&m).kind, CORRAL_TRAP, "%s", source);
			uint64_t expected = high ? loads[i].from_high : loads[i].from_low;
			cr_assert_eq(machine_reg(&m, 1), expected, "%s read 0x%llx, expected 0x%llx", source,
				     (unsigned long long)machine_reg(&m, 1), (unsigned long long)expected);
			machine_free(&m);
		}
	}
}

Test(memory, every_load_width_zero_or_sign_extends)
{
	check_loads("direct");
}

Test(memory, every_indirect_load_width_zero_or_sign_extends)
{
	check_loads("indirect");
}

static const struct {
	const char *width;
	size_t bytes;
} stores[] = {{"u8", 1}, {"u16", 2}, {"u32", 4}, {"u64", 8}};

/* Runs `source` over 16 bytes of 0xAA at DATA and checks that exactly
 * `bytes` of `value` (little-endian) landed at DATA + 4. */
static void check_store(const char *source, uint64_t r1, uint64_t value, size_t bytes)
{
	struct machine m;
	machine_load_untouched(&m, GAS, source);
	machine_map(&m, DATA, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	fill(&m, DATA, 0xAA, 16);
	corral_instance_set_reg(m.instance, 1, r1);
	corral_instance_set_reg(m.instance, 2, DATA + 0x10);
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_TRAP, "%s: %s", source, corral_interrupt_name(stop.kind));
	cr_assert_neq(stop.pc, 0, "%s", source);
	uint8_t expected[16];
	memset(expected, 0xAA, sizeof expected);
	for (size_t i = 0; i < bytes; i++)
		expected[4 + i] = (uint8_t)(value >> (8 * i));
	assert_memory(&m, DATA, expected, sizeof expected);
	machine_free(&m);
}

Test(memory, every_store_width_writes_exactly_its_bytes_little_endian)
{
	for (size_t i = 0; i < sizeof stores / sizeof *stores; i++) {
		char source[96];
		snprintf(source, sizeof source, "store_%s r1, 0x20004\ntrap\n", stores[i].width);
		check_store(source, 0x1122334455667788ull, 0x1122334455667788ull, stores[i].bytes);
		snprintf(source, sizeof source, "store_ind_%s r1, r2, -12\ntrap\n", stores[i].width);
		check_store(source, 0x8877665544332211ull, 0x8877665544332211ull, stores[i].bytes);
	}
}

Test(memory, every_store_imm_width_writes_the_sign_extended_immediate)
{
	for (size_t i = 0; i < sizeof stores / sizeof *stores; i++) {
		char source[96];
		snprintf(source, sizeof source, "store_imm_%s 0x20004, -2\ntrap\n", stores[i].width);
		check_store(source, 0, 0xFFFFFFFFFFFFFFFEull, stores[i].bytes);
		snprintf(source, sizeof source, "store_imm_%s 0x20004, 0x12345678\ntrap\n", stores[i].width);
		check_store(source, 0, 0x12345678, stores[i].bytes);
		snprintf(source, sizeof source, "store_imm_ind_%s r2, -12, -2147483648\ntrap\n", stores[i].width);
		check_store(source, 0, 0xFFFFFFFF80000000ull, stores[i].bytes);
	}
}
