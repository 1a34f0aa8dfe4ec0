/* Control flow (GP A.3, A.17, A.18): dynamic jumps through the jump table
 * (address 0, odd addresses, addresses past the table, entries that are not
 * block starts all panic at the jump; 2^32 - 2^16 halts), static jumps and
 * branches to anything but a block start (a panic only when taken), the set
 * of block starts varpi itself, and every branch condition. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "tests/raw_program.h"
#include "tests/support.h"

#define GAS  1000
#define HALT 0xFFFF0000u

/* Entry 0 (address 2) and entry 1 (address 4) start blocks and make host
 * calls 1 and 2; entry 2 (address 6) is in the middle of a block; entry 3
 * (address 8) points past the code; entry 4 (address 10) into the middle of
 * an instruction. The jump is at pc 0. */
#define TABLE_PROGRAM(jump)                                 \
	".jump_table @first, @second, @middle, @1000, @3\n" \
	"@0: " jump "\n"                                    \
	"first: ecalli 1\n"                                 \
	"trap\n"                                            \
	"second: ecalli 2\n"                                \
	"middle: ecalli 3\n"                                \
	"trap\n"

static corral_interrupt jump_ind_to(uint64_t r0, const char *jump)
{
	char source[256];
	struct machine m;
	snprintf(source, sizeof source, TABLE_PROGRAM("%s"), jump);
	machine_load_untouched(&m, GAS, source);
	corral_instance_set_reg(m.instance, 0, r0);
	corral_interrupt stop = machine_run(&m);
	machine_free(&m);
	return stop;
}

static void assert_host_call(corral_interrupt stop, uint64_t index)
{
	cr_assert_eq(stop.kind, CORRAL_HOST_CALL, "stopped with %s at %u", corral_interrupt_name(stop.kind), stop.pc);
	cr_assert_eq(stop.host_call, index);
}

/* ---- dynamic jumps ------------------------------------------------------ */

Test(jumps, dynamic_addresses_2_and_4_are_the_first_two_entries)
{
	assert_host_call(jump_ind_to(2, "jump_ind r0, 0"), 1);
	assert_host_call(jump_ind_to(4, "jump_ind r0, 0"), 2);
}

Test(jumps, dynamic_address_0_panics_at_the_jump)
{
	assert_stop(jump_ind_to(0, "jump_ind r0, 0"), CORRAL_TRAP, 0);
}

Test(jumps, odd_dynamic_addresses_panic_at_the_jump)
{
	static const uint64_t odd[] = {1, 3, 5, 7, 0xFFFF0001, 0xFFFFFFFF};
	for (size_t i = 0; i < sizeof odd / sizeof *odd; i++)
		assert_stop(jump_ind_to(odd[i], "jump_ind r0, 0"), CORRAL_TRAP, 0);
}

Test(jumps, dynamic_addresses_past_the_table_panic)
{
	/* Five entries: 10 is the last address, 12 is past it. */
	static const uint64_t past[] = {12, 14, 0x10000, 0xFFFF0002, 0xFFFEFFFE};
	for (size_t i = 0; i < sizeof past / sizeof *past; i++)
		assert_stop(jump_ind_to(past[i], "jump_ind r0, 0"), CORRAL_TRAP, 0);
}

Test(jumps, an_entry_in_the_middle_of_a_block_panics_at_the_jump)
{
	assert_stop(jump_ind_to(6, "jump_ind r0, 0"), CORRAL_TRAP, 0);
}

Test(jumps, an_entry_past_the_code_panics_at_the_jump)
{
	assert_stop(jump_ind_to(8, "jump_ind r0, 0"), CORRAL_TRAP, 0);
}

Test(jumps, an_entry_inside_an_instruction_panics_at_the_jump)
{
	assert_stop(jump_ind_to(10, "jump_ind r0, 0"), CORRAL_TRAP, 0);
}

Test(jumps, the_halt_address_finishes_at_the_jump)
{
	assert_stop(jump_ind_to(HALT, "jump_ind r0, 0"), CORRAL_FINISHED, 0);
}

Test(jumps, dynamic_addresses_are_taken_mod_2_32)
{
	assert_host_call(jump_ind_to(0x100000002ull, "jump_ind r0, 0"), 1);
	assert_stop(jump_ind_to(0xFFFFFFFFFFFF0000ull, "jump_ind r0, 0"), CORRAL_FINISHED, 0);
	assert_stop(jump_ind_to(0xABCD0000FFFF0000ull, "jump_ind r0, 0"), CORRAL_FINISHED, 0);
	assert_stop(jump_ind_to(0x100000000ull, "jump_ind r0, 0"), CORRAL_TRAP, 0);
}

Test(jumps, the_immediate_is_added_before_the_modulus)
{
	assert_host_call(jump_ind_to(0, "jump_ind r0, 4"), 2);
	assert_host_call(jump_ind_to(4, "jump_ind r0, -2"), 1);
	assert_host_call(jump_ind_to(0xFFFFFFFE, "jump_ind r0, 4"), 1);
	assert_stop(jump_ind_to(0x10000, "jump_ind r0, -65536"), CORRAL_TRAP, 0);
	assert_stop(jump_ind_to(0, "jump_ind r0, -65536"), CORRAL_FINISHED, 0);
	assert_host_call(jump_ind_to(UINT64_MAX, "jump_ind r0, 3"), 1); /* wraps past 2^64 too */
}

Test(jumps, the_halt_address_halts_even_with_an_empty_table)
{
	struct machine m;
	machine_load_untouched(&m, GAS, "jump_ind r0, 0\n");
	corral_instance_set_reg(m.instance, 0, HALT);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 0);
	machine_free(&m);
}

Test(jumps, any_other_address_panics_with_an_empty_table)
{
	static const uint64_t addresses[] = {0, 2, 4, 0xFFFE0000};
	for (size_t i = 0; i < sizeof addresses / sizeof *addresses; i++) {
		struct machine m;
		machine_load_untouched(&m, GAS, "jump_ind r0, 0\n");
		corral_instance_set_reg(m.instance, 0, addresses[i]);
		assert_stop(machine_run(&m), CORRAL_TRAP, 0);
		machine_free(&m);
	}
}

Test(jumps, a_table_entry_may_lead_back_to_0)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       ".jump_table @0\n"
			       "@0: ecalli 5\n"
			       "jump_ind r0, 0\n");
	corral_instance_set_reg(m.instance, 0, 2);
	for (int trip = 0; trip < 3; trip++) {
		corral_interrupt stop = machine_run(&m);
		assert_stop(stop, CORRAL_HOST_CALL, 0);
		cr_assert_eq(stop.host_call, 5);
	}
	machine_free(&m);
}

Test(jumps, four_byte_entries_reach_the_same_targets)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       ".jump_entry_size 4\n"
			       ".jump_table @there\n"
			       "jump_ind r0, 0\n"
			       "there: ecalli 9\n");
	corral_instance_set_reg(m.instance, 0, 2);
	assert_host_call(machine_run(&m), 9);
	machine_free(&m);
}

/* ---- load_imm_jump_ind ------------------------------------------------------ */

Test(jumps, load_imm_jump_ind_with_one_register_jumps_by_its_old_value)
{
	char source[256];
	struct machine m;
	snprintf(source, sizeof source, TABLE_PROGRAM("%s"), "load_imm_jump_ind r0, r0, 99, 0");
	machine_load_untouched(&m, GAS, source);
	corral_instance_set_reg(m.instance, 0, 4);
	assert_host_call(machine_run(&m), 2);
	cr_assert_eq(machine_reg(&m, 0), 99);
	machine_free(&m);
}

Test(jumps, load_imm_jump_ind_with_one_register_adds_the_offset_to_its_old_value)
{
	char source[256];
	struct machine m;
	snprintf(source, sizeof source, TABLE_PROGRAM("%s"), "load_imm_jump_ind r3, r3, -1, 2");
	machine_load_untouched(&m, GAS, source);
	corral_instance_set_reg(m.instance, 3, 2);
	assert_host_call(machine_run(&m), 2);
	cr_assert_eq(machine_reg(&m, 3), UINT64_MAX);
	machine_free(&m);
}

Test(jumps, load_imm_jump_ind_writes_its_register_even_when_the_jump_panics)
{
	char source[256];
	struct machine m;
	snprintf(source, sizeof source, TABLE_PROGRAM("%s"), "load_imm_jump_ind r0, r0, 99, 0");
	machine_load_untouched(&m, GAS, source);
	corral_instance_set_reg(m.instance, 0, 0);
	assert_stop(machine_run(&m), CORRAL_TRAP, 0);
	cr_assert_eq(machine_reg(&m, 0), 99);
	machine_free(&m);
}

Test(jumps, load_imm_jump_ind_to_the_halt_address_finishes_with_its_register_written)
{
	char source[256];
	struct machine m;
	snprintf(source, sizeof source, TABLE_PROGRAM("%s"), "load_imm_jump_ind r7, r1, 42, -65536");
	machine_load_untouched(&m, GAS, source);
	corral_instance_set_reg(m.instance, 1, 0);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 0);
	cr_assert_eq(machine_reg(&m, 7), 42);
	cr_assert_eq(machine_reg(&m, 1), 0);
	machine_free(&m);
}

Test(jumps, load_imm_jump_writes_its_register_even_when_the_target_panics)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "load_imm_jump r4, -3, @middle\n"
			       "ecalli 1\n"
			       "middle: ecalli 2\n");
	assert_stop(machine_run(&m), CORRAL_TRAP, 0);
	cr_assert_eq(machine_reg(&m, 4), UINT64_MAX - 2);
	machine_free(&m);
}

/* ---- static targets ----------------------------------------------------------- */

Test(jumps, a_jump_into_the_middle_of_a_block_panics_at_the_jump)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "fallthrough\n"
			       "@1: jump @middle\n"
			       "ecalli 1\n"
			       "middle: ecalli 2\n");
	assert_stop(machine_run(&m), CORRAL_TRAP, 1);
	machine_free(&m);
}

/* The interpreter charges a block as it jumps there; a bad target is no block
 * and nothing to charge, so the jump panics even with no gas left. */
Test(jumps, a_jump_to_a_bad_target_with_no_gas_left_panics_rather_than_running_out)
{
	struct machine m;
	machine_load_untouched(&m, 2, /* the two blocks up to the jump, one each */
			       "fallthrough\n"
			       "@1: jump @middle\n"
			       "ecalli 1\n"
			       "middle: ecalli 2\n");
	assert_stop(machine_run(&m), CORRAL_TRAP, 1);
	cr_assert_eq(corral_instance_gas(m.instance), 0);
	machine_free(&m);
}

Test(jumps, a_jump_to_the_end_of_the_code_panics_at_the_jump)
{
	/* The offset after the last instruction follows a terminator, but no
	 * opcode is there: it is not in varpi. */
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "fallthrough\n"
			       "@1: jump @end\n"
			       "end:\n");
	assert_stop(machine_run(&m), CORRAL_TRAP, 1);
	machine_free(&m);
}

Test(jumps, jumps_outside_the_code_panic_at_the_jump)
{
	static const char *const sources[] = {
		"fallthrough\njump @1000\n",
		"fallthrough\njump @-1\n",
		"fallthrough\njump @-2147483647\n",
		"fallthrough\njump @0x7FFFFFFF\n",
	};
	for (size_t i = 0; i < sizeof sources / sizeof *sources; i++) {
		struct machine m;
		machine_load_untouched(&m, GAS, sources[i]);
		assert_stop(machine_run(&m), CORRAL_TRAP, 1);
		machine_free(&m);
	}
}

Test(jumps, a_jump_into_an_instruction_panics_at_the_jump)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "fallthrough\n"
			       "@1: jump @4\n"
			       "@3: load_imm r1, 1000\n");
	assert_stop(machine_run(&m), CORRAL_TRAP, 1);
	machine_free(&m);
}

Test(jumps, a_branch_to_a_bad_target_runs_on_when_not_taken)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "branch_eq_imm r0, 1, @middle\n"
			       "ecalli 1\n"
			       "middle: ecalli 2\n");
	corral_instance_set_reg(m.instance, 0, 0);
	assert_host_call(machine_run(&m), 1);
	assert_host_call(machine_run(&m), 2);
	machine_free(&m);
}

Test(jumps, a_branch_to_a_bad_target_panics_at_the_branch_when_taken)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "fallthrough\n"
			       "@1: branch_eq_imm r0, 1, @middle\n"
			       "ecalli 1\n"
			       "middle: ecalli 2\n");
	corral_instance_set_reg(m.instance, 0, 1);
	assert_stop(machine_run(&m), CORRAL_TRAP, 1);
	machine_free(&m);
}

Test(jumps, a_two_register_branch_to_a_bad_target_panics_only_when_taken)
{
	for (int taken = 0; taken < 2; taken++) {
		struct machine m;
		machine_load_untouched(&m, GAS,
				       "branch_lt_u r0, r1, @1000\n"
				       "ecalli 7\n");
		corral_instance_set_reg(m.instance, 0, 1);
		corral_instance_set_reg(m.instance, 1, taken ? 2 : 1);
		corral_interrupt stop = machine_run(&m);
		if (taken)
			assert_stop(stop, CORRAL_TRAP, 0);
		else
			assert_host_call(stop, 7);
		machine_free(&m);
	}
}

Test(jumps, blocks_start_after_trap_fallthrough_jumps_and_branches)
{
	/* Each label follows a different terminator; jumping to each works. */
	static const char *const targets[] = {"after_trap", "after_fallthrough", "after_branch", "after_jump"};
	for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
		char source[512];
		struct machine m;
		snprintf(source, sizeof source,
			 "jump @%s\n"
			 "trap\n"
			 "after_trap: ecalli 1\n"
			 "fallthrough\n"
			 "after_fallthrough: ecalli 2\n"
			 "branch_eq_imm r0, 12345, @0\n"
			 "after_branch: ecalli 3\n"
			 "jump @0\n"
			 "after_jump: ecalli 4\n",
			 targets[i]);
		machine_load_untouched(&m, GAS, source);
		assert_host_call(machine_run(&m), i + 1);
		machine_free(&m);
	}
}

Test(jumps, an_undefined_opcode_traps_but_does_not_start_a_block_after_it)
{
	/* 0: jump +3; 2: byte 2 (undefined in GP 0.7); 3: fallthrough. Byte 3
	 * follows no terminator, so the jump panics. */
	uint8_t code[] = {OP_JUMP, 3, 2, OP_FALLTHROUGH};
	struct machine m;
	machine_from_code(&m, CORRAL_ISA_GP07, code, sizeof code, "1011", GAS);
	assert_stop(machine_run(&m), CORRAL_TRAP, 0);
	machine_free(&m);
}

Test(jumps, a_real_trap_does_start_a_block_after_it)
{
	uint8_t code[] = {OP_JUMP, 3, OP_TRAP, OP_FALLTHROUGH};
	struct machine m;
	machine_from_code(&m, CORRAL_ISA_GP07, code, sizeof code, "1011", GAS);
	assert_stop(machine_run(&m), CORRAL_TRAP, 4);
	machine_free(&m);
}

Test(jumps, an_unmarked_trap_byte_starts_no_block)
{
	/* 0: jump +4; 2: ecalli whose argument byte 3 is 0, the trap opcode,
	 * but unmarked; 4: fallthrough follows the ecalli, so it is no target. */
	uint8_t code[] = {OP_JUMP, 4, OP_ECALLI, OP_TRAP, OP_FALLTHROUGH};
	struct machine m;
	machine_from_code(&m, CORRAL_ISA_GP07, code, sizeof code, "10101", GAS);
	assert_stop(machine_run(&m), CORRAL_TRAP, 0);
	machine_free(&m);
}

Test(jumps, offset_0_is_no_block_start_when_its_opcode_is_undefined)
{
	/* 0: byte 2 (undefined); 1: jump -1 to 0. Started at 1 by the embedder. */
	uint8_t code[] = {2, OP_JUMP, 0xFF};
	struct machine m;
	machine_from_code(&m, CORRAL_ISA_GP07, code, sizeof code, "110", GAS);
	corral_instance_set_pc(m.instance, 1);
	assert_stop(machine_run(&m), CORRAL_TRAP, 1);
	machine_free(&m);
}

Test(jumps, the_module_counts_targets_that_would_panic)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       ".jump_table @first, @middle, @1000\n"
			       "jump @middle\n"
			       "first: branch_eq_imm r0, 0, @1000\n"
			       "ecalli 1\n"
			       "middle: ecalli 2\n"
			       "jump @first\n");
	corral_module_info info;
	corral_module_get_info(m.module, &info);
	cr_assert_eq(info.bad_static_targets, 2);
	cr_assert_eq(info.bad_jump_entries, 2);
	cr_assert_eq(info.jump_table_length, 3);
	machine_free(&m);
}

Test(jumps, a_backward_branch_loops_until_its_condition_fails)
{
	struct machine m;
	machine_load_untouched(&m, GAS,
			       "load_imm r1, 0\n"
			       "fallthrough\n"
			       "loop: add_imm_64 r1, r1, 1\n"
			       "branch_lt_u_imm r1, 10, @loop\n"
			       "trap\n");
	cr_assert_eq(machine_run(&m).kind, CORRAL_TRAP);
	cr_assert_eq(machine_reg(&m, 1), 10);
	/* load_imm + fallthrough, ten trips of 2, the trap. */
	cr_assert_eq(corral_instance_gas(m.instance), GAS - 2 - 20 - 1);
	machine_free(&m);
}

/* ---- every branch condition ------------------------------------------------- */

static bool signed_less(uint64_t a, uint64_t b)
{
	return (a ^ (1ull << 63)) < (b ^ (1ull << 63)); /* order by the sign-flipped bits */
}

static bool eq(uint64_t a, uint64_t b)
{
	return a == b;
}

static bool ne(uint64_t a, uint64_t b)
{
	return a != b;
}

static bool lt_u(uint64_t a, uint64_t b)
{
	return a < b;
}

static bool le_u(uint64_t a, uint64_t b)
{
	return a <= b;
}

static bool ge_u(uint64_t a, uint64_t b)
{
	return a >= b;
}

static bool gt_u(uint64_t a, uint64_t b)
{
	return a > b;
}

static bool lt_s(uint64_t a, uint64_t b)
{
	return signed_less(a, b);
}

static bool le_s(uint64_t a, uint64_t b)
{
	return !signed_less(b, a);
}

static bool ge_s(uint64_t a, uint64_t b)
{
	return !signed_less(a, b);
}

static bool gt_s(uint64_t a, uint64_t b)
{
	return signed_less(b, a);
}

static const struct {
	const char *name;
	bool (*holds)(uint64_t a, uint64_t b);
	bool has_register_form; /* branch_<name> besides branch_<name>_imm */
} conditions[] = {
	{"eq", eq, true},     {"ne", ne, true},      {"lt_u", lt_u, true}, {"le_u", le_u, false},
	{"ge_u", ge_u, true}, {"gt_u", gt_u, false}, {"lt_s", lt_s, true}, {"le_s", le_s, false},
	{"ge_s", ge_s, true}, {"gt_s", gt_s, false},
};
#define CONDITION_COUNT (sizeof conditions / sizeof *conditions)

static const uint64_t branch_values[] = {0,
					 1,
					 2,
					 0x7FFFFFFF,
					 0x80000000,
					 0xFFFFFFFF,
					 0x7FFFFFFFFFFFFFFFull,
					 0x8000000000000000ull,
					 UINT64_MAX - 1,
					 UINT64_MAX};
#define BRANCH_VALUE_COUNT (sizeof branch_values / sizeof *branch_values)

/* Host call 1 when the branch falls through, 2 when it is taken. */
static bool taken(struct machine *m, uint64_t a, uint64_t b)
{
	corral_instance_set_reg(m->instance, 0, a);
	corral_instance_set_reg(m->instance, 1, b);
	corral_instance_set_pc(m->instance, 0);
	corral_interrupt stop = machine_run(m);
	cr_assert_eq(stop.kind, CORRAL_HOST_CALL);
	return stop.host_call == 2;
}

#define BRANCH_BODY  \
	"ecalli 1\n" \
	"trap\n"     \
	"taken: ecalli 2\n"

Test(jumps, every_two_register_branch_over_corner_values)
{
	for (size_t c = 0; c < CONDITION_COUNT; c++) {
		if (!conditions[c].has_register_form)
			continue;
		char source[128];
		struct machine m;
		snprintf(source, sizeof source, "branch_%s r0, r1, @taken\n" BRANCH_BODY, conditions[c].name);
		machine_from_asm(&m, CORRAL_ISA_GP07, source, INT64_MAX);
		for (size_t i = 0; i < BRANCH_VALUE_COUNT; i++)
			for (size_t j = 0; j < BRANCH_VALUE_COUNT; j++)
				cr_assert_eq(taken(&m, branch_values[i], branch_values[j]),
					     conditions[c].holds(branch_values[i], branch_values[j]),
					     "branch_%s 0x%llx, 0x%llx", conditions[c].name,
					     (unsigned long long)branch_values[i],
					     (unsigned long long)branch_values[j]);
		machine_free(&m);
	}
}

Test(jumps, every_immediate_branch_compares_with_the_sign_extended_immediate)
{
	static const int64_t immediates[] = {0, 1, -1, 0x7FFFFFFF, INT32_MIN, -2};
	for (size_t c = 0; c < CONDITION_COUNT; c++) {
		for (size_t k = 0; k < sizeof immediates / sizeof *immediates; k++) {
			char source[128];
			struct machine m;
			snprintf(source, sizeof source, "branch_%s_imm r0, %lld, @taken\n" BRANCH_BODY,
				 conditions[c].name, (long long)immediates[k]);
			machine_from_asm(&m, CORRAL_ISA_GP07, source, INT64_MAX);
			for (size_t i = 0; i < BRANCH_VALUE_COUNT; i++)
				cr_assert_eq(taken(&m, branch_values[i], 0),
					     conditions[c].holds(branch_values[i], (uint64_t)immediates[k]),
					     "branch_%s_imm 0x%llx, %lld", conditions[c].name,
					     (unsigned long long)branch_values[i], (long long)immediates[k]);
			machine_free(&m);
		}
	}
}
