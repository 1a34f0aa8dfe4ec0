/*
 * function_pointers.c: functions called through pointers held in static tables, in
 * structs, in locals and arguments; pointers compared and returned from functions.
 */
#include <stdio.h>
#include <stdlib.h>

typedef long (*binary_fn)(long, long);

static long add(long a, long b)
{
	return a + b;
}

static long sub(long a, long b)
{
	return a - b;
}

static long mul(long a, long b)
{
	return a * b;
}

static long power(long a, long b)
{
	long r = 1;
	while (b-- > 0)
		r *= a;
	return r;
}

/* A writable and a constant table of pointers, both filled in by the linker. */
static binary_fn operations[] = {add, sub, mul, power};
static const struct {
	const char *name;
	binary_fn fn;
	long identity;
} named[] = {
	{"add", add, 0},
	{"mul", mul, 1},
};

struct shape {
	const struct shape_ops *ops;
	long a, b;
};

struct shape_ops {
	const char *name;
	long (*area)(const struct shape *);
	long (*perimeter)(const struct shape *);
};

static long rect_area(const struct shape *s)
{
	return s->a * s->b;
}

static long rect_perimeter(const struct shape *s)
{
	return 2 * (s->a + s->b);
}

static long square_area(const struct shape *s)
{
	return s->a * s->a;
}

static long square_perimeter(const struct shape *s)
{
	return 4 * s->a;
}

static const struct shape_ops rect_ops = {"rectangle", rect_area, rect_perimeter};
static const struct shape_ops square_ops = {"square", square_area, square_perimeter};

static long fold(const long *values, int n, binary_fn fn, long start)
{
	for (int i = 0; i < n; i++)
		start = fn(start, values[i]);
	return start;
}

static binary_fn pick(int i)
{
	return operations[i % 4];
}

static int compare_desc(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x < y) - (x > y);
}

/* A chain of calls through a pointer that is only known at run time. */
static int countdown(int n, int (*self)(int, void *), void *state)
{
	return n == 0 ? 0 : 1 + self(n - 1, state);
}

static int countdown_step(int n, void *state)
{
	int (**next)(int, int (*)(int, void *), void *) = state;
	return (*next)(n, countdown_step, state);
}

int main(int argc, char **argv)
{
	(void)argv;
	long values[] = {3, 1, 4, 1, 5, 9, 2, 6};
	int n = sizeof values / sizeof values[0];
	for (int i = 0; i < 4; i++)
		printf("operations[%d](7, 3) = %ld\n", i, operations[i](7, 3));
	for (unsigned i = 0; i < sizeof named / sizeof named[0]; i++)
		printf("fold %s = %ld\n", named[i].name, fold(values, n, named[i].fn, named[i].identity));
	for (int i = argc; i < argc + 8; i++)
		printf("pick(%d)(%d, 2) = %ld\n", i, i, pick(i)(i, 2));

	printf("pick(0) %s add\n", pick(0) == add ? "is" : "is not");
	printf("pick(1) %s add\n", pick(1) == add ? "is" : "is not");
	printf("named[1].fn %s operations[2]\n", named[1].fn == operations[2] ? "is" : "is not");

	struct shape shapes[] = {{&rect_ops, 3, 4}, {&square_ops, 5, 0}, {&rect_ops, 10, 1}};
	for (int i = 0; i < 3; i++)
		printf("%s: area %ld, perimeter %ld\n", shapes[i].ops->name, shapes[i].ops->area(&shapes[i]),
		       shapes[i].ops->perimeter(&shapes[i]));

	operations[0] = power;
	printf("after swapping in power: operations[0](2, 10) = %ld\n", operations[0](2, 10));

	qsort(values, n, sizeof values[0], compare_desc);
	printf("sorted descending:");
	for (int i = 0; i < n; i++)
		printf(" %ld", values[i]);
	printf("\n");

	int (*step)(int, int (*)(int, void *), void *) = countdown;
	printf("countdown through pointers: %d\n", countdown_step(1000, &step));
	return 0;
}
