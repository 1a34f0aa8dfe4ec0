/* What lies behind corral.h's opaque types, shared by the files of host/. */
#ifndef HOST_INTERNAL_H
#define HOST_INTERNAL_H

#include <pthread.h>

#include "core/alloc.h"
#include "core/interp.h"
#include "core/jit.h"
#include "core/program.h"
#include "host/page_spans.h"
#include "corral.h"
#include "loader/allocator.h"
#include "loader/container.h"

struct host_pool;
struct host_sandbox_worker;
struct host_pager;

struct corral_engine {
	corral_engine_config config;
	corral_sandbox sandbox; /* resolved: NONE or LINUX */
	char sandbox_note[768]; /* why AUTO fell back to none */
	struct host_pool *pool; /* CORRAL_SANDBOX_LINUX */
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
	/* Where the code runs: code.bytes in this process; in the sandbox,
	 * ZYGOTE_CODE_ADDRESS of a worker, which maps `memfd` (sealed against
	 * writes; our mapping of it is read-only). */
	uint64_t address;
	int memfd;   /* -1 in this process */
	uint64_t id; /* unique in the process: which code a worker has mapped */
};

/* What a module's JIT makes: the code its runs are made of (compiled with
 * the module), and two variants most modules never need, compiled the first
 * time an instance does: step mode (every instruction an exit), and code
 * that looks the page of every load and store up in the page-access table
 * first (pvm_jit_options.page_table), for instances with dynamic paging,
 * whose faults then leave as ordinary exits rather than signals. */
enum host_jit_variant {
	HOST_JIT_PLAIN,
	HOST_JIT_STEP,
	HOST_JIT_PAGED,
};

/* A variant compiled on first use: `ready` is read without the module's
 * lazy_lock, with acquire order; once ready the code never changes. */
struct host_lazy_jit {
	struct host_jit jit;
	bool ready;
	bool failed; /* compiling it failed once (error says why): not retried */
	corral_error error;
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
	bool sandboxed; /* compiled for a sandbox worker (PVM_JIT_MEMORY_ABSOLUTE) */
	/* CORRAL_BACKEND_JIT: the code runs are made of, and the variants
	 * compiled the first time an instance needs one (see enum
	 * host_jit_variant), under lazy_lock. */
	struct host_jit jit;
	struct host_lazy_jit step, paged;
	pthread_mutex_t lazy_lock;
	bool lazy_lock_ready;
};

/* How the view of guest memory that code runs against is kept to the
 * access table. */
enum host_memory_kind {
	/* Host page protections are the guest's access exactly, because
	 * compiled code relies on hardware faults; the embedder's writes to
	 * read-only pages open them for the copy. */
	HOST_MEMORY_PROTECTED,
	/* Read-write throughout: the table alone guards it (the interpreter's,
	 * under dynamic paging, so that scattered pages cost no mapping each). */
	HOST_MEMORY_FLAT,
	/* A memfd whose view a userfaultfd watches (host/pager.h); core.base is
	 * the host's unwatched alias of it. */
	HOST_MEMORY_PAGED,
};

/* Guest memory: one PROT_NONE reservation holding, from low to high, the
 * compiled code's context and jump table (`below` bytes, read-write), the 4
 * GiB guest address space at `view` (the anchor), and a guard that an
 * access running past 4 GiB faults in. One access byte per page for the
 * core. */
struct host_memory {
	struct pvm_memory core;
	enum host_memory_kind kind;
	uint8_t *view;        /* where code in this process sees guest address 0: core.base but when paged */
	uint8_t *reservation; /* NULL when borrowed (a sandbox worker's) */
	size_t reservation_size;
	size_t below;
	/* A sandbox worker's memfd, shared with its zygote: pages set to NONE
	 * are punched out of the file, and the pages whose access changed
	 * since the zygote last heard, `dirty`, are sent to it before the
	 * next run (under paging: only remembered for the wipe). */
	bool shared;
	struct page_spans dirty;
	/* HOST_MEMORY_PAGED: the worker's pager, or own_pager in this process
	 * (whose userfaultfd, memfd and alias mapping are ours to free). */
	const struct host_pager *pager;
	struct host_pager *own_pager;
	/* Pages the embedder write-protected (core.write_protected), made on
	 * first use. */
	uint8_t *write_protected;
	bool table_in_reservation; /* core.access is the reservation's, not ours to free */
	/* A sandbox worker's copy of core.access, in the shared region, for
	 * page-checking code; NULL when none is kept. The zygote may write
	 * it, so the host never reads it: it copies the dirty pages' entries
	 * there before each run. */
	uint8_t *mirror;
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
	/* Where the last run stopped for a host call: the site of the
	 * instruction after the ecalli in that run's code, which the next run
	 * most likely resumes at (NULL when none). A guess, checked against
	 * the pc and the code before it is used. */
	const struct pvm_jit_site *resume_site;
	struct host_twin *twin; /* cross-check mode */
	/* Where the context lies: memory.core.base in this process, the
	 * shared region's anchor in the sandbox. */
	uint8_t *anchor;
	struct host_sandbox_worker *worker; /* CORRAL_SANDBOX_LINUX */
	bool aborted;                       /* the sandbox run failed: it cannot run again */
	bool dynamic_paging;                /* corral_instance_config.dynamic_paging */
	/* Its page-access table lies where page-checking code looks for it
	 * (host_jit_page_table): the instance runs that code. */
	bool page_table;
	/* What made the last run stop with a trap for corral's own reasons:
	 * a difference the cross-check found, or an internal inconsistency of
	 * the JIT backend. Empty when none. */
	char divergence[640];
};

/* Fills `error` (if any) and returns `code`. */
corral_result host_fail(corral_error *error, corral_result code, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/* `below`: bytes to map read-write under the guest space (0 for none);
 * with `table_below`, the page-access table is the first PVM_PAGE_COUNT of
 * them (compiled code finds it from the anchor), else an allocation. */
corral_result host_memory_init(struct host_memory *memory, size_t below, bool table_below, enum host_memory_kind kind,
			       corral_error *error);
/* Whether this process can page its own memory with userfaultfd (asked
 * once): where it cannot, compiled code's dynamic paging is PROTECTED. */
bool host_memory_can_page(void);
/* Guest memory on a sandbox worker's mapping of its memfd (4 GiB at base,
 * no page mapped yet), paged by the worker's `pager` or (NULL) told to the
 * zygote as page protections. */
corral_result host_memory_init_shared(struct host_memory *memory, uint8_t *base, const struct host_pager *pager,
				      corral_error *error);
void host_memory_free(struct host_memory *memory);
corral_result host_memory_set_access(struct host_memory *memory, uint32_t address, uint64_t length,
				     corral_page_access access, corral_error *error);
corral_result host_memory_copy(struct host_memory *memory, uint32_t address, void *buffer, size_t length, bool write,
			       corral_error *error);
/* corral_instance_map_bytes and corral_instance_protect on one memory. */
corral_result host_memory_fill(struct host_memory *memory, uint32_t address, const void *bytes, size_t length,
			       corral_page_access access, corral_error *error);
corral_result host_memory_protect(struct host_memory *memory, uint32_t address, uint64_t length, bool protect,
				  corral_error *error);
/* The embedder's view of a page's access: WRITE for a protected page. */
corral_page_access host_memory_page_access(const struct host_memory *memory, uint32_t address);

/* host/jit_code.c: compiling a module into executable memory. */
corral_result host_jit_compile(corral_module *module, enum host_jit_variant variant, struct host_jit *jit,
			       corral_error *error);
void host_jit_release(struct host_jit *jit);
/* What a module's code is compiled with (memory model, gas metering). */
struct pvm_jit_options host_jit_options(const corral_module *module, enum host_jit_variant variant);
/* Whether the kernel lets this process set GS's base (FSGSBASE). */
bool host_jit_fsgsbase(void);
/* Where a paged instance's page-access table lies, as a displacement from
 * the anchor: in a sandbox worker, its shared region's
 * (ZYGOTE_PAGE_TABLE_OFFSET); in this process, the start of the bytes
 * reserved below guest memory, under the jump table. */
int32_t host_jit_page_table(const corral_module *module);
/* A code id no other host_jit of the process has. */
uint64_t host_jit_next_id(void);
/* With CORRAL_JIT_DUMP_DIR set, writes the code there for scripts/jit_scan.sh. */
corral_result host_jit_dump(const corral_module *module, const struct pvm_jit_code *code, corral_error *error);

/* host/module.c: corral_module_new, or (compile false, for code that was
 * compiled elsewhere: host/pvf_module.c) everything it does but compile. */
corral_result host_module_new(corral_engine *engine, const uint8_t *bytes, size_t length, const char *name,
			      const corral_module_config *config, bool compile, corral_module **out,
			      corral_error *error);
/* A variant (HOST_JIT_STEP or HOST_JIT_PAGED), compiled on first use;
 * NULL if it cannot be (module->step.error or paged.error says why). */
const struct host_jit *host_jit_variant_code(corral_module *module, enum host_jit_variant variant);
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

/* host/sandbox.c: compiled code in a sandbox worker. */
corral_result host_sandbox_engine_init(corral_engine *engine, corral_error *error);
void host_sandbox_engine_free(corral_engine *engine);
/* Takes a worker for the instance and lays guest memory on it (paged
 * with the worker's userfaultfd under dynamic paging, where it has one). */
corral_result host_sandbox_instance_init(corral_instance *instance, corral_error *error);
/* Wipes the worker and gives it back (or kills it if it misbehaved). */
void host_sandbox_instance_release(corral_instance *instance);
/* Runs the code from `target` in the worker as the in-process enter does,
 * with the registers and gas of the instance's state; on return the
 * context holds the exit record. False when the run was aborted
 * (instance->aborted and divergence set). */
bool host_sandbox_enter(corral_instance *instance, const struct host_jit *jit, uint32_t target,
			struct host_jit_running *running);

/* host/cross_check.c: the JIT and the interpreter in lock step. */
/* The twin's memory is flat under dynamic paging. */
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
