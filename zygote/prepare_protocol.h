/* What the host and a prepare job share (zygote/prepare.c,
 * host/pvf_prepare.c).
 *
 * A prepare job is a zygote process in every way but its last step: the
 * same image start-up (zygote/start.c: namespaces, pivot_root, no
 * capabilities, rlimits, Landlock, and the same ten-call seccomp filter),
 * but instead of serving the ring it validates and compiles one program
 * and stops. It needs no system call the zygote does not have: its input
 * and output and all its memory are guest memory, the memfd the host maps
 * too, which it opens page by page with mprotect (never executable); it
 * hears the host and answers through the control block's futex counters.
 *
 * Guest memory of a prepare job:
 *
 *   PREPARE_HEADER_ADDRESS  struct prepare_header: the request (the host
 *                           writes it) and the result (the job writes it)
 *   PREPARE_INPUT_ADDRESS   the code blob, then the block-cost table (8-byte
 *                           aligned), as the request places them
 *   header.arena_start      the job's heap, arena_limit bytes at most: the
 *                           validated program, the compiled code and its
 *                           tables, which the result points into
 *
 * The host believes nothing the job writes until it has checked it: every
 * address and length of the result must lie inside the arena, and the
 * tables must match the program as the host decodes it. */
#ifndef ZYGOTE_PREPARE_PROTOCOL_H
#define ZYGOTE_PREPARE_PROTOCOL_H

#include <stdint.h>

#define PREPARE_HEADER_ADDRESS 0x10000ull /* ZYGOTE_GUEST_LOW */
#define PREPARE_INPUT_ADDRESS  0x11000ull
#define PREPARE_ARENA_ALIGN    (1ull << 20) /* the arena starts on, and is opened in, whole MiB */
#define PREPARE_ARENA_END      0xFFFF0000ull

#define PREPARE_MAGIC   0x3170657270766663ull /* "cfvprep1" */
#define PREPARE_VERSION 1

enum prepare_status {
	PREPARE_STATUS_NONE = 0,      /* nothing written yet */
	PREPARE_STATUS_OK,            /* compiled: code and tables in the arena */
	PREPARE_STATUS_MALFORMED,     /* the code is not a valid program, or its gas cannot be costed: message */
	PREPARE_STATUS_TOO_LARGE,     /* valid, but the compiler or the sandbox cannot take it: message */
	PREPARE_STATUS_OUT_OF_MEMORY, /* the arena ran out */
	PREPARE_STATUS_COUNT,
};

/* One site of the compiled code (struct pvm_jit_site), as the job wrote it. */
struct prepare_site {
	uint32_t pc, entry, body, charge;
};

struct prepare_header {
	/* ---- the request: the host's, read-only for the job's purposes ---- */
	uint64_t magic;
	uint32_t version;
	uint32_t isa;       /* enum pvm_isa */
	uint32_t gas_model; /* enum pvm_gas_model_kind */
	uint32_t metering;  /* enum pvm_jit_gas */
	uint64_t blob_length;
	uint64_t cost_offset; /* from PREPARE_INPUT_ADDRESS: cost_count struct pvm_block_cost */
	uint64_t cost_count;
	uint64_t arena_start;
	uint64_t arena_limit;
	/* Test builds of the job only (corral-prepare-attacks): when not 0,
	 * the job tries escape attack - 1 (zygote/attacks.h) before it works. */
	uint64_t attack;

	/* ---- the result: the job's ---- */
	uint32_t status; /* enum prepare_status */
	uint32_t message_length;
	char message[256];     /* MALFORMED, TOO_LARGE: why */
	uint64_t code_address; /* guest address of the compiled code, code_size bytes */
	uint64_t code_size;
	uint64_t sites_address;        /* site_count struct prepare_site */
	uint64_t jump_offsets_address; /* jump_count uint32_t */
	uint32_t site_count;
	uint32_t jump_count;
	uint32_t enter_offset, fault_offset, cold_offset;
	uint32_t instruction_count;
	uint64_t arena_used;
};

#endif
