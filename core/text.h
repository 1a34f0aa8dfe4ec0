/* Text into a caller's buffer, without libc: error messages and disassembly.
 *
 * pvm_textf understands %s %c %d %u %x (int-sized), %lld %llu %llx (64-bit),
 * and %% — nothing else. Output that does not fit is cut, never overrun. */
#ifndef PVM_TEXT_H
#define PVM_TEXT_H

#include <stdarg.h>
#include <stdint.h>

struct pvm_text {
	char *buffer;
	uint32_t capacity; /* bytes, including the terminating NUL */
	uint32_t length;
};

void pvm_text_init(struct pvm_text *text, char *buffer, uint32_t capacity);
void pvm_text_put(struct pvm_text *text, const char *string);
void pvm_text_putc(struct pvm_text *text, char c);
void pvm_text_pad(struct pvm_text *text, uint32_t column);
void pvm_textf(struct pvm_text *text, const char *format, ...) __attribute__((format(printf, 2, 3)));
void pvm_vtextf(struct pvm_text *text, const char *format, va_list args);

/* The error every core function reports: what was wrong and where. */
struct pvm_error {
	uint32_t offset; /* byte offset in the input, when it has one */
	char message[480];
};

void pvm_error_set(struct pvm_error *error, uint32_t offset, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

#endif
