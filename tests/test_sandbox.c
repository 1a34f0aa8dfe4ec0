/* Compiled code in the linux sandbox (host/sandbox.c, host/pool.c,
 * host/ring_client.c) as an embedder meets it: the engine's choice of
 * sandbox, host calls through the rings, a recycled worker that shows the
 * next instance nothing of the last, and runs that end for the sandbox's
 * reasons rather than the program's: a worker that dies, one that runs past
 * its CPU-time limit. The zygote itself, its layers and the attacks on them
 * are tests/test_worker.c's. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/internal.h"
#include "host/pool.h"
#include "tests/raw_program.h"
#include "tests/support.h"

#define HALT "load_imm r0, -65536\njump_ind r0, 0\n"
#define DATA 0x20000u
#define HIGH 0xfffe0000u /* where a JAM program's stack is: the wipe covers both ends */

static corral_engine *sandbox_engine(uint32_t cpu_limit_ms)
{
	support_require_sandbox();
	corral_engine_config config;
	corral_engine_config_init(&config);
	config.backend = CORRAL_BACKEND_JIT;
	config.sandbox = CORRAL_SANDBOX_LINUX;
	config.sandbox_cpu_limit_ms = cpu_limit_ms;
	corral_engine *engine;
	corral_error error;
	cr_assert_eq(corral_engine_new(&config, &engine, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(corral_engine_sandbox(engine), CORRAL_SANDBOX_LINUX);
	return engine;
}

Test(sandbox, auto_resolves_to_linux_where_it_works_and_none_runs_in_process)
{
	support_require_sandbox();
	corral_engine_config config;
	corral_engine_config_init(&config);
	cr_assert_eq(config.sandbox, CORRAL_SANDBOX_AUTO, "the default is auto");
	config.backend = CORRAL_BACKEND_JIT;
	corral_engine *engine;
	corral_error error;
	cr_assert_eq(corral_engine_new(&config, &engine, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(corral_engine_sandbox(engine), CORRAL_SANDBOX_LINUX);
	cr_assert_null(corral_engine_sandbox_note(engine));
	corral_engine_free(engine);
	config.sandbox = CORRAL_SANDBOX_NONE;
	cr_assert_eq(corral_engine_new(&config, &engine, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(corral_engine_sandbox(engine), CORRAL_SANDBOX_NONE);
	corral_engine_free(engine);
	/* The interpreter runs in this process whatever is asked. */
	config.backend = CORRAL_BACKEND_INTERPRETER;
	config.sandbox = CORRAL_SANDBOX_LINUX;
	cr_assert_eq(corral_engine_new(&config, &engine, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(corral_engine_sandbox(engine), CORRAL_SANDBOX_NONE);
	corral_engine_free(engine);
	config.sandbox = (corral_sandbox)7;
	cr_assert_eq(corral_engine_new(&config, &engine, &error), CORRAL_ERROR_ARGUMENT);
	cr_assert(strstr(error.message, "unknown sandbox 7"), "%s", error.message);
	/* Limits on workers are refused where there are no workers. */
	config.backend = CORRAL_BACKEND_JIT;
	config.sandbox = CORRAL_SANDBOX_NONE;
	config.sandbox_memory_limit = 64u << 20;
	cr_assert_eq(corral_engine_new(&config, &engine, &error), CORRAL_ERROR_ARGUMENT);
	cr_assert(strstr(error.message, "need the jit backend and the linux sandbox"), "%s", error.message);
}

Test(sandbox, host_calls_go_through_the_rings_and_back)
{
	corral_engine *engine = sandbox_engine(0);
	corral_module *module = support_module(engine,
					       "load_imm r8, 0\nfallthrough\nnext:\necalli 1\n"
					       "branch_eq_imm r7, 0, @done\nadd_64 r8, r8, r7\njump @next\n"
					       "done:\necalli 2\n" HALT,
					       CORRAL_METERING_SYNC);
	corral_instance *instance = support_instance(module, 1000000);
	uint64_t expected = 0;
	for (uint64_t n = 1;; n++) {
		corral_interrupt stop = corral_instance_run(instance);
		cr_assert_eq(stop.kind, CORRAL_HOST_CALL, "call %llu: %s (%s)", (unsigned long long)n,
			     corral_interrupt_name(stop.kind), corral_instance_divergence(instance));
		if (stop.host_call == 2)
			break;
		uint64_t value = n <= 10000 ? n * 3 : 0;
		expected += value;
		corral_instance_set_reg(instance, 7, value);
	}
	cr_assert_eq(corral_instance_reg(instance, 8), expected, "the sum is %llu, expected %llu",
		     (unsigned long long)corral_instance_reg(instance, 8), (unsigned long long)expected);
	cr_assert_eq(corral_instance_run(instance).kind, CORRAL_FINISHED);
	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine);
}

/* The pool holds one worker: the second instance gets the first's. */
Test(sandbox, a_recycled_worker_shows_nothing_of_the_last_instance)
{
	corral_engine *engine = sandbox_engine(0);
	corral_module *module = support_module(engine,
					       "load_imm_64 r1, 0x5ec2e75ec2e75ec2\nstore_u64 r1, 0x20000\n"
					       "store_u64 r1, 0x30ff8\nstore_u64 r1, -0x1f008\n" HALT,
					       CORRAL_METERING_SYNC);
	corral_instance *first = support_instance(module, 100);
	corral_error error;
	cr_assert_eq(corral_instance_map(first, DATA, 0x11000, CORRAL_PAGE_WRITE, &error), CORRAL_OK, "%s",
		     error.message);
	cr_assert_eq(corral_instance_map(first, HIGH, 0x1000, CORRAL_PAGE_WRITE, &error), CORRAL_OK, "%s",
		     error.message);
	cr_assert_eq(corral_instance_run(first).kind, CORRAL_FINISHED);
	pid_t pid = first->worker->process.pid;
	uint8_t *guest = first->worker->process.guest;
	corral_instance_free(first);

	corral_instance *second = support_instance(module, 100);
	cr_assert_eq(second->worker->process.pid, pid, "the worker was reused");
	cr_assert_eq(corral_instance_page_access(second, DATA), CORRAL_PAGE_NONE);
	cr_assert_eq(corral_instance_page_access(second, HIGH), CORRAL_PAGE_NONE);
	/* The guest would fault where the last one wrote; mapped again, the
	 * pages read as zero. */
	corral_module *reader =
		support_module(engine, "load_u64 r2, 0x20000\nload_u64 r3, 0x30ff8\nload_u64 r4, -0x1f008\n" HALT,
			       CORRAL_METERING_SYNC);
	corral_instance_free(second);
	corral_instance *third = support_instance(reader, 100);
	cr_assert_eq(third->worker->process.guest, guest);
	corral_interrupt stop = corral_instance_run(third);
	cr_assert_eq(stop.kind, CORRAL_PAGE_FAULT, "%s", corral_interrupt_name(stop.kind));
	cr_assert_eq(stop.address, DATA);
	cr_assert_eq(corral_instance_map(third, DATA, 0x11000, CORRAL_PAGE_READ, &error), CORRAL_OK, "%s",
		     error.message);
	stop = corral_instance_run(third);
	cr_assert_eq(stop.kind, CORRAL_PAGE_FAULT, "%s", corral_interrupt_name(stop.kind));
	cr_assert_eq(stop.address, HIGH);
	cr_assert_eq(corral_instance_map(third, HIGH, 0x1000, CORRAL_PAGE_READ, &error), CORRAL_OK, "%s",
		     error.message);
	cr_assert_eq(corral_instance_run(third).kind, CORRAL_FINISHED);
	cr_assert_eq(corral_instance_reg(third, 2), 0, "the last instance's data is gone");
	cr_assert_eq(corral_instance_reg(third, 3), 0, "the last instance's data is gone");
	cr_assert_eq(corral_instance_reg(third, 4), 0, "the last instance's data is gone");
	corral_instance_free(third);
	corral_module_free(reader);
	corral_module_free(module);
	corral_engine_free(engine);
}

/* A wipe's protection requests wait in the ring for the next run: instances
 * that map memory and are freed without running must not pile them up
 * until the ring is full and the worker is thrown away. */
Test(sandbox, instances_that_never_run_keep_their_worker)
{
	corral_engine *engine = sandbox_engine(0);
	corral_module *module =
		support_module(engine, "load_u64 r2, 0x20000\nload_u64 r4, -0x1f008\n" HALT, CORRAL_METERING_SYNC);
	corral_error error;
	pid_t pid = 0;
	for (int i = 0; i < 3 * 64; i++) {
		corral_instance *idle = support_instance(module, 100);
		if (!pid)
			pid = idle->worker->process.pid;
		cr_assert_eq(idle->worker->process.pid, pid, "instance %d got another worker", i);
		cr_assert_eq(corral_instance_map(idle, DATA, 0x1000, CORRAL_PAGE_WRITE, &error), CORRAL_OK, "%s",
			     error.message);
		cr_assert_eq(corral_instance_map(idle, HIGH, 0x1000, CORRAL_PAGE_WRITE, &error), CORRAL_OK, "%s",
			     error.message);
		corral_instance_free(idle);
	}
	corral_instance *last = support_instance(module, 100);
	cr_assert_eq(last->worker->process.pid, pid);
	corral_interrupt stop = corral_instance_run(last);
	cr_assert_eq(stop.kind, CORRAL_PAGE_FAULT, "%s", corral_interrupt_name(stop.kind));
	cr_assert_eq(stop.address, DATA, "the wiped page is not mapped for the guest");
	corral_instance_free(last);
	corral_module_free(module);
	corral_engine_free(engine);
}

Test(sandbox, instances_at_once_get_workers_of_their_own)
{
	corral_engine *engine = sandbox_engine(0);
	corral_module *module =
		support_module(engine, "ecalli 1\nadd_imm_64 r7, r7, 1\necalli 2\n" HALT, CORRAL_METERING_SYNC);
	corral_instance *instances[3];
	for (int i = 0; i < 3; i++)
		instances[i] = support_instance(module, 100);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < i; j++)
			cr_assert_neq(instances[i]->worker->process.pid, instances[j]->worker->process.pid);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(corral_instance_run(instances[i]).kind, CORRAL_HOST_CALL);
		corral_instance_set_reg(instances[i], 7, 100u * (unsigned)i);
	}
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(corral_instance_run(instances[i]).kind, CORRAL_HOST_CALL);
		cr_assert_eq(corral_instance_reg(instances[i], 7), 100u * (unsigned)i + 1);
		corral_instance_free(instances[i]);
	}
	corral_module_free(module);
	corral_engine_free(engine);
}

struct killer {
	pid_t pid;
	unsigned delay_ms;
};

static void *kill_later(void *argument)
{
	const struct killer *killer = argument;
	struct timespec delay = {.tv_nsec = (long)killer->delay_ms * 1000000};
	nanosleep(&delay, NULL);
	kill(killer->pid, SIGKILL);
	return NULL;
}

#define LOOP "loop:\nadd_imm_64 r1, r1, 1\njump @loop\n"

Test(sandbox, a_worker_killed_mid_run_aborts_the_run_and_the_next_instance_gets_a_new_one)
{
	corral_engine *engine = sandbox_engine(0);
	corral_module *module = support_module(engine, LOOP, CORRAL_METERING_OFF);
	corral_instance *instance = support_instance(module, 0);
	struct killer killer = {.pid = instance->worker->process.pid, .delay_ms = 100};
	pthread_t thread;
	cr_assert_eq(pthread_create(&thread, NULL, kill_later, &killer), 0);
	corral_interrupt stop = corral_instance_run(instance);
	pthread_join(thread, NULL);
	cr_assert_eq(stop.kind, CORRAL_ABORTED, "%s", corral_interrupt_name(stop.kind));
	cr_assert(corral_instance_aborted(instance));
	const char *why = corral_instance_divergence(instance);
	cr_assert(why && strstr(why, "died") && strstr(why, "SIGKILL"), "%s", why ? why : "(no reason)");
	cr_assert_eq(corral_instance_run(instance).kind, CORRAL_ABORTED, "an aborted instance stays aborted");
	corral_instance_free(instance);

	instance = support_instance(module, 0);
	cr_assert_neq(instance->worker->process.pid, killer.pid, "the dead worker is not reused");
	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine);
}

Test(sandbox, an_endless_loop_without_gas_meets_the_cpu_time_limit)
{
	corral_engine *engine = sandbox_engine(200);
	corral_module *module = support_module(engine, LOOP, CORRAL_METERING_OFF);
	corral_instance *instance = support_instance(module, 0);
	corral_interrupt stop = corral_instance_run(instance);
	cr_assert_eq(stop.kind, CORRAL_ABORTED, "%s", corral_interrupt_name(stop.kind));
	const char *why = corral_instance_divergence(instance);
	cr_assert(why && strstr(why, "CPU-time limit of 200 ms"), "%s", why ? why : "(no reason)");
	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine);
}

Test(sandbox, with_gas_an_endless_loop_runs_out_of_gas_in_the_sandbox)
{
	corral_engine *engine = sandbox_engine(0);
	corral_module *module = support_module(engine, LOOP, CORRAL_METERING_SYNC);
	corral_instance *instance = support_instance(module, 1000000);
	corral_interrupt stop = corral_instance_run(instance);
	cr_assert_eq(stop.kind, CORRAL_OUT_OF_GAS, "%s", corral_interrupt_name(stop.kind));
	cr_assert_lt(corral_instance_gas(instance), 3);
	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine);
}

/* In the sandbox compiled code keeps the balance in rsp
 * (pvm_jit_options.gas_in_rsp), so the zygote's signal handlers run on a
 * stack of their own: a store that faults in a metered run becomes an
 * exit with the interpreter's state and balance, and the worker lives on
 * for the next instance. Delivered at rsp, the signal would kill it. */
Test(sandbox, a_fault_in_a_metered_run_is_an_exit_with_the_exact_balance)
{
	static const char source[] = "load_imm r1, 7\nadd_imm_64 r1, r1, 9\nstore_ind_u32 r1, r1, 0\n" HALT;
	corral_engine_config config;
	corral_engine_config_init(&config);
	config.backend = CORRAL_BACKEND_INTERPRETER;
	corral_engine *interpreter;
	corral_error error;
	cr_assert_eq(corral_engine_new(&config, &interpreter, &error), CORRAL_OK, "%s", error.message);
	corral_engine *engine = sandbox_engine(0);
	corral_module *modules[2] = {support_module(interpreter, source, CORRAL_METERING_SYNC),
				     support_module(engine, source, CORRAL_METERING_SYNC)};
	corral_instance *instances[2];
	corral_interrupt stops[2];
	for (int i = 0; i < 2; i++) {
		instances[i] = support_instance(modules[i], 100);
		stops[i] = corral_instance_run(instances[i]);
	}
	cr_assert_neq(stops[0].kind, CORRAL_FINISHED, "the store faults");
	cr_assert_eq(stops[1].kind, stops[0].kind, "%s against %s", corral_interrupt_name(stops[1].kind),
		     corral_interrupt_name(stops[0].kind));
	cr_assert_eq(corral_instance_pc(instances[1]), corral_instance_pc(instances[0]));
	cr_assert_eq(corral_instance_gas(instances[1]), corral_instance_gas(instances[0]));
	cr_assert_lt(corral_instance_gas(instances[1]), 100);
	cr_assert_eq(corral_instance_reg(instances[1], 1), 16);
	pid_t worker = instances[1]->worker->process.pid;
	corral_instance_free(instances[1]);
	instances[1] = support_instance(modules[1], 100);
	cr_assert_eq(instances[1]->worker->process.pid, worker, "the worker lives on");
	cr_assert_eq(corral_instance_run(instances[1]).kind, stops[0].kind);
	for (int i = 0; i < 2; i++) {
		corral_instance_free(instances[i]);
		corral_module_free(modules[i]);
	}
	corral_engine_free(engine);
	corral_engine_free(interpreter);
}

/* Async metering tests the balance at the loop's head, right after its
 * charge of 2: the run stops one trip late at most, the overdraft kept. */
Test(sandbox, async_gas_stops_at_the_loop_head_with_the_overdraft)
{
	corral_engine *engine = sandbox_engine(0);
	corral_module *module = support_module(engine, LOOP, CORRAL_METERING_ASYNC);
	const int64_t starts[] = {1000, 999, -5};
	const int64_t lefts[] = {-2, -1, -7};
	for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
		corral_instance *instance = support_instance(module, starts[i]);
		corral_interrupt stop = corral_instance_run(instance);
		cr_assert_eq(stop.kind, CORRAL_OUT_OF_GAS, "%s", corral_interrupt_name(stop.kind));
		cr_assert_eq(corral_instance_pc(instance), 0);
		cr_assert_eq(corral_instance_gas(instance), lefts[i], "from %lld: %lld left", (long long)starts[i],
			     (long long)corral_instance_gas(instance));
		cr_assert_eq(corral_instance_reg(instance, 1), (uint64_t)(starts[i] > 0 ? starts[i] / 2 : 0));
		corral_instance_free(instance);
	}
	corral_module_free(module);
	corral_engine_free(engine);
}
