/*
 * builtins.c: the compiler-rt helpers clang calls on rv64 and that this SDK provides, since
 * no compiler-rt exists for the target: 128-bit division and remainder. (memcpy, memmove,
 * memset and memcmp, which clang also calls, are in memory.c.)
 */
typedef unsigned __int128 u128;
typedef __int128 i128;

/* Shift-and-subtract long division from the divisor's highest useful position; x / 0 traps. */
static u128 divide(u128 n, u128 d, u128 *remainder)
{
	unsigned long long nh = n >> 64, dh = d >> 64;
	if (d == 0)
		__builtin_trap();
	if (nh == 0 && dh == 0) {
		unsigned long long nl = n, dl = d;
		*remainder = nl % dl;
		return nl / dl;
	}
	if (d > n) {
		*remainder = n;
		return 0;
	}
	int nz = nh ? __builtin_clzll(nh) : 64 + __builtin_clzll((unsigned long long)n);
	int dz = dh ? __builtin_clzll(dh) : 64 + __builtin_clzll((unsigned long long)d);
	int shift = dz - nz;
	u128 q = 0;
	d <<= shift;
	for (int i = 0; i <= shift; i++) {
		q <<= 1;
		if (n >= d) {
			n -= d;
			q |= 1;
		}
		d >>= 1;
	}
	*remainder = n;
	return q;
}

u128 __udivti3(u128 n, u128 d);
u128 __umodti3(u128 n, u128 d);
i128 __divti3(i128 n, i128 d);
i128 __modti3(i128 n, i128 d);

u128 __udivti3(u128 n, u128 d)
{
	u128 r;
	return divide(n, d, &r);
}

u128 __umodti3(u128 n, u128 d)
{
	u128 r;
	divide(n, d, &r);
	return r;
}

/* Magnitudes are taken in unsigned arithmetic so that the most negative value works. */
i128 __divti3(i128 n, i128 d)
{
	u128 un = n < 0 ? -(u128)n : (u128)n, ud = d < 0 ? -(u128)d : (u128)d, r;
	u128 q = divide(un, ud, &r);
	return (i128)((n < 0) != (d < 0) ? 0 - q : q);
}

i128 __modti3(i128 n, i128 d)
{
	u128 un = n < 0 ? -(u128)n : (u128)n, ud = d < 0 ? -(u128)d : (u128)d, r;
	divide(un, ud, &r);
	return (i128)(n < 0 ? 0 - r : r);
}
