/* Program containers: what a file of PVM code can be.
 *
 * - a raw program blob (GP A.2);
 * - a JAM standard program (GP A.7): E3(|o|) E3(|w|) E2(z) E3(s) o w E4(|c|) c;
 * - the same behind a metadata prefix E(|m|) m, as JAM service code is stored
 *   (the service programs among the vectors);
 * - a .polkavm container (loader/polkavm.h), laid out as a standard program.
 * Everything returned points into the caller's bytes. */
#ifndef LOADER_CONTAINER_H
#define LOADER_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/text.h"
#include "corral.h"
#include "loader/polkavm.h"

struct loader_program {
	corral_format format; /* CORRAL_FORMAT_BLOB, _JAM or _POLKAVM */
	const uint8_t *metadata;
	size_t metadata_length;
	bool has_metadata;
	const uint8_t *blob; /* the code, as a raw program blob */
	size_t blob_length;
	/* JAM standard programs and .polkavm containers */
	const uint8_t *ro_data;
	uint32_t ro_length;
	const uint8_t *rw_data;
	uint32_t rw_length;
	uint32_t heap_pages; /* z */
	uint32_t stack_size; /* s */
	/* .polkavm containers only */
	uint32_t ro_size; /* the read-only region, when it is longer than its data */
	uint32_t rw_size; /* the read-write region before the heap: rw data and heap_pages cover it */
	corral_isa isa;   /* the version byte's numbering */
	struct loader_symbols imports, exports;
};

int loader_parse(const uint8_t *bytes, size_t length, corral_format format, struct loader_program *program,
		 struct pvm_error *error);

const char *loader_format_name(corral_format format);

/* GP A.7 constants */
#define LOADER_ZONE_SIZE  0x10000u   /* Z_Z */
#define LOADER_INPUT_SIZE 0x1000000u /* Z_I: the most argument data */

struct loader_region {
	uint32_t address;
	uint32_t length; /* mapped bytes, a whole number of pages */
	corral_page_access access;
	const uint8_t *data; /* initial contents; the rest reads as zero */
	uint32_t data_length;
	const char *name;
};

struct loader_layout {
	struct loader_region regions[4]; /* ro data, rw data + heap, stack, arguments */
	uint32_t region_count;
	uint64_t regs[CORRAL_REGISTER_COUNT];
	uint32_t heap_top; /* where sbrk starts handing out memory */
	uint32_t heap_end; /* and where it stops */
};

/* Does the program's memory fit the standard layout's 4 GiB, whatever the
 * arguments? loader_standard_layout checks this too. */
int loader_layout_check(const struct loader_program *program, struct pvm_error *error);

/* The initial memory and registers of a standard program (GP A.7, Y). */
int loader_standard_layout(const struct loader_program *program, const uint8_t *arguments, size_t arguments_length,
			   struct loader_layout *layout, struct pvm_error *error);

#endif
