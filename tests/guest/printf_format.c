/*
 * printf_format.c: every conversion, flag, width, precision and length modifier the guest
 * printf supports, with values glibc formats the same way, through printf, fprintf,
 * sprintf, snprintf (with truncation), vprintf and the character-output functions.
 * (Exhaustive combinations are compared with glibc by tests/guest/native/format_diff.c.)
 */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int through_vprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

static int through_vsnprintf(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	return n;
}

int main(void)
{
	/* Conversions. */
	printf("d: [%d] [%d] [%d] [%d] [%d]\n", 0, 1, -1, INT_MAX, INT_MIN);
	printf("i: [%i] [%i] [%i]\n", 42, -42, 1000000);
	printf("u: [%u] [%u] [%u]\n", 0u, 4000000000u, UINT_MAX);
	printf("o: [%o] [%o] [%o] [%o]\n", 0u, 8u, 0777u, UINT_MAX);
	printf("x: [%x] [%x] [%x] [%x]\n", 0u, 255u, 0xdeadbeefu, UINT_MAX);
	printf("X: [%X] [%X] [%X]\n", 0u, 255u, 0xdeadbeefu);
	printf("c: [%c] [%c] [%c]\n", 'a', 'Z', '~');
	printf("s: [%s] [%s] [%s]\n", "", "word", "two words");
	printf("p: [%p]\n", (void *)0);
	printf("%%: [%%] [100%%]\n");

	/* Flags. */
	printf("minus: [%-5d] [%-5s] [%-5c] [%-8x]\n", 42, "ab", 'q', 0xabcu);
	printf("plus: [%+d] [%+d] [%+d] [%+i]\n", 0, 5, -5, INT_MAX);
	printf("space: [% d] [% d] [% d]\n", 0, 5, -5);
	printf("hash: [%#o] [%#o] [%#x] [%#x] [%#X] [%#X]\n", 0u, 8u, 0u, 255u, 0u, 255u);
	printf("zero: [%05d] [%05d] [%08x] [%08X] [%05o] [%05u]\n", 42, -42, 0xbeefu, 0xbeefu, 8u, 7u);
	printf("plus zero: [%+06d] [%+06d]\n", 42, -42);
	printf("space zero: [% 06d] [% 06d]\n", 42, -42);
	printf("hash zero: [%#010x] [%#010o] [%#08X]\n", 0x1234u, 0644u, 0xabu);
	printf("minus hash: [%-#10x] [%-#10o]\n", 0x1234u, 0644u);

	/* Width and precision. */
	printf("width: [%1d] [%5d] [%12d] [%3s] [%10s]\n", 12345, 12345, -12345, "hello", "hello");
	printf("precision d: [%.0d] [%.0d] [%.1d] [%.5d] [%.5d] [%.10d]\n", 0, 7, 0, 42, -42, INT_MIN);
	printf("precision x: [%.0x] [%.4x] [%#.0x] [%#.4x] [%#.0o] [%.3o]\n", 0u, 0xau, 0u, 0xau, 0u, 8u);
	printf("precision s: [%.0s] [%.2s] [%.10s] [%.5s]\n", "abc", "abc", "abc", "hello world");
	printf("width and precision: [%8.3d] [%-8.3d] [%+8.3d] [%10.4s] [%-10.4s]\n", 7, 7, 7, "abcdefg", "abcdefg");
	printf("star: [%*d] [%-*d] [%*d] [%.*d] [%.*d] [%*.*d]\n", 6, 42, 6, 42, -6, 42, 4, 42, -1, 42, 8, 5, -42);
	printf("star s: [%*s] [%.*s] [%*.*s]\n", 7, "abc", 2, "abc", -7, 1, "abc");
	printf("long width: [%40d]\n", 1);
	printf("long precision: [%.40d]\n", -1);

	/* Length modifiers. */
	printf("hh: [%hhd] [%hhd] [%hhu] [%hhx] [%hhd]\n", 127, -128, 255, 0xab, 300);
	printf("h: [%hd] [%hd] [%hu] [%hx] [%hd]\n", 32767, -32768, 65535, 0xabcd, 70000);
	printf("l: [%ld] [%ld] [%lu] [%lx] [%lo]\n", LONG_MAX, LONG_MIN, ULONG_MAX, 0x123456789abcdefUL, 01777UL);
	printf("ll: [%lld] [%lld] [%llu] [%llX]\n", LLONG_MAX, LLONG_MIN, ULLONG_MAX, 0xfedcba9876543210ULL);
	printf("z: [%zu] [%zd] [%zx]\n", sizeof(long long), (ptrdiff_t)-5, (size_t)0xffff);
	printf("j: [%jd] [%ju] [%jx]\n", INTMAX_MIN, UINTMAX_MAX, (uintmax_t)0x1122334455667788ULL);
	printf("t: [%td] [%td]\n", (ptrdiff_t)-123456789, (ptrdiff_t)PTRDIFF_MAX);
	printf("inttypes: [%" PRId8 "] [%" PRId16 "] [%" PRId32 "] [%" PRId64 "] [%" PRIu64 "] [%" PRIx64 "] [%" PRIX64
	       "]\n",
	       (int8_t)-8, (int16_t)-16, (int32_t)-32, (int64_t)-64, UINT64_MAX, (uint64_t)0xabcdef,
	       (uint64_t)0xabcdef);
	printf("combined: [%-+12lld] [%#18llx] [%020llu] [% .12ld]\n", -1234567890123LL, 0xfeedULL, 12345ULL, 99L);

	/* Return values and the other printf-family functions. */
	char buf[64];
	int n = sprintf(buf, "%s-%d-%c", "abc", 123, 'x');
	printf("sprintf: \"%s\" returned %d\n", buf, n);
	/* volatile sizes: truncation is the point here, and gcc would warn about it. */
	volatile size_t eight = 8, one = 1;
	n = snprintf(buf, eight, "%s", "truncated output");
	printf("snprintf truncated: \"%s\" returned %d\n", buf, n);
	n = snprintf(buf, one, "%d", 12345);
	printf("snprintf size 1: \"%s\" returned %d\n", buf, n);
	n = snprintf(NULL, 0, "%d and %s", 12345, "more");
	printf("snprintf NULL 0: returned %d\n", n);
	n = through_vsnprintf(buf, sizeof buf, "%05d|%-4s|%x", 42, "ab", 255u);
	printf("vsnprintf: \"%s\" returned %d\n", buf, n);
	n = through_vprintf("vprintf: %s %d %u\n", "args", -1, 1u);
	printf("vprintf returned %d\n", n);
	n = printf("printf returns the count\n");
	printf("printf returned %d\n", n);
	n = fprintf(stdout, "fprintf to stdout: %d\n", 7);
	printf("fprintf returned %d\n", n);
	n = printf("%s", "");
	printf("empty printf returned %d\n", n);

	putchar('p');
	putc('u', stdout);
	fputc('t', stdout);
	putchar('\n');
	fputs("fputs without newline", stdout);
	puts(" and puts with one");
	fwrite("fwrite 12345\n", 1, 13, stdout);
	n = (int)fwrite("abcdef", 2, 3, stdout);
	printf(" <- fwrite wrote %d items\n", n);

	/* A long line crosses stdout's buffer size. */
	for (int i = 0; i < 1000; i++)
		printf("%c", 'a' + i % 26);
	printf("\n");
	fflush(stdout);
	printf("after fflush\n");
	return 0;
}
