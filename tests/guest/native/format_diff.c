/*
 * format_diff.c: compares the guest libc's printf engine (guest/libc/format.c, built
 * natively) with glibc's snprintf on every combination of flags, width, precision,
 * length modifier and conversion the engine supports, over edge values. Host-only: it
 * runs on the build machine, where glibc is the reference.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "libc.h" /* guest/libc/libc.h */

struct buffer_sink {
	struct __corral_sink base;
	char *dst;
	size_t capacity;
	size_t len;
};

static void put(struct __corral_sink *base, const char *data, size_t len)
{
	struct buffer_sink *sink = (struct buffer_sink *)base;
	for (size_t i = 0; i < len; i++, sink->len++)
		if (sink->len < sink->capacity)
			sink->dst[sink->len] = data[i];
}

static int mine(char *dst, size_t size, const char *fmt, ...)
{
	struct buffer_sink sink = {{put}, dst, size - 1, 0};
	va_list ap;
	va_start(ap, fmt);
	int n = __corral_format(&sink.base, fmt, ap);
	va_end(ap);
	dst[sink.len < size - 1 ? sink.len : size - 1] = 0;
	return n;
}

static unsigned long checked, failures;

static void compare(const char *fmt, int glibc_n, const char *glibc, int mine_n, const char *ours)
{
	checked++;
	if (glibc_n == mine_n && memcmp(glibc, ours, glibc_n < 300 ? glibc_n : 300) == 0)
		return;
	if (failures++ < 30)
		printf("format \"%s\": glibc %d \"%s\", guest %d \"%s\"\n", fmt, glibc_n, glibc, mine_n, ours);
}

/* Calls both with the '*' arguments the format asks for, then the value as type T. */
#define RUN(T, value)                                                                            \
	do {                                                                                     \
		char a[400], b[400];                                                             \
		int n1, n2;                                                                      \
		switch (stars) {                                                                 \
		case 0:                                                                          \
			n1 = snprintf(a, sizeof a, fmt, (T)(value));                             \
			n2 = mine(b, sizeof b, fmt, (T)(value));                                 \
			break;                                                                   \
		case 1:                                                                          \
			n1 = snprintf(a, sizeof a, fmt, star_width, (T)(value));                 \
			n2 = mine(b, sizeof b, fmt, star_width, (T)(value));                     \
			break;                                                                   \
		case 2:                                                                          \
			n1 = snprintf(a, sizeof a, fmt, star_precision, (T)(value));             \
			n2 = mine(b, sizeof b, fmt, star_precision, (T)(value));                 \
			break;                                                                   \
		default:                                                                         \
			n1 = snprintf(a, sizeof a, fmt, star_width, star_precision, (T)(value)); \
			n2 = mine(b, sizeof b, fmt, star_width, star_precision, (T)(value));     \
			break;                                                                   \
		}                                                                                \
		compare(fmt, n1, a, n2, b);                                                      \
	} while (0)

static const long long integers[] = {
	0,          1,
	-1,         7,
	-7,         42,
	127,        -128,
	128,        255,
	256,        32767,
	-32768,     65535,
	65536,      INT_MAX,
	INT_MIN,    UINT_MAX,
	LONG_MAX,   LONG_MIN,
	-LONG_MAX,  0x123456789abcdefLL,
	01234567,   1000000000,
	-999999999,
};

static const char *const strings[] = {"", "a", "hello", "a longer string of text"};

static void run_integers(const char *fmt, int stars, int star_width, int star_precision, const char *length,
			 char conversion)
{
	int is_signed = conversion == 'd' || conversion == 'i';
	for (size_t i = 0; i < sizeof integers / sizeof integers[0]; i++) {
		long long v = integers[i];
		if (strcmp(length, "ll") == 0 || strcmp(length, "j") == 0 || strcmp(length, "l") == 0 ||
		    strcmp(length, "z") == 0 || strcmp(length, "t") == 0) {
			if (is_signed)
				RUN(long long, v);
			else
				RUN(unsigned long long, v);
		} else {
			if (is_signed)
				RUN(int, v);
			else
				RUN(unsigned, v);
		}
	}
}

int main(void)
{
	static const char *const flag_chars = "-+ #0";
	static const char *const widths[] = {"", "1", "5", "12", "*"};
	static const char *const precisions[] = {"", ".", ".0", ".1", ".3", ".12", ".*"};
	static const char *const lengths[] = {"", "hh", "h", "l", "ll", "z", "j", "t"};
	static const int star_values[] = {-9, 0, 9};
	static const int star_precision_values[] = {-1, 0, 4};
	char fmt[64];
	for (unsigned flags = 0; flags < 32; flags++) {
		char flag_text[8];
		size_t flag_len = 0;
		for (int f = 0; f < 5; f++)
			if (flags & 1u << f)
				flag_text[flag_len++] = flag_chars[f];
		flag_text[flag_len] = 0;
		for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++)
			for (size_t p = 0; p < sizeof precisions / sizeof precisions[0]; p++)
				for (int sw = 0; sw < 3; sw++)
					for (int sp = 0; sp < 3; sp++) {
						int stars = (widths[w][0] == '*') | (precisions[p][1] == '*') << 1;
						if ((sw > 0 && !(stars & 1)) || (sp > 0 && !(stars & 2)))
							continue;
						int star_width = star_values[sw],
						    star_precision = star_precision_values[sp];
						for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++)
							for (const char *c = "diouxX"; *c; c++) {
								snprintf(fmt, sizeof fmt, "[%%%s%s%s%s%c]", flag_text,
									 widths[w], precisions[p], lengths[l], *c);
								run_integers(fmt, stars, star_width, star_precision,
									     lengths[l], *c);
							}
						snprintf(fmt, sizeof fmt, "[%%%s%s%ss]", flag_text, widths[w],
							 precisions[p]);
						for (size_t s = 0; s < sizeof strings / sizeof strings[0]; s++)
							RUN(const char *, strings[s]);
						snprintf(fmt, sizeof fmt, "[%%%s%s%sc]", flag_text, widths[w],
							 precisions[p]);
						RUN(int, 'x');
						RUN(int, 0xfe);
						snprintf(fmt, sizeof fmt, "[%%%s%s%sp]", flag_text, widths[w],
							 precisions[p]);
						RUN(void *, 0);
						RUN(void *, 0x1234);
						RUN(void *, 0xdeadbeefcafeULL);
					}
	}
	printf("format_diff: %lu formats compared with glibc, %lu differ\n", checked, failures);
	return failures != 0;
}
