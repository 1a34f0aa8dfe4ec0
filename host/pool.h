/* The engine's pool of sandbox workers.
 *
 * Workers are started when the engine is made (as many as the engine's
 * sandbox_pool_size) and taken by instances; an instance's worker comes
 * back wiped when the instance is freed, so that no instance sees another's
 * memory, and is killed instead if it misbehaved or died. When none is idle
 * a new one is started. */
#ifndef HOST_POOL_H
#define HOST_POOL_H

#include "host/page_spans.h"
#include "host/pager.h"
#include "host/ring_client.h"
#include "host/worker.h"

/* A worker and what the host remembers of it between instances. */
struct host_sandbox_worker {
	struct host_worker process;
	struct host_ring ring;
	uint64_t mapped_code; /* the host_jit id of the code the zygote has mapped; 0: none */
	/* Guest pages whose access the zygote was ever told about, and the
	 * jump-table entries written: what a wipe must clear. */
	struct page_spans touched;
	/* Pages a wipe zeroed and left in the memfd (a superset): punched
	 * before the worker is paged. */
	struct page_spans kept;
	uint32_t table_entries;
	bool broken; /* it misbehaved: never reused */
	/* Dynamic paging with the zygote's userfaultfd (process.uffd >= 0):
	 * the pager over its guest memfd, and whether guest memory is paged
	 * now (read-write in the zygote and registered) rather than protected
	 * page by page. */
	struct host_pager pager;
	bool paged;
};

struct host_pool;

corral_result host_pool_new(struct host_pool **pool, uint32_t size, const struct host_worker_options *options,
			    corral_error *error);
void host_pool_free(struct host_pool *pool);

/* An idle worker, or a new one. */
corral_result host_pool_take(struct host_pool *pool, struct host_sandbox_worker **worker, corral_error *error);

/* Back to the pool, wiped; or killed, if broken or the wipe fails. */
void host_pool_give(struct host_pool *pool, struct host_sandbox_worker *worker);

/* Puts the worker's guest memory (no page mapped) under its userfaultfd, or
 * back under page protections, for the instance about to take it. */
corral_result host_pool_set_paging(struct host_sandbox_worker *worker, bool paged, corral_error *error);

/* Stops the worker and frees it (it is not the pool's any more). */
void host_pool_discard(struct host_sandbox_worker *worker);

#endif
