/* string.c: NUL-terminated byte strings. */
#define CORRAL_LIBC_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t __attribute__((may_alias)) word_t;

#define ONES        ((word_t)0x0101010101010101)
#define HIGHS       ((word_t)0x8080808080808080)
#define HAS_ZERO(w) (((w)-ONES) & ~(w)&HIGHS)

size_t strlen(const char *s)
{
	const char *p = s;
	while ((uintptr_t)p & (sizeof(word_t) - 1)) {
		if (*p == 0)
			return p - s;
		p++;
	}
	/* Aligned words never cross a page, so reading past the terminator cannot fault. */
	const word_t *w = (const word_t *)p;
	while (!HAS_ZERO(*w))
		w++;
	for (p = (const char *)w; *p; p++)
		;
	return p - s;
}

size_t strnlen(const char *s, size_t max)
{
	const char *end = memchr(s, 0, max);
	return end ? (size_t)(end - s) : max;
}

int strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	while (*x && *x == *y) {
		x++;
		y++;
	}
	return *x - *y;
}

int strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	if (n == 0)
		return 0;
	while (--n && *x && *x == *y) {
		x++;
		y++;
	}
	return *x - *y;
}

char *strcpy(char *restrict dst, const char *restrict src)
{
	memcpy(dst, src, strlen(src) + 1);
	return dst;
}

char *strncpy(char *restrict dst, const char *restrict src, size_t n)
{
	size_t len = strnlen(src, n);
	memcpy(dst, src, len);
	memset(dst + len, 0, n - len);
	return dst;
}

char *strcat(char *restrict dst, const char *restrict src)
{
	strcpy(dst + strlen(dst), src);
	return dst;
}

char *strncat(char *restrict dst, const char *restrict src, size_t n)
{
	char *end = dst + strlen(dst);
	size_t len = strnlen(src, n);
	memcpy(end, src, len);
	end[len] = 0;
	return dst;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (*s == 0)
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	return memrchr(s, c, strlen(s) + 1);
}

char *strstr(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0)
		return (char *)haystack;
	for (; (haystack = strchr(haystack, *needle)) != NULL; haystack++)
		if (strncmp(haystack, needle, n) == 0)
			return (char *)haystack;
	return NULL;
}

size_t strspn(const char *s, const char *accept)
{
	size_t n = 0;
	while (s[n] && strchr(accept, s[n]))
		n++;
	return n;
}

size_t strcspn(const char *s, const char *reject)
{
	size_t n = 0;
	while (s[n] && !strchr(reject, s[n]))
		n++;
	return n;
}

char *strpbrk(const char *s, const char *accept)
{
	s += strcspn(s, accept);
	return *s ? (char *)s : NULL;
}

char *strtok_r(char *restrict s, const char *restrict sep, char **restrict state)
{
	if (s == NULL)
		s = *state;
	if (s == NULL)
		return NULL;
	s += strspn(s, sep);
	if (*s == 0) {
		*state = NULL;
		return NULL;
	}
	char *end = s + strcspn(s, sep);
	if (*end) {
		*end = 0;
		*state = end + 1;
	} else {
		*state = NULL;
	}
	return s;
}

char *strtok(char *restrict s, const char *restrict sep)
{
	static char *state;
	return strtok_r(s, sep, &state);
}

static char *copy_of(const char *s, size_t len)
{
	char *copy = malloc(len + 1);
	if (copy) {
		memcpy(copy, s, len);
		copy[len] = 0;
	}
	return copy;
}

char *strndup(const char *s, size_t n)
{
	return copy_of(s, strnlen(s, n));
}

char *strdup(const char *s)
{
	return copy_of(s, strlen(s));
}
