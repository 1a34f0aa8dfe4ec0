/*
 * faults.c: a validation program that misbehaves on request, for tests/test_pvf.c. The
 * first line of its input says how:
 *
 *   valid N     a well-formed validation result whose head data is N
 *   loop        loops forever (the execution timeout must stop it)
 *   memory      allocates and touches memory until it is stopped (the job's memory limit)
 *   garbage     writes bytes that are not a validation result, and exits 0
 *   flood       writes more than any validation result may be
 *   trap        aborts (a PVM trap)
 *   reject      says why on stderr and exits 1
 *   sleep N     spins for about N million iterations, then is valid (a job that takes a while)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char input[4096];

static void result(const char *head)
{
	unsigned length = (unsigned)strlen(head);
	unsigned char prefix[8] = {'P', 'V', 'F', 'R', (unsigned char)length, 0, 0, 0};
	fwrite(prefix, 1, sizeof prefix, stdout);
	fwrite(head, 1, length, stdout);
}

int main(void)
{
	size_t length = fread(input, 1, sizeof input - 1, stdin);
	input[length] = 0;
	char *end = strchr(input, '\n');
	if (end)
		*end = 0;
	if (!strncmp(input, "valid ", 6)) {
		result(input + 6);
	} else if (!strcmp(input, "loop")) {
		for (volatile unsigned long i = 0;; i++)
			;
	} else if (!strcmp(input, "memory")) {
		for (;;) {
			char *block = malloc(1 << 20);
			if (!block)
				return 2;
			memset(block, 1, 1 << 20);
		}
	} else if (!strcmp(input, "garbage")) {
		printf("this is not a validation result\n");
	} else if (!strcmp(input, "flood")) {
		for (unsigned i = 0; i < 100000; i++)
			fwrite(input, 1, 16, stdout);
	} else if (!strcmp(input, "trap")) {
		abort();
	} else if (!strncmp(input, "sleep ", 6)) {
		unsigned long rounds = strtoul(input + 6, NULL, 10) * 1000000ul;
		for (volatile unsigned long i = 0; i < rounds; i++)
			;
		result("slept");
	} else {
		fprintf(stderr, "faults: rejected: %s\n", input);
		return 1;
	}
	return 0;
}
