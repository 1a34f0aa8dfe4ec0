/* A bytecode interpreter: a register machine whose loop dispatches every
 * instruction through one dense switch, which compilers make an indirect
 * jump through a table. Its program counts the Collatz steps of every
 * number below a bound, so the branches it takes depend on the data. */
#include "bench_host.h"

enum opcode {
	OP_LOAD_IMM,    /* r[a] = imm */
	OP_MOVE,        /* r[a] = r[b] */
	OP_ADD,         /* r[a] = r[b] + r[c] */
	OP_ADD_IMM,     /* r[a] = r[b] + imm */
	OP_MUL_IMM,     /* r[a] = r[b] * imm */
	OP_SHR_IMM,     /* r[a] = r[b] >> imm */
	OP_AND_IMM,     /* r[a] = r[b] & imm */
	OP_XOR,         /* r[a] = r[b] ^ r[c] */
	OP_JUMP,        /* pc = imm */
	OP_JUMP_ZERO,   /* if r[a] == 0: pc = imm */
	OP_JUMP_EQ_IMM, /* if r[a] == b: pc = imm */
	OP_JUMP_LESS,   /* if r[a] < r[b]: pc = imm */
	OP_HALT,
};

struct instruction {
	uint8_t op, a, b, c;
	int32_t imm;
};

/* r0 = steps, r1 = n, r2 = the bound (set by the caller), r3 = x, r4 =
 * scratch, r5 = a hash of the step counts:
 *   for (n = 1; n < bound; n++) {
 *           for (x = n; x != 1; steps++)
 *                   x = x & 1 ? 3 * x + 1 : x >> 1;
 *           hash = (hash ^ steps) * 31;
 *   } */
static const struct instruction program[] = {
	/* 0 */ {OP_LOAD_IMM, 0, 0, 0, 0},
	/* 1 */ {OP_LOAD_IMM, 1, 0, 0, 1},
	/* 2 */ {OP_LOAD_IMM, 5, 0, 0, 0},
	/* 3 */ {OP_JUMP_LESS, 1, 2, 0, 5},
	/* 4 */ {OP_HALT, 0, 0, 0, 0},
	/* 5 */ {OP_MOVE, 3, 1, 0, 0},
	/* 6 */ {OP_JUMP_EQ_IMM, 3, 1, 0, 15},
	/* 7 */ {OP_ADD_IMM, 0, 0, 0, 1},
	/* 8 */ {OP_AND_IMM, 4, 3, 0, 1},
	/* 9 */ {OP_JUMP_ZERO, 4, 0, 0, 13},
	/* 10 */ {OP_MUL_IMM, 3, 3, 0, 3},
	/* 11 */ {OP_ADD_IMM, 3, 3, 0, 1},
	/* 12 */ {OP_JUMP, 0, 0, 0, 6},
	/* 13 */ {OP_SHR_IMM, 3, 3, 0, 1},
	/* 14 */ {OP_JUMP, 0, 0, 0, 6},
	/* 15 */ {OP_XOR, 5, 5, 0, 0},
	/* 16 */ {OP_MUL_IMM, 5, 5, 0, 31},
	/* 17 */ {OP_ADD_IMM, 1, 1, 0, 1},
	/* 18 */ {OP_JUMP, 0, 0, 0, 3},
};

static volatile uint32_t bound = 30000;

static uint64_t run(const struct instruction *code, uint64_t *r)
{
	uint64_t executed = 0;
	for (uint32_t pc = 0;; executed++) {
		const struct instruction *in = &code[pc++];
		switch (in->op) {
		case OP_LOAD_IMM:
			r[in->a] = (uint64_t)(int64_t)in->imm;
			break;
		case OP_MOVE:
			r[in->a] = r[in->b];
			break;
		case OP_ADD:
			r[in->a] = r[in->b] + r[in->c];
			break;
		case OP_ADD_IMM:
			r[in->a] = r[in->b] + (uint64_t)(int64_t)in->imm;
			break;
		case OP_MUL_IMM:
			r[in->a] = r[in->b] * (uint64_t)(int64_t)in->imm;
			break;
		case OP_SHR_IMM:
			r[in->a] = r[in->b] >> (in->imm & 63);
			break;
		case OP_AND_IMM:
			r[in->a] = r[in->b] & (uint64_t)(int64_t)in->imm;
			break;
		case OP_XOR:
			r[in->a] = r[in->b] ^ r[in->c];
			break;
		case OP_JUMP:
			pc = (uint32_t)in->imm;
			break;
		case OP_JUMP_ZERO:
			if (r[in->a] == 0)
				pc = (uint32_t)in->imm;
			break;
		case OP_JUMP_EQ_IMM:
			if (r[in->a] == in->b)
				pc = (uint32_t)in->imm;
			break;
		case OP_JUMP_LESS:
			if (r[in->a] < r[in->b])
				pc = (uint32_t)in->imm;
			break;
		case OP_HALT:
			return executed;
		}
	}
}

uint64_t bench_workload(void)
{
	uint64_t r[8] = {0};
	r[2] = bound;
	uint64_t executed = run(program, r);
	return bench_mix(bench_mix(r[5], r[0]), executed);
}
