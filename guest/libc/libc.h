/* libc.h: declarations shared by the files of the guest libc; not part of the SDK interface. */
#ifndef CORRAL_LIBC_H
#define CORRAL_LIBC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A destination for the printf engine: `put` receives every piece of output in order. */
struct __corral_sink {
	void (*put)(struct __corral_sink *sink, const char *data, size_t len);
};

/* Formats like vprintf into `sink`; returns the number of characters produced. */
int __corral_format(struct __corral_sink *sink, const char *fmt, va_list ap);

/* Writes to a stream through its buffer; false (with the error flag set) when the host refused. */
bool __corral_stream_write(FILE *f, const void *data, size_t len);

/* Writes out whatever stdout and stderr still hold; exit() calls it. */
void __corral_stdio_flush_all(void);

#endif
