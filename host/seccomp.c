/* The zygote's seccomp filter: built once with libseccomp, exported as
 * classic BPF, and handed to every zygote in its control block (the
 * zygote has no libseccomp and installs the instructions as they are).
 *
 * Everything is killed (the whole process, SIGSYS) but these ten calls,
 * each with its arguments pinned down as far as the zygote's use allows:
 *
 *   futex         FUTEX_WAIT and FUTEX_WAKE only, not private: the ring's
 *                 two counters are futexes shared with the host
 *   recvmsg       on the channel (fd 3) only: compiled code's memfds
 *                 arrive there, and an idle zygote peeks at it to notice
 *                 that the host is gone
 *   mmap          read+execute, MAP_SHARED | MAP_FIXED, at
 *                 ZYGOTE_CODE_ADDRESS only: mapping the code memfd, which
 *                 the host sealed against writes
 *   munmap        at ZYGOTE_CODE_ADDRESS only: the previous code
 *   mprotect      below 4 GiB, never PROT_EXEC: guest page protections
 *   close         the code memfd once mapped
 *   rt_sigreturn  the way back from the fault handler
 *   restart_syscall  what the kernel has a futex wait with a timeout
 *                 make when it was stopped and continued
 *   exit, exit_group  leaving
 *
 * The architecture is checked first (anything but x86-64, such as
 * `int 0x80` with i386 numbers, kills), and so is the x32 bit: libseccomp
 * sends x32 numbers on an x86-64 filter to the bad-architecture action,
 * which is kill-process too. No io_uring (it would bypass the filter),
 * userfaultfd, personality, pkey_mprotect, mremap, execve(at), socket,
 * clone(3), ptrace, bpf, keyctl or perf_event_open. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/internal.h"
#include "host/worker.h"

static struct zygote_filter_insn filter[ZYGOTE_FILTER_MAX];
static size_t filter_length;
static char build_error[200];
static pthread_once_t build_once = PTHREAD_ONCE_INIT;

struct rule {
	const char *name; /* the system call's name, for libseccomp and errors */
	unsigned count;
	struct scmp_arg_cmp conditions[3];
};

static const struct rule rules[] = {
	{"futex", 1, {SCMP_A1(SCMP_CMP_EQ, FUTEX_WAIT)}},
	{"futex", 1, {SCMP_A1(SCMP_CMP_EQ, FUTEX_WAKE)}},
	{"recvmsg", 1, {SCMP_A0(SCMP_CMP_EQ, ZYGOTE_CHANNEL_FD)}},
	{"mmap",
	 3,
	 {SCMP_A0(SCMP_CMP_EQ, ZYGOTE_CODE_ADDRESS), SCMP_A2(SCMP_CMP_EQ, PROT_READ | PROT_EXEC),
	  SCMP_A3(SCMP_CMP_EQ, MAP_SHARED | MAP_FIXED)}},
	{"munmap", 1, {SCMP_A0(SCMP_CMP_EQ, ZYGOTE_CODE_ADDRESS)}},
	{"mprotect", 2, {SCMP_A0(SCMP_CMP_LT, ZYGOTE_GUEST_END), SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)}},
	{"close", 0, {{0}}},
	{"rt_sigreturn", 0, {{0}}},
	{"restart_syscall", 0, {{0}}},
	{"exit", 0, {{0}}},
	{"exit_group", 0, {{0}}},
};

static int add_rules(scmp_filter_ctx context, const char **failed)
{
	for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
		const struct rule *rule = &rules[i];
		*failed = rule->name;
		int number = seccomp_syscall_resolve_name(rule->name);
		if (number == __NR_SCMP_ERROR)
			return -ENOSYS;
		int added = seccomp_rule_add_array(context, SCMP_ACT_ALLOW, number, rule->count, rule->conditions);
		if (added < 0)
			return added;
	}
	return 0;
}

/* libseccomp writes the program to an fd: a memfd, read back whole. */
static int export(scmp_filter_ctx context)
{
	int fd = memfd_create("corral-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int exported = seccomp_export_bpf(context, fd);
	off_t size = lseek(fd, 0, SEEK_END);
	int result = 0;
	if (exported < 0)
		result = exported;
	else if (size <= 0 || size % sizeof *filter || (size_t)size > sizeof filter)
		result = -E2BIG;
	else if (pread(fd, filter, (size_t)size, 0) != size)
		result = -EIO;
	else
		filter_length = (size_t)size / sizeof *filter;
	close(fd);
	return result;
}

static void build(void)
{
	const char *failed = "seccomp_init";
	scmp_filter_ctx context = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int result = context ? 0 : -ENOMEM;
	if (result == 0) {
		failed = "the bad-architecture action";
		result = seccomp_attr_set(context, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	}
	if (result == 0)
		result = add_rules(context, &failed);
	if (result == 0) {
		failed = "seccomp_export_bpf";
		result = export(context);
	}
	if (result < 0)
		snprintf(build_error, sizeof build_error, "%s: %s", failed, strerror(-result));
	seccomp_release(context);
}

corral_result host_seccomp_filter(const struct zygote_filter_insn **out, size_t *length, corral_error *error)
{
	pthread_once(&build_once, build);
	if (build_error[0])
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot build the sandbox's seccomp filter: %s",
				 build_error);
	*out = filter;
	*length = filter_length;
	return CORRAL_OK;
}
