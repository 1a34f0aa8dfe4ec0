/* The pipeline's outcomes: what each reason is called, which class it is
 * in (the class decides the verdict and the retries), and which reason a
 * job process's death is. */
#ifndef HOST_PVF_REASON_H
#define HOST_PVF_REASON_H

#include <stddef.h>

#include "corral.h"
#include "host/pvf_watchdog.h"
#include "host/worker.h"

/* Why a job process died (or was killed), as far as the host can tell
 * without believing the process. */
corral_pvf_reason host_pvf_death_reason(corral_pvf_job_kind kind, enum host_pvf_fired fired,
					const struct host_worker *worker);

/* Says, in `buffer`, how a dead job ended and why that is its reason. */
void host_pvf_describe_death(corral_pvf_job_kind kind, enum host_pvf_fired fired, const struct host_worker *worker,
			     uint64_t cpu_limit_ns, char *buffer, size_t size);

/* What a job process wrote as text, made safe to print: printable ASCII
 * only, at most `size` - 1 bytes, NUL-terminated. */
void host_pvf_printable(const char *text, size_t length, char *buffer, size_t size);

#endif
