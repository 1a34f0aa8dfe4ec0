/* Probing what this kernel and CPU offer, once per process.
 *
 * A probe that only reads a version number can lie (a feature compiled in
 * but refused by a sysctl, an LSM or a seccomp filter around us), so each
 * one uses the feature as the runtime will: the namespaces are entered by a
 * cloned child, the memfd is sealed and executed, the seccomp filter and the
 * Landlock domain are installed in a child and must refuse something. The
 * children are cloned with exit_signal 0 and reaped by pid, so that an
 * embedder's SIGCHLD handler neither sees nor steals them; every fd, map,
 * ring and cgroup a probe makes is gone when it returns. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <liburing.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/features.h"
#include "host/internal.h"
#include "host/pager.h"

/* Newer than the 6.1 uapi headers we build against. */
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: ask for an executable memfd when vm.memfd_noexec allows it */
#endif
#define HOST_UFFD_FEATURE_WP_UNPOPULATED (1u << 13) /* Linux 6.4 */
#define HOST_UFFD_FEATURE_POISON         (1u << 14) /* Linux 6.6 */
#define HOST_UFFD_FEATURE_WP_ASYNC       (1u << 15) /* Linux 6.7 */
#define HOST_UFFD_FEATURE_MOVE           (1u << 16) /* Linux 6.8 */
#define HOST_IORING_OP_WAITID            50         /* Linux 6.7 */
#define HOST_IORING_OP_FUTEX_WAIT        51         /* Linux 6.7 */
#define HOST_IORING_OP_FUTEX_WAKE        52         /* Linux 6.7 */
#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK /* Linux 5.10 */
#endif

/* ---- reports ------------------------------------------------------------ */

static void append(struct host_feature_report *report, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void append(struct host_feature_report *report, const char *format, ...)
{
	size_t used = strlen(report->detail);
	if (used + 1 >= sizeof report->detail)
		return;
	va_list args;
	va_start(args, format);
	vsnprintf(report->detail + used, sizeof report->detail - used, format, args);
	va_end(args);
}

static void say(struct host_feature_report *report, bool available, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct host_feature_report *report, bool available, const char *format, ...)
{
	report->available = available;
	va_list args;
	va_start(args, format);
	vsnprintf(report->detail, sizeof report->detail, format, args);
	va_end(args);
}

/* The first line of a small file such as a sysctl under /proc/sys, without
 * its newline; false when it cannot be read. */
static bool read_line(const char *path, char *line, size_t size)
{
	FILE *file = fopen(path, "re");
	if (!file)
		return false;
	bool got = fgets(line, (int)size, file) != NULL;
	fclose(file);
	if (got)
		line[strcspn(line, "\n")] = 0;
	return got;
}

/* Is `word` one of the items of `list`, separated by any of `separators`? */
static bool has_word(const char *list, const char *word, const char *separators)
{
	size_t length = strlen(word);
	for (const char *item = list; *item; item += strcspn(item, separators)) {
		item += strspn(item, separators);
		if (!strncmp(item, word, length) && (item[length] == 0 || strchr(separators, item[length])))
			return true;
	}
	return false;
}

/* ENOSYS means the kernel lacks the call, unless a seccomp filter around
 * this process (a container's) answers for it: say which may be the case. */
static const char *enosys_hint(void)
{
	return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == SECCOMP_MODE_FILTER
		       ? ", or the seccomp filter this process runs under hides it"
		       : "";
}

/* ---- children ----------------------------------------------------------- */

/* What a probe's child found, in memory it shares with the parent: the
 * step that failed (NULL when none did) and the errno it failed with. */
struct child_outcome {
	const char *step;
	int error;
};

typedef void child_body(struct child_outcome *outcome, const void *argument);

static void child_failed(struct child_outcome *outcome, const char *step)
{
	outcome->step = step;
	outcome->error = errno;
	syscall(SYS_exit_group, 1);
}

/* Clones a child with `flags` (namespaces) that runs `body` and then exits
 * 0, and waits for it. The body may only make system calls: our other
 * threads may hold locks (malloc's, stdio's) that the child inherits held.
 * Returns 0 with *outcome and *info (waitid's) filled, or the errno of
 * clone3 or waitid. */
static int run_child(uint64_t flags, child_body *body, const void *argument, struct child_outcome *outcome,
		     siginfo_t *info)
{
	struct child_outcome *shared =
		mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return errno;
	*shared = (struct child_outcome){0};
	struct clone_args args = {.flags = flags, .exit_signal = 0};
	long pid = syscall(SYS_clone3, &args, sizeof args);
	/* Container runtimes' own seccomp filters often answer clone3 with
	 * ENOSYS: that tells against namespaces (the sandbox needs clone3 for
	 * them) but not against what a plain child probes. */
	if (pid < 0 && errno == ENOSYS && !flags)
		pid = syscall(SYS_clone, 0, NULL, NULL, NULL, 0);
	if (pid == 0) {
		body(shared, argument);
		syscall(SYS_exit_group, 0);
	}
	int problem = pid < 0 ? errno : 0;
	if (pid > 0) {
		memset(info, 0, sizeof *info);
		/* __WALL: a child with no exit signal is a "clone" child. */
		while (waitid(P_PID, (id_t)pid, info, WEXITED | __WALL) < 0)
			if (errno != EINTR) {
				problem = errno;
				break;
			}
		*outcome = *shared;
	}
	munmap(shared, sizeof *shared);
	return problem;
}

/* Why a child did not do what it should have, into the report; false when
 * it did (exited 0, or `want_status` when that is not 0). */
static bool child_trouble(struct host_feature_report *report, const char *what, int problem,
			  const struct child_outcome *outcome, const siginfo_t *info, int want_status)
{
	if (problem)
		say(report, false, "%s: %s%s", what, strerror(problem), problem == ENOSYS ? enosys_hint() : "");
	else if (outcome->step)
		say(report, false, "%s: %s", outcome->step, strerror(outcome->error));
	else if (info->si_code != CLD_EXITED)
		say(report, false, "%s: the child was killed by signal %d", what, info->si_status);
	else if (info->si_status != want_status)
		say(report, false, "%s: the child exited %d, not %d", what, info->si_status, want_status);
	else
		return false;
	return true;
}

static void child_nothing(struct child_outcome *outcome, const void *argument)
{
	(void)outcome;
	(void)argument;
}

/* ---- the CPU ------------------------------------------------------------ */

static void probe_jit_cpu(const struct host_feature_report *earlier, struct host_feature_report *report)
{
	(void)earlier;
	corral_error error;
	if (host_jit_check_cpu(&error) == CORRAL_OK)
		say(report, true, "x86-64 with POPCNT, LZCNT (ABM) and BMI1; %s",
		    host_jit_fsgsbase()
			    ? "FSGSBASE: compiled code in this process anchors in GS's base"
			    : "no FSGSBASE (Linux 5.9 and the CPU): compiled code in this process is a little slower "
			      "(a guest memory access takes two instructions, gas is kept in memory)");
	else
		say(report, false, "%s", error.message);
}

/* ---- namespaces --------------------------------------------------------- */

/* Knobs that switch unprivileged user namespaces off, and the value that
 * does it: named in the report when clone3 is refused. */
static const struct {
	const char *path;
	const char *name;
	const char *off;
} userns_knobs[] = {
	{"/proc/sys/kernel/unprivileged_userns_clone", "kernel.unprivileged_userns_clone", "0"},
	{"/proc/sys/user/max_user_namespaces", "user.max_user_namespaces", "0"},
	{"/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "kernel.apparmor_restrict_unprivileged_userns", "1"},
};

static void probe_user_namespaces(const struct host_feature_report *earlier, struct host_feature_report *report)
{
	(void)earlier;
	struct child_outcome outcome;
	siginfo_t info;
	int problem = run_child(CLONE_NEWUSER, child_nothing, NULL, &outcome, &info);
	if (!child_trouble(report, "clone3(CLONE_NEWUSER)", problem, &outcome, &info, 0)) {
		char limit[32];
		say(report, true, "clone3(CLONE_NEWUSER) as uid %u", (unsigned)geteuid());
		if (read_line(userns_knobs[1].path, limit, sizeof limit))
			append(report, "; %s=%s", userns_knobs[1].name, limit);
		return;
	}
	for (size_t i = 0; i < sizeof userns_knobs / sizeof userns_knobs[0]; i++) {
		char value[32];
		if (read_line(userns_knobs[i].path, value, sizeof value) && !strcmp(value, userns_knobs[i].off))
			append(report, "; %s=%s", userns_knobs[i].name, value);
	}
}

/* The namespaces a zygote is cloned into besides its user namespace. */
static const struct {
	uint64_t flag;
	const char *name;
} namespaces[] = {
	{CLONE_NEWNS, "mnt"},  {CLONE_NEWPID, "pid"}, {CLONE_NEWNET, "net"},
	{CLONE_NEWIPC, "ipc"}, {CLONE_NEWUTS, "uts"}, {CLONE_NEWCGROUP, "cgroup"},
};

/* Proves the child really is in a new pid namespace. */
static void child_pid_one(struct child_outcome *outcome, const void *argument)
{
	(void)argument;
	if (syscall(SYS_getpid) != 1) {
		errno = ESRCH;
		child_failed(outcome, "getpid() in the new pid namespace is not 1");
	}
}

static void probe_namespaces(const struct host_feature_report *earlier, struct host_feature_report *report)
{
	if (!earlier[HOST_FEATURE_USER_NAMESPACES].available) {
		say(report, false, "not tried: the sandbox makes them inside a new user namespace, and there is none");
		return;
	}
	uint64_t flags = CLONE_NEWUSER;
	for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++)
		flags |= namespaces[i].flag;
	struct child_outcome outcome;
	siginfo_t info;
	int problem = run_child(flags, child_pid_one, NULL, &outcome, &info);
	if (!child_trouble(report, "clone3(user mnt pid net ipc uts cgroup)", problem, &outcome, &info, 0)) {
		say(report, true, "user mnt pid net ipc uts cgroup, entered by one clone3");
		return;
	}
	/* Which one is refused, for the reason: each alone beside the user
	 * namespace. */
	for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++) {
		problem = run_child(CLONE_NEWUSER | namespaces[i].flag, child_nothing, NULL, &outcome, &info);
		if (problem)
			append(report, "; %s: %s", namespaces[i].name, strerror(problem));
	}
}

/* ---- a sealed memfd, executed ------------------------------------------- */

#if defined(__x86_64__)
/* The smallest program there is: exit_group(42). Its status proves that
 * what execveat started was ours. */
static const uint8_t exit_42[] = {
	0xbf, 42,   0, 0, 0, /* mov edi, 42 */
	0xb8, 231,  0, 0, 0, /* mov eax, SYS_exit_group */
	0x0f, 0x05,          /* syscall */
};

struct tiny_elf {
	Elf64_Ehdr header;
	Elf64_Phdr segment;
	uint8_t code[sizeof exit_42];
};

static void tiny_elf(struct tiny_elf *elf)
{
	const Elf64_Addr base = 0x400000;
	memset(elf, 0, sizeof *elf);
	memcpy(elf->header.e_ident, ELFMAG, SELFMAG);
	elf->header.e_ident[EI_CLASS] = ELFCLASS64;
	elf->header.e_ident[EI_DATA] = ELFDATA2LSB;
	elf->header.e_ident[EI_VERSION] = EV_CURRENT;
	elf->header.e_type = ET_EXEC;
	elf->header.e_machine = EM_X86_64;
	elf->header.e_version = EV_CURRENT;
	elf->header.e_entry = base + offsetof(struct tiny_elf, code);
	elf->header.e_phoff = offsetof(struct tiny_elf, segment);
	elf->header.e_ehsize = sizeof elf->header;
	elf->header.e_phentsize = sizeof elf->segment;
	elf->header.e_phnum = 1;
	elf->segment.p_type = PT_LOAD;
	elf->segment.p_flags = PF_R | PF_X;
	elf->segment.p_vaddr = elf->segment.p_paddr = base;
	elf->segment.p_filesz = elf->segment.p_memsz = sizeof *elf;
	elf->segment.p_align = 0x1000;
	memcpy(elf->code, exit_42, sizeof exit_42);
}

static void child_execveat(struct child_outcome *outcome, const void *argument)
{
	char *const argv[] = {"corral-check", NULL}, *const envp[] = {NULL};
	syscall(SYS_execveat, *(const int *)argument, "", argv, envp, AT_EMPTY_PATH);
	child_failed(outcome, "execveat(memfd, AT_EMPTY_PATH)");
}
#endif

static const unsigned zygote_seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

/* The program in a new memfd, sealed as the zygote's is; -1 with the
 * report said when a step fails. */
static int sealed_memfd(struct host_feature_report *report, const void *bytes, size_t length)
{
	int fd = memfd_create("corral-check", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL) /* before Linux 6.3, which knows no MFD_EXEC */
		fd = memfd_create("corral-check", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		char noexec[16];
		say(report, false, "memfd_create: %s", strerror(errno));
		if (read_line("/proc/sys/vm/memfd_noexec", noexec, sizeof noexec) && strcmp(noexec, "0"))
			append(report, "; vm.memfd_noexec=%s", noexec);
		return -1;
	}
	const char *step = NULL;
	if (write(fd, bytes, length) != (ssize_t)length)
		step = "write";
	else if (fcntl(fd, F_ADD_SEALS, zygote_seals))
		step = "fcntl(F_ADD_SEALS)";
	else if ((fcntl(fd, F_GET_SEALS) & (int)zygote_seals) != (int)zygote_seals)
		step = (errno = EPERM, "fcntl(F_GET_SEALS): a seal did not hold");
	if (!step)
		return fd;
	say(report, false, "%s: %s", step, strerror(errno));
	close(fd);
	return -1;
}

static void probe_memfd_exec(const struct host_feature_report *earlier, struct host_feature_report *report)
{
	(void)earlier;
#if defined(__x86_64__)
	struct tiny_elf elf;
	tiny_elf(&elf);
	int fd = sealed_memfd(report, &elf, sizeof elf);
	if (fd < 0)
		return;
	struct child_outcome outcome;
	siginfo_t info;
	int problem = run_child(0, child_execveat, &fd, &outcome, &info);
	close(fd);
	if (!child_trouble(report, "execveat of a sealed memfd", problem, &outcome, &info, 42))
		say(report, true, "memfd sealed (seal, shrink, grow, write) and run by execveat(AT_EMPTY_PATH)");
#else
	say(report, false, "not probed: the probe's program is x86-64 code");
#endif
}

/* ---- seccomp ------------------------------------------------------------ */

static const struct {
	uint32_t action;
	const char *name;
} seccomp_actions[] = {
	{SECCOMP_RET_KILL_PROCESS, "kill_process"},
	{SECCOMP_RET_KILL_THREAD, "kill_thread"},
	{SECCOMP_RET_TRAP, "trap"},
	{SECCOMP_RET_ERRNO, "errno"},
	{SECCOMP_RET_USER_NOTIF, "user_notif"},
	{SECCOMP_RET_TRACE, "trace"},
	{SECCOMP_RET_LOG, "log"},
	{SECCOMP_RET_ALLOW, "allow"},
};

/* What the child's filter makes getppid fail with: an errno no kernel
 * returns for getppid, so seeing it proves the filter ran. The filter
 * answers with an errno rather than a kill so that the probe leaves no
 * core dump and no audit record behind; that kill_process exists is asked
 * of the kernel separately. */
#define SECCOMP_PROBE_ERRNO 1234

static void child_seccomp(struct child_outcome *outcome, const void *argument)
{
	(void)argument;
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | SECCOMP_PROBE_ERRNO),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog program = {.len = sizeof code / sizeof code[0], .filter = code};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		child_failed(outcome, "prctl(PR_SET_NO_NEW_PRIVS)");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program))
		child_failed(outcome, "seccomp(SECCOMP_SET_MODE_FILTER)");
	if (syscall(SYS_getppid) != -1 || errno != SECCOMP_PROBE_ERRNO) {
		errno = EPERM;
		child_failed(outcome, "the installed filter did not answer getppid");
	}
}

static void probe_seccomp(const struct host_feature_report *earlier, struct host_feature_report *report)
{
	(void)earlier;
	int mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
	if (mode < 0) {
		say(report, false, "prctl(PR_GET_SECCOMP): %s (a kernel without CONFIG_SECCOMP)", strerror(errno));
		return;
	}
	uint32_t kill = SECCOMP_RET_KILL_PROCESS;
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &kill)) {
		say(report, false, "seccomp(SECCOMP_GET_ACTION_AVAIL, kill_process): %s", strerror(errno));
		return;
	}
	struct child_outcome outcome;
	siginfo_t info;
	int problem = run_child(0, child_seccomp, NULL, &outcome, &info);
	if (child_trouble(report, "a seccomp filter in a child", problem, &outcome, &info, 0))
		return;
	say(report, true, "filter installed and obeyed%s; actions:",
	    mode == SECCOMP_MODE_FILTER ? " (this process is itself filtered already)" : "");
	for (size_t i = 0; i < sizeof seccomp_actions / sizeof seccomp_actions[0]; i++) {
		uint32_t action = seccomp_actions[i].action;
		if (!syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action))
			append(report, " %s", seccomp_actions[i].name);
	}
}

/* ---- Landlock ----------------------------------------------------------- */

/* What each Landlock ABI added, for the report. */
static const char *const landlock_abis[] = {
	[1] = "fs",                 /* Linux 5.13 */
	[2] = "refer",              /* Linux 5.19 */
	[3] = "truncate",           /* Linux 6.2 */
	[4] = "tcp",                /* Linux 6.7 */
	[5] = "ioctl",              /* Linux 6.10 */
	[6] = "signal+unix scopes", /* Linux 6.12 */
	[7] = "audit logs",         /* Linux 6.15 */
};

static void child_landlock(struct child_outcome *outcome, const void *argument)
{
	(void)argument;
	struct landlock_ruleset_attr attributes = {
		.handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR,
	};
	long ruleset = syscall(SYS_landlock_create_ruleset, &attributes, sizeof attributes, 0);
	if (ruleset < 0)
		child_failed(outcome, "landlock_create_ruleset");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		child_failed(outcome, "prctl(PR_SET_NO_NEW_PRIVS)");
	if (syscall(SYS_landlock_restrict_self, ruleset, 0))
		child_failed(outcome, "landlock_restrict_self");
	/* No rule allows reading anything: the root folder must be refused. */
	if (syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC) >= 0 || errno != EACCES) {
		errno = EPERM;
		child_failed(outcome, "the Landlock domain let / be opened");
	}
}

static void probe_landlock(const struct host_feature_report *earlier, struct host_feature_report *report)
{
	(void)earlier;
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		if (errno == ENOSYS)
			say(report, false, "not in this kernel (Linux 5.13, CONFIG_SECURITY_LANDLOCK)%s",
			    enosys_hint());
		else if (errno == EOPNOTSUPP)
			say(report, false, "disabled at boot (add landlock to the lsm= kernel parameter)");
		else
			say(report, false, "landlock_create_ruleset(VERSION): %s", strerror(errno));
		return;
	}
	struct child_outcome outcome;
	siginfo_t info;
	int problem = run_child(0, child_landlock, NULL, &outcome, &info);
	if (child_trouble(report, "a Landlock domain in a child", problem, &outcome, &info, 0)) {
		char reason[sizeof report->detail];
		snprintf(reason, sizeof reason, "%s", report->detail);
		say(report, false, "ABI %ld, but %s", abi, reason);
		return;
	}
	say(report, true, "ABI %ld:", abi);
	size_t known = sizeof landlock_abis / sizeof landlock_abis[0];
	for (long i = 1; i <= abi && i < (long)known; i++)
		append(report, "%s %s", i > 1 ? "," : "", landlock_abis[i]);
	if (abi >= (long)known)
		append(report, " and more");
}

/* ---- userfaultfd -------------------------------------------------------- */

static const struct {
	uint64_t bit;
	const char *name;
} uffd_features[] = {
	{UFFD_FEATURE_PAGEFAULT_FLAG_WP, "WP"},
	{UFFD_FEATURE_EVENT_FORK, "EVENT_FORK"},
	{UFFD_FEATURE_EVENT_REMAP, "EVENT_REMAP"},
	{UFFD_FEATURE_EVENT_REMOVE, "EVENT_REMOVE"},
	{UFFD_FEATURE_EVENT_UNMAP, "EVENT_UNMAP"},
	{UFFD_FEATURE_MISSING_HUGETLBFS, "MISSING_HUGETLBFS"},
	{UFFD_FEATURE_MISSING_SHMEM, "MISSING_SHMEM"},
	{UFFD_FEATURE_SIGBUS, "SIGBUS"},
	{UFFD_FEATURE_THREAD_ID, "THREAD_ID"},
	{UFFD_FEATURE_MINOR_HUGETLBFS, "MINOR_HUGETLBFS"},
	{UFFD_FEATURE_MINOR_SHMEM, "MINOR_SHMEM"},
	{UFFD_FEATURE_EXACT_ADDRESS, "EXACT_ADDRESS"},
	{UFFD_FEATURE_WP_HUGETLBFS_SHMEM, "WP_SHMEM"},
	{HOST_UFFD_FEATURE_WP_UNPOPULATED, "WP_UNPOPULATED"},
	{HOST_UFFD_FEATURE_POISON, "POISON"},
	{HOST_UFFD_FEATURE_WP_ASYNC, "WP_ASYNC"},
	{HOST_UFFD_FEATURE_MOVE, "MOVE"},
};

/* As the zygote will: a user-mode-only userfaultfd with the features
 * paging needs, and one memfd page registered for missing and
 * write-protect faults. Everything goes with the child. */
static void child_userfaultfd(struct child_outcome *outcome, const void *argument)
{
	(void)argument;
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		child_failed(outcome, "userfaultfd(UFFD_USER_MODE_ONLY)");
	/* What dynamic paging asks for (host/pager.c): faults on memfd
	 * (shmem) pages delivered as SIGBUS, missing and write-protected. */
	struct uffdio_api api = {.api = UFFD_API, .features = host_pager_features()};
	if (ioctl((int)fd, UFFDIO_API, &api))
		child_failed(outcome, "UFFDIO_API with SIGBUS, MISSING_SHMEM and WP_SHMEM");
	long memory = syscall(SYS_memfd_create, "corral-check", MFD_CLOEXEC);
	if (memory < 0)
		child_failed(outcome, "memfd_create");
	if (syscall(SYS_ftruncate, memory, 4096))
		child_failed(outcome, "ftruncate");
	long page = syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, memory, 0);
	if (page < 0)
		child_failed(outcome, "mmap");
	struct uffdio_register region = {
		.range = {.start = (uint64_t)page, .len = 4096},
		.mode = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP,
	};
	if (ioctl((int)fd, UFFDIO_REGISTER, &region))
		child_failed(outcome, "UFFDIO_REGISTER of a memfd page (missing + write-protect)");
}

/* The features this kernel's userfaultfd offers, asked in this process;
 * false with the report said when there is none. */
static bool uffd_offered(struct host_feature_report *report, uint64_t *features)
{
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0) {
		if (errno == ENOSYS)
			say(report, false, "not in this kernel (CONFIG_USERFAULTFD)%s", enosys_hint());
		else if (errno == EINVAL)
			say(report, false, "userfaultfd: no UFFD_USER_MODE_ONLY before Linux 5.11");
		else
			say(report, false, "userfaultfd(UFFD_USER_MODE_ONLY): %s", strerror(errno));
		return false;
	}
	/* Asking for no feature makes the kernel answer with all it has. */
	struct uffdio_api api = {.api = UFFD_API};
	int failed = ioctl((int)fd, UFFDIO_API, &api);
	int problem = errno;
	close((int)fd);
	if (failed) {
		say(report, false, "UFFDIO_API: %s", strerror(problem));
		return false;
	}
	*features = api.features;
	return true;
}

static void append_dev_userfaultfd(struct host_feature_report *report)
{
	int device = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	int fd = device < 0 ? -1 : ioctl(device, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0)
		append(report, "; /dev/userfaultfd too");
	else
		append(report, "; /dev/userfaultfd: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	if (device >= 0)
		close(device);
}

static void probe_userfaultfd(const struct host_feature_report *earlier, struct host_feature_report *report)
{
	uint64_t features;
	if (!uffd_offered(report, &features))
		return;
	uint64_t needed = host_pager_features();
	if ((features & needed) != needed) {
		say(report, false, "the kernel's userfaultfd lacks a feature paging needs:");
		for (size_t i = 0; i < sizeof uffd_features / sizeof uffd_features[0]; i++)
			if (needed & uffd_features[i].bit & ~features)
				append(report, " %s", uffd_features[i].name);
		return;
	}
	bool in_userns = earlier[HOST_FEATURE_USER_NAMESPACES].available;
	struct child_outcome outcome;
	siginfo_t info;
	int problem = run_child(in_userns ? CLONE_NEWUSER : 0, child_userfaultfd, NULL, &outcome, &info);
	bool works = !child_trouble(report, "userfaultfd in a child", problem, &outcome, &info, 0);
	if (works)
		say(report, true, "UFFD_USER_MODE_ONLY, memfd page registered for missing + WP %s",
		    in_userns ? "in a new user namespace" : "in this process (no new user namespace to try it in)");
	append_dev_userfaultfd(report);
	append(report, "; features:");
	for (size_t i = 0; i < sizeof uffd_features / sizeof uffd_features[0]; i++)
		if (features & uffd_features[i].bit)
			append(report, " %s", uffd_features[i].name);
}

/* ---- io_uring ----------------------------------------------------------- */

/* A ring set up and what it offers: 0, or the negative errno of the set
 * up. The caller frees *probe. */
static int ring_probe(struct io_uring_probe **probe, unsigned *features)
{
	struct io_uring ring;
	int result = io_uring_queue_init(4, &ring, 0);
	if (result < 0)
		return result;
	*features = ring.features;
	*probe = io_uring_get_probe_ring(&ring);
	io_uring_queue_exit(&ring);
	return *probe ? 0 : -ENOMEM;
}

static void say_ring_refused(struct host_feature_report *report, int result)
{
	char disabled[16];
	if (result == -ENOSYS)
		say(report, false, "not in this kernel (CONFIG_IO_URING)%s", enosys_hint());
	else
		say(report, false, "io_uring_queue_init: %s", strerror(-result));
	if (read_line("/proc/sys/kernel/io_uring_disabled", disabled, sizeof disabled) && strcmp(disabled, "0"))
		append(report, "; kernel.io_uring_disabled=%s", disabled);
}

static void probe_io_uring(const struct host_feature_report *earlier, struct host_feature_report *report)
{
	(void)earlier;
	struct io_uring_probe *probe;
	unsigned features;
	int result = ring_probe(&probe, &features);
	if (result < 0) {
		say_ring_refused(report, result);
		return;
	}
	unsigned supported = 0;
	for (unsigned op = 0; op <= probe->last_op; op++)
		supported += io_uring_opcode_supported(probe, (int)op);
	say(report, true, "ring set up: %u opcodes (last %u), features 0x%x", supported, probe->last_op, features);
	io_uring_free_probe(probe);
	char disabled[16];
	if (read_line("/proc/sys/kernel/io_uring_disabled", disabled, sizeof disabled))
		append(report, "; kernel.io_uring_disabled=%s", disabled);
}

static void probe_io_uring_futex(const struct host_feature_report *earlier, struct host_feature_report *report)
{
	(void)earlier;
	struct io_uring_probe *probe;
	unsigned features;
	int result = ring_probe(&probe, &features);
	if (result < 0) {
		say_ring_refused(report, result);
		return;
	}
	bool wait = io_uring_opcode_supported(probe, HOST_IORING_OP_FUTEX_WAIT);
	bool wake = io_uring_opcode_supported(probe, HOST_IORING_OP_FUTEX_WAKE);
	bool waitid = io_uring_opcode_supported(probe, HOST_IORING_OP_WAITID);
	io_uring_free_probe(probe);
	if (wait && wake)
		say(report, true, "IORING_OP_FUTEX_WAIT and _WAKE");
	else
		say(report, false, "no IORING_OP_FUTEX_WAIT/_WAKE (Linux 6.7)");
	append(report, "; IORING_OP_WAITID %s", waitid ? "too" : "not supported");
}

/* ---- pidfd -------------------------------------------------------------- */

static void probe_pidfd(const struct host_feature_report *earlier, struct host_feature_report *report)
{
	(void)earlier;
	long fd = syscall(SYS_pidfd_open, getpid(), PIDFD_NONBLOCK);
	if (fd < 0) {
		int problem = errno;
		say(report, false, "pidfd_open(PIDFD_NONBLOCK): %s%s%s", strerror(problem),
		    problem == EINVAL ? " (PIDFD_NONBLOCK came in Linux 5.10)" : "",
		    problem == ENOSYS ? enosys_hint() : "");
		return;
	}
	const char *step = NULL;
	struct pollfd alive = {.fd = (int)fd, .events = POLLIN};
	if (syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0))
		step = "pidfd_send_signal";
	else if (poll(&alive, 1, 0) != 0)
		step = (errno = EINVAL, "poll: a live process's pidfd is readable");
	if (step)
		say(report, false, "%s: %s", step, strerror(errno));
	else
		say(report, true, "pidfd_open (PIDFD_NONBLOCK), pidfd_send_signal, poll");
	close((int)fd);
}

/* ---- cgroups ------------------------------------------------------------ */

/* The controllers the sandbox limits workers with. */
static const char *const cgroup_controllers[] = {"memory", "pids"};
#define CGROUP_CONTROLLERS (sizeof cgroup_controllers / sizeof cgroup_controllers[0])

/* Where the cgroup filesystems are mounted, from /proc/self/mountinfo. */
struct cgroup_mounts {
	char v1[CGROUP_CONTROLLERS][PATH_MAX]; /* the v1 hierarchy of each controller, or "" */
	char v2[PATH_MAX];                     /* the unified hierarchy, or "" */
	bool any_v1;
};

static void find_cgroup_mounts(struct cgroup_mounts *mounts)
{
	memset(mounts, 0, sizeof *mounts);
	FILE *file = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	while (file && fgets(line, sizeof line, file)) {
		/* id parent major:minor root mount-point options... - type source super-options */
		char root[PATH_MAX], point[PATH_MAX], type[64], options[1024];
		const char *tail = strstr(line, " - ");
		if (!tail || sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) != 2 ||
		    sscanf(tail, " - %63s %*s %1023s", type, options) != 2)
			continue;
		if (!strcmp(type, "cgroup2") && !mounts->v2[0])
			snprintf(mounts->v2, sizeof mounts->v2, "%s", point);
		if (strcmp(type, "cgroup"))
			continue;
		mounts->any_v1 = true;
		for (size_t i = 0; i < CGROUP_CONTROLLERS; i++)
			if (has_word(options, cgroup_controllers[i], ",") && !mounts->v1[i][0])
				snprintf(mounts->v1[i], sizeof mounts->v1[i], "%s", point);
	}
	if (file)
		fclose(file);
}

/* Our own group in the hierarchy that has `controller` (v1), or in the
 * unified one (controller NULL), from /proc/self/cgroup. */
static bool own_cgroup(const char *controller, char *path, size_t size)
{
	FILE *file = fopen("/proc/self/cgroup", "re");
	char line[4096];
	bool found = false;
	while (!found && file && fgets(line, sizeof line, file)) {
		line[strcspn(line, "\n")] = 0;
		char *controllers = strchr(line, ':');
		char *group = controllers ? strchr(controllers + 1, ':') : NULL;
		if (!group)
			continue;
		*group++ = 0;
		controllers++;
		found = controller ? has_word(controllers, controller, ",") : !strcmp(line, "0") && !*controllers;
		if (found)
			snprintf(path, size, "%s", group);
	}
	if (file)
		fclose(file);
	return found;
}

/* Where the host makes a worker's group for controller `index`: our own
 * group in the v1 hierarchy that has the controller, else in the unified
 * one (*v2). False when no mounted hierarchy has it. */
static bool cgroup_home(const struct cgroup_mounts *mounts, size_t index, char *folder, size_t size, bool *v2)
{
	char own[PATH_MAX];
	bool v1 = mounts->v1[index][0] != 0;
	const char *mount = v1 ? mounts->v1[index] : mounts->v2;
	if (!*mount || !own_cgroup(v1 ? cgroup_controllers[index] : NULL, own, sizeof own))
		return false;
	snprintf(folder, size, "%s%s", mount, strcmp(own, "/") ? own : "");
	*v2 = !v1;
	return true;
}

/* host/cgroup.c's way to the same folders the probe tries. */
bool host_cgroup_home(const char *controller, char *folder, size_t size, bool *v2)
{
	struct cgroup_mounts mounts;
	find_cgroup_mounts(&mounts);
	for (size_t i = 0; i < CGROUP_CONTROLLERS; i++)
		if (!strcmp(controller, cgroup_controllers[i]))
			return cgroup_home(&mounts, i, folder, size, v2);
	return false;
}

/* Can we make a group for `controller` below our own, where the host
 * would make a worker's? Says in the report what was found either way. */
static bool try_cgroup(struct host_feature_report *report, const struct cgroup_mounts *mounts, size_t index)
{
	const char *name = cgroup_controllers[index];
	char folder[2 * PATH_MAX], file[3 * PATH_MAX], list[1024];
	bool v2;
	if (!cgroup_home(mounts, index, folder, sizeof folder, &v2)) {
		append(report, "%s: no hierarchy has it", name);
		return false;
	}
	bool v1 = !v2;
	if (!v1) {
		/* A v2 group gets only what its parent's subtree_control enables. */
		snprintf(file, sizeof file, "%s/cgroup.subtree_control", folder);
		if (!read_line(file, list, sizeof list) || !has_word(list, name, " ")) {
			append(report, "%s (v2): not enabled in %s", name, file);
			return false;
		}
	}
	snprintf(file, sizeof file, "%s/corral-check-%ld", folder, (long)getpid());
	if (mkdir(file, 0700)) {
		append(report, "%s (v%d): mkdir %s: %s", name, v1 ? 1 : 2, file, strerror(errno));
		return false;
	}
	if (rmdir(file)) {
		append(report, "%s (v%d): rmdir %s: %s (remove it by hand)", name, v1 ? 1 : 2, file, strerror(errno));
		return false;
	}
	append(report, "%s (v%d) in %s", name, v1 ? 1 : 2, folder);
	return true;
}

static void probe_cgroup(const struct host_feature_report *earlier, struct host_feature_report *report)
{
	(void)earlier;
	struct cgroup_mounts mounts;
	find_cgroup_mounts(&mounts);
	if (!mounts.any_v1 && !mounts.v2[0]) {
		say(report, false, "no cgroup filesystem is mounted");
		return;
	}
	say(report, false, "%s: ", mounts.any_v1 && mounts.v2[0] ? "hybrid" : mounts.v2[0] ? "v2" : "v1");
	bool all = true;
	for (size_t i = 0; i < CGROUP_CONTROLLERS; i++) {
		if (i)
			append(report, "; ");
		all &= try_cgroup(report, &mounts, i);
	}
	report->available = all;
}

/* ---- BPF ---------------------------------------------------------------- */

static long bpf(enum bpf_cmd command, union bpf_attr *attributes)
{
	return syscall(SYS_bpf, command, attributes, sizeof *attributes);
}

/* The BTF the CO-RE programs are relocated against: its size, or -1 with
 * the report said. */
static long btf_size(struct host_feature_report *report)
{
	const char *path = "/sys/kernel/btf/vmlinux";
	uint16_t magic = 0;
	struct stat info;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		say(report, false, "%s: %s (a kernel without CONFIG_DEBUG_INFO_BTF)", path, strerror(errno));
		return -1;
	}
	bool good = read(fd, &magic, sizeof magic) == sizeof magic && magic == 0xeB9F && !fstat(fd, &info);
	close(fd);
	if (!good) {
		say(report, false, "%s: not BTF (no 0xeb9f magic)", path);
		return -1;
	}
	return (long)info.st_size;
}

static void probe_bpf(const struct host_feature_report *earlier, struct host_feature_report *report)
{
	(void)earlier;
	long btf = btf_size(report);
	if (btf < 0)
		return;
	/* The audit streams events through a ring buffer map from programs on
	 * tracepoints: loading one needs what the audit needs (CAP_BPF and
	 * CAP_PERFMON), where a socket filter would not. */
	union bpf_attr map = {.map_type = BPF_MAP_TYPE_RINGBUF, .max_entries = (uint32_t)sysconf(_SC_PAGESIZE)};
	long map_fd = bpf(BPF_MAP_CREATE, &map);
	if (map_fd < 0) {
		char knob[16];
		say(report, false, "BTF found, but bpf(BPF_MAP_CREATE, ringbuf): %s", strerror(errno));
		if (read_line("/proc/sys/kernel/unprivileged_bpf_disabled", knob, sizeof knob) && strcmp(knob, "0"))
			append(report, "; kernel.unprivileged_bpf_disabled=%s", knob);
		return;
	}
	close((int)map_fd);
	struct bpf_insn code[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	union bpf_attr program = {
		.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT,
		.insns = (uint64_t)(uintptr_t)code,
		.insn_cnt = sizeof code / sizeof code[0],
		.license = (uint64_t)(uintptr_t) "GPL",
	};
	long program_fd = bpf(BPF_PROG_LOAD, &program);
	if (program_fd < 0) {
		say(report, false, "BTF found, but bpf(BPF_PROG_LOAD, raw tracepoint): %s", strerror(errno));
		return;
	}
	close((int)program_fd);
	say(report, true, "BTF (%ld KiB); ring buffer map created, raw tracepoint program loaded", btf / 1024);
}

/* ---- the table ---------------------------------------------------------- */

/* In enum order, which is the order they run in: a probe may read the
 * reports of those before it (userfaultfd asks whether it can try inside a
 * user namespace). */
static const struct {
	const char *name;
	void (*probe)(const struct host_feature_report *earlier, struct host_feature_report *report);
} features[HOST_FEATURE_COUNT] = {
	[HOST_FEATURE_JIT_CPU] = {"jit-cpu", probe_jit_cpu},
	[HOST_FEATURE_USER_NAMESPACES] = {"user-namespaces", probe_user_namespaces},
	[HOST_FEATURE_NAMESPACES] = {"namespaces", probe_namespaces},
	[HOST_FEATURE_MEMFD_EXEC] = {"memfd-exec", probe_memfd_exec},
	[HOST_FEATURE_SECCOMP] = {"seccomp", probe_seccomp},
	[HOST_FEATURE_LANDLOCK] = {"landlock", probe_landlock},
	[HOST_FEATURE_USERFAULTFD] = {"userfaultfd", probe_userfaultfd},
	[HOST_FEATURE_IO_URING] = {"io_uring", probe_io_uring},
	[HOST_FEATURE_IO_URING_FUTEX] = {"io_uring-futex", probe_io_uring_futex},
	[HOST_FEATURE_PIDFD] = {"pidfd", probe_pidfd},
	[HOST_FEATURE_CGROUP] = {"cgroup", probe_cgroup},
	[HOST_FEATURE_BPF] = {"bpf", probe_bpf},
};

static struct host_feature_report cached[HOST_FEATURE_COUNT];
static pthread_once_t probed = PTHREAD_ONCE_INIT;

static void probe_all(void)
{
	for (int i = 0; i < HOST_FEATURE_COUNT; i++) {
		features[i].probe(cached, &cached[i]);
		if (!cached[i].detail[0])
			say(&cached[i], cached[i].available, "%s", cached[i].available ? "yes" : "no reason given");
	}
}

void host_features_probe(struct host_feature_report reports[HOST_FEATURE_COUNT])
{
	pthread_once(&probed, probe_all);
	memcpy(reports, cached, sizeof cached);
}

const char *host_feature_name(enum host_feature feature)
{
	return (unsigned)feature < HOST_FEATURE_COUNT ? features[feature].name : "unknown";
}

bool host_feature_available(enum host_feature feature)
{
	pthread_once(&probed, probe_all);
	return (unsigned)feature < HOST_FEATURE_COUNT && cached[feature].available;
}
