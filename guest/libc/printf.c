/* printf.c: the printf family, each a sink for the engine in format.c. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "libc.h"

/* Collects output for a stream so an unbuffered stderr gets one write per call, not one per piece. */
struct stream_sink {
	struct __corral_sink base;
	FILE *f;
	bool failed;
	size_t len;
	char buf[256];
};

static void drain(struct stream_sink *sink)
{
	if (sink->len > 0 && !__corral_stream_write(sink->f, sink->buf, sink->len))
		sink->failed = true;
	sink->len = 0;
}

static void put_stream(struct __corral_sink *base, const char *data, size_t len)
{
	struct stream_sink *sink = (struct stream_sink *)base;
	if (len > sizeof sink->buf - sink->len) {
		drain(sink);
		if (len >= sizeof sink->buf) {
			if (!__corral_stream_write(sink->f, data, len))
				sink->failed = true;
			return;
		}
	}
	memcpy(sink->buf + sink->len, data, len);
	sink->len += len;
}

int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap)
{
	struct stream_sink sink = {.base = {put_stream}, .f = f};
	int count = __corral_format(&sink.base, fmt, ap);
	drain(&sink);
	return sink.failed ? -1 : count;
}

int vprintf(const char *restrict fmt, va_list ap)
{
	return vfprintf(stdout, fmt, ap);
}

int fprintf(FILE *restrict f, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int count = vfprintf(f, fmt, ap);
	va_end(ap);
	return count;
}

int printf(const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int count = vfprintf(stdout, fmt, ap);
	va_end(ap);
	return count;
}

/* Keeps the first size - 1 characters; the count goes on so snprintf can report the full length. */
struct string_sink {
	struct __corral_sink base;
	char *dst;
	size_t capacity;
	size_t len;
};

static void put_string(struct __corral_sink *base, const char *data, size_t len)
{
	struct string_sink *sink = (struct string_sink *)base;
	if (sink->len < sink->capacity) {
		size_t n = sink->capacity - sink->len < len ? sink->capacity - sink->len : len;
		memcpy(sink->dst + sink->len, data, n);
		sink->len += n;
	}
}

int vsnprintf(char *restrict dst, size_t size, const char *restrict fmt, va_list ap)
{
	struct string_sink sink = {.base = {put_string}, .dst = dst, .capacity = size > 0 ? size - 1 : 0};
	int count = __corral_format(&sink.base, fmt, ap);
	if (size > 0)
		dst[sink.len] = 0;
	return count;
}

int vsprintf(char *restrict dst, const char *restrict fmt, va_list ap)
{
	return vsnprintf(dst, SIZE_MAX, fmt, ap);
}

int snprintf(char *restrict dst, size_t size, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int count = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	return count;
}

int sprintf(char *restrict dst, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int count = vsnprintf(dst, SIZE_MAX, fmt, ap);
	va_end(ap);
	return count;
}
