/* What this kernel and CPU offer corral: each feature probed by really
 * using it once (a child cloned into namespaces, a sealed memfd executed, a
 * seccomp filter that kills, a Landlock domain that denies, a userfaultfd
 * handshake, an io_uring ring, a cgroup made and removed, a BPF map and
 * program loaded), with nothing left behind. `corral check` prints the
 * reports; the runtime asks host_feature_available before it picks a layer. */
#ifndef HOST_FEATURES_H
#define HOST_FEATURES_H

#include <stdbool.h>

enum host_feature {
	HOST_FEATURE_JIT_CPU,         /* x86-64 with POPCNT, LZCNT and BMI1 (host_jit_check_cpu) */
	HOST_FEATURE_USER_NAMESPACES, /* clone3(CLONE_NEWUSER) as the current user */
	HOST_FEATURE_NAMESPACES,      /* user mnt pid net ipc uts cgroup, in one clone3 */
	HOST_FEATURE_MEMFD_EXEC,      /* a sealed memfd started with execveat(AT_EMPTY_PATH) */
	HOST_FEATURE_SECCOMP,         /* a filter whose SECCOMP_RET_KILL_PROCESS kills */
	HOST_FEATURE_LANDLOCK,        /* a ruleset that denies, with the kernel's ABI */
	HOST_FEATURE_USERFAULTFD,     /* UFFD_USER_MODE_ONLY with SIGBUS and shmem missing + WP */
	HOST_FEATURE_IO_URING,        /* a ring set up through liburing */
	HOST_FEATURE_IO_URING_FUTEX,  /* IORING_OP_FUTEX_WAIT and _WAKE (Linux 6.7) */
	HOST_FEATURE_PIDFD,           /* pidfd_open, pidfd_send_signal, clone3 CLONE_PIDFD */
	HOST_FEATURE_CGROUP,          /* memory and pids groups we may create (v1 or v2) */
	HOST_FEATURE_BPF,             /* BTF at /sys/kernel/btf/vmlinux and the right to load */
	HOST_FEATURE_COUNT
};

struct host_feature_report {
	bool available;
	/* What was found (version, ABI, features), or why it is not available;
	 * never empty. */
	char detail[384];
};

/* Probes every feature the first time (a few milliseconds: each probe
 * clones at most a couple of short-lived children), then copies the cached
 * reports. Thread-safe. */
void host_features_probe(struct host_feature_report reports[HOST_FEATURE_COUNT]);

/* A short stable name, such as "user-namespaces" (what corral check prints). */
const char *host_feature_name(enum host_feature feature);

bool host_feature_available(enum host_feature feature);

/* Where the sandbox makes a worker's group for `controller` ("memory" or
 * "pids"), as the cgroup probe finds it: the folder of our own group in the
 * v1 hierarchy that has the controller, else in the unified hierarchy
 * (*v2). False when no mounted hierarchy has it. */
bool host_cgroup_home(const char *controller, char *folder, size_t size, bool *v2);

#endif
