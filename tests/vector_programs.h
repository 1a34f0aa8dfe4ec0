/* The programs among the test vectors, as bytes: every JSON "program" array
 * under $CORRAL_VECTORS/pvm (v0.4, gas-model programs and integration,
 * jamv1-sample) and every JAM service program under pvm/services. Tests that
 * want to break the loaders on real programs walk them with this. */
#ifndef TESTS_VECTOR_PROGRAMS_H
#define TESTS_VECTOR_PROGRAMS_H

#include <stddef.h>
#include <stdint.h>

#include "corral.h"

enum {
	VECTOR_JSON = 1 << 0,     /* raw blobs from the JSON vectors */
	VECTOR_SERVICES = 1 << 1, /* JAM standard programs behind metadata */
};

struct vector_program {
	const char *path;
	const uint8_t *bytes;
	size_t length;
	corral_format format; /* CORRAL_FORMAT_BLOB or CORRAL_FORMAT_JAM */
	corral_isa isa;       /* GP 0.8 for jamv1-sample, else GP 0.7 */
};

typedef void vector_visit(const struct vector_program *program, void *context);

/* Calls `visit` for each program of the given kinds under `root` (a
 * $CORRAL_VECTORS folder); returns how many there were. A file that cannot be
 * read or parsed fails the calling test. */
size_t vector_programs_each(const char *root, unsigned kinds, vector_visit *visit, void *context);

/* The raw blob inside a service program (its code), pointing into `bytes`. */
void vector_service_code(const uint8_t *bytes, size_t length, const uint8_t **code, size_t *code_length);

#endif
