/* A module from an artifact: the program parsed and validated by the host
 * (it needs the decoded program to run the code: the pc of every exit and
 * fault, block starts, the memory layout), but its code taken as a
 * prepare job compiled it, never compiled here. */
#ifndef HOST_PVF_MODULE_H
#define HOST_PVF_MODULE_H

#include <stdbool.h>

#include "corral.h"
#include "host/pvf_artifact.h"

/* The module of `program` (on a jit engine with the linux sandbox) whose
 * code is `code`. Before the code is used, its tables are checked against
 * the program as the host decodes it: one site per instruction in the
 * compiler's order, offsets inside the code and in order, one jump offset
 * per jump-table entry, the sandbox's size limits. A program the host
 * refuses fails as corral_module_new would (the program's fault); code
 * that does not match the program sets *mismatch (whoever made it is
 * broken or lying). */
corral_result host_pvf_module_new(corral_engine *engine, const uint8_t *program, size_t length, const char *name,
				  const corral_module_config *config, const struct host_pvf_code *code,
				  corral_module **module, bool *mismatch, corral_error *error);

#endif
