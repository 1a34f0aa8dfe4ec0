/* The eBPF audit (host/audit.c, bpf/audit.bpf.c, corral audit): a sandbox
 * seen from the kernel. A sandboxed run shows only the calls the seccomp
 * filter allows once the filter is in; every attack the filter kills shows
 * as that call, refused, with its SIGSYS; processes beside the sandbox never
 * show; no event is lost at 100,000 calls a second; nothing is left open.
 *
 * Loading the programs needs root and BTF: without them these tests skip,
 * saying why (CI runs as root), but for the ones that check that saying. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/json.h"
#include "host/ring_client.h"
#include "host/worker.h"
#include "tests/guest_run.h"
#include "tests/raw_program.h"
#include "tests/support.h"
#include "zygote/attacks.h"

extern const struct host_zygote_image test_zygote_attacks;

#define AUDIT_ARCH_X86_64 0xc000003eu

/* ---- what the audit saw ------------------------------------------------------- */

struct seen {
	corral_audit_event event; /* event.name is not kept: see name */
	char name[32];
};

struct log {
	struct seen *items;
	size_t count, capacity;
};

static void collect(const corral_audit_event *event, void *context)
{
	struct log *log = context;
	if (log->count == log->capacity) {
		log->capacity = log->capacity ? 2 * log->capacity : 1024;
		log->items = realloc(log->items, log->capacity * sizeof *log->items);
		cr_assert_not_null(log->items);
	}
	struct seen *seen = &log->items[log->count++];
	seen->event = *event;
	seen->event.name = NULL;
	snprintf(seen->name, sizeof seen->name, "%s", event->kind == CORRAL_AUDIT_SYSCALL ? event->name : "");
}

/* An audit that fills `log`, or the test skips where this machine or
 * user cannot load one. */
static corral_audit *audit_or_skip(struct log *log, bool own, uint32_t buffer_size)
{
	corral_audit_config config;
	corral_audit_config_init(&config);
	config.callback = collect;
	config.context = log;
	config.watch_own_sandboxes = own;
	config.buffer_size = buffer_size;
	corral_audit *audit;
	corral_error error;
	if (corral_audit_new(&config, &audit, &error) == CORRAL_OK)
		return audit;
	if (strstr(error.message, "needs root") || strstr(error.message, "no BTF"))
		cr_skip_test("%s", error.message);
	cr_assert_fail("%s", error.message);
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

static const struct seen *exit_of(const struct log *log, uint32_t pid)
{
	for (size_t i = 0; i < log->count; i++)
		if (log->items[i].event.kind == CORRAL_AUDIT_EXIT && log->items[i].event.pid == (int32_t)pid)
			return &log->items[i];
	return NULL;
}

/* Polls until process `pid` of a sandbox is seen to end, or 5 s pass. */
static void poll_until_exit(corral_audit *audit, const struct log *log, uint32_t pid)
{
	corral_error error;
	for (uint64_t end = now_ns() + 5000000000ull; !exit_of(log, pid) && now_ns() < end;)
		cr_assert_eq(corral_audit_poll(audit, 20, NULL, &error), CORRAL_OK, "%s", error.message);
	cr_assert_not_null(exit_of(log, pid), "the audit never saw process %u end", pid);
}

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	cr_assert_not_null(dir);
	int count = 0;
	struct dirent *entry;
	while ((entry = readdir(dir)))
		count += entry->d_name[0] != '.';
	closedir(dir);
	return count - 1;
}

/* ---- the seccomp filter, read back ------------------------------------------- */

/* Whether some path through the zygote's filter (classic BPF) lets
 * system call `number` through on x86-64: the number and architecture are
 * known, the arguments are not, so a test on them goes both ways. */
static bool filter_allows(const struct zygote_filter_insn *filter, size_t length, size_t pc, uint32_t number,
			  bool known, uint32_t a)
{
	while (pc < length) {
		const struct zygote_filter_insn *insn = &filter[pc];
		if (insn->code == (BPF_LD | BPF_W | BPF_ABS)) {
			known = insn->k == offsetof(struct seccomp_data, nr) ||
				insn->k == offsetof(struct seccomp_data, arch);
			a = insn->k == offsetof(struct seccomp_data, nr) ? number : AUDIT_ARCH_X86_64;
			pc++;
		} else if (BPF_CLASS(insn->code) == BPF_ALU) {
			known = false;
			pc++;
		} else if (BPF_CLASS(insn->code) == BPF_JMP && BPF_OP(insn->code) == BPF_JA) {
			pc += 1 + insn->k;
		} else if (BPF_CLASS(insn->code) == BPF_JMP) {
			if (!known || BPF_SRC(insn->code) == BPF_X)
				return filter_allows(filter, length, pc + 1 + insn->jt, number, false, 0) ||
				       filter_allows(filter, length, pc + 1 + insn->jf, number, false, 0);
			bool taken = BPF_OP(insn->code) == BPF_JEQ   ? a == insn->k
				     : BPF_OP(insn->code) == BPF_JGT ? a > insn->k
				     : BPF_OP(insn->code) == BPF_JGE ? a >= insn->k
								     : (a & insn->k) != 0;
			pc += 1 + (taken ? insn->jt : insn->jf);
		} else if (BPF_CLASS(insn->code) == BPF_RET) {
			return (insn->k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW;
		} else {
			return false;
		}
	}
	return false;
}

#define MAX_SYSCALL 1024

/* The names of the system calls host/seccomp.c's filter allows. */
static size_t allowed_calls(const char *names[], size_t room)
{
	const struct zygote_filter_insn *filter;
	size_t length, count = 0;
	corral_error error;
	cr_assert_eq(host_seccomp_filter(&filter, &length, &error), CORRAL_OK, "%s", error.message);
	char buffer[32];
	for (uint32_t number = 0; number < MAX_SYSCALL && count < room; number++)
		if (filter_allows(filter, length, 0, number, false, 0))
			names[count++] =
				corral_audit_syscall_name(CORRAL_AUDIT_X86_64, (int32_t)number, buffer, sizeof buffer);
	return count;
}

static bool is_allowed(const char *const names[], size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

Test(audit, reads_the_filter_as_ten_calls)
{
	const char *names[32];
	size_t count = allowed_calls(names, 32);
	static const char *const expected[] = {"futex",    "recvmsg",   "mmap",         "munmap",
					       "mprotect", "close",     "rt_sigreturn", "restart_syscall",
					       "exit",     "exit_group"};
	cr_assert_eq(count, sizeof expected / sizeof *expected, "the filter allows %zu calls", count);
	for (size_t i = 0; i < count; i++)
		cr_assert(is_allowed(names, count, expected[i]), "the filter does not allow %s", expected[i]);
}

/* The calls a sandbox made once its seccomp filter was in: every one must
 * be allowed, none refused. Returns how many were checked. */
static size_t check_after_filter(const struct log *log, uint32_t sandbox, const char *const allowed[],
				 size_t allowed_count)
{
	size_t checked = 0;
	bool filtered = false, executed = false;
	for (size_t i = 0; i < log->count; i++) {
		const struct seen *seen = &log->items[i];
		if (seen->event.sandbox != sandbox || seen->event.kind != CORRAL_AUDIT_SYSCALL)
			continue;
		cr_expect(!seen->event.denied, "sandbox %u: %s was refused", sandbox, seen->name);
		if (filtered) {
			cr_expect(is_allowed(allowed, allowed_count, seen->name),
				  "sandbox %u called %s, which the filter does not allow", sandbox, seen->name);
			checked++;
		}
		executed |= !strcmp(seen->name, "execveat") && seen->event.result == 0;
		filtered |= !strcmp(seen->name, "seccomp") && seen->event.args[0] == SECCOMP_SET_MODE_FILTER &&
			    seen->event.returned && seen->event.result == 0;
	}
	cr_expect(executed, "sandbox %u: no execveat of the zygote: it was not watched from before it ran", sandbox);
	cr_expect(filtered, "sandbox %u: the seccomp filter's installation was not seen", sandbox);
	return checked;
}

/* ---- a sandboxed guest -------------------------------------------------------- */

/* Host calls, page protections and gas: what a guest makes a worker do. */
static const char host_call_loop[] = "loop:\n"
				     "ecalli 1\n"
				     "branch_eq_imm r8, 0, @loop\n"
				     "load_imm r0, -65536\n"
				     "jump_ind r0, 0\n";

Test(audit, a_sandboxed_run_makes_only_the_calls_the_filter_allows, .timeout = 60)
{
	support_require_sandbox();
	struct log log = {0};
	corral_audit *audit = audit_or_skip(&log, true, 0);
	corral_engine_config engine_config;
	corral_engine_config_init(&engine_config);
	engine_config.backend = CORRAL_BACKEND_JIT;
	engine_config.sandbox = CORRAL_SANDBOX_LINUX;
	corral_engine *engine;
	corral_error error;
	cr_assert_eq(corral_engine_new(&engine_config, &engine, &error), CORRAL_OK, "%s", error.message);
	size_t length;
	uint8_t *bytes = support_assemble(host_call_loop, &length);
	corral_module_config module_config = raw_config(CORRAL_ISA_GP07);
	corral_module *module;
	cr_assert_eq(corral_module_new(engine, bytes, length, "loop", &module_config, &module, &error), CORRAL_OK, "%s",
		     error.message);
	free(bytes);
	corral_instance_config instance_config;
	corral_instance_config_init(&instance_config);
	instance_config.gas = 1000000;
	corral_instance *instance;
	cr_assert_eq(corral_instance_new(module, &instance_config, &instance, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(corral_instance_map(instance, 0x20000, 0x4000, CORRAL_PAGE_WRITE, &error), CORRAL_OK, "%s",
		     error.message);
	corral_interrupt stop = corral_instance_run(instance);
	for (int i = 0; i < 100 && stop.kind == CORRAL_HOST_CALL; i++) {
		corral_instance_set_reg(instance, 8, i == 99);
		stop = corral_instance_run(instance);
	}
	cr_assert_eq(stop.kind, CORRAL_FINISHED, "the guest stopped with %s", corral_interrupt_name(stop.kind));
	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine); /* kills and reaps the pool's workers */

	uint32_t sandboxes[16];
	size_t sandbox_count = 0;
	cr_assert_eq(corral_audit_poll(audit, 100, NULL, &error), CORRAL_OK, "%s", error.message);
	for (size_t i = 0; i < log.count; i++) {
		bool known = false;
		for (size_t j = 0; j < sandbox_count; j++)
			known |= sandboxes[j] == log.items[i].event.sandbox;
		if (!known && sandbox_count < 16)
			sandboxes[sandbox_count++] = log.items[i].event.sandbox;
	}
	cr_assert_geq(sandbox_count, 1, "no sandbox was seen");
	const char *allowed[32];
	size_t allowed_count = allowed_calls(allowed, 32);
	size_t checked = 0;
	for (size_t s = 0; s < sandbox_count; s++) {
		poll_until_exit(audit, &log, sandboxes[s]);
		/* Watched from before the go byte: the first call seen is the
		 * worker's wait for it (in progress when watching began, or,
		 * on a busy machine, entered just after) or, when the child had
		 * not run yet, its return from clone3, whose entry was the
		 * parent's. */
		for (size_t i = 0; i < log.count; i++)
			if (log.items[i].event.sandbox == sandboxes[s]) {
				const char *name = log.items[i].name;
				cr_expect(!strcmp(name, "read") ||
						  (!strcmp(name, "clone3") && log.items[i].event.unmatched),
					  "sandbox %u's first event: %s%s", sandboxes[s], name,
					  log.items[i].event.unmatched ? " (unmatched)" : "");
				break;
			}
		checked += check_after_filter(&log, sandboxes[s], allowed, allowed_count);
	}
	/* Host calls make none (host and zygote spin on shared memory), but
	 * the code's mapping and the page protections do. */
	cr_expect_gt(checked, 0, "no call after the filter was seen");
	cr_expect_eq(corral_audit_dropped(audit), 0);
	cr_log_info("%zu sandboxes, %zu events, %zu calls checked against the filter", sandbox_count, log.count,
		    checked);
	corral_audit_free(audit);
	free(log.items);
}

/* A JSON-lines trace file, parsed: one value per line. */
static size_t read_json_lines(const char *path, struct json_value **values)
{
	size_t length;
	char *text = (char *)support_read_file(path, &length);
	text[length] = 0;
	size_t count = 0, capacity = 256;
	*values = malloc(capacity * sizeof **values);
	for (char *line = text, *end; *line; line = end + (*end != 0)) {
		end = line + strcspn(line, "\n");
		if (end == line)
			continue;
		if (count == capacity)
			*values = realloc(*values, (capacity *= 2) * sizeof **values);
		char problem[128];
		cr_assert_eq(json_parse(line, (size_t)(end - line), &(*values)[count], problem, sizeof problem), 0,
			     "%s: %s in: %.*s", path, problem, (int)(end - line), line);
		count++;
	}
	free(text);
	return count;
}

static const char *json_text(const struct json_value *object, const char *key)
{
	const struct json_value *value = json_get(object, key);
	return value && value->type == JSON_STRING ? value->string : "";
}

static uint64_t json_number(const struct json_value *object, const char *key)
{
	uint64_t number = 0;
	const struct json_value *value = json_get(object, key);
	if (value)
		json_to_u64(value, &number);
	return number;
}

Test(audit, corral_audit_traces_the_sandbox_of_a_c_guest, .timeout = 120)
{
	REQUIRE_TOOLCHAIN();
	support_require_sandbox();
	struct log probe = {0};
	corral_audit_free(audit_or_skip(&probe, false, 0));
	char folder[PATH_MAX], root[PATH_MAX], command[8 * PATH_MAX], trace[PATH_MAX + 16];
	cr_assert_not_null(getcwd(root, sizeof root));
	guest_workspace(folder, sizeof folder);
	snprintf(trace, sizeof trace, "%s/trace.json", folder);
	struct process_result result;
	snprintf(command, sizeof command, "'%s/%s' cc -O2 '%s/guest/examples/hello.c' -o '%s/hello.jam'", root,
		 guest_corral(), root, folder);
	guest_shell(folder, command, NULL, &result);
	cr_assert_eq(result.status, 0, "corral cc: %s", result.errors);
	guest_result_free(&result);
	/* Through a shell: the sandboxes of grandchildren count too. */
	snprintf(command, sizeof command,
		 "'%s/%s' audit --json -o '%s' -- sh -c \"'%s/%s' run --backend jit --sandbox linux '%s/hello.jam' "
		 "one two\"",
		 root, guest_corral(), trace, root, guest_corral(), folder);
	guest_shell(folder, command, NULL, &result);
	cr_assert_eq(result.status, 0, "corral audit: status %d: %s", result.status, result.errors);
	cr_expect(strstr(result.output, "Hello, world!"), "the guest's output: %s", result.output);
	guest_result_free(&result);

	struct json_value *events;
	size_t count = read_json_lines(trace, &events);
	const char *allowed[32];
	size_t allowed_count = allowed_calls(allowed, 32), sandboxes = 0, checked = 0;
	bool summarized = false;
	uint64_t sandbox = 0;
	for (size_t i = 0; i < count; i++) {
		const char *kind = json_text(&events[i], "event");
		if (!strcmp(kind, "summary")) {
			summarized = true;
			sandboxes++;
			cr_expect_str_eq(json_text(&events[i], "ended"), "killed by SIGKILL",
					 "a pooled worker ends when its engine kills it");
			cr_expect_eq(json_get(&events[i], "refused")->count, 0, "the summary lists refused calls");
		} else if (!strcmp(kind, "dropped")) {
			cr_expect_eq(json_number(&events[i], "count"), 0, "events were lost");
		}
	}
	cr_expect(summarized, "no sandbox in the trace");
	/* The same check as in-process, from the JSON: per sandbox, once
	 * seccomp(SECCOMP_SET_MODE_FILTER) returned 0, only allowed calls. */
	for (size_t i = 0; i < count; i++) {
		if (strcmp(json_text(&events[i], "event"), "syscall"))
			continue;
		uint64_t id = json_number(&events[i], "sandbox");
		const char *name = json_text(&events[i], "name");
		const struct json_value *args = json_get(&events[i], "args");
		cr_expect(!json_get(&events[i], "denied")->boolean, "%s was refused", name);
		if (id == sandbox) {
			cr_expect(is_allowed(allowed, allowed_count, name), "sandbox %llu called %s after its filter",
				  (unsigned long long)id, name);
			checked++;
		}
		uint64_t mode = 0;
		if (!strcmp(name, "seccomp") && json_to_u64(&args->items[0], &mode) &&
		    mode == SECCOMP_SET_MODE_FILTER && json_number(&events[i], "result") == 0)
			sandbox = id;
	}
	cr_expect_geq(sandboxes, 1);
	cr_expect_gt(checked, 0, "no call after the filter was seen");
	cr_log_info("corral audit -- corral run hello.jam: %zu events, %zu sandboxes, %zu calls after the filter",
		    count, sandboxes, checked);
	for (size_t i = 0; i < count; i++)
		json_free(&events[i]);
	free(events);
	guest_cleanup(folder);
}

/* ---- attacks ------------------------------------------------------------------ */

/* The call the seccomp filter refuses for each attack (NULL: an attack it
 * does not stop, tests/test_worker.c says how it ends), in which ABI. */
static const struct {
	const char *name;
	corral_audit_abi abi;
} refused_calls[ZYGOTE_ATTACK_COUNT] = {
	[ZYGOTE_ATTACK_OPEN] = {"open"},
	[ZYGOTE_ATTACK_OPENAT] = {"openat"},
	[ZYGOTE_ATTACK_OPENAT2] = {"openat2"},
	[ZYGOTE_ATTACK_CREATE] = {"openat"},
	[ZYGOTE_ATTACK_OPENAT_LEAKED_FD] = {"openat"},
	[ZYGOTE_ATTACK_PROC_SELF_MEM] = {"open"},
	[ZYGOTE_ATTACK_WRITE] = {"write"},
	[ZYGOTE_ATTACK_IOCTL] = {"ioctl"},
	[ZYGOTE_ATTACK_EXECVE] = {"execve"},
	[ZYGOTE_ATTACK_EXECVEAT] = {"execveat"},
	[ZYGOTE_ATTACK_MEMFD_CREATE] = {"memfd_create"},
	[ZYGOTE_ATTACK_MOUNT] = {"mount"},
	[ZYGOTE_ATTACK_UMOUNT2] = {"umount2"},
	[ZYGOTE_ATTACK_PIVOT_ROOT] = {"pivot_root"},
	[ZYGOTE_ATTACK_CHROOT] = {"chroot"},
	[ZYGOTE_ATTACK_SETNS] = {"setns"},
	[ZYGOTE_ATTACK_UNSHARE] = {"unshare"},
	[ZYGOTE_ATTACK_CLONE_NEWNS] = {"clone"},
	[ZYGOTE_ATTACK_CLONE3] = {"clone3"},
	[ZYGOTE_ATTACK_FORK] = {"fork"},
	[ZYGOTE_ATTACK_VFORK] = {"vfork"},
	[ZYGOTE_ATTACK_SOCKET_UNIX] = {"socket"},
	[ZYGOTE_ATTACK_SOCKET_INET] = {"socket"},
	[ZYGOTE_ATTACK_SOCKET_INET6] = {"socket"},
	[ZYGOTE_ATTACK_SOCKET_NETLINK] = {"socket"},
	[ZYGOTE_ATTACK_SOCKET_PACKET] = {"socket"},
	[ZYGOTE_ATTACK_SOCKETPAIR] = {"socketpair"},
	[ZYGOTE_ATTACK_CONNECT] = {"connect"},
	[ZYGOTE_ATTACK_SENDMSG] = {"sendmsg"},
	[ZYGOTE_ATTACK_RECVMSG_OTHER] = {"recvmsg"},
	[ZYGOTE_ATTACK_SHMGET] = {"shmget"},
	[ZYGOTE_ATTACK_MSGGET] = {"msgget"},
	[ZYGOTE_ATTACK_SEMGET] = {"semget"},
	[ZYGOTE_ATTACK_KILL_GROUP] = {"kill"},
	[ZYGOTE_ATTACK_KILL_ALL] = {"kill"},
	[ZYGOTE_ATTACK_KILL_PARENT] = {"getppid"}, /* its first step: the kill never comes */
	[ZYGOTE_ATTACK_TGKILL] = {"tgkill"},
	[ZYGOTE_ATTACK_PTRACE] = {"ptrace"},
	[ZYGOTE_ATTACK_PROCESS_VM_READV] = {"process_vm_readv"},
	[ZYGOTE_ATTACK_PROCESS_VM_WRITEV] = {"process_vm_writev"},
	[ZYGOTE_ATTACK_PIDFD_OPEN] = {"pidfd_open"},
	[ZYGOTE_ATTACK_PIDFD_GETFD] = {"pidfd_getfd"},
	[ZYGOTE_ATTACK_PRCTL] = {"prctl"},
	[ZYGOTE_ATTACK_SECCOMP] = {"seccomp"},
	[ZYGOTE_ATTACK_PERSONALITY] = {"personality"},
	[ZYGOTE_ATTACK_SETUID] = {"setuid"},
	[ZYGOTE_ATTACK_CAPSET] = {"capset"},
	[ZYGOTE_ATTACK_MMAP_EXEC] = {"mmap"},
	[ZYGOTE_ATTACK_MMAP_EXEC_GUEST] = {"mmap"},
	[ZYGOTE_ATTACK_MPROTECT_EXEC] = {"mprotect"},
	[ZYGOTE_ATTACK_MPROTECT_IMAGE] = {"mprotect"},
	[ZYGOTE_ATTACK_MPROTECT_CODE_RW] = {"mprotect"},
	[ZYGOTE_ATTACK_PKEY_MPROTECT] = {"pkey_mprotect"},
	[ZYGOTE_ATTACK_MREMAP] = {"mremap"},
	[ZYGOTE_ATTACK_MUNMAP_SHARED] = {"munmap"},
	[ZYGOTE_ATTACK_MEMORY_BOMB] = {"mmap"},
	[ZYGOTE_ATTACK_MADVISE] = {"madvise"},
	[ZYGOTE_ATTACK_IO_URING_SETUP] = {"io_uring_setup"},
	[ZYGOTE_ATTACK_USERFAULTFD] = {"userfaultfd"},
	[ZYGOTE_ATTACK_BPF] = {"bpf"},
	[ZYGOTE_ATTACK_KEYCTL] = {"keyctl"},
	[ZYGOTE_ATTACK_ADD_KEY] = {"add_key"},
	[ZYGOTE_ATTACK_PERF_EVENT_OPEN] = {"perf_event_open"},
	[ZYGOTE_ATTACK_FUTEX_REQUEUE] = {"futex"},
	[ZYGOTE_ATTACK_FUTEX_PRIVATE] = {"futex"},
	[ZYGOTE_ATTACK_INT80] = {"open", CORRAL_AUDIT_I386},
	[ZYGOTE_ATTACK_X32] = {"getpid", CORRAL_AUDIT_X32},
	[ZYGOTE_ATTACK_X32_ALLOWED] = {"exit_group", CORRAL_AUDIT_X32},
	[ZYGOTE_ATTACK_UNKNOWN_SYSCALL] = {"syscall_1000"},
};

/* Starts a worker of the attack zygote (the audit watches it from the
 * hook in host/worker.c), or skips where namespaces cannot be made. */
static void spawn_attacker(struct host_worker *worker)
{
	struct host_worker_options options = {.image = &test_zygote_attacks};
	corral_error error;
	if (host_worker_spawn(worker, &options, &error) == CORRAL_OK)
		return;
	if (strstr(error.message, "into new namespaces") || strstr(error.message, "user namespace"))
		cr_skip_test("no sandbox workers here: %s", error.message);
	cr_assert_fail("cannot start a worker: %s", error.message);
}

ParameterizedTestParameters(audit, every_attack_seccomp_stops_shows_refused_by_name_with_its_sigsys)
{
	static int attacks[ZYGOTE_ATTACK_COUNT];
	for (int i = 0; i < ZYGOTE_ATTACK_COUNT; i++)
		attacks[i] = i;
	return cr_make_param_array(int, attacks, ZYGOTE_ATTACK_COUNT);
}

ParameterizedTest(int *number, audit, every_attack_seccomp_stops_shows_refused_by_name_with_its_sigsys, .timeout = 30)
{
	enum zygote_attack attack = (enum zygote_attack) * number;
	const char *attack_name = zygote_attack_names[attack], *expected = refused_calls[attack].name;
	struct log log = {0};
	corral_audit *audit = audit_or_skip(&log, true, 0);
	struct host_worker worker;
	spawn_attacker(&worker);
	uint32_t id = (uint32_t)worker.pid;
	struct host_ring ring;
	host_ring_init(&ring, &worker);
	/* The create attack's path, in the guest page it reads and marks. */
	char path[64];
	snprintf(path, sizeof path, "/tmp/corral-audit-attack-%d", (int)getpid());
	memcpy(worker.guest + ZYGOTE_GUEST_LOW, path, strlen(path) + 1);
	struct zygote_sqe *sqe = host_ring_post(&ring, ZYGOTE_OP_PROTECT);
	sqe->args[0] = ZYGOTE_GUEST_LOW;
	sqe->args[1] = 4096;
	sqe->args[2] = ZYGOTE_ACCESS_WRITE;
	struct host_ring_limits limits = {.wall_ns = 2000000000ull};
	struct zygote_cqe done[ZYGOTE_RING_ENTRIES];
	size_t count;
	corral_error error;
	cr_assert_eq(host_ring_complete(&ring, &limits, done, &count, &error), CORRAL_OK, "%s", error.message);
	sqe = host_ring_post(&ring, ZYGOTE_OP_ATTACK);
	sqe->args[0] = (uint64_t)attack;
	sqe->args[1] = ZYGOTE_GUEST_LOW;
	limits.wall_ns = attack == ZYGOTE_ATTACK_HANG ? 300000000ull : 3000000000ull;
	host_ring_complete(&ring, &limits, done, &count, &error);
	host_worker_kill(&worker); /* the survivors, after their attempt */
	unlink(path);
	poll_until_exit(audit, &log, id);

	size_t refused = 0, last_call = 0, refused_at = 0;
	const struct seen *signal = NULL;
	for (size_t i = 0; i < log.count; i++) {
		const struct seen *seen = &log.items[i];
		if (seen->event.sandbox != id)
			continue;
		if (seen->event.kind == CORRAL_AUDIT_SYSCALL) {
			last_call = i;
			if (seen->event.denied) {
				refused++;
				refused_at = i;
			}
		}
		if (seen->event.kind == CORRAL_AUDIT_SIGNAL && seen->event.signal == SIGSYS)
			signal = seen;
	}
	const struct seen *end = exit_of(&log, id);
	if (!expected) {
		cr_expect_eq(refused, 0, "%s: seccomp does not stop it, yet %zu calls were refused", attack_name,
			     refused);
		cr_expect(!WIFSIGNALED(end->event.exit_status) || WTERMSIG(end->event.exit_status) != SIGSYS,
			  "%s: killed by SIGSYS", attack_name);
	} else {
		cr_assert_eq(refused, 1, "%s: %zu calls refused, expected one (%s)", attack_name, refused, expected);
		const struct seen *call = &log.items[refused_at];
		cr_expect_str_eq(call->name, expected, "%s: refused %s, expected %s", attack_name, call->name,
				 expected);
		cr_expect_eq(call->event.abi, refused_calls[attack].abi, "%s: ABI %d", attack_name,
			     (int)call->event.abi);
		cr_expect(!call->event.returned && call->event.signal == SIGSYS, "%s", attack_name);
		cr_expect_eq(refused_at, last_call, "%s: calls were seen after the refused one", attack_name);
		cr_assert_not_null(signal, "%s: no SIGSYS was seen", attack_name);
		cr_expect_eq(signal->event.signal_code, 1 /* SYS_SECCOMP */, "%s: si_code %d", attack_name,
			     signal->event.signal_code);
		cr_expect(signal->event.delivered && signal->event.sender == (int32_t)id, "%s", attack_name);
		cr_expect(WIFSIGNALED(end->event.exit_status) && WTERMSIG(end->event.exit_status) == SIGSYS,
			  "%s: the zygote's end, status %#x, is not SIGSYS's", attack_name,
			  (unsigned)end->event.exit_status);
	}
	cr_expect_eq(corral_audit_dropped(audit), 0);
	corral_audit_free(audit);
	free(log.items);
}

/* The CLI on the test helper that runs one attack (tests/helpers/attack.c). */
static void attack_through_cli(const char *options, const char *attack, struct process_result *result)
{
	support_require_sandbox();
	struct log probe = {0};
	corral_audit_free(audit_or_skip(&probe, false, 0));
	char root[PATH_MAX], folder[PATH_MAX], command[8 * PATH_MAX];
	cr_assert_not_null(getcwd(root, sizeof root));
	guest_workspace(folder, sizeof folder);
	const char *build = getenv("CORRAL_BUILD") && *getenv("CORRAL_BUILD") ? getenv("CORRAL_BUILD") : "build";
	snprintf(command, sizeof command, "'%s/%s' audit %s -- '%s/%s/tests/corral-attack' '%s'", root, guest_corral(),
		 options, root, build, attack);
	guest_shell(folder, command, NULL, result);
	guest_cleanup(folder);
	cr_assert_eq(result->status, 0, "%s: status %d: %s", command, result->status, result->errors);
}

Test(audit, corral_audit_shows_the_refused_call_and_the_signal_that_killed, .timeout = 60)
{
	struct process_result result;
	attack_through_cli("", "openat", &result);
	static const char *const lines[] = {
		"=== sandbox ",
		"seccomp(1, 0, ",
		"openat(-100, ",
		"= ?   <<< REFUSED by the seccomp filter",
		"--- SIGSYS {si_code=SYS_SECCOMP, from pid ",
		"+++ killed by SIGSYS +++",
		"corral audit: 1 sandbox, 0 events lost",
		"1 refused, 1 signal; killed by SIGSYS",
	};
	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
		cr_expect(strstr(result.errors, lines[i]), "no \"%s\" in the trace:\n%s", lines[i], result.errors);
	cr_expect(strstr(result.output, "killed by SIGSYS"), "the helper says: %s", result.output);
	guest_result_free(&result);

	attack_through_cli("--json", "socket AF_INET", &result);
	cr_expect(strstr(result.errors, "\"event\":\"syscall\",\"name\":\"socket\",\"number\":41,\"abi\":\"x86_64\","
					"\"args\":[2,1,0,"),
		  "the refused socket(AF_INET, SOCK_STREAM) in: %s", result.errors);
	cr_expect(strstr(result.errors, "\"returned\":false,\"denied\":true"), "%s", result.errors);
	cr_expect(strstr(result.errors, "\"refused\":{\"socket\":1}"), "%s", result.errors);
	guest_result_free(&result);
}

/* ---- without root -------------------------------------------------------------- */

Test(audit, says_in_one_line_why_it_cannot_run)
{
	corral_audit_config config;
	corral_audit_config_init(&config);
	config.buffer_size = 3000;
	corral_audit *audit;
	corral_error error;
	cr_assert_eq(corral_audit_new(&config, &audit, &error), CORRAL_ERROR_ARGUMENT);
	cr_expect(strstr(error.message, "buffer_size 3000 is not a power of two"), "%s", error.message);

	/* Without capabilities (root's dropped, or any other user's). */
	int pipe_fds[2];
	cr_assert_eq(pipe(pipe_fds), 0);
	pid_t child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
		struct __user_cap_data_struct none[2] = {{0}};
		corral_audit_config_init(&config);
		if (syscall(SYS_capset, &header, none) || corral_audit_new(&config, &audit, &error) == CORRAL_OK)
			_exit(1);
		(void)!write(pipe_fds[1], error.message, strlen(error.message) + 1);
		_exit(0);
	}
	close(pipe_fds[1]);
	char message[sizeof error.message] = {0};
	ssize_t got = read(pipe_fds[0], message, sizeof message - 1);
	close(pipe_fds[0]);
	int status;
	waitpid(child, &status, 0);
	cr_assert(got > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "an audit loaded without capabilities");
	if (strstr(message, "no BTF"))
		cr_skip_test("%s", message);
	cr_expect(strstr(message, "needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)"), "%s", message);
	cr_expect(!strchr(message, '\n'), "more than one line: %s", message);
}

Test(audit, the_cli_stops_or_goes_on_unaudited_as_asked)
{
	if (geteuid() != 0)
		cr_skip_test("needs root, to become another user");
	if (system("command -v setpriv >/dev/null 2>&1"))
		cr_skip_test("no setpriv (util-linux)");
	char root[PATH_MAX], folder[PATH_MAX], command[3 * PATH_MAX];
	cr_assert_not_null(getcwd(root, sizeof root));
	guest_workspace(folder, sizeof folder);
	cr_assert_eq(chmod(folder, 0777), 0);
	static const char *const as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all";
	struct process_result result;
	snprintf(command, sizeof command, "%s '%s/%s' audit -- echo ran", as_nobody, root, guest_corral());
	guest_shell(folder, command, NULL, &result);
	if (result.status == 126 || result.status == 127)
		cr_skip_test("nobody cannot run %s/%s here", root, guest_corral());
	cr_expect_eq(result.status, 1, "required: status %d", result.status);
	cr_expect_eq(result.length, 0, "the command ran: %s", result.output);
	cr_expect(strstr(result.errors, "corral: cannot audit: ") && strstr(result.errors, "--audit=optional") &&
			  strchr(result.errors, '\n') == result.errors + strlen(result.errors) - 1,
		  "not one line that says why: %s", result.errors);
	guest_result_free(&result);
	snprintf(command, sizeof command, "%s '%s/%s' audit --audit=optional -- echo ran", as_nobody, root,
		 guest_corral());
	guest_shell(folder, command, NULL, &result);
	cr_expect_eq(result.status, 0, "optional: status %d: %s", result.status, result.errors);
	cr_expect_str_eq(result.output, "ran\n");
	cr_expect(strstr(result.errors, "; running unaudited (--audit=optional)"), "%s", result.errors);
	guest_result_free(&result);
	guest_cleanup(folder);
}

/* ---- only the sandbox ----------------------------------------------------------- */

/* getppid in a loop until killed (the sandbox never calls it). */
static int busy(void *unused)
{
	(void)unused;
	for (;;)
		syscall(SYS_getppid);
	return 0;
}

/* A child running `function`, in a new pid namespace of its own when
 * `namespace`; its stack stays allocated (the test is short). */
static pid_t start_child(int (*function)(void *), void *argument, bool namespace)
{
	size_t size = 256 << 10;
	char *stack = malloc(size);
	cr_assert_not_null(stack);
	pid_t pid = clone(function, stack + size, (namespace ? CLONE_NEWPID : 0) | SIGCHLD, argument);
	cr_assert_gt(pid, 0, "clone: %s", strerror(errno));
	return pid;
}

Test(audit, processes_beside_the_sandbox_never_show, .timeout = 60)
{
	support_require_sandbox();
	struct log log = {0};
	corral_audit *audit = audit_or_skip(&log, true, 0);
	pid_t beside = start_child(busy, NULL, false), other_namespace = start_child(busy, NULL, true);
	struct host_worker workers[3];
	for (int i = 0; i < 3; i++) {
		struct host_worker_options options = {0};
		corral_error error;
		cr_assert_eq(host_worker_spawn(&workers[i], &options, &error), CORRAL_OK, "%s", error.message);
		struct host_ring ring;
		host_ring_init(&ring, &workers[i]);
		for (int j = 0; j < 50; j++) {
			host_ring_post(&ring, ZYGOTE_OP_NOP);
			struct host_ring_limits limits = {.wall_ns = 2000000000ull};
			struct zygote_cqe done[ZYGOTE_RING_ENTRIES];
			size_t count;
			cr_assert_eq(host_ring_complete(&ring, &limits, done, &count, &error), CORRAL_OK, "%s",
				     error.message);
		}
		usleep(20000);
	}
	for (int i = 0; i < 3; i++)
		host_worker_kill(&workers[i]);
	for (int i = 0; i < 3; i++)
		poll_until_exit(audit, &log, (uint32_t)workers[i].pid);
	kill(beside, SIGKILL);
	kill(other_namespace, SIGKILL);
	waitpid(beside, NULL, 0);
	waitpid(other_namespace, NULL, 0);
	corral_error error;
	cr_assert_eq(corral_audit_poll(audit, 50, NULL, &error), CORRAL_OK);
	size_t per_worker[3] = {0};
	for (size_t i = 0; i < log.count; i++) {
		const corral_audit_event *event = &log.items[i].event;
		int worker = -1;
		for (int w = 0; w < 3; w++)
			if (event->sandbox == (uint32_t)workers[w].pid)
				worker = w;
		cr_expect_geq(worker, 0, "an event of sandbox %u, which is none of ours", event->sandbox);
		cr_expect_eq(event->pid, (int32_t)event->sandbox, "an event of process %d in sandbox %u", event->pid,
			     event->sandbox);
		cr_expect(event->pid != beside && event->pid != other_namespace,
			  "an event of a busy process beside the sandbox");
		cr_expect(strcmp(log.items[i].name, "getppid"), "getppid, which only the busy processes call");
		per_worker[worker >= 0 ? worker : 0]++;
	}
	for (int w = 0; w < 3; w++)
		cr_expect_gt(per_worker[w], 50, "worker %d: %zu events (its start-up alone makes some ninety)", w,
			     per_worker[w]);
	corral_audit_free(audit);
	free(log.items);
}

/* ---- no event lost --------------------------------------------------------------- */

#define PACED_CALLS_PER_MS 110
#define PACED_MS           1000

struct paced {
	int go[2], report[2];
};

/* 110 getppid calls each millisecond for a second, then how many and how
 * long, on the report pipe. It ends with _exit: no exit handler of the
 * test process (LeakSanitizer's, say) runs in it. */
static int paced_calls(void *argument)
{
	struct paced *paced = argument;
	char byte;
	if (read(paced->go[0], &byte, 1) != 1)
		_exit(1);
	uint64_t calls = 0, start = now_ns();
	for (uint64_t ms = 0; ms < PACED_MS; ms++) {
		while (now_ns() < start + ms * 1000000ull)
			;
		for (int i = 0; i < PACED_CALLS_PER_MS; i++, calls++)
			syscall(SYS_getppid);
	}
	uint64_t report[2] = {calls, now_ns() - start};
	_exit(write(paced->report[1], report, sizeof report) == sizeof report ? 0 : 1);
}

Test(audit, loses_no_event_at_100000_calls_a_second, .timeout = 60)
{
	struct log log = {0};
	corral_audit *audit = audit_or_skip(&log, false, 0);
	struct paced paced;
	cr_assert_eq(pipe(paced.go), 0);
	cr_assert_eq(pipe(paced.report), 0);
	pid_t child = start_child(paced_calls, &paced, true);
	corral_error error;
	cr_assert_eq(corral_audit_watch_pid(audit, child, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(write(paced.go[1], "", 1), 1);
	poll_until_exit(audit, &log, (uint32_t)child);
	uint64_t report[2] = {0};
	cr_assert_eq(read(paced.report[0], report, sizeof report), (ssize_t)sizeof report);
	int status;
	waitpid(child, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	size_t seen = 0;
	for (size_t i = 0; i < log.count; i++)
		seen += log.items[i].event.sandbox == (uint32_t)child && !strcmp(log.items[i].name, "getppid") &&
			log.items[i].event.returned && log.items[i].event.result == 0;
	double rate = (double)report[0] / ((double)report[1] / 1e9);
	uint64_t dropped = corral_audit_dropped(audit);
	cr_log_info("%llu getppid calls in %.3f s (%.0f a second): %zu events, %llu dropped",
		    (unsigned long long)report[0], report[1] / 1e9, rate, seen, (unsigned long long)dropped);
	cr_expect_eq(report[0], (uint64_t)PACED_CALLS_PER_MS * PACED_MS);
	cr_expect_geq(rate, 100000, "the child made only %.0f calls a second", rate);
	cr_expect_eq(dropped, 0, "%llu events dropped", (unsigned long long)dropped);
	cr_expect_eq(seen, report[0], "%zu events for %llu calls", seen, (unsigned long long)report[0]);
	corral_audit_free(audit);
	free(log.items);
	close(paced.go[0]);
	close(paced.go[1]);
	close(paced.report[0]);
	close(paced.report[1]);
}

/* ---- the API's edges ------------------------------------------------------------ */

Test(audit, watches_only_what_it_can_and_leaves_no_fd_behind)
{
	struct log log = {0};
	corral_audit_free(audit_or_skip(&log, true, 0)); /* libbpf's one-time probes */
	int fds = count_fds();
	for (int i = 0; i < 3; i++) {
		corral_audit *audit = audit_or_skip(&log, true, 1u << 16);
		corral_error error;
		cr_assert_eq(corral_audit_watch_pid(audit, getpid(), &error), CORRAL_ERROR_ARGUMENT);
		cr_expect(strstr(error.message, "in this process's own pid namespace"), "%s", error.message);
		cr_assert_eq(corral_audit_watch_pid(audit, 0, &error), CORRAL_ERROR_ARGUMENT);
		cr_assert_eq(corral_audit_watch_children(audit, -5, &error), CORRAL_ERROR_ARGUMENT);
		cr_expect(strstr(error.message, "process -5: no such process"), "%s", error.message);
		cr_assert_eq(corral_audit_watch_children(audit, getpid(), &error), CORRAL_OK, "%s", error.message);
		size_t count = 99;
		cr_assert_eq(corral_audit_poll(audit, 0, &count, &error), CORRAL_OK, "%s", error.message);
		cr_assert_eq(count, 0, "events of no sandbox");
		corral_audit_free(audit);
	}
	corral_audit_free(NULL);
	cr_assert_eq(count_fds(), fds, "%d fds before, %d after", fds, count_fds());
	/* Freed, it watches nothing: a worker starts as ever. */
	if (support_sandbox_works(NULL)) {
		struct host_worker worker;
		corral_error error;
		cr_assert_eq(host_worker_spawn(&worker, NULL, &error), CORRAL_OK, "%s", error.message);
		host_worker_kill(&worker);
	}
	free(log.items);
}

Test(audit, names_system_calls_of_each_abi)
{
	char buffer[32];
	cr_assert_str_eq(corral_audit_syscall_name(CORRAL_AUDIT_X86_64, 257, buffer, sizeof buffer), "openat");
	cr_assert_str_eq(corral_audit_syscall_name(CORRAL_AUDIT_X86_64, 0, buffer, sizeof buffer), "read");
	cr_assert_str_eq(corral_audit_syscall_name(CORRAL_AUDIT_I386, 5, buffer, sizeof buffer), "open");
	cr_assert_str_eq(corral_audit_syscall_name(CORRAL_AUDIT_X32, 39, buffer, sizeof buffer), "getpid");
	cr_assert_str_eq(corral_audit_syscall_name(CORRAL_AUDIT_X86_64, 1000, buffer, sizeof buffer), "syscall_1000");
	cr_assert_str_eq(corral_audit_syscall_name(CORRAL_AUDIT_X86_64, -1, buffer, sizeof buffer), "syscall_-1");
	cr_assert_str_eq(corral_audit_syscall_name((corral_audit_abi)7, 1, buffer, sizeof buffer), "syscall_1");
}
