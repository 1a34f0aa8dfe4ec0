/* The .polkavm container: a program with its memory sizes, data, imported
 * host functions and exported entry points, as corral's linker writes it.
 * This is corral's own reading of the format.
 *
 *   "PVM\0"                       magic
 *   u8 version                    1: GP 0.7 opcode numbering, 3: GP 0.8 / JamV1
 *   u64 length                    of the whole file, header included (little-endian)
 *   section*                      u8 id, varint n, n bytes; ids strictly ascending
 *
 * Varints are the GP natural-number encoding (core/blob.h). The sections:
 *
 *   1 memory    varint ro_data_size, varint rw_data_size, varint stack_size
 *   2 ro data   the read-only region's first bytes (at most ro_data_size)
 *   3 rw data   the read-write region's first bytes (at most rw_data_size)
 *   4 imports   varint count, count x (varint n, n name bytes): `ecalli i`
 *               calls import i
 *   5 exports   varint count, count x (varint pc, varint n, n name bytes)
 *   6 code      a raw program blob (GP A.2); required
 *   0 end       empty, and the last thing in the file; required
 *   0x80..0xFF  optional: skipped. Any other id is refused.
 *
 * Sections 1 to 5 may be left out: no memory, no data, no names. Names are
 * 1 to 255 bytes of printable ASCII (0x20..0x7E), unique within their
 * section; an export's pc must lie inside the code (and the module checks
 * that it starts a basic block). Each size fits 32 bits and together they
 * must fit the JAM standard program's layout, which a .polkavm program gets
 * exactly: read-only data at 0x10000, then the read-write region (its data,
 * then zeros up to rw_data_size rounded up to pages; sbrk grows the heap from
 * its end), the stack and the arguments (loader_standard_layout).
 *
 * The version byte, not the module configuration, decides the numbering the
 * code is decoded with. */
#ifndef LOADER_POLKAVM_H
#define LOADER_POLKAVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/text.h"
#include "corral.h"

#define LOADER_POLKAVM_MAGIC       "PVM\0"
#define LOADER_POLKAVM_HEADER      13 /* magic, version, u64 length */
#define LOADER_POLKAVM_NAME_MAX    255
#define LOADER_POLKAVM_GP07        1
#define LOADER_POLKAVM_GP08        3
#define LOADER_POLKAVM_OPTIONAL_ID 0x80 /* this id and above may be skipped */

enum loader_polkavm_section {
	LOADER_POLKAVM_END = 0,
	LOADER_POLKAVM_MEMORY = 1,
	LOADER_POLKAVM_RO_DATA = 2,
	LOADER_POLKAVM_RW_DATA = 3,
	LOADER_POLKAVM_IMPORTS = 4,
	LOADER_POLKAVM_EXPORTS = 5,
	LOADER_POLKAVM_CODE = 6,
};

/* The imports or exports of a parsed container, read in place one entry at
 * a time with loader_symbol_next. */
struct loader_symbols {
	const uint8_t *bytes; /* the first entry: just after the count */
	size_t length;
	uint32_t count;
	bool has_pc; /* exports: each entry starts with its pc */
};

struct loader_symbol {
	const uint8_t *name; /* name_length bytes, not NUL-terminated */
	uint32_t name_length;
	uint32_t pc; /* exports */
};

/* Reads the entry at *at (0 for the first) and moves past it. Only for
 * lists loader_parse accepted, and at most `count` times. */
void loader_symbol_next(const struct loader_symbols *symbols, size_t *at, struct loader_symbol *symbol);

/* Does a file of these bytes announce itself as a .polkavm container? */
bool loader_polkavm_has_magic(const uint8_t *bytes, size_t length);

struct loader_program;

/* Parses a whole container into `program` (loader_parse does this for
 * CORRAL_FORMAT_POLKAVM); the result points into `bytes`. */
int loader_polkavm_parse(const uint8_t *bytes, size_t length, struct loader_program *program, struct pvm_error *error);

struct loader_polkavm_export {
	const char *name;
	uint32_t pc;
};

struct loader_polkavm_parts {
	corral_isa isa;
	const uint8_t *ro_data;
	uint32_t ro_data_length;
	uint32_t ro_data_size; /* the read-only region: at least ro_data_length */
	const uint8_t *rw_data;
	uint32_t rw_data_length;
	uint32_t rw_data_size; /* the read-write region before the heap grows */
	uint32_t stack_size;
	const char *const *imports; /* NUL-terminated names, in host-call order */
	size_t import_count;
	const struct loader_polkavm_export *exports;
	size_t export_count;
	const uint8_t *blob; /* the code: a raw program blob */
	size_t blob_length;
};

/* Writes a container of `parts` into *out (malloc'd, *length bytes): the
 * memory and code sections always, the others when they are not empty. The
 * same parts always give the same bytes. What loader_polkavm_parse would
 * refuse is refused here, with its message. */
int loader_polkavm_write(const struct loader_polkavm_parts *parts, uint8_t **out, size_t *length,
			 struct pvm_error *error);

#endif
