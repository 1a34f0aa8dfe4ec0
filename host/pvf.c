/* The validation pipeline (corral.h's corral_pvf_*): the artifact table,
 * the two queues and their worker threads, and the retry rules.
 *
 * Every program the pipeline has seen (by key: its hash and the module
 * configuration) has an entry in the artifact table, in one of four states:
 *
 *   EMPTY      nothing known: the next request queues a prepare job
 *   PREPARING  a job is queued or running; every request for the program
 *              waits for that one job (coalescing), raising its CPU limit
 *              to its own if that is more lenient
 *   READY      the artifact is on disk (and its module in memory, or not:
 *              then a job loads it, through the same queue, coalesced too)
 *   FAILED     the last job failed: for the program's fault, forever
 *              (invalid); possibly transiently, until a request comes 15
 *              minutes or more after the failure, 5 times at most (no
 *              verdict meanwhile); for a local reason, until the next
 *              request
 *
 * A prepare job first tries the artifact on disk (read, checked, its
 * tables matched against the program); only when there is none, or it
 * fails a check (and is removed), does a job process compile.
 *
 * An execution takes a reference to the module, checks that the artifact
 * file is still the one that was checked (else the artifact is forgotten
 * and the execution fails as ARTIFACT_MISSING, retried like any possibly
 * transient failure, which prepares it again), and queues an execute job.
 * Possibly transient failures are retried once after 1 s in approval mode
 * and never in backing; what persists is invalid, unless it is local (no
 * verdict). Retry timing reads the configuration's clock. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/gas.h"
#include "host/internal.h"
#include "host/pool.h"
#include "host/pvf_artifact.h"
#include "host/pvf_execute.h"
#include "host/pvf_module.h"
#include "host/pvf_prepare.h"
#include "host/pvf_reason.h"
#include "host/pvf_test.h"
#include "host/pvf_watchdog.h"
#include "loader/container.h"

#define PREPARE_RETRY_AFTER_NS (15ull * 60 * 1000000000ull)
#define PREPARE_RETRIES        5
#define EXECUTE_RETRY_DELAY_NS 1000000000ull
#define LOADED_MODULES_MAX     64 /* modules kept in memory; the rest are loaded again from disk */
#define BUCKETS                1024
#define MAX_OUTPUT_LIMIT       (16u << 20)
/* A new artifact prunes the cache at most this often: reading a folder of
 * thousands of artifacts after every write would cost more than writing. */
#define PRUNE_AFTER_NS (60ull * 1000000000ull)

/* ---- the pipeline ------------------------------------------------------------- */

enum artifact_state {
	ARTIFACT_EMPTY,
	ARTIFACT_PREPARING,
	ARTIFACT_READY,
	ARTIFACT_FAILED,
};

/* A module built from an artifact, shared by the table and the executions
 * using it; freed with its last reference. */
struct loaded {
	corral_module *module;
	uint32_t references;
};

/* A job's place in its queue: the first member of each kind of job. */
struct queued {
	struct queued *next;
};

struct queue {
	struct queued *head, *tail;
};

struct prepare_job;

struct artifact {
	uint8_t key[HOST_PVF_KEY_SIZE];
	uint8_t program_hash[HOST_SHA256_SIZE];
	enum artifact_state state;
	struct prepare_job *job;       /* PREPARING */
	struct loaded *loaded;         /* READY: the module, or NULL (on disk only) */
	struct host_pvf_identity file; /* READY: the file that was checked */
	uint64_t last_use;             /* for evicting modules */
	uint32_t prepare_attempts;     /* job processes that compiled it */
	uint32_t transient_failures;   /* in a row */
	uint64_t prepare_cpu_ns;       /* the last compiling job's */
	uint64_t generation;           /* jobs finished */
	bool last_job_compiled;
	corral_pvf_reason failure; /* FAILED */
	uint64_t failed_limit_ns;  /* FAILED by PREPARE_TIMEOUT: the CPU limit it ran under */
	char failure_message[512];
	uint64_t failed_at_ns; /* the pipeline's clock */
	struct artifact *next; /* in its bucket */
};

struct prepare_job {
	struct queued link;
	struct artifact *artifact;
	uint8_t *program;
	size_t length;
	char *name;
	struct host_pvf_watch watch; /* cpu_limit_ns raised by lenient waiters */
};

struct execute_job {
	struct queued link;
	struct host_pvf_execution execution;
	/* The job's own reference: the instance is freed after the caller,
	 * who may hold the last other one, has its verdict. */
	struct loaded *loaded;
	bool done;
	uint64_t started_ns, finished_ns;
};

struct prepare_worker {
	corral_pvf *pvf;
	struct host_pvf_preparer preparer;
	pthread_t thread;
	bool running;
};

struct execute_worker {
	corral_pvf *pvf;
	pthread_t thread;
	bool running;
};

struct corral_pvf {
	corral_pvf_config config;
	char *cache_dir;
	corral_block_cost *block_costs;   /* the configuration's table, sorted by pc */
	struct pvm_block_cost *job_costs; /* the same for the prepare jobs */
	struct host_pvf_test_hooks hooks;
	struct host_worker_options prepare_options;
	corral_engine *engine; /* the execute workers' */
	struct host_pvf_watchdog *watchdog;

	pthread_mutex_t lock;
	pthread_cond_t changed; /* an artifact's state changed, or an execute job is done */
	pthread_cond_t work;    /* a job was queued, or the pipeline stops */
	bool stopping;
	struct artifact *buckets[BUCKETS];
	uint32_t loaded_count;
	uint64_t use_clock;
	struct queue prepares, executions;
	uint64_t pruned_at_ns; /* real time of the last pruning after a write */
	corral_pvf_stats stats;

	struct prepare_worker *preparers;
	struct execute_worker *executers;
};

/* ---- clocks ------------------------------------------------------------------ */

static uint64_t real_now(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

static uint64_t system_now(void *context)
{
	(void)context;
	return real_now();
}

static void system_sleep(void *context, uint64_t ns)
{
	(void)context;
	struct timespec pause = {.tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull)};
	while (nanosleep(&pause, &pause) && errno == EINTR)
		;
}

static uint64_t pipeline_now(const corral_pvf *pvf)
{
	return pvf->config.clock.now_ns(pvf->config.clock.context);
}

/* ---- the queues (under the lock) ---------------------------------------------------- */

static void push(corral_pvf *pvf, struct queue *queue, struct queued *item)
{
	item->next = NULL;
	if (queue->tail)
		queue->tail->next = item;
	else
		queue->head = item;
	queue->tail = item;
	pthread_cond_broadcast(&pvf->work);
}

/* The oldest job, once there is one; NULL when the pipeline stops. */
static struct queued *pop(corral_pvf *pvf, struct queue *queue)
{
	while (!pvf->stopping && !queue->head)
		pthread_cond_wait(&pvf->work, &pvf->lock);
	if (pvf->stopping)
		return NULL;
	struct queued *item = queue->head;
	queue->head = item->next;
	if (!queue->head)
		queue->tail = NULL;
	return item;
}

/* ---- the artifact table (under the lock) ------------------------------------------ */

static struct artifact **bucket(corral_pvf *pvf, const uint8_t key[HOST_PVF_KEY_SIZE])
{
	return &pvf->buckets[(key[0] | (unsigned)key[1] << 8) % BUCKETS];
}

static struct artifact *find(corral_pvf *pvf, const uint8_t key[HOST_PVF_KEY_SIZE])
{
	for (struct artifact *artifact = *bucket(pvf, key); artifact; artifact = artifact->next)
		if (!memcmp(artifact->key, key, HOST_PVF_KEY_SIZE))
			return artifact;
	return NULL;
}

static struct artifact *find_or_add(corral_pvf *pvf, const uint8_t key[HOST_PVF_KEY_SIZE],
				    const uint8_t program_hash[HOST_SHA256_SIZE])
{
	struct artifact *artifact = find(pvf, key);
	if (artifact)
		return artifact;
	artifact = calloc(1, sizeof *artifact);
	if (!artifact)
		return NULL;
	memcpy(artifact->key, key, HOST_PVF_KEY_SIZE);
	memcpy(artifact->program_hash, program_hash, HOST_SHA256_SIZE);
	struct artifact **head = bucket(pvf, key);
	artifact->next = *head;
	*head = artifact;
	return artifact;
}

static void release_loaded(corral_pvf *pvf, struct loaded *loaded)
{
	if (!loaded || --loaded->references)
		return;
	corral_module_free(loaded->module);
	free(loaded);
	pvf->loaded_count--;
}

/* The table lets go of the module (executions keep theirs). */
static void unload(corral_pvf *pvf, struct artifact *artifact)
{
	release_loaded(pvf, artifact->loaded);
	artifact->loaded = NULL;
}

/* The artifact on disk is gone or wrong: prepare it again next time. */
static void forget(corral_pvf *pvf, struct artifact *artifact)
{
	if (artifact->state != ARTIFACT_READY)
		return;
	unload(pvf, artifact);
	artifact->state = ARTIFACT_EMPTY;
}

/* Keeps at most LOADED_MODULES_MAX modules, letting go of the least
 * recently used that no execution holds. */
static void evict(corral_pvf *pvf)
{
	while (pvf->loaded_count > LOADED_MODULES_MAX) {
		struct artifact *oldest = NULL;
		for (size_t b = 0; b < BUCKETS; b++)
			for (struct artifact *artifact = pvf->buckets[b]; artifact; artifact = artifact->next)
				if (artifact->loaded && artifact->loaded->references == 1 &&
				    (!oldest || artifact->last_use < oldest->last_use))
					oldest = artifact;
		if (!oldest)
			return;
		unload(pvf, oldest);
	}
}

/* An artifact the pruning removed is prepared again when next asked for. */
static void pruned(void *context, const uint8_t key[HOST_PVF_KEY_SIZE])
{
	corral_pvf *pvf = context;
	pthread_mutex_lock(&pvf->lock);
	struct artifact *artifact = find(pvf, key);
	if (artifact)
		forget(pvf, artifact);
	pvf->stats.artifacts_pruned++;
	pthread_mutex_unlock(&pvf->lock);
}

/* The folder is read without the lock (requests go on meanwhile); `keep`
 * is an artifact just written, which is never pruned at once. */
static void prune(corral_pvf *pvf, const uint8_t *keep)
{
	host_pvf_cache_prune(pvf->cache_dir, false, pvf->config.cache_max_age_s, pvf->config.cache_max_bytes, keep,
			     pruned, pvf);
}

/* ---- preparing (on a prepare worker's thread) ----------------------------------- */

/* What a prepare job came to, applied to its artifact under the lock. */
struct prepared {
	corral_pvf_reason reason;
	char message[512];
	struct loaded *loaded;
	struct host_pvf_identity file;
	bool compiled; /* a job process was used */
	bool loaded_from_disk;
	bool rejected_file;
	uint64_t cpu_ns;
};

static void note(struct prepared *done, corral_pvf_reason reason, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static void note(struct prepared *done, corral_pvf_reason reason, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vsnprintf(done->message, sizeof done->message, format, args);
	va_end(args);
	done->reason = reason;
}

static corral_result new_loaded(corral_pvf *pvf, const struct prepare_job *job, const struct host_pvf_code *code,
				struct loaded **out, bool *mismatch, corral_error *error)
{
	corral_module *module;
	corral_result result = host_pvf_module_new(pvf->engine, job->program, job->length, job->name,
						   &pvf->config.module, code, &module, mismatch, error);
	if (result != CORRAL_OK)
		return result;
	*out = calloc(1, sizeof **out);
	if (!*out) {
		corral_module_free(module);
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "%s: no memory for a module", job->name);
	}
	(*out)->module = module;
	(*out)->references = 1;
	return CORRAL_OK;
}

/* The artifact on disk, if there is one that passes every check; a file
 * that fails one is removed. */
static bool load(corral_pvf *pvf, const struct prepare_job *job, const char *path, struct prepared *done)
{
	uint8_t *bytes;
	size_t length;
	bool missing, mismatch;
	corral_error error;
	struct host_pvf_code code;
	if (host_pvf_artifact_read(path, &bytes, &length, &done->file, &missing, &error) != CORRAL_OK) {
		if (!missing) {
			unlink(path);
			done->rejected_file = true;
		}
		return false;
	}
	const struct artifact *artifact = job->artifact;
	corral_result result = host_pvf_artifact_decode(path, bytes, length, artifact->key, artifact->program_hash,
							job->length, &code, &error);
	if (result == CORRAL_OK)
		result = new_loaded(pvf, job, &code, &done->loaded, &mismatch, &error);
	free(bytes);
	if (result != CORRAL_OK) {
		unlink(path);
		done->rejected_file = true;
		return false;
	}
	done->loaded_from_disk = true;
	done->reason = CORRAL_PVF_OK;
	return true;
}

static const enum pvm_gas_model_kind job_gas_models[] = {
	[CORRAL_GAS_NAIVE] = PVM_GAS_PER_INSTRUCTION,
	[CORRAL_GAS_TABLE] = PVM_GAS_TABLE,
	[CORRAL_GAS_GP08] = PVM_GAS_PIPELINE,
};

/* The job's input: the container is parsed here (its framing only: the
 * code inside is what the job validates); a container that does not
 * parse is the program's fault without a job. */
static bool job_input(const corral_pvf *pvf, const struct prepare_job *job, struct loader_program *container,
		      struct host_pvf_prepare_input *input, struct prepared *done)
{
	const corral_module_config *config = &pvf->config.module;
	struct pvm_error problem;
	if (loader_parse(job->program, job->length, config->format, container, &problem)) {
		note(done, CORRAL_PVF_MALFORMED, "%s: %s", job->name, problem.message);
		return false;
	}
	corral_isa isa = container->format == CORRAL_FORMAT_POLKAVM ? container->isa : config->isa;
	*input = (struct host_pvf_prepare_input){
		.blob = container->blob,
		.blob_length = container->blob_length,
		.isa = isa == CORRAL_ISA_GP08 ? PVM_ISA_GP08 : PVM_ISA_GP07,
		.gas_model = job_gas_models[config->gas_model],
		.costs = pvf->job_costs,
		.cost_count = config->gas_model == CORRAL_GAS_TABLE ? config->block_cost_count : 0,
		.metering = PVM_JIT_GAS_SYNC, /* the pipeline meters exactly (check_config) */
		.arena_limit =
			pvf->config.prepare_memory_limit ? pvf->config.prepare_memory_limit : HOST_PVF_DEFAULT_ARENA,
		.attack = pvf->hooks.prepare_attack,
	};
	return true;
}

/* Compiles in a job process, checks the answer against the program, and
 * writes the artifact. */
static void compile(corral_pvf *pvf, struct prepare_worker *worker, struct prepare_job *job, struct prepared *done)
{
	struct loader_program container;
	struct host_pvf_prepare_input input;
	if (!job_input(pvf, job, &container, &input, done))
		return;
	struct host_pvf_prepare_outcome outcome;
	done->compiled = true;
	host_pvf_prepare_run(&worker->preparer, &input, pvf->watchdog, &job->watch, pvf->config.on_job,
			     pvf->config.on_job_context, &outcome);
	done->cpu_ns = outcome.cpu_ns;
	if (outcome.reason != CORRAL_PVF_OK) {
		note(done, outcome.reason, "%s: %s", job->name, outcome.message);
		host_pvf_prepare_outcome_free(&outcome);
		return;
	}
	corral_error error;
	bool mismatch;
	corral_result result = new_loaded(pvf, job, &outcome.code, &done->loaded, &mismatch, &error);
	if (result != CORRAL_OK) {
		/* The host's own reading of the program decides: refused, it is
		 * the program's fault; accepted but not matched, the job lied. */
		corral_pvf_reason reason = mismatch ? CORRAL_PVF_PREPARE_DIED
					   : result == CORRAL_ERROR_MALFORMED || result == CORRAL_ERROR_ARGUMENT
						   ? CORRAL_PVF_MALFORMED
						   : CORRAL_PVF_INTERNAL;
		note(done, reason, "%s%s", mismatch ? "the prepare job's answer cannot be true: " : "", error.message);
		host_pvf_prepare_outcome_free(&outcome);
		return;
	}
	uint8_t *bytes;
	size_t length;
	const struct artifact *artifact = job->artifact;
	result = host_pvf_artifact_encode(artifact->key, artifact->program_hash, job->length, &outcome.code, &bytes,
					  &length, &error);
	host_pvf_prepare_outcome_free(&outcome);
	if (result == CORRAL_OK) {
		result = host_pvf_artifact_write(pvf->cache_dir, artifact->key, bytes, length, &done->file, &error);
		free(bytes);
	}
	if (result != CORRAL_OK) {
		note(done, CORRAL_PVF_INTERNAL, "%s: %s", job->name, error.message);
		corral_module_free(done->loaded->module);
		free(done->loaded);
		done->loaded = NULL;
		return;
	}
	done->reason = CORRAL_PVF_OK;
}

static void finish_prepare(corral_pvf *pvf, struct prepare_job *job, struct prepared *done)
{
	struct artifact *artifact = job->artifact;
	artifact->job = NULL;
	artifact->generation++;
	pvf->stats.prepare_jobs += done->compiled;
	pvf->stats.artifact_loads += done->loaded_from_disk;
	pvf->stats.artifacts_rejected += done->rejected_file;
	artifact->last_job_compiled = done->compiled;
	if (done->compiled) {
		artifact->prepare_attempts++;
		artifact->prepare_cpu_ns = done->cpu_ns;
	}
	if (done->reason == CORRAL_PVF_OK) {
		artifact->state = ARTIFACT_READY;
		artifact->loaded = done->loaded;
		artifact->file = done->file;
		artifact->transient_failures = 0;
		artifact->last_use = ++pvf->use_clock;
		pvf->loaded_count++;
		pvf->stats.artifact_writes += done->compiled;
		evict(pvf);
	} else {
		artifact->state = ARTIFACT_FAILED;
		artifact->failure = done->reason;
		snprintf(artifact->failure_message, sizeof artifact->failure_message, "%s", done->message);
		artifact->failed_at_ns = pipeline_now(pvf);
		artifact->failed_limit_ns = job->watch.cpu_limit_ns;
		if (corral_pvf_reason_class(done->reason) == CORRAL_PVF_CLASS_PREPARE_TRANSIENT)
			artifact->transient_failures++;
	}
	free(job->program);
	free(job->name);
	free(job);
	pthread_cond_broadcast(&pvf->changed);
}

static void prepare_one(corral_pvf *pvf, struct prepare_worker *worker, struct prepare_job *job)
{
	struct prepared done = {.reason = CORRAL_PVF_INTERNAL};
	char path[HOST_PVF_PATH_MAX];
	host_pvf_artifact_path(pvf->cache_dir, job->artifact->key, path);
	if (!load(pvf, job, path, &done))
		compile(pvf, worker, job, &done);
	bool written = done.reason == CORRAL_PVF_OK && done.compiled;
	uint8_t key[HOST_PVF_KEY_SIZE];
	memcpy(key, job->artifact->key, sizeof key);
	pthread_mutex_lock(&pvf->lock);
	finish_prepare(pvf, job, &done);
	pthread_mutex_unlock(&pvf->lock);
	if (!written)
		return;
	uint64_t now = real_now();
	pthread_mutex_lock(&pvf->lock);
	bool due = now - pvf->pruned_at_ns >= PRUNE_AFTER_NS;
	if (due)
		pvf->pruned_at_ns = now;
	pthread_mutex_unlock(&pvf->lock);
	if (due)
		prune(pvf, key);
}

static void *prepare_loop(void *argument)
{
	struct prepare_worker *worker = argument;
	corral_pvf *pvf = worker->pvf;
	pthread_mutex_lock(&pvf->lock);
	for (struct queued *next; (next = pop(pvf, &pvf->prepares));) {
		struct prepare_job *job = (struct prepare_job *)next;
		pthread_mutex_unlock(&pvf->lock);
		prepare_one(pvf, worker, job);
		/* The next job's process, ready before the next job comes. */
		host_pvf_preparer_spawn(&worker->preparer, &pvf->prepare_options);
		pthread_mutex_lock(&pvf->lock);
	}
	pthread_mutex_unlock(&pvf->lock);
	return NULL;
}

/* ---- executing (on an execute worker's thread) ---------------------------------- */

static void *execute_loop(void *argument)
{
	struct execute_worker *worker = argument;
	corral_pvf *pvf = worker->pvf;
	pthread_mutex_lock(&pvf->lock);
	for (struct queued *next; (next = pop(pvf, &pvf->executions));) {
		struct execute_job *job = (struct execute_job *)next;
		pvf->stats.execute_jobs++;
		pthread_mutex_unlock(&pvf->lock);
		job->started_ns = real_now();
		host_pvf_execute(&job->execution);
		job->finished_ns = real_now();
		/* The job's struct is the caller's once it is done. */
		struct host_pvf_execution finished = job->execution;
		struct loaded *loaded = job->loaded;
		pthread_mutex_lock(&pvf->lock);
		job->done = true;
		pthread_cond_broadcast(&pvf->changed);
		pthread_mutex_unlock(&pvf->lock);
		host_pvf_execute_finish(&finished);
		pthread_mutex_lock(&pvf->lock);
		release_loaded(pvf, loaded);
		pthread_mutex_unlock(&pvf->lock);
		host_pvf_execute_refill(pvf->engine);
		pthread_mutex_lock(&pvf->lock);
	}
	pthread_mutex_unlock(&pvf->lock);
	return NULL;
}

/* ---- a request ----------------------------------------------------------------- */

/* What a request holds while it runs: the module, once it has one. */
struct request {
	const corral_pvf_request *request;
	const char *name;
	uint8_t key[HOST_PVF_KEY_SIZE];
	uint8_t program_hash[HOST_SHA256_SIZE];
	uint64_t prepare_limit_ns;
	struct artifact *artifact;
	struct loaded *loaded;
	struct host_pvf_identity file;
	corral_pvf_result *result;
};

static void verdict(struct request *request, corral_pvf_verdict verdict, corral_pvf_reason reason, const char *format,
		    ...) __attribute__((format(printf, 4, 5)));

static void verdict(struct request *request, corral_pvf_verdict verdict, corral_pvf_reason reason, const char *format,
		    ...)
{
	corral_pvf_result *result = request->result;
	va_list args;
	va_start(args, format);
	vsnprintf(result->message, sizeof result->message, format, args);
	va_end(args);
	result->verdict = verdict;
	result->reason = reason;
}

static bool queue_prepare(corral_pvf *pvf, struct request *request, struct artifact *artifact)
{
	struct prepare_job *job = calloc(1, sizeof *job);
	const corral_pvf_request *asked = request->request;
	if (job) {
		job->program = malloc(asked->program_length ? asked->program_length : 1);
		job->name = strdup(request->name);
	}
	if (!job || !job->program || !job->name) {
		if (job) {
			free(job->program);
			free(job->name);
		}
		free(job);
		return false;
	}
	if (asked->program_length)
		memcpy(job->program, asked->program, asked->program_length);
	job->length = asked->program_length;
	job->artifact = artifact;
	job->watch.cpu_limit_ns = request->prepare_limit_ns;
	artifact->job = job;
	artifact->state = ARTIFACT_PREPARING;
	push(pvf, &pvf->prepares, &job->link);
	return true;
}

/* A failed preparation, as this request sees it: whether to try again now
 * (true), or the verdict. */
static bool failed_preparation(corral_pvf *pvf, struct request *request, struct artifact *artifact, bool waited)
{
	corral_pvf_reason reason = artifact->failure;
	switch (corral_pvf_reason_class(reason)) {
	case CORRAL_PVF_CLASS_PROGRAM:
		verdict(request, CORRAL_PVF_INVALID, reason, "%s", artifact->failure_message);
		return false;
	case CORRAL_PVF_CLASS_PREPARE_TRANSIENT: {
		uint64_t since = pipeline_now(pvf) - artifact->failed_at_ns;
		bool retry = since >= PREPARE_RETRY_AFTER_NS && artifact->transient_failures <= PREPARE_RETRIES;
		/* A timeout under a pre-check's strict limit says nothing about
		 * the lenient one an execution may take. */
		retry |= reason == CORRAL_PVF_PREPARE_TIMEOUT && request->prepare_limit_ns > artifact->failed_limit_ns;
		if (!waited && retry)
			return true;
		if (waited) {
			verdict(request, CORRAL_PVF_NO_VERDICT, reason, "%s", artifact->failure_message);
		} else if (artifact->transient_failures > PREPARE_RETRIES) {
			verdict(request, CORRAL_PVF_NO_VERDICT, reason,
				"%s (preparation failed %u times; it is not tried again)", artifact->failure_message,
				artifact->transient_failures);
		} else {
			uint64_t wait_s = (PREPARE_RETRY_AFTER_NS - since + 999999999ull) / 1000000000ull;
			verdict(request, CORRAL_PVF_NO_VERDICT, reason,
				"%s (preparation failed %llu s ago, %u time%s; tried again on a request in %llu s or "
				"later)",
				artifact->failure_message, (unsigned long long)(since / 1000000000ull),
				artifact->transient_failures, artifact->transient_failures == 1 ? "" : "s",
				(unsigned long long)wait_s);
		}
		return false;
	}
	default:
		/* A local failure is not the program's: the next request tries again. */
		if (!waited)
			return true;
		verdict(request, CORRAL_PVF_NO_VERDICT, reason, "%s", artifact->failure_message);
		return false;
	}
}

/* The artifact's module for the request (request->loaded referenced), or
 * false with the verdict set. */
static bool obtain_artifact(corral_pvf *pvf, struct request *request)
{
	corral_pvf_result *result = request->result;
	pthread_mutex_lock(&pvf->lock);
	struct artifact *artifact = find_or_add(pvf, request->key, request->program_hash);
	if (!artifact) {
		pthread_mutex_unlock(&pvf->lock);
		verdict(request, CORRAL_PVF_NO_VERDICT, CORRAL_PVF_INTERNAL, "%s: no memory for the artifact table",
			request->name);
		return false;
	}
	request->artifact = artifact;
	bool waited = false, ok = false;
	uint64_t generation = artifact->generation;
	for (;;) {
		if (artifact->state == ARTIFACT_PREPARING) {
			host_pvf_watch_raise(pvf->watchdog, &artifact->job->watch, request->prepare_limit_ns);
			waited = true;
			pthread_cond_wait(&pvf->changed, &pvf->lock);
			continue;
		}
		if (artifact->state == ARTIFACT_FAILED && !failed_preparation(pvf, request, artifact, waited))
			break;
		if (artifact->state == ARTIFACT_READY && artifact->loaded) {
			ok = true;
			break;
		}
		/* EMPTY, FAILED to be tried again, or READY on disk only. */
		if (!queue_prepare(pvf, request, artifact)) {
			verdict(request, CORRAL_PVF_NO_VERDICT, CORRAL_PVF_INTERNAL, "%s: no memory to queue a job",
				request->name);
			break;
		}
	}
	result->prepare_attempts = artifact->prepare_attempts;
	result->prepared_now = waited && artifact->generation != generation && artifact->last_job_compiled;
	if (result->prepared_now)
		result->timings.prepare_cpu_ns = artifact->prepare_cpu_ns;
	/* A job that served a more lenient request too may have run past this
	 * one's limit: for this request it timed out (the artifact stays). */
	if (ok && result->prepared_now && artifact->prepare_cpu_ns > request->prepare_limit_ns) {
		verdict(request, CORRAL_PVF_NO_VERDICT, CORRAL_PVF_PREPARE_TIMEOUT,
			"%s: preparing it took %llu ms of CPU time, over the limit of %llu ms", request->name,
			(unsigned long long)(artifact->prepare_cpu_ns / 1000000),
			(unsigned long long)(request->prepare_limit_ns / 1000000));
		ok = false;
	}
	if (ok) {
		request->loaded = artifact->loaded;
		request->loaded->references++;
		request->file = artifact->file;
		artifact->last_use = ++pvf->use_clock;
	}
	pthread_mutex_unlock(&pvf->lock);
	return ok;
}

static void release_artifact(corral_pvf *pvf, struct request *request)
{
	if (!request->loaded)
		return;
	pthread_mutex_lock(&pvf->lock);
	release_loaded(pvf, request->loaded);
	pthread_mutex_unlock(&pvf->lock);
	request->loaded = NULL;
}

/* The artifact file is the one that was checked (or that one with its use
 * renewed since, by another request); else it is forgotten. */
static bool artifact_still_there(corral_pvf *pvf, struct request *request, char *path)
{
	host_pvf_artifact_path(pvf->cache_dir, request->key, path);
	if (host_pvf_artifact_unchanged(path, &request->file))
		return true;
	pthread_mutex_lock(&pvf->lock);
	struct artifact *artifact = request->artifact;
	bool ours = artifact->state == ARTIFACT_READY && artifact->loaded == request->loaded;
	bool there = ours && host_pvf_artifact_unchanged(path, &artifact->file);
	if (there)
		request->file = artifact->file;
	else if (ours)
		forget(pvf, artifact);
	pthread_mutex_unlock(&pvf->lock);
	return there;
}

/* One execution, start to verdict; the execution's reason and message. */
static void execute_once(corral_pvf *pvf, struct request *request, struct execute_job *job)
{
	corral_pvf_result *result = request->result;
	const corral_pvf_request *asked = request->request;
	char path[HOST_PVF_PATH_MAX];
	*job = (struct execute_job){
		.execution =
			{
				.module = request->loaded->module,
				.name = request->name,
				.input = asked->input,
				.input_length = asked->input ? asked->input_length : 0,
				.gas = asked->gas ? asked->gas : pvf->config.gas,
				.cpu_limit_ns = (uint64_t)pvf->config.execute_timeout_ms * 1000000ull,
				.max_output = pvf->config.max_output,
				.watchdog = pvf->watchdog,
				.on_job = pvf->config.on_job,
				.on_job_context = pvf->config.on_job_context,
				.before_run = pvf->hooks.before_run,
				.before_run_context = pvf->hooks.context,
			},
	};
	if (!artifact_still_there(pvf, request, path)) {
		struct host_pvf_execution *execution = &job->execution;
		execution->reason = CORRAL_PVF_ARTIFACT_MISSING;
		snprintf(execution->message, sizeof execution->message,
			 "%s: the artifact %.400s was removed or changed on disk after it was checked", request->name,
			 path);
		result->execute_attempts++;
		return;
	}
	uint64_t queued = real_now();
	pthread_mutex_lock(&pvf->lock);
	job->loaded = request->loaded;
	job->loaded->references++;
	push(pvf, &pvf->executions, &job->link);
	while (!job->done)
		pthread_cond_wait(&pvf->changed, &pvf->lock);
	if (job->execution.reason == CORRAL_PVF_OK && request->artifact->loaded == request->loaded)
		host_pvf_artifact_touch(path, &request->artifact->file);
	pthread_mutex_unlock(&pvf->lock);
	result->execute_attempts++;
	result->timings.queue_ns += job->started_ns - queued;
	result->timings.execute_ns += job->finished_ns - job->started_ns;
	result->timings.execute_cpu_ns += job->execution.cpu_ns;
}

/* Executions that may have failed for a transient reason: retried once
 * in approval mode; what persists is invalid but for a local failure. */
static void execute(corral_pvf *pvf, struct request *request)
{
	corral_pvf_result *result = request->result;
	bool retry = request->request->mode == CORRAL_PVF_APPROVAL;
	for (unsigned attempt = 1;; attempt++) {
		struct execute_job job;
		execute_once(pvf, request, &job);
		release_artifact(pvf, request);
		struct host_pvf_execution *execution = &job.execution;
		corral_pvf_class class = corral_pvf_reason_class(execution->reason);
		bool transient = class == CORRAL_PVF_CLASS_EXECUTE_TRANSIENT || class == CORRAL_PVF_CLASS_LOCAL;
		if (transient && retry && attempt == 1) {
			uint64_t paused = real_now();
			pvf->config.clock.sleep_ns(pvf->config.clock.context, EXECUTE_RETRY_DELAY_NS);
			result->timings.retry_wait_ns += real_now() - paused;
			pthread_mutex_lock(&pvf->lock);
			pvf->stats.retries++;
			pthread_mutex_unlock(&pvf->lock);
			uint64_t obtaining = real_now();
			bool ready = obtain_artifact(pvf, request);
			result->timings.prepare_ns += real_now() - obtaining;
			if (ready)
				continue;
			return; /* preparing it again failed: that verdict stands */
		}
		corral_pvf_verdict outcome = execution->reason == CORRAL_PVF_OK ? CORRAL_PVF_VALID
					     : class == CORRAL_PVF_CLASS_LOCAL  ? CORRAL_PVF_NO_VERDICT
										: CORRAL_PVF_INVALID;
		verdict(request, outcome, execution->reason, "%s%s", execution->message,
			transient && attempt > 1 ? " (again, on the retry)" : "");
		result->output = execution->output;
		result->output_length = execution->output_length;
		return;
	}
}

static corral_result check_request(const corral_pvf_request *request, corral_error *error)
{
	if (!request || (!request->program && request->program_length))
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "a validation request needs the program's bytes");
	if (request->mode > CORRAL_PVF_APPROVAL)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "unknown validation mode %u; there are precheck (0), backing (1) and approval (2)",
				 (unsigned)request->mode);
	if (request->gas < 0)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "a validation's gas must not be negative (%lld)",
				 (long long)request->gas);
	if (!request->input && request->input_length)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "the input has a length but no bytes");
	return CORRAL_OK;
}

static corral_result run_request(corral_pvf *pvf, const corral_pvf_request *asked, bool execute_it,
				 corral_pvf_result *result, corral_error *error)
{
	memset(result, 0, sizeof *result);
	corral_result checked = check_request(asked, error);
	if (checked != CORRAL_OK)
		return checked;
	uint64_t start = real_now();
	struct request request = {
		.request = asked,
		.name = asked->name ? asked->name : "program",
		.prepare_limit_ns = (uint64_t)(asked->mode == CORRAL_PVF_PRECHECK ? pvf->config.precheck_timeout_ms
										  : pvf->config.prepare_timeout_ms) *
				    1000000ull,
		.result = result,
	};
	host_sha256(asked->program, asked->program_length, request.program_hash);
	host_pvf_key(request.program_hash, &pvf->config.module, request.key);
	bool ready = obtain_artifact(pvf, &request);
	result->timings.prepare_ns = real_now() - start;
	if (ready && !execute_it) {
		release_artifact(pvf, &request);
		verdict(&request, CORRAL_PVF_VALID, CORRAL_PVF_OK, "%s: prepared", request.name);
	} else if (ready) {
		execute(pvf, &request);
	}
	result->timings.total_ns = real_now() - start;
	return CORRAL_OK;
}

corral_result corral_pvf_validate(corral_pvf *pvf, const corral_pvf_request *request, corral_pvf_result *result,
				  corral_error *error)
{
	return run_request(pvf, request, request && request->mode != CORRAL_PVF_PRECHECK, result, error);
}

corral_result corral_pvf_prepare(corral_pvf *pvf, const uint8_t *program, size_t length, const char *name,
				 corral_pvf_result *result, corral_error *error)
{
	corral_pvf_request request = {
		.program = program,
		.program_length = length,
		.mode = CORRAL_PVF_BACKING, /* the lenient timeout */
		.name = name,
	};
	return run_request(pvf, &request, false, result, error);
}

void corral_pvf_result_free(corral_pvf_result *result)
{
	if (!result)
		return;
	free(result->output);
	result->output = NULL;
	result->output_length = 0;
}

void corral_pvf_get_stats(corral_pvf *pvf, corral_pvf_stats *stats)
{
	pthread_mutex_lock(&pvf->lock);
	*stats = pvf->stats;
	pthread_mutex_unlock(&pvf->lock);
}

corral_result corral_pvf_prune(corral_pvf *pvf, corral_error *error)
{
	(void)error;
	prune(pvf, NULL);
	return CORRAL_OK;
}

/* ---- starting and stopping ---------------------------------------------------------- */

void corral_pvf_config_init(corral_pvf_config *config)
{
	*config = (corral_pvf_config){
		.prepare_workers = 1,
		.execute_workers = 2,
		.precheck_timeout_ms = 2000,
		.prepare_timeout_ms = 10000,
		.execute_timeout_ms = 2000,
		.gas = 10000000000ll,
		.max_output = 64u << 10,
		.cache_max_age_s = 24 * 60 * 60,
		.cache_max_bytes = 1ull << 30,
	};
	corral_module_config_init(&config->module);
}

static corral_result check_config(const corral_pvf_config *config, corral_error *error)
{
	const corral_module_config *module = &config->module;
	if (!config->cache_dir || !*config->cache_dir)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "the pipeline needs a cache_dir for its artifacts");
	if (!config->prepare_workers || !config->execute_workers)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "the pipeline needs at least one prepare and one execute worker (%u and %u)",
				 config->prepare_workers, config->execute_workers);
	if (!config->precheck_timeout_ms || !config->prepare_timeout_ms || !config->execute_timeout_ms)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "the pipeline's timeouts must not be 0");
	if (config->max_output > MAX_OUTPUT_LIMIT)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "max_output %u is over the limit of %u bytes",
				 config->max_output, MAX_OUTPUT_LIMIT);
	if (config->gas <= 0)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "the pipeline's gas must be positive");
	if (module->metering != CORRAL_METERING_SYNC)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "the pipeline meters gas exactly: its module metering must be sync");
	if (module->isa > CORRAL_ISA_GP08 || module->format > CORRAL_FORMAT_POLKAVM ||
	    module->gas_model > CORRAL_GAS_GP08)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "unknown isa, format or gas model in the module config");
	if (module->gas_model == CORRAL_GAS_TABLE && module->block_cost_count && !module->block_costs)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "a block-cost table with a count but no entries");
	return CORRAL_OK;
}

static int by_pc(const void *a, const void *b)
{
	uint32_t x = ((const corral_block_cost *)a)->pc, y = ((const corral_block_cost *)b)->pc;
	return x < y ? -1 : x > y;
}

/* Our own copies of what the configuration points to. */
static corral_result copy_config(corral_pvf *pvf, const corral_pvf_config *config, corral_error *error)
{
	pvf->config = *config;
	pvf->cache_dir = strdup(config->cache_dir);
	size_t count = config->module.gas_model == CORRAL_GAS_TABLE ? config->module.block_cost_count : 0;
	pvf->block_costs = calloc(count + 1, sizeof *pvf->block_costs);
	pvf->job_costs = calloc(count + 1, sizeof *pvf->job_costs);
	if (!pvf->cache_dir || !pvf->block_costs || !pvf->job_costs)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "no memory for the pipeline's configuration");
	if (count)
		memcpy(pvf->block_costs, config->module.block_costs, count * sizeof *pvf->block_costs);
	if (count)
		qsort(pvf->block_costs, count, sizeof *pvf->block_costs, by_pc);
	for (size_t i = 0; i < count; i++)
		pvf->job_costs[i] = (struct pvm_block_cost){pvf->block_costs[i].pc, pvf->block_costs[i].cost};
	pvf->config.cache_dir = pvf->cache_dir;
	pvf->config.module.block_costs = pvf->block_costs;
	pvf->config.module.block_cost_count = count;
	if (!pvf->config.clock.now_ns)
		pvf->config.clock = (corral_pvf_clock){system_now, system_sleep, NULL};
	return CORRAL_OK;
}

/* The execute workers' engine: compiled code in the sandbox, each worker
 * limited in memory by cgroup; CPU time is the watchdog's to limit. */
static corral_result start_engine(corral_pvf *pvf, corral_error *error)
{
	corral_engine_config engine;
	corral_engine_config_init(&engine);
	engine.backend = CORRAL_BACKEND_JIT;
	engine.sandbox = CORRAL_SANDBOX_LINUX;
	engine.sandbox_pool_size = pvf->config.execute_workers;
	engine.sandbox_memory_limit = pvf->config.execute_memory_limit;
	corral_result result = corral_engine_new(&engine, &pvf->engine, error);
	if (result != CORRAL_OK || !pvf->hooks.execute_image)
		return result;
	/* Tests: the same pool, of another zygote build. */
	struct host_worker_options options = {
		.image = pvf->hooks.execute_image,
		.memory_limit = engine.sandbox_memory_limit,
	};
	host_pool_free(pvf->engine->pool);
	pvf->engine->pool = NULL;
	return host_pool_new(&pvf->engine->pool, pvf->config.execute_workers, &options, error);
}

static corral_result start_threads(corral_pvf *pvf, corral_error *error)
{
	const corral_pvf_config *config = &pvf->config;
	pvf->preparers = calloc(config->prepare_workers, sizeof *pvf->preparers);
	pvf->executers = calloc(config->execute_workers, sizeof *pvf->executers);
	if (!pvf->preparers || !pvf->executers)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "no memory for the pipeline's workers");
	/* The first job processes now, so that a configuration that cannot
	 * start one (a memory limit without cgroups, say) fails here. */
	for (uint32_t i = 0; i < config->prepare_workers; i++) {
		struct prepare_worker *worker = &pvf->preparers[i];
		worker->pvf = pvf;
		if (host_pvf_preparer_spawn(&worker->preparer, &pvf->prepare_options) != CORRAL_OK) {
			*error = worker->preparer.spawn_error;
			error->code = CORRAL_ERROR_SYSTEM;
			return CORRAL_ERROR_SYSTEM;
		}
	}
	for (uint32_t i = 0; i < config->prepare_workers; i++) {
		int failed = pthread_create(&pvf->preparers[i].thread, NULL, prepare_loop, &pvf->preparers[i]);
		if (failed)
			return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot start a prepare thread: %s",
					 strerror(failed));
		pvf->preparers[i].running = true;
	}
	for (uint32_t i = 0; i < config->execute_workers; i++) {
		pvf->executers[i].pvf = pvf;
		int failed = pthread_create(&pvf->executers[i].thread, NULL, execute_loop, &pvf->executers[i]);
		if (failed)
			return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot start an execute thread: %s",
					 strerror(failed));
		pvf->executers[i].running = true;
	}
	return CORRAL_OK;
}

corral_result host_pvf_new_with_hooks(const corral_pvf_config *config, const struct host_pvf_test_hooks *hooks,
				      corral_pvf **out, corral_error *error)
{
	*out = NULL;
	corral_result result = config ? check_config(config, error)
				      : host_fail(error, CORRAL_ERROR_ARGUMENT, "the pipeline needs a configuration");
	if (result != CORRAL_OK)
		return result;
	corral_pvf *pvf = calloc(1, sizeof *pvf);
	if (!pvf)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "no memory for a pipeline");
	pthread_mutex_init(&pvf->lock, NULL);
	pthread_cond_init(&pvf->changed, NULL);
	pthread_cond_init(&pvf->work, NULL);
	if (hooks)
		pvf->hooks = *hooks;
	result = copy_config(pvf, config, error);
	uint32_t longest = pvf->config.prepare_timeout_ms > pvf->config.precheck_timeout_ms
				   ? pvf->config.prepare_timeout_ms
				   : pvf->config.precheck_timeout_ms;
	/* The job's own RLIMIT_CPU, behind the watchdog: start-up included. */
	pvf->prepare_options = (struct host_worker_options){
		.image = pvf->hooks.prepare_image ? pvf->hooks.prepare_image : &host_pvf_prepare_release,
		.cpu_seconds = 2 * longest / 1000 + 2,
		.memory_limit = pvf->config.prepare_memory_limit,
	};
	if (result == CORRAL_OK)
		result = host_pvf_cache_open(pvf->cache_dir, error);
	pvf->pruned_at_ns = real_now();
	if (result == CORRAL_OK)
		pvf->stats.artifacts_pruned += host_pvf_cache_prune(pvf->cache_dir, true, pvf->config.cache_max_age_s,
								    pvf->config.cache_max_bytes, NULL, NULL, NULL);
	if (result == CORRAL_OK)
		result = start_engine(pvf, error);
	if (result == CORRAL_OK)
		result = host_pvf_watchdog_new(&pvf->watchdog, error);
	if (result == CORRAL_OK)
		result = start_threads(pvf, error);
	if (result != CORRAL_OK) {
		corral_pvf_free(pvf);
		return result;
	}
	*out = pvf;
	return CORRAL_OK;
}

corral_result corral_pvf_new(const corral_pvf_config *config, corral_pvf **pvf, corral_error *error)
{
	return host_pvf_new_with_hooks(config, NULL, pvf, error);
}

void corral_pvf_free(corral_pvf *pvf)
{
	if (!pvf)
		return;
	pthread_mutex_lock(&pvf->lock);
	pvf->stopping = true;
	pthread_cond_broadcast(&pvf->work);
	pthread_mutex_unlock(&pvf->lock);
	for (uint32_t i = 0; pvf->preparers && i < pvf->config.prepare_workers; i++) {
		if (pvf->preparers[i].running)
			pthread_join(pvf->preparers[i].thread, NULL);
		host_pvf_preparer_kill(&pvf->preparers[i].preparer);
	}
	for (uint32_t i = 0; pvf->executers && i < pvf->config.execute_workers; i++)
		if (pvf->executers[i].running)
			pthread_join(pvf->executers[i].thread, NULL);
	/* Jobs still queued have no one waiting (no call is in progress). */
	while (pvf->prepares.head) {
		struct prepare_job *job = (struct prepare_job *)pvf->prepares.head;
		pvf->prepares.head = job->link.next;
		free(job->program);
		free(job->name);
		free(job);
	}
	for (size_t b = 0; b < BUCKETS; b++)
		while (pvf->buckets[b]) {
			struct artifact *artifact = pvf->buckets[b];
			pvf->buckets[b] = artifact->next;
			unload(pvf, artifact);
			free(artifact);
		}
	corral_engine_free(pvf->engine);
	host_pvf_watchdog_free(pvf->watchdog);
	free(pvf->preparers);
	free(pvf->executers);
	free(pvf->cache_dir);
	free(pvf->block_costs);
	free(pvf->job_costs);
	pthread_cond_destroy(&pvf->work);
	pthread_cond_destroy(&pvf->changed);
	pthread_mutex_destroy(&pvf->lock);
	free(pvf);
}
