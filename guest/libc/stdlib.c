/* stdlib.c: number conversions, integer arithmetic helpers, rand and getenv. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

static int digit_value(int c)
{
	if (isdigit(c))
		return c - '0';
	if (isalpha(c))
		return (c | 0x20) - 'a' + 10;
	return 99;
}

/*
 * The part of strtol and friends they share: whitespace, sign, base prefix and digits.
 * Returns the magnitude saturated at `limit` (with *overflow set); *end is s itself when
 * there are no digits.
 */
static unsigned long long parse(const char *s, char **end, int base, unsigned long long limit, bool *negative,
				bool *overflow)
{
	const char *p = s;
	*negative = false;
	*overflow = false;
	if (base < 0 || base == 1 || base > 36) {
		errno = EINVAL;
		if (end)
			*end = (char *)s;
		return 0;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '+' || *p == '-')
		*negative = *p++ == '-';
	if ((base == 0 || base == 16) && p[0] == '0' && (p[1] | 0x20) == 'x' && digit_value((unsigned char)p[2]) < 16) {
		p += 2;
		base = 16;
	} else if (base == 0) {
		base = *p == '0' ? 8 : 10;
	}
	const char *digits = p;
	unsigned long long value = 0;
	for (int d; (d = digit_value((unsigned char)*p)) < base; p++) {
		if (value > (limit - d) / base) {
			*overflow = true;
			value = limit;
		} else if (!*overflow) {
			value = value * base + d;
		}
	}
	if (end)
		*end = (char *)(p == digits ? s : p);
	return value;
}

static long long to_signed(const char *s, char **end, int base, long long min, long long max)
{
	bool negative, overflow;
	unsigned long long limit = (unsigned long long)max + 1;
	unsigned long long value = parse(s, end, base, limit, &negative, &overflow);
	if (overflow || (!negative && value == limit)) {
		errno = ERANGE;
		return negative ? min : max;
	}
	return negative ? (long long)(0 - value) : (long long)value;
}

static unsigned long long to_unsigned(const char *s, char **end, int base, unsigned long long max)
{
	bool negative, overflow;
	unsigned long long value = parse(s, end, base, max, &negative, &overflow);
	if (overflow) {
		errno = ERANGE;
		return max;
	}
	return negative ? 0 - value : value;
}

long strtol(const char *restrict s, char **restrict end, int base)
{
	return to_signed(s, end, base, LONG_MIN, LONG_MAX);
}

long long strtoll(const char *restrict s, char **restrict end, int base)
{
	return to_signed(s, end, base, LLONG_MIN, LLONG_MAX);
}

intmax_t strtoimax(const char *restrict s, char **restrict end, int base)
{
	return to_signed(s, end, base, INTMAX_MIN, INTMAX_MAX);
}

unsigned long strtoul(const char *restrict s, char **restrict end, int base)
{
	return to_unsigned(s, end, base, ULONG_MAX);
}

unsigned long long strtoull(const char *restrict s, char **restrict end, int base)
{
	return to_unsigned(s, end, base, ULLONG_MAX);
}

uintmax_t strtoumax(const char *restrict s, char **restrict end, int base)
{
	return to_unsigned(s, end, base, UINTMAX_MAX);
}

int atoi(const char *s)
{
	return (int)strtol(s, NULL, 10);
}

long atol(const char *s)
{
	return strtol(s, NULL, 10);
}

long long atoll(const char *s)
{
	return strtoll(s, NULL, 10);
}

int abs(int x)
{
	return x < 0 ? -x : x;
}

long labs(long x)
{
	return x < 0 ? -x : x;
}

long long llabs(long long x)
{
	return x < 0 ? -x : x;
}

intmax_t imaxabs(intmax_t x)
{
	return x < 0 ? -x : x;
}

div_t div(int num, int den)
{
	return (div_t){num / den, num % den};
}

ldiv_t ldiv(long num, long den)
{
	return (ldiv_t){num / den, num % den};
}

lldiv_t lldiv(long long num, long long den)
{
	return (lldiv_t){num / den, num % den};
}

imaxdiv_t imaxdiv(intmax_t num, intmax_t den)
{
	return (imaxdiv_t){num / den, num % den};
}

static unsigned long long rand_state = 1;

void srand(unsigned seed)
{
	rand_state = seed;
}

/* A 64-bit LCG (Knuth's MMIX constants); the high bits are the good ones. */
int rand(void)
{
	rand_state = rand_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (int)(rand_state >> 33);
}

/* A guest has no environment. */
char *getenv(const char *name)
{
	(void)name;
	return NULL;
}
