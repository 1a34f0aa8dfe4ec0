/* The escapes the test zygote (make's corral-zygote-attacks, never the
 * release build) tries on ZYGOTE_OP_ATTACK, args[0] the number. Each is a
 * compromised zygote doing what the sandbox must stop; tests/test_worker.c
 * says what must happen to each. */
#ifndef ZYGOTE_ATTACKS_H
#define ZYGOTE_ATTACKS_H

/* args[1] of an attack: a guest page the test made readable and writable,
 * holding at 0 the path the CREATE attack tries, and where the zygote
 * writes the attack's number + 1 at ZYGOTE_ATTACK_MARK just before it
 * tries: the proof that what killed it was the attempt. */
#define ZYGOTE_ATTACK_MARK 2048

enum zygote_attack {
	/* files */
	ZYGOTE_ATTACK_OPEN,             /* open("/etc/passwd") */
	ZYGOTE_ATTACK_OPENAT,           /* openat(AT_FDCWD, "/etc/passwd") */
	ZYGOTE_ATTACK_OPENAT2,          /* openat2(AT_FDCWD, "/etc/passwd") */
	ZYGOTE_ATTACK_CREATE,           /* openat(O_CREAT) of the path at guest address args[1] */
	ZYGOTE_ATTACK_OPENAT_LEAKED_FD, /* openat(3, "..") as if fd 3 were a leaked directory */
	ZYGOTE_ATTACK_PROC_SELF_MEM,    /* open /proc/self/mem to write into the code */
	ZYGOTE_ATTACK_WRITE,            /* write(3) */
	ZYGOTE_ATTACK_IOCTL,            /* ioctl(3, TIOCSTI) */
	/* programs */
	ZYGOTE_ATTACK_EXECVE,
	ZYGOTE_ATTACK_EXECVEAT,
	ZYGOTE_ATTACK_MEMFD_CREATE,
	/* mounts and namespaces */
	ZYGOTE_ATTACK_MOUNT,
	ZYGOTE_ATTACK_UMOUNT2,
	ZYGOTE_ATTACK_PIVOT_ROOT,
	ZYGOTE_ATTACK_CHROOT,
	ZYGOTE_ATTACK_SETNS,
	ZYGOTE_ATTACK_UNSHARE,     /* unshare(CLONE_NEWUSER) */
	ZYGOTE_ATTACK_CLONE_NEWNS, /* clone(CLONE_NEWUSER | CLONE_NEWNS) */
	ZYGOTE_ATTACK_CLONE3,
	ZYGOTE_ATTACK_FORK, /* the first step of a fork bomb */
	ZYGOTE_ATTACK_VFORK,
	/* the network, and other processes */
	ZYGOTE_ATTACK_SOCKET_UNIX,
	ZYGOTE_ATTACK_SOCKET_INET,
	ZYGOTE_ATTACK_SOCKET_INET6,
	ZYGOTE_ATTACK_SOCKET_NETLINK,
	ZYGOTE_ATTACK_SOCKET_PACKET,
	ZYGOTE_ATTACK_SOCKETPAIR,
	ZYGOTE_ATTACK_CONNECT,       /* connect(3) to the host's abstract unix socket */
	ZYGOTE_ATTACK_SENDMSG,       /* sendmsg(3): an fd back to the host */
	ZYGOTE_ATTACK_RECVMSG_OTHER, /* recvmsg on an fd other than the channel */
	ZYGOTE_ATTACK_SHMGET,
	ZYGOTE_ATTACK_MSGGET,
	ZYGOTE_ATTACK_SEMGET,
	ZYGOTE_ATTACK_KILL_GROUP,  /* kill(0, SIGKILL) */
	ZYGOTE_ATTACK_KILL_ALL,    /* kill(-1, SIGKILL) */
	ZYGOTE_ATTACK_KILL_PARENT, /* kill(getppid(), SIGKILL) */
	ZYGOTE_ATTACK_TGKILL,
	ZYGOTE_ATTACK_PTRACE, /* ptrace(PTRACE_TRACEME) */
	ZYGOTE_ATTACK_PROCESS_VM_READV,
	ZYGOTE_ATTACK_PROCESS_VM_WRITEV,
	ZYGOTE_ATTACK_PIDFD_OPEN,
	ZYGOTE_ATTACK_PIDFD_GETFD,
	/* privileges */
	ZYGOTE_ATTACK_PRCTL,       /* prctl(PR_SET_DUMPABLE) */
	ZYGOTE_ATTACK_SECCOMP,     /* seccomp(SECCOMP_SET_MODE_STRICT) */
	ZYGOTE_ATTACK_PERSONALITY, /* personality(READ_IMPLIES_EXEC) */
	ZYGOTE_ATTACK_SETUID,
	ZYGOTE_ATTACK_CAPSET,
	/* memory */
	ZYGOTE_ATTACK_MMAP_EXEC,        /* anonymous read-write-execute */
	ZYGOTE_ATTACK_MMAP_EXEC_GUEST,  /* read+execute, shared and fixed, but over guest memory */
	ZYGOTE_ATTACK_MMAP_CHANNEL,     /* the allowed shape exactly, of the channel: the kernel refuses */
	ZYGOTE_ATTACK_MPROTECT_EXEC,    /* guest page to read+execute */
	ZYGOTE_ATTACK_MPROTECT_IMAGE,   /* the zygote's own code (outside guest memory) to read-write */
	ZYGOTE_ATTACK_MPROTECT_CODE_RW, /* the compiled code to read-write */
	ZYGOTE_ATTACK_PKEY_MPROTECT,
	ZYGOTE_ATTACK_MREMAP,
	ZYGOTE_ATTACK_MUNMAP_SHARED, /* munmap of anything but the code */
	ZYGOTE_ATTACK_MEMORY_BOMB,   /* 64 GiB anonymous read-write */
	ZYGOTE_ATTACK_MADVISE,
	/* kernel interfaces */
	ZYGOTE_ATTACK_IO_URING_SETUP,
	ZYGOTE_ATTACK_USERFAULTFD,
	ZYGOTE_ATTACK_BPF,
	ZYGOTE_ATTACK_KEYCTL,
	ZYGOTE_ATTACK_ADD_KEY,
	ZYGOTE_ATTACK_PERF_EVENT_OPEN,
	ZYGOTE_ATTACK_FUTEX_REQUEUE, /* futex with an op other than WAIT and WAKE */
	ZYGOTE_ATTACK_FUTEX_PRIVATE, /* FUTEX_WAKE_PRIVATE */
	/* system call conventions */
	ZYGOTE_ATTACK_INT80,           /* int 0x80 with i386's open (5) */
	ZYGOTE_ATTACK_X32,             /* x32's getpid (39 | 0x40000000) */
	ZYGOTE_ATTACK_X32_ALLOWED,     /* x32's exit_group: a number the filter allows, with the x32 bit */
	ZYGOTE_ATTACK_UNKNOWN_SYSCALL, /* 1000 */
	ZYGOTE_ATTACK_RDTSC,           /* faults (PR_SET_TSC): the zygote ends as on any fault of its own */
	/* the protocol */
	ZYGOTE_ATTACK_HANG,    /* spins forever, answering nothing */
	ZYGOTE_ATTACK_GARBAGE, /* a completion tail far past what was submitted */
	ZYGOTE_ATTACK_EXIT,    /* exit_group(0) in the middle of a request */
	ZYGOTE_ATTACK_COUNT,
};

static const char *const zygote_attack_names[ZYGOTE_ATTACK_COUNT] = {
	[ZYGOTE_ATTACK_OPEN] = "open",
	[ZYGOTE_ATTACK_OPENAT] = "openat",
	[ZYGOTE_ATTACK_OPENAT2] = "openat2",
	[ZYGOTE_ATTACK_CREATE] = "create a file",
	[ZYGOTE_ATTACK_OPENAT_LEAKED_FD] = "openat through a leaked fd",
	[ZYGOTE_ATTACK_PROC_SELF_MEM] = "/proc/self/mem",
	[ZYGOTE_ATTACK_WRITE] = "write",
	[ZYGOTE_ATTACK_IOCTL] = "ioctl",
	[ZYGOTE_ATTACK_EXECVE] = "execve",
	[ZYGOTE_ATTACK_EXECVEAT] = "execveat",
	[ZYGOTE_ATTACK_MEMFD_CREATE] = "memfd_create",
	[ZYGOTE_ATTACK_MOUNT] = "mount",
	[ZYGOTE_ATTACK_UMOUNT2] = "umount2",
	[ZYGOTE_ATTACK_PIVOT_ROOT] = "pivot_root",
	[ZYGOTE_ATTACK_CHROOT] = "chroot",
	[ZYGOTE_ATTACK_SETNS] = "setns",
	[ZYGOTE_ATTACK_UNSHARE] = "unshare",
	[ZYGOTE_ATTACK_CLONE_NEWNS] = "clone with new namespaces",
	[ZYGOTE_ATTACK_CLONE3] = "clone3",
	[ZYGOTE_ATTACK_FORK] = "fork",
	[ZYGOTE_ATTACK_VFORK] = "vfork",
	[ZYGOTE_ATTACK_SOCKET_UNIX] = "socket AF_UNIX",
	[ZYGOTE_ATTACK_SOCKET_INET] = "socket AF_INET",
	[ZYGOTE_ATTACK_SOCKET_INET6] = "socket AF_INET6",
	[ZYGOTE_ATTACK_SOCKET_NETLINK] = "socket AF_NETLINK",
	[ZYGOTE_ATTACK_SOCKET_PACKET] = "socket AF_PACKET",
	[ZYGOTE_ATTACK_SOCKETPAIR] = "socketpair",
	[ZYGOTE_ATTACK_CONNECT] = "connect",
	[ZYGOTE_ATTACK_SENDMSG] = "sendmsg",
	[ZYGOTE_ATTACK_RECVMSG_OTHER] = "recvmsg on another fd",
	[ZYGOTE_ATTACK_SHMGET] = "shmget",
	[ZYGOTE_ATTACK_MSGGET] = "msgget",
	[ZYGOTE_ATTACK_SEMGET] = "semget",
	[ZYGOTE_ATTACK_KILL_GROUP] = "kill(0)",
	[ZYGOTE_ATTACK_KILL_ALL] = "kill(-1)",
	[ZYGOTE_ATTACK_KILL_PARENT] = "kill(getppid())",
	[ZYGOTE_ATTACK_TGKILL] = "tgkill",
	[ZYGOTE_ATTACK_PTRACE] = "ptrace",
	[ZYGOTE_ATTACK_PROCESS_VM_READV] = "process_vm_readv",
	[ZYGOTE_ATTACK_PROCESS_VM_WRITEV] = "process_vm_writev",
	[ZYGOTE_ATTACK_PIDFD_OPEN] = "pidfd_open",
	[ZYGOTE_ATTACK_PIDFD_GETFD] = "pidfd_getfd",
	[ZYGOTE_ATTACK_PRCTL] = "prctl",
	[ZYGOTE_ATTACK_SECCOMP] = "seccomp",
	[ZYGOTE_ATTACK_PERSONALITY] = "personality",
	[ZYGOTE_ATTACK_SETUID] = "setuid",
	[ZYGOTE_ATTACK_CAPSET] = "capset",
	[ZYGOTE_ATTACK_MMAP_EXEC] = "mmap PROT_EXEC",
	[ZYGOTE_ATTACK_MMAP_EXEC_GUEST] = "mmap PROT_EXEC over guest memory",
	[ZYGOTE_ATTACK_MMAP_CHANNEL] = "mmap of the channel",
	[ZYGOTE_ATTACK_MPROTECT_EXEC] = "mprotect PROT_EXEC",
	[ZYGOTE_ATTACK_MPROTECT_IMAGE] = "mprotect of the zygote's image",
	[ZYGOTE_ATTACK_MPROTECT_CODE_RW] = "mprotect of the code",
	[ZYGOTE_ATTACK_PKEY_MPROTECT] = "pkey_mprotect",
	[ZYGOTE_ATTACK_MREMAP] = "mremap",
	[ZYGOTE_ATTACK_MUNMAP_SHARED] = "munmap of the shared region",
	[ZYGOTE_ATTACK_MEMORY_BOMB] = "memory bomb",
	[ZYGOTE_ATTACK_MADVISE] = "madvise",
	[ZYGOTE_ATTACK_IO_URING_SETUP] = "io_uring_setup",
	[ZYGOTE_ATTACK_USERFAULTFD] = "userfaultfd",
	[ZYGOTE_ATTACK_BPF] = "bpf",
	[ZYGOTE_ATTACK_KEYCTL] = "keyctl",
	[ZYGOTE_ATTACK_ADD_KEY] = "add_key",
	[ZYGOTE_ATTACK_PERF_EVENT_OPEN] = "perf_event_open",
	[ZYGOTE_ATTACK_FUTEX_REQUEUE] = "futex FUTEX_CMP_REQUEUE",
	[ZYGOTE_ATTACK_FUTEX_PRIVATE] = "futex FUTEX_WAKE_PRIVATE",
	[ZYGOTE_ATTACK_INT80] = "int 0x80 (i386 open)",
	[ZYGOTE_ATTACK_X32] = "x32 getpid",
	[ZYGOTE_ATTACK_X32_ALLOWED] = "x32 exit_group",
	[ZYGOTE_ATTACK_UNKNOWN_SYSCALL] = "unknown system call 1000",
	[ZYGOTE_ATTACK_RDTSC] = "rdtsc",
	[ZYGOTE_ATTACK_HANG] = "hang",
	[ZYGOTE_ATTACK_GARBAGE] = "garbage in the ring",
	[ZYGOTE_ATTACK_EXIT] = "exit mid-job",
};

#endif
