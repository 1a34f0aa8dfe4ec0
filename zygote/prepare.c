/* A prepare job (zygote/prepare_protocol.h): the zygote's start-up, then
 * one program validated, costed and compiled instead of the serving loop.
 *
 * Linked with zygote/start.c (which ends in zygote_serve, defined here)
 * and core/ (freestanding), into corral-prepare: every step before this
 * file runs is the zygote's, and after it, exactly the zygote's ten system
 * calls are allowed. This file makes three of them: futex (waiting for the
 * request, telling the host it is done), mprotect of guest pages (opening
 * its input and its heap, read-write, never executable), and recvmsg with
 * MSG_PEEK on the channel while idle (the host is gone when it reads 0). A
 * fault anywhere ends the job (the host sees a death, not an answer); so
 * does its CPU-time backstop. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#include "core/gas.h"
#include "core/jit.h"
#include "core/program.h"
#include "zygote/prepare_protocol.h"
#include "zygote/zygote.h"

#define FUTEX_WAIT 0

/* Exit statuses for a request the job cannot even read: the host's fault,
 * or memory that is not what the host said. */
#define PREPARE_EXIT_BAD_REQUEST 90
#define PREPARE_EXIT_NO_INPUT    91

_Static_assert(sizeof(struct prepare_site) == sizeof(struct pvm_jit_site) &&
		       __builtin_offsetof(struct pvm_jit_site, pc) == __builtin_offsetof(struct prepare_site, pc) &&
		       __builtin_offsetof(struct pvm_jit_site, entry) ==
			       __builtin_offsetof(struct prepare_site, entry) &&
		       __builtin_offsetof(struct pvm_jit_site, body) == __builtin_offsetof(struct prepare_site, body) &&
		       __builtin_offsetof(struct pvm_jit_site, charge) ==
			       __builtin_offsetof(struct prepare_site, charge),
	       "the result hands the compiler's sites over as they are");

/* start.c gives memcpy and memset; core/ may also call these two. */
void *memmove(void *to, const void *from, size_t length)
{
	unsigned char *d = to;
	const unsigned char *s = from;
	if (d < s)
		while (length--)
			*d++ = *s++;
	else
		while (length--)
			d[length] = s[length];
	return to;
}

int memcmp(const void *a, const void *b, size_t length)
{
	const unsigned char *x = a, *y = b;
	for (; length; length--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

/* ---- signals: any fault or the CPU-time backstop ends the job ------------- */

void zygote_on_fault(int signal, void *info, void *context)
{
	(void)info, (void)context;
	zygote_exit(ZYGOTE_EXIT_FAULT_BASE + signal);
}

/* ---- waiting for the host ------------------------------------------------------ */

/* Until `submitted` moves from `seen`: the waiting flag first, the look
 * second (the host bumps first and looks second), then sleep. */
static void wait_for_host(uint32_t seen)
{
	struct zygote_control *control = zygote_control();
	for (;;) {
		__atomic_store_n(&control->zygote_waiting, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&control->submitted, __ATOMIC_SEQ_CST) == seen) {
			struct timespec timeout = {.tv_sec = ZYGOTE_IDLE_SECONDS};
			long slept = zygote_syscall6(SYS_futex, (long)&control->submitted, FUTEX_WAIT, seen,
						     (long)&timeout, 0, 0);
			if (slept == -ETIMEDOUT)
				zygote_check_host();
		}
		__atomic_store_n(&control->zygote_waiting, 0, __ATOMIC_RELAXED);
		if (__atomic_load_n(&control->submitted, __ATOMIC_ACQUIRE) != seen)
			return;
	}
}

/* ---- the arena: the job's only heap --------------------------------------------- */

/* Bytes are handed out upwards from `next`; pages are opened read-write a
 * MiB at a time as `next` passes `open_end`. Core frees in reverse order of
 * allocation often enough that giving back the last block is worth it;
 * memory below `high` may have been used, so it is zeroed when handed out
 * again (above it the memfd's pages are still zero). */
struct arena {
	uint64_t next, open_end, end, high;
	bool exhausted;
};

static struct arena arena;

static void *arena_allocate(void *context, size_t size)
{
	(void)context;
	uint64_t start = (arena.next + 63) & ~63ull;
	if (start > arena.end || size > arena.end - start) {
		arena.exhausted = true;
		return NULL;
	}
	uint64_t end = start + size;
	if (end > arena.open_end) {
		uint64_t open_to = (end + PREPARE_ARENA_ALIGN - 1) & ~(PREPARE_ARENA_ALIGN - 1);
		if (open_to > arena.end)
			open_to = arena.end;
		if (zygote_syscall3(SYS_mprotect, (long)arena.open_end, (long)(open_to - arena.open_end),
				    PROT_READ | PROT_WRITE)) {
			arena.exhausted = true;
			return NULL;
		}
		arena.open_end = open_to;
	}
	if (start < arena.high)
		memset((void *)(uintptr_t)start, 0, (end < arena.high ? end : arena.high) - start);
	arena.next = end;
	if (end > arena.high)
		arena.high = end;
	return (void *)(uintptr_t)start;
}

static void arena_release(void *context, void *pointer, size_t size)
{
	(void)context;
	if ((uint64_t)(uintptr_t)pointer + size == arena.next)
		arena.next = (uint64_t)(uintptr_t)pointer;
}

static const struct pvm_allocator arena_allocator = {arena_allocate, arena_release, NULL};

/* ---- the job --------------------------------------------------------------------- */

static void say(struct prepare_header *header, enum prepare_status status, const char *message)
{
	uint32_t length = 0;
	while (message && message[length] && length < sizeof header->message)
		length++;
	memcpy(header->message, message, length);
	header->message_length = length;
	header->status = status;
}

/* Whether the arena running out is what made a core call fail. */
static enum prepare_status failure(enum prepare_status otherwise)
{
	return arena.exhausted ? PREPARE_STATUS_OUT_OF_MEMORY : otherwise;
}

static void prepare(struct prepare_header *header)
{
	struct pvm_error problem = {0};
	const uint8_t *blob = (const uint8_t *)(uintptr_t)PREPARE_INPUT_ADDRESS;
	struct pvm_program program;
	if (pvm_program_init(&program, blob, header->blob_length, (enum pvm_isa)header->isa, &arena_allocator,
			     &problem)) {
		say(header, failure(PREPARE_STATUS_MALFORMED), problem.message);
		return;
	}
	struct pvm_gas_model model = {
		.kind = (enum pvm_gas_model_kind)header->gas_model,
		.table = (const struct pvm_block_cost *)(uintptr_t)(PREPARE_INPUT_ADDRESS + header->cost_offset),
		.table_length = (uint32_t)header->cost_count,
	};
	if (pvm_gas_cost_blocks(&program, &model, &problem)) {
		say(header, failure(PREPARE_STATUS_MALFORMED), problem.message);
		return;
	}
	/* The sandbox's own bounds (host/jit_code.c checks the same for code
	 * compiled in the host). */
	if (program.blob.jump_count > ZYGOTE_JUMP_TABLE_MAX) {
		say(header, PREPARE_STATUS_TOO_LARGE, "the jump table is over the sandbox's limit of entries");
		return;
	}
	struct pvm_jit_options options = {
		.memory = PVM_JIT_MEMORY_ABSOLUTE,
		.gas = (enum pvm_jit_gas)header->metering,
		.gas_home = PVM_JIT_GAS_IN_RSP, /* as host_jit_options for the zygote that runs it */
	};
	size_t capacity = pvm_jit_capacity(&program, &options);
	if (capacity > ZYGOTE_CODE_MAX) {
		say(header, PREPARE_STATUS_TOO_LARGE, "the compiled code may be larger than the sandbox's limit");
		return;
	}
	uint8_t *buffer = arena_allocate(NULL, capacity + 4095);
	if (!buffer) {
		say(header, PREPARE_STATUS_OUT_OF_MEMORY, "");
		return;
	}
	buffer = (uint8_t *)(((uintptr_t)buffer + 4095) & ~(uintptr_t)4095);
	struct pvm_jit_code code;
	if (pvm_jit_compile(&code, &program, &options, buffer, capacity, &arena_allocator, &problem)) {
		say(header, failure(PREPARE_STATUS_TOO_LARGE), problem.message);
		return;
	}
	header->code_address = (uint64_t)(uintptr_t)buffer;
	header->code_size = code.size;
	header->sites_address = (uint64_t)(uintptr_t)code.sites;
	header->site_count = code.site_count;
	header->jump_offsets_address = (uint64_t)(uintptr_t)code.jump_offsets;
	header->jump_count = code.jump_count;
	header->enter_offset = code.enter_offset;
	header->fault_offset = code.fault_offset;
	header->cold_offset = code.cold_offset;
	header->instruction_count = program.instruction_count;
	say(header, PREPARE_STATUS_OK, "");
}

/* The request must be one this build understands, with its input below
 * the arena: else the host is broken, and the job says so by how it exits. */
static void open_request(struct prepare_header **out)
{
	if (zygote_syscall3(SYS_mprotect, (long)PREPARE_HEADER_ADDRESS,
			    (long)(PREPARE_INPUT_ADDRESS - PREPARE_HEADER_ADDRESS), PROT_READ | PROT_WRITE))
		zygote_exit(PREPARE_EXIT_NO_INPUT);
	struct prepare_header *header = (struct prepare_header *)(uintptr_t)PREPARE_HEADER_ADDRESS;
	uint64_t start = header->arena_start;
	if (header->magic != PREPARE_MAGIC || header->version != PREPARE_VERSION || header->isa >= PVM_ISA_COUNT ||
	    header->gas_model >= PVM_GAS_MODEL_COUNT || header->metering >= PVM_JIT_GAS_COUNT ||
	    start % PREPARE_ARENA_ALIGN || start <= PREPARE_INPUT_ADDRESS || start > PREPARE_ARENA_END ||
	    header->arena_limit > PREPARE_ARENA_END - start || header->blob_length > start - PREPARE_INPUT_ADDRESS ||
	    header->cost_offset % 8 || header->cost_offset > start - PREPARE_INPUT_ADDRESS ||
	    header->cost_count > (start - PREPARE_INPUT_ADDRESS - header->cost_offset) / sizeof(struct pvm_block_cost))
		zygote_exit(PREPARE_EXIT_BAD_REQUEST);
	if (zygote_syscall3(SYS_mprotect, (long)PREPARE_INPUT_ADDRESS, (long)(start - PREPARE_INPUT_ADDRESS),
			    PROT_READ))
		zygote_exit(PREPARE_EXIT_NO_INPUT);
	arena = (struct arena){.next = start, .open_end = start, .end = start + header->arena_limit, .high = start};
	*out = header;
}

void zygote_serve(void)
{
	wait_for_host(0);
	struct prepare_header *header;
	open_request(&header);
#ifdef ZYGOTE_ATTACKS
	if (header->attack) {
		struct zygote_sqe request = {.op = ZYGOTE_OP_ATTACK, .args = {header->attack - 1}};
		struct zygote_cqe completion = {0};
		zygote_attack(&request, &completion);
	}
#endif
	prepare(header);
	header->arena_used = arena.high - header->arena_start;
	zygote_completed();
	/* Done: the host reads the result from its own mapping and kills us. */
	for (;;)
		wait_for_host(__atomic_load_n(&zygote_control()->submitted, __ATOMIC_ACQUIRE));
}
