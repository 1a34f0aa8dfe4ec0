/* The host's end of a worker's rings (zygote/protocol.h): post requests,
 * submit them, wait for their completions.
 *
 * The protocol is synchronous: the host posts a batch, submits it and
 * waits until every request of the batch has its completion before it
 * posts again, so at most ZYGOTE_RING_ENTRIES are ever in flight and the
 * host never needs to read the zygote's submission head. Everything the
 * zygote writes is read once and checked; a violation, a dead zygote or a
 * limit passed fails the wait with an error that says which, and the
 * caller kills the worker. */
#ifndef HOST_RING_CLIENT_H
#define HOST_RING_CLIENT_H

#include "host/worker.h"

struct host_ring {
	struct host_worker *worker;
	uint32_t sq_tail;                  /* ours: the zygote never writes it */
	uint32_t cq_head;                  /* ours, mirrored into completion.head */
	uint32_t submitted;                /* ours, mirrored into control->submitted */
	uint32_t in_flight;                /* posted since the last completed batch */
	uint64_t user_data;                /* of the last request posted */
	uint32_t ops[ZYGOTE_RING_ENTRIES]; /* what each request in flight asked for */
};

/* How long a batch may take before the worker counts as hung. */
struct host_ring_limits {
	uint64_t wall_ns; /* 0: none */
	uint64_t cpu_ns;  /* the worker's CPU time, from when the batch was submitted; 0: none */
};

void host_ring_init(struct host_ring *ring, struct host_worker *worker);

/* Makes this thread's event loop (an io_uring, one fd, kept until the
 * thread ends) if it has none: starting a worker does, so that a later
 * wait never sets one up. */
void host_ring_prepare_thread(void);

/* The next request's entry (op and user_data set; fill args), or NULL if
 * a batch already holds ZYGOTE_RING_ENTRIES requests. */
struct zygote_sqe *host_ring_post(struct host_ring *ring, enum zygote_op op);

/* Submits what was posted and waits for all of it: the completions, in
 * order, are copied to `completions` (room for ZYGOTE_RING_ENTRIES). */
corral_result host_ring_complete(struct host_ring *ring, const struct host_ring_limits *limits,
				 struct zygote_cqe *completions, size_t *count, corral_error *error);

/* Waits until *word differs from `seen` (a futex in the shared region
 * the zygote bumps), spinning briefly and then sleeping through the
 * thread's io_uring on the futex, the worker's pidfd and a timeout. Also
 * host/worker.c's wait for start-up. CORRAL_OK when it moved. */
corral_result host_ring_wait_word(struct host_worker *worker, uint32_t *word, uint32_t seen, uint32_t *waiting_flag,
				  const struct host_ring_limits *limits, corral_error *error);

#endif
