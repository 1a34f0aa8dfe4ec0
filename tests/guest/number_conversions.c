/* number_conversions.c: atoi and the strto* family: bases, prefixes, signs, overflow and errno, end pointers. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

static void try_strtol(const char *s, int base)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, base);
	printf("strtol(\"%s\", %d) = %ld, rest \"%s\"%s\n", s, base, v, end, errno == ERANGE ? ", ERANGE" : "");
}

static void try_strtoul(const char *s, int base)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, base);
	printf("strtoul(\"%s\", %d) = %lu, rest \"%s\"%s\n", s, base, v, end, errno == ERANGE ? ", ERANGE" : "");
}

static void try_strtoll(const char *s, int base)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, base);
	printf("strtoll(\"%s\", %d) = %lld, rest \"%s\"%s\n", s, base, v, end, errno == ERANGE ? ", ERANGE" : "");
}

static void try_strtoull(const char *s, int base)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	printf("strtoull(\"%s\", %d) = %llu, rest \"%s\"%s\n", s, base, v, end, errno == ERANGE ? ", ERANGE" : "");
}

int main(void)
{
	printf("atoi: %d %d %d %d %d\n", atoi("42"), atoi("  -17xyz"), atoi("+8"), atoi("abc"), atoi(""));
	printf("atol: %ld %ld\n", atol("9223372036854775807"), atol("-9223372036854775808"));
	printf("atoll: %lld\n", atoll("  123456789012345"));

	const char *decimal[] = {"0",
				 "123",
				 "-123",
				 "+123",
				 "  \t\n 42",
				 "12abc",
				 "abc",
				 "",
				 "-",
				 "+ 1",
				 "9223372036854775807",
				 "9223372036854775808",
				 "-9223372036854775808",
				 "-9223372036854775809",
				 "99999999999999999999999"};
	for (unsigned i = 0; i < sizeof decimal / sizeof decimal[0]; i++)
		try_strtol(decimal[i], 10);
	const char *prefixed[] = {"0x1f", "0X1F", "0x", "0xg", "017", "08", "0", "-0x10", "1f"};
	for (unsigned i = 0; i < sizeof prefixed / sizeof prefixed[0]; i++) {
		try_strtol(prefixed[i], 0);
		try_strtol(prefixed[i], 16);
	}
	try_strtol("101011", 2);
	try_strtol("zz", 36);
	try_strtol("ZZ", 36);
	try_strtol("777", 8);
	try_strtol("789", 8);
	try_strtol("-7fffffffffffffff", 16);
	try_strtol("-8000000000000000", 16);
	try_strtol("8000000000000000", 16);

	try_strtoul("18446744073709551615", 10);
	try_strtoul("18446744073709551616", 10);
	try_strtoul("-1", 10);
	try_strtoul("-18446744073709551615", 10);
	try_strtoul("0xffffffffffffffff", 0);
	try_strtoul("  +77", 8);
	try_strtoll("-9223372036854775808", 10);
	try_strtoll("1y", 35);
	try_strtoull("123456789abcdef0", 16);
	try_strtoull("-2", 10);

	errno = 0;
	char *end;
	intmax_t m = strtoimax("-12345678901234", &end, 10);
	uintmax_t u = strtoumax("777777777777", &end, 8);
	printf("strtoimax %jd, strtoumax %ju, errno %d\n", m, u, errno);
	printf("abs %d %ld %lld %jd\n", abs(-5), labs(-6L), llabs(-7LL), imaxabs(-8));
	div_t d = div(-17, 5);
	ldiv_t ld = ldiv(17L, -5L);
	lldiv_t lld = lldiv(-17LL, -5LL);
	printf("div %d %d, ldiv %ld %ld, lldiv %lld %lld\n", d.quot, d.rem, ld.quot, ld.rem, lld.quot, lld.rem);
	return 0;
}
