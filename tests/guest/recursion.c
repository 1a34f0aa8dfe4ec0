/*
 * recursion.c: deep recursion (10000 frames that cannot become a loop), mutual recursion,
 * Ackermann's function and a recursive permutation count. Needs about 1 MiB of stack at
 * most; the deepest chain is 10000 frames of a few dozen bytes.
 */
#include <stdint.h>
#include <stdio.h>

/* The local array escapes into the next call, so every frame must really exist. */
static uint64_t deep(unsigned n, const uint64_t *parent)
{
	uint64_t mine[2] = {parent[0] * 31 + n, parent[1] ^ n};
	if (n == 0)
		return mine[0] + mine[1];
	uint64_t below = deep(n - 1, mine);
	return below * 3 + mine[1];
}

static int is_odd(unsigned n);

static int is_even(unsigned n)
{
	return n == 0 ? 1 : is_odd(n - 1);
}

static int is_odd(unsigned n)
{
	return n == 0 ? 0 : is_even(n - 1);
}

static uint64_t calls;

static uint64_t ackermann(uint64_t m, uint64_t n)
{
	calls++;
	if (m == 0)
		return n + 1;
	if (n == 0)
		return ackermann(m - 1, 1);
	return ackermann(m - 1, ackermann(m, n - 1));
}

/* Counts the permutations of 0..n-1 with no fixed point (derangements) by search. */
static uint64_t derangements(unsigned position, unsigned n, unsigned used)
{
	if (position == n)
		return 1;
	uint64_t count = 0;
	for (unsigned v = 0; v < n; v++)
		if (!(used & 1u << v) && v != position)
			count += derangements(position + 1, n, used | 1u << v);
	return count;
}

static unsigned long long fibonacci(unsigned n)
{
	return n < 2 ? n : fibonacci(n - 1) + fibonacci(n - 2);
}

int main(int argc, char **argv)
{
	(void)argv;
	const uint64_t seed[2] = {(uint64_t)argc, 7};
	printf("deep(100) = %llu\n", (unsigned long long)deep(100, seed));
	printf("deep(10000) = %llu\n", (unsigned long long)deep(10000, seed));
	printf("is_even(5001) = %d, is_odd(5001) = %d\n", is_even(5000 + argc), is_odd(5000 + argc));
	for (uint64_t m = 0; m <= 3; m++)
		for (uint64_t n = 0; n <= 4; n++) {
			calls = 0;
			uint64_t a = ackermann(m, n);
			printf("ackermann(%llu, %llu) = %llu in %llu calls\n", (unsigned long long)m,
			       (unsigned long long)n, (unsigned long long)a, (unsigned long long)calls);
		}
	calls = 0;
	uint64_t a36 = ackermann(3, 6);
	printf("ackermann(3, 6) = %llu in %llu calls\n", (unsigned long long)a36, (unsigned long long)calls);
	for (unsigned n = 1; n <= 9; n++)
		printf("derangements(%u) = %llu\n", n, (unsigned long long)derangements(0, n, 0));
	printf("fibonacci(25) = %llu\n", fibonacci(25));
	return 0;
}
