/*
 * interp.c: a small stack-machine interpreter. The dispatch is one dense switch (a jump
 * table), builtins are called through a table of function pointers, and the programs are
 * assembled at run time with forward labels patched afterwards.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum opcode {
	OP_HALT,
	OP_PUSH, /* value */
	OP_POP,
	OP_DUP,
	OP_SWAP,
	OP_ADD,
	OP_SUB,
	OP_MUL,
	OP_DIV,
	OP_MOD,
	OP_LT,
	OP_EQ,
	OP_JUMP,  /* target */
	OP_JZ,    /* target */
	OP_JNZ,   /* target */
	OP_LOAD,  /* frame slot */
	OP_STORE, /* frame slot */
	OP_CALL,  /* target, argument count */
	OP_RET,
	OP_BUILTIN, /* builtin index */
	OP_PRINT,
	OP_COUNT,
};

static const char *const opcode_names[OP_COUNT] = {
	"halt", "push", "pop", "dup", "swap", "add",   "sub",  "mul", "div",     "mod",   "lt",
	"eq",   "jump", "jz",  "jnz", "load", "store", "call", "ret", "builtin", "print",
};

typedef int64_t value_t;

static value_t builtin_gcd(const value_t *args)
{
	value_t a = args[0] < 0 ? -args[0] : args[0], b = args[1] < 0 ? -args[1] : args[1];
	while (b != 0) {
		value_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static value_t builtin_isqrt(const value_t *args)
{
	value_t lo = 0, hi = 3037000499; /* floor(sqrt(INT64_MAX)) */
	while (lo < hi) {
		value_t mid = (lo + hi + 1) / 2;
		if (mid * mid <= args[0])
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static value_t builtin_max(const value_t *args)
{
	return args[0] > args[1] ? args[0] : args[1];
}

static value_t builtin_popcount(const value_t *args)
{
	value_t n = 0;
	for (uint64_t x = (uint64_t)args[0]; x; x &= x - 1)
		n++;
	return n;
}

struct builtin {
	const char *name;
	int arity;
	value_t (*fn)(const value_t *args);
};

static const struct builtin builtins[] = {
	{"gcd", 2, builtin_gcd},
	{"isqrt", 1, builtin_isqrt},
	{"max", 2, builtin_max},
	{"popcount", 1, builtin_popcount},
};

enum { BUILTIN_GCD, BUILTIN_ISQRT, BUILTIN_MAX, BUILTIN_POPCOUNT };

#define STACK_SIZE 4096
#define FRAMES     1024

struct frame {
	size_t return_pc;
	size_t base;
};

struct vm {
	const value_t *code;
	value_t stack[STACK_SIZE];
	struct frame frames[FRAMES];
	uint64_t executed[OP_COUNT];
};

static void fail(const char *what, size_t pc)
{
	printf("error: %s at pc %zu\n", what, pc);
	exit(2);
}

static void run(struct vm *vm, size_t pc)
{
	const value_t *code = vm->code;
	value_t *stack = vm->stack;
	size_t sp = 0, fp = 0, depth = 0;
	for (;;) {
		enum opcode op = (enum opcode)code[pc];
		vm->executed[op]++;
		if (sp + 2 >= STACK_SIZE)
			fail("stack overflow", pc);
		switch (op) {
		case OP_HALT:
			return;
		case OP_PUSH:
			stack[sp++] = code[pc + 1];
			pc += 2;
			break;
		case OP_POP:
			sp--;
			pc++;
			break;
		case OP_DUP:
			stack[sp] = stack[sp - 1];
			sp++;
			pc++;
			break;
		case OP_SWAP: {
			value_t t = stack[sp - 1];
			stack[sp - 1] = stack[sp - 2];
			stack[sp - 2] = t;
			pc++;
			break;
		}
		case OP_ADD:
			sp--;
			stack[sp - 1] += stack[sp];
			pc++;
			break;
		case OP_SUB:
			sp--;
			stack[sp - 1] -= stack[sp];
			pc++;
			break;
		case OP_MUL:
			sp--;
			stack[sp - 1] *= stack[sp];
			pc++;
			break;
		case OP_DIV:
			sp--;
			if (stack[sp] == 0)
				fail("division by zero", pc);
			stack[sp - 1] /= stack[sp];
			pc++;
			break;
		case OP_MOD:
			sp--;
			if (stack[sp] == 0)
				fail("division by zero", pc);
			stack[sp - 1] %= stack[sp];
			pc++;
			break;
		case OP_LT:
			sp--;
			stack[sp - 1] = stack[sp - 1] < stack[sp];
			pc++;
			break;
		case OP_EQ:
			sp--;
			stack[sp - 1] = stack[sp - 1] == stack[sp];
			pc++;
			break;
		case OP_JUMP:
			pc = (size_t)code[pc + 1];
			break;
		case OP_JZ:
			pc = stack[--sp] == 0 ? (size_t)code[pc + 1] : pc + 2;
			break;
		case OP_JNZ:
			pc = stack[--sp] != 0 ? (size_t)code[pc + 1] : pc + 2;
			break;
		case OP_LOAD:
			stack[sp++] = stack[fp + code[pc + 1]];
			pc += 2;
			break;
		case OP_STORE:
			stack[fp + code[pc + 1]] = stack[--sp];
			pc += 2;
			break;
		case OP_CALL:
			if (depth == FRAMES)
				fail("call stack overflow", pc);
			vm->frames[depth++] = (struct frame){pc + 3, fp};
			fp = sp - (size_t)code[pc + 2];
			pc = (size_t)code[pc + 1];
			break;
		case OP_RET: {
			value_t result = stack[--sp];
			struct frame *f = &vm->frames[--depth];
			sp = fp;
			fp = f->base;
			pc = f->return_pc;
			stack[sp++] = result;
			break;
		}
		case OP_BUILTIN: {
			const struct builtin *b = &builtins[code[pc + 1]];
			sp -= b->arity;
			stack[sp] = b->fn(&stack[sp]);
			sp++;
			pc += 2;
			break;
		}
		case OP_PRINT:
			printf("  %lld\n", (long long)stack[--sp]);
			pc++;
			break;
		default:
			fail("bad opcode", pc);
		}
	}
}

/* An assembler: emit appends, label marks, and `fix` records a forward reference. */
struct program {
	value_t code[1024];
	size_t len;
};

static size_t emit(struct program *p, enum opcode op)
{
	p->code[p->len] = op;
	return p->len++;
}

static size_t emit1(struct program *p, enum opcode op, value_t a)
{
	size_t at = emit(p, op);
	p->code[p->len++] = a;
	return at;
}

static void emit2(struct program *p, enum opcode op, value_t a, value_t b)
{
	emit(p, op);
	p->code[p->len++] = a;
	p->code[p->len++] = b;
}

static void patch(struct program *p, size_t at)
{
	p->code[at + 1] = (value_t)p->len;
}

/* fib(n) = n < 2 ? n : fib(n - 1) + fib(n - 2), recursively. */
static size_t assemble_fib(struct program *p)
{
	size_t fib = p->len;
	emit1(p, OP_LOAD, 0);
	emit1(p, OP_PUSH, 2);
	emit(p, OP_LT);
	size_t recurse = emit1(p, OP_JZ, 0);
	emit1(p, OP_LOAD, 0);
	emit(p, OP_RET);
	patch(p, recurse);
	emit1(p, OP_LOAD, 0);
	emit1(p, OP_PUSH, 1);
	emit(p, OP_SUB);
	emit2(p, OP_CALL, (value_t)fib, 1);
	emit1(p, OP_LOAD, 0);
	emit1(p, OP_PUSH, 2);
	emit(p, OP_SUB);
	emit2(p, OP_CALL, (value_t)fib, 1);
	emit(p, OP_ADD);
	emit(p, OP_RET);

	size_t start = p->len;
	for (int n = 10; n <= 24; n += 7) {
		emit1(p, OP_PUSH, n);
		emit2(p, OP_CALL, (value_t)fib, 1);
		emit(p, OP_PRINT);
	}
	emit(p, OP_HALT);
	return start;
}

/* Counts the primes below `limit` by trial division; slots: 0 n, 1 count, 2 d. */
static size_t assemble_primes(struct program *p, value_t limit)
{
	size_t start = p->len;
	emit1(p, OP_PUSH, 2);
	emit1(p, OP_PUSH, 0);
	emit1(p, OP_PUSH, 0);
	size_t loop = p->len;
	emit1(p, OP_LOAD, 0);
	emit1(p, OP_PUSH, limit);
	emit(p, OP_LT);
	size_t done = emit1(p, OP_JZ, 0);
	emit1(p, OP_PUSH, 2);
	emit1(p, OP_STORE, 2);
	size_t inner = p->len;
	emit1(p, OP_LOAD, 0);
	emit1(p, OP_LOAD, 2);
	emit(p, OP_DUP);
	emit(p, OP_MUL);
	emit(p, OP_LT);
	size_t prime = emit1(p, OP_JNZ, 0);
	emit1(p, OP_LOAD, 0);
	emit1(p, OP_LOAD, 2);
	emit(p, OP_MOD);
	size_t composite = emit1(p, OP_JZ, 0);
	emit1(p, OP_LOAD, 2);
	emit1(p, OP_PUSH, 1);
	emit(p, OP_ADD);
	emit1(p, OP_STORE, 2);
	emit1(p, OP_JUMP, (value_t)inner);
	patch(p, prime);
	emit1(p, OP_LOAD, 1);
	emit1(p, OP_PUSH, 1);
	emit(p, OP_ADD);
	emit1(p, OP_STORE, 1);
	patch(p, composite);
	emit1(p, OP_LOAD, 0);
	emit1(p, OP_PUSH, 1);
	emit(p, OP_ADD);
	emit1(p, OP_STORE, 0);
	emit1(p, OP_JUMP, (value_t)loop);
	patch(p, done);
	emit1(p, OP_LOAD, 1);
	emit(p, OP_PRINT);
	emit(p, OP_HALT);
	return start;
}

/* Exercises every builtin: sum of gcd(i, 360), isqrt, max and popcount. */
static size_t assemble_builtins(struct program *p)
{
	size_t start = p->len;
	emit1(p, OP_PUSH, 0); /* slot 0: sum */
	emit1(p, OP_PUSH, 1); /* slot 1: i */
	size_t loop = p->len;
	emit1(p, OP_LOAD, 1);
	emit1(p, OP_PUSH, 1001);
	emit(p, OP_LT);
	size_t done = emit1(p, OP_JZ, 0);
	emit1(p, OP_LOAD, 0);
	emit1(p, OP_LOAD, 1);
	emit1(p, OP_PUSH, 360);
	emit1(p, OP_BUILTIN, BUILTIN_GCD);
	emit(p, OP_ADD);
	emit1(p, OP_STORE, 0);
	emit1(p, OP_LOAD, 1);
	emit1(p, OP_PUSH, 1);
	emit(p, OP_ADD);
	emit1(p, OP_STORE, 1);
	emit1(p, OP_JUMP, (value_t)loop);
	patch(p, done);
	emit1(p, OP_LOAD, 0);
	emit(p, OP_PRINT);
	emit1(p, OP_PUSH, 1000000000000LL);
	emit1(p, OP_BUILTIN, BUILTIN_ISQRT);
	emit(p, OP_PRINT);
	emit1(p, OP_PUSH, -5);
	emit1(p, OP_PUSH, 3);
	emit1(p, OP_BUILTIN, BUILTIN_MAX);
	emit(p, OP_PRINT);
	emit1(p, OP_PUSH, 0x7fffffffffffLL);
	emit1(p, OP_BUILTIN, BUILTIN_POPCOUNT);
	emit1(p, OP_PUSH, 470);
	emit(p, OP_SWAP);
	emit(p, OP_DIV);
	emit(p, OP_PRINT);
	emit1(p, OP_PUSH, 99);
	emit(p, OP_POP);
	emit1(p, OP_PUSH, 4);
	emit1(p, OP_PUSH, 4);
	emit(p, OP_EQ);
	emit(p, OP_PRINT);
	emit(p, OP_HALT);
	return start;
}

static void run_program(const char *title, size_t (*assemble)(struct program *))
{
	static struct program program;
	static struct vm vm;
	program.len = 0;
	size_t start = assemble(&program);
	vm.code = program.code;
	for (int i = 0; i < OP_COUNT; i++)
		vm.executed[i] = 0;
	printf("%s (%zu words):\n", title, program.len);
	run(&vm, start);
	uint64_t total = 0;
	int busiest = 0;
	for (int i = 0; i < OP_COUNT; i++) {
		total += vm.executed[i];
		if (vm.executed[i] > vm.executed[busiest])
			busiest = i;
	}
	printf("  executed %llu instructions, most often %s (%llu)\n", (unsigned long long)total, opcode_names[busiest],
	       (unsigned long long)vm.executed[busiest]);
}

static size_t assemble_primes_20000(struct program *p)
{
	return assemble_primes(p, 20000);
}

int main(void)
{
	run_program("fib(10), fib(17), fib(24)", assemble_fib);
	run_program("primes below 20000", assemble_primes_20000);
	run_program("builtins", assemble_builtins);
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		printf("builtin %zu: %s/%d\n", i, builtins[i].name, builtins[i].arity);
	return 0;
}
