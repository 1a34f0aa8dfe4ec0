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
#include <stdio.h>
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

/* The zygote's minor page faults so far (/proc/PID/stat, field 10). */
static unsigned long zygote_minor_faults(pid_t pid)
{
	char path[64], stat[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *file = fopen(path, "r");
	cr_assert_not_null(file, "cannot read %s", path);
	size_t length = fread(stat, 1, sizeof stat - 1, file);
	fclose(file);
	stat[length] = 0;
	/* After "(comm)", which may hold spaces: state, then fields 4 to 10. */
	const char *after = strrchr(stat, ')');
	cr_assert_not_null(after);
	unsigned long minor = 0;
	cr_assert_eq(sscanf(after + 2, "%*c %*d %*d %*d %*d %*d %*u %lu", &minor), 1, "%s: %s", path, stat);
	return minor;
}

/* Two instances on one worker, one after the other, each writing `pages`
 * pages from DATA on (and reading the first, which must be zero): the
 * zygote's minor faults during each run. */
static void faults_of_two_runs(uint32_t pages, unsigned long faults[2])
{
	corral_engine *engine = sandbox_engine(0);
	char source[256];
	snprintf(source, sizeof source,
		 "load_imm r1, %u\nload_imm r2, %u\nload_u64 r3, %u\nfallthrough\n"
		 "loop:\nstore_ind_u64 r2, r1, 8\nadd_imm_64 r1, r1, 4096\nbranch_lt_u r1, r2, @loop\n" HALT,
		 DATA, DATA + pages * 4096, DATA + 8);
	corral_module *module = support_module(engine, source, CORRAL_METERING_OFF);
	pid_t pid = 0;
	for (int round = 0; round < 2; round++) {
		corral_instance *instance = support_instance(module, 0);
		corral_error error;
		cr_assert_eq(corral_instance_map(instance, DATA, (uint64_t)pages * 4096, CORRAL_PAGE_WRITE, &error),
			     CORRAL_OK, "%s", error.message);
		if (round == 0)
			pid = instance->worker->process.pid;
		cr_assert_eq(instance->worker->process.pid, pid, "the worker was reused");
		unsigned long before = zygote_minor_faults(pid);
		corral_interrupt stop = corral_instance_run(instance);
		cr_assert_eq(stop.kind, CORRAL_FINISHED, "round %d: %s at pc %u", round,
			     corral_interrupt_name(stop.kind), stop.pc);
		faults[round] = zygote_minor_faults(pid) - before;
		cr_assert_eq(corral_instance_reg(instance, 3), 0, "round %d read the last round's data", round);
		corral_instance_free(instance);
	}
	corral_module_free(module);
	corral_engine_free(engine);
}

/* A wipe zeroes the pages the last instance wrote where they are rather
 * than punching them out of the memfd: the next instance to write the
 * same 256 pages finds them zero and still mapped, so they cost the zygote
 * no fault, where the first instance took one each. */
Test(sandbox, a_recycled_worker_keeps_the_pages_it_wiped_mapped)
{
	unsigned long faults[2];
	faults_of_two_runs(256, faults);
	cr_assert_geq(faults[0], 256, "the first run faulted %lu times for its 256 fresh pages", faults[0]);
	cr_assert_lt(faults[1], 16, "the second run faulted %lu times for 256 pages the wipe kept", faults[1]);
}

/* But at most 8 MiB of them (2048 pages): of 3072, the other 1024 are
 * punched out, and fault again. */
Test(sandbox, a_wipe_keeps_at_most_8_mib_of_pages)
{
	unsigned long faults[2];
	faults_of_two_runs(3072, faults);
	cr_assert_geq(faults[0], 3072, "the first run faulted %lu times for its 3072 fresh pages", faults[0]);
	cr_assert(faults[1] >= 1024 && faults[1] < 1024 + 16,
		  "the second run faulted %lu times where the wipe kept 2048 of its 3072 pages", faults[1]);
}

/* Pages a wipe kept are punched out before the worker is paged: a paged
 * instance after a protected one on the same worker faults at the page the
 * last one wrote, as at any page it has not mapped, rather than finding it
 * there. The load starts on a page the instance mapped and runs into the
 * next, so that the page-checking code lets it through and only the
 * userfaultfd stands in its way. */
Test(sandbox, a_paged_instance_after_a_protected_one_faults_at_its_pages)
{
	corral_engine *engine = sandbox_engine(0);
	corral_module *writer =
		support_module(engine, "load_imm r1, -1\nstore_u64 r1, 0x21000\n" HALT, CORRAL_METERING_OFF);
	corral_module *reader = support_module(engine, "load_u64 r2, 0x20ffc\n" HALT, CORRAL_METERING_OFF);
	corral_instance *first = support_instance(writer, 0);
	corral_error error;
	cr_assert_eq(corral_instance_map(first, DATA, 0x2000, CORRAL_PAGE_WRITE, &error), CORRAL_OK, "%s",
		     error.message);
	cr_assert_eq(corral_instance_run(first).kind, CORRAL_FINISHED);
	pid_t pid = first->worker->process.pid;
	corral_instance_free(first);

	corral_instance_config config;
	corral_instance_config_init(&config);
	config.dynamic_paging = true;
	corral_instance *second;
	cr_assert_eq(corral_instance_new(reader, &config, &second, &error), CORRAL_OK, "%s", error.message);
	if (corral_instance_paging(second) != CORRAL_PAGING_USERFAULTFD)
		cr_skip_test("the sandbox's workers have no userfaultfd here, so none is paged");
	cr_assert_eq(second->worker->process.pid, pid, "the worker was reused");
	cr_assert_eq(corral_instance_map(second, DATA, 0x1000, CORRAL_PAGE_READ, &error), CORRAL_OK, "%s",
		     error.message);
	corral_interrupt stop = corral_instance_run(second);
	cr_assert_eq(stop.kind, CORRAL_PAGE_FAULT, "the paged instance ran to %s (r2 = 0x%llx)",
		     corral_interrupt_name(stop.kind), (unsigned long long)corral_instance_reg(second, 2));
	cr_assert_eq(stop.address, DATA + 0x1000);
	corral_instance_free(second);
	corral_module_free(reader);
	corral_module_free(writer);
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
