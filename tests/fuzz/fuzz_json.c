/* Fuzzing the JSON reader the test-vector runner uses.
 *
 * Input: any text, not NUL-terminated (json_parse takes a length).
 *
 * Checks: a refused text gets a message; in an accepted one, every member
 * is found by its own key, strings are NUL-terminated at their length, and
 * a number that reads as both u64 and i64 reads as the same value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void failed(const char *what, const struct json_value *value)
{
	fprintf(stderr, "fuzz_json: %s (the value at line %u)\n", what, value->line);
	abort();
}

/* The keys the vector runner looks up, so that the misses are walked too. */
static const char *const vector_keys[] = {"program", "initial-regs", "initial_page_map", "steps", "kind"};

static void walk(const struct json_value *value)
{
	uint64_t u;
	int64_t i;
	bool is_u = json_to_u64(value, &u), is_i = json_to_i64(value, &i);
	if (is_u && is_i && (uint64_t)i != u)
		failed("a number reads as two different values", value);
	if ((is_u || is_i) && value->type != JSON_NUMBER)
		failed("a value that is not a number reads as one", value);
	if (!strcmp(json_type_name(value->type), "?"))
		failed("a value of no type", value);

	switch (value->type) {
	case JSON_STRING:
		if (!value->string || value->string[value->length])
			failed("a string is not NUL-terminated at its length", value);
		break;
	case JSON_ARRAY:
		for (size_t k = 0; k < value->count; k++)
			walk(&value->items[k]);
		break;
	case JSON_OBJECT:
		for (size_t k = 0; k < value->count; k++) {
			if (!json_get(value, value->members[k].key))
				failed("a member is not found by its own key", value);
			walk(&value->members[k].value);
		}
		for (size_t k = 0; k < sizeof vector_keys / sizeof vector_keys[0]; k++)
			json_get(value, vector_keys[k]);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_value root;
	char error[200];
	error[0] = 0;
	if (json_parse((const char *)data, size, &root, error, sizeof error)) {
		if (!error[0])
			failed("json_parse failed without a message", &root);
		return 0;
	}
	walk(&root);
	json_free(&root);
	return 0;
}
