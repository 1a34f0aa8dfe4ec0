/* The engine's pool of sandbox workers (host/pool.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "host/internal.h"
#include "host/pool.h"

struct host_pool {
	pthread_mutex_t lock;
	struct host_worker_options options;
	uint32_t capacity; /* idle workers kept at most */
	uint32_t idle_count;
	struct host_sandbox_worker **idle;
};

/* A wipe's requests are answered at once; longer means a hung zygote. */
static const struct host_ring_limits control_limits = {.wall_ns = 2000000000ull};

static corral_result start(const struct host_pool *pool, struct host_sandbox_worker **out, corral_error *error)
{
	struct host_sandbox_worker *worker = calloc(1, sizeof *worker);
	if (!worker)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "cannot allocate a sandbox worker");
	corral_result result = host_worker_spawn(&worker->process, &pool->options, error);
	if (result != CORRAL_OK) {
		free(worker);
		return result;
	}
	host_ring_init(&worker->ring, &worker->process);
	worker->pager = (struct host_pager){
		.uffd = worker->process.uffd,
		.memfd = worker->process.guest_fd,
		.view = 0, /* the zygote's guest address a is at a */
		.alias = worker->process.guest,
	};
	*out = worker;
	return CORRAL_OK;
}

void host_pool_discard(struct host_sandbox_worker *worker)
{
	if (!worker)
		return;
	host_worker_kill(&worker->process);
	free(worker);
}

corral_result host_pool_new(struct host_pool **out, uint32_t size, const struct host_worker_options *options,
			    corral_error *error)
{
	struct host_pool *pool = calloc(1, sizeof *pool);
	if (pool)
		pool->idle = calloc(size ? size : 1, sizeof *pool->idle);
	if (!pool || !pool->idle) {
		free(pool);
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "cannot allocate a pool of %u workers", size);
	}
	pthread_mutex_init(&pool->lock, NULL);
	pool->options = *options;
	pool->capacity = size ? size : 1;
	for (uint32_t i = 0; i < size; i++) {
		corral_result result = start(pool, &pool->idle[i], error);
		if (result != CORRAL_OK) {
			host_pool_free(pool);
			return result;
		}
		pool->idle_count++;
	}
	*out = pool;
	return CORRAL_OK;
}

void host_pool_free(struct host_pool *pool)
{
	if (!pool)
		return;
	for (uint32_t i = 0; i < pool->idle_count; i++)
		host_pool_discard(pool->idle[i]);
	pthread_mutex_destroy(&pool->lock);
	free(pool->idle);
	free(pool);
}

corral_result host_pool_take(struct host_pool *pool, struct host_sandbox_worker **worker, corral_error *error)
{
	*worker = NULL;
	pthread_mutex_lock(&pool->lock);
	while (pool->idle_count && !*worker) {
		struct host_sandbox_worker *candidate = pool->idle[--pool->idle_count];
		/* An idle worker can die too (killed from outside, say). */
		if (host_worker_exited(&candidate->process))
			host_pool_discard(candidate);
		else
			*worker = candidate;
	}
	pthread_mutex_unlock(&pool->lock);
	return *worker ? CORRAL_OK : start(pool, worker, error);
}

/* Posts the requests that set the protection of the zygote's guest pages
 * in `spans`; the next completion submits them (before anything posted
 * after them, such as a run). The ring is empty between runs and holds
 * more than PAGE_SPANS_MAX requests. */
static corral_result post_protect_spans(struct host_sandbox_worker *worker, const struct page_spans *spans,
					enum zygote_access access, corral_error *error)
{
	for (uint32_t i = 0; i < spans->count; i++) {
		struct zygote_sqe *protect = host_ring_post(&worker->ring, ZYGOTE_OP_PROTECT);
		if (!protect)
			return host_fail(error, CORRAL_ERROR_SYSTEM, "a sandbox worker's ring is full");
		protect->args[0] = (uint64_t)spans->span[i].first << PVM_PAGE_SHIFT;
		protect->args[1] = (uint64_t)(spans->span[i].end - spans->span[i].first) << PVM_PAGE_SHIFT;
		protect->args[2] = access;
	}
	return CORRAL_OK;
}

/* Submits what is posted and waits for it. */
static corral_result complete_posted(struct host_sandbox_worker *worker, corral_error *error)
{
	struct zygote_cqe done[ZYGOTE_RING_ENTRIES];
	size_t count;
	corral_result result = host_ring_complete(&worker->ring, &control_limits, done, &count, error);
	for (size_t i = 0; result == CORRAL_OK && i < count; i++)
		if (done[i].result)
			result = host_fail(error, CORRAL_ERROR_SYSTEM,
					   "a sandbox worker could not protect its memory: %s",
					   strerror(-done[i].result));
	return result;
}

/* The same, and waits for them (and anything posted before). */
static corral_result protect_spans(struct host_sandbox_worker *worker, const struct page_spans *spans,
				   enum zygote_access access, corral_error *error)
{
	corral_result result = post_protect_spans(worker, spans, access, error);
	return result == CORRAL_OK ? complete_posted(worker, error) : result;
}

/* A wipe zeroes up to KEPT_PAGES_MAX of a protected worker's resident guest
 * pages where they are and punches the rest out of the memfd. A page
 * punched out costs the next instance to touch it a fault into a fresh
 * shmem page, ~6 us on this machine kind; one kept stays mapped in the
 * zygote and costs nothing (the sieve guest's 490 heap pages made it 9.0 ms
 * in the sandbox against 5.9 ms in process). The bound keeps an idle worker
 * small. A paged worker keeps none: its userfaultfd needs them missing. */
#define KEPT_PAGES_MAX  2048u /* 8 MiB */
#define RESIDENCY_BATCH 4096u

static int punch(struct host_worker *process, uint64_t address, uint64_t length)
{
	return fallocate(process->guest_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)address, (off_t)length);
}

/* Pages [first, end) of a protected worker, readable and writable in our
 * view: each run of resident pages is zeroed while the budget lasts, else
 * punched; the rest are holes already. */
static int clear_span(struct host_sandbox_worker *worker, uint32_t first, uint32_t end, uint32_t *kept)
{
	struct host_worker *process = &worker->process;
	unsigned char resident[RESIDENCY_BATCH];
	for (uint32_t batch = first; batch < end; batch += RESIDENCY_BATCH) {
		uint32_t count = end - batch < RESIDENCY_BATCH ? end - batch : RESIDENCY_BATCH;
		if (mincore(process->guest + ((uint64_t)batch << PVM_PAGE_SHIFT), (size_t)count << PVM_PAGE_SHIFT,
			    resident))
			return -1;
		for (uint32_t i = 0, run; i < count; i = run) {
			for (run = i + 1; run < count && (resident[run] & 1) == (resident[i] & 1);)
				run++;
			if (!(resident[i] & 1))
				continue;
			/* As much of the run as the budget allows is kept. */
			uint32_t keep = run - i < KEPT_PAGES_MAX - *kept ? run - i : KEPT_PAGES_MAX - *kept;
			uint64_t address = (uint64_t)(batch + i) << PVM_PAGE_SHIFT;
			memset(process->guest + address, 0, (size_t)keep << PVM_PAGE_SHIFT);
			page_spans_add(&worker->kept, batch + i, batch + i + keep);
			*kept += keep;
			if (keep < run - i && punch(process, address + ((uint64_t)keep << PVM_PAGE_SHIFT),
						    (uint64_t)(run - i - keep) << PVM_PAGE_SHIFT))
				return -1;
		}
	}
	return 0;
}

/* All of guest memory, as spans. */
static const struct page_spans all_guest_pages = {
	.count = 1,
	.span = {{ZYGOTE_GUEST_LOW >> PVM_PAGE_SHIFT, ZYGOTE_GUEST_END >> PVM_PAGE_SHIFT}},
};

/* Paged, the zygote's view is one read-write mapping that the userfaultfd
 * guards (no page is in the memfd, so every page is missing), and ours is
 * read-write too; protected, every page is PROT_NONE in the zygote until
 * the host says otherwise. */
corral_result host_pool_set_paging(struct host_sandbox_worker *worker, bool paged, corral_error *error)
{
	if (worker->paged == paged)
		return CORRAL_OK;
	corral_result result;
	if (paged) {
		/* The pages a wipe kept would not be missing. */
		for (uint32_t i = 0; i < worker->kept.count; i++)
			if (punch(&worker->process, (uint64_t)worker->kept.span[i].first << PVM_PAGE_SHIFT,
				  (uint64_t)(worker->kept.span[i].end - worker->kept.span[i].first) << PVM_PAGE_SHIFT))
				return host_fail(error, CORRAL_ERROR_SYSTEM,
						 "cannot empty a sandbox worker's memory to page it: %s",
						 strerror(errno));
		page_spans_clear(&worker->kept);
		uint8_t *alias = worker->process.guest + ZYGOTE_GUEST_LOW;
		if (mprotect(alias, ZYGOTE_GUEST_END - ZYGOTE_GUEST_LOW, PROT_READ | PROT_WRITE))
			return host_fail(error, CORRAL_ERROR_SYSTEM,
					 "cannot open a sandbox worker's memory to page it: %s", strerror(errno));
		result = protect_spans(worker, &all_guest_pages, ZYGOTE_ACCESS_WRITE, error);
		if (result == CORRAL_OK)
			result = host_pager_register(&worker->pager, error);
	} else {
		result = host_pager_unregister(&worker->pager, error);
		if (result == CORRAL_OK)
			result = protect_spans(worker, &all_guest_pages, ZYGOTE_ACCESS_NONE, error);
	}
	if (result == CORRAL_OK)
		worker->paged = paged;
	return result;
}

/* No guest data, no access, no jump-table entry and no register of the
 * last instance survives: the next one starts as a fresh worker would
 * (paged or not as the last left it). */
static corral_result wipe(struct host_sandbox_worker *worker, corral_error *error)
{
	struct host_worker *process = &worker->process;
	uint8_t *anchor = process->shared + ZYGOTE_ANCHOR_OFFSET;
	memset(pvm_jit_jump_table_of(anchor, worker->table_entries), 0,
	       (size_t)worker->table_entries * 8 + PVM_JIT_CONTEXT_SIZE);
	worker->table_entries = 0;
	struct page_spans touched = worker->touched;
	page_spans_clear(&worker->touched);
	uint32_t kept = 0;
	for (uint32_t i = 0; i < touched.count; i++) {
		uint64_t address = (uint64_t)touched.span[i].first << PVM_PAGE_SHIFT;
		uint64_t length = (uint64_t)(touched.span[i].end - touched.span[i].first) << PVM_PAGE_SHIFT;
		bool failed = worker->paged
				      ? punch(process, address, length) != 0
				      : mprotect(process->guest + address, length, PROT_READ | PROT_WRITE) ||
						clear_span(worker, touched.span[i].first, touched.span[i].end, &kept) ||
						mprotect(process->guest + address, length, PROT_NONE);
		if (failed)
			return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot wipe a sandbox worker's memory: %s",
					 strerror(errno));
	}
	/* Paged, a page out of the memfd is missing for the zygote already.
	 * Else the pages are empty now, and the zygote makes them
	 * inaccessible before it does anything else for the next instance:
	 * no need to wake it for that. But only one wipe's requests wait, or
	 * instances that never run would fill the ring with them. */
	if (worker->paged)
		return CORRAL_OK;
	corral_result result = worker->ring.in_flight ? complete_posted(worker, error) : CORRAL_OK;
	return result == CORRAL_OK ? post_protect_spans(worker, &touched, ZYGOTE_ACCESS_NONE, error) : result;
}

/* A worker's RLIMIT_CPU backstop counts all the CPU time it ever used:
 * one that has used half of it is retired before it could hit it mid-run. */
static bool worn_out(const struct host_pool *pool, const struct host_sandbox_worker *worker)
{
	uint64_t budget = (uint64_t)(pool->options.cpu_seconds ? pool->options.cpu_seconds : HOST_WORKER_CPU_SECONDS);
	return host_worker_cpu_ns(&worker->process) > budget * 1000000000ull / 2;
}

void host_pool_give(struct host_pool *pool, struct host_sandbox_worker *worker)
{
	corral_error ignored;
	if (worker->broken || host_worker_exited(&worker->process) || worn_out(pool, worker) ||
	    wipe(worker, &ignored) != CORRAL_OK) {
		host_pool_discard(worker);
		return;
	}
	pthread_mutex_lock(&pool->lock);
	bool kept = pool->idle_count < pool->capacity;
	if (kept)
		pool->idle[pool->idle_count++] = worker;
	pthread_mutex_unlock(&pool->lock);
	if (!kept)
		host_pool_discard(worker);
}
