#include "text.h"

#include <stdbool.h>

void pvm_text_init(struct pvm_text *text, char *buffer, uint32_t capacity)
{
	text->buffer = buffer;
	text->capacity = capacity;
	text->length = 0;
	if (capacity)
		buffer[0] = 0;
}

void pvm_text_putc(struct pvm_text *text, char c)
{
	if (text->length + 1 >= text->capacity)
		return;
	text->buffer[text->length++] = c;
	text->buffer[text->length] = 0;
}

void pvm_text_put(struct pvm_text *text, const char *string)
{
	while (*string)
		pvm_text_putc(text, *string++);
}

void pvm_text_pad(struct pvm_text *text, uint32_t column)
{
	do
		pvm_text_putc(text, ' ');
	while (text->length < column && text->length + 1 < text->capacity);
}

static void put_unsigned(struct pvm_text *text, uint64_t value, unsigned base)
{
	char digits[24];
	int count = 0;
	do {
		digits[count++] = "0123456789abcdef"[value % base];
		value /= base;
	} while (value);
	while (count)
		pvm_text_putc(text, digits[--count]);
}

static void put_signed(struct pvm_text *text, int64_t value)
{
	if (value < 0) {
		pvm_text_putc(text, '-');
		put_unsigned(text, 0 - (uint64_t)value, 10);
	} else {
		put_unsigned(text, (uint64_t)value, 10);
	}
}

void pvm_vtextf(struct pvm_text *text, const char *format, va_list args)
{
	for (const char *p = format; *p; p++) {
		if (*p != '%') {
			pvm_text_putc(text, *p);
			continue;
		}
		p++;
		bool wide = false;
		if (p[0] == 'l' && p[1] == 'l') {
			wide = true;
			p += 2;
		}
		switch (*p) {
		case 's':
			pvm_text_put(text, va_arg(args, const char *));
			break;
		case 'c':
			pvm_text_putc(text, (char)va_arg(args, int));
			break;
		case 'd':
			put_signed(text, wide ? va_arg(args, long long) : va_arg(args, int));
			break;
		case 'u':
			put_unsigned(text, wide ? va_arg(args, unsigned long long) : va_arg(args, unsigned), 10);
			break;
		case 'x':
			put_unsigned(text, wide ? va_arg(args, unsigned long long) : va_arg(args, unsigned), 16);
			break;
		case '%':
			pvm_text_putc(text, '%');
			break;
		default:
			/* An unknown conversion is a bug in the caller's format;
			 * show it rather than guess at its argument. */
			pvm_text_putc(text, '%');
			if (*p)
				pvm_text_putc(text, *p);
			else
				return;
		}
	}
}

void pvm_textf(struct pvm_text *text, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	pvm_vtextf(text, format, args);
	va_end(args);
}

void pvm_error_set(struct pvm_error *error, uint32_t offset, const char *format, ...)
{
	if (!error)
		return;
	struct pvm_text text;
	pvm_text_init(&text, error->message, sizeof error->message);
	error->offset = offset;
	va_list args;
	va_start(args, format);
	pvm_vtextf(&text, format, args);
	va_end(args);
}
