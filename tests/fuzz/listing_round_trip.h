/* The promise `corral disasm` and `corral asm` make together: the listing of
 * a program assembles back into exactly the same bytes. fuzz_blob checks it
 * from the bytes' side and fuzz_asm from the text's side; this is the one
 * check both call. Only a harness includes it, once. */
#ifndef FUZZ_LISTING_ROUND_TRIP_H
#define FUZZ_LISTING_ROUND_TRIP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/asm.h"

/* Prints what went wrong, the listing with it, and aborts: libFuzzer keeps
 * the input as a reproducer. */
static void round_trip_failed(const char *what, const char *detail, const char *listing)
{
	fprintf(stderr, "listing round trip: %s%s%s\n--- listing ---\n%s--- end ---\n", what, detail ? ": " : "",
		detail ? detail : "", listing ? listing : "");
	abort();
}

/* `bytes` must be a program the disassembler accepts as `format`: any
 * failure from here on breaks the promise. */
static void check_listing_round_trip(const uint8_t *bytes, size_t length, corral_format format, corral_isa isa)
{
	char *listing = NULL;
	size_t listing_length = 0;
	char error[400];
	FILE *out = open_memstream(&listing, &listing_length);
	if (!out)
		round_trip_failed("open_memstream failed", NULL, NULL);
	int status = loader_disassemble(bytes, length, "input", format, isa, out, error, sizeof error);
	fclose(out);
	if (status)
		round_trip_failed("the disassembler refused the program", error, listing);

	uint8_t *again = NULL;
	size_t again_length = 0;
	if (loader_assemble(listing, listing_length, "listing", &again, &again_length, error, sizeof error))
		round_trip_failed("the listing does not assemble", error, listing);
	if (again_length != length || memcmp(again, bytes, length)) {
		size_t at = 0;
		while (at < length && at < again_length && again[at] == bytes[at])
			at++;
		snprintf(error, sizeof error, "%zu bytes in, %zu bytes out, first difference at byte %zu", length,
			 again_length, at);
		round_trip_failed("the listing assembles into other bytes", error, listing);
	}
	free(again);
	free(listing);
}

#endif
