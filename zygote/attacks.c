/* The test zygote's escapes (zygote/attacks.h), built only into
 * corral-zygote-attacks. Each makes the system call a compromised zygote
 * would make, with arguments that would do harm if the call went through;
 * one that comes back (instead of the process being killed) reports what
 * it returned, so the test sees that the attempt survived. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "zygote/attacks.h"
#include "zygote/zygote.h"

#define GUEST_PAGE                    ZYGOTE_GUEST_LOW
#define X32_BIT                       0x40000000l
#define I386_OPEN                     5
#define TIOCSTI                       0x5412
#define SHARED_SIZE                   4096
#define MEMORY_BOMB                   (64ull << 30)
#define PERSONALITY_READ_IMPLIES_EXEC 0x0400000

struct open_how {
	uint64_t flags, mode, resolve;
};

struct clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static long call(long number, long a, long b, long c, long d, long e, long f)
{
	return zygote_syscall6(number, a, b, c, d, e, f);
}

static long i386_call(long number, long a, long b)
{
	long result;
	__asm__ volatile("int $0x80" : "=a"(result) : "a"(number), "b"(a), "c"(b) : "memory");
	return result;
}

/* The file system, programs, namespaces. */
static long files_and_namespaces(enum zygote_attack attack, const char *path)
{
	static const char *const no_arguments[] = {"", NULL};
	struct open_how how = {.flags = O_RDONLY};
	struct clone_args clone = {.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID, .exit_signal = SIGCHLD};
	switch (attack) {
	case ZYGOTE_ATTACK_OPEN:
		return call(SYS_open, (long)"/etc/passwd", O_RDONLY, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_OPENAT:
		return call(SYS_openat, AT_FDCWD, (long)"/etc/passwd", O_RDONLY, 0, 0, 0);
	case ZYGOTE_ATTACK_OPENAT2:
		return call(SYS_openat2, AT_FDCWD, (long)"/etc/passwd", (long)&how, sizeof how, 0, 0);
	case ZYGOTE_ATTACK_CREATE:
		return call(SYS_openat, AT_FDCWD, (long)path, O_WRONLY | O_CREAT | O_EXCL, 0644, 0, 0);
	case ZYGOTE_ATTACK_OPENAT_LEAKED_FD:
		return call(SYS_openat, ZYGOTE_CHANNEL_FD, (long)"../../etc/passwd", O_RDONLY, 0, 0, 0);
	case ZYGOTE_ATTACK_PROC_SELF_MEM:
		return call(SYS_open, (long)"/proc/self/mem", O_RDWR, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_WRITE:
		return call(SYS_write, ZYGOTE_CHANNEL_FD, (long)"x", 1, 0, 0, 0);
	case ZYGOTE_ATTACK_IOCTL:
		return call(SYS_ioctl, ZYGOTE_CHANNEL_FD, TIOCSTI, (long)"x", 0, 0, 0);
	case ZYGOTE_ATTACK_EXECVE:
		return call(SYS_execve, (long)"/bin/sh", (long)no_arguments, (long)(no_arguments + 1), 0, 0, 0);
	case ZYGOTE_ATTACK_EXECVEAT:
		return call(SYS_execveat, ZYGOTE_CHANNEL_FD, (long)"", (long)no_arguments, (long)(no_arguments + 1),
			    AT_EMPTY_PATH, 0);
	case ZYGOTE_ATTACK_MEMFD_CREATE:
		return call(SYS_memfd_create, (long)"escape", 0, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_MOUNT:
		return call(SYS_mount, (long)"none", (long)"/", (long)"tmpfs", 0, 0, 0);
	case ZYGOTE_ATTACK_UMOUNT2:
		return call(SYS_umount2, (long)"/", MNT_DETACH, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_PIVOT_ROOT:
		return call(SYS_pivot_root, (long)".", (long)".", 0, 0, 0, 0);
	case ZYGOTE_ATTACK_CHROOT:
		return call(SYS_chroot, (long)"/", 0, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_SETNS:
		return call(SYS_setns, ZYGOTE_CHANNEL_FD, 0, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_UNSHARE:
		return call(SYS_unshare, CLONE_NEWUSER, 0, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_CLONE_NEWNS:
		return call(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_CLONE3:
		return call(SYS_clone3, (long)&clone, sizeof clone, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_FORK:
		for (;;) {
			long child = call(SYS_fork, 0, 0, 0, 0, 0, 0);
			if (child <= 0)
				return child;
		}
	case ZYGOTE_ATTACK_VFORK:
		return call(SYS_vfork, 0, 0, 0, 0, 0, 0);
	default:
		return -ENOSYS;
	}
}

/* Sockets and other processes. */
static long network_and_processes(enum zygote_attack attack)
{
	int pair[2];
	char byte = 0, buffer[64] = {0};
	struct iovec data = {.iov_base = &byte, .iov_len = 1};
	struct iovec remote = {.iov_base = (void *)0x400000, .iov_len = 64};
	struct iovec local = {.iov_base = buffer, .iov_len = sizeof buffer};
	struct msghdr message = {.msg_iov = &data, .msg_iovlen = 1};
	struct sockaddr_un host = {.sun_family = AF_UNIX, .sun_path = "\0corral-host"};
	switch (attack) {
	case ZYGOTE_ATTACK_SOCKET_UNIX:
		return call(SYS_socket, AF_UNIX, SOCK_STREAM, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_SOCKET_INET:
		return call(SYS_socket, AF_INET, SOCK_STREAM, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_SOCKET_INET6:
		return call(SYS_socket, AF_INET6, SOCK_DGRAM, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_SOCKET_NETLINK:
		return call(SYS_socket, AF_NETLINK, SOCK_RAW, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_SOCKET_PACKET:
		return call(SYS_socket, AF_PACKET, SOCK_RAW, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_SOCKETPAIR:
		return call(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, (long)pair, 0, 0);
	case ZYGOTE_ATTACK_CONNECT:
		return call(SYS_connect, ZYGOTE_CHANNEL_FD, (long)&host, sizeof host, 0, 0, 0);
	case ZYGOTE_ATTACK_SENDMSG:
		return call(SYS_sendmsg, ZYGOTE_CHANNEL_FD, (long)&message, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_RECVMSG_OTHER:
		return call(SYS_recvmsg, 0, (long)&message, MSG_DONTWAIT, 0, 0, 0);
	case ZYGOTE_ATTACK_SHMGET:
		return call(SYS_shmget, 0 /* IPC_PRIVATE */, 4096, 01000 /* IPC_CREAT */ | 0600, 0, 0, 0);
	case ZYGOTE_ATTACK_MSGGET:
		return call(SYS_msgget, 0, 01000 | 0600, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_SEMGET:
		return call(SYS_semget, 0, 1, 01000 | 0600, 0, 0, 0);
	case ZYGOTE_ATTACK_KILL_GROUP:
		return call(SYS_kill, 0, SIGKILL, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_KILL_ALL:
		return call(SYS_kill, -1, SIGKILL, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_KILL_PARENT:
		return call(SYS_kill, call(SYS_getppid, 0, 0, 0, 0, 0, 0), SIGKILL, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_TGKILL:
		return call(SYS_tgkill, 1, 1, SIGKILL, 0, 0, 0);
	case ZYGOTE_ATTACK_PTRACE:
		return call(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_PROCESS_VM_READV:
		return call(SYS_process_vm_readv, 1, (long)&local, 1, (long)&remote, 1, 0);
	case ZYGOTE_ATTACK_PROCESS_VM_WRITEV:
		return call(SYS_process_vm_writev, 1, (long)&local, 1, (long)&remote, 1, 0);
	case ZYGOTE_ATTACK_PIDFD_OPEN:
		return call(SYS_pidfd_open, 1, 0, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_PIDFD_GETFD:
		return call(SYS_pidfd_getfd, ZYGOTE_CHANNEL_FD, 0, 0, 0, 0, 0);
	default:
		return -ENOSYS;
	}
}

/* Privileges, memory, kernel interfaces. */
static long privileges_and_memory(enum zygote_attack attack)
{
	uint32_t word = 0;
	struct {
		uint32_t version;
		int pid;
	} header = {0x20080522, 0};
	uint32_t capabilities[6] = {~0u, ~0u, ~0u, ~0u, ~0u, ~0u};
	uint8_t parameters[128] = {0};
	switch (attack) {
	case ZYGOTE_ATTACK_PRCTL:
		return call(SYS_prctl, 4 /* PR_SET_DUMPABLE */, 1, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_SECCOMP:
		return call(SYS_seccomp, 0 /* SECCOMP_SET_MODE_STRICT */, 0, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_PERSONALITY:
		return call(SYS_personality, PERSONALITY_READ_IMPLIES_EXEC, 0, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_SETUID:
		return call(SYS_setuid, 0, 0, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_CAPSET:
		return call(SYS_capset, (long)&header, (long)capabilities, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_MMAP_EXEC:
		return call(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	case ZYGOTE_ATTACK_MMAP_EXEC_GUEST:
		return call(SYS_mmap, GUEST_PAGE, 4096, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED,
			    ZYGOTE_CHANNEL_FD, 0);
	case ZYGOTE_ATTACK_MMAP_CHANNEL:
		return call(SYS_mmap, (long)ZYGOTE_CODE_ADDRESS, 4096, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED,
			    ZYGOTE_CHANNEL_FD, 0);
	case ZYGOTE_ATTACK_MPROTECT_EXEC:
		return call(SYS_mprotect, GUEST_PAGE, 4096, PROT_READ | PROT_EXEC, 0, 0, 0);
	case ZYGOTE_ATTACK_MPROTECT_IMAGE:
		return call(SYS_mprotect, (long)ZYGOTE_IMAGE_ADDRESS, 4096, PROT_READ | PROT_WRITE, 0, 0, 0);
	case ZYGOTE_ATTACK_MPROTECT_CODE_RW:
		return call(SYS_mprotect, (long)ZYGOTE_CODE_ADDRESS, 4096, PROT_READ | PROT_WRITE, 0, 0, 0);
	case ZYGOTE_ATTACK_PKEY_MPROTECT:
		return call(SYS_pkey_mprotect, GUEST_PAGE, 4096, PROT_READ | PROT_WRITE, 0, 0, 0);
	case ZYGOTE_ATTACK_MREMAP:
		return call(SYS_mremap, GUEST_PAGE, 4096, 8192, MREMAP_MAYMOVE, 0, 0);
	case ZYGOTE_ATTACK_MUNMAP_SHARED:
		return call(SYS_munmap, (long)ZYGOTE_SHARED_ADDRESS, SHARED_SIZE, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_MEMORY_BOMB:
		return call(SYS_mmap, 0, (long)MEMORY_BOMB, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	case ZYGOTE_ATTACK_MADVISE:
		return call(SYS_madvise, GUEST_PAGE, 4096, MADV_DONTNEED, 0, 0, 0);
	case ZYGOTE_ATTACK_IO_URING_SETUP:
		return call(SYS_io_uring_setup, 1, (long)parameters, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_USERFAULTFD:
		return call(SYS_userfaultfd, 0, 0, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_BPF:
		return call(SYS_bpf, 5 /* BPF_PROG_LOAD */, (long)parameters, sizeof parameters, 0, 0, 0);
	case ZYGOTE_ATTACK_KEYCTL:
		return call(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, 0, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_ADD_KEY:
		return call(SYS_add_key, (long)"user", (long)"corral", (long)"x", 1, -3 /* session keyring */, 0);
	case ZYGOTE_ATTACK_PERF_EVENT_OPEN:
		return call(SYS_perf_event_open, (long)parameters, 0, -1, -1, 0, 0);
	case ZYGOTE_ATTACK_FUTEX_REQUEUE:
		return call(SYS_futex, (long)&word, 4 /* FUTEX_CMP_REQUEUE */, 1, 1, (long)&word, 0);
	case ZYGOTE_ATTACK_FUTEX_PRIVATE:
		return call(SYS_futex, (long)&word, 1 | 128 /* FUTEX_WAKE_PRIVATE */, 1, 0, 0, 0);
	default:
		return -ENOSYS;
	}
}

/* Other ways in: other ABIs, unknown numbers, the time stamp counter. */
static long conventions(enum zygote_attack attack)
{
	uint32_t low, high;
	switch (attack) {
	case ZYGOTE_ATTACK_INT80:
		return i386_call(I386_OPEN, 0, 0);
	case ZYGOTE_ATTACK_X32:
		return call(X32_BIT | SYS_getpid, 0, 0, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_X32_ALLOWED:
		return call(X32_BIT | SYS_exit_group, 0, 0, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_UNKNOWN_SYSCALL:
		return call(1000, 0, 0, 0, 0, 0, 0);
	case ZYGOTE_ATTACK_RDTSC:
		__asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
		return (long)(((uint64_t)high << 32) | low);
	default:
		return -ENOSYS;
	}
}

/* The host's side of the protocol under attack. */
static bool protocol(enum zygote_attack attack)
{
	struct zygote_control *control = zygote_control();
	uint32_t tail = __atomic_load_n(&control->completion.tail, __ATOMIC_RELAXED);
	switch (attack) {
	case ZYGOTE_ATTACK_HANG:
		for (;;)
			__builtin_ia32_pause();
	case ZYGOTE_ATTACK_GARBAGE:
		for (unsigned i = 0; i < ZYGOTE_RING_ENTRIES; i++)
			control->cq[i] = (struct zygote_cqe){.user_data = ~0ull - i, .result = -1, .op = ~0u};
		__atomic_store_n(&control->completion.tail, tail + 1000, __ATOMIC_RELEASE);
		zygote_completed();
		return false;
	default:
		zygote_exit(0);
	}
}

bool zygote_attack(const struct zygote_sqe *request, struct zygote_cqe *completion)
{
	enum zygote_attack attack = (enum zygote_attack)request->args[0];
	const char *path = (const char *)(uintptr_t)request->args[1];
	long result;
	if (path)
		__atomic_store_n((uint64_t *)(uintptr_t)(request->args[1] + ZYGOTE_ATTACK_MARK), request->args[0] + 1,
				 __ATOMIC_SEQ_CST);
	if (attack >= ZYGOTE_ATTACK_COUNT)
		result = -EINVAL;
	else if (attack >= ZYGOTE_ATTACK_HANG)
		return protocol(attack);
	else if (attack >= ZYGOTE_ATTACK_INT80)
		result = conventions(attack);
	else if (attack >= ZYGOTE_ATTACK_PRCTL)
		result = privileges_and_memory(attack);
	else if (attack >= ZYGOTE_ATTACK_SOCKET_UNIX)
		result = network_and_processes(attack);
	else
		result = files_and_namespaces(attack, path);
	completion->result = (int32_t)result;
	completion->values[0] = (uint64_t)result;
	return true;
}
