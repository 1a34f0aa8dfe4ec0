/*
 * format.c: the printf engine behind every printf-family function.
 *
 * Conversions: d i u o x X c s p %, with the flags - + space # 0, a width and a precision
 * (digits or *), and the length modifiers hh h l ll (also q and L) z j t. There is no
 * floating point: f F e E g G a A consume their double (long double with L) and print
 * "<no float>". %n consumes its pointer and stores nothing. Any other conversion is
 * printed as it was written. Output matches glibc for everything listed here.
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "libc.h"

enum flag {
	LEFT = 1 << 0,
	PLUS = 1 << 1,
	SPACE = 1 << 2,
	ALT = 1 << 3,
	ZERO = 1 << 4,
};

enum length {
	LENGTH_INT,
	LENGTH_CHAR,
	LENGTH_SHORT,
	LENGTH_LONG,
	LENGTH_LONG_LONG,
	LENGTH_SIZE,
	LENGTH_INTMAX,
	LENGTH_PTRDIFF,
	LENGTH_LONG_DOUBLE,
};

struct spec {
	unsigned flags;
	size_t width;
	int precision; /* -1: none given */
	enum length length;
	char conversion;
};

struct output {
	struct __corral_sink *sink;
	size_t count;
};

static void emit(struct output *out, const char *data, size_t len)
{
	if (len > 0) {
		out->sink->put(out->sink, data, len);
		out->count += len;
	}
}

static void emit_repeated(struct output *out, char c, size_t n)
{
	static const char spaces[] = "                                ";
	static const char zeros[] = "00000000000000000000000000000000";
	const char *run = c == ' ' ? spaces : zeros;
	while (n > 0) {
		size_t len = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
		emit(out, run, len);
		n -= len;
	}
}

/* Writes prefix, `zeros` zeros and body, padded with spaces to the field width. */
static void emit_field(struct output *out, const struct spec *spec, const char *prefix, size_t prefix_len, size_t zeros,
		       const char *body, size_t body_len)
{
	size_t len = prefix_len + zeros + body_len;
	size_t fill = spec->width > len ? spec->width - len : 0;
	if (!(spec->flags & LEFT))
		emit_repeated(out, ' ', fill);
	emit(out, prefix, prefix_len);
	emit_repeated(out, '0', zeros);
	emit(out, body, body_len);
	if (spec->flags & LEFT)
		emit_repeated(out, ' ', fill);
}

static void format_integer(struct output *out, const struct spec *spec, uintmax_t value, bool negative)
{
	char digits[3 * sizeof value];
	char *end = digits + sizeof digits, *p = end;
	char c = spec->conversion;
	unsigned base = c == 'o' ? 8 : c == 'x' || c == 'X' || c == 'p' ? 16 : 10;
	const char *alphabet = c == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	bool is_signed = c == 'd' || c == 'i' || c == 'p'; /* glibc gives %p the sign flags */

	char prefix[2];
	size_t prefix_len = 0;
	if (negative)
		prefix[prefix_len++] = '-';
	else if (is_signed && (spec->flags & PLUS))
		prefix[prefix_len++] = '+';
	else if (is_signed && (spec->flags & SPACE))
		prefix[prefix_len++] = ' ';
	if (c == 'p' || ((c == 'x' || c == 'X') && (spec->flags & ALT) && value != 0)) {
		prefix[prefix_len++] = '0';
		prefix[prefix_len++] = c == 'X' ? 'X' : 'x';
	}

	for (; value != 0; value /= base)
		*--p = alphabet[value % base];
	size_t len = end - p;
	size_t precision = spec->precision < 0 ? 1 : (size_t)spec->precision;
	size_t zeros = precision > len ? precision - len : 0;
	/* '#' with o: the first digit is a 0 (the leading digit of a nonzero value is not). */
	if (c == 'o' && (spec->flags & ALT) && zeros == 0)
		zeros = 1;
	if ((spec->flags & ZERO) && !(spec->flags & LEFT) && spec->precision < 0 &&
	    spec->width > prefix_len + zeros + len)
		zeros = spec->width - prefix_len - len;
	emit_field(out, spec, prefix, prefix_len, zeros, p, len);
}

static intmax_t signed_argument(enum length length, va_list *ap)
{
	switch (length) {
	case LENGTH_CHAR:
		return (signed char)va_arg(*ap, int);
	case LENGTH_SHORT:
		return (short)va_arg(*ap, int);
	case LENGTH_LONG:
		return va_arg(*ap, long);
	case LENGTH_LONG_LONG:
	case LENGTH_LONG_DOUBLE:
		return va_arg(*ap, long long);
	case LENGTH_SIZE:
		return va_arg(*ap, long);
	case LENGTH_INTMAX:
		return va_arg(*ap, intmax_t);
	case LENGTH_PTRDIFF:
		return va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, int);
	}
}

static uintmax_t unsigned_argument(enum length length, va_list *ap)
{
	switch (length) {
	case LENGTH_CHAR:
		return (unsigned char)va_arg(*ap, unsigned);
	case LENGTH_SHORT:
		return (unsigned short)va_arg(*ap, unsigned);
	case LENGTH_LONG:
		return va_arg(*ap, unsigned long);
	case LENGTH_LONG_LONG:
	case LENGTH_LONG_DOUBLE:
		return va_arg(*ap, unsigned long long);
	case LENGTH_SIZE:
		return va_arg(*ap, size_t);
	case LENGTH_INTMAX:
		return va_arg(*ap, uintmax_t);
	case LENGTH_PTRDIFF:
		return (size_t)va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, unsigned);
	}
}

/* Reads the flags, width, precision, length and conversion after a '%'; returns the end. */
static const char *parse_spec(const char *p, struct spec *spec, va_list *ap)
{
	static const char flag_chars[] = "-+ #0";
	const char *f;
	spec->flags = 0;
	while (*p && (f = strchr(flag_chars, *p)) != NULL) {
		spec->flags |= 1u << (f - flag_chars);
		p++;
	}

	spec->width = 0;
	if (*p == '*') {
		int width = va_arg(*ap, int);
		if (width < 0) {
			spec->flags |= LEFT;
			spec->width = -(size_t)width;
		} else {
			spec->width = width;
		}
		p++;
	} else {
		for (; *p >= '0' && *p <= '9'; p++)
			spec->width = spec->width < INT_MAX ? spec->width * 10 + (*p - '0') : INT_MAX;
	}

	spec->precision = -1;
	if (*p == '.') {
		p++;
		if (*p == '*') {
			int precision = va_arg(*ap, int);
			spec->precision = precision < 0 ? -1 : precision;
			p++;
		} else {
			spec->precision = 0;
			for (; *p >= '0' && *p <= '9'; p++)
				spec->precision =
					spec->precision < INT_MAX / 10 ? spec->precision * 10 + (*p - '0') : INT_MAX;
		}
	}

	spec->length = LENGTH_INT;
	switch (*p) {
	case 'h':
		spec->length = p[1] == 'h' ? LENGTH_CHAR : LENGTH_SHORT;
		p += p[1] == 'h' ? 2 : 1;
		break;
	case 'l':
		spec->length = p[1] == 'l' ? LENGTH_LONG_LONG : LENGTH_LONG;
		p += p[1] == 'l' ? 2 : 1;
		break;
	case 'q':
		spec->length = LENGTH_LONG_LONG;
		p++;
		break;
	case 'L':
		spec->length = LENGTH_LONG_DOUBLE;
		p++;
		break;
	case 'z':
		spec->length = LENGTH_SIZE;
		p++;
		break;
	case 'j':
		spec->length = LENGTH_INTMAX;
		p++;
		break;
	case 't':
		spec->length = LENGTH_PTRDIFF;
		p++;
		break;
	}
	spec->conversion = *p;
	return p;
}

static void format_string(struct output *out, const struct spec *spec, const char *s)
{
	size_t len = spec->precision < 0 ? strlen(s) : strnlen(s, spec->precision);
	emit_field(out, spec, NULL, 0, 0, s, len);
}

int __corral_format(struct __corral_sink *sink, const char *fmt, va_list ap)
{
	struct output out = {sink, 0};
	va_list args;
	va_copy(args, ap);
	for (;;) {
		const char *percent = strchr(fmt, '%');
		if (percent == NULL) {
			emit(&out, fmt, strlen(fmt));
			break;
		}
		emit(&out, fmt, percent - fmt);

		struct spec spec;
		const char *p = parse_spec(percent + 1, &spec, &args);
		switch (spec.conversion) {
		case 'd':
		case 'i': {
			intmax_t value = signed_argument(spec.length, &args);
			format_integer(&out, &spec, value < 0 ? 0 - (uintmax_t)value : (uintmax_t)value, value < 0);
			break;
		}
		case 'u':
		case 'o':
		case 'x':
		case 'X':
			format_integer(&out, &spec, unsigned_argument(spec.length, &args), false);
			break;
		case 'p': {
			void *pointer = va_arg(args, void *);
			if (pointer == NULL) {
				spec.precision = -1;
				format_string(&out, &spec, "(nil)");
			} else {
				format_integer(&out, &spec, (uintptr_t)pointer, false);
			}
			break;
		}
		case 'c': {
			char c = (char)va_arg(args, int);
			emit_field(&out, &spec, NULL, 0, 0, &c, 1);
			break;
		}
		case 's': {
			const char *s = va_arg(args, const char *);
			/* glibc's choice: "(null)", or nothing when the precision cannot hold all of it. */
			if (s == NULL)
				s = spec.precision >= 0 && spec.precision < 6 ? "" : "(null)";
			format_string(&out, &spec, s);
			break;
		}
		case '%':
			emit(&out, "%", 1);
			break;
		case 'n':
			(void)va_arg(args, void *);
			break;
		case 'f':
		case 'F':
		case 'e':
		case 'E':
		case 'g':
		case 'G':
		case 'a':
		case 'A':
			if (spec.length == LENGTH_LONG_DOUBLE)
				(void)va_arg(args, long double);
			else
				(void)va_arg(args, double);
			spec.precision = -1;
			format_string(&out, &spec, "<no float>");
			break;
		case 0:
			emit(&out, percent, p - percent);
			fmt = p;
			continue;
		default:
			emit(&out, percent, p + 1 - percent);
			break;
		}
		fmt = p + 1;
	}
	va_end(args);
	return out.count > INT_MAX ? -1 : (int)out.count;
}
