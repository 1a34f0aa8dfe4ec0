#include "cli/json.h"

#include "loader/array.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deep enough for any vector; shallow enough that hostile nesting cannot
 * exhaust the stack. */
#define MAX_DEPTH 64

struct reader {
	const char *text;
	size_t length;
	size_t at;
	uint32_t line;
	size_t line_start;
	char *error;
	size_t error_size;
	bool failed;
};

static void fail(struct reader *reader, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct reader *reader, const char *format, ...)
{
	if (reader->failed)
		return;
	reader->failed = true;
	char what[160];
	va_list args;
	va_start(args, format);
	vsnprintf(what, sizeof what, format, args);
	va_end(args);
	snprintf(reader->error, reader->error_size, "line %u, column %zu: %s", reader->line,
		 reader->at - reader->line_start + 1, what);
}

static int peek(const struct reader *reader)
{
	return reader->at < reader->length ? (unsigned char)reader->text[reader->at] : -1;
}

static void skip_space(struct reader *reader)
{
	while (reader->at < reader->length) {
		char c = reader->text[reader->at];
		if (c == '\n') {
			reader->line++;
			reader->line_start = reader->at + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		reader->at++;
	}
}

static bool expect_word(struct reader *reader, const char *word)
{
	size_t n = strlen(word);
	if (reader->length - reader->at < n || memcmp(reader->text + reader->at, word, n)) {
		fail(reader, "expected '%s'", word);
		return false;
	}
	reader->at += n;
	return true;
}

static void put_utf8(char *out, size_t *n, uint32_t code)
{
	if (code < 0x80) {
		out[(*n)++] = (char)code;
	} else if (code < 0x800) {
		out[(*n)++] = (char)(0xC0 | (code >> 6));
		out[(*n)++] = (char)(0x80 | (code & 0x3F));
	} else if (code < 0x10000) {
		out[(*n)++] = (char)(0xE0 | (code >> 12));
		out[(*n)++] = (char)(0x80 | ((code >> 6) & 0x3F));
		out[(*n)++] = (char)(0x80 | (code & 0x3F));
	} else {
		out[(*n)++] = (char)(0xF0 | (code >> 18));
		out[(*n)++] = (char)(0x80 | ((code >> 12) & 0x3F));
		out[(*n)++] = (char)(0x80 | ((code >> 6) & 0x3F));
		out[(*n)++] = (char)(0x80 | (code & 0x3F));
	}
}

static bool read_hex4(struct reader *reader, uint32_t *code)
{
	*code = 0;
	for (int i = 0; i < 4; i++) {
		int c = peek(reader);
		uint32_t digit;
		if (c >= '0' && c <= '9')
			digit = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			digit = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			digit = (uint32_t)(c - 'A' + 10);
		else {
			fail(reader, "bad \\u escape");
			return false;
		}
		*code = *code * 16 + digit;
		reader->at++;
	}
	return true;
}

/* After the opening quote. A string never grows when unescaped, except that
 * \u escapes may take up to 4 bytes for 6 characters: the input length bounds it. */
static char *read_string(struct reader *reader, size_t *length)
{
	size_t start = reader->at;
	size_t end = start;
	while (end < reader->length && reader->text[end] != '"') {
		if (reader->text[end] == '\\')
			end++;
		end++;
	}
	if (end >= reader->length) {
		fail(reader, "unterminated string");
		return NULL;
	}
	char *out = malloc(end - start + 1);
	if (!out) {
		fail(reader, "out of memory");
		return NULL;
	}
	size_t n = 0;
	while (reader->at < end) {
		unsigned char c = (unsigned char)reader->text[reader->at++];
		if (c < 0x20) {
			fail(reader, "control character in string");
			free(out);
			return NULL;
		}
		if (c != '\\') {
			out[n++] = (char)c;
			continue;
		}
		char e = reader->text[reader->at++];
		uint32_t code;
		switch (e) {
		case '"':
			out[n++] = '"';
			break;
		case '\\':
			out[n++] = '\\';
			break;
		case '/':
			out[n++] = '/';
			break;
		case 'b':
			out[n++] = '\b';
			break;
		case 'f':
			out[n++] = '\f';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'u':
			if (!read_hex4(reader, &code)) {
				free(out);
				return NULL;
			}
			/* A high surrogate and the low one after it are one
			 * code point, which UTF-8 writes in four bytes. */
			if (code >= 0xD800 && code < 0xDC00 && reader->at + 6 <= end &&
			    reader->text[reader->at] == '\\' && reader->text[reader->at + 1] == 'u') {
				size_t save = reader->at;
				uint32_t low;
				reader->at += 2;
				if (read_hex4(reader, &low) && low >= 0xDC00 && low < 0xE000)
					code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
				else if (reader->failed) {
					free(out);
					return NULL;
				} else
					reader->at = save;
			}
			put_utf8(out, &n, code);
			break;
		default:
			fail(reader, "bad escape '\\%c'", e);
			free(out);
			return NULL;
		}
	}
	reader->at = end + 1;
	out[n] = 0;
	*length = n;
	return out;
}

static void read_number(struct reader *reader, struct json_value *value)
{
	value->type = JSON_NUMBER;
	value->integer = true;
	if (peek(reader) == '-') {
		value->negative = true;
		reader->at++;
	}
	int c = peek(reader);
	if (c < '0' || c > '9') {
		fail(reader, "expected a digit");
		return;
	}
	if (c == '0' && reader->at + 1 < reader->length && reader->text[reader->at + 1] >= '0' &&
	    reader->text[reader->at + 1] <= '9') {
		fail(reader, "leading zero in a number");
		return;
	}
	while ((c = peek(reader)) >= '0' && c <= '9') {
		uint64_t digit = (uint64_t)(c - '0');
		if (value->magnitude > (UINT64_MAX - digit) / 10)
			value->overflow = true;
		value->magnitude = value->magnitude * 10 + digit;
		reader->at++;
	}
	if (peek(reader) == '.') {
		value->integer = false;
		reader->at++;
		if ((c = peek(reader)) < '0' || c > '9') {
			fail(reader, "expected a digit after '.'");
			return;
		}
		while ((c = peek(reader)) >= '0' && c <= '9')
			reader->at++;
	}
	if (peek(reader) == 'e' || peek(reader) == 'E') {
		value->integer = false;
		reader->at++;
		if (peek(reader) == '+' || peek(reader) == '-')
			reader->at++;
		if ((c = peek(reader)) < '0' || c > '9') {
			fail(reader, "expected a digit in the exponent");
			return;
		}
		while ((c = peek(reader)) >= '0' && c <= '9')
			reader->at++;
	}
}

static void read_value(struct reader *reader, struct json_value *value, int depth);

static void read_array(struct reader *reader, struct json_value *value, int depth)
{
	size_t capacity = 0;
	value->type = JSON_ARRAY;
	skip_space(reader);
	if (peek(reader) == ']') {
		reader->at++;
		return;
	}
	for (;;) {
		if (!array_reserve((void **)&value->items, &capacity, value->count + 1, sizeof *value->items)) {
			fail(reader, "out of memory");
			return;
		}
		struct json_value *item = &value->items[value->count++];
		memset(item, 0, sizeof *item);
		read_value(reader, item, depth + 1);
		if (reader->failed)
			return;
		skip_space(reader);
		int c = peek(reader);
		reader->at++;
		if (c == ']')
			return;
		if (c != ',') {
			reader->at--;
			fail(reader, "expected ',' or ']' in an array");
			return;
		}
	}
}

static void read_object(struct reader *reader, struct json_value *value, int depth)
{
	size_t capacity = 0;
	value->type = JSON_OBJECT;
	skip_space(reader);
	if (peek(reader) == '}') {
		reader->at++;
		return;
	}
	for (;;) {
		skip_space(reader);
		if (peek(reader) != '"') {
			fail(reader, "expected a string key");
			return;
		}
		reader->at++;
		if (!array_reserve((void **)&value->members, &capacity, value->count + 1, sizeof *value->members)) {
			fail(reader, "out of memory");
			return;
		}
		struct json_member *member = &value->members[value->count];
		memset(member, 0, sizeof *member);
		size_t key_length;
		member->key = read_string(reader, &key_length);
		if (!member->key)
			return;
		value->count++;
		skip_space(reader);
		if (peek(reader) != ':') {
			fail(reader, "expected ':' after key \"%s\"", member->key);
			return;
		}
		reader->at++;
		read_value(reader, &member->value, depth + 1);
		if (reader->failed)
			return;
		skip_space(reader);
		int c = peek(reader);
		reader->at++;
		if (c == '}')
			return;
		if (c != ',') {
			reader->at--;
			fail(reader, "expected ',' or '}' in an object");
			return;
		}
	}
}

static void read_value(struct reader *reader, struct json_value *value, int depth)
{
	if (depth > MAX_DEPTH) {
		fail(reader, "nested deeper than %d levels", MAX_DEPTH);
		return;
	}
	skip_space(reader);
	value->line = reader->line;
	int c = peek(reader);
	switch (c) {
	case -1:
		fail(reader, "unexpected end of input");
		return;
	case '{':
		reader->at++;
		read_object(reader, value, depth);
		return;
	case '[':
		reader->at++;
		read_array(reader, value, depth);
		return;
	case '"':
		reader->at++;
		value->type = JSON_STRING;
		value->string = read_string(reader, &value->length);
		return;
	case 't':
		value->type = JSON_BOOL;
		value->boolean = true;
		expect_word(reader, "true");
		return;
	case 'f':
		value->type = JSON_BOOL;
		expect_word(reader, "false");
		return;
	case 'n':
		value->type = JSON_NULL;
		expect_word(reader, "null");
		return;
	default:
		if (c == '-' || (c >= '0' && c <= '9')) {
			read_number(reader, value);
			return;
		}
		fail(reader, "unexpected character '%c'", c);
	}
}

int json_parse(const char *text, size_t length, struct json_value *root, char *error, size_t error_size)
{
	struct reader reader = {.text = text, .length = length, .line = 1, .error = error, .error_size = error_size};
	memset(root, 0, sizeof *root);
	read_value(&reader, root, 0);
	if (!reader.failed) {
		skip_space(&reader);
		if (reader.at != length)
			fail(&reader, "trailing data after the JSON value");
	}
	if (reader.failed) {
		json_free(root);
		return -1;
	}
	return 0;
}

void json_free(struct json_value *value)
{
	for (size_t i = 0; value->type == JSON_ARRAY && i < value->count; i++)
		json_free(&value->items[i]);
	for (size_t i = 0; value->type == JSON_OBJECT && i < value->count; i++) {
		free(value->members[i].key);
		json_free(&value->members[i].value);
	}
	free(value->items);
	free(value->members);
	free(value->string);
	memset(value, 0, sizeof *value);
}

static bool same_key(const char *a, const char *b)
{
	for (;; a++, b++) {
		char x = *a == '_' ? '-' : *a, y = *b == '_' ? '-' : *b;
		if (x != y)
			return false;
		if (!x)
			return true;
	}
}

const struct json_value *json_get(const struct json_value *object, const char *key)
{
	if (!object || object->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < object->count; i++)
		if (same_key(object->members[i].key, key))
			return &object->members[i].value;
	return NULL;
}

bool json_to_u64(const struct json_value *value, uint64_t *out)
{
	if (!value || value->type != JSON_NUMBER || !value->integer || value->overflow ||
	    (value->negative && value->magnitude))
		return false;
	*out = value->magnitude;
	return true;
}

bool json_to_bytes(const struct json_value *value, uint8_t **bytes, size_t *length, size_t *bad)
{
	if (!value || value->type != JSON_ARRAY) {
		*bad = SIZE_MAX;
		return false;
	}
	uint8_t *buffer = malloc(value->count + 1);
	if (!buffer) {
		*bad = value->count;
		return false;
	}
	for (size_t i = 0; i < value->count; i++) {
		uint64_t byte;
		if (!json_to_u64(&value->items[i], &byte) || byte > 255) {
			free(buffer);
			*bad = i;
			return false;
		}
		buffer[i] = (uint8_t)byte;
	}
	*bytes = buffer;
	*length = value->count;
	return true;
}

bool json_to_i64(const struct json_value *value, int64_t *out)
{
	if (!value || value->type != JSON_NUMBER || !value->integer || value->overflow)
		return false;
	if (value->negative) {
		if (value->magnitude > (uint64_t)INT64_MAX + 1)
			return false;
		*out = (int64_t)(0 - value->magnitude);
	} else {
		if (value->magnitude > (uint64_t)INT64_MAX)
			return false;
		*out = (int64_t)value->magnitude;
	}
	return true;
}

const char *json_type_name(enum json_type type)
{
	static const char *const names[] = {"null", "boolean", "number", "string", "array", "object"};
	return type <= JSON_OBJECT ? names[type] : "?";
}
