/* The x86-64 compiler: one pass over a validated program, no IR.
 *
 * Every PVM instruction becomes a short run of x86-64 code in program order.
 * The 13 guest registers live in 13 fixed x86-64 registers for the whole run
 * (pvm_jit_register_map), so any instruction boundary is a place execution
 * can enter or leave: resuming after a host call, a page fault or a step is a
 * jump to the instruction's code. rcx is the one scratch register and r15 the
 * anchor: the context below it (gas, exit record, saved registers, the native
 * jump table) and, in the in-process memory model, guest address 0 above it.
 * The anchor may be GS's base instead (enum pvm_jit_anchor). With metering
 * the balance may take a register of its own (enum pvm_jit_gas_home): rsp,
 * or r15 when the anchor is in GS.
 *
 * Leaving compiled code: a site stores the PVM pc (and an argument) in the
 * context and jumps to the trampoline of its kind; the trampoline stores the
 * guest registers and returns to the host through the frame pvm_jit_enter
 * built. A memory access that faults in hardware leaves through the fault
 * trampoline: the host's signal handler maps the faulting address back to a
 * pc with pvm_jit_pc_at and points the thread there.
 *
 * The compiler never emits rdtsc, rdtscp, rdrand, rdseed, cpuid, syscall,
 * sysenter or any int: scripts/jit_scan.sh proves it on everything the test
 * suite compiled. */
#ifndef PVM_JIT_H
#define PVM_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "program.h"
#include "text.h"

enum pvm_jit_memory {
	/* In-process: guest address a is at anchor + a; with the anchor in r15
	 * every access computes the 32-bit address into ecx first, so
	 * wrap-around mod 2^32 is free (see PVM_JIT_ANCHOR_GS for the other). */
	PVM_JIT_MEMORY_BASE,
	/* A dedicated process: guest memory is the process's addresses 0..4 GiB
	 * and accesses use 32-bit address arithmetic (the 0x67 prefix). */
	PVM_JIT_MEMORY_ABSOLUTE,
	PVM_JIT_MEMORY_COUNT,
};

enum pvm_jit_gas {
	/* Exact, as the interpreter: at each block start the block's cost is
	 * subtracted and a negative balance stops there with gas unchanged. */
	PVM_JIT_GAS_SYNC,
	/* Each block's cost is subtracted; the balance is tested only where
	 * execution can loop (right after the charge of a block that a
	 * backward jump or branch, or the jump table, leads to) and at exits,
	 * so running out is noticed late, with the overdraft left in gas. */
	PVM_JIT_GAS_ASYNC,
	/* No metering: gas is never read or written. */
	PVM_JIT_GAS_NONE,
	PVM_JIT_GAS_COUNT,
};

/* A charge to the context's gas field is a read-modify-write of memory
 * that the next block's charge waits for; in a register it is one
 * subtract. Both registers it can live in are taken otherwise. */
enum pvm_jit_gas_home {
	PVM_JIT_GAS_IN_CONTEXT,
	/* rsp, which then holds no stack: only for a process whose every
	 * signal handler runs on an alternate stack (the sandbox's zygote).
	 * It holds gas + 2^63: a balance of 0 or more is a non-canonical
	 * address, never mistaken for one on the alternate stack, and "out of
	 * gas" is the sign bit clear. */
	PVM_JIT_GAS_IN_RSP,
	/* r15, free when the anchor is in GS's base (PVM_JIT_ANCHOR_GS). */
	PVM_JIT_GAS_IN_R15,
	PVM_JIT_GAS_HOME_COUNT,
};

/* Where the anchor is while compiled code runs. */
enum pvm_jit_anchor {
	PVM_JIT_ANCHOR_R15,
	/* GS's base, which the caller of the enter trampoline sets to the
	 * anchor (wrgsbase, which needs FSGSBASE from the CPU and the kernel;
	 * see host/jit_backend.c for when it puts the old base back). Accesses
	 * to the
	 * context and the tables take a GS prefix; in the in-process memory
	 * model so does guest memory, which is then addressed as in the
	 * sandbox, gs:[32-bit register + offset]: the address is computed in
	 * 32 bits, zero-extended and added to the base, so one instruction
	 * does what took two (the address into ecx, then [r15 + rcx]). */
	PVM_JIT_ANCHOR_GS,
	PVM_JIT_ANCHOR_COUNT,
};

struct pvm_jit_options {
	enum pvm_jit_memory memory;
	enum pvm_jit_gas gas;
	/* Where the balance lives while compiled code runs (with metering). */
	enum pvm_jit_gas_home gas_home;
	enum pvm_jit_anchor anchor;
	/* Step mode: every instruction boundary is an exit (PVM_JIT_EXIT_STEP),
	 * for single-stepping and the lock-step cross-check. */
	bool step;
	/* Dynamic paging: the displacement from the anchor of a page-access
	 * table (one byte per 4 KiB page of guest memory, enum pvm_access, as
	 * struct pvm_memory's) that every load and store looks up first; 0:
	 * none. A page that does not allow the access leaves through a fault
	 * exit (PVM_JIT_EXIT_FAULT) instead of faulting in hardware, which
	 * costs a signal. Only the page of the access's first byte is looked
	 * up: one that runs into a page it may not touch still faults in
	 * hardware, so the table speeds faults up and never decides one. */
	int32_t page_table;
};

/* Why compiled code returned to the host. */
enum pvm_jit_exit {
	PVM_JIT_EXIT_HOST_CALL,  /* exit_pc: the ecalli; argument: its index */
	PVM_JIT_EXIT_SBRK,       /* exit_pc: the sbrk; the host runs it and resumes after it */
	PVM_JIT_EXIT_PANIC,      /* exit_pc: a trap, or a jump to a bad target */
	PVM_JIT_EXIT_HALT,       /* exit_pc: the jump to the halt address */
	PVM_JIT_EXIT_OUT_OF_GAS, /* exit_pc: the block that could not be paid (sync: gas unchanged) */
	PVM_JIT_EXIT_STEP,       /* exit_pc: the instruction about to run */
	PVM_JIT_EXIT_FAULT,      /* exit_pc: a load or store that faulted (in hardware, or by the page table) */
	PVM_JIT_EXIT_COUNT,
};

const char *pvm_jit_exit_name(enum pvm_jit_exit exit);

/* The context: PVM_JIT_CONTEXT_SIZE bytes just below the anchor. The hot
 * fields are closest to it, within a one-byte displacement. */
struct pvm_jit_context {
	uint64_t regs[PVM_REGISTER_COUNT]; /* written by the exit trampolines, read by pvm_jit_enter */
	uint64_t saved_rax, saved_rdx;     /* guest values of rax and rdx around mul and div */
	uint64_t host_rsp;                 /* the host's stack, for leaving */
	uint64_t exit_argument;
	uint32_t exit_kind; /* enum pvm_jit_exit */
	uint32_t exit_pc;
	int64_t gas; /* last: at anchor - 8 */
};

#define PVM_JIT_CONTEXT_SIZE 256u
_Static_assert(sizeof(struct pvm_jit_context) <= PVM_JIT_CONTEXT_SIZE, "the context outgrew its space");

static inline struct pvm_jit_context *pvm_jit_context_of(uint8_t *anchor)
{
	return (struct pvm_jit_context *)(anchor - sizeof(struct pvm_jit_context));
}

/* The native jump table lies below the context: entry i (for dynamic
 * address 2(i+1)) is the 8-byte native address at
 * anchor - PVM_JIT_CONTEXT_SIZE - 8 * jump_count + 8 * i. The host fills it
 * for the code it runs (pvm_jit_fill_jump_table). */
static inline uint64_t *pvm_jit_jump_table_of(uint8_t *anchor, uint32_t jump_count)
{
	return (uint64_t *)(anchor - PVM_JIT_CONTEXT_SIZE - 8 * (size_t)jump_count);
}

/* Bytes the host reserves below the anchor: the context and the jump
 * table, rounded up to whole 4 KiB pages. */
size_t pvm_jit_below_anchor(uint32_t jump_count);

/* Which x86-64 register holds guest register i (enum x64_reg numbering). */
extern const uint8_t pvm_jit_register_map[PVM_REGISTER_COUNT];

/* One PVM instruction's place in the native code. Sites are in program
 * order, and so sorted both by pc and by native offset. */
struct pvm_jit_site {
	uint32_t pc;
	/* Where a jump to this instruction lands: its step point in step mode,
	 * else its block's gas charge if it starts a block, else its body. */
	uint32_t entry;
	/* After the gas charge: where execution resumes when the block is paid. */
	uint32_t body;
	/* Where the charge starts (== body if none): entering here pays the block. */
	uint32_t charge;
};

struct pvm_jit_code {
	const struct pvm_program *program;
	struct pvm_jit_options options;
	uint8_t *bytes; /* the caller's buffer */
	size_t size;    /* bytes used */
	struct pvm_jit_site *sites;
	uint32_t site_count;
	/* Per jump-table entry: the native offset it sends execution to (the
	 * bad-jump trampoline for entries that are not jump targets). */
	uint32_t *jump_offsets;
	uint32_t jump_count;
	/* Trampolines and the end of the instructions' code. */
	uint32_t enter_offset; /* void enter(uint8_t *anchor, const void *target) */
	uint32_t fault_offset; /* where the signal handler sends a faulting thread */
	uint32_t cold_offset;  /* out-of-line stubs and trampolines start here */
};

/* The capacity reserved per instruction, so that the pass never checks for
 * room: no instruction's code (step point and gas charge included) is longer
 * than PVM_JIT_INSTRUCTION_BYTES, and each needs at most
 * PVM_JIT_STUBS_PER_INSTRUCTION out-of-line stubs of PVM_JIT_STUB_BYTES. */
#define PVM_JIT_INSTRUCTION_BYTES     192
#define PVM_JIT_STUB_BYTES            40
#define PVM_JIT_STUBS_PER_INSTRUCTION 2

/* An upper bound on the bytes pvm_jit_compile writes for `program`. */
size_t pvm_jit_capacity(const struct pvm_program *program, const struct pvm_jit_options *options);

/* Compiles `program` (block costs set) into buffer[0..capacity), which must
 * hold pvm_jit_capacity bytes. Linear in the program's size. */
int pvm_jit_compile(struct pvm_jit_code *code, const struct pvm_program *program, const struct pvm_jit_options *options,
		    uint8_t *buffer, size_t capacity, const struct pvm_allocator *allocator, struct pvm_error *error);
void pvm_jit_free(struct pvm_jit_code *code, const struct pvm_allocator *allocator);

/* Fills a jump table (see pvm_jit_jump_table_of) for code mapped at
 * `code_address`. */
void pvm_jit_fill_jump_table(const struct pvm_jit_code *code, uint64_t code_address, uint64_t *table);

/* The site of the instruction at `pc`, or NULL if no instruction starts
 * there. */
const struct pvm_jit_site *pvm_jit_site_at(const struct pvm_jit_code *code, uint32_t pc);

/* The site whose code contains native offset `offset`, or NULL when the
 * offset is outside the instructions' code (a trampoline or a stub). */
const struct pvm_jit_site *pvm_jit_site_containing(const struct pvm_jit_code *code, uint32_t offset);

/* The guest memory access an instruction makes with registers `regs`: its
 * address, width and whether it writes. False if it makes none. */
bool pvm_inst_access(const struct pvm_inst *inst, const uint64_t regs[PVM_REGISTER_COUNT], uint32_t *address,
		     uint32_t *width, bool *write);

#endif
