/* string.h: byte strings and memory. */
#ifndef _STRING_H
#define _STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
void *memrchr(const void *s, int c, size_t n);

size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *restrict dst, const char *restrict src);
char *strncpy(char *restrict dst, const char *restrict src, size_t n);
char *strcat(char *restrict dst, const char *restrict src);
char *strncat(char *restrict dst, const char *restrict src, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
size_t strspn(const char *s, const char *accept);
size_t strcspn(const char *s, const char *reject);
char *strpbrk(const char *s, const char *accept);
char *strtok(char *restrict s, const char *restrict sep);
char *strtok_r(char *restrict s, const char *restrict sep, char **restrict state);
char *strdup(const char *s);
char *strndup(const char *s, size_t n);
char *strerror(int errnum);

/*
 * -ffreestanding turns off clang's knowledge of these functions; the macros give it back,
 * so a memcpy of a few bytes is done inline, without a call. They still call the functions
 * above when the size is not a small constant. A program that defines one of these
 * functions itself must #undef its macro first.
 */
#if defined(__clang__) && !defined(CORRAL_LIBC_SOURCE)
#define memcpy(dst, src, n)  __builtin_memcpy(dst, src, n)
#define memmove(dst, src, n) __builtin_memmove(dst, src, n)
#define memset(dst, c, n)    __builtin_memset(dst, c, n)
#define memcmp(a, b, n)      __builtin_memcmp(a, b, n)
#define strlen(s)            __builtin_strlen(s)
#endif

#endif
