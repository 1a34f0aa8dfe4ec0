/* Writing a JAM standard program (GP A.7), what loader_parse reads:
 *
 *   [E(|m|) m] E3(|o|) E3(|w|) E2(z) E3(s) o w E4(|c|) c
 *
 * The assembler and the RISC-V linker both write their programs here. */
#ifndef LOADER_JAM_WRITE_H
#define LOADER_JAM_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/text.h"

struct loader_jam_parts {
	bool has_metadata; /* then E(|m|) m comes first, even for no bytes */
	const uint8_t *metadata;
	size_t metadata_length;
	const uint8_t *ro_data; /* o: at most 2^24 - 1 bytes */
	size_t ro_length;
	const uint8_t *rw_data; /* w: at most 2^24 - 1 bytes */
	size_t rw_length;
	uint64_t heap_pages; /* z: below 2^16 */
	uint64_t stack_size; /* s: below 2^24 */
	const uint8_t *blob; /* c: the raw program blob, below 2^32 bytes */
	size_t blob_length;
};

/* *out is a malloc'd program of *length bytes. On failure returns -1 and
 * says which part does not fit its field. */
int loader_jam_write(const struct loader_jam_parts *parts, uint8_t **out, size_t *length, struct pvm_error *error);

#endif
