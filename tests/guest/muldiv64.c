/*
 * muldiv64.c: multiplication, division and remainder, 64- and 32-bit, signed and unsigned,
 * at the edges; the high half of products (mulh, mulhu, mulhsu) through __int128; and
 * __int128 division. The operands come from a volatile table so nothing is folded at
 * compile time. Division by zero and INT_MIN / -1 are undefined in C and left out.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

typedef __int128 i128;
typedef unsigned __int128 u128;

static volatile int64_t operands[] = {
	0,
	1,
	-1,
	2,
	-2,
	3,
	7,
	-10,
	INT32_MAX,
	INT32_MIN,
	(int64_t)UINT32_MAX,
	(int64_t)0x123456789abcdef0ULL,
	INT64_MAX,
	INT64_MIN,
	INT64_MIN + 1,
	(int64_t)0xfedcba9876543210ULL,
};

#define COUNT (sizeof operands / sizeof operands[0])

static uint64_t checksum;

static void mix(uint64_t x)
{
	checksum = (checksum ^ x) * 0x100000001b3ULL;
}

static void print128(const char *label, u128 x)
{
	printf(" %s=%016" PRIx64 "%016" PRIx64, label, (uint64_t)(x >> 64), (uint64_t)x);
	mix((uint64_t)(x >> 64));
	mix((uint64_t)x);
}

static void print64(const char *label, uint64_t x)
{
	printf(" %s=%" PRIx64, label, x);
	mix(x);
}

static void test_pair(int64_t a, int64_t b)
{
	uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
	int32_t a32 = (int32_t)a, b32 = (int32_t)b;
	uint32_t ua32 = (uint32_t)a, ub32 = (uint32_t)b;
	printf("%" PRId64 " %" PRId64 ":", a, b);
	print64("mul", ua * ub);
	print64("mulh", (uint64_t)((i128)a * (i128)b >> 64));
	print64("mulhu", (uint64_t)((u128)ua * (u128)ub >> 64));
	print64("mulhsu", (uint64_t)((i128)a * (i128)(u128)ub >> 64));
	print64("mulw", (uint64_t)(int64_t)(int32_t)(ua32 * ub32));
	if (b != 0) {
		print64("divu", ua / ub);
		print64("remu", ua % ub);
		if (!(a == INT64_MIN && b == -1)) {
			print64("div", (uint64_t)(a / b));
			print64("rem", (uint64_t)(a % b));
		}
	}
	if (b32 != 0) {
		print64("divuw", ua32 / ub32);
		print64("remuw", ua32 % ub32);
		if (!(a32 == INT32_MIN && b32 == -1)) {
			print64("divw", (uint64_t)(int64_t)(a32 / b32));
			print64("remw", (uint64_t)(int64_t)(a32 % b32));
		}
	}
	printf("\n");
}

static void test_division128(u128 n, u128 d)
{
	u128 q = n / d, r = n % d;
	printf("u128");
	print128("n", n);
	print128("d", d);
	print128("q", q);
	print128("r", r);
	printf(" %s\n", q * d + r == n && r < d ? "ok" : "WRONG");

	i128 sn = (i128)n, sd = (i128)d;
	if (sd == 0 || (sn == (i128)((u128)1 << 127) && sd == -1))
		return;
	i128 sq = sn / sd, sr = sn % sd;
	int ok = sq * sd + sr == sn && (sr == 0 || (sr < 0) == (sn < 0));
	printf("i128");
	print128("q", (u128)sq);
	print128("r", (u128)sr);
	printf(" %s\n", ok ? "ok" : "WRONG");
}

int main(void)
{
	for (unsigned i = 0; i < COUNT; i++)
		for (unsigned j = 0; j < COUNT; j++)
			test_pair(operands[i], operands[j]);

	const u128 big = (u128)(uint64_t)operands[11] << 64 | (uint64_t)operands[15];
	const u128 values[] = {
		1,
		(u128)(uint64_t)operands[12],
		(u128)(uint64_t)operands[10] + 1,
		big,
		big >> 3,
		~(u128)0,
		(u128)1 << 127,
		((u128)1 << 64) - 1,
		(u128)1 << 64,
		(u128)(uint64_t)operands[7],
	};
	unsigned n = sizeof values / sizeof values[0];
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++)
			test_division128(values[i] + (u128)(uint64_t)operands[1] - 1, values[j]);
	printf("checksum %016" PRIx64 "\n", checksum);
	return 0;
}
