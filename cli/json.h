/* A small JSON reader for the test vectors: a tree of values, integers kept
 * exact (registers reach 2^64 - 1, which a double cannot hold). */
#ifndef CLI_JSON_H
#define CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_member;

struct json_value {
	enum json_type type;
	bool boolean;
	/* JSON_NUMBER: exact when `integer`; `negative` with the magnitude. */
	bool integer;
	bool negative;
	bool overflow; /* an integer beyond 64 bits */
	uint64_t magnitude;
	/* JSON_STRING: NUL-terminated, may contain NULs */
	char *string;
	size_t length;
	/* JSON_ARRAY: items; JSON_OBJECT: members */
	struct json_value *items;
	struct json_member *members;
	size_t count;
	uint32_t line; /* where the value starts, for messages */
};

struct json_member {
	char *key;
	struct json_value value;
};

/* 0 on success; otherwise -1 and `error` says what and at which line:column. */
int json_parse(const char *text, size_t length, struct json_value *root, char *error, size_t error_size);
void json_free(struct json_value *value);

/* Looks a key up, treating '-' and '_' alike (the vector schemas differ). */
const struct json_value *json_get(const struct json_value *object, const char *key);
bool json_to_u64(const struct json_value *value, uint64_t *out);
bool json_to_i64(const struct json_value *value, int64_t *out);
const char *json_type_name(enum json_type type);

/* An array of byte values (0..255), as the vectors hold programs and
 * memory, into a malloc'd buffer (one byte longer than needed, so it may be
 * empty). On failure returns false with nothing allocated and *bad set to
 * the index of the first item that is not a byte, SIZE_MAX when `value` is
 * not an array, or the array's length when there is no memory. */
bool json_to_bytes(const struct json_value *value, uint8_t **bytes, size_t *length, size_t *bad);

#endif
