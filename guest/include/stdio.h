/*
 * stdio.h: the three standard streams over the host's read and write calls. There is no
 * file system, so there is no fopen. stdout is fully buffered (flushed when full, by
 * fflush, before stdin is read, and at exit); stderr is unbuffered.
 *
 * printf has no floating point: %f %F %e %E %g %G %a %A consume their argument and print
 * "<no float>".
 */
#ifndef _STDIO_H
#define _STDIO_H

#include <stdarg.h>
#include <stddef.h>

typedef struct corral_file FILE;

extern FILE *const stdin;
extern FILE *const stdout;
extern FILE *const stderr;

#define EOF    (-1)
#define BUFSIZ 4096

#define _IOFBF 0
#define _IOLBF 1
#define _IONBF 2

#define FORMAT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

FORMAT_PRINTF(1, 2) int printf(const char *restrict fmt, ...);
FORMAT_PRINTF(2, 3) int fprintf(FILE *restrict f, const char *restrict fmt, ...);
FORMAT_PRINTF(2, 3) int sprintf(char *restrict dst, const char *restrict fmt, ...);
FORMAT_PRINTF(3, 4) int snprintf(char *restrict dst, size_t size, const char *restrict fmt, ...);
FORMAT_PRINTF(1, 0) int vprintf(const char *restrict fmt, va_list ap);
FORMAT_PRINTF(2, 0) int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap);
FORMAT_PRINTF(2, 0) int vsprintf(char *restrict dst, const char *restrict fmt, va_list ap);
FORMAT_PRINTF(3, 0) int vsnprintf(char *restrict dst, size_t size, const char *restrict fmt, va_list ap);

#undef FORMAT_PRINTF

int fputc(int c, FILE *f);
int putc(int c, FILE *f);
int putchar(int c);
int fputs(const char *restrict s, FILE *restrict f);
int puts(const char *s);
size_t fwrite(const void *restrict buf, size_t size, size_t count, FILE *restrict f);
int fflush(FILE *f);

int fgetc(FILE *f);
int getc(FILE *f);
int getchar(void);
int ungetc(int c, FILE *f);
char *fgets(char *restrict s, int size, FILE *restrict f);
size_t fread(void *restrict buf, size_t size, size_t count, FILE *restrict f);

int feof(FILE *f);
int ferror(FILE *f);
void clearerr(FILE *f);
int setvbuf(FILE *restrict f, char *restrict buf, int mode, size_t size);
void perror(const char *s);

#endif
