/*
 * memory.c: memcpy, memmove, memset, memcmp, memchr. Clang emits calls to the first four
 * for struct copies and large initialisers even in freestanding code, so they must exist.
 * Bulk work goes a 64-bit word at a time with aligned accesses only; a source that is
 * misaligned relative to the destination is merged from two aligned words (little-endian).
 */
#define CORRAL_LIBC_SOURCE
#include <stdint.h>
#include <string.h>

typedef uint64_t __attribute__((may_alias)) word_t;

#define WORD        sizeof(word_t)
#define ONES        ((word_t)0x0101010101010101)
#define MISALIGN(p) ((uintptr_t)(p) & (WORD - 1))

/* Forward copy that tolerates overlap when dst < src; no restrict, so no reordering. */
static void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
	if (n >= 2 * WORD) {
		while (MISALIGN(d)) {
			*d++ = *s++;
			n--;
		}
		word_t *dw = (word_t *)d;
		unsigned shift = MISALIGN(s) * 8;
		if (shift == 0) {
			const word_t *sw = (const word_t *)s;
			for (; n >= 4 * WORD; n -= 4 * WORD, dw += 4, sw += 4) {
				word_t a = sw[0], b = sw[1], c = sw[2], e = sw[3];
				dw[0] = a;
				dw[1] = b;
				dw[2] = c;
				dw[3] = e;
			}
			for (; n >= WORD; n -= WORD)
				*dw++ = *sw++;
			s = (const unsigned char *)sw;
		} else {
			/* Aligned words never cross a page, so reading the whole word that holds
			   the last source byte cannot fault. */
			const word_t *sw = (const word_t *)(s - shift / 8);
			word_t lo = *sw++;
			for (; n >= WORD; n -= WORD, s += WORD) {
				word_t hi = *sw++;
				*dw++ = lo >> shift | hi << (64 - shift);
				lo = hi;
			}
		}
		d = (unsigned char *)dw;
	}
	while (n--)
		*d++ = *s++;
}

/* Backward copy for dst > src; words only when both pointers share their alignment. */
static void copy_backward(unsigned char *d, const unsigned char *s, size_t n)
{
	d += n;
	s += n;
	if (n >= 2 * WORD && MISALIGN(d) == MISALIGN(s)) {
		while (MISALIGN(d)) {
			*--d = *--s;
			n--;
		}
		for (; n >= WORD; n -= WORD) {
			d -= WORD;
			s -= WORD;
			*(word_t *)d = *(const word_t *)s;
		}
	}
	while (n--)
		*--d = *--s;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	copy_forward(dst, src, n);
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (d == s || n == 0)
		return dst;
	if (d < s || d >= s + n)
		copy_forward(d, s, n);
	else
		copy_backward(d, s, n);
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	if (n >= 2 * WORD) {
		while (MISALIGN(d)) {
			*d++ = (unsigned char)c;
			n--;
		}
		word_t pattern = ONES * (unsigned char)c;
		word_t *dw = (word_t *)d;
		for (; n >= 4 * WORD; n -= 4 * WORD, dw += 4) {
			dw[0] = pattern;
			dw[1] = pattern;
			dw[2] = pattern;
			dw[3] = pattern;
		}
		for (; n >= WORD; n -= WORD)
			*dw++ = pattern;
		d = (unsigned char *)dw;
	}
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	if (MISALIGN(x) == 0 && MISALIGN(y) == 0)
		for (; n >= WORD && *(const word_t *)x == *(const word_t *)y; n -= WORD) {
			x += WORD;
			y += WORD;
		}
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;
	for (; n; n--, p++)
		if (*p == (unsigned char)c)
			return (void *)p;
	return NULL;
}

void *memrchr(const void *s, int c, size_t n)
{
	const unsigned char *p = (const unsigned char *)s + n;
	while (n--)
		if (*--p == (unsigned char)c)
			return (void *)p;
	return NULL;
}
