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
	/* Dynamic paging: the instance starts with no page mapped (a standard
	 * program too: its registers are set as GP A.7 says, its memory is the
	 * embedder's to map), and the first touch of each page stops the guest
	 * with CORRAL_PAGE_FAULT; the embedder maps or fills the page and runs
	 * again, which resumes at the same instruction. Where the kernel allows,
	 * compiled code's pages are then served through userfaultfd
	 * (corral_instance_paging says how), so that any number of scattered
	 * pages can be mapped; the results are the same on every backend. */
	bool dynamic_paging;
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
	/* CORRAL_PAGE_FAULT: the page is mapped read-write but write-protected
	 * (corral_instance_protect), and the guest tried to store to it; false:
	 * the page is not mapped. */
	bool write_protected;
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
 * be page-aligned and at or above 64 KiB. Pages that were not mapped are
 * mapped zeroed (UFFDIO_ZEROPAGE under userfaultfd paging); pages that were
 * keep their contents and lose any write protection. Pages set to NONE are
 * freed and lose their contents (punched out of their memfd under
 * userfaultfd paging and in the sandbox): mapped again, they read as zero. */
corral_result corral_instance_map(corral_instance *instance, uint32_t address, uint64_t length,
				  corral_page_access access, corral_error *error);
corral_page_access corral_instance_page_access(const corral_instance *instance, uint32_t address);

/* Maps whole pages and fills them in one step: the pages from `address`
 * (page-aligned, at or above 64 KiB) that `length` bytes cover get `access`
 * (READ or WRITE, unprotected) and hold `bytes`, zeros after, whatever
 * they held before. Under userfaultfd paging a page that was not mapped is
 * filled by UFFDIO_COPY, so the guest never sees it half written. */
corral_result corral_instance_map_bytes(corral_instance *instance, uint32_t address, const void *bytes, size_t length,
					corral_page_access access, corral_error *error);

/* Write protection, for embedders that track or copy guest pages: every
 * page of [address, address + length) (page-aligned) must be mapped
 * read-write. A protected page still reads, and the embedder may still
 * write it, but a guest store to it stops the run with CORRAL_PAGE_FAULT,
 * write_protected set and nothing changed; unprotecting it (or mapping it
 * again) and running again resumes the store. A store to a read-only page
 * still panics. corral_instance_page_access says WRITE for a protected page. */
corral_result corral_instance_protect(corral_instance *instance, uint32_t address, uint64_t length, bool protect,
				      corral_error *error);
bool corral_instance_page_protected(const corral_instance *instance, uint32_t address);

/* How the instance's guest memory is kept to its page table. */
typedef enum corral_paging {
	CORRAL_PAGING_TABLE = 0,   /* the interpreter tests every access against the table itself */
	CORRAL_PAGING_MPROTECT,    /* page protections mirror the table; compiled code's faults arrive as
				      signals (one mapping per run of equal pages, so vm.max_map_count bounds
				      how scattered the mapped pages may be) */
	CORRAL_PAGING_USERFAULTFD, /* dynamic paging of compiled code: one read-write memfd mapping watched
				      by a userfaultfd (missing pages and write protection, delivered as
				      SIGBUS); made in the sandbox worker, or in this process */
} corral_paging;

corral_paging corral_instance_paging(const corral_instance *instance);

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

/* ---- auditing sandboxes with eBPF --------------------------------------- */

/* An audit watches sandboxes (CORRAL_SANDBOX_LINUX workers) from the
 * kernel: every system call their processes make, with its arguments and
 * result, each call the seccomp filter refused, each signal sent to them,
 * and how they ended. Programs on the syscall, signal and process
 * tracepoints, filtered in the kernel to the watched sandboxes (their pid
 * namespaces), write into a BPF ring buffer; corral_audit_poll hands the
 * events to a callback. Needs root (CAP_BPF and CAP_PERFMON) and a kernel
 * with BTF; corral_audit_new says which is missing. */

typedef struct corral_audit corral_audit;

typedef enum corral_audit_kind {
	CORRAL_AUDIT_SYSCALL = 0, /* a system call returned, was refused, or never came back */
	CORRAL_AUDIT_SIGNAL,      /* a signal was sent to a task of the sandbox */
	CORRAL_AUDIT_EXIT,        /* a process of the sandbox ended */
} corral_audit_kind;

/* The system call table a number belongs to. */
typedef enum corral_audit_abi {
	CORRAL_AUDIT_X86_64 = 0,
	CORRAL_AUDIT_I386, /* int 0x80 */
	CORRAL_AUDIT_X32,  /* the x32 bit was set (the number is without it) */
} corral_audit_abi;

typedef struct corral_audit_event {
	corral_audit_kind kind;
	uint64_t time_ns; /* CLOCK_MONOTONIC: when the call was made, the signal sent, the process ended */
	uint32_t sandbox; /* which sandbox: the host pid of its first process (a worker's zygote) */
	int32_t pid;      /* the process and thread, as the host sees them */
	int32_t tid;
	/* CORRAL_AUDIT_SYSCALL */
	corral_audit_abi abi;
	int32_t number;
	const char *name; /* "openat"; "syscall_N" for a number newer than this build's table */
	uint64_t args[6];
	int64_t result; /* the return value (a negated errno on error), when `returned` */
	bool returned;  /* false: it never came back (exit, exit_group, the task died in it, refused) */
	bool denied;    /* the seccomp filter refused it (and sent SIGSYS, which usually kills) */
	bool unmatched; /* it was in progress when watching began: seen only as it returned */
	/* CORRAL_AUDIT_SIGNAL: the signal, its si_code, who sent it (host pid;
	 * the target's own for a signal of the kernel's, such as SIGSYS), and
	 * whether it was delivered (else ignored, or already pending). A
	 * refused call has signal SIGSYS too. CORRAL_AUDIT_EXIT: the signal
	 * that killed the process, or 0. */
	int signal;
	int signal_code;
	int32_t sender;
	bool delivered;
	/* CORRAL_AUDIT_EXIT: the wait status (WIFSIGNALED, WEXITSTATUS...). */
	int exit_status;
} corral_audit_event;

/* Called from corral_audit_poll; the event (and its name) live until it
 * returns. */
typedef void (*corral_audit_callback)(const corral_audit_event *event, void *context);

typedef struct corral_audit_config {
	corral_audit_callback callback;
	void *context;
	/* Every sandbox worker this process starts while the audit exists is
	 * watched from before it runs (default true). */
	bool watch_own_sandboxes;
	/* The ring buffer, in bytes: a power of two, at least a page (0: 8
	 * MiB, some 75,000 events between two polls). */
	uint32_t buffer_size;
} corral_audit_config;

void corral_audit_config_init(corral_audit_config *config);

/* Loads the programs and attaches them. Fails with one line that says why:
 * not root, no BTF, the kernel refused to load or attach them. */
corral_result corral_audit_new(const corral_audit_config *config, corral_audit **audit, corral_error *error);
/* Detaches, unloads, closes everything; events not polled are lost. */
void corral_audit_free(corral_audit *audit);

/* Watches, from now on, the sandbox process `pid` is in (its pid
 * namespace, which must not be ours); the sandbox's id is `pid`. */
corral_result corral_audit_watch_pid(corral_audit *audit, int32_t pid, corral_error *error);
/* Watches every sandbox that process `pid`, or any process it starts from
 * now on, creates: each child cloned into a new pid namespace, from before
 * it runs (its id is the child's pid). */
corral_result corral_audit_watch_children(corral_audit *audit, int32_t pid, corral_error *error);

/* Waits up to timeout_ms (negative: until an event comes) for events and
 * passes each to the callback, in the order they happened for each task;
 * *count (may be NULL) is how many. Not from the callback. */
corral_result corral_audit_poll(corral_audit *audit, int timeout_ms, size_t *count, corral_error *error);

/* Events lost so far because the ring buffer was full (poll more often, or
 * give a bigger buffer_size). */
uint64_t corral_audit_dropped(const corral_audit *audit);

/* A system call's name ("openat"), or "syscall_N" written into buffer. */
const char *corral_audit_syscall_name(corral_audit_abi abi, int32_t number, char *buffer, size_t size);

/* ---- the validation pipeline (node embedding) -------------------------- */

/* A pipeline validates untrusted programs the way a blockchain node must:
 * it never hangs, a local fault never turns into a wrong verdict, and a
 * program never touches the machine. Modelled on Polkadot's PVF host.
 *
 * A prepare queue validates and compiles each program once, in a job
 * process of its own (a sandbox like the zygote's, with the same seccomp
 * filter); identical requests wait for the same job, and the result, an
 * artifact, is cached on disk by the program's hash, the module
 * configuration and corral's build id, and checked whenever it is read.
 * An execute queue runs each validation in a fresh sandbox worker of its
 * own (never reused), with the request's input on the guest's stdin: the
 * guest must write a validation result ("PVFR", a 4-byte little-endian
 * length, the head data) on stdout and exit 0. Jobs are limited in CPU
 * time (with a wall-clock backstop) and, where cgroups can be made, in
 * memory. Every failure is classified: the program's fault (invalid),
 * possibly transient (retried as the mode allows), or this machine's (no
 * verdict). See the README's "The validation pipeline". */

typedef struct corral_pvf corral_pvf;

typedef enum corral_pvf_mode {
	CORRAL_PVF_PRECHECK = 0, /* prepare only, under the strict timeout: may the program be used at all? */
	CORRAL_PVF_BACKING,      /* prepare (lenient timeout) and execute; nothing is retried */
	CORRAL_PVF_APPROVAL,     /* the same, but an execution that may have failed for a transient reason
				    is retried once, 1 s later */
} corral_pvf_mode;

typedef enum corral_pvf_verdict {
	CORRAL_PVF_VALID = 0,  /* the program accepted the input (precheck: it can be prepared) */
	CORRAL_PVF_INVALID,    /* the program's fault: it rejected the input, or misbehaved */
	CORRAL_PVF_NO_VERDICT, /* a problem of this machine: the question stays open */
} corral_pvf_verdict;

/* Why, in one word (corral_pvf_reason_name); the result's message says the
 * rest. The classes (corral_pvf_reason_class) decide the verdict and the
 * retries. */
typedef enum corral_pvf_reason {
	CORRAL_PVF_OK = 0,
	/* the program's fault: invalid, never retried */
	CORRAL_PVF_MALFORMED,             /* not a valid program, or its gas cannot be costed */
	CORRAL_PVF_TOO_LARGE,             /* valid, but larger than the compiler or the sandbox takes */
	CORRAL_PVF_PREPARE_OUT_OF_MEMORY, /* compiling it passed the prepare job's memory limit */
	CORRAL_PVF_TRAP,                  /* it panicked */
	CORRAL_PVF_OUT_OF_GAS,
	CORRAL_PVF_PAGE_FAULT,    /* it touched memory it does not have */
	CORRAL_PVF_TIMEOUT,       /* its execution passed the CPU-time limit */
	CORRAL_PVF_REJECTED,      /* it exited with a status other than 0 (its stderr says why) */
	CORRAL_PVF_BAD_OUTPUT,    /* its output is not one validation result, or too long */
	CORRAL_PVF_BAD_HOST_CALL, /* it called a host function the pipeline does not have */
	/* preparation that may fail for a transient reason: no verdict; tried
	 * again on a request 15 minutes or more after the failure, 5 times at
	 * most */
	CORRAL_PVF_PREPARE_TIMEOUT, /* the job passed its CPU-time limit (or the wall-clock backstop) */
	CORRAL_PVF_PREPARE_DIED,    /* the job died, or answered what cannot be true */
	/* execution that may fail for a transient reason: retried once after 1
	 * s (approval), never (backing); if it persists, invalid (a job's word
	 * is never taken for a local problem: it may be lying) */
	CORRAL_PVF_OUT_OF_MEMORY,        /* the job was killed at its memory limit */
	CORRAL_PVF_SYSCALL_REFUSED,      /* the job was killed by the seccomp filter */
	CORRAL_PVF_JOB_DIED,             /* the job died, broke the protocol, or hung past the backstop */
	CORRAL_PVF_RUNTIME_CONSTRUCTION, /* no instance could be made of the artifact */
	/* execution that failed for a local reason: retried the same way; if
	 * it persists, no verdict */
	CORRAL_PVF_ARTIFACT_MISSING, /* the artifact on disk was deleted, changed or corrupt */
	CORRAL_PVF_INTERNAL,         /* this machine: out of memory, a system call failed, disk I/O */
	CORRAL_PVF_REASON_COUNT,
} corral_pvf_reason;

typedef enum corral_pvf_class {
	CORRAL_PVF_CLASS_NONE = 0,          /* CORRAL_PVF_OK */
	CORRAL_PVF_CLASS_PROGRAM,           /* the program's fault */
	CORRAL_PVF_CLASS_PREPARE_TRANSIENT, /* preparation, possibly transient */
	CORRAL_PVF_CLASS_EXECUTE_TRANSIENT, /* execution, possibly transient, possibly the program's */
	CORRAL_PVF_CLASS_LOCAL,             /* this machine's */
} corral_pvf_class;

const char *corral_pvf_verdict_name(corral_pvf_verdict verdict);
const char *corral_pvf_reason_name(corral_pvf_reason reason);
corral_pvf_class corral_pvf_reason_class(corral_pvf_reason reason);
const char *corral_pvf_mode_name(corral_pvf_mode mode);

/* The clock the retry rules read (15 minutes between preparations, 1 s
 * before an execution is retried): the system's monotonic clock unless
 * given, so that tests can move time. Job timeouts always use real CPU
 * and wall time. */
typedef struct corral_pvf_clock {
	uint64_t (*now_ns)(void *context);
	void (*sleep_ns)(void *context, uint64_t ns);
	void *context;
} corral_pvf_clock;

typedef enum corral_pvf_job_kind {
	CORRAL_PVF_PREPARE_JOB = 0,
	CORRAL_PVF_EXECUTE_JOB,
} corral_pvf_job_kind;

/* Called on the pipeline's own threads when a job process starts working
 * on a job (started true) and when the job is over (false, the process
 * about to be killed), with the process's pid: for monitoring (and the
 * tests, which kill jobs at random moments). It must not call the
 * pipeline. */
typedef void (*corral_pvf_job_callback)(void *context, corral_pvf_job_kind kind, int32_t pid, bool started);

typedef struct corral_pvf_config {
	/* Where artifacts live: made if missing (its parent must exist).
	 * Required. */
	const char *cache_dir;
	/* How programs are read, costed and compiled; part of an artifact's
	 * key. metering must be SYNC (exact gas). A block-cost table is
	 * copied. */
	corral_module_config module;
	uint32_t prepare_workers; /* 1: jobs compiled at once */
	uint32_t execute_workers; /* 2: validations run at once */
	/* CPU time a prepare job may take when pre-checking (2,000 ms) and
	 * when preparing for an execution (10,000 ms); and an execution (2,000
	 * ms). The wall-clock backstop is 4 times the limit, and 2 s more. */
	uint32_t precheck_timeout_ms;
	uint32_t prepare_timeout_ms;
	uint32_t execute_timeout_ms;
	/* Memory a prepare job (its heap is bounded by it in any case) and an
	 * execution may use, in bytes, by cgroup: 0 is no cgroup limit (and a
	 * prepare heap of 1 GiB). A limit where no cgroup can be made (not
	 * root, say) fails corral_pvf_new. */
	uint64_t prepare_memory_limit;
	uint64_t execute_memory_limit;
	int64_t gas;         /* each execution's gas unless the request gives some (10^10) */
	uint32_t max_output; /* the longest head data a result may have (64 KiB) */
	/* Pruning: artifacts unused (by modification time, which each use
	 * renews) for longer than cache_max_age_s (24 h) are removed, then the
	 * least recently used until the rest fit in cache_max_bytes (1 GiB);
	 * at start-up and, after a new artifact, at most once a minute
	 * (corral_pvf_prune: now). Artifacts of other builds are removed at
	 * start-up. */
	uint32_t cache_max_age_s;
	uint64_t cache_max_bytes;
	corral_pvf_clock clock;
	corral_pvf_job_callback on_job;
	void *on_job_context;
} corral_pvf_config;

void corral_pvf_config_init(corral_pvf_config *config);

/* Starts the pipeline: its threads, a pool of execute workers, one
 * prepare job process per prepare worker, and the cache (pruned). Needs
 * the linux sandbox (corral check) and the jit backend. */
corral_result corral_pvf_new(const corral_pvf_config *config, corral_pvf **pvf, corral_error *error);
/* Stops every job and thread; no call may be in progress. */
void corral_pvf_free(corral_pvf *pvf);

typedef struct corral_pvf_request {
	const uint8_t *program; /* the program's bytes (copied where kept) */
	size_t program_length;
	const uint8_t *input; /* the guest's stdin (unused when pre-checking) */
	size_t input_length;
	corral_pvf_mode mode;
	int64_t gas;      /* 0: the configuration's */
	const char *name; /* names the program in messages (NULL: "program") */
} corral_pvf_request;

/* Wall-clock time in nanoseconds, but the cpu_ns figures. */
typedef struct corral_pvf_timings {
	uint64_t total_ns;
	uint64_t prepare_ns;     /* waiting for the artifact: a preparation, a load from disk, or nothing */
	uint64_t prepare_cpu_ns; /* the prepare job's CPU time, when this request waited for one */
	uint64_t queue_ns;       /* waiting for an execute worker, over all attempts */
	uint64_t execute_ns;     /* the execute jobs, from taking a worker to the verdict */
	uint64_t execute_cpu_ns; /* their CPU time as the kernel had accounted it at the verdict (by ticks) */
	uint64_t retry_wait_ns;  /* the pause before a retry */
} corral_pvf_timings;

typedef struct corral_pvf_result {
	corral_pvf_verdict verdict;
	corral_pvf_reason reason;
	char message[640]; /* what happened, naming the program */
	/* CORRAL_PVF_VALID after an execution: the head data, malloc'd
	 * (corral_pvf_result_free frees it). */
	uint8_t *output;
	size_t output_length;
	uint32_t prepare_attempts; /* prepare jobs run for this artifact so far (0: it came from disk) */
	uint32_t execute_attempts; /* executions of this request: 0 (precheck), 1 or 2 */
	bool prepared_now;         /* this request waited for a prepare job */
	corral_pvf_timings timings;
} corral_pvf_result;

/* Validates: prepares the program (or finds its artifact) and, unless
 * pre-checking, runs it on the input. Every outcome is a result
 * (CORRAL_OK); an error is returned only for a request that is wrong in
 * itself (no program, an unknown mode). Blocking; any number of threads
 * may call it at once. */
corral_result corral_pvf_validate(corral_pvf *pvf, const corral_pvf_request *request, corral_pvf_result *result,
				  corral_error *error);

/* Prepares a program for execution (the lenient timeout) without running
 * it: the result says whether it could be. */
corral_result corral_pvf_prepare(corral_pvf *pvf, const uint8_t *program, size_t length, const char *name,
				 corral_pvf_result *result, corral_error *error);

void corral_pvf_result_free(corral_pvf_result *result);

typedef struct corral_pvf_stats {
	uint64_t prepare_jobs;       /* job processes that compiled (or tried to) */
	uint64_t artifact_loads;     /* artifacts read from disk and checked */
	uint64_t artifact_writes;    /* artifacts written */
	uint64_t artifacts_rejected; /* files found corrupt, of another build, or not matching: removed */
	uint64_t artifacts_pruned;
	uint64_t execute_jobs;
	uint64_t retries; /* executions retried */
} corral_pvf_stats;

void corral_pvf_get_stats(corral_pvf *pvf, corral_pvf_stats *stats);

/* Prunes the cache now (see cache_max_age_s). */
corral_result corral_pvf_prune(corral_pvf *pvf, corral_error *error);

#ifdef __cplusplus
}
#endif

#endif
