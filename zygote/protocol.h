/* What the host and a zygote share: fixed addresses in the zygote, the
 * shared region's layout, and the commands on its rings.
 *
 * Included by the zygote (musl, freestanding: no libc types beyond
 * <stdint.h>) and by host/. The host trusts nothing the zygote writes here:
 * every index, length and state it reads back is read once and checked.
 *
 * The zygote's address space:
 *
 *   [64 KiB, 4 GiB)        guest memory: the guest memfd, MAP_SHARED, page
 *                          protections as the host asks (never executable)
 *   [4 GiB, +64 KiB)       guard: PROT_NONE, so that an access starting below
 *                          4 GiB and running past it faults
 *   ZYGOTE_IMAGE_ADDRESS   the zygote's own code and data (linked there)
 *   ZYGOTE_SHARED_ADDRESS  the shared region (the shared memfd, read-write)
 *   ZYGOTE_CODE_ADDRESS    compiled code: a sealed memfd, read+execute
 *
 * The shared region:
 *
 *   [0, ZYGOTE_ANCHOR_OFFSET)  the native jump table, ending at the JIT's
 *                              context (struct pvm_jit_context: registers,
 *                              gas, exit record), which ends at the anchor
 *   ZYGOTE_ANCHOR_OFFSET       struct zygote_control: the state words, the
 *                              start-up report, the seccomp filter, rings
 *   ZYGOTE_PAGE_TABLE_OFFSET   a paged instance's page-access table, a copy
 *                              the host keeps for page-checking code
 *
 * Together, the JIT context just below the anchor and the control block
 * just above it are the "context page": registers, pc, gas, state word,
 * host-call index and fault address. Compiled code runs with r15 = the
 * anchor, exactly as in-process, but in PVM_JIT_MEMORY_ABSOLUTE.
 *
 * File descriptors: the zygote starts with ZYGOTE_CHANNEL_FD (a
 * SOCK_SEQPACKET socket to the host, which sends compiled code's memfds on
 * it with SCM_RIGHTS), ZYGOTE_SHARED_FD and ZYGOTE_GUEST_FD; it maps the last
 * two and closes every fd but the channel. At ZYGOTE_STEP_USERFAULTFD it
 * sends the host one message the other way: a userfaultfd over its own
 * memory (SCM_RIGHTS), which the host pages guest memory with (dynamic
 * paging; host/pager.h), or none, with userfaultfd_errno saying why. */
#ifndef ZYGOTE_PROTOCOL_H
#define ZYGOTE_PROTOCOL_H

#include <stdint.h>

#define ZYGOTE_CHANNEL_FD 3
#define ZYGOTE_SHARED_FD  4
#define ZYGOTE_GUEST_FD   5

#define ZYGOTE_GUEST_LOW  0x10000ull     /* vm.mmap_min_addr's usual value; PVM pages below are never mapped */
#define ZYGOTE_GUEST_END  0x100000000ull /* 4 GiB */
#define ZYGOTE_GUARD_SIZE 0x10000ull
#define ZYGOTE_GUEST_SIZE ZYGOTE_GUEST_END /* the guest memfd's size: offset = guest address */

#define ZYGOTE_IMAGE_ADDRESS  0x100000000000ull /* 16 TiB: the zygote is linked here (-Ttext-segment) */
#define ZYGOTE_SHARED_ADDRESS 0x200000000000ull
#define ZYGOTE_CODE_ADDRESS   0x300000000000ull
#define ZYGOTE_CODE_MAX       (1ull << 30) /* compiled code larger than this is refused */

/* The jump table holds at most this many entries (8 bytes each) below the
 * context. */
#define ZYGOTE_JUMP_TABLE_MAX (1u << 21)
#define ZYGOTE_ANCHOR_OFFSET  ((uint64_t)ZYGOTE_JUMP_TABLE_MAX * 8 + 4096)
#define ZYGOTE_CONTROL_SIZE   (64u << 10)
/* The page-access table of a paged instance (one byte per 4 KiB guest
 * page), which page-checking code reads: written by the host alone. */
#define ZYGOTE_PAGE_TABLE_OFFSET (ZYGOTE_ANCHOR_OFFSET + ZYGOTE_CONTROL_SIZE)
#define ZYGOTE_PAGE_TABLE_SIZE   (ZYGOTE_GUEST_END >> 12)
#define ZYGOTE_SHARED_SIZE       (ZYGOTE_PAGE_TABLE_OFFSET + ZYGOTE_PAGE_TABLE_SIZE)

/* ---- start-up ------------------------------------------------------------ */

enum zygote_status {
	ZYGOTE_STATUS_STARTING = 0, /* the host zeroed the page */
	ZYGOTE_STATUS_READY,        /* every layer is in place; the rings are served */
	ZYGOTE_STATUS_FAILED,       /* failed_step failed with failed_errno; the zygote exits */
};

/* The start-up steps, in order. A step that fails is reported (if the
 * shared region is mapped by then) and the zygote exits with status
 * ZYGOTE_EXIT_STEP_BASE + step. */
enum zygote_step {
	ZYGOTE_STEP_ARGUMENTS = 1, /* argv, environment and fds are what the host passes */
	ZYGOTE_STEP_MAP_SHARED,
	ZYGOTE_STEP_MAP_GUEST,
	ZYGOTE_STEP_USERFAULTFD, /* made and sent to the host (or why not), then closed */
	ZYGOTE_STEP_SETSID,
	ZYGOTE_STEP_CLOSE_FDS,
	ZYGOTE_STEP_PIVOT_ROOT,
	ZYGOTE_STEP_CAPABILITIES,
	ZYGOTE_STEP_NO_NEW_PRIVS,
	ZYGOTE_STEP_RLIMITS,
	ZYGOTE_STEP_TSC,
	ZYGOTE_STEP_LANDLOCK,
	ZYGOTE_STEP_SIGNALS,
	ZYGOTE_STEP_SECCOMP,
	ZYGOTE_STEP_COUNT,
};

#define ZYGOTE_EXIT_STEP_BASE 64

/* Other ways a zygote ends by itself: the host's end of the channel closed
 * (the host is gone; an idle zygote looks once a second); SIGXCPU, its
 * CPU-time soft limit (as its pid namespace's init it must catch the
 * signal to die of it); or a fault outside compiled code (or a second one
 * inside it before the run returned), which exits with
 * ZYGOTE_EXIT_FAULT_BASE + the signal. */
#define ZYGOTE_EXIT_ORPHANED   80
#define ZYGOTE_EXIT_CPU_TIME   81
#define ZYGOTE_EXIT_FAULT_BASE 96

/* Layers in place (zygote_control.layers), one bit per step that may be
 * skipped where the kernel lacks it. */
#define ZYGOTE_LAYER_LANDLOCK (1u << 0)

/* A classic BPF instruction, as struct sock_filter. */
struct zygote_filter_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

#define ZYGOTE_FILTER_MAX 1024

/* ---- rings --------------------------------------------------------------- */

enum zygote_op {
	ZYGOTE_OP_NOP = 0,
	/* Maps compiled code: a memfd arrives on the channel (SCM_RIGHTS),
	 * sealed against writes; args: [0] its size, [1] the fault trampoline's
	 * offset. Replaces the code mapped before. */
	ZYGOTE_OP_MAP_CODE,
	/* Sets guest pages' protection; args: [0] address, [1] length (both
	 * page-aligned, inside [64 KiB, 4 GiB)), [2] enum zygote_access. */
	ZYGOTE_OP_PROTECT,
	/* Runs compiled code: enter(anchor, code + args[1]) with the trampoline
	 * at code + args[0]. The completion's values: [0] the signal that
	 * stopped it in compiled code (0: it left through an exit), [1] the
	 * faulting instruction's native offset, [2] the fault address. */
	ZYGOTE_OP_RUN,
	/* Test builds only (ZYGOTE_ATTACKS): tries escape args[0]. A release
	 * zygote answers -EINVAL as for any unknown op. */
	ZYGOTE_OP_ATTACK,
	ZYGOTE_OP_COUNT,
};

enum zygote_access {
	ZYGOTE_ACCESS_NONE = 0,
	ZYGOTE_ACCESS_READ,
	ZYGOTE_ACCESS_WRITE, /* read and write */
};

struct zygote_sqe {
	uint32_t op; /* enum zygote_op */
	uint32_t reserved;
	uint64_t user_data; /* echoed in the completion */
	uint64_t args[4];
};

struct zygote_cqe {
	uint64_t user_data;
	int32_t result; /* 0, or a negated errno */
	uint32_t op;
	uint64_t values[3];
};

#define ZYGOTE_RING_ENTRIES 64u /* a power of two */
#define ZYGOTE_RING_MASK    (ZYGOTE_RING_ENTRIES - 1)

/* head: the next entry the consumer takes; tail: the next entry the
 * producer fills. Free-running counters; an entry is at counter & mask. */
struct zygote_ring {
	_Alignas(64) uint32_t head;
	_Alignas(64) uint32_t tail;
};

/* ---- the control block ----------------------------------------------------- */

struct zygote_control {
	/* The state words, each a futex: `submitted` counts the host's
	 * batches of submissions, `completed` the zygote's batches of
	 * completions. A side waits for the other's counter to move: it spins
	 * briefly, then sets its `*_waiting` flag, checks again and sleeps on
	 * the counter (FUTEX_WAIT, not private: two processes). The other side
	 * bumps the counter and calls FUTEX_WAKE only if the flag is set, so
	 * that the common case makes no system call. */
	_Alignas(64) uint32_t submitted;
	uint32_t zygote_waiting;
	_Alignas(64) uint32_t completed;
	uint32_t host_waiting;

	/* Start-up: written by the host before the zygote starts (the
	 * filter, the CPU-time backstop) and by the zygote as it goes. */
	_Alignas(64) uint32_t status; /* enum zygote_status */
	uint32_t failed_step;         /* enum zygote_step */
	int32_t failed_errno;
	uint32_t layers;           /* ZYGOTE_LAYER_* */
	uint32_t cpu_seconds;      /* RLIMIT_CPU soft limit; the hard limit is one more */
	uint32_t filter_length;    /* instructions in filter */
	int32_t userfaultfd_errno; /* why the zygote sent no userfaultfd (0: it sent one) */
	struct zygote_filter_insn filter[ZYGOTE_FILTER_MAX];

	struct zygote_ring submission; /* host → zygote */
	struct zygote_ring completion; /* zygote → host */
	struct zygote_sqe sq[ZYGOTE_RING_ENTRIES];
	struct zygote_cqe cq[ZYGOTE_RING_ENTRIES];
};

_Static_assert(sizeof(struct zygote_control) <= ZYGOTE_CONTROL_SIZE, "the control block outgrew its space");

#endif
