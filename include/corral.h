/* corral: a runtime for untrusted PVM programs.
 *
 * An engine holds configuration shared by everything built from it. A module
 * is one program, parsed, validated and prepared once. An instance is a
 * running machine of a module: registers, gas, pc and guest memory. Running an
 * instance returns an interrupt: the reason it stopped.
 *
 * Every call that can fail returns a corral_result and, when given a
 * corral_error, fills it with a message that names the input and the problem.
 * The library never prints and never exits. */
#ifndef CORRAL_H
#define CORRAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CORRAL_VERSION "0.1.0"

/* ---- errors ---------------------------------------------------------- */

typedef enum corral_result {
	CORRAL_OK = 0,
	CORRAL_ERROR_ARGUMENT,      /* a parameter is out of range */
	CORRAL_ERROR_MALFORMED,     /* the program bytes are not a valid program */
	CORRAL_ERROR_OUT_OF_MEMORY, /* the host could not allocate */
	CORRAL_ERROR_SYSTEM,        /* a system call failed (errno in the message) */
	CORRAL_ERROR_ACCESS,        /* an embedder memory access hit an unmapped page */
} corral_result;

typedef struct corral_error {
	corral_result code;
	char message[640];
} corral_error;

const char *corral_result_name(corral_result result);

/* ---- configuration --------------------------------------------------- */

typedef enum corral_isa {
	CORRAL_ISA_GP07 = 0, /* Gray Paper 0.7 numbering: has sbrk */
	CORRAL_ISA_GP08 = 1, /* Gray Paper 0.8 / JamV1 numbering */
} corral_isa;

typedef enum corral_format {
	CORRAL_FORMAT_AUTO = 0, /* a .polkavm container if the file starts with its magic; else a JAM
				   standard program (with or without metadata); else a raw blob */
	CORRAL_FORMAT_BLOB,     /* a raw program blob (GP A.2 deblob) */
	CORRAL_FORMAT_JAM,      /* a JAM standard program (GP A.7), optionally behind metadata */
	CORRAL_FORMAT_POLKAVM,  /* a .polkavm container: "PVM\0", version, sections (see the README) */
} corral_format;

typedef enum corral_gas_model {
	CORRAL_GAS_NAIVE = 0, /* 1 per instruction, charged per block on entry */
	CORRAL_GAS_TABLE,     /* costs given per block start (the vectors' block-gas-costs) */
	CORRAL_GAS_GP08,      /* the GP 0.8 pipeline simulation: each block's simulated cycles */
} corral_gas_model;

typedef enum corral_backend {
	CORRAL_BACKEND_INTERPRETER = 0, /* pre-decoded, threaded dispatch */
	CORRAL_BACKEND_JIT,             /* the x86-64 compiler (x86-64 hosts with POPCNT, LZCNT, BMI1) */
} corral_backend;

/* Where compiled code runs. */
typedef enum corral_sandbox {
	CORRAL_SANDBOX_NONE = 0,  /* in this process: for trusted programs and debugging */
	CORRAL_SANDBOX_LINUX = 1, /* in a zygote process: fresh namespaces, no capabilities, a seccomp
				     allow-list; it can compute and nothing else (see the README) */
	CORRAL_SANDBOX_AUTO = 2,  /* the default: linux where the kernel allows it, else none
				     (corral_engine_sandbox says which, and why) */
} corral_sandbox;

/* How the compiler meters gas (the interpreter always meters exactly). */
typedef enum corral_gas_metering {
	CORRAL_METERING_SYNC = 0, /* exact: out of gas stops at the block start, gas unchanged */
	CORRAL_METERING_ASYNC,    /* cheaper: tested only where code can loop and at exits; running
				     out is noticed late and the overdraft is left in gas */
	CORRAL_METERING_OFF,      /* no metering: gas is never charged */
} corral_gas_metering;

typedef struct corral_block_cost {
	uint32_t pc;
	uint64_t cost;
} corral_block_cost;

typedef struct corral_engine_config {
	corral_backend backend;
	corral_sandbox sandbox; /* CORRAL_BACKEND_JIT */
	/* CORRAL_BACKEND_JIT, for debugging corral: every instance runs the
	 * interpreter beside the compiled code, one instruction at a time, and
	 * stops with a trap at the first difference (corral_instance_divergence
	 * says what differed). Slow. */
	bool cross_check;
	/* CORRAL_SANDBOX_LINUX: workers started when the engine is created and
	 * kept for reuse (a freed instance's worker is wiped and goes back);
	 * more are started when all are busy. */
	uint32_t sandbox_pool_size;
	/* CORRAL_SANDBOX_LINUX: CPU time one run may take, in milliseconds,
	 * before the worker is killed and the run aborted (0: no limit but
	 * gas and the worker's RLIMIT_CPU backstop). */
	uint32_t sandbox_cpu_limit_ms;
	/* CORRAL_SANDBOX_LINUX, where the host may create cgroups (root): each
	 * worker's memory in bytes and its tasks (0: no limit). A worker that
	 * passes its memory limit is killed and the run aborted, saying so. */
	uint64_t sandbox_memory_limit;
	uint32_t sandbox_pids_limit;
} corral_engine_config;

typedef struct corral_module_config {
	corral_isa isa; /* a .polkavm container's version byte overrides it */
	corral_format format;
	corral_gas_model gas_model;
	/* CORRAL_GAS_TABLE: one cost per block start, in any order. */
	const corral_block_cost *block_costs;
	size_t block_cost_count;
	corral_gas_metering metering; /* CORRAL_BACKEND_JIT */
} corral_module_config;

typedef struct corral_instance_config {
	/* JAM standard programs and .polkavm containers: the argument data,
	 * mapped read-only (GP A.7). */
	const uint8_t *arguments;
	size_t arguments_length;
	int64_t gas; /* initial gas */
} corral_instance_config;

void corral_engine_config_init(corral_engine_config *config);
void corral_module_config_init(corral_module_config *config);
void corral_instance_config_init(corral_instance_config *config);

/* ---- engine, module, instance ---------------------------------------- */

typedef struct corral_engine corral_engine;
typedef struct corral_module corral_module;
typedef struct corral_instance corral_instance;

corral_result corral_engine_new(const corral_engine_config *config, corral_engine **engine, corral_error *error);
void corral_engine_free(corral_engine *engine);

/* Where the engine's compiled code runs (AUTO resolved), and, when AUTO
 * fell back to none, why (else NULL). */
corral_sandbox corral_engine_sandbox(const corral_engine *engine);
const char *corral_engine_sandbox_note(const corral_engine *engine);

/* Parses, validates and prepares a program. The bytes are copied. `name`
 * (a file name, say) prefixes every error message; it may be NULL. */
corral_result corral_module_new(corral_engine *engine, const uint8_t *bytes, size_t length, const char *name,
				const corral_module_config *config, corral_module **module, corral_error *error);
void corral_module_free(corral_module *module);

typedef struct corral_module_info {
	corral_format format; /* what the bytes turned out to be */
	corral_isa isa;       /* the numbering the code was read with */
	bool has_metadata;
	uint32_t code_length;
	uint32_t instruction_count;
	uint32_t block_count;
	uint32_t jump_table_length;
	uint32_t bad_static_targets; /* jumps/branches that panic if taken */
	uint32_t bad_jump_entries;   /* jump-table entries that panic if used */
	/* JAM standard programs and .polkavm containers */
	uint32_t ro_data_length;
	uint32_t rw_data_length;
	uint32_t heap_pages; /* .polkavm: what rw_data_size leaves after the data, in pages */
	uint32_t stack_size;
	/* The regions' sizes: a .polkavm container's memory section; for a JAM
	 * program, the data lengths (rw without the heap). */
	uint32_t ro_data_size;
	uint32_t rw_data_size;
} corral_module_info;

void corral_module_get_info(const corral_module *module, corral_module_info *info);

/* Entry points and host functions a module declares (.polkavm containers;
 * empty for other formats). Names are NUL-terminated and owned by the
 * module; an index past the count gives NULL (a pc of 0). `ecalli i` calls
 * import i. */
size_t corral_module_export_count(const corral_module *module);
const char *corral_module_export_name(const corral_module *module, size_t index);
uint32_t corral_module_export_pc(const corral_module *module, size_t index);
bool corral_module_find_export(const corral_module *module, const char *name, uint32_t *pc);
size_t corral_module_import_count(const corral_module *module);
const char *corral_module_import_name(const corral_module *module, size_t index);

/* A JAM program's metadata prefix, if it has one (else NULL, 0). */
const uint8_t *corral_module_metadata(const corral_module *module, size_t *length);

/* The basic blocks, in code order, with what entering each costs under the
 * module's gas model. An index past the count gives {0, 0}. */
size_t corral_module_block_count(const corral_module *module);
corral_block_cost corral_module_block(const corral_module *module, size_t index);

/* The instruction at `pc` as assembly text (see `corral disasm`), into
 * buffer; returns the offset of the next instruction. */
uint32_t corral_module_instruction(const corral_module *module, uint32_t pc, char *buffer, size_t size);

/* CORRAL_BACKEND_JIT: the compiled code. corral_module_native gives all of
 * it (its address is where it runs); corral_module_native_at the part that
 * belongs to the instruction at `pc` (its gas charge, if it starts a block,
 * and its body) as an offset into it. Both give 0 for other backends, and
 * corral_module_native_at for a pc where no instruction starts. */
const uint8_t *corral_module_native(const corral_module *module, size_t *length);
size_t corral_module_native_at(const corral_module *module, uint32_t pc, size_t *offset);

/* Creates an instance with its own memory. A raw blob starts with no memory
 * mapped and pc 0; a JAM standard program or .polkavm container starts laid
 * out as GP A.7 says, at pc 0 (corral_instance_set_pc to an export's pc to
 * enter there). */
corral_result corral_instance_new(corral_module *module, const corral_instance_config *config,
				  corral_instance **instance, corral_error *error);
void corral_instance_free(corral_instance *instance);

/* ---- running ---------------------------------------------------------- */

typedef enum corral_interrupt_kind {
	CORRAL_FINISHED = 0, /* halted: dynamic jump to 0xFFFF0000 */
	CORRAL_TRAP,         /* panic: trap, invalid jump, or forbidden access */
	CORRAL_OUT_OF_GAS,   /* the block at pc could not be paid for */
	CORRAL_PAGE_FAULT,   /* address: the inaccessible page */
	CORRAL_HOST_CALL,    /* host_call: the ecalli index */
	CORRAL_STEP,         /* single-step mode: one instruction done */
	CORRAL_ABORTED,      /* not the program's doing: its sandbox worker died, broke the protocol
				or ran past the CPU-time limit (corral_instance_divergence says
				which); the instance cannot run again */
} corral_interrupt_kind;

typedef struct corral_interrupt {
	corral_interrupt_kind kind;
	uint32_t pc;        /* the instruction that stopped (for a step: the next one) */
	uint64_t host_call; /* CORRAL_HOST_CALL */
	uint32_t address;   /* CORRAL_PAGE_FAULT: page-aligned */
} corral_interrupt;

const char *corral_interrupt_name(corral_interrupt_kind kind);

/* Runs until an interrupt. After a host call, running again continues at
 * the instruction after the ecalli; after a page fault, at the faulting
 * instruction; after running out of gas, at the block that could not be paid
 * for (which is charged again). Resuming never charges a block twice. */
corral_interrupt corral_instance_run(corral_instance *instance);

void corral_instance_set_single_step(corral_instance *instance, bool enabled);

/* Why the last run stopped for corral's own reasons rather than the
 * program's, or NULL: in cross-check mode (corral_engine_config), what
 * differed between the compiled code and the interpreter (a trap); on the
 * JIT, a hardware fault that the page-access table allows (an internal
 * error, a trap); in the sandbox, why the run was aborted (CORRAL_ABORTED). */
const char *corral_instance_divergence(const corral_instance *instance);

/* Whether a run of the instance was aborted (CORRAL_ABORTED): it cannot
 * run again. */
bool corral_instance_aborted(const corral_instance *instance);

#define CORRAL_REGISTER_COUNT 13

uint64_t corral_instance_reg(const corral_instance *instance, unsigned index);
void corral_instance_set_reg(corral_instance *instance, unsigned index, uint64_t value);
/* Where the next run starts. */
uint32_t corral_instance_pc(const corral_instance *instance);
/* Moves execution to pc; the block there is charged on entry. */
void corral_instance_set_pc(corral_instance *instance, uint32_t pc);
int64_t corral_instance_gas(const corral_instance *instance);
void corral_instance_set_gas(corral_instance *instance, int64_t gas);

/* ---- memory ----------------------------------------------------------- */

#define CORRAL_PAGE_SIZE 4096u

typedef enum corral_page_access {
	CORRAL_PAGE_NONE = 0,
	CORRAL_PAGE_READ = 1,
	CORRAL_PAGE_WRITE = 2, /* read and write */
} corral_page_access;

/* Sets the access of every page in [address, address + length), which must
 * be page-aligned and at or above 64 KiB. Pages set to NONE lose their
 * contents: mapped again, they read as zero. */
corral_result corral_instance_map(corral_instance *instance, uint32_t address, uint64_t length,
				  corral_page_access access, corral_error *error);
corral_page_access corral_instance_page_access(const corral_instance *instance, uint32_t address);

/* Grows the heap as the GP 0.7 sbrk instruction does, for hosts that give
 * GP 0.8 code (which has no sbrk) the same heap through a host call:
 * returns the old top and maps the pages the next `amount` bytes need
 * (zeroed, read-write); the top for 0; 0, changing nothing, when the heap
 * cannot grow that far. */
uint64_t corral_instance_sbrk(corral_instance *instance, uint64_t amount);

/* The embedder's view of guest memory: any mapped page can be read and
 * written (read-only pages included); an unmapped one is CORRAL_ERROR_ACCESS. */
corral_result corral_instance_read(const corral_instance *instance, uint32_t address, void *buffer, size_t length,
				   corral_error *error);
corral_result corral_instance_write(corral_instance *instance, uint32_t address, const void *buffer, size_t length,
				    corral_error *error);

#ifdef __cplusplus
}
#endif

#endif
