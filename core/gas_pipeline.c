#include "gas_pipeline.h"

/* Register fields of struct pvm_inst an instruction reads or writes. */
enum { FIELD_A = 1, FIELD_B = 2, FIELD_D = 4 };

/* Where an instruction's cycle count comes from. */
enum {
	LATENCY_FIXED,  /* the row's cycles */
	LATENCY_MEMORY, /* m of A.56 */
	LATENCY_BRANCH, /* b of A.57 */
};

/* Which registers decide between P(a, b)'s two decode costs. */
enum {
	OVERLAP_NONE,  /* a fixed decode cost */
	OVERLAP_ANY,   /* P: any source register is a destination */
	OVERLAP_SHIFT, /* PS: the shifted register A is the destination D */
};

#define MEMORY_L2HIT      25
#define BRANCH_LIKELY     20
#define BRANCH_UNLIKELY   1
#define ROB_SIZE          32
#define DECODE_SLOTS      4
#define STARTS_PER_CYCLE  5
#define PIPELINE_OVERHEAD 3

struct pipeline_cost {
	uint8_t cycles;    /* c-check, for LATENCY_FIXED */
	uint8_t latency;   /* LATENCY_* */
	uint8_t decode[2]; /* d-check as P(a, b): [0] on overlap, [1] otherwise */
	uint8_t overlap;   /* OVERLAP_* */
	uint8_t reads;     /* s-check: FIELD_* */
	uint8_t writes;    /* r-check: FIELD_* */
	uint64_t units;    /* x-check: UNITS() */
};

/* A count per execution unit kind, a byte each from UNIT_A up, so that one
 * subtraction checks or takes all five kinds at once. Counts stay below 128:
 * with the top bit of each byte set in the free counts, a byte keeps it
 * after subtracting a row's needs exactly when enough of that kind are
 * free, and no borrow crosses into the next byte. */
#define UNITS(a, l, s, m, d) \
	((uint64_t)(a) | (uint64_t)(l) << 8 | (uint64_t)(s) << 16 | (uint64_t)(m) << 24 | (uint64_t)(d) << 32)
#define UNITS_TOP_BITS UNITS(0x80, 0x80, 0x80, 0x80, 0x80)
#define UNITS_AT_START UNITS(4, 4, 4, 1, 1)

/* Units per row. */
#define NO_UNITS    UNITS(0, 0, 0, 0, 0)
#define ALU         UNITS(1, 0, 0, 0, 0)
#define ALU2        UNITS(2, 0, 0, 0, 0)
#define LOAD_UNITS  UNITS(1, 1, 0, 0, 0)
#define STORE_UNITS UNITS(1, 0, 1, 0, 0)
#define MUL_UNITS   UNITS(1, 0, 0, 1, 0)
#define DIV_UNITS   UNITS(1, 0, 0, 0, 1)

#define A  FIELD_A
#define B  FIELD_B
#define D  FIELD_D
#define AB (FIELD_A | FIELD_B)

/* A plain ALU op with a fixed decode cost, and one with P(a, b) or PS(a, b). */
#define FIXED(cycles, decode, reads, writes, units)                                         \
	{                                                                                   \
		cycles, LATENCY_FIXED, {decode, decode}, OVERLAP_NONE, reads, writes, units \
	}
#define P(cycles, a, b, reads, writes, units)                                    \
	{                                                                        \
		cycles, LATENCY_FIXED, {a, b}, OVERLAP_ANY, reads, writes, units \
	}
#define PS(cycles, a, b)                                                 \
	{                                                                \
		cycles, LATENCY_FIXED, {a, b}, OVERLAP_SHIFT, AB, D, ALU \
	}
#define MEMORY(reads, writes, units)                                          \
	{                                                                     \
		0, LATENCY_MEMORY, {1, 1}, OVERLAP_NONE, reads, writes, units \
	}
#define STORE(reads) FIXED(25, 1, reads, 0, STORE_UNITS)
#define BRANCH(reads)                                                  \
	{                                                              \
		0, LATENCY_BRANCH, {1, 1}, OVERLAP_NONE, reads, 0, ALU \
	}

/* GP 0.8 draft, A.10. Argument fields follow struct pvm_inst: two-register
 * ops read A and write D; two-register-immediate ops read B and write A;
 * three-register ops read A and B and write D. */
static const struct pipeline_cost costs[PVM_OP_COUNT] = {
	[PVM_OP_TRAP] = FIXED(2, 1, 0, 0, NO_UNITS),
	[PVM_OP_FALLTHROUGH] = FIXED(2, 1, 0, 0, NO_UNITS),
	[PVM_OP_UNLIKELY] = FIXED(40, 1, 0, 0, NO_UNITS),
	/* A.9: ecalli reads and writes no register in this model. */
	[PVM_OP_ECALLI] = FIXED(100, 4, 0, 0, ALU),
	[PVM_OP_LOAD_IMM_64] = FIXED(1, 2, 0, A, NO_UNITS),
	[PVM_OP_STORE_IMM_U8] = STORE(0),
	[PVM_OP_STORE_IMM_U16] = STORE(0),
	[PVM_OP_STORE_IMM_U32] = STORE(0),
	[PVM_OP_STORE_IMM_U64] = STORE(0),
	[PVM_OP_JUMP] = FIXED(15, 1, 0, 0, NO_UNITS),
	[PVM_OP_JUMP_IND] = FIXED(22, 1, A, 0, NO_UNITS),
	[PVM_OP_LOAD_IMM] = FIXED(1, 1, 0, A, NO_UNITS),
	[PVM_OP_LOAD_U8] = MEMORY(0, A, LOAD_UNITS),
	[PVM_OP_LOAD_I8] = MEMORY(0, A, LOAD_UNITS),
	[PVM_OP_LOAD_U16] = MEMORY(0, A, LOAD_UNITS),
	[PVM_OP_LOAD_I16] = MEMORY(0, A, LOAD_UNITS),
	[PVM_OP_LOAD_U32] = MEMORY(0, A, LOAD_UNITS),
	[PVM_OP_LOAD_I32] = MEMORY(0, A, LOAD_UNITS),
	[PVM_OP_LOAD_U64] = MEMORY(0, A, LOAD_UNITS),
	[PVM_OP_STORE_U8] = STORE(A),
	[PVM_OP_STORE_U16] = STORE(A),
	[PVM_OP_STORE_U32] = STORE(A),
	[PVM_OP_STORE_U64] = STORE(A),
	[PVM_OP_STORE_IMM_IND_U8] = STORE(A),
	[PVM_OP_STORE_IMM_IND_U16] = STORE(A),
	[PVM_OP_STORE_IMM_IND_U32] = STORE(A),
	[PVM_OP_STORE_IMM_IND_U64] = STORE(A),
	[PVM_OP_LOAD_IMM_JUMP] = FIXED(15, 1, 0, A, NO_UNITS),
	[PVM_OP_BRANCH_EQ_IMM] = BRANCH(A),
	[PVM_OP_BRANCH_NE_IMM] = BRANCH(A),
	[PVM_OP_BRANCH_LT_U_IMM] = BRANCH(A),
	[PVM_OP_BRANCH_LE_U_IMM] = BRANCH(A),
	[PVM_OP_BRANCH_GE_U_IMM] = BRANCH(A),
	[PVM_OP_BRANCH_GT_U_IMM] = BRANCH(A),
	[PVM_OP_BRANCH_LT_S_IMM] = BRANCH(A),
	[PVM_OP_BRANCH_LE_S_IMM] = BRANCH(A),
	[PVM_OP_BRANCH_GE_S_IMM] = BRANCH(A),
	[PVM_OP_BRANCH_GT_S_IMM] = BRANCH(A),
	/* Handled in the front end (A.49); its row only gives the decode slot. */
	[PVM_OP_MOVE_REG] = FIXED(0, 1, A, D, NO_UNITS),
	[PVM_OP_SBRK] = FIXED(100, 4, A, D, ALU),
	[PVM_OP_COUNT_SET_BITS_64] = FIXED(1, 1, A, D, ALU),
	[PVM_OP_COUNT_SET_BITS_32] = FIXED(1, 1, A, D, ALU),
	[PVM_OP_LEADING_ZERO_BITS_64] = FIXED(1, 1, A, D, ALU),
	[PVM_OP_LEADING_ZERO_BITS_32] = FIXED(1, 1, A, D, ALU),
	[PVM_OP_TRAILING_ZERO_BITS_64] = FIXED(2, 1, A, D, ALU2),
	[PVM_OP_TRAILING_ZERO_BITS_32] = FIXED(2, 1, A, D, ALU2),
	[PVM_OP_SIGN_EXTEND_8] = FIXED(1, 1, A, D, ALU),
	[PVM_OP_SIGN_EXTEND_16] = FIXED(1, 1, A, D, ALU),
	[PVM_OP_ZERO_EXTEND_16] = FIXED(1, 1, A, D, ALU),
	[PVM_OP_REVERSE_BYTES] = P(1, 1, 2, A, D, ALU),
	[PVM_OP_STORE_IND_U8] = STORE(AB),
	[PVM_OP_STORE_IND_U16] = STORE(AB),
	[PVM_OP_STORE_IND_U32] = STORE(AB),
	[PVM_OP_STORE_IND_U64] = STORE(AB),
	[PVM_OP_LOAD_IND_U8] = MEMORY(B, A, LOAD_UNITS),
	[PVM_OP_LOAD_IND_I8] = MEMORY(B, A, LOAD_UNITS),
	[PVM_OP_LOAD_IND_U16] = MEMORY(B, A, LOAD_UNITS),
	[PVM_OP_LOAD_IND_I16] = MEMORY(B, A, LOAD_UNITS),
	[PVM_OP_LOAD_IND_U32] = MEMORY(B, A, LOAD_UNITS),
	[PVM_OP_LOAD_IND_I32] = MEMORY(B, A, LOAD_UNITS),
	[PVM_OP_LOAD_IND_U64] = MEMORY(B, A, LOAD_UNITS),
	[PVM_OP_ADD_IMM_32] = P(2, 2, 3, B, A, ALU),
	[PVM_OP_AND_IMM] = P(1, 1, 2, B, A, ALU),
	[PVM_OP_XOR_IMM] = P(1, 1, 2, B, A, ALU),
	[PVM_OP_OR_IMM] = P(1, 1, 2, B, A, ALU),
	[PVM_OP_MUL_IMM_32] = P(4, 2, 3, B, A, MUL_UNITS),
	[PVM_OP_SET_LT_U_IMM] = FIXED(3, 3, B, A, ALU),
	[PVM_OP_SET_LT_S_IMM] = FIXED(3, 3, B, A, ALU),
	[PVM_OP_SHLO_L_IMM_32] = P(2, 2, 3, B, A, ALU),
	[PVM_OP_SHLO_R_IMM_32] = P(2, 2, 3, B, A, ALU),
	[PVM_OP_SHAR_R_IMM_32] = P(2, 2, 3, B, A, ALU),
	[PVM_OP_NEG_ADD_IMM_32] = FIXED(3, 4, B, A, ALU),
	[PVM_OP_SET_GT_U_IMM] = FIXED(3, 3, B, A, ALU),
	[PVM_OP_SET_GT_S_IMM] = FIXED(3, 3, B, A, ALU),
	[PVM_OP_SHLO_L_IMM_ALT_32] = FIXED(2, 4, B, A, ALU),
	[PVM_OP_SHLO_R_IMM_ALT_32] = FIXED(2, 4, B, A, ALU),
	[PVM_OP_SHAR_R_IMM_ALT_32] = FIXED(2, 4, B, A, ALU),
	[PVM_OP_CMOV_IZ_IMM] = FIXED(2, 3, B, A, ALU),
	[PVM_OP_CMOV_NZ_IMM] = FIXED(2, 3, B, A, ALU),
	[PVM_OP_ADD_IMM_64] = P(1, 1, 2, B, A, ALU),
	[PVM_OP_MUL_IMM_64] = P(3, 1, 2, B, A, MUL_UNITS),
	[PVM_OP_SHLO_L_IMM_64] = P(1, 1, 2, B, A, ALU),
	[PVM_OP_SHLO_R_IMM_64] = P(1, 1, 2, B, A, ALU),
	[PVM_OP_SHAR_R_IMM_64] = P(1, 1, 2, B, A, ALU),
	[PVM_OP_NEG_ADD_IMM_64] = FIXED(2, 3, B, A, ALU),
	[PVM_OP_SHLO_L_IMM_ALT_64] = FIXED(1, 3, B, A, ALU),
	[PVM_OP_SHLO_R_IMM_ALT_64] = FIXED(1, 3, B, A, ALU),
	[PVM_OP_SHAR_R_IMM_ALT_64] = FIXED(1, 3, B, A, ALU),
	[PVM_OP_ROT_R_64_IMM] = P(1, 1, 2, B, A, ALU),
	[PVM_OP_ROT_R_64_IMM_ALT] = FIXED(1, 3, B, A, ALU),
	[PVM_OP_ROT_R_32_IMM] = P(2, 2, 3, B, A, ALU),
	[PVM_OP_ROT_R_32_IMM_ALT] = FIXED(2, 4, B, A, ALU),
	[PVM_OP_BRANCH_EQ] = BRANCH(AB),
	[PVM_OP_BRANCH_NE] = BRANCH(AB),
	[PVM_OP_BRANCH_LT_U] = BRANCH(AB),
	[PVM_OP_BRANCH_LT_S] = BRANCH(AB),
	[PVM_OP_BRANCH_GE_U] = BRANCH(AB),
	[PVM_OP_BRANCH_GE_S] = BRANCH(AB),
	[PVM_OP_LOAD_IMM_JUMP_IND] = FIXED(22, 1, B, A, NO_UNITS),
	[PVM_OP_ADD_32] = P(2, 2, 3, AB, D, ALU),
	[PVM_OP_SUB_32] = P(2, 2, 3, AB, D, ALU),
	[PVM_OP_MUL_32] = P(4, 2, 3, AB, D, MUL_UNITS),
	[PVM_OP_DIV_U_32] = FIXED(60, 4, AB, D, DIV_UNITS),
	[PVM_OP_DIV_S_32] = FIXED(60, 4, AB, D, DIV_UNITS),
	[PVM_OP_REM_U_32] = FIXED(60, 4, AB, D, DIV_UNITS),
	[PVM_OP_REM_S_32] = FIXED(60, 4, AB, D, DIV_UNITS),
	[PVM_OP_SHLO_L_32] = PS(2, 3, 4),
	[PVM_OP_SHLO_R_32] = PS(2, 3, 4),
	[PVM_OP_SHAR_R_32] = PS(2, 3, 4),
	[PVM_OP_ADD_64] = P(1, 1, 2, AB, D, ALU),
	[PVM_OP_SUB_64] = P(1, 1, 2, AB, D, ALU),
	[PVM_OP_MUL_64] = P(3, 1, 2, AB, D, MUL_UNITS),
	[PVM_OP_DIV_U_64] = FIXED(60, 4, AB, D, DIV_UNITS),
	[PVM_OP_DIV_S_64] = FIXED(60, 4, AB, D, DIV_UNITS),
	[PVM_OP_REM_U_64] = FIXED(60, 4, AB, D, DIV_UNITS),
	[PVM_OP_REM_S_64] = FIXED(60, 4, AB, D, DIV_UNITS),
	[PVM_OP_SHLO_L_64] = PS(1, 2, 3),
	[PVM_OP_SHLO_R_64] = PS(1, 2, 3),
	[PVM_OP_SHAR_R_64] = PS(1, 2, 3),
	[PVM_OP_AND] = P(1, 1, 2, AB, D, ALU),
	[PVM_OP_XOR] = P(1, 1, 2, AB, D, ALU),
	[PVM_OP_OR] = P(1, 1, 2, AB, D, ALU),
	[PVM_OP_MUL_UPPER_S_S] = FIXED(4, 4, AB, D, MUL_UNITS),
	[PVM_OP_MUL_UPPER_U_U] = FIXED(4, 4, AB, D, MUL_UNITS),
	[PVM_OP_MUL_UPPER_S_U] = FIXED(6, 4, AB, D, MUL_UNITS),
	[PVM_OP_SET_LT_U] = FIXED(3, 3, AB, D, ALU),
	[PVM_OP_SET_LT_S] = FIXED(3, 3, AB, D, ALU),
	[PVM_OP_CMOV_IZ] = FIXED(2, 2, AB, D, ALU),
	[PVM_OP_CMOV_NZ] = FIXED(2, 2, AB, D, ALU),
	[PVM_OP_ROT_L_64] = PS(1, 2, 3),
	[PVM_OP_ROT_L_32] = PS(2, 3, 4),
	[PVM_OP_ROT_R_64] = PS(1, 2, 3),
	[PVM_OP_ROT_R_32] = PS(2, 3, 4),
	[PVM_OP_AND_INV] = FIXED(2, 3, AB, D, ALU),
	[PVM_OP_OR_INV] = FIXED(2, 3, AB, D, ALU),
	[PVM_OP_XNOR] = P(2, 2, 3, AB, D, ALU),
	[PVM_OP_MAX] = P(3, 2, 3, AB, D, ALU),
	[PVM_OP_MAX_U] = P(3, 2, 3, AB, D, ALU),
	[PVM_OP_MIN] = P(3, 2, 3, AB, D, ALU),
	[PVM_OP_MIN_U] = P(3, 2, 3, AB, D, ALU),
};

#undef A
#undef B
#undef D
#undef AB

static uint16_t field_registers(const struct pvm_inst *inst, uint8_t fields)
{
	uint16_t set = 0;
	if (fields & FIELD_A)
		set |= (uint16_t)(1u << inst->ra);
	if (fields & FIELD_B)
		set |= (uint16_t)(1u << inst->rb);
	if (fields & FIELD_D)
		set |= (uint16_t)(1u << inst->rd);
	return set;
}

/* A.57: does `at` hold the opcode byte of trap or unlikely? The code reads as
 * zeta, zeros past its end, so anything outside it is trap. */
static bool is_trap_or_unlikely(const struct pvm_code *code, int64_t at)
{
	if (at < 0 || at >= code->length)
		return true;
	uint8_t byte = code->bytes[at];
	enum pvm_isa isa = code->map->isa;
	return byte == pvm_ops[PVM_OP_TRAP].opcode[isa] || byte == pvm_ops[PVM_OP_UNLIKELY].opcode[isa];
}

static uint32_t cycles_of(const struct pvm_code *code, const struct pvm_inst *inst)
{
	const struct pipeline_cost *cost = &costs[inst->op];
	int64_t target;
	switch (cost->latency) {
	case LATENCY_MEMORY:
		return MEMORY_L2HIT;
	case LATENCY_BRANCH:
		pvm_inst_target(inst, &target);
		return is_trap_or_unlikely(code, inst->next) || is_trap_or_unlikely(code, target) ? BRANCH_UNLIKELY
												  : BRANCH_LIKELY;
	default:
		return cost->cycles;
	}
}

/* d-check with A.54's P and A.55's PS. */
static uint32_t decode_slots_of(const struct pvm_inst *inst)
{
	const struct pipeline_cost *cost = &costs[inst->op];
	bool overlap;
	switch (cost->overlap) {
	case OVERLAP_ANY:
		overlap = (field_registers(inst, cost->reads) & field_registers(inst, cost->writes)) != 0;
		break;
	case OVERLAP_SHIFT:
		overlap = inst->ra == inst->rd;
		break;
	default:
		overlap = true;
		break;
	}
	return cost->decode[overlap ? 0 : 1];
}

/* A.53 counts each executing entry down a cycle at a time; this simulation
 * keeps absolute cycles instead, so that it can jump from one cycle where
 * something happens to the next. An entry started at s with c cycles to go
 * has c - (t - s) left at cycle t: at `finish` = s + c its producers' wait
 * and its units end, at finish + 1 it is done, and it retires at finish + 2
 * once every older entry has. */
#define NOT_STARTED ((uint64_t)1 << 62)

struct rob_entry {
	uint64_t units;        /* of its row */
	uint32_t producers[2]; /* the entries it waits on (p-vector); 0 for none */
	uint32_t cycles;       /* to execute (c-vector) */
	uint64_t decoded;      /* the cycle it was decoded in */
	uint64_t finish;       /* NOT_STARTED until it starts */
};

/* Xi of A.45. Entries are numbered in decode order from 1 and entry n lives
 * in rob[n % ROB_SIZE]: `head` is the oldest not retired, `tail` the next to
 * decode. Numbers are never reused within a block, so a producer that has
 * retired is told apart from a new entry in its slot. */
struct pipeline {
	struct rob_entry rob[ROB_SIZE];
	uint32_t head, tail;
	uint32_t waiting;   /* slots of entries not yet started */
	uint32_t executing; /* slots of started entries that still hold units */
	/* The latest writer of each register (r-vector): A.49's renaming makes
	 * this one entry, or none. */
	uint32_t writer[16];
	uint64_t units; /* free: UNITS() */
	uint64_t cycle;
};

static struct rob_entry *entry_of(struct pipeline *pipeline, uint32_t number)
{
	return &pipeline->rob[number % ROB_SIZE];
}

/* Has `number` yet to finish? 0, a retired entry and a finished one have not:
 * their results are in the register file. */
static bool is_pending(struct pipeline *pipeline, uint32_t number)
{
	return number >= pipeline->head && entry_of(pipeline, number)->finish > pipeline->cycle;
}

/* A.49: move_reg makes its destination an alias of its source's producer. */
static void rename_move(struct pipeline *pipeline, const struct pvm_inst *inst)
{
	uint32_t producer = pipeline->writer[inst->ra];
	pipeline->writer[inst->rd] = is_pending(pipeline, producer) ? producer : 0;
}

/* A.50: a new entry, waiting on the latest writers of its sources. */
static void decode_into_rob(struct pipeline *pipeline, const struct pvm_code *code, const struct pvm_inst *inst)
{
	const struct pipeline_cost *cost = &costs[inst->op];
	uint32_t number = pipeline->tail++;
	struct rob_entry *entry = entry_of(pipeline, number);
	uint32_t producers = 0;
	entry->producers[0] = entry->producers[1] = 0;
	for (uint32_t sources = field_registers(inst, cost->reads); sources; sources &= sources - 1) {
		uint32_t producer = pipeline->writer[__builtin_ctz(sources)];
		if (is_pending(pipeline, producer))
			entry->producers[producers++] = producer;
	}
	for (uint32_t destinations = field_registers(inst, cost->writes); destinations;
	     destinations &= destinations - 1)
		pipeline->writer[__builtin_ctz(destinations)] = number;
	entry->units = cost->units;
	entry->cycles = cycles_of(code, inst);
	entry->decoded = pipeline->cycle;
	entry->finish = NOT_STARTED;
	pipeline->waiting |= 1u << (number % ROB_SIZE);
}

static bool units_free(const struct pipeline *pipeline, uint64_t units)
{
	return (((pipeline->units | UNITS_TOP_BITS) - units) & UNITS_TOP_BITS) == UNITS_TOP_BITS;
}

/* A.51, A.52: starts the oldest waiting entries whose units are free and
 * whose producers have finished, up to STARTS_PER_CYCLE; returns how many.
 * Starting only takes units, so one pass in age order finds what rescanning
 * for the oldest ready entry after each start would. */
static uint32_t start_ready(struct pipeline *pipeline)
{
	uint32_t starts = 0;
	uint32_t shift = pipeline->head % ROB_SIZE;
	/* The waiting slots in age order: bit i is the entry head + i. */
	uint32_t by_age = (pipeline->waiting >> shift) | (pipeline->waiting << ((ROB_SIZE - shift) % ROB_SIZE));
	for (; by_age && starts < STARTS_PER_CYCLE; by_age &= by_age - 1) {
		uint32_t number = pipeline->head + (uint32_t)__builtin_ctz(by_age);
		struct rob_entry *entry = entry_of(pipeline, number);
		/* Decoded this cycle, as is everything younger: not waiting yet. */
		if (entry->decoded == pipeline->cycle)
			break;
		if (!units_free(pipeline, entry->units) || is_pending(pipeline, entry->producers[0]) ||
		    is_pending(pipeline, entry->producers[1]))
			continue;
		pipeline->units -= entry->units;
		entry->finish = pipeline->cycle + entry->cycles;
		uint32_t bit = 1u << (number % ROB_SIZE);
		pipeline->waiting &= ~bit;
		pipeline->executing |= bit;
		starts++;
	}
	return starts;
}

/* A.53 at `cycle`: the units of entries finished by then are free again, and
 * the oldest entries done a cycle before it have retired. */
static void advance_to(struct pipeline *pipeline, uint64_t cycle)
{
	pipeline->cycle = cycle;
	for (uint32_t slots = pipeline->executing; slots; slots &= slots - 1) {
		uint32_t at = (uint32_t)__builtin_ctz(slots);
		const struct rob_entry *entry = &pipeline->rob[at];
		if (entry->finish > cycle)
			continue;
		pipeline->units += entry->units;
		pipeline->executing &= ~(1u << at);
	}
	while (pipeline->head != pipeline->tail && entry_of(pipeline, pipeline->head)->finish + 2 <= cycle)
		pipeline->head++;
}

/* The next cycle after one where the front end is idle and nothing could
 * start: the first at which an entry finishes (its units and results free
 * up) or the oldest retires (its slot frees up, or the buffer empties). */
static uint64_t next_event(struct pipeline *pipeline)
{
	uint64_t next = entry_of(pipeline, pipeline->head)->finish + 2;
	for (uint32_t slots = pipeline->executing; slots; slots &= slots - 1) {
		uint64_t finish = pipeline->rob[__builtin_ctz(slots)].finish;
		if (finish < next)
			next = finish;
	}
	return next > pipeline->cycle + 1 && next < NOT_STARTED ? next : pipeline->cycle + 1;
}

uint64_t pvm_gas_pipeline_block_cost(const struct pvm_program *program, uint32_t pc)
{
	const struct pvm_code *code = &program->code;
	struct pipeline pipeline;
	/* Only entries head to tail are ever read: the buffer needs no
	 * clearing. */
	pipeline.head = pipeline.tail = 1;
	pipeline.waiting = pipeline.executing = 0;
	__builtin_memset(pipeline.writer, 0, sizeof pipeline.writer);
	pipeline.units = UNITS_AT_START;
	pipeline.cycle = 0;

	struct pvm_inst inst;
	bool decoding = true; /* the instruction pointer is not yet empty */
	pvm_decode(code, pc, &inst);
	for (;;) {
		/* A.46: the front end first, then the starts, each cycle. */
		uint32_t decode_slots = DECODE_SLOTS;
		uint32_t decoded = pipeline.tail;
		while (decoding && pipeline.tail - pipeline.head < ROB_SIZE) {
			uint32_t slots = decode_slots_of(&inst);
			if (slots > decode_slots)
				break;
			if (inst.op == PVM_OP_MOVE_REG)
				rename_move(&pipeline, &inst);
			else
				decode_into_rob(&pipeline, code, &inst);
			decode_slots -= slots;
			if (pvm_ops[inst.op].flags & PVM_TERMINATOR)
				decoding = false;
			else
				pvm_decode(code, inst.next, &inst);
		}
		uint32_t starts = start_ready(&pipeline);
		/* A.46 as written: an empty buffer ends the block even while
		 * the front end still holds instructions, which happens when
		 * four move_regs use up a cycle's decode slots with nothing in
		 * flight. The vectors never reach that case. */
		if (pipeline.tail == pipeline.head)
			break;
		bool busy = decoded != pipeline.tail || (decoding && pipeline.tail - pipeline.head < ROB_SIZE) ||
			    (starts == STARTS_PER_CYCLE && pipeline.waiting);
		advance_to(&pipeline, busy ? pipeline.cycle + 1 : next_event(&pipeline));
	}
	return pipeline.cycle > PIPELINE_OVERHEAD + 1 ? pipeline.cycle - PIPELINE_OVERHEAD : 1;
}

void pvm_gas_pipeline_cost_blocks(struct pvm_program *program)
{
	for (uint32_t i = 0; i < program->block_count; i++)
		program->blocks[i].cost = pvm_gas_pipeline_block_cost(program, program->blocks[i].pc);
}
