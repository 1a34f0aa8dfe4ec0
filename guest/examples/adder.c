/*
 * adder.c: the validation program of an "adder" chain, for the validation pipeline
 * (corral serve / corral validate, corral_pvf_validate). The chain's state is a number;
 * each block adds to it. A validator runs this program on a block with the state of the
 * block's parent, and the program says whether the block is valid and what the new
 * state is.
 *
 * Input (stdin), text, one field per line, in this order:
 *
 *   parent N      the parent block's state, as the validator knows it
 *   block P       the state the block says it builds on
 *   add N         zero or more lines: what the block adds
 *
 * Numbers are decimal, 0 to 2^64 - 1. The block is valid when P is the parent's state,
 * every line parses and the sum stays below 2^64. Then the program writes the new state
 * as a validation result on stdout and exits 0:
 *
 *   "PVFR"  the length of the head data (4 bytes, little-endian)  the head data
 *
 * where the head data is the new state in decimal ("44"). Otherwise it says why on
 * stderr and exits 1: the block is invalid.
 *
 *   printf 'parent 41\nblock 41\nadd 1\nadd 2\n' | ./adder      (native: PVFR, 2, "44")
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT 65536

static char input[MAX_INPUT + 1];

static int reject(const char *why, unsigned line)
{
	fprintf(stderr, "adder: line %u: %s\n", line, why);
	return 1;
}

/* "NAME N" with N a decimal number below 2^64; the line's end is its NUL. */
static int field(const char *line, const char *name, uint64_t *value)
{
	size_t length = strlen(name);
	if (strncmp(line, name, length) || line[length] != ' ')
		return -1;
	const char *digits = line + length + 1;
	if (*digits < '0' || *digits > '9')
		return -1;
	uint64_t number = 0;
	for (; *digits >= '0' && *digits <= '9'; digits++) {
		uint64_t digit = (uint64_t)(*digits - '0');
		if (number > (UINT64_MAX - digit) / 10)
			return -1;
		number = number * 10 + digit;
	}
	if (*digits)
		return -1;
	*value = number;
	return 0;
}

static void write_result(const char *head, uint32_t length)
{
	unsigned char prefix[8] = {'P',
				   'V',
				   'F',
				   'R',
				   (unsigned char)length,
				   (unsigned char)(length >> 8),
				   (unsigned char)(length >> 16),
				   (unsigned char)(length >> 24)};
	fwrite(prefix, 1, sizeof prefix, stdout);
	fwrite(head, 1, length, stdout);
}

int main(void)
{
	size_t length = fread(input, 1, MAX_INPUT + 1, stdin);
	if (length > MAX_INPUT)
		return reject("the block is longer than 64 KiB", 0);
	input[length] = 0;

	uint64_t parent = 0, claimed = 0, state = 0;
	unsigned line_number = 0;
	char *next = input;
	while (*next) {
		char *line = next, *end = strchr(line, '\n');
		next = end ? end + 1 : line + strlen(line);
		if (end)
			*end = 0;
		line_number++;
		uint64_t value;
		if (line_number == 1) {
			if (field(line, "parent", &parent))
				return reject("expected \"parent N\"", line_number);
		} else if (line_number == 2) {
			if (field(line, "block", &claimed))
				return reject("expected \"block N\"", line_number);
			if (claimed != parent) {
				fprintf(stderr,
					"adder: the block builds on state %" PRIu64 ", but its parent's is %" PRIu64
					"\n",
					claimed, parent);
				return 1;
			}
			state = parent;
		} else if (field(line, "add", &value)) {
			return reject("expected \"add N\"", line_number);
		} else if (value > UINT64_MAX - state) {
			return reject("the state would pass 2^64 - 1", line_number);
		} else {
			state += value;
		}
	}
	if (line_number < 2)
		return reject("a block needs a \"parent N\" and a \"block N\" line", line_number);

	char head[24];
	int head_length = snprintf(head, sizeof head, "%" PRIu64, state);
	write_result(head, (uint32_t)head_length);
	return 0;
}
