/* The interpreter: pre-decoded instructions and threaded dispatch.
 *
 * pvm_interp_prepare turns a program into an array of slots, one per
 * instruction plus one "charge gas" slot at the head of every gas block, with
 * every static jump and jump-table entry resolved to a slot, and every slot
 * holding the address of its handler. Running is then a chain of indirect
 * jumps from handler to handler (core/interp_loop.h). */
#ifndef PVM_INTERP_H
#define PVM_INTERP_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"
#include "memory.h"
#include "program.h"

enum pvm_status {
	PVM_STATUS_HALT,       /* dynamic jump to 0xFFFF0000 */
	PVM_STATUS_PANIC,      /* trap, invalid jump, or forbidden access */
	PVM_STATUS_OUT_OF_GAS, /* a block could not be paid for */
	PVM_STATUS_PAGE_FAULT, /* argument: the page address (and write_protected) */
	PVM_STATUS_HOST_CALL,  /* argument: the ecalli index */
	PVM_STATUS_STEP,       /* one instruction done in single-step mode */
	PVM_STATUS_COUNT,
};

const char *pvm_status_name(enum pvm_status status);

/* The halt address of GP A.18: 2^32 - 2^16. */
#define PVM_HALT_ADDRESS 0xFFFF0000u

struct pvm_slot {
	uint8_t handler; /* enum pvm_op, or one of the PVM_SLOT_* below */
	uint8_t a, b, d; /* register indexes */
	uint32_t pc;
	uint64_t x; /* first immediate; the block cost of a charge slot (UINT64_MAX in a bad-jump one) */
	uint64_t y; /* second immediate, or a jump's target slot (a pointer) */
	/* The handler's address (direct threading). Last, not first: with it at
	 * offset 0, SHA-256 ran 45% slower on a Zen 4 for reasons not pinned
	 * down, while the other guests ran as fast either way. */
	const void *code;
};

/* Charges the block that follows it. */
#define PVM_SLOT_CHARGE PVM_OP_COUNT
/* Where a static jump to a non-block-start lands: panics at the jump. */
#define PVM_SLOT_BAD_JUMP (PVM_OP_COUNT + 1)
#define PVM_SLOT_KINDS    (PVM_OP_COUNT + 2)
#define PVM_NO_SLOT       UINT32_MAX

struct pvm_interp_code {
	const struct pvm_program *program;
	struct pvm_slot *slots;
	uint32_t slot_count;
	uint32_t program_slots;               /* slots[0..program_slots) follow the code; bad-jump slots come after */
	const struct pvm_slot **jump_targets; /* per jump-table entry: target slot, or NULL */
	uint32_t jump_count;
	uint32_t *block_slots; /* per gas block: its charge slot */
};

/* The machine state the interpreter runs on; the embedder owns it. */
struct pvm_state {
	uint64_t regs[PVM_REGISTER_COUNT];
	int64_t gas;
	uint32_t pc; /* where execution continues */
	/* The block around pc has already been paid for (resuming after a host
	 * call, page fault or step): entering it again charges nothing. */
	bool block_paid;
	uint32_t resume_slot; /* cache of pc's slot; PVM_NO_SLOT after set_pc */
};

struct pvm_exit {
	enum pvm_status status;
	uint32_t pc;          /* the instruction that stopped, or where a step stopped */
	uint64_t argument;    /* host-call index, or page-fault address */
	bool write_protected; /* a page fault: a write to a page the embedder write-protected */
};

/* The program's block costs must be set before preparing. */
int pvm_interp_prepare(struct pvm_interp_code *code, const struct pvm_program *program,
		       const struct pvm_allocator *allocator, struct pvm_error *error);
void pvm_interp_free(struct pvm_interp_code *code, const struct pvm_allocator *allocator);

void pvm_state_set_pc(struct pvm_state *state, uint32_t pc);

void pvm_interp_run(const struct pvm_interp_code *code, struct pvm_state *state, struct pvm_memory *memory,
		    bool single_step, struct pvm_exit *exit);

#endif
