/* Starting and stopping sandbox workers (host/worker.h).
 *
 * A worker starts as a child cloned with clone3 into new user, mount,
 * pid, net, ipc, uts and cgroup namespaces. The child shares our memory
 * (CLONE_VM, like posix_spawn: nothing is copied, however large this
 * process is) and runs on a stack of its own, making raw system calls
 * only, until it execs the zygote from a sealed memfd. Before it may, we
 * give its user namespace a uid and gid map (uid 0 inside is nobody
 * outside, or our own uid when we are not root) and tell it so with one
 * byte on the channel. The zygote then walks its start-up steps
 * (zygote/start.c) and says READY, or which step FAILED, in the control
 * block; we wait for one or the other, or its death, for START_TIMEOUT_NS.
 *
 * Every fd of ours is close-on-exec, and the child marks all but the
 * zygote's three so too; every fd the child moves to 3, 4 and 5 sits at
 * FIRST_HIGH_FD or above, so that moving one never overwrites another.
 *
 * The child is cloned with exit signal 0, but an exec resets a process's
 * exit signal to SIGCHLD (fs/exec.c, de_thread), so a zygote's death
 * sends us one SIGCHLD: ignored unless the embedder handles it. We reap
 * with waitid on the pidfd (__WALL); should an embedder's waitpid(-1) reap
 * the zygote first, the death is still seen (the pidfd), only not how. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/audit.h"
#include "host/cgroup.h"
#include "host/internal.h"
#include "host/pager.h"
#include "host/ring_client.h"
#include "host/worker.h"

#define FIRST_HIGH_FD      16
#define START_TIMEOUT_NS   2000000000ull
#define CHILD_STACK_SIZE   (64u << 10)
#define NOBODY             65534
#define CHILD_EXIT_WAIT_MS 1000

#ifndef P_PIDFD
#define P_PIDFD 3 /* Linux 5.4 */
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010u /* Linux 6.3 */
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1u << 2) /* Linux 5.11 */
#endif

_Static_assert(sizeof(struct host_zygote_image) == 16 && offsetof(struct host_zygote_image, length) == 8,
	       "host/zygote_image.S lays out struct host_zygote_image by hand");

/* ---- names for what can go wrong ----------------------------------------- */

static const char *const step_names[ZYGOTE_STEP_COUNT] = {
	[ZYGOTE_STEP_ARGUMENTS] = "checking its arguments and fds",
	[ZYGOTE_STEP_MAP_SHARED] = "mapping the shared region",
	[ZYGOTE_STEP_MAP_GUEST] = "mapping guest memory",
	[ZYGOTE_STEP_USERFAULTFD] = "sending its userfaultfd",
	[ZYGOTE_STEP_SETSID] = "setsid",
	[ZYGOTE_STEP_CLOSE_FDS] = "closing fds",
	[ZYGOTE_STEP_PIVOT_ROOT] = "pivot_root into an empty filesystem",
	[ZYGOTE_STEP_CAPABILITIES] = "dropping capabilities",
	[ZYGOTE_STEP_NO_NEW_PRIVS] = "no_new_privs",
	[ZYGOTE_STEP_RLIMITS] = "setting rlimits",
	[ZYGOTE_STEP_TSC] = "PR_SET_TSC",
	[ZYGOTE_STEP_LANDLOCK] = "Landlock",
	[ZYGOTE_STEP_SIGNALS] = "installing signal handlers",
	[ZYGOTE_STEP_SECCOMP] = "installing the seccomp filter",
};

/* What the cloned child does before the zygote runs; a failure is
 * reported as status FAILED at step 0 and exit status CHILD_EXIT_BASE +
 * the call. */
enum child_call {
	CHILD_READ,
	CHILD_SETGROUPS,
	CHILD_SETRESGID,
	CHILD_SETRESUID,
	CHILD_DUP,
	CHILD_CLOSE_RANGE,
	CHILD_EXECVEAT,
	CHILD_CALL_COUNT,
};

#define CHILD_EXIT_BASE 32

static const char *const child_call_names[CHILD_CALL_COUNT] = {
	[CHILD_READ] = "wait for its uid map (the host's end of the channel closed)",
	[CHILD_SETGROUPS] = "drop supplementary groups",
	[CHILD_SETRESGID] = "become gid 0 in its user namespace",
	[CHILD_SETRESUID] = "become uid 0 in its user namespace",
	[CHILD_DUP] = "move its fds to 3, 4 and 5",
	[CHILD_CLOSE_RANGE] = "mark other fds close-on-exec",
	[CHILD_EXECVEAT] = "execveat the zygote's memfd",
};

static const char *step_name(uint32_t step)
{
	return step < ZYGOTE_STEP_COUNT && step_names[step] ? step_names[step] : "an unknown step";
}

static const char *errno_name(int32_t number, char *buffer, size_t size)
{
	if (number > 0 && number < 4096)
		return strerror(number);
	snprintf(buffer, size, "errno %d", (int)number);
	return buffer;
}

void host_worker_describe_exit(const struct host_worker *worker, char *buffer, size_t size)
{
	int status = worker->exit_status;
	if (!worker->dead) {
		snprintf(buffer, size, "it is still running");
	} else if (worker->out_of_memory) {
		/* Its memory group's OOM killer (host/cgroup.c) killed it. */
		uint64_t limit = worker->memory_limit;
		bool mib = limit % (1u << 20) == 0;
		snprintf(buffer, size, "out of memory (its cgroup's memory limit of %llu %s)",
			 (unsigned long long)(mib ? limit >> 20 : limit), mib ? "MiB" : "bytes");
	} else if (worker->exit_code == CLD_KILLED || worker->exit_code == CLD_DUMPED) {
		const char *name = sigabbrev_np(status);
		const char *why = status == SIGSYS    ? " (a system call the seccomp filter forbids)"
				  : status == SIGXCPU ? " (its CPU-time limit)"
				  : status == SIGKILL ? " (by the host, or at its CPU-time hard limit)"
						      : "";
		snprintf(buffer, size, "killed by SIG%s%s", name ? name : "?", why);
	} else if (worker->exit_code != CLD_EXITED) {
		snprintf(buffer, size, "ended (someone else reaped it, so how is not known)");
	} else if (status >= ZYGOTE_EXIT_STEP_BASE + 1 && status < ZYGOTE_EXIT_STEP_BASE + ZYGOTE_STEP_COUNT) {
		snprintf(buffer, size, "exited at start-up step %d (%s)", status - ZYGOTE_EXIT_STEP_BASE,
			 step_name((uint32_t)(status - ZYGOTE_EXIT_STEP_BASE)));
	} else if (status > ZYGOTE_EXIT_FAULT_BASE && status < ZYGOTE_EXIT_FAULT_BASE + 65) {
		const char *name = sigabbrev_np(status - ZYGOTE_EXIT_FAULT_BASE);
		snprintf(buffer, size, "exited on a SIG%s outside compiled code", name ? name : "?");
	} else if (status == ZYGOTE_EXIT_CPU_TIME) {
		snprintf(buffer, size, "exited at its CPU-time limit (RLIMIT_CPU)");
	} else if (status == ZYGOTE_EXIT_ORPHANED) {
		snprintf(buffer, size, "exited: its host's end of the channel closed");
	} else if (status >= CHILD_EXIT_BASE && status < CHILD_EXIT_BASE + CHILD_CALL_COUNT) {
		snprintf(buffer, size, "exited before the zygote ran: it could not %s",
			 child_call_names[status - CHILD_EXIT_BASE]);
	} else {
		snprintf(buffer, size, "exited with status %d", status);
	}
}

/* ---- the zygote's image, once per process ------------------------------- */

#define IMAGE_CACHE 4

struct image_memfd {
	const uint8_t *bytes;
	size_t length;
	int fd;
};

static struct image_memfd images[IMAGE_CACHE];
static size_t image_count;
static pthread_mutex_t images_lock = PTHREAD_MUTEX_INITIALIZER;

/* fd moved to FIRST_HIGH_FD or above (closing the original), or -1. */
static int move_high(int fd)
{
	if (fd < 0 || fd >= FIRST_HIGH_FD)
		return fd;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, FIRST_HIGH_FD);
	int saved = errno;
	close(fd);
	errno = saved;
	return high;
}

static int seal_image(const struct host_zygote_image *image)
{
	int fd = memfd_create("corral-zygote", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("corral-zygote", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	fd = move_high(fd);
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < image->length) {
		ssize_t wrote = write(fd, image->bytes + done, image->length - done);
		if (wrote < 0 && errno == EINTR)
			continue;
		if (wrote <= 0) {
			int saved = wrote < 0 ? errno : ENOSPC;
			close(fd);
			errno = saved;
			return -1;
		}
		done += (size_t)wrote;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* The image's sealed memfd, made the first time and kept for the life of
 * the process (close-on-exec). */
static corral_result image_fd(const struct host_zygote_image *image, int *fd, corral_error *error)
{
	corral_result result = CORRAL_OK;
	pthread_mutex_lock(&images_lock);
	size_t i = 0;
	while (i < image_count && (images[i].bytes != image->bytes || images[i].length != image->length))
		i++;
	if (i == image_count) {
		int made = image_count < IMAGE_CACHE ? seal_image(image) : -1;
		if (made >= 0)
			images[image_count++] = (struct image_memfd){image->bytes, image->length, made};
		else
			result = host_fail(error, CORRAL_ERROR_SYSTEM, "cannot put the sandbox's zygote in a memfd: %s",
					   image_count < IMAGE_CACHE ? strerror(errno) : "too many zygote images");
	}
	if (result == CORRAL_OK)
		*fd = images[i].fd;
	pthread_mutex_unlock(&images_lock);
	return result;
}

/* ---- the child ------------------------------------------------------------ */

/* What the child needs, in our memory (it shares it). */
struct child_plan {
	int channel, shared, guest, image; /* all >= FIRST_HIGH_FD */
	struct zygote_control *control;
};

__attribute__((always_inline)) static inline long raw_syscall(long number, long a, long b, long c, long d, long e)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	long result;
	__asm__ volatile("syscall"
			 : "=a"(result)
			 : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return result;
}

__attribute__((always_inline, noreturn)) static inline void child_fail(const struct child_plan *plan,
								       enum child_call call, long result)
{
	struct zygote_control *control = plan->control;
	control->failed_step = 0;
	control->failed_errno = (int32_t)-result;
	__atomic_store_n(&control->status, ZYGOTE_STATUS_FAILED, __ATOMIC_RELEASE);
	__atomic_fetch_add(&control->completed, 1, __ATOMIC_SEQ_CST);
	raw_syscall(SYS_futex, (long)&control->completed, 1 /* FUTEX_WAKE */, 1, 0, 0);
	for (;;)
		raw_syscall(SYS_exit_group, CHILD_EXIT_BASE + call, 0, 0, 0, 0);
}

/* Runs in the cloned child, on its own stack, in our memory, with every
 * signal blocked: system calls only, no libc (its state is the parent
 * thread's), no sanitizer, no coverage callbacks (the fuzzers' builds). */
#ifdef __clang__
#define CHILD_NO_INSTRUMENTATION no_sanitize("address", "undefined", "coverage")
#else
#define CHILD_NO_INSTRUMENTATION no_sanitize("address", "undefined")
#endif
__attribute__((noreturn, noinline, CHILD_NO_INSTRUMENTATION)) static void child_main(void *argument)
{
	static const char *const argv[] = {"", NULL};
	static const char *const envp[] = {NULL};
	const struct child_plan *plan = argument;
	unsigned char drop_groups = 0;
	long result = raw_syscall(SYS_read, plan->channel, (long)&drop_groups, 1, 0, 0);
	if (result <= 0)
		child_fail(plan, CHILD_READ, result ? result : -EPIPE);
	if (drop_groups && (result = raw_syscall(SYS_setgroups, 0, 0, 0, 0, 0)) < 0)
		child_fail(plan, CHILD_SETGROUPS, result);
	if ((result = raw_syscall(SYS_setresgid, 0, 0, 0, 0, 0)) < 0)
		child_fail(plan, CHILD_SETRESGID, result);
	if ((result = raw_syscall(SYS_setresuid, 0, 0, 0, 0, 0)) < 0)
		child_fail(plan, CHILD_SETRESUID, result);
	/* Whatever personality flags we run with, none for the zygote. */
	raw_syscall(SYS_personality, 0, 0, 0, 0, 0);
	if ((result = raw_syscall(SYS_dup2, plan->channel, ZYGOTE_CHANNEL_FD, 0, 0, 0)) < 0 ||
	    (result = raw_syscall(SYS_dup2, plan->shared, ZYGOTE_SHARED_FD, 0, 0, 0)) < 0 ||
	    (result = raw_syscall(SYS_dup2, plan->guest, ZYGOTE_GUEST_FD, 0, 0, 0)) < 0)
		child_fail(plan, CHILD_DUP, result);
	if ((result = raw_syscall(SYS_close_range, 0, ZYGOTE_CHANNEL_FD - 1, CLOSE_RANGE_CLOEXEC, 0, 0)) < 0 ||
	    (result = raw_syscall(SYS_close_range, ZYGOTE_GUEST_FD + 1, ~0u, CLOSE_RANGE_CLOEXEC, 0, 0)) < 0)
		child_fail(plan, CHILD_CLOSE_RANGE, result);
	result = raw_syscall(SYS_execveat, plan->image, (long)"", (long)argv, (long)envp, AT_EMPTY_PATH);
	child_fail(plan, CHILD_EXECVEAT, result);
}

/* clone3 onto `stack`: the child calls child_main(plan) and never comes
 * back here. Returns the child's pid, or a negated errno. */
static long clone_child(struct clone_args *args, struct child_plan *plan)
{
	register void (*function)(void *) __asm__("r8") = child_main;
	register void *argument __asm__("r9") = plan;
	long result;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "mov %%r9, %%rdi\n\t"
			 "call *%%r8\n\t"
			 "ud2\n"
			 "1:"
			 : "=a"(result)
			 : "a"(SYS_clone3), "D"(args), "S"(sizeof *args), "r"(function), "r"(argument)
			 : "rcx", "r11", "memory");
	return result;
}

/* ---- the parent ---------------------------------------------------------- */

static corral_result write_file(pid_t pid, const char *name, const char *text, corral_error *error)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t wrote = fd < 0 ? -1 : write(fd, text, strlen(text));
	int saved = errno;
	if (fd >= 0)
		close(fd);
	if (wrote == (ssize_t)strlen(text))
		return CORRAL_OK;
	return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot write \"%.*s\" to %s for the sandbox's user namespace: %s",
			 (int)strcspn(text, "\n"), text, path, strerror(wrote < 0 ? saved : EIO));
}

/* uid and gid 0 in the zygote's user namespace are nobody outside when we
 * are root, else ourselves (the only ids an unprivileged user may map,
 * and only after giving up setgroups). Tells the child whether it may
 * drop its supplementary groups. */
static corral_result map_ids(pid_t pid, bool *drop_groups, corral_error *error)
{
	char map[64];
	bool root = geteuid() == 0;
	corral_result result = CORRAL_OK;
	if (!root)
		result = write_file(pid, "setgroups", "deny", error);
	snprintf(map, sizeof map, "0 %u 1\n", root ? NOBODY : (unsigned)geteuid());
	if (result == CORRAL_OK)
		result = write_file(pid, "uid_map", map, error);
	snprintf(map, sizeof map, "0 %u 1\n", root ? NOBODY : (unsigned)getegid());
	if (result == CORRAL_OK)
		result = write_file(pid, "gid_map", map, error);
	*drop_groups = root;
	return result;
}

static void record_exit(struct host_worker *worker, const siginfo_t *info)
{
	worker->dead = true;
	worker->exit_code = info->si_code;
	worker->exit_status = info->si_status;
}

/* Reaps the zygote if it has exited (waiting for that if `block`). */
static void reap(struct host_worker *worker, bool block)
{
	siginfo_t info;
	memset(&info, 0, sizeof info);
	int options = WEXITED | __WALL | (block ? 0 : WNOHANG);
	int waited;
	do
		waited = waitid((idtype_t)P_PIDFD, (id_t)worker->pidfd, &info, options);
	while (waited < 0 && errno == EINTR);
	if (waited == 0 && info.si_pid)
		record_exit(worker, &info);
	else if (waited < 0 && errno == ECHILD)
		worker->dead = true; /* reaped by someone else: exit_code stays 0 */
	/* cgroup limits: whether its memory group's OOM killer killed it, read
	 * now, while the group is still there. */
	if (worker->dead && worker->exit_code != CLD_EXITED)
		worker->out_of_memory = host_cgroup_out_of_memory(worker->cgroup);
}

bool host_worker_exited(struct host_worker *worker)
{
	if (worker->dead || worker->pidfd < 0)
		return true;
	reap(worker, false);
	return worker->dead;
}

void host_worker_kill(struct host_worker *worker)
{
	if (worker->pidfd >= 0) {
		if (!worker->dead) {
			syscall(SYS_pidfd_send_signal, worker->pidfd, SIGKILL, NULL, 0);
			reap(worker, true);
		}
		close(worker->pidfd);
		worker->pidfd = -1;
	}
	if (worker->shared)
		munmap(worker->shared, ZYGOTE_SHARED_SIZE);
	if (worker->guest)
		munmap(worker->guest, worker->guest_reservation);
	if (worker->channel >= 0)
		close(worker->channel);
	if (worker->guest_fd >= 0)
		close(worker->guest_fd);
	if (worker->uffd >= 0)
		close(worker->uffd);
	worker->uffd = -1;
	worker->shared = worker->guest = NULL;
	worker->control = NULL;
	worker->guest_reservation = 0;
	worker->channel = worker->guest_fd = -1;
	/* cgroup limits: the groups go once the process has. */
	host_cgroup_remove(worker->cgroup);
	worker->cgroup = NULL;
}

corral_result host_worker_send_fd(struct host_worker *worker, int fd, corral_error *error)
{
	char byte = 0;
	struct iovec data = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr header;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	memset(&control, 0, sizeof control);
	struct msghdr message = {
		.msg_iov = &data,
		.msg_iovlen = 1,
		.msg_control = &control,
		.msg_controllen = sizeof control,
	};
	struct cmsghdr *header = CMSG_FIRSTHDR(&message);
	header->cmsg_level = SOL_SOCKET;
	header->cmsg_type = SCM_RIGHTS;
	header->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(header), &fd, sizeof fd);
	ssize_t sent;
	do
		sent = sendmsg(worker->channel, &message, MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	if (sent == 1)
		return CORRAL_OK;
	return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot send compiled code to the sandbox worker (pid %d): %s",
			 (int)worker->pid, strerror(sent < 0 ? errno : EIO));
}

/* A memfd of `size` bytes at FIRST_HIGH_FD or above. */
static int make_memfd(const char *name, uint64_t size)
{
	int fd = move_high(memfd_create(name, MFD_CLOEXEC));
	if (fd >= 0 && ftruncate(fd, (off_t)size)) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* The shared region, and guest memory as the zygote will see it: 4 GiB
 * of the guest memfd plus a guard, all read-write for us. */
static corral_result map_memory(struct host_worker *worker, int *shared_fd, corral_error *error)
{
	const char *what = "create the shared memfd";
	*shared_fd = make_memfd("corral-shared", ZYGOTE_SHARED_SIZE);
	if (*shared_fd < 0)
		goto failed;
	what = "map the shared region";
	void *shared = mmap(NULL, ZYGOTE_SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, *shared_fd, 0);
	if (shared == MAP_FAILED)
		goto failed;
	worker->shared = shared;
	worker->control = (struct zygote_control *)(worker->shared + ZYGOTE_ANCHOR_OFFSET);
	what = "create the guest memfd";
	worker->guest_fd = make_memfd("corral-guest", ZYGOTE_GUEST_SIZE);
	if (worker->guest_fd < 0)
		goto failed;
	what = "reserve guest memory";
	size_t reservation = ZYGOTE_GUEST_END + ZYGOTE_GUARD_SIZE;
	void *guest = mmap(NULL, reservation, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (guest == MAP_FAILED)
		goto failed;
	worker->guest = guest;
	worker->guest_reservation = reservation;
	what = "map guest memory";
	if (mmap(guest, ZYGOTE_GUEST_END, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, worker->guest_fd, 0) ==
	    MAP_FAILED)
		goto failed;
	return CORRAL_OK;
failed:
	return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot %s for a sandbox worker: %s", what, strerror(errno));
}

static corral_result describe_start_failure(struct host_worker *worker, corral_result waited, corral_error *error)
{
	struct zygote_control *control = worker->control;
	uint32_t status = __atomic_load_n(&control->status, __ATOMIC_ACQUIRE);
	char number[32], how[128];
	if (status != ZYGOTE_STATUS_FAILED) {
		if (waited != CORRAL_OK)
			return waited; /* it died (host_ring_wait_word said how) or timed out */
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "the sandbox's zygote (pid %d) reported status %u at start-up", (int)worker->pid,
				 status);
	}
	uint32_t step = __atomic_load_n(&control->failed_step, __ATOMIC_RELAXED);
	const char *why = errno_name(__atomic_load_n(&control->failed_errno, __ATOMIC_RELAXED), number, sizeof number);
	if (step != 0)
		return host_fail(error, CORRAL_ERROR_SYSTEM, "the sandbox's zygote failed at start-up step %u (%s): %s",
				 step, step_name(step), why);
	/* The child said what failed and is exiting: let it, so that its
	 * status says which call it was. */
	struct pollfd exiting = {.fd = worker->pidfd, .events = POLLIN};
	if (poll(&exiting, 1, CHILD_EXIT_WAIT_MS) == 1)
		reap(worker, true);
	host_worker_kill(worker);
	host_worker_describe_exit(worker, how, sizeof how);
	return host_fail(error, CORRAL_ERROR_SYSTEM, "the sandbox's zygote did not start: its process %s: %s", how,
			 why);
}

corral_result host_worker_spawn(struct host_worker *worker, const struct host_worker_options *options,
				corral_error *error)
{
	*worker = (struct host_worker){.pidfd = -1, .channel = -1, .guest_fd = -1, .uffd = -1};
	host_ring_prepare_thread(); /* this thread will wait on the worker */
	const struct host_zygote_image *image = options && options->image ? options->image : &host_zygote_release;
	uint32_t cpu_seconds = options && options->cpu_seconds ? options->cpu_seconds : HOST_WORKER_CPU_SECONDS;
	int shared_fd = -1, sockets[2] = {-1, -1}, image_memfd;
	void *stack = MAP_FAILED;
	const struct zygote_filter_insn *filter;
	size_t filter_length;

	corral_result result = host_seccomp_filter(&filter, &filter_length, error);
	if (result == CORRAL_OK)
		result = image_fd(image, &image_memfd, error);
	if (result == CORRAL_OK)
		result = map_memory(worker, &shared_fd, error);
	/* cgroup limits: the groups are made before the child, which joins them
	 * before it may exec (below). */
	worker->memory_limit = options ? options->memory_limit : 0;
	if (result == CORRAL_OK && options)
		result = host_cgroup_create(&worker->cgroup, options->memory_limit, options->pids_limit, error);
	if (result != CORRAL_OK)
		goto done;
	struct zygote_control *control = worker->control;
	memcpy(control->filter, filter, filter_length * sizeof *filter);
	control->filter_length = (uint32_t)filter_length;
	control->cpu_seconds = cpu_seconds;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets)) {
		result = host_fail(error, CORRAL_ERROR_SYSTEM, "cannot make a sandbox worker's channel: %s",
				   strerror(errno));
		goto done;
	}
	worker->channel = sockets[0];
	sockets[0] = -1;
	sockets[1] = move_high(sockets[1]);
	stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (sockets[1] < 0 || stack == MAP_FAILED) {
		result = host_fail(error, CORRAL_ERROR_SYSTEM, "cannot prepare a sandbox worker: %s", strerror(errno));
		goto done;
	}

	/* Every signal stays blocked in the child until the zygote unblocks
	 * them: no handler of ours may run on its stack. */
	struct child_plan plan = {sockets[1], shared_fd, worker->guest_fd, image_memfd, control};
	struct clone_args args = {
		.flags = CLONE_VM | CLONE_PIDFD | CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
			 CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP,
		.pidfd = (uint64_t)(uintptr_t)&worker->pidfd,
		.exit_signal = 0,
		.stack = (uint64_t)(uintptr_t)stack,
		.stack_size = CHILD_STACK_SIZE,
	};
	sigset_t all, saved;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	long pid = clone_child(&args, &plan);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (pid < 0) {
		worker->pidfd = -1;
		result = host_fail(error, CORRAL_ERROR_SYSTEM, "cannot clone a sandbox worker into new namespaces: %s",
				   strerror((int)-pid));
		goto done;
	}
	worker->pid = (pid_t)pid;

	bool drop_groups;
	result = map_ids(worker->pid, &drop_groups, error);
	/* cgroup limits: into its groups while it waits for the go byte. */
	if (result == CORRAL_OK)
		result = host_cgroup_enter(worker->cgroup, worker->pid, error);
	/* eBPF audits that watch this process's workers: from its first call. */
	if (result == CORRAL_OK)
		result = host_audit_watch_worker(worker->pid, error);
	unsigned char go = drop_groups;
	if (result == CORRAL_OK && send(worker->channel, &go, 1, MSG_NOSIGNAL) != 1)
		result = host_fail(error, CORRAL_ERROR_SYSTEM, "cannot start a sandbox worker: %s", strerror(errno));
	if (result == CORRAL_OK) {
		static const struct host_ring_limits start_limits = {.wall_ns = START_TIMEOUT_NS};
		corral_result waited = host_ring_wait_word(worker, &control->completed, 0, &control->host_waiting,
							   &start_limits, error);
		if (__atomic_load_n(&control->status, __ATOMIC_ACQUIRE) == ZYGOTE_STATUS_READY) {
			worker->layers = __atomic_load_n(&control->layers, __ATOMIC_RELAXED) & ZYGOTE_LAYER_LANDLOCK;
			result = host_pager_receive(worker->channel,
						    __atomic_load_n(&control->userfaultfd_errno, __ATOMIC_RELAXED),
						    &worker->uffd, &worker->uffd_errno, error);
		} else
			result = describe_start_failure(worker, waited, error);
	}
done:
	if (result != CORRAL_OK)
		host_worker_kill(worker); /* reaps the child before its stack goes */
	if (stack != MAP_FAILED)
		munmap(stack, CHILD_STACK_SIZE);
	if (shared_fd >= 0)
		close(shared_fd);
	if (sockets[1] >= 0)
		close(sockets[1]);
	return result;
}

uint64_t host_worker_cpu_ns(const struct host_worker *worker)
{
	clockid_t clock;
	struct timespec used;
	if (worker->dead || clock_getcpuclockid(worker->pid, &clock) || clock_gettime(clock, &used))
		return 0;
	return (uint64_t)used.tv_sec * 1000000000ull + (uint64_t)used.tv_nsec;
}
