/* Gas: a basic block's whole cost is charged as execution enters it. Exact
 * exhaustion, one unit short (out of gas at the block start with gas and
 * registers untouched, then more gas and a second run), resuming after a
 * page fault or host call without paying again, single-step mode, and costs
 * given per block by the embedder. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "tests/raw_program.h"
#include "tests/support.h"

/* One block of three instructions that halts with r7 = 42. */
static const char *const halt_program = "load_imm r0, -65536\n"
					"load_imm r7, 42\n"
					"jump_ind r0, 0\n";

/* Block 0 at pc 0 costs 2; block 1 at pc 4 costs 4 and halts. */
static const char *const two_blocks = "load_imm r1, 1\n"
				      "fallthrough\n"
				      "@4: load_imm r2, 2\n"
				      "load_imm r0, -65536\n"
				      "load_imm r7, 42\n"
				      "jump_ind r0, 0\n";

static void assert_gas(struct machine *m, int64_t gas)
{
	cr_assert_eq(corral_instance_gas(m->instance), gas, "gas is %lld, expected %lld",
		     (long long)corral_instance_gas(m->instance), (long long)gas);
}

/* ---- exhaustion ------------------------------------------------------- */

Test(gas, exactly_the_block_cost_runs_and_leaves_zero)
{
	struct machine m;
	machine_load_untouched(&m, 3, halt_program);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 8);
	assert_gas(&m, 0);
	cr_assert_eq(machine_reg(&m, 7), 42);
	machine_free(&m);
}

Test(gas, one_short_stops_at_the_block_start_with_nothing_changed)
{
	struct machine m;
	machine_load_untouched(&m, 2, halt_program);
	assert_stop(machine_run(&m), CORRAL_OUT_OF_GAS, 0);
	assert_gas(&m, 2);
	cr_assert_eq(machine_reg(&m, 0), UNTOUCHED);
	cr_assert_eq(machine_reg(&m, 7), UNTOUCHED);
	cr_assert_eq(corral_instance_pc(m.instance), 0);
	machine_free(&m);
}

Test(gas, more_gas_after_running_out_continues_at_the_block)
{
	struct machine m;
	machine_load_untouched(&m, 2, halt_program);
	assert_stop(machine_run(&m), CORRAL_OUT_OF_GAS, 0);
	corral_instance_set_gas(m.instance, 3);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 8);
	assert_gas(&m, 0);
	cr_assert_eq(machine_reg(&m, 7), 42);
	machine_free(&m);
}

Test(gas, running_again_without_more_gas_runs_out_again)
{
	struct machine m;
	machine_load_untouched(&m, 2, halt_program);
	for (int i = 0; i < 3; i++) {
		assert_stop(machine_run(&m), CORRAL_OUT_OF_GAS, 0);
		assert_gas(&m, 2);
	}
	machine_free(&m);
}

Test(gas, zero_and_negative_gas_run_out_before_anything)
{
	static const int64_t gases[] = {0, -1, INT64_MIN};
	for (size_t i = 0; i < sizeof gases / sizeof *gases; i++) {
		struct machine m;
		machine_load_untouched(&m, gases[i], halt_program);
		assert_stop(machine_run(&m), CORRAL_OUT_OF_GAS, 0);
		assert_gas(&m, gases[i]);
		machine_free(&m);
	}
}

Test(gas, a_trap_costs_its_gas_too)
{
	struct machine m;
	machine_load_untouched(&m, 1, "trap\n");
	assert_stop(machine_run(&m), CORRAL_TRAP, 0);
	assert_gas(&m, 0);
	machine_free(&m);
	machine_load_untouched(&m, 0, "trap\n");
	assert_stop(machine_run(&m), CORRAL_OUT_OF_GAS, 0);
	machine_free(&m);
}

Test(gas, the_trap_past_the_end_belongs_to_the_last_block)
{
	struct machine m;
	machine_load_untouched(&m, 2, "load_imm r1, 1\n");
	assert_stop(machine_run(&m), CORRAL_TRAP, 3);
	assert_gas(&m, 0);
	cr_assert_eq(machine_reg(&m, 1), 1);
	machine_free(&m);
	machine_load_untouched(&m, 1, "load_imm r1, 1\n");
	assert_stop(machine_run(&m), CORRAL_OUT_OF_GAS, 0);
	cr_assert_eq(machine_reg(&m, 1), UNTOUCHED);
	machine_free(&m);
}

Test(gas, a_later_block_one_short_stops_at_its_start_after_the_first)
{
	struct machine m;
	machine_load_untouched(&m, 5, two_blocks);
	assert_stop(machine_run(&m), CORRAL_OUT_OF_GAS, 4);
	assert_gas(&m, 3);
	cr_assert_eq(machine_reg(&m, 1), 1, "the first block ran");
	cr_assert_eq(machine_reg(&m, 2), UNTOUCHED, "the second did not");
	cr_assert_eq(corral_instance_pc(m.instance), 4);
	corral_instance_set_gas(m.instance, 4);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 15);
	assert_gas(&m, 0);
	cr_assert_eq(machine_reg(&m, 2), 2);
	cr_assert_eq(machine_reg(&m, 7), 42);
	machine_free(&m);
}

Test(gas, a_loop_runs_out_at_its_head_after_whole_trips)
{
	/* Entry block 2, then 2 per trip: 2 + 2 * 7 + 1 gas is seven trips
	 * and one unit left over. */
	struct machine m;
	machine_load_untouched(&m, 17,
			       "load_imm r1, 0\n"
			       "fallthrough\n"
			       "@3: loop: add_imm_64 r1, r1, 1\n"
			       "jump @loop\n");
	assert_stop(machine_run(&m), CORRAL_OUT_OF_GAS, 3);
	assert_gas(&m, 1);
	cr_assert_eq(machine_reg(&m, 1), 7);
	machine_free(&m);
}

Test(gas, the_largest_gas_is_charged_without_overflow)
{
	struct machine m;
	machine_load_untouched(&m, INT64_MAX, halt_program);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 8);
	assert_gas(&m, INT64_MAX - 3);
	machine_free(&m);
}

/* ---- resuming inside a block ------------------------------------------------ */

Test(gas, resuming_after_a_page_fault_does_not_charge_again)
{
	struct machine m;
	machine_load_untouched(&m, 10,
			       "load_imm r1, 1\n"
			       "@3: load_u32 r2, 0x20000\n"
			       "load_imm r0, -65536\n"
			       "jump_ind r0, 0\n");
	corral_interrupt stop = machine_run(&m);
	assert_stop(stop, CORRAL_PAGE_FAULT, 3);
	assert_gas(&m, 6);
	assert_stop(machine_run(&m), CORRAL_PAGE_FAULT, 3);
	assert_gas(&m, 6);
	machine_map(&m, 0x20000, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	cr_assert_eq(machine_run(&m).kind, CORRAL_FINISHED);
	assert_gas(&m, 6);
	machine_free(&m);
}

Test(gas, resuming_after_a_fault_with_no_gas_left_finishes_the_paid_block)
{
	struct machine m;
	machine_load_untouched(&m, 3,
			       "load_u32 r2, 0x20000\n"
			       "load_imm r0, -65536\n"
			       "jump_ind r0, 0\n");
	assert_stop(machine_run(&m), CORRAL_PAGE_FAULT, 0);
	assert_gas(&m, 0);
	machine_map(&m, 0x20000, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	cr_assert_eq(machine_run(&m).kind, CORRAL_FINISHED);
	assert_gas(&m, 0);
	machine_free(&m);
}

Test(gas, resuming_after_host_calls_does_not_charge_again)
{
	struct machine m;
	machine_load_untouched(&m, 10,
			       "ecalli 1\n"
			       "ecalli 2\n"
			       "load_imm r0, -65536\n"
			       "jump_ind r0, 0\n");
	assert_stop(machine_run(&m), CORRAL_HOST_CALL, 0);
	assert_gas(&m, 6);
	assert_stop(machine_run(&m), CORRAL_HOST_CALL, 2);
	assert_gas(&m, 6);
	cr_assert_eq(machine_run(&m).kind, CORRAL_FINISHED);
	assert_gas(&m, 6);
	machine_free(&m);
}

Test(gas, gas_taken_away_in_a_host_call_stops_the_next_block)
{
	/* Block 0 (ecalli, fallthrough) is paid for on entry; block 1 at 3 is
	 * not, and the host leaves one unit of the two it needs. */
	struct machine m;
	machine_load_untouched(&m, 10,
			       "ecalli 1\n"
			       "fallthrough\n"
			       "@3: load_imm r0, -65536\n"
			       "jump_ind r0, 0\n");
	assert_stop(machine_run(&m), CORRAL_HOST_CALL, 0);
	assert_gas(&m, 8);
	corral_instance_set_gas(m.instance, 1);
	assert_stop(machine_run(&m), CORRAL_OUT_OF_GAS, 3);
	assert_gas(&m, 1);
	corral_instance_set_gas(m.instance, 2);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 8);
	assert_gas(&m, 0);
	machine_free(&m);
}

/* ---- single steps ------------------------------------------------------------ */

/* Block 0 (0..6) costs 3, block 1 (7..15) costs 3. */
static const char *const stepped = "@0: load_imm r1, 1\n"
				   "@3: load_imm r2, 2\n"
				   "@6: fallthrough\n"
				   "@7: load_imm r3, 3\n"
				   "@10: load_imm r0, -65536\n"
				   "@15: jump_ind r0, 0\n";

Test(gas, single_steps_stop_after_each_instruction_and_charge_each_block_once)
{
	static const struct {
		uint32_t next_pc;
		int64_t gas;
	} steps[] = {{3, 97}, {6, 97}, {7, 97}, {10, 94}, {15, 94}};
	struct machine m;
	machine_load_untouched(&m, 100, stepped);
	corral_instance_set_single_step(m.instance, true);
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
		corral_interrupt stop = machine_run(&m);
		cr_assert_eq(stop.kind, CORRAL_STEP, "step %zu: %s", i, corral_interrupt_name(stop.kind));
		cr_assert_eq(stop.pc, steps[i].next_pc, "step %zu stopped at %u", i, stop.pc);
		cr_assert_eq(corral_instance_pc(m.instance), steps[i].next_pc);
		assert_gas(&m, steps[i].gas);
	}
	assert_stop(machine_run(&m), CORRAL_FINISHED, 15);
	assert_gas(&m, 94);
	machine_free(&m);
}

Test(gas, each_single_step_does_exactly_one_instruction)
{
	struct machine m;
	machine_load_untouched(&m, 100, stepped);
	corral_instance_set_single_step(m.instance, true);
	cr_assert_eq(machine_run(&m).kind, CORRAL_STEP);
	cr_assert_eq(machine_reg(&m, 1), 1);
	cr_assert_eq(machine_reg(&m, 2), UNTOUCHED);
	cr_assert_eq(machine_run(&m).kind, CORRAL_STEP);
	cr_assert_eq(machine_reg(&m, 2), 2);
	cr_assert_eq(machine_run(&m).kind, CORRAL_STEP); /* fallthrough */
	cr_assert_eq(machine_reg(&m, 3), UNTOUCHED);
	cr_assert_eq(machine_run(&m).kind, CORRAL_STEP);
	cr_assert_eq(machine_reg(&m, 3), 3);
	machine_free(&m);
}

Test(gas, a_single_step_into_an_unpaid_block_runs_out_of_gas_there)
{
	struct machine m;
	machine_load_untouched(&m, 4, stepped);
	corral_instance_set_single_step(m.instance, true);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(machine_run(&m).kind, CORRAL_STEP);
	assert_gas(&m, 1);
	assert_stop(machine_run(&m), CORRAL_OUT_OF_GAS, 7);
	assert_gas(&m, 1);
	cr_assert_eq(machine_reg(&m, 3), UNTOUCHED);
	machine_free(&m);
}

Test(gas, a_single_step_over_a_jump_stops_at_the_target_unpaid)
{
	struct machine m;
	machine_load_untouched(&m, 10,
			       "@0: jump @target\n"
			       "trap\n"
			       "target: load_imm r0, -65536\n"
			       "jump_ind r0, 0\n");
	corral_instance_set_single_step(m.instance, true);
	corral_interrupt stop = machine_run(&m);
	assert_stop(stop, CORRAL_STEP, 3);
	assert_gas(&m, 9);
	assert_stop(machine_run(&m), CORRAL_STEP, 8);
	assert_gas(&m, 7);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 8);
	assert_gas(&m, 7);
	machine_free(&m);
}

Test(gas, single_steps_through_a_loop_pay_each_trip)
{
	/* Block 0 costs 2, the loop block 2 per trip, the trap 1: 2 + 2 * 3 + 1. */
	struct machine m;
	machine_load_untouched(&m, 100,
			       "load_imm r1, 0\n"
			       "fallthrough\n"
			       "loop: add_imm_64 r1, r1, 1\n"
			       "branch_lt_u_imm r1, 3, @loop\n"
			       "trap\n");
	corral_instance_set_single_step(m.instance, true);
	corral_interrupt stop;
	int steps = 0;
	while ((stop = machine_run(&m)).kind == CORRAL_STEP)
		steps++;
	cr_assert_eq(stop.kind, CORRAL_TRAP);
	cr_assert_eq(steps, 2 + 2 * 3, "every instruction but the trap is one step");
	cr_assert_eq(machine_reg(&m, 1), 3);
	assert_gas(&m, 100 - 9);
	machine_free(&m);
}

Test(gas, switching_single_steps_off_midway_pays_the_same)
{
	struct machine m;
	machine_load_untouched(&m, 100, stepped);
	corral_instance_set_single_step(m.instance, true);
	cr_assert_eq(machine_run(&m).kind, CORRAL_STEP);
	cr_assert_eq(machine_run(&m).kind, CORRAL_STEP);
	corral_instance_set_single_step(m.instance, false);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 15);
	assert_gas(&m, 94);
	cr_assert_eq(machine_reg(&m, 3), 3);
	machine_free(&m);
}

Test(gas, a_host_call_in_single_step_mode_is_reported_as_a_host_call)
{
	struct machine m;
	machine_load_untouched(&m, 100,
			       "load_imm r1, 1\n"
			       "@3: ecalli 7\n"
			       "@5: load_imm r0, -65536\n"
			       "jump_ind r0, 0\n");
	corral_instance_set_single_step(m.instance, true);
	assert_stop(machine_run(&m), CORRAL_STEP, 3);
	corral_interrupt stop = machine_run(&m);
	assert_stop(stop, CORRAL_HOST_CALL, 3);
	cr_assert_eq(stop.host_call, 7);
	assert_stop(machine_run(&m), CORRAL_STEP, 10);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 10);
	assert_gas(&m, 96);
	machine_free(&m);
}

/* ---- costs from a table ------------------------------------------------------- */

static void load_with_costs(struct machine *m, const char *source, const corral_block_cost *costs, size_t count,
			    int64_t gas)
{
	corral_module_config config = raw_config(CORRAL_ISA_GP07);
	config.gas_model = CORRAL_GAS_TABLE;
	config.block_costs = costs;
	config.block_cost_count = count;
	machine_from_source(m, source, &config, gas);
	for (unsigned i = 0; i < CORRAL_REGISTER_COUNT; i++)
		corral_instance_set_reg(m->instance, i, UNTOUCHED);
}

Test(gas, table_costs_are_charged_per_block)
{
	static const corral_block_cost costs[] = {{4, 7}, {0, 10}};
	struct machine m;
	load_with_costs(&m, two_blocks, costs, 2, 17);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 15);
	assert_gas(&m, 0);
	machine_free(&m);
}

Test(gas, a_table_cost_one_short_stops_at_that_block)
{
	static const corral_block_cost costs[] = {{0, 10}, {4, 7}};
	struct machine m;
	load_with_costs(&m, two_blocks, costs, 2, 16);
	assert_stop(machine_run(&m), CORRAL_OUT_OF_GAS, 4);
	assert_gas(&m, 6);
	cr_assert_eq(machine_reg(&m, 1), 1);
	cr_assert_eq(machine_reg(&m, 2), UNTOUCHED);
	machine_free(&m);
}

Test(gas, free_blocks_run_with_no_gas)
{
	static const corral_block_cost costs[] = {{0, 0}, {4, 0}};
	struct machine m;
	load_with_costs(&m, two_blocks, costs, 2, 0);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 15);
	assert_gas(&m, 0);
	machine_free(&m);
}

Test(gas, a_cost_beyond_any_gas_runs_out_without_wrapping)
{
	static const corral_block_cost costs[][1] = {{{0, UINT64_MAX}}, {{0, 1ull << 63}}};
	for (size_t i = 0; i < 2; i++) {
		struct machine m;
		load_with_costs(&m, halt_program, costs[i], 1, INT64_MAX);
		assert_stop(machine_run(&m), CORRAL_OUT_OF_GAS, 0);
		assert_gas(&m, INT64_MAX);
		machine_free(&m);
	}
}

Test(gas, a_cost_of_all_the_gas_leaves_zero)
{
	static const corral_block_cost costs[] = {{0, INT64_MAX}};
	struct machine m;
	load_with_costs(&m, halt_program, costs, 1, INT64_MAX);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 8);
	assert_gas(&m, 0);
	machine_free(&m);
}

Test(gas, table_costs_are_not_charged_again_after_a_fault)
{
	static const corral_block_cost costs[] = {{0, 50}};
	struct machine m;
	load_with_costs(&m,
			"load_u8 r1, 0x20000\n"
			"load_imm r0, -65536\n"
			"jump_ind r0, 0\n",
			costs, 1, 100);
	assert_stop(machine_run(&m), CORRAL_PAGE_FAULT, 0);
	assert_gas(&m, 50);
	machine_map(&m, 0x20000, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	cr_assert_eq(machine_run(&m).kind, CORRAL_FINISHED);
	assert_gas(&m, 50);
	machine_free(&m);
}

Test(gas, a_loop_pays_its_table_cost_on_every_trip)
{
	/* Block 0 costs 5, the loop block 3 per trip, the trap after it 11. */
	static const corral_block_cost costs[] = {{0, 5}, {3, 3}, {10, 11}};
	struct machine m;
	load_with_costs(&m,
			"load_imm r1, 0\n"
			"fallthrough\n"
			"@3: loop: add_imm_64 r1, r1, 1\n"
			"branch_lt_u_imm r1, 4, @loop\n"
			"@10: trap\n",
			costs, 3, 100);
	assert_stop(machine_run(&m), CORRAL_TRAP, 10);
	cr_assert_eq(machine_reg(&m, 1), 4);
	assert_gas(&m, 100 - 5 - 4 * 3 - 11);
	machine_free(&m);
}

/* ---- single steps meeting faults and halts ---------------------------------- */

Test(gas, a_single_step_that_faults_is_paid_once_and_retried)
{
	struct machine m;
	machine_load_untouched(&m, 10,
			       "load_u8 r1, 0x20000\n"
			       "@5: load_imm r0, -65536\n"
			       "jump_ind r0, 0\n");
	corral_instance_set_single_step(m.instance, true);
	corral_interrupt stop = machine_run(&m);
	assert_stop(stop, CORRAL_PAGE_FAULT, 0);
	assert_gas(&m, 7);
	assert_stop(machine_run(&m), CORRAL_PAGE_FAULT, 0);
	assert_gas(&m, 7);
	machine_map(&m, 0x20000, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	assert_stop(machine_run(&m), CORRAL_STEP, 5);
	assert_gas(&m, 7);
	cr_assert_eq(machine_reg(&m, 1), 0);
	assert_stop(machine_run(&m), CORRAL_STEP, 10);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 10);
	assert_gas(&m, 7);
	machine_free(&m);
}

Test(gas, a_single_step_after_running_out_pays_and_does_one_instruction)
{
	struct machine m;
	machine_load_untouched(&m, 2, stepped);
	corral_instance_set_single_step(m.instance, true);
	assert_stop(machine_run(&m), CORRAL_OUT_OF_GAS, 0);
	assert_gas(&m, 2);
	corral_instance_set_gas(m.instance, 3);
	assert_stop(machine_run(&m), CORRAL_STEP, 3);
	assert_gas(&m, 0);
	cr_assert_eq(machine_reg(&m, 1), 1);
	cr_assert_eq(machine_reg(&m, 2), UNTOUCHED);
	machine_free(&m);
}

Test(gas, a_single_step_after_a_host_call_runs_the_next_instruction_unpaid)
{
	struct machine m;
	machine_load_untouched(&m, 10,
			       "ecalli 1\n"
			       "@2: load_imm r1, 1\n"
			       "@5: load_imm r2, 2\n"
			       "trap\n");
	cr_assert_eq(machine_run(&m).kind, CORRAL_HOST_CALL);
	assert_gas(&m, 6);
	corral_instance_set_single_step(m.instance, true);
	assert_stop(machine_run(&m), CORRAL_STEP, 5);
	cr_assert_eq(machine_reg(&m, 1), 1);
	cr_assert_eq(machine_reg(&m, 2), UNTOUCHED);
	assert_gas(&m, 6);
	machine_free(&m);
}

Test(gas, a_jump_into_a_block_that_cannot_be_paid_stops_at_the_target)
{
	static const char *const jumps[] = {"jump @target", "jump_ind r1, 0"};
	for (size_t i = 0; i < 2; i++) {
		char source[256];
		struct machine m;
		snprintf(source, sizeof source,
			 ".jump_table @target\n"
			 "%s\n"
			 "trap\n"
			 "target: load_imm r2, 2\n"
			 "load_imm r0, -65536\n"
			 "jump_ind r0, 0\n",
			 jumps[i]);
		machine_load_untouched(&m, 3, source);
		corral_instance_set_reg(m.instance, 1, 2);
		corral_interrupt stop = machine_run(&m);
		cr_assert_eq(stop.kind, CORRAL_OUT_OF_GAS, "%s", jumps[i]);
		cr_assert_eq(stop.pc, 3, "%s stopped at %u", jumps[i], stop.pc);
		assert_gas(&m, 2);
		cr_assert_eq(machine_reg(&m, 2), UNTOUCHED);
		machine_free(&m);
	}
}

/* ---- the GP 0.8 pipeline model through the API ------------------------ */

/* A divide then two adds that depend on it, then a trap: the model gives
 * the block 62 (tests/test_gas_pipeline.c derives it from the spec); the
 * module lists it, and running it charges exactly that. */
Test(gas, the_gp08_model_costs_blocks_when_loading_and_charges_them)
{
	static const char source[] = "div_u_64 r3, r1, r2\n"
				     "add_64 r4, r3, r3\n"
				     "add_64 r5, r4, r4\n"
				     "trap\n";
	corral_module_config config;
	corral_module_config_init(&config);
	config.gas_model = CORRAL_GAS_GP08;
	struct machine m;
	machine_from_source(&m, source, &config, 1000);
	size_t count = corral_module_block_count(m.module);
	cr_assert_geq(count, 1);
	corral_block_cost block = corral_module_block(m.module, 0);
	cr_expect_eq(block.pc, 0);
	cr_expect_eq(block.cost, 62, "the block costs %llu", (unsigned long long)block.cost);
	cr_expect_eq(corral_module_block(m.module, count).cost, 0, "past the last block: nothing");
	machine_run(&m);
	assert_gas(&m, 1000 - (int64_t)block.cost);
	machine_free(&m);
}
