/*
 * memcpy_unaligned.c: memcpy, memmove and memset for every source and destination
 * misalignment 0..15 and every length 0..100, each checked byte by byte against a plain
 * loop, including the bytes around the destination (no overruns); overlapping memmove in
 * both directions; memcmp and memchr at all offsets.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SPAN 256

static unsigned char source[SPAN], target[SPAN], expected[SPAN];
static unsigned long errors;
static uint64_t checksum;

static void fill(unsigned char *buf, unsigned seed)
{
	for (int i = 0; i < SPAN; i++)
		buf[i] = (unsigned char)(i * 7 + seed * 13 + 1);
}

static void compare(const char *what, unsigned a, unsigned b, unsigned len)
{
	for (int i = 0; i < SPAN; i++) {
		checksum = (checksum ^ target[i]) * 0x100000001b3ULL;
		if (target[i] != expected[i]) {
			if (errors++ < 10)
				printf("%s misalign %u/%u length %u: byte %d is %d, not %d\n", what, a, b, len, i,
				       target[i], expected[i]);
			return;
		}
	}
}

/* Returned through a volatile pointer so the compiler cannot inline the library call away. */
static void *(*volatile copy)(void *restrict, const void *restrict, size_t) = memcpy;
static void *(*volatile move)(void *, const void *, size_t) = memmove;
static void *(*volatile set)(void *, int, size_t) = memset;

int main(void)
{
	fill(source, 1);
	for (unsigned s = 0; s < 16; s++)
		for (unsigned d = 0; d < 16; d++)
			for (unsigned len = 0; len <= 100; len++) {
				fill(target, 2);
				fill(expected, 2);
				for (unsigned i = 0; i < len; i++)
					expected[32 + d + i] = source[32 + s + i];
				if (copy(target + 32 + d, source + 32 + s, len) != target + 32 + d)
					errors++;
				compare("memcpy", s, d, len);
			}
	printf("memcpy: checksum %016llx\n", (unsigned long long)checksum);

	checksum = 0;
	for (unsigned d = 0; d < 16; d++)
		for (unsigned len = 0; len <= 100; len++) {
			int value = (int)(len * 37 + d) - 128; /* negative values too: memset takes (unsigned char)c */
			fill(target, 3);
			fill(expected, 3);
			for (unsigned i = 0; i < len; i++)
				expected[32 + d + i] = (unsigned char)value;
			if (set(target + 32 + d, value, len) != target + 32 + d)
				errors++;
			compare("memset", 0, d, len);
		}
	printf("memset: checksum %016llx\n", (unsigned long long)checksum);

	/* Overlapping moves: the destination before, on and after the source, by -20..20 bytes. */
	checksum = 0;
	for (int shift = -20; shift <= 20; shift++)
		for (unsigned s = 0; s < 16; s++)
			for (unsigned len = 0; len <= 100; len++) {
				unsigned from = 64 + s, to = (unsigned)((int)from + shift);
				fill(target, 4);
				fill(expected, 4);
				unsigned char saved[SPAN];
				for (unsigned i = 0; i < len; i++)
					saved[i] = expected[from + i];
				for (unsigned i = 0; i < len; i++)
					expected[to + i] = saved[i];
				if (move(target + to, target + from, len) != target + to)
					errors++;
				compare("memmove", s, to % 16, len);
			}
	printf("memmove: checksum %016llx\n", (unsigned long long)checksum);

	/* memcmp's sign and memchr's position at every alignment. */
	long order = 0, found = 0;
	for (unsigned a = 0; a < 16; a++)
		for (unsigned len = 1; len <= 64; len++) {
			fill(target, 5);
			fill(expected, 5);
			if (memcmp(target + a, expected + a, len) != 0)
				errors++;
			expected[a + len - 1] ^= 0x80;
			int c = memcmp(target + a, expected + a, len);
			order += c < 0 ? -1 : c > 0 ? 1 : 0;
			if (c == 0)
				errors++;
			unsigned char *p = memchr(target + a, target[a + len - 1], len);
			found += p ? p - (target + a) : -1;
		}
	printf("memcmp order sum %ld, memchr position sum %ld\n", order, found);
	printf("errors: %lu\n", errors);
	return errors != 0;
}
