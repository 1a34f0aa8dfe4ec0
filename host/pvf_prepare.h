/* Prepare jobs (zygote/prepare_protocol.h): one program validated and
 * compiled in a process of its own.
 *
 * A preparer is one prepare worker's process slot: a job process is
 * spawned ahead (every sandbox layer in place, waiting for its request),
 * given exactly one job, read, and killed; the next is spawned for the
 * next job. What the process answers is copied out of its memory and
 * checked before it is believed; how it ended is classified into the
 * pipeline's reasons. */
#ifndef HOST_PVF_PREPARE_H
#define HOST_PVF_PREPARE_H

#include "core/gas.h"
#include "core/jit.h"
#include "host/pvf_artifact.h"
#include "host/pvf_watchdog.h"
#include "host/worker.h"

/* The release build of the prepare job (corral-prepare), in libcorral. */
extern const struct host_zygote_image host_pvf_prepare_release;

/* A prepare job's heap when no memory limit is given. */
#define HOST_PVF_DEFAULT_ARENA (1ull << 30)

struct host_pvf_prepare_input {
	const uint8_t *blob; /* the code blob (the container's code section) */
	size_t blob_length;
	enum pvm_isa isa;
	enum pvm_gas_model_kind gas_model;
	const struct pvm_block_cost *costs; /* PVM_GAS_TABLE: sorted by pc */
	size_t cost_count;
	enum pvm_jit_gas metering;
	uint64_t arena_limit;
	uint64_t attack; /* tests, with the attack build: zygote/attacks.h's number + 1 */
};

struct host_pvf_prepare_outcome {
	corral_pvf_reason reason; /* CORRAL_PVF_OK: code is filled */
	char message[512];
	uint64_t cpu_ns; /* the job's CPU time */
	pid_t pid;
	struct host_pvf_code code; /* points into `owned` */
	uint8_t *owned;
};

struct host_pvf_preparer {
	struct host_worker worker;
	bool alive;
	corral_error spawn_error; /* why the last spawn failed */
};

/* Spawns the next job process (if there is none). */
corral_result host_pvf_preparer_spawn(struct host_pvf_preparer *preparer, const struct host_worker_options *options);
void host_pvf_preparer_kill(struct host_pvf_preparer *preparer);

/* Runs one job on the spawned process (which is killed after), under
 * `watch` (its cpu_limit_ns set). `on_job` may be NULL. */
void host_pvf_prepare_run(struct host_pvf_preparer *preparer, const struct host_pvf_prepare_input *input,
			  struct host_pvf_watchdog *watchdog, struct host_pvf_watch *watch,
			  corral_pvf_job_callback on_job, void *on_job_context,
			  struct host_pvf_prepare_outcome *outcome);

void host_pvf_prepare_outcome_free(struct host_pvf_prepare_outcome *outcome);

#endif
