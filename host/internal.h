/* What lies behind corral.h's opaque types, shared by the files of host/. */
#ifndef HOST_INTERNAL_H
#define HOST_INTERNAL_H

#include <pthread.h>

#include "core/alloc.h"
#include "core/interp.h"
#include "core/jit.h"
#include "core/program.h"
#include "corral.h"
#include "loader/allocator.h"
#include "loader/container.h"

struct corral_engine {
	corral_engine_config config;
};

/* An import or export, its name copied out and NUL-terminated. */
struct host_symbol {
	char *name;
	uint32_t pc; /* exports */
};

/* One variant of a module's compiled code, in its own mapping: read+execute
 * once compiled, never writable and executable at once. */
struct host_jit {
	struct pvm_jit_code code; /* code.bytes is the mapping's start */
	size_t mapped;            /* bytes mapped: code.size rounded up to pages */
	bool ready;
};

struct corral_module {
	corral_engine *engine;
	uint8_t *bytes; /* our copy: the program borrows from it */
	size_t length;
	char *name;
	struct loader_program container;
	struct host_symbol *imports, *exports;
	size_t import_count, export_count;
	char *symbol_names; /* every symbol's name, one allocation */
	struct pvm_program program;
	/* Every module has the interpreter's form, the JIT's too: single steps
	 * fall back to it and the cross-check runs it beside the code. */
	struct pvm_interp_code interp;
	bool interp_ready;
	corral_isa isa;
	corral_gas_metering metering;
	/* CORRAL_BACKEND_JIT: the code runs are made of, and the step-mode
	 * variant, compiled the first time an instance single-steps (under
	 * step_lock; step_ready is read without it, with acquire order). */
	struct host_jit jit;
	struct host_jit jit_step;
	bool step_ready;
	bool step_failed; /* compiling it failed once (step_error says why): not retried */
	corral_error step_error;
	pthread_mutex_t step_lock;
	bool step_lock_ready;
};

/* Guest memory: one PROT_NONE reservation holding, from low to high, the
 * compiled code's context and jump table (`below` bytes, read-write), the 4
 * GiB guest address space at core.base (the anchor), and a guard that an
 * access running past 4 GiB faults in. A page's host protection is the
 * guest's access exactly, because compiled code relies on hardware faults;
 * the embedder's writes to read-only pages open them for the copy. One
 * access byte per page for the core. */
struct host_memory {
	struct pvm_memory core;
	uint8_t *reservation;
	size_t reservation_size;
	size_t below;
};

/* Cross-check mode: the interpreter's copy of the machine. */
struct host_twin {
	struct host_memory memory;
	struct pvm_state state;
};

struct corral_instance {
	corral_module *module;
	struct host_memory memory;
	struct pvm_state state;
	bool single_step;
	/* The compiled code whose addresses the jump table below the anchor
	 * holds, or NULL before the first run. */
	const struct host_jit *table_of;
	struct host_twin *twin; /* cross-check mode */
	/* What made the last run stop with a trap for corral's own reasons:
	 * a difference the cross-check found, or an internal inconsistency of
	 * the JIT backend. Empty when none. */
	char divergence[640];
};

/* Fills `error` (if any) and returns `code`. */
corral_result host_fail(corral_error *error, corral_result code, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/* `below`: bytes to map read-write under the guest space (0 for none). */
corral_result host_memory_init(struct host_memory *memory, size_t below, corral_error *error);
void host_memory_free(struct host_memory *memory);
corral_result host_memory_set_access(struct host_memory *memory, uint32_t address, uint64_t length,
				     corral_page_access access, corral_error *error);
corral_result host_memory_copy(struct host_memory *memory, uint32_t address, void *buffer, size_t length, bool write,
			       corral_error *error);

/* host/jit_code.c: compiling a module into executable memory. */
corral_result host_jit_compile(corral_module *module, bool step, struct host_jit *jit, corral_error *error);
void host_jit_release(struct host_jit *jit);
/* The step-mode code, compiled on first use; NULL if it cannot be. */
const struct host_jit *host_jit_step_code(corral_module *module);
/* Whether the CPU runs what the compiler emits; else fills `error`. */
corral_result host_jit_check_cpu(corral_error *error);

/* host/jit_signals.c: the fault handlers compiled code relies on. */
corral_result host_jit_signals_install(corral_error *error);

/* What the signal handler needs to know about the code this thread runs. */
struct host_jit_running {
	uint8_t *anchor;
	const uint8_t *code_base;
	const struct pvm_jit_code *code;
	/* Set by the handler when SIGILL or SIGFPE came from compiled code,
	 * which never happens unless the compiler is wrong. */
	int unexpected_signal;
	uint32_t unexpected_pc;
};

void host_jit_running_set(struct host_jit_running *running);

/* host/jit_backend.c: running compiled code. `step`: the step-mode code,
 * one instruction. */
corral_interrupt host_jit_run(corral_instance *instance, bool step);

/* host/cross_check.c: the JIT and the interpreter in lock step. */
corral_result host_twin_new(corral_instance *instance, corral_error *error);
void host_twin_free(struct host_twin *twin);
corral_interrupt host_cross_check_run(corral_instance *instance);

/* host/instance.c */
/* Whether a gas block starts at pc: entering there unpaid charges it. */
bool host_is_block_start(const struct pvm_program *program, uint32_t pc);
/* Records why a run stopped with a trap for corral's own reasons. */
void host_divergence(corral_instance *instance, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Runs the interpreter on a state and memory. */
corral_interrupt host_interp_run(const corral_module *module, struct pvm_state *state, struct host_memory *memory,
				 bool step);

#endif
