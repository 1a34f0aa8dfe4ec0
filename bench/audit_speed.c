/* The eBPF audit's cost (issue 7): a host-call-heavy guest, the sandbox's
 * round-trip loop (ecalli in a loop, the host answering each), timed with
 * no audit and with one that watches its worker; then what a system call
 * costs while an audit is loaded, in a process it does not watch (every
 * call on the machine runs its filter) and in one it watches (each call
 * becomes an event).
 *
 * A host call makes no system call in the common case (host and zygote
 * spin on shared memory), so the guest should barely notice the audit:
 * the events seen while it runs are printed beside the times to show it.
 * Target: the guest at most 10% slower audited. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "loader/asm.h"

#define CALLS    200000u
#define SYSCALLS 200000u
#define ROUNDS   9 /* alternating, unaudited and audited */

/* ecalli 1 in a loop: the host answers r7 + 1 until it says stop (r8 = 1). */
static const char host_call_loop[] = "loop:\n"
				     "ecalli 1\n"
				     "branch_eq_imm r8, 0, @loop\n"
				     "load_imm r0, -65536\n"
				     "jump_ind r0, 0\n";

static void count_event(const corral_audit_event *event, void *context)
{
	(void)event;
	(*(uint64_t *)context)++;
}

static corral_audit *audit_new(uint64_t *events, bool own, uint32_t buffer_size, corral_error *error)
{
	corral_audit_config config;
	corral_audit_config_init(&config);
	config.callback = count_event;
	config.context = events;
	config.watch_own_sandboxes = own;
	config.buffer_size = buffer_size;
	corral_audit *audit;
	return corral_audit_new(&config, &audit, error) == CORRAL_OK ? audit : NULL;
}

static void drain(corral_audit *audit)
{
	corral_error error;
	size_t count;
	do
		if (corral_audit_poll(audit, 0, &count, &error))
			bench_fail("%s", error.message);
	while (count);
}

/* Seconds for CALLS round trips of a fresh sandboxed instance (an engine
 * made after the audit, if any, so that its worker is watched); *during
 * gets the events the audit (counting into *counter) saw in the loop. */
static double round_trips(corral_audit *audit, const uint64_t *counter, uint64_t *during)
{
	corral_engine_config engine_config;
	corral_engine_config_init(&engine_config);
	engine_config.backend = CORRAL_BACKEND_JIT;
	engine_config.sandbox = CORRAL_SANDBOX_LINUX;
	corral_engine *engine;
	corral_error error;
	if (corral_engine_new(&engine_config, &engine, &error))
		bench_fail("%s", error.message);
	uint8_t *bytes;
	size_t length;
	char problem[256];
	if (loader_assemble(host_call_loop, strlen(host_call_loop), "bench.s", &bytes, &length, problem,
			    sizeof problem))
		bench_fail("%s", problem);
	corral_module_config module_config;
	corral_module_config_init(&module_config);
	module_config.format = CORRAL_FORMAT_BLOB;
	module_config.metering = CORRAL_METERING_OFF;
	corral_module *module;
	corral_instance *instance;
	if (corral_module_new(engine, bytes, length, "bench.s", &module_config, &module, &error) ||
	    corral_instance_new(module, NULL, &instance, &error))
		bench_fail("%s", error.message);
	free(bytes);
	corral_interrupt stop = corral_instance_run(instance);
	if (audit)
		drain(audit);
	uint64_t before = *counter;
	double begin = bench_now();
	for (unsigned i = 0; i < CALLS; i++) {
		if (stop.kind != CORRAL_HOST_CALL || corral_instance_reg(instance, 7) != i)
			bench_fail("host call %u: stopped with %s", i, corral_interrupt_name(stop.kind));
		corral_instance_set_reg(instance, 7, i + 1);
		corral_instance_set_reg(instance, 8, i + 1 == CALLS);
		stop = corral_instance_run(instance);
	}
	double seconds = bench_now() - begin;
	if (audit)
		drain(audit);
	*during = *counter - before;
	if (stop.kind != CORRAL_FINISHED)
		bench_fail("the host-call loop ended with %s", corral_interrupt_name(stop.kind));
	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine);
	return seconds;
}

/* ns per getppid in this process, SYSCALLS of them. */
static double syscall_ns(void)
{
	double begin = bench_now();
	for (unsigned i = 0; i < SYSCALLS; i++)
		syscall(SYS_getppid);
	return (bench_now() - begin) * 1e9 / SYSCALLS;
}

/* The watched child: its own timing, on the report pipe; _exit, so that
 * no exit handler of ours runs in it. */
static int watched_loop(void *argument)
{
	int *report = argument;
	char byte;
	if (read(report[0], &byte, 1) != 1)
		_exit(1);
	double ns = syscall_ns();
	_exit(write(report[3], &ns, sizeof ns) == sizeof ns ? 0 : 1);
}

/* ns per getppid in a child of its own pid namespace that the audit
 * watches, while we take its events; *lost what the ring buffer dropped. */
static double watched_syscall_ns(corral_audit *audit, uint64_t *lost)
{
	int pipes[4];
	if (pipe(pipes) || pipe(pipes + 2))
		bench_fail("pipe: %m");
	size_t size = 256 << 10;
	char *stack = malloc(size);
	pid_t child = stack ? clone(watched_loop, stack + size, CLONE_NEWPID | SIGCHLD, pipes) : -1;
	if (child < 0)
		bench_fail("cannot start a child in a pid namespace of its own: %m");
	corral_error error;
	if (corral_audit_watch_pid(audit, child, &error))
		bench_fail("%s", error.message);
	uint64_t dropped = corral_audit_dropped(audit);
	if (write(pipes[1], "", 1) != 1)
		bench_fail("cannot start the watched child: %m");
	int status = 0;
	while (waitpid(child, &status, WNOHANG) == 0)
		if (corral_audit_poll(audit, 10, NULL, &error))
			bench_fail("%s", error.message);
	drain(audit);
	double ns = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) || read(pipes[2], &ns, sizeof ns) != sizeof ns)
		bench_fail("the watched child failed");
	*lost = corral_audit_dropped(audit) - dropped;
	for (int i = 0; i < 4; i++)
		close(pipes[i]);
	free(stack);
	return ns;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Sorts the values, and gives their median. */
static double median(double *values, unsigned count)
{
	qsort(values, count, sizeof *values, compare_doubles);
	return values[count / 2];
}

void bench_audit_speed(void)
{
	uint64_t events = 0;
	corral_error error;
	corral_audit *audit = audit_new(&events, true, 0, &error);
	if (!audit) {
		printf("\nAudit (eBPF): skipped (%s)\n", error.message);
		return;
	}
	corral_audit_free(audit);
	printf("\nAudit (eBPF) (target: a host-call-heavy guest at most 10%% slower audited)\n");
	/* Rounds alternate, so that both see the machine alike; the fastest
	 * of each is the least disturbed by the rest of the machine. */
	double plain[ROUNDS], audited[ROUNDS];
	uint64_t events_in_loops = 0, during;
	for (unsigned i = 0; i < ROUNDS; i++) {
		plain[i] = round_trips(NULL, &events, &during);
		audit = audit_new(&events, true, 0, &error);
		if (!audit)
			bench_fail("%s", error.message);
		audited[i] = round_trips(audit, &events, &during);
		events_in_loops += during;
		corral_audit_free(audit);
	}
	double off = median(plain, ROUNDS), on = median(audited, ROUNDS), best_off = plain[0], best_on = audited[0];
	printf("  host-call round trips (%u calls, %u rounds each): %.0f ns a call unaudited, %.0f ns audited "
	       "(fastest rounds: %+.1f%%); medians %.0f and %.0f ns (%+.1f%%); %.0f events a round, from futex "
	       "waits when a side was descheduled: a host call itself makes no system call\n",
	       CALLS, ROUNDS, best_off * 1e9 / CALLS, best_on * 1e9 / CALLS, (best_on / best_off - 1) * 100,
	       off * 1e9 / CALLS, on * 1e9 / CALLS, (on / off - 1) * 100, (double)events_in_loops / ROUNDS);

	double bare = syscall_ns();
	audit = audit_new(&events, false, 64u << 20, &error);
	if (!audit)
		bench_fail("%s", error.message);
	double loaded = syscall_ns();
	uint64_t lost = 0;
	double watched = watched_syscall_ns(audit, &lost);
	corral_audit_free(audit);
	printf("  a system call (getppid) with an audit loaded: %.0f ns unaudited, %.0f ns in a process it does not "
	       "watch, %.0f ns in one it watches (an event each; %llu lost)\n",
	       bare, loaded, watched, (unsigned long long)lost);
}
