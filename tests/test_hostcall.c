/* Host calls (GP A.5.2 ecalli, and Psi_H): the interrupt carries the
 * sign-extended immediate and the ecalli's own pc; running again continues
 * after it with whatever registers and memory the embedder left. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/raw_program.h"
#include "tests/support.h"

#define GAS 1000

static void assert_call(corral_interrupt stop, uint32_t pc, uint64_t index)
{
	cr_assert_eq(stop.kind, CORRAL_HOST_CALL, "stopped with %s at %u", corral_interrupt_name(stop.kind), stop.pc);
	cr_assert_eq(stop.pc, pc, "host call at pc %u, expected %u", stop.pc, pc);
	cr_assert_eq(stop.host_call, index, "host call 0x%llx, expected 0x%llx", (unsigned long long)stop.host_call,
		     (unsigned long long)index);
}

static uint64_t first_call_index(const char *source)
{
	struct machine m;
	machine_load_untouched(&m, GAS, source);
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_HOST_CALL, "%s", source);
	machine_free(&m);
	return stop.host_call;
}

/* ---- the index ------------------------------------------------------------ */

Test(hostcall, reports_the_index_and_the_pc_of_the_ecalli)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "load_imm r1, 1\n"
			       "@3: ecalli 17\n"
			       "trap\n");
	assert_call(machine_run(&m), 3, 17);
	cr_assert_eq(corral_instance_pc(m.instance), 5, "the next run starts after the ecalli");
	cr_assert_eq(machine_reg(&m, 1), 1);
	machine_free(&m);
}

Test(hostcall, index_zero_is_a_host_call_like_any_other)
{
	cr_assert_eq(first_call_index("ecalli 0\n"), 0);
}

Test(hostcall, negative_immediates_are_sign_extended_to_64_bits)
{
	cr_assert_eq(first_call_index("ecalli -1\n"), UINT64_MAX);
	cr_assert_eq(first_call_index("ecalli -2\n"), UINT64_MAX - 1);
	cr_assert_eq(first_call_index("ecalli -2147483648\n"), 0xFFFFFFFF80000000ull);
}

Test(hostcall, positive_immediates_stay_positive)
{
	cr_assert_eq(first_call_index("ecalli 128\n"), 128);
	cr_assert_eq(first_call_index("ecalli 255\n"), 255);
	cr_assert_eq(first_call_index("ecalli 0x7FFFFFFF\n"), 0x7FFFFFFF);
}

static uint64_t raw_call_index(const uint8_t *immediate, size_t n)
{
	uint8_t code[8] = {OP_ECALLI};
	char starts[9] = {0};
	if (n)
		memcpy(code + 1, immediate, n);
	memset(starts, '0', n + 1);
	starts[0] = '1';
	struct machine m;
	machine_from_code(&m, CORRAL_ISA_GP07, code, n + 1, starts, GAS);
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_HOST_CALL);
	cr_assert_eq(stop.pc, 0);
	machine_free(&m);
	return stop.host_call;
}

Test(hostcall, the_immediate_of_each_length_sign_extends_from_its_top_bit)
{
	cr_assert_eq(raw_call_index(NULL, 0), 0);
	cr_assert_eq(raw_call_index((const uint8_t[]){0x80}, 1), 0xFFFFFFFFFFFFFF80ull);
	cr_assert_eq(raw_call_index((const uint8_t[]){0x34, 0x92}, 2), 0xFFFFFFFFFFFF9234ull);
	cr_assert_eq(raw_call_index((const uint8_t[]){0x00, 0x00, 0x80}, 3), 0xFFFFFFFFFF800000ull);
	cr_assert_eq(raw_call_index((const uint8_t[]){0x01, 0x00, 0x00, 0x80}, 4), 0xFFFFFFFF80000001ull);
	cr_assert_eq(raw_call_index((const uint8_t[]){0x01, 0x02, 0x03, 0x04, 0x85}, 5), 0x04030201);
}

/* ---- resuming -------------------------------------------------------------- */

Test(hostcall, running_again_continues_at_the_next_instruction)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "ecalli 1\n"
			       "@2: load_imm r2, 5\n"
			       "@5: trap\n");
	assert_call(machine_run(&m), 0, 1);
	cr_assert_eq(machine_reg(&m, 2), UNTOUCHED);
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_TRAP);
	cr_assert_eq(stop.pc, 5);
	cr_assert_eq(machine_reg(&m, 2), 5);
	machine_free(&m);
}

Test(hostcall, a_host_call_changes_no_register_by_itself)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "ecalli 1\n");
	assert_call(machine_run(&m), 0, 1);
	for (unsigned i = 0; i < CORRAL_REGISTER_COUNT; i++)
		cr_assert_eq(machine_reg(&m, i), UNTOUCHED, "r%u", i);
	machine_free(&m);
}

Test(hostcall, several_host_calls_in_a_row_each_stop)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "ecalli 1\n"
			       "ecalli 2\n"
			       "ecalli -3\n"
			       "ecalli 4\n"
			       "load_imm r0, -65536\n"
			       "@13: jump_ind r0, 0\n");
	static const uint64_t indexes[] = {1, 2, UINT64_MAX - 2, 4};
	for (uint32_t i = 0; i < 4; i++)
		assert_call(machine_run(&m), 2 * i, indexes[i]);
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_FINISHED);
	cr_assert_eq(stop.pc, 13);
	/* One block of six instructions, paid for once. */
	cr_assert_eq(corral_instance_gas(m.instance), GAS - 6);
	machine_free(&m);
}

Test(hostcall, an_ecalli_at_the_end_of_the_code_resumes_into_the_trap_past_it)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "fallthrough\n"
			       "ecalli 9\n");
	assert_call(machine_run(&m), 1, 9);
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_TRAP);
	cr_assert_eq(stop.pc, 3);
	machine_free(&m);
}

Test(hostcall, host_calls_in_a_loop)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "load_imm r1, 0\n"
			       "fallthrough\n"
			       "@3: loop: ecalli 3\n"
			       "add_imm_64 r1, r1, 1\n"
			       "branch_lt_u_imm r1, 4, @loop\n"
			       "load_imm r0, -65536\n"
			       "jump_ind r0, 0\n");
	for (uint64_t trip = 0; trip < 4; trip++) {
		assert_call(machine_run(&m), 3, 3);
		cr_assert_eq(machine_reg(&m, 1), trip);
	}
	cr_assert_eq(machine_run(&m).kind, CORRAL_FINISHED);
	cr_assert_eq(machine_reg(&m, 1), 4);
	/* 2 to enter, 3 per trip, 2 to halt. */
	cr_assert_eq(corral_instance_gas(m.instance), GAS - 2 - 4 * 3 - 2);
	machine_free(&m);
}

/* ---- the embedder's turn ---------------------------------------------------- */

Test(hostcall, registers_set_by_the_embedder_are_seen_after_the_call)
{
	/* The guest asks (ecalli 1) for two numbers in r7 and r8, adds them,
	 * and reports the sum in r9 (ecalli 2). */
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "ecalli 1\n"
			       "add_64 r9, r7, r8\n"
			       "ecalli 2\n"
			       "trap\n");
	assert_call(machine_run(&m), 0, 1);
	corral_instance_set_reg(m.instance, 7, 40);
	corral_instance_set_reg(m.instance, 8, 2);
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_HOST_CALL);
	cr_assert_eq(stop.host_call, 2);
	cr_assert_eq(machine_reg(&m, 9), 42);
	machine_free(&m);
}

Test(hostcall, memory_written_by_the_embedder_is_seen_after_the_call)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "store_imm_u32 0x20000, 0x11223344\n"
			       "ecalli 1\n"
			       "load_u64 r1, 0x20000\n"
			       "trap\n");
	machine_map(&m, 0x20000, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	cr_assert_eq(machine_run(&m).kind, CORRAL_HOST_CALL);
	uint8_t seen[4];
	cr_assert_eq(corral_instance_read(m.instance, 0x20000, seen, 4, NULL), CORRAL_OK);
	cr_assert_eq(seen[0], 0x44, "the guest's store happened before the call");
	cr_assert_eq(seen[3], 0x11);
	const uint8_t upper[] = {0xAA, 0xBB, 0xCC, 0xDD};
	cr_assert_eq(corral_instance_write(m.instance, 0x20004, upper, sizeof upper, NULL), CORRAL_OK);
	cr_assert_eq(machine_run(&m).kind, CORRAL_TRAP);
	cr_assert_eq(machine_reg(&m, 1), 0xDDCCBBAA11223344ull);
	machine_free(&m);
}

Test(hostcall, pages_mapped_by_the_embedder_during_a_call_are_usable_after_it)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "ecalli 1\n"
			       "store_imm_u8 0x30000, 7\n"
			       "load_u8 r1, 0x30000\n"
			       "trap\n");
	cr_assert_eq(machine_run(&m).kind, CORRAL_HOST_CALL);
	machine_map(&m, 0x30000, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	cr_assert_eq(machine_run(&m).kind, CORRAL_TRAP);
	cr_assert_eq(machine_reg(&m, 1), 7);
	machine_free(&m);
}

Test(hostcall, pages_unmapped_by_the_embedder_during_a_call_fault_after_it)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "ecalli 1\n"
			       "@2: load_u8 r1, 0x30000\n"
			       "trap\n");
	machine_map(&m, 0x30000, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	cr_assert_eq(machine_run(&m).kind, CORRAL_HOST_CALL);
	machine_map(&m, 0x30000, CORRAL_PAGE_SIZE, CORRAL_PAGE_NONE);
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_PAGE_FAULT);
	cr_assert_eq(stop.pc, 2);
	cr_assert_eq(stop.address, 0x30000);
	machine_free(&m);
}

Test(hostcall, a_host_call_then_a_page_fault_in_the_same_block_pays_once)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "ecalli 1\n"
			       "@2: load_u8 r1, 0x30000\n"
			       "load_imm r0, -65536\n"
			       "jump_ind r0, 0\n");
	assert_call(machine_run(&m), 0, 1);
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_PAGE_FAULT);
	cr_assert_eq(stop.pc, 2);
	machine_map(&m, 0x30000, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	cr_assert_eq(machine_run(&m).kind, CORRAL_FINISHED);
	cr_assert_eq(corral_instance_gas(m.instance), GAS - 4);
	machine_free(&m);
}

Test(hostcall, two_instances_of_one_module_run_their_own_calls)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "ecalli 1\n"
			       "add_imm_64 r1, r1, 1\n"
			       "ecalli 2\n");
	corral_instance *other;
	corral_instance_config config;
	corral_instance_config_init(&config);
	config.gas = GAS;
	cr_assert_eq(corral_instance_new(m.module, &config, &other, NULL), CORRAL_OK);
	corral_instance_set_reg(m.instance, 1, 10);
	corral_instance_set_reg(other, 1, 20);
	assert_call(machine_run(&m), 0, 1);
	assert_call(machine_run(&m), 5, 2);
	assert_call(corral_instance_run(other), 0, 1);
	cr_assert_eq(machine_reg(&m, 1), 11);
	cr_assert_eq(corral_instance_reg(other, 1), 20);
	assert_call(corral_instance_run(other), 5, 2);
	cr_assert_eq(corral_instance_reg(other, 1), 21);
	corral_instance_free(other);
	machine_free(&m);
}
