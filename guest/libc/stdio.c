/*
 * stdio.c: the three standard streams over the host's read (1002) and write (1001) calls.
 * stdout is fully buffered and flushed when full, by fflush, before stdin is read and at
 * exit; stderr is unbuffered; setvbuf changes either.
 */
#include <corral_guest.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libc.h"

enum stream_state {
	STREAM_EOF = 1 << 0,
	STREAM_ERROR = 1 << 1,
};

struct corral_file {
	int fd;
	bool input;
	int mode; /* _IOFBF, _IOLBF or _IONBF */
	unsigned state;
	unsigned char *buf;
	size_t size;
	size_t pos;   /* output: bytes waiting in buf; input: the next byte to hand out */
	size_t end;   /* input: bytes in buf */
	int pushback; /* the character ungetc gave back, or EOF */
};

static unsigned char stdin_buf[BUFSIZ], stdout_buf[BUFSIZ];

static struct corral_file streams[] = {
	{.fd = 0, .input = true, .mode = _IOFBF, .buf = stdin_buf, .size = sizeof stdin_buf, .pushback = EOF},
	{.fd = 1, .mode = _IOFBF, .buf = stdout_buf, .size = sizeof stdout_buf, .pushback = EOF},
	{.fd = 2, .mode = _IONBF, .pushback = EOF},
};

FILE *const stdin = &streams[0];
FILE *const stdout = &streams[1];
FILE *const stderr = &streams[2];

static bool write_all(FILE *f, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		long n = corral_write(f->fd, p, len);
		if (n <= 0) {
			f->state |= STREAM_ERROR;
			errno = EIO;
			return false;
		}
		p += n;
		len -= n;
	}
	return true;
}

static bool flush(FILE *f)
{
	if (f->input || f->pos == 0)
		return true;
	size_t len = f->pos;
	f->pos = 0;
	return write_all(f, f->buf, len);
}

bool __corral_stream_write(FILE *f, const void *data, size_t len)
{
	if (f->input) {
		f->state |= STREAM_ERROR;
		errno = EBADF;
		return false;
	}
	if (f->mode == _IONBF)
		return write_all(f, data, len);
	if (len > f->size - f->pos) {
		if (!flush(f))
			return false;
		if (len >= f->size)
			return write_all(f, data, len);
	}
	memcpy(f->buf + f->pos, data, len);
	f->pos += len;
	if (f->mode == _IOLBF && memchr(data, '\n', len))
		return flush(f);
	return true;
}

void __corral_stdio_flush_all(void)
{
	flush(stdout);
	flush(stderr);
}

int fflush(FILE *f)
{
	if (f == NULL) {
		bool out = flush(stdout), err = flush(stderr);
		return out && err ? 0 : EOF;
	}
	return flush(f) ? 0 : EOF;
}

int setvbuf(FILE *restrict f, char *restrict buf, int mode, size_t size)
{
	if (f->input || (mode != _IOFBF && mode != _IOLBF && mode != _IONBF) || !flush(f))
		return EOF;
	if (mode != _IONBF && buf != NULL && size > 0) {
		f->buf = (unsigned char *)buf;
		f->size = size;
	} else if (mode != _IONBF && f->buf == NULL) {
		if ((f->buf = malloc(BUFSIZ)) == NULL)
			return EOF;
		f->size = BUFSIZ;
	}
	f->mode = mode;
	return 0;
}

int fputc(int c, FILE *f)
{
	unsigned char byte = (unsigned char)c;
	if (f->mode == _IOFBF && f->pos < f->size && !f->input) {
		f->buf[f->pos++] = byte;
		return byte;
	}
	return __corral_stream_write(f, &byte, 1) ? byte : EOF;
}

int putc(int c, FILE *f)
{
	return fputc(c, f);
}

int putchar(int c)
{
	return fputc(c, stdout);
}

/* The success values are glibc's: 1 from fputs, the bytes written from puts. */
int fputs(const char *restrict s, FILE *restrict f)
{
	return __corral_stream_write(f, s, strlen(s)) ? 1 : EOF;
}

int puts(const char *s)
{
	size_t len = strlen(s);
	if (!__corral_stream_write(stdout, s, len) || fputc('\n', stdout) == EOF)
		return EOF;
	return len < INT_MAX ? (int)len + 1 : INT_MAX;
}

size_t fwrite(const void *restrict buf, size_t size, size_t count, FILE *restrict f)
{
	if (size == 0 || count == 0)
		return 0;
	return __corral_stream_write(f, buf, size * count) ? count : 0;
}

/* Refills an input stream's buffer; stdout is flushed first so a prompt shows. */
static bool fill(FILE *f)
{
	if (!f->input) {
		f->state |= STREAM_ERROR;
		errno = EBADF;
		return false;
	}
	if (f->state & STREAM_EOF)
		return false;
	flush(stdout);
	long n = corral_read(f->fd, f->buf, f->size);
	if (n <= 0) {
		f->state |= n == 0 ? STREAM_EOF : STREAM_ERROR;
		if (n < 0)
			errno = EIO;
		return false;
	}
	f->pos = 0;
	f->end = n;
	return true;
}

int fgetc(FILE *f)
{
	if (f->pushback != EOF) {
		int c = f->pushback;
		f->pushback = EOF;
		return c;
	}
	if (f->pos == f->end && !fill(f))
		return EOF;
	return f->buf[f->pos++];
}

int getc(FILE *f)
{
	return fgetc(f);
}

int getchar(void)
{
	return fgetc(stdin);
}

int ungetc(int c, FILE *f)
{
	if (c == EOF || f->pushback != EOF || !f->input)
		return EOF;
	f->pushback = (unsigned char)c;
	f->state &= ~STREAM_EOF;
	return f->pushback;
}

char *fgets(char *restrict s, int size, FILE *restrict f)
{
	if (size <= 0)
		return NULL;
	int len = 0;
	while (len < size - 1) {
		int c = fgetc(f);
		if (c == EOF) {
			if (len == 0 || (f->state & STREAM_ERROR))
				return NULL;
			break;
		}
		s[len++] = (char)c;
		if (c == '\n')
			break;
	}
	s[len] = 0;
	return s;
}

size_t fread(void *restrict buf, size_t size, size_t count, FILE *restrict f)
{
	if (size == 0 || count == 0)
		return 0;
	if (count > (size_t)-1 / size)
		count = (size_t)-1 / size;
	unsigned char *p = buf;
	size_t want = size * count, got = 0;
	if (f->pushback != EOF && want > 0) {
		p[got++] = (unsigned char)f->pushback;
		f->pushback = EOF;
	}
	while (got < want) {
		if (f->pos == f->end && !fill(f))
			break;
		size_t n = f->end - f->pos;
		if (n > want - got)
			n = want - got;
		memcpy(p + got, f->buf + f->pos, n);
		f->pos += n;
		got += n;
	}
	return got / size;
}

int feof(FILE *f)
{
	return (f->state & STREAM_EOF) != 0;
}

int ferror(FILE *f)
{
	return (f->state & STREAM_ERROR) != 0;
}

void clearerr(FILE *f)
{
	f->state = 0;
}

void perror(const char *s)
{
	int error = errno;
	if (s != NULL && *s) {
		fputs(s, stderr);
		fputs(": ", stderr);
	}
	fputs(strerror(error), stderr);
	fputc('\n', stderr);
}
