/* The audit's one hook into the sandbox manager (host/audit.c). */
#ifndef HOST_AUDIT_H
#define HOST_AUDIT_H

#include <sys/types.h>

#include "corral.h"

/* host/worker.c calls it for each worker it starts, after the worker is
 * cloned and before it may run anything: every audit that watches its own
 * sandboxes (corral_audit_config.watch_own_sandboxes) watches it from
 * there. Nothing is done, and no system call made, while there is none. */
corral_result host_audit_watch_worker(pid_t pid, corral_error *error);

#endif
