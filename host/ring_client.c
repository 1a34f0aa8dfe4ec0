/* The host's end of a worker's rings, and the event loop it sleeps in.
 *
 * A host call into the sandbox and back should cost no system call: the
 * host spins on the zygote's completion tail for SPIN_NS first, which
 * covers any short run. Past that it sleeps in an io_uring of its own
 * thread on three events at once: the counter's futex (IORING_OP_FUTEX_WAIT,
 * Linux 6.7), the worker's pidfd (it died) and a timeout (the limits are
 * checked at each). Where the kernel has no io_uring futex, the same loop
 * runs on the futex system call with a timeout and a poll of the pidfd. */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "host/internal.h"
#include "host/ring_client.h"

/* Linux 6.7: io_uring's futex operations and futex2's size flag. */
#ifndef IORING_OP_FUTEX_WAIT
#define IORING_OP_FUTEX_WAIT 51
#endif
#ifndef FUTEX2_SIZE_U32
#define FUTEX2_SIZE_U32 0x02
#endif

/* How long the host spins for a run's completion before it sleeps: long
 * enough to catch the runs of a guest that makes host calls in a loop
 * without a sleep and wake-up (tens of microseconds on a virtual machine,
 * more than a whole round trip), short enough that a longer run wastes
 * little of a core that other jobs may want. Waiting for a worker to start
 * spins far less: start-up takes a millisecond anyway. */
#define SPIN_NS       250000ull
#define START_SPIN_NS 20000ull
#define SLEEP_NS      10000000ull /* how often a sleeping host looks at the limits */

enum event { EVENT_FUTEX = 1, EVENT_DEATH, EVENT_TIMEOUT, EVENT_CANCEL };

struct event_loop {
	struct io_uring ring;
	bool tried;
	bool ready;      /* the ring exists */
	bool futex_wait; /* and the kernel has IORING_OP_FUTEX_WAIT */
};

static __thread struct event_loop loop;
static pthread_key_t loop_key;
static pthread_once_t loop_key_once = PTHREAD_ONCE_INIT;

static void loop_destroy(void *value)
{
	struct event_loop *dying = value;
	if (dying->ready)
		io_uring_queue_exit(&dying->ring);
	dying->ready = false;
}

/* A forked child has a copy of the parent's ring mapping and fd, which
 * the parent's kernel ring still drives: it must never use them. */
static void loop_forget_in_child(void)
{
	loop_destroy(&loop);
	loop.tried = false;
}

static void loop_key_create(void)
{
	pthread_key_create(&loop_key, loop_destroy);
	pthread_atfork(NULL, NULL, loop_forget_in_child);
}

/* The thread's ring, made on first use and closed when the thread ends.
 * NULL if io_uring cannot be had (disabled by sysctl, say): the futex
 * system call does the job then. */
static struct event_loop *event_loop(void)
{
	if (loop.tried)
		return loop.ready ? &loop : NULL;
	loop.tried = true;
	pthread_once(&loop_key_once, loop_key_create);
	if (io_uring_queue_init(8, &loop.ring, 0))
		return NULL;
	struct io_uring_probe *probe = io_uring_get_probe_ring(&loop.ring);
	loop.futex_wait = probe && io_uring_opcode_supported(probe, IORING_OP_FUTEX_WAIT);
	io_uring_free_probe(probe);
	if (!loop.futex_wait) {
		io_uring_queue_exit(&loop.ring);
		return NULL;
	}
	loop.ready = true;
	pthread_setspecific(loop_key, &loop);
	return &loop;
}

static uint64_t now_ns(clockid_t clock)
{
	struct timespec now;
	clock_gettime(clock, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

static void futex_wake(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* liburing 2.3 has no helper for IORING_OP_FUTEX_WAIT. */
static void prep_futex_wait(struct io_uring_sqe *sqe, uint32_t *word, uint32_t seen)
{
	memset(sqe, 0, sizeof *sqe);
	sqe->opcode = IORING_OP_FUTEX_WAIT;
	sqe->fd = FUTEX2_SIZE_U32; /* shared, not private: two processes */
	sqe->addr = (uint64_t)(uintptr_t)word;
	sqe->off = seen; /* addr2 */
	sqe->addr3 = FUTEX_BITSET_MATCH_ANY;
	sqe->user_data = EVENT_FUTEX;
}

/* One sleep in the ring: until the futex is woken (or *word != seen
 * already), the worker dies, or SLEEP_NS pass; then every request left is
 * cancelled and reaped, so the ring is empty again. */
static void sleep_in_ring(struct event_loop *events, struct host_worker *worker, uint32_t *word, uint32_t seen)
{
	struct io_uring *ring = &events->ring;
	struct __kernel_timespec timeout = {.tv_nsec = (long long)SLEEP_NS};
	/* The ring is empty between sleeps: the three entries are there. */
	struct io_uring_sqe *futex = io_uring_get_sqe(ring), *death = io_uring_get_sqe(ring),
			    *sqe = io_uring_get_sqe(ring);
	if (!futex || !death || !sqe)
		return;
	prep_futex_wait(futex, word, seen);
	io_uring_prep_poll_add(death, worker->pidfd, POLLIN);
	death->user_data = EVENT_DEATH;
	io_uring_prep_timeout(sqe, &timeout, 0, 0);
	sqe->user_data = EVENT_TIMEOUT;
	unsigned pending = 3;
	io_uring_submit_and_wait(ring, 1);
	bool cancelled = false;
	while (pending) {
		struct io_uring_cqe *cqe;
		if (io_uring_peek_cqe(ring, &cqe)) {
			if (!cancelled && (sqe = io_uring_get_sqe(ring))) {
				io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
				sqe->user_data = EVENT_CANCEL;
				io_uring_submit(ring);
				cancelled = true;
				pending++;
			}
			if (io_uring_wait_cqe(ring, &cqe))
				break;
		}
		pending--;
		io_uring_cqe_seen(ring, cqe);
	}
}

static void sleep_on_futex(struct host_worker *worker, uint32_t *word, uint32_t seen)
{
	struct timespec timeout = {.tv_nsec = (long)SLEEP_NS};
	syscall(SYS_futex, word, FUTEX_WAIT, seen, &timeout, NULL, 0);
	(void)worker;
}

static bool moved(uint32_t *word, uint32_t seen)
{
	return __atomic_load_n(word, __ATOMIC_ACQUIRE) != seen;
}

/* Whether *word moves from `seen` within `budget` ns of spinning. */
static bool spin_until_moved(uint32_t *word, uint32_t seen, uint64_t budget)
{
	uint64_t start = now_ns(CLOCK_MONOTONIC);
	for (unsigned spins = 0;; spins++) {
		if (moved(word, seen))
			return true;
		if (spins % 64 == 63 && now_ns(CLOCK_MONOTONIC) - start > budget)
			return false;
		__builtin_ia32_pause();
	}
}

/* Sleeps (see the top of the file) until *word moves from `seen`, the
 * worker dies or a limit passes. */
static corral_result sleep_until_moved(struct host_worker *worker, uint32_t *word, uint32_t seen,
				       uint32_t *waiting_flag, const struct host_ring_limits *limits,
				       corral_error *error)
{
	uint64_t start = now_ns(CLOCK_MONOTONIC);
	uint64_t cpu_start = limits->cpu_ns ? host_worker_cpu_ns(worker) : 0;
	struct event_loop *events = event_loop();
	for (;;) {
		/* The flag first, then the look: the zygote bumps the word
		 * first, then looks at the flag, so one of us sees the other. */
		__atomic_store_n(waiting_flag, 1, __ATOMIC_SEQ_CST);
		if (!moved(word, seen)) {
			if (events)
				sleep_in_ring(events, worker, word, seen);
			else
				sleep_on_futex(worker, word, seen);
		}
		__atomic_store_n(waiting_flag, 0, __ATOMIC_RELAXED);
		if (moved(word, seen))
			return CORRAL_OK;
		if (host_worker_exited(worker)) {
			char how[128];
			host_worker_describe_exit(worker, how, sizeof how);
			return host_fail(error, CORRAL_ERROR_SYSTEM, "the sandbox worker (pid %d) died: %s",
					 (int)worker->pid, how);
		}
		if (limits->cpu_ns && host_worker_cpu_ns(worker) - cpu_start > limits->cpu_ns)
			return host_fail(error, CORRAL_ERROR_SYSTEM,
					 "the sandbox worker (pid %d) ran past its CPU-time limit of %llu ms",
					 (int)worker->pid, (unsigned long long)(limits->cpu_ns / 1000000));
		if (limits->wall_ns && now_ns(CLOCK_MONOTONIC) - start > limits->wall_ns)
			return host_fail(error, CORRAL_ERROR_SYSTEM,
					 "the sandbox worker (pid %d) did not answer within %llu ms", (int)worker->pid,
					 (unsigned long long)(limits->wall_ns / 1000000));
	}
}

corral_result host_ring_wait_word(struct host_worker *worker, uint32_t *word, uint32_t seen, uint32_t *waiting_flag,
				  const struct host_ring_limits *limits, corral_error *error)
{
	if (spin_until_moved(word, seen, START_SPIN_NS))
		return CORRAL_OK;
	return sleep_until_moved(worker, word, seen, waiting_flag, limits, error);
}

void host_ring_prepare_thread(void)
{
	event_loop();
}

void host_ring_init(struct host_ring *ring, struct host_worker *worker)
{
	*ring = (struct host_ring){.worker = worker};
}

struct zygote_sqe *host_ring_post(struct host_ring *ring, enum zygote_op op)
{
	if (ring->in_flight == ZYGOTE_RING_ENTRIES)
		return NULL;
	struct zygote_sqe *sqe = &ring->worker->control->sq[ring->sq_tail & ZYGOTE_RING_MASK];
	*sqe = (struct zygote_sqe){.op = op, .user_data = ++ring->user_data};
	ring->ops[ring->in_flight++] = op;
	ring->sq_tail++;
	return sqe;
}

static corral_result violation(struct host_ring *ring, corral_error *error, const char *what, unsigned long long a,
			       unsigned long long b)
{
	char detail[160];
	snprintf(detail, sizeof detail, what, a, b);
	return host_fail(error, CORRAL_ERROR_SYSTEM, "the sandbox worker (pid %d) broke the ring protocol: %s",
			 (int)ring->worker->pid, detail);
}

corral_result host_ring_complete(struct host_ring *ring, const struct host_ring_limits *limits,
				 struct zygote_cqe *completions, size_t *count, corral_error *error)
{
	struct zygote_control *control = ring->worker->control;
	*count = 0;
	if (ring->in_flight == 0)
		return CORRAL_OK;
	__atomic_store_n(&control->submission.tail, ring->sq_tail, __ATOMIC_RELEASE);
	__atomic_store_n(&control->submitted, ++ring->submitted, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&control->zygote_waiting, __ATOMIC_SEQ_CST))
		futex_wake(&control->submitted);
	uint64_t first = ring->user_data - ring->in_flight + 1;
	size_t got = 0;
	while (got < ring->in_flight) {
		uint32_t seen = __atomic_load_n(&control->completed, __ATOMIC_ACQUIRE);
		uint32_t available = __atomic_load_n(&control->completion.tail, __ATOMIC_ACQUIRE) - ring->cq_head;
		if (available > ring->in_flight - got)
			return violation(ring, error, "%llu completions appeared where %llu were due", available,
					 ring->in_flight - got);
		if (available == 0) {
			/* Spinning on the tail itself saves reading the
			 * counter's cache line after it moves; the counter is
			 * what a sleeper needs. */
			if (spin_until_moved(&control->completion.tail, ring->cq_head, SPIN_NS))
				continue;
			corral_result waited = sleep_until_moved(ring->worker, &control->completed, seen,
								 &control->host_waiting, limits, error);
			if (waited != CORRAL_OK)
				return waited;
			continue;
		}
		for (; available; available--, got++) {
			struct zygote_cqe *entry = &completions[got];
			__builtin_memcpy(entry, (const void *)&control->cq[ring->cq_head++ & ZYGOTE_RING_MASK],
					 sizeof *entry);
			if (entry->user_data != first + got)
				return violation(ring, error, "completion %llu answers request %llu", first + got,
						 entry->user_data);
			if (entry->op != ring->ops[got])
				return violation(ring, error, "a completion of op %llu answers op %llu", entry->op,
						 ring->ops[got]);
		}
	}
	__atomic_store_n(&control->completion.head, ring->cq_head, __ATOMIC_RELEASE);
	*count = got;
	ring->in_flight = 0;
	return CORRAL_OK;
}
