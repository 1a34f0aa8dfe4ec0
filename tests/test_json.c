/* The JSON reader the vector runner uses (cli/json.c): integers exact to
 * 2^64 - 1, everything else refused with the line and column. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json.h"

#define assert_contains(haystack, needle) \
	cr_assert(strstr((haystack), (needle)) != NULL, "expected \"%s\" in: %s", (needle), (haystack))

static char last_error[300];

static int parse(const char *text, struct json_value *root)
{
	last_error[0] = 0;
	return json_parse(text, strlen(text), root, last_error, sizeof last_error);
}

static void assert_parses(const char *text, struct json_value *root)
{
	cr_assert_eq(parse(text, root), 0, "%s: %s", text, last_error);
}

static void assert_refused(const char *text, const char *problem)
{
	struct json_value root;
	cr_assert_eq(parse(text, &root), -1, "accepted: %s", text);
	assert_contains(last_error, problem);
	cr_assert_eq(root.type, JSON_NULL, "a failed parse leaves an empty root");
	cr_assert_null(root.items);
	cr_assert_null(root.members);
	cr_assert_null(root.string);
}

/* ---- numbers ---------------------------------------------------------- */

Test(json, integers_up_to_2_64_minus_1_are_exact)
{
	static const struct {
		const char *text;
		uint64_t value;
	} cases[] = {
		{"0", 0},
		{"7", 7},
		{"9007199254740993", 9007199254740993ull}, /* 2^53 + 1: no double holds it */
		{"9223372036854775808", 9223372036854775808ull},
		{"18446744073709551614", UINT64_MAX - 1},
		{"18446744073709551615", UINT64_MAX},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct json_value root;
		assert_parses(cases[i].text, &root);
		cr_assert_eq(root.type, JSON_NUMBER);
		cr_assert(root.integer);
		cr_assert_not(root.negative);
		cr_assert_not(root.overflow, "%s", cases[i].text);
		uint64_t value;
		cr_assert(json_to_u64(&root, &value), "%s", cases[i].text);
		cr_assert_eq(value, cases[i].value, "%s", cases[i].text);
		json_free(&root);
	}
}

Test(json, integers_past_64_bits_are_flagged)
{
	static const char *const cases[] = {
		"18446744073709551616",
		"18446744073709551620",
		"99999999999999999999",
		"-18446744073709551616",
		"340282366920938463463374607431768211456",
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct json_value root;
		assert_parses(cases[i], &root);
		cr_assert(root.overflow, "%s", cases[i]);
		uint64_t u;
		int64_t s;
		cr_assert_not(json_to_u64(&root, &u), "%s read as %llu", cases[i], (unsigned long long)u);
		cr_assert_not(json_to_i64(&root, &s), "%s", cases[i]);
		json_free(&root);
	}
}

Test(json, negatives_are_signed_only)
{
	static const struct {
		const char *text;
		bool fits;
		int64_t value;
	} cases[] = {
		{"-1", true, -1},
		{"-0", true, 0},
		{"-9223372036854775807", true, INT64_MIN + 1},
		{"-9223372036854775808", true, INT64_MIN},
		{"-9223372036854775809", false, 0},
		{"9223372036854775807", true, INT64_MAX},
		{"9223372036854775808", false, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct json_value root;
		assert_parses(cases[i].text, &root);
		int64_t value = 12345;
		cr_assert_eq(json_to_i64(&root, &value), cases[i].fits, "%s", cases[i].text);
		if (cases[i].fits)
			cr_assert_eq(value, cases[i].value, "%s gave %lld", cases[i].text, (long long)value);
		json_free(&root);
	}
	struct json_value root;
	uint64_t u;
	assert_parses("-1", &root);
	cr_assert(root.negative);
	cr_assert_eq(root.magnitude, 1);
	cr_assert_not(json_to_u64(&root, &u), "-1 is no unsigned number");
	json_free(&root);
	assert_parses("-0", &root);
	cr_assert(json_to_u64(&root, &u), "-0 is zero");
	cr_assert_eq(u, 0);
	json_free(&root);
}

Test(json, fractions_and_exponents_are_not_integers)
{
	static const char *const cases[] = {"1.5", "1.0", "0.0", "1e3", "1E+2", "-2.5e-3", "10e0", "-0.0"};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct json_value root;
		assert_parses(cases[i], &root);
		cr_assert_eq(root.type, JSON_NUMBER);
		cr_assert_not(root.integer, "%s", cases[i]);
		uint64_t u;
		int64_t s;
		cr_assert_not(json_to_u64(&root, &u), "%s", cases[i]);
		cr_assert_not(json_to_i64(&root, &s), "%s", cases[i]);
		json_free(&root);
	}
}

Test(json, malformed_numbers_are_refused)
{
	assert_refused("01", "leading zero");
	assert_refused("-01", "leading zero");
	assert_refused("-", "expected a digit");
	assert_refused("-x", "expected a digit");
	assert_refused("1.", "after '.'");
	assert_refused("1.e5", "after '.'");
	assert_refused("1e", "exponent");
	assert_refused("1e+", "exponent");
	assert_refused("+1", "unexpected character '+'");
	assert_refused(".5", "unexpected character '.'");
	assert_refused("0x10", "trailing data");
	assert_refused("1 2", "trailing data");
}

Test(json, only_numbers_convert)
{
	static const char *const cases[] = {"\"1\"", "true", "null", "[1]", "{\"a\": 1}"};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct json_value root;
		assert_parses(cases[i], &root);
		uint64_t u;
		int64_t s;
		cr_assert_not(json_to_u64(&root, &u), "%s", cases[i]);
		cr_assert_not(json_to_i64(&root, &s), "%s", cases[i]);
		json_free(&root);
	}
	uint64_t u;
	cr_assert_not(json_to_u64(NULL, &u));
}

/* ---- strings ---------------------------------------------------------- */

static void assert_string(const char *text, const char *expected, size_t length)
{
	struct json_value root;
	assert_parses(text, &root);
	cr_assert_eq(root.type, JSON_STRING);
	cr_assert_eq(root.length, length, "%s: length %zu, not %zu", text, root.length, length);
	cr_assert_arr_eq(root.string, expected, length, "%s", text);
	cr_assert_eq(root.string[length], 0, "strings are NUL-terminated");
	json_free(&root);
}

Test(json, simple_escapes)
{
	assert_string("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "a\"b\\c/d\b\f\n\r\t", 12);
	assert_string("\"\"", "", 0);
	assert_string("\"plain text\"", "plain text", 10);
}

Test(json, unicode_escapes_become_utf8)
{
	assert_string("\"\\u0041\"", "A", 1);
	assert_string("\"\\u00e9\"", "\xc3\xa9", 2);
	assert_string("\"\\u00E9\"", "\xc3\xa9", 2);
	assert_string("\"\\u07ff\"", "\xdf\xbf", 2);
	assert_string("\"\\u0800\"", "\xe0\xa0\x80", 3);
	assert_string("\"\\u20ac\"", "\xe2\x82\xac", 3);
	assert_string("\"\\uffff\"", "\xef\xbf\xbf", 3);
	assert_string("\"x\\u0000y\"", "x\0y", 3);
}

Test(json, surrogate_pairs_are_one_code_point)
{
	/* U+1F600 is written \ud83d\ude00 in JSON and F0 9F 98 80 in UTF-8;
	 * encoding each half on its own gives CESU-8, which is not UTF-8. */
	assert_string("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4);
}

Test(json, bad_strings_are_refused)
{
	assert_refused("\"abc", "unterminated string");
	assert_refused("\"abc\\\"", "unterminated string");
	assert_refused("\"a\\x\"", "bad escape '\\x'");
	assert_refused("\"\\u12G4\"", "bad \\u escape");
	assert_refused("\"\\u12\"", "bad \\u escape");
	assert_refused("\"\\u\"", "bad \\u escape");
	assert_refused("\"a\nb\"", "control character");
	assert_refused("\"a\tb\"", "control character");
	static const char nul[] = "\"a\0b\"";
	struct json_value root;
	cr_assert_eq(json_parse(nul, sizeof nul - 1, &root, last_error, sizeof last_error), -1);
	assert_contains(last_error, "control character");
}

/* ---- structure -------------------------------------------------------- */

Test(json, literals)
{
	struct json_value root;
	assert_parses("true", &root);
	cr_assert_eq(root.type, JSON_BOOL);
	cr_assert(root.boolean);
	assert_parses("false", &root);
	cr_assert_eq(root.type, JSON_BOOL);
	cr_assert_not(root.boolean);
	assert_parses(" null ", &root);
	cr_assert_eq(root.type, JSON_NULL);
	assert_refused("tru", "expected 'true'");
	assert_refused("nul", "expected 'null'");
	assert_refused("falsy", "expected 'false'");
	assert_refused("True", "unexpected character 'T'");
}

Test(json, arrays_and_objects)
{
	struct json_value root;
	assert_parses("{\"a\": [1, [], {}, \"s\"], \"b\": {\"c\": null}}", &root);
	cr_assert_eq(root.type, JSON_OBJECT);
	cr_assert_eq(root.count, 2);
	const struct json_value *a = json_get(&root, "a");
	cr_assert_not_null(a);
	cr_assert_eq(a->type, JSON_ARRAY);
	cr_assert_eq(a->count, 4);
	cr_assert_eq(a->items[1].type, JSON_ARRAY);
	cr_assert_eq(a->items[1].count, 0);
	cr_assert_eq(a->items[2].type, JSON_OBJECT);
	cr_assert_eq(a->items[2].count, 0);
	cr_assert_str_eq(a->items[3].string, "s");
	cr_assert_eq(json_get(json_get(&root, "b"), "c")->type, JSON_NULL);
	json_free(&root);
}

Test(json, a_long_array_keeps_every_item)
{
	size_t count = 5000;
	char *text = malloc(count * 12 + 3);
	cr_assert_not_null(text);
	size_t n = 0;
	text[n++] = '[';
	for (size_t i = 0; i < count; i++)
		n += (size_t)sprintf(text + n, "%s%zu", i ? "," : "", i * 1000003);
	text[n++] = ']';
	text[n] = 0;
	struct json_value root;
	assert_parses(text, &root);
	cr_assert_eq(root.count, count);
	for (size_t i = 0; i < count; i++)
		cr_assert_eq(root.items[i].magnitude, i * 1000003);
	json_free(&root);
	free(text);
}

Test(json, malformed_structure_is_refused)
{
	assert_refused("", "unexpected end of input");
	assert_refused("  \n ", "unexpected end of input");
	assert_refused("[", "unexpected end of input");
	assert_refused("[1", "expected ',' or ']'");
	assert_refused("[1 2]", "expected ',' or ']'");
	assert_refused("[1,]", "unexpected character ']'");
	assert_refused("{", "expected a string key");
	assert_refused("{1: 2}", "expected a string key");
	assert_refused("{\"a\" 1}", "expected ':' after key \"a\"");
	assert_refused("{\"a\": 1,}", "expected a string key");
	assert_refused("{\"a\": 1 \"b\": 2}", "expected ',' or '}'");
	assert_refused("{\"a\": }", "unexpected character '}'");
	assert_refused("{\"a\"", "expected ':'");
	assert_refused("[1] x", "trailing data");
	assert_refused("{}}", "trailing data");
	static const char nul[] = "[1,\0]";
	struct json_value root;
	cr_assert_eq(json_parse(nul, sizeof nul - 1, &root, last_error, sizeof last_error), -1);
}

Test(json, trailing_whitespace_is_fine)
{
	struct json_value root;
	assert_parses("[1]\r\n\t \n", &root);
	json_free(&root);
}

/* `depth` opens, the innermost value, `depth` closes. */
static char *nested(size_t depth, const char *open, const char *inner, const char *close)
{
	size_t a = strlen(open), m = strlen(inner), b = strlen(close);
	char *text = malloc(depth * (a + b) + m + 1);
	cr_assert_not_null(text);
	char *at = text;
	for (size_t i = 0; i < depth; i++, at += a)
		memcpy(at, open, a);
	memcpy(at, inner, m);
	at += m;
	for (size_t i = 0; i < depth; i++, at += b)
		memcpy(at, close, b);
	*at = 0;
	return text;
}

Test(json, nesting_is_limited)
{
	struct json_value root;
	char *text = nested(64, "[", "", "]");
	assert_parses(text, &root);
	json_free(&root);
	free(text);
	text = nested(64, "{\"k\":", "0", "}");
	assert_parses(text, &root);
	json_free(&root);
	free(text);
	/* Deep enough to overflow the stack if nothing stopped it. */
	static const size_t too_deep[] = {66, 100, 1000000};
	for (size_t i = 0; i < sizeof too_deep / sizeof *too_deep; i++) {
		text = nested(too_deep[i], "[", "", "]");
		assert_refused(text, "nested deeper than 64 levels");
		free(text);
		text = nested(too_deep[i], "{\"k\":", "0", "}");
		assert_refused(text, "nested deeper than 64 levels");
		free(text);
	}
}

/* ---- where errors are ------------------------------------------------- */

Test(json, errors_name_the_line_and_column)
{
	static const struct {
		const char *text;
		const char *where;
	} cases[] = {
		{"{\n  \"a\": 1,\n  \"b\": x\n}", "line 3, column 8: "},
		{"[1 2]", "line 1, column 4: "},
		{"\n\n\n   @", "line 4, column 4: "},
		{"[\r\n1,\r\n2,\r\n}]", "line 4, column 1: "},
		{"{\"a\": 1}\n\n  5", "line 3, column 3: "},
		{"[1,\n 2,\n 01]", "line 3, column 2: "},
		{"{\"k\"\n\n:tru}", "line 3, column 2: "},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct json_value root;
		cr_assert_eq(parse(cases[i].text, &root), -1, "accepted: %s", cases[i].text);
		cr_assert_eq(strncmp(last_error, cases[i].where, strlen(cases[i].where)), 0, "%s\nexpected %s\ngot %s",
			     cases[i].text, cases[i].where, last_error);
	}
}

Test(json, values_remember_their_line)
{
	struct json_value root;
	assert_parses("[\n1,\n\n\"two\",\n[3]]", &root);
	cr_assert_eq(root.line, 1);
	cr_assert_eq(root.items[0].line, 2);
	cr_assert_eq(root.items[1].line, 4);
	cr_assert_eq(root.items[2].line, 5);
	json_free(&root);
}

Test(json, a_small_error_buffer_is_never_overrun)
{
	char error[12];
	memset(error, 'x', sizeof error);
	struct json_value root;
	cr_assert_eq(json_parse("[1 2]", 5, &root, error, 8), -1);
	cr_assert_eq(strlen(error), 7);
	cr_assert_eq(error[8], 'x');
}

/* ---- lookups ---------------------------------------------------------- */

Test(json, json_get_treats_hyphen_and_underscore_alike)
{
	struct json_value root;
	assert_parses("{\"initial-regs\": 1, \"page_fault_address\": 2, \"a-b_c\": 3, \"initial\": 4}", &root);
	static const struct {
		const char *key;
		uint64_t value;
	} found[] = {
		{"initial-regs", 1},
		{"initial_regs", 1},
		{"page_fault_address", 2},
		{"page-fault-address", 2},
		{"page-fault_address", 2},
		{"a_b-c", 3},
		{"a-b-c", 3},
		{"initial", 4},
	};
	for (size_t i = 0; i < sizeof found / sizeof *found; i++) {
		const struct json_value *value = json_get(&root, found[i].key);
		cr_assert_not_null(value, "%s not found", found[i].key);
		cr_assert_eq(value->magnitude, found[i].value, "%s", found[i].key);
	}
	static const char *const missing[] = {"initial-reg", "initial-regs-", "Initial-regs", "", "page fault address"};
	for (size_t i = 0; i < sizeof missing / sizeof *missing; i++)
		cr_assert_null(json_get(&root, missing[i]), "\"%s\" was found", missing[i]);
	cr_assert_null(json_get(&root.members[0].value, "x"), "a number has no members");
	cr_assert_null(json_get(NULL, "x"));
	json_free(&root);
}

Test(json, duplicate_keys_find_the_first)
{
	struct json_value root;
	assert_parses("{\"a_b\": 1, \"a-b\": 2}", &root);
	cr_assert_eq(json_get(&root, "a-b")->magnitude, 1);
	json_free(&root);
}

Test(json, type_names)
{
	cr_assert_str_eq(json_type_name(JSON_NULL), "null");
	cr_assert_str_eq(json_type_name(JSON_BOOL), "boolean");
	cr_assert_str_eq(json_type_name(JSON_NUMBER), "number");
	cr_assert_str_eq(json_type_name(JSON_STRING), "string");
	cr_assert_str_eq(json_type_name(JSON_ARRAY), "array");
	cr_assert_str_eq(json_type_name(JSON_OBJECT), "object");
	cr_assert_str_eq(json_type_name((enum json_type)99), "?");
}
