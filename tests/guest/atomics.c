/* Atomic operations, which a guest (one hart) runs as plain loads, ops and
 * stores: every read-modify-write the A extension has, on 32- and 64-bit
 * values, including operands that alias. */
#include <stdint.h>
#include <stdio.h>

/* gcc has no __atomic_fetch_min/max (clang does, and makes amomin/amomax of
 * them): natively, a compare-and-swap loop does the same. */
#if defined(__clang__)
#define FETCH_MIN(p, v) __atomic_fetch_min(p, v, __ATOMIC_SEQ_CST)
#define FETCH_MAX(p, v) __atomic_fetch_max(p, v, __ATOMIC_SEQ_CST)
#else
#define FETCH_EXTREME(p, v, better)                                                                    \
	({                                                                                             \
		__typeof__(*(p)) old_ = __atomic_load_n(p, __ATOMIC_SEQ_CST), value_ = (v);            \
		while (!__atomic_compare_exchange_n(p, &old_, (value_ better old_) ? value_ : old_, 0, \
						    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))               \
			;                                                                              \
		old_;                                                                                  \
	})
#define FETCH_MIN(p, v) FETCH_EXTREME(p, v, <)
#define FETCH_MAX(p, v) FETCH_EXTREME(p, v, >)
#endif

static int32_t word = 5;
static int64_t dword = -7;
static uint32_t uword = 0x80000001u;
static uint64_t udword = 3;

__attribute__((noinline)) static void show(const char *what, long long old, long long now)
{
	printf("%-22s old %lld now %lld\n", what, old, now);
}

int main(void)
{
	int32_t old32;
	int64_t old64;
	old32 = __atomic_fetch_add(&word, 10, __ATOMIC_SEQ_CST);
	show("fetch_add.w", old32, word);
	old32 = __atomic_fetch_sub(&word, 100, __ATOMIC_RELAXED);
	show("fetch_sub.w", old32, word);
	old32 = __atomic_fetch_and(&word, 0x7F, __ATOMIC_ACQUIRE);
	show("fetch_and.w", old32, word);
	old32 = __atomic_fetch_or(&word, 0x100, __ATOMIC_RELEASE);
	show("fetch_or.w", old32, word);
	old32 = __atomic_fetch_xor(&word, -1, __ATOMIC_ACQ_REL);
	show("fetch_xor.w", old32, word);
	old32 = __atomic_exchange_n(&word, 12345, __ATOMIC_SEQ_CST);
	show("exchange.w", old32, word);
	int32_t expected = 12345;
	int swapped = __atomic_compare_exchange_n(&word, &expected, -1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	show("cas.w (hit)", swapped, word);
	expected = 0;
	swapped = __atomic_compare_exchange_n(&word, &expected, 99, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	show("cas.w (miss)", swapped, expected);

	old64 = __atomic_fetch_add(&dword, 1000000000000ll, __ATOMIC_SEQ_CST);
	show("fetch_add.d", old64, dword);
	old64 = __atomic_fetch_and(&dword, 0xFFFF0000FFFFll, __ATOMIC_SEQ_CST);
	show("fetch_and.d", old64, dword);
	old64 = __atomic_fetch_or(&dword, INT64_MIN, __ATOMIC_SEQ_CST);
	show("fetch_or.d", old64, dword);
	old64 = __atomic_exchange_n(&dword, 42, __ATOMIC_SEQ_CST);
	show("exchange.d", old64, dword);
	int64_t expected64 = 42;
	swapped = __atomic_compare_exchange_n(&dword, &expected64, 43, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	show("cas.d", swapped, dword);

	/* Minimum and maximum, signed and unsigned (amomin/amomax[u] on RISC-V). */
	uint32_t uold = FETCH_MAX(&uword, 7u);
	show("fetch_max.wu", uold, uword);
	uold = FETCH_MIN(&uword, 7u);
	show("fetch_min.wu", uold, uword);
	old32 = FETCH_MIN(&word, -5);
	show("fetch_min.w", old32, word);
	old32 = FETCH_MAX(&word, 1000);
	show("fetch_max.w", old32, word);
	uint64_t uold64 = FETCH_MAX(&udword, UINT64_MAX - 1);
	show("fetch_max.du", (long long)uold64, (long long)udword);
	old64 = FETCH_MIN(&dword, -100);
	show("fetch_min.d", old64, dword);

	/* An atomic counter in a loop, and a load/store pair. */
	static int64_t counter;
	for (int i = 0; i < 1000; i++)
		__atomic_add_fetch(&counter, i, __ATOMIC_SEQ_CST);
	__atomic_store_n(&word, (int32_t)__atomic_load_n(&counter, __ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
	show("counter", counter, word);
	return 0;
}
