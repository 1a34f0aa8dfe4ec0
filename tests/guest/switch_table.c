/*
 * switch_table.c: switches clang turns into jump tables (dense cases, with and without a
 * default, on signed and character values), one it turns into a lookup table of values,
 * a sparse one it turns into a comparison tree, and fallthrough.
 */
#include <stdio.h>

static const char *day_name(int day)
{
	switch (day) {
	case 0:
		return "monday";
	case 1:
		return "tuesday";
	case 2:
		return "wednesday";
	case 3:
		return "thursday";
	case 4:
		return "friday";
	case 5:
		return "saturday";
	case 6:
		return "sunday";
	default:
		return "no day";
	}
}

/* Each case does different work, so the compiler must jump rather than look a value up. */
static long dense(int op, long a, long b)
{
	switch (op) {
	case 0:
		return a + b;
	case 1:
		return a - b;
	case 2:
		return a * b;
	case 3:
		return b ? a / b : 0;
	case 4:
		return b ? a % b : 0;
	case 5:
		return a & b;
	case 6:
		return a | b;
	case 7:
		return a ^ b;
	case 8:
		return a << (b & 31);
	case 9:
		return a >> (b & 31);
	case 10:
		return a < b ? a : b;
	case 11:
		return a > b ? a : b;
	case 12:
		return -a;
	case 13:
		return ~b;
	case 14:
		return a * a + b;
	case 15:
		return (a + b) * (a - b);
	default:
		return -999;
	}
}

/* Negative case values: the table index is biased by the smallest case. */
static int shifted(int x)
{
	int r = 0;
	switch (x) {
	case -5:
		r = 50;
		break;
	case -4:
		r = 41;
		break;
	case -3:
		r = x * 3;
		break;
	case -2:
		r = x * x;
		break;
	case -1:
		r = 1000 + x;
		break;
	case 0:
		r = 7;
		break;
	case 1:
		r = dense(2, x, 9) + 1;
		break;
	case 2:
		r = 13;
		break;
	case 3:
		r = x << 4;
		break;
	case 4:
		r = 77;
		break;
	default:
		r = -1;
	}
	return r;
}

static int classify(unsigned char c)
{
	switch (c) {
	case 'a':
	case 'e':
	case 'i':
	case 'o':
	case 'u':
		return 1;
	case 'b':
	case 'c':
	case 'd':
	case 'f':
	case 'g':
	case 'h':
		return 2;
	case 'j':
	case 'k':
		return 3;
	case 'l':
		return 4;
	case 'm':
		return 5;
	case 'n':
		return 6;
	default:
		return 0;
	}
}

static int sparse(unsigned x)
{
	switch (x) {
	case 1:
		return 10;
	case 100:
		return 20;
	case 1000:
		return 30;
	case 65536:
		return 40;
	case 1000000:
		return 50;
	case 0x80000000u:
		return 60;
	case 0xffffffffu:
		return 70;
	default:
		return 0;
	}
}

/* Duff-style fallthrough: case n adds n, n-1, ..., 1. */
static int fallthrough(int n)
{
	int sum = 0;
	switch (n) {
	case 8:
		sum += 8;
		/* fall through */
	case 7:
		sum += 7;
		/* fall through */
	case 6:
		sum += 6;
		/* fall through */
	case 5:
		sum += 5;
		/* fall through */
	case 4:
		sum += 4;
		/* fall through */
	case 3:
		sum += 3;
		/* fall through */
	case 2:
		sum += 2;
		/* fall through */
	case 1:
		sum += 1;
		/* fall through */
	default:
		break;
	}
	return sum;
}

int main(int argc, char **argv)
{
	(void)argv;
	/* argc keeps the inputs unknown at compile time. */
	int base = argc - 1;
	for (int d = base - 1; d <= base + 7; d++)
		printf("day %d: %s\n", d, day_name(d));
	for (int op = base - 1; op <= base + 16; op++)
		printf("dense op %d: %ld %ld\n", op, dense(op, 1234 + base, 56), dense(op, -77, 5 + base));
	for (int x = base - 7; x <= base + 6; x++)
		printf("shifted %d: %d\n", x, shifted(x));
	int counts[7] = {0};
	for (int c = base; c < 256; c++)
		counts[classify((unsigned char)c)]++;
	printf("classes:");
	for (int i = 0; i < 7; i++)
		printf(" %d", counts[i]);
	printf("\n");
	static const unsigned probes[] = {0,     1,     2,       100,         999,         1000,
					  65536, 65537, 1000000, 0x80000000u, 0xfffffffeu, 0xffffffffu};
	for (unsigned i = 0; i < sizeof probes / sizeof probes[0]; i++)
		printf("sparse %u: %d\n", probes[i] + base, sparse(probes[i] + base));
	for (int n = base - 1; n <= base + 9; n++)
		printf("fallthrough %d: %d\n", n, fallthrough(n));
	return 0;
}
