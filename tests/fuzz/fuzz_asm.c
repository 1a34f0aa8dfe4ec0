/* Fuzzing the assembler, and the round trip through the disassembler.
 *
 * Input: assembly source (loader/asm.h), not NUL-terminated.
 *
 * Checks: a refused source gets a "NAME:LINE: problem" message; an accepted
 * one's output, listed with either numbering, assembles back into the same
 * bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/listing_round_trip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *program = NULL;
	size_t length = 0;
	char error[400];
	error[0] = 0;

	if (loader_assemble((const char *)data, size, "input", &program, &length, error, sizeof error)) {
		if (strncmp(error, "input:", 6)) {
			fprintf(stderr, "fuzz_asm: an error that does not name the source and line: '%s'\n", error);
			abort();
		}
		return 0;
	}
	/* The listing must hold whatever the numbering it is read with: an
	 * opcode the other numbering lacks is written as its bytes. */
	check_listing_round_trip(program, length, CORRAL_FORMAT_AUTO, CORRAL_ISA_GP07);
	check_listing_round_trip(program, length, CORRAL_FORMAT_AUTO, CORRAL_ISA_GP08);
	free(program);
	return 0;
}
