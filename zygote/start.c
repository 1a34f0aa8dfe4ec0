/* The zygote's start-up: from the kernel's entry point to the seccomp
 * filter, one named step at a time (enum zygote_step, in its order). A
 * step that fails reports itself in the control block (once it is mapped)
 * and the zygote exits with ZYGOTE_EXIT_STEP_BASE + the step; nothing is
 * skipped but Landlock on a kernel without it.
 *
 * The host started us with execveat from a sealed memfd, inside fresh
 * user, mount, pid, net, ipc, uts and cgroup namespaces whose uid 0 is
 * unprivileged outside, with fds 3 (channel), 4 (shared) and 5 (guest) and
 * every signal blocked. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "zygote/zygote.h"

/* ---- shared by every image ---------------------------------------------- */

/* The soft CPU-time limit passed. A pid namespace's init does not die of
 * a signal it has no handler for, so this is how the limit kills. */
void zygote_on_cpu_limit(int signal, void *info, void *context)
{
	(void)signal, (void)info, (void)context;
	zygote_exit(ZYGOTE_EXIT_CPU_TIME);
}

/* The host closed its end of the channel (it exited, or crashed): nobody
 * will submit again. */
void zygote_check_host(void)
{
	char byte;
	struct iovec data = {.iov_base = &byte, .iov_len = 1};
	struct msghdr message = {.msg_iov = &data, .msg_iovlen = 1};
	if (zygote_syscall3(SYS_recvmsg, ZYGOTE_CHANNEL_FD, (long)&message, MSG_PEEK | MSG_DONTWAIT) == 0)
		zygote_exit(ZYGOTE_EXIT_ORPHANED);
}

/* ---- what musl's headers do not define ---------------------------------- */

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000 /* Linux 4.17 */
#endif

/* <linux/userfaultfd.h> */
#define UFFD_USER_MODE_ONLY 1 /* Linux 5.11 */

#define SECCOMP_SET_MODE_FILTER 1

struct sock_fprog {
	unsigned short len;
	const struct zygote_filter_insn *filter;
};

/* <linux/securebits.h> */
enum {
	SECBIT_NOROOT = 1 << 0,
	SECBIT_NOROOT_LOCKED = 1 << 1,
	SECBIT_NO_SETUID_FIXUP = 1 << 2,
	SECBIT_NO_SETUID_FIXUP_LOCKED = 1 << 3,
	SECBIT_KEEP_CAPS_LOCKED = 1 << 5,
	SECBIT_NO_CAP_AMBIENT_RAISE = 1 << 6,
	SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED = 1 << 7,
};

/* Every bit that keeps uid 0 from meaning privilege, each locked;
 * SECBIT_KEEP_CAPS stays clear, locked too. */
static const long secure_bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
				SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
				SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;

#define CAPABILITY_VERSION_3 0x20080522

struct cap_header {
	uint32_t version;
	int pid;
};

struct cap_data {
	uint32_t effective, permitted, inheritable;
};

/* <linux/landlock.h> */
#define LANDLOCK_CREATE_RULESET_VERSION 1

struct landlock_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI 4, Linux 6.7 */
	uint64_t scoped;             /* ABI 6, Linux 6.12 */
};

/* The filesystem rights each Landlock ABI knows: EXECUTE .. MAKE_SYM (ABI
 * 1, Linux 5.13), REFER (2, 5.19), TRUNCATE (3, 6.2), IOCTL_DEV (5, 6.10). */
static const uint64_t landlock_fs_rights[] = {0, 0x1fff, 0x3fff, 0x7fff, 0x7fff, 0xffff};
#define LANDLOCK_NET_RIGHTS 0x3 /* BIND_TCP, CONNECT_TCP: ABI 4 */
#define LANDLOCK_SCOPES     0x3 /* ABSTRACT_UNIX_SOCKET, SIGNAL: ABI 6 */

struct kernel_sigaction {
	void (*handler)(int, void *, void *);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

/* Where every handler runs: compiled code keeps the gas balance in rsp
 * (pvm_jit_options.gas_in_rsp), so a signal must not build its frame at
 * rsp. Handlers here only write a few words of the context page. */
static uint8_t signal_stack[16384] __attribute__((aligned(16)));

/* ---- entry ----------------------------------------------------------------- */

/* The kernel's stack: argc, argv, NULL, envp, NULL, auxv. */
__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call zygote_start\n"
	"	hlt\n");

/* Where a signal handler returns to. */
__attribute__((visibility("hidden"))) void zygote_restorer(void);
__asm__(".text\n"
	"zygote_restorer:\n"
	"	mov $15, %eax\n" /* SYS_rt_sigreturn */
	"	syscall\n"
	"	hlt\n");

/* The compiler may call these for structure copies. */
void *memcpy(void *restrict to, const void *restrict from, size_t length)
{
	unsigned char *d = to;
	const unsigned char *s = from;
	while (length--)
		*d++ = *s++;
	return to;
}

void *memset(void *to, int byte, size_t length)
{
	unsigned char *d = to;
	while (length--)
		*d++ = (unsigned char)byte;
	return to;
}

/* ---- failing loudly -------------------------------------------------------- */

static int shared_mapped;

__attribute__((noreturn)) static void fail(enum zygote_step step, long error)
{
	if (shared_mapped) {
		struct zygote_control *control = zygote_control();
		control->failed_step = step;
		control->failed_errno = (int32_t)-error;
		__atomic_store_n(&control->status, ZYGOTE_STATUS_FAILED, __ATOMIC_RELEASE);
		zygote_completed();
	}
	zygote_exit(ZYGOTE_EXIT_STEP_BASE + step);
}

/* A system call's result, or the step's end if it is an error. */
static long check(enum zygote_step step, long result)
{
	if (result < 0 && result > -4096)
		fail(step, result);
	return result;
}

/* ---- the steps --------------------------------------------------------------- */

static void check_fd(int fd, unsigned type, uint64_t size)
{
	struct stat status;
	check(ZYGOTE_STEP_ARGUMENTS, zygote_syscall6(SYS_fstat, fd, (long)&status, 0, 0, 0, 0));
	if ((status.st_mode & S_IFMT) != type || (type == S_IFREG && (uint64_t)status.st_size != size))
		fail(ZYGOTE_STEP_ARGUMENTS, -EBADF);
}

/* argv is {""}, the environment empty, and the three fds what the host
 * said: nothing of the host's comes in by accident. */
static void check_arguments(const uint64_t *stack)
{
	uint64_t argc = stack[0];
	char *const *argv = (char *const *)(stack + 1);
	char *const *envp = argv + argc + 1;
	if (argc != 1 || argv[0][0] != 0 || envp[0] != NULL)
		fail(ZYGOTE_STEP_ARGUMENTS, -E2BIG);
	check_fd(ZYGOTE_CHANNEL_FD, S_IFSOCK, 0);
	check_fd(ZYGOTE_SHARED_FD, S_IFREG, ZYGOTE_SHARED_SIZE);
	check_fd(ZYGOTE_GUEST_FD, S_IFREG, ZYGOTE_GUEST_SIZE);
}

static void map_at(enum zygote_step step, uint64_t address, uint64_t length, int prot, int flags, int fd,
		   uint64_t offset)
{
	long got = check(step, zygote_syscall6(SYS_mmap, (long)address, (long)length, prot, flags | MAP_FIXED_NOREPLACE,
					       fd, (long)offset));
	/* A kernel older than 4.17 takes the address as a hint only. */
	if ((uint64_t)got != address)
		fail(step, -EEXIST);
}

static void map_shared(void)
{
	map_at(ZYGOTE_STEP_MAP_SHARED, ZYGOTE_SHARED_ADDRESS, ZYGOTE_SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	       ZYGOTE_SHARED_FD, 0);
	shared_mapped = 1;
}

/* Guest address a is at a, file offset a: the host's mapping of the same
 * memfd sees every byte. Nothing is accessible until the host says. */
static void map_guest(void)
{
	map_at(ZYGOTE_STEP_MAP_GUEST, ZYGOTE_GUEST_LOW, ZYGOTE_GUEST_END - ZYGOTE_GUEST_LOW, PROT_NONE, MAP_SHARED,
	       ZYGOTE_GUEST_FD, ZYGOTE_GUEST_LOW);
	map_at(ZYGOTE_STEP_MAP_GUEST, ZYGOTE_GUEST_END, ZYGOTE_GUARD_SIZE, PROT_NONE,
	       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
}

/* A userfaultfd over our own memory, for the host to page guest memory
 * with: made here, while the call is still allowed (the filter forbids it
 * later), sent over the channel and closed; the zygote never uses it.
 * Inside our user namespace only a user-mode-only one may be made. A
 * kernel without one is no failure: the host pages with mprotect then,
 * and userfaultfd_errno says why. */
static void hand_over_userfaultfd(void)
{
	enum zygote_step step = ZYGOTE_STEP_USERFAULTFD;
	long fd = zygote_syscall3(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY, 0, 0);
	char byte = 0;
	struct iovec data = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr header;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	memset(&control, 0, sizeof control);
	struct msghdr message = {.msg_iov = &data, .msg_iovlen = 1};
	if (fd >= 0) {
		int sent = (int)fd;
		message.msg_control = &control;
		message.msg_controllen = sizeof control;
		struct cmsghdr *header = CMSG_FIRSTHDR(&message);
		header->cmsg_level = SOL_SOCKET;
		header->cmsg_type = SCM_RIGHTS;
		header->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(header), &sent, sizeof sent);
	} else {
		zygote_control()->userfaultfd_errno = (int32_t)-fd;
	}
	check(step, zygote_syscall6(SYS_sendmsg, ZYGOTE_CHANNEL_FD, (long)&message, MSG_NOSIGNAL, 0, 0, 0));
	if (fd >= 0)
		check(step, zygote_syscall3(SYS_close, fd, 0, 0));
}

/* Out of the host's session and process group: no terminal signal
 * reaches us. The name is what ps and the host's tests see. */
static void new_session(void)
{
	check(ZYGOTE_STEP_SETSID, zygote_syscall0(SYS_setsid));
	check(ZYGOTE_STEP_SETSID, zygote_syscall6(SYS_prctl, PR_SET_NAME, (long)"corral-zygote", 0, 0, 0, 0));
}

/* The shared and guest memfds are mapped: only the channel stays. */
static void close_fds(void)
{
	check(ZYGOTE_STEP_CLOSE_FDS, zygote_syscall3(SYS_close_range, 0, ZYGOTE_CHANNEL_FD - 1, 0));
	check(ZYGOTE_STEP_CLOSE_FDS, zygote_syscall3(SYS_close_range, ZYGOTE_CHANNEL_FD + 1, ~0u, 0));
}

/* An empty, read-only tmpfs becomes the root, and the host's filesystem
 * is detached from this mount namespace altogether. The tmpfs goes over
 * /proc only because a mount needs a directory to sit on. */
static void pivot_root(void)
{
	enum zygote_step step = ZYGOTE_STEP_PIVOT_ROOT;
	check(step, zygote_syscall6(SYS_mount, 0, (long)"/", 0, MS_REC | MS_PRIVATE, 0, 0));
	check(step,
	      zygote_syscall6(SYS_mount, (long)"none", (long)"/proc", (long)"tmpfs",
			      MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, (long)"size=4k,nr_inodes=2,mode=0555", 0));
	check(step, zygote_syscall3(SYS_chdir, (long)"/proc", 0, 0));
	check(step, zygote_syscall3(SYS_pivot_root, (long)".", (long)".", 0));
	check(step, zygote_syscall3(SYS_umount2, (long)".", MNT_DETACH, 0));
	check(step, zygote_syscall3(SYS_chdir, (long)"/", 0, 0));
}

/* Securebits first (they need CAP_SETPCAP, as does the bounding set),
 * then the bounding set, the ambient set, and last every set capset
 * holds. */
static void drop_capabilities(void)
{
	enum zygote_step step = ZYGOTE_STEP_CAPABILITIES;
	check(step, zygote_syscall6(SYS_prctl, PR_SET_SECUREBITS, secure_bits, 0, 0, 0, 0));
	for (long cap = 0;; cap++) {
		long dropped = zygote_syscall6(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0, 0);
		if (dropped == -EINVAL && cap > 0)
			break; /* past the kernel's last capability */
		check(step, dropped);
	}
	check(step, zygote_syscall6(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0, 0));
	struct cap_header header = {.version = CAPABILITY_VERSION_3};
	struct cap_data data[2] = {{0}};
	check(step, zygote_syscall3(SYS_capset, (long)&header, (long)data, 0));
}

static void no_new_privs(void)
{
	check(ZYGOTE_STEP_NO_NEW_PRIVS, zygote_syscall6(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0));
}

static void limit(int resource, uint64_t soft, uint64_t hard)
{
	struct rlimit value = {.rlim_cur = soft, .rlim_max = hard};
	check(ZYGOTE_STEP_RLIMITS, zygote_syscall3(SYS_setrlimit, resource, (long)&value, 0));
}

/* No core dumps, no files written, no processes, no locked memory or
 * message queues; NOFILE 1 lets exactly one new fd exist (always fd 0,
 * as 0-2 are closed): the code memfd being received, closed once mapped.
 * CPU time is the backstop behind the host's own watchdog: SIGXCPU at
 * the soft limit, SIGKILL a second later. */
static void set_limits(void)
{
	uint32_t seconds = __atomic_load_n(&zygote_control()->cpu_seconds, __ATOMIC_RELAXED);
	if (seconds == 0 || seconds == ~0u)
		fail(ZYGOTE_STEP_RLIMITS, -EINVAL);
	limit(RLIMIT_CORE, 0, 0);
	limit(RLIMIT_NOFILE, 1, 1);
	limit(RLIMIT_NPROC, 0, 0);
	limit(RLIMIT_FSIZE, 0, 0);
	limit(RLIMIT_MEMLOCK, 0, 0);
	limit(RLIMIT_MSGQUEUE, 0, 0);
	limit(RLIMIT_CPU, seconds, (uint64_t)seconds + 1);
}

/* rdtsc and rdtscp fault: no timer fine enough for side channels. */
static void fault_tsc(void)
{
	check(ZYGOTE_STEP_TSC, zygote_syscall6(SYS_prctl, PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0, 0));
}

/* A domain that handles every right the kernel's ABI knows and grants
 * none: no file, no TCP port, no abstract socket or signal outside. */
static uint32_t landlock(void)
{
	enum zygote_step step = ZYGOTE_STEP_LANDLOCK;
	long abi = zygote_syscall3(SYS_landlock_create_ruleset, 0, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi == -ENOSYS || abi == -EOPNOTSUPP)
		return 0;
	check(step, abi);
	long known = (long)(sizeof landlock_fs_rights / sizeof *landlock_fs_rights) - 1;
	struct landlock_ruleset_attr attr = {
		.handled_access_fs = landlock_fs_rights[abi < known ? abi : known],
		.handled_access_net = abi >= 4 ? LANDLOCK_NET_RIGHTS : 0,
		.scoped = abi >= 6 ? LANDLOCK_SCOPES : 0,
	};
	long size = abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
	long ruleset = check(step, zygote_syscall3(SYS_landlock_create_ruleset, (long)&attr, size, 0));
	check(step, zygote_syscall3(SYS_landlock_restrict_self, ruleset, 0, 0));
	check(step, zygote_syscall3(SYS_close, ruleset, 0, 0));
	return ZYGOTE_LAYER_LANDLOCK;
}

static void handle(int signal, void (*handler)(int, void *, void *))
{
	struct kernel_sigaction action = {
		.handler = handler,
		.flags = SA_SIGINFO | SA_NODEFER | SA_RESTORER | SA_ONSTACK,
		.restorer = zygote_restorer,
	};
	check(ZYGOTE_STEP_SIGNALS, zygote_syscall6(SYS_rt_sigaction, signal, (long)&action, 0, 8, 0, 0));
}

/* Faults in compiled code become exits (zygote/serve.c); SA_NODEFER so a
 * fault in the handler itself is not blocked into a silent hang. SIGXCPU
 * needs a handler to be fatal at all: we are our pid namespace's init.
 * The host blocked every signal before it cloned us: unblock them. */
static void install_handlers(void)
{
	stack_t alternate = {.ss_sp = signal_stack, .ss_size = sizeof signal_stack};
	check(ZYGOTE_STEP_SIGNALS, zygote_syscall3(SYS_sigaltstack, (long)&alternate, 0, 0));
	handle(SIGSEGV, zygote_on_fault);
	handle(SIGBUS, zygote_on_fault);
	handle(SIGILL, zygote_on_fault);
	handle(SIGFPE, zygote_on_fault);
	handle(SIGXCPU, zygote_on_cpu_limit);
	uint64_t none = 0;
	check(ZYGOTE_STEP_SIGNALS, zygote_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, 8, 0, 0));
}

/* Last: from here on only the host's allow-list of system calls. The
 * filter is copied out of the shared region first, so that what is
 * checked is what is installed. */
static void install_filter(void)
{
	struct zygote_control *control = zygote_control();
	struct zygote_filter_insn filter[ZYGOTE_FILTER_MAX];
	uint32_t length = __atomic_load_n(&control->filter_length, __ATOMIC_RELAXED);
	if (length == 0 || length > ZYGOTE_FILTER_MAX)
		fail(ZYGOTE_STEP_SECCOMP, -EINVAL);
	memcpy(filter, control->filter, length * sizeof *filter);
	struct sock_fprog program = {.len = (unsigned short)length, .filter = filter};
	check(ZYGOTE_STEP_SECCOMP, zygote_syscall3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&program));
}

__attribute__((noreturn, used)) void zygote_start(const uint64_t *stack);

void zygote_start(const uint64_t *stack)
{
	check_arguments(stack);
	map_shared();
	map_guest();
	hand_over_userfaultfd();
	new_session();
	close_fds();
	pivot_root();
	drop_capabilities();
	no_new_privs();
	set_limits();
	fault_tsc();
	uint32_t layers = landlock();
	install_handlers();
	install_filter();

	struct zygote_control *control = zygote_control();
	control->layers = layers;
	__atomic_store_n(&control->status, ZYGOTE_STATUS_READY, __ATOMIC_RELEASE);
	zygote_completed();
	zygote_serve();
}
