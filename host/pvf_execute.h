/* Execute jobs: one validation run in a sandbox worker that serves no
 * other (taken from the engine's pool, which starts them ahead, and killed
 * after the job, never wiped and reused: a job that got out of its guest
 * code could otherwise leave something for the next).
 *
 * The guest is an SDK guest (guest/README.md): it reads the request's
 * input from stdin (host call 1002), writes its validation result to
 * stdout (1001), may write a reason to stderr, and exits (1000, or a
 * halt); GP 0.8 code grows its heap through 1003. A .polkavm container
 * calls the same functions by import name. Everything else is the
 * program's fault. */
#ifndef HOST_PVF_EXECUTE_H
#define HOST_PVF_EXECUTE_H

#include "corral.h"
#include "host/pvf_watchdog.h"

/* The validation result a guest writes on stdout. */
#define HOST_PVF_RESULT_MAGIC  "PVFR"
#define HOST_PVF_RESULT_HEADER 8 /* the magic, then a u32 little-endian length */

struct host_pvf_execution {
	/* the job */
	corral_module *module;
	const char *name;
	const uint8_t *input;
	size_t input_length;
	int64_t gas;
	uint64_t cpu_limit_ns;
	uint32_t max_output;
	struct host_pvf_watchdog *watchdog;
	corral_pvf_job_callback on_job;
	void *on_job_context;
	/* Tests: called with the instance before it first runs. */
	void (*before_run)(void *context, corral_instance *instance);
	void *before_run_context;

	/* the outcome */
	corral_pvf_reason reason;
	char message[640];
	uint8_t *output; /* CORRAL_PVF_OK: the head data, malloc'd */
	size_t output_length;
	uint64_t cpu_ns;
	corral_instance *instance; /* for host_pvf_execute_finish */
};

/* Runs the job to its outcome, leaving the worker's end to
 * host_pvf_execute_finish: killing and reaping a process takes longer
 * than many a validation, and the verdict need not wait for it. */
void host_pvf_execute(struct host_pvf_execution *execution);
void host_pvf_execute_finish(struct host_pvf_execution *execution);

/* Starts a fresh worker into the engine's pool if none is idle, so that
 * the next job does not wait for one. */
void host_pvf_execute_refill(corral_engine *engine);

#endif
