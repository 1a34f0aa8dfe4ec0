#include "loader/container.h"

#include "core/blob.h"

static const char *const format_names[] = {
	[CORRAL_FORMAT_AUTO] = "auto",
	[CORRAL_FORMAT_BLOB] = "raw blob",
	[CORRAL_FORMAT_JAM] = "JAM standard program",
	[CORRAL_FORMAT_POLKAVM] = ".polkavm container",
};

const char *loader_format_name(corral_format format)
{
	return format <= CORRAL_FORMAT_POLKAVM ? format_names[format] : "?";
}

static uint32_t read_fixed(const uint8_t *at, unsigned width)
{
	uint32_t value = 0;
	for (unsigned i = 0; i < width; i++)
		value |= (uint32_t)at[i] << (8 * i);
	return value;
}

/* E3(|o|) E3(|w|) E2(z) E3(s) o w E4(|c|) c, starting at `start`. On
 * failure returns how far it got: 1 header, 2 data, 3 code length. */
static int parse_standard(const uint8_t *bytes, size_t length, size_t start, struct loader_program *program,
			  struct pvm_error *error)
{
	enum { HEADER = 3 + 3 + 2 + 3 };
	size_t at = start;
	if (length - at < HEADER) {
		pvm_error_set(error, (uint32_t)at, "%u bytes are too few for the 11-byte standard-program header",
			      (unsigned)(length - at));
		return 1;
	}
	program->ro_length = read_fixed(bytes + at, 3);
	program->rw_length = read_fixed(bytes + at + 3, 3);
	program->heap_pages = read_fixed(bytes + at + 6, 2);
	program->stack_size = read_fixed(bytes + at + 8, 3);
	at += HEADER;
	size_t data = (size_t)program->ro_length + program->rw_length;
	if (length - at < data + 4) {
		pvm_error_set(
			error, (uint32_t)at,
			"the header promises %u bytes of read-only and %u of read-write data, then a 4-byte code length, but only %u bytes follow it",
			program->ro_length, program->rw_length, (unsigned)(length - at));
		return 2;
	}
	program->ro_data = bytes + at;
	program->rw_data = bytes + at + program->ro_length;
	at += data;
	uint32_t code_length = read_fixed(bytes + at, 4);
	at += 4;
	if (length - at != code_length) {
		pvm_error_set(error, (uint32_t)at, "the code length at byte %u says %u bytes, but %u bytes follow it",
			      (unsigned)(at - 4), code_length, (unsigned)(length - at));
		return 3;
	}
	program->blob = bytes + at;
	program->blob_length = code_length;
	program->format = CORRAL_FORMAT_JAM;
	return 0;
}

static bool code_is_blob(const struct loader_program *program)
{
	struct pvm_blob blob;
	struct pvm_error ignored;
	return pvm_blob_parse(&blob, program->blob, program->blob_length, &ignored) == 0;
}

/* A JAM standard program, behind a metadata prefix or not. Both readings
 * can hold for the same bytes (a metadata prefix can look like a header
 * with empty code); the one whose code is a blob wins, then the plain one. */
static int parse_jam(const uint8_t *bytes, size_t length, struct loader_program *program, struct pvm_error *error)
{
	struct loader_program plain_reading = *program, metadata_reading = *program;
	struct pvm_error plain, behind_metadata;
	/* metadata_stage: -1 when there is no metadata prefix to read behind */
	int plain_stage = parse_standard(bytes, length, 0, &plain_reading, &plain), metadata_stage = -1;
	size_t at = 0;
	uint64_t metadata_length;
	if (pvm_varint_read(bytes, length, &at, &metadata_length) == 0 && metadata_length <= length - at) {
		metadata_stage =
			parse_standard(bytes, length, at + metadata_length, &metadata_reading, &behind_metadata);
		metadata_reading.has_metadata = true;
		metadata_reading.metadata = bytes + at;
		metadata_reading.metadata_length = (size_t)metadata_length;
	}
	bool behind_read = metadata_stage == 0;
	if (plain_stage == 0 && (!behind_read || code_is_blob(&plain_reading) || !code_is_blob(&metadata_reading))) {
		*program = plain_reading;
		return 0;
	}
	if (behind_read) {
		*program = metadata_reading;
		return 0;
	}
	/* Neither reading works. When the one behind metadata got at least as
	 * far, either may be what was meant: say both. */
	if (metadata_stage < plain_stage || metadata_stage < 2)
		*error = plain;
	else
		pvm_error_set(error, plain.offset, "%s (read behind a %llu-byte metadata prefix: %s)", plain.message,
			      (unsigned long long)metadata_length, behind_metadata.message);
	return -1;
}

int loader_parse(const uint8_t *bytes, size_t length, corral_format format, struct loader_program *program,
		 struct pvm_error *error)
{
	*program = (struct loader_program){0};
	struct pvm_blob blob;
	struct pvm_error jam_error, blob_error, polkavm_error;
	bool magic;

	switch (format) {
	case CORRAL_FORMAT_BLOB:
		program->format = CORRAL_FORMAT_BLOB;
		program->blob = bytes;
		program->blob_length = length;
		return 0;
	case CORRAL_FORMAT_JAM:
		return parse_jam(bytes, length, program, error);
	case CORRAL_FORMAT_POLKAVM:
		return loader_polkavm_parse(bytes, length, program, error);
	case CORRAL_FORMAT_AUTO:
		/* The magic decides first. Should a file that starts with it not
		 * be a container after all, the other readings still get their
		 * chance, but a failure is reported as the container's. */
		magic = loader_polkavm_has_magic(bytes, length);
		if (magic && loader_polkavm_parse(bytes, length, program, &polkavm_error) == 0)
			return 0;
		/* A JAM reading whose code is no blob loses to a raw blob that
		 * parses (the container's shape alone can be chance), and to the
		 * container's own error when the magic is there. */
		*program = (struct loader_program){0};
		if (parse_jam(bytes, length, program, &jam_error) == 0 &&
		    (pvm_blob_parse(&blob, program->blob, program->blob_length, &jam_error) == 0 ||
		     (!magic && pvm_blob_parse(&blob, bytes, length, &blob_error) != 0)))
			return 0;
		if (pvm_blob_parse(&blob, bytes, length, &blob_error) == 0) {
			*program = (struct loader_program){0};
			program->format = CORRAL_FORMAT_BLOB;
			program->blob = bytes;
			program->blob_length = length;
			return 0;
		}
		if (magic)
			*error = polkavm_error;
		else
			pvm_error_set(error, 0, "not a PVM program: as a JAM standard program, %s; as a raw blob, %s",
				      jam_error.message, blob_error.message);
		return -1;
	}
	pvm_error_set(error, 0, "unknown program format %u", (unsigned)format);
	return -1;
}

static uint64_t page_round(uint64_t x)
{
	return (x + CORRAL_PAGE_SIZE - 1) / CORRAL_PAGE_SIZE * CORRAL_PAGE_SIZE;
}

static uint64_t zone_round(uint64_t x)
{
	return (x + LOADER_ZONE_SIZE - 1) / LOADER_ZONE_SIZE * LOADER_ZONE_SIZE;
}

static void add_region(struct loader_layout *layout, const char *name, uint64_t address, uint64_t length,
		       corral_page_access access, const uint8_t *data, uint32_t data_length)
{
	if (length == 0)
		return;
	layout->regions[layout->region_count++] = (struct loader_region){
		.address = (uint32_t)address,
		.length = (uint32_t)length,
		.access = access,
		.data = data,
		.data_length = data_length,
		.name = name,
	};
}

/* A .polkavm program's read-only region may be longer than its data. */
static uint32_t ro_region_length(const struct loader_program *program)
{
	return program->ro_size > program->ro_length ? program->ro_size : program->ro_length;
}

int loader_layout_check(const struct loader_program *program, struct pvm_error *error)
{
	const uint64_t Z = LOADER_ZONE_SIZE, I = LOADER_INPUT_SIZE;
	uint32_t ro = ro_region_length(program);
	uint64_t heap_bytes = (uint64_t)program->rw_length + (uint64_t)program->heap_pages * CORRAL_PAGE_SIZE;
	uint64_t needed = 5 * Z + zone_round(ro) + zone_round(heap_bytes) + zone_round(program->stack_size) + I;
	if (needed > 1ull << 32) {
		pvm_error_set(
			error, 0,
			"the memory layout needs %llu bytes (%u read-only, %u read-write, %u heap pages, %u stack), more than the 4 GiB address space",
			(unsigned long long)needed, ro, program->rw_length, program->heap_pages, program->stack_size);
		return -1;
	}
	return 0;
}

int loader_standard_layout(const struct loader_program *program, const uint8_t *arguments, size_t arguments_length,
			   struct loader_layout *layout, struct pvm_error *error)
{
	const uint64_t Z = LOADER_ZONE_SIZE, I = LOADER_INPUT_SIZE, top = 1ull << 32;
	*layout = (struct loader_layout){0};
	if (arguments_length > I) {
		pvm_error_set(error, 0, "%llu bytes of arguments are over the limit of %u",
			      (unsigned long long)arguments_length, (unsigned)I);
		return -1;
	}
	if (loader_layout_check(program, error))
		return -1;
	uint32_t ro = ro_region_length(program);
	uint64_t rw_start = 2 * Z + zone_round(ro);
	uint64_t heap_end =
		rw_start + page_round(program->rw_length) + (uint64_t)program->heap_pages * CORRAL_PAGE_SIZE;
	uint64_t stack_end = top - 2 * Z - I;
	uint64_t stack_start = stack_end - page_round(program->stack_size);
	uint64_t arguments_start = top - Z - I;

	add_region(layout, "read-only data", Z, page_round(ro), CORRAL_PAGE_READ, program->ro_data, program->ro_length);
	add_region(layout, "read-write data and heap", rw_start, heap_end - rw_start, CORRAL_PAGE_WRITE,
		   program->rw_data, program->rw_length);
	add_region(layout, "stack", stack_start, stack_end - stack_start, CORRAL_PAGE_WRITE, 0, 0);
	add_region(layout, "arguments", arguments_start, page_round(arguments_length), CORRAL_PAGE_READ, arguments,
		   (uint32_t)arguments_length);

	layout->regs[0] = top - Z;
	layout->regs[1] = stack_end;
	layout->regs[7] = arguments_start;
	layout->regs[8] = arguments_length;
	/* sbrk hands out memory from the end of the initial heap and stops one
	 * zone short of the stack, keeping the gap the layout keeps elsewhere. */
	layout->heap_top = (uint32_t)heap_end;
	layout->heap_end = (uint32_t)(stack_start - Z);
	return 0;
}
