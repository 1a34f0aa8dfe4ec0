/* A sandbox worker: one zygote process and the memory the host shares with
 * it (zygote/protocol.h). host/worker.c starts and stops workers;
 * host/seccomp.c builds the filter they install; host/sandbox.c runs
 * compiled code in them. */
#ifndef HOST_WORKER_H
#define HOST_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "corral.h"
#include "zygote/protocol.h"

struct host_worker {
	pid_t pid;
	int pidfd;   /* readable when the zygote has exited */
	int channel; /* our end of the SOCK_SEQPACKET socket: code memfds go down it */
	int guest_fd;
	/* The zygote's userfaultfd over its own memory (host/pager.h), checked
	 * and handshaken at start-up; -1 if it has none, uffd_errno saying why. */
	int uffd;
	int uffd_errno;
	uint8_t *shared;                /* our mapping of the shared region (ZYGOTE_SHARED_SIZE) */
	struct zygote_control *control; /* shared + ZYGOTE_ANCHOR_OFFSET */
	/* Our mapping of the guest memfd: guest address a is guest[a], read
	 * and write for us whatever the zygote's protection; a PROT_NONE
	 * reservation of 4 GiB + guard. */
	uint8_t *guest;
	size_t guest_reservation;
	uint32_t layers; /* ZYGOTE_LAYER_* the zygote reported */
	bool dead;       /* it exited or was killed and reaped */
	int exit_status; /* as waitid's si_status, with exit_code */
	int exit_code;   /* CLD_EXITED, CLD_KILLED, CLD_DUMPED */
	/* Its cgroups when the options asked for limits (host/cgroup.h), else
	 * NULL; the memory limit, and whether the memory group's OOM killer
	 * killed it (looked at when its death is seen, before the groups go). */
	struct host_cgroup *cgroup;
	uint64_t memory_limit;
	bool out_of_memory;
};

/* The zygote image a worker runs: the release build embedded in the
 * library, or (tests) another build such as the attack zygote. */
struct host_zygote_image {
	const uint8_t *bytes;
	size_t length;
};

extern const struct host_zygote_image host_zygote_release;

/* The RLIMIT_CPU backstop when the options give none, in seconds. */
#define HOST_WORKER_CPU_SECONDS 600

struct host_worker_options {
	const struct host_zygote_image *image; /* NULL: the release build */
	uint32_t cpu_seconds;                  /* RLIMIT_CPU backstop (0: a default) */
	/* Limits by cgroup (host/cgroup.h), 0: none. Asking for one where no
	 * group can be made (not root, no such controller) fails the spawn. */
	uint64_t memory_limit; /* bytes of memory (and swap) */
	uint32_t pids_limit;   /* tasks */
};

/* Starts a zygote in fresh namespaces, hands it the seccomp filter, and
 * waits until it reports every layer in place. An error names the step that
 * failed and why (a zygote that dies says how). */
corral_result host_worker_spawn(struct host_worker *worker, const struct host_worker_options *options,
				corral_error *error);

/* SIGKILL (if alive), reap, unmap, close. Safe on a worker that died. */
void host_worker_kill(struct host_worker *worker);

/* Whether the zygote has exited (reaping it, non-blocking). */
bool host_worker_exited(struct host_worker *worker);

/* Describes how a dead worker ended ("killed by SIGSYS", "exited with
 * status 3", "out of memory (its cgroup's memory limit of 64 MiB)", ...). */
void host_worker_describe_exit(const struct host_worker *worker, char *buffer, size_t size);

/* The CPU time the zygote has used in all, in ns (0 if it cannot be read):
 * its RLIMIT_CPU backstop counts the same. */
uint64_t host_worker_cpu_ns(const struct host_worker *worker);

/* Sends a file descriptor on the channel (SCM_RIGHTS). */
corral_result host_worker_send_fd(struct host_worker *worker, int fd, corral_error *error);

/* host/seccomp.c: the zygote's filter as raw classic BPF, built once with
 * libseccomp (the same array every call). */
corral_result host_seccomp_filter(const struct zygote_filter_insn **filter, size_t *length, corral_error *error);

#endif
