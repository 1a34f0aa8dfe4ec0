/* The .polkavm container (see loader/polkavm.h): parsing in place, and
 * writing, which parses what it wrote before handing it out. */
#include "loader/polkavm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "core/encode.h"
#include "loader/container.h"

#define VARINT_MAX 9

static const char *const section_names[] = {
	[LOADER_POLKAVM_END] = "end",
	[LOADER_POLKAVM_MEMORY] = "memory",
	[LOADER_POLKAVM_RO_DATA] = "read-only data",
	[LOADER_POLKAVM_RW_DATA] = "read-write data",
	[LOADER_POLKAVM_IMPORTS] = "imports",
	[LOADER_POLKAVM_EXPORTS] = "exports",
	[LOADER_POLKAVM_CODE] = "code",
};

static const char *section_name(unsigned id)
{
	if (id <= LOADER_POLKAVM_CODE)
		return section_names[id];
	return id >= LOADER_POLKAVM_OPTIONAL_ID ? "optional" : "unknown";
}

static void error_vset(struct pvm_error *error, size_t at, const char *prefix, const char *format, va_list args)
{
	int n = snprintf(error->message, sizeof error->message, "%s", prefix);
	if (n < 0 || (size_t)n >= sizeof error->message)
		n = 0;
	vsnprintf(error->message + n, sizeof error->message - (size_t)n, format, args);
	error->offset = at > UINT32_MAX ? UINT32_MAX : (uint32_t)at;
}

static int fail(struct pvm_error *error, size_t at, const char *format, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct pvm_error *error, size_t at, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	error_vset(error, at, "", format, args);
	va_end(args);
	return -1;
}

/* One section's contents, [at, end) of the file. */
struct section {
	const uint8_t *bytes; /* the whole file: offsets in messages are the file's */
	size_t at, end;
	size_t start; /* where the section's id byte is */
	unsigned id;
	struct pvm_error *error;
};

static int section_fail(const struct section *s, size_t at, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static int section_fail(const struct section *s, size_t at, const char *format, ...)
{
	char prefix[96];
	snprintf(prefix, sizeof prefix, "the %s section (id %u) at byte %zu: ", section_name(s->id), s->id, s->start);
	va_list args;
	va_start(args, format);
	error_vset(s->error, at, prefix, format, args);
	va_end(args);
	return -1;
}

static int read_number(struct section *s, const char *what, uint64_t limit, uint64_t *value)
{
	size_t at = s->at;
	if (at >= s->end)
		return section_fail(s, at, "the section ends at byte %zu where %s should be", at, what);
	if (pvm_varint_read(s->bytes, s->end, &s->at, value))
		return section_fail(s, at, "%s at byte %zu is a truncated or non-canonical number", what, at);
	if (*value > limit)
		return section_fail(s, at, "%s at byte %zu is %llu, over the limit of %llu", what, at,
				    (unsigned long long)*value, (unsigned long long)limit);
	return 0;
}

static int require_end(const struct section *s)
{
	if (s->at == s->end)
		return 0;
	return section_fail(s, s->at, "%zu bytes are left over at byte %zu, after everything the section holds",
			    s->end - s->at, s->at);
}

/* ---- imports and exports ------------------------------------------------ */

struct name_ref {
	const uint8_t *name;
	uint32_t length;
	uint32_t index;
	size_t at;
};

static int compare_names(const void *a, const void *b)
{
	const struct name_ref *x = a, *y = b;
	uint32_t n = x->length < y->length ? x->length : y->length;
	int order = memcmp(x->name, y->name, n);
	if (order)
		return order;
	if (x->length != y->length)
		return x->length < y->length ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static bool same_name(const struct name_ref *a, const struct name_ref *b)
{
	return a->length == b->length && !memcmp(a->name, b->name, a->length);
}

/* The name of entry `index`, which starts at byte `at`. */
static int read_name(struct section *s, const char *kind, uint32_t index, size_t at, struct name_ref *ref)
{
	uint64_t length;
	char what[64];
	snprintf(what, sizeof what, "the name length of %s %u", kind, index);
	if (read_number(s, what, UINT32_MAX, &length))
		return -1;
	if (length == 0 || length > LOADER_POLKAVM_NAME_MAX)
		return section_fail(s, at, "%s %u at byte %zu has a name of %llu bytes (names are 1 to %u bytes)", kind,
				    index, at, (unsigned long long)length, LOADER_POLKAVM_NAME_MAX);
	if (length > s->end - s->at)
		return section_fail(s, at,
				    "%s %u at byte %zu: its %llu-byte name runs past the section's end at byte %zu",
				    kind, index, at, (unsigned long long)length, s->end);
	const uint8_t *name = s->bytes + s->at;
	for (uint32_t i = 0; i < length; i++)
		if (name[i] < 0x20 || name[i] > 0x7E)
			return section_fail(
				s, s->at + i,
				"the name of %s %u has byte 0x%02x at byte %zu: names are printable ASCII (0x20..0x7E)",
				kind, index, name[i], s->at + i);
	*ref = (struct name_ref){.name = name, .length = (uint32_t)length, .index = index, .at = at};
	s->at += length;
	return 0;
}

static int read_entries(struct section *s, struct loader_symbols *symbols, struct name_ref *refs)
{
	const char *kind = symbols->has_pc ? "export" : "import";
	for (uint32_t i = 0; i < symbols->count; i++) {
		size_t at = s->at;
		uint64_t pc = 0;
		char what[48];
		snprintf(what, sizeof what, "the pc of export %u", i);
		if (symbols->has_pc && read_number(s, what, UINT32_MAX, &pc))
			return -1;
		if (read_name(s, kind, i, at, &refs[i]))
			return -1;
	}
	if (require_end(s))
		return -1;
	/* Sorted, a repeated name sits next to its first use. */
	qsort(refs, symbols->count, sizeof *refs, compare_names);
	for (uint32_t i = 1; i < symbols->count; i++)
		if (same_name(&refs[i - 1], &refs[i]))
			return section_fail(s, refs[i].at, "%s %u at byte %zu is named \"%.*s\" like %s %u", kind,
					    refs[i].index, refs[i].at, (int)refs[i].length, (const char *)refs[i].name,
					    kind, refs[i - 1].index);
	return 0;
}

static int parse_symbols(struct section *s, bool has_pc, struct loader_symbols *symbols)
{
	const char *kind = has_pc ? "exports" : "imports";
	size_t at = s->at;
	uint64_t count;
	if (read_number(s, "the count", UINT32_MAX, &count))
		return -1;
	/* The smallest entry: a one-byte name behind its length (and pc). */
	size_t smallest = has_pc ? 3 : 2, left = s->end - s->at;
	if (count > left / smallest)
		return section_fail(s, at, "%llu %s cannot fit in the %zu bytes that follow the count",
				    (unsigned long long)count, kind, left);
	*symbols = (struct loader_symbols){
		.bytes = s->bytes + s->at, .length = left, .count = (uint32_t)count, .has_pc = has_pc};
	struct name_ref *refs = calloc(count ? count : 1, sizeof *refs);
	if (!refs)
		return section_fail(s, at, "out of memory checking %llu names", (unsigned long long)count);
	int status = read_entries(s, symbols, refs);
	free(refs);
	return status;
}

void loader_symbol_next(const struct loader_symbols *symbols, size_t *at, struct loader_symbol *symbol)
{
	uint64_t pc = 0, length = 0;
	*symbol = (struct loader_symbol){0};
	if ((symbols->has_pc && pvm_varint_read(symbols->bytes, symbols->length, at, &pc)) ||
	    pvm_varint_read(symbols->bytes, symbols->length, at, &length) || length > symbols->length - *at)
		return;
	symbol->name = symbols->bytes + *at;
	symbol->name_length = (uint32_t)length;
	symbol->pc = (uint32_t)pc;
	*at += length;
}

/* ---- the container -------------------------------------------------------- */

bool loader_polkavm_has_magic(const uint8_t *bytes, size_t length)
{
	return length >= 4 && !memcmp(bytes, LOADER_POLKAVM_MAGIC, 4);
}

static uint64_t read_u64(const uint8_t *at)
{
	uint64_t value = 0;
	for (unsigned i = 0; i < 8; i++)
		value |= (uint64_t)at[i] << (8 * i);
	return value;
}

static int parse_header(const uint8_t *bytes, size_t length, struct loader_program *program, struct pvm_error *error)
{
	if (length < 4)
		return fail(error, 0, "%zu bytes are too few for a .polkavm container, which starts with \"PVM\\0\"",
			    length);
	if (!loader_polkavm_has_magic(bytes, length))
		return fail(
			error, 0,
			"not a .polkavm container: it starts with %02x %02x %02x %02x, not the magic \"PVM\\0\" (50 56 4d 00)",
			bytes[0], bytes[1], bytes[2], bytes[3]);
	if (length < 5)
		return fail(error, 4, "the file ends after the magic, where the version byte should be");
	if (bytes[4] == LOADER_POLKAVM_GP07)
		program->isa = CORRAL_ISA_GP07;
	else if (bytes[4] == LOADER_POLKAVM_GP08)
		program->isa = CORRAL_ISA_GP08;
	else
		return fail(error, 4,
			    "unsupported version %u at byte 4 (%u is the GP 0.7 numbering, %u the GP 0.8 / JamV1 one)",
			    bytes[4], LOADER_POLKAVM_GP07, LOADER_POLKAVM_GP08);
	if (length < LOADER_POLKAVM_HEADER)
		return fail(error, 5, "the file ends at byte %zu, inside the 8-byte file length at byte 5", length);
	uint64_t declared = read_u64(bytes + 5);
	if (declared != length)
		return fail(error, 5, "the header says the file is %llu bytes long, but it is %zu",
			    (unsigned long long)declared, length);
	return 0;
}

static int parse_data(struct section *s, uint32_t size, const char *region, const char *size_name, const uint8_t **data,
		      uint32_t *length)
{
	size_t n = s->end - s->at;
	if (n > size)
		return section_fail(s, s->at,
				    "%zu bytes of data do not fit the %u-byte %s region (the memory section's %s)", n,
				    size, region, size_name);
	*data = s->bytes + s->at;
	*length = (uint32_t)n;
	s->at = s->end;
	return 0;
}

static int parse_memory(struct section *s, struct loader_program *program)
{
	uint64_t ro, rw, stack;
	if (read_number(s, "ro_data_size", UINT32_MAX, &ro) || read_number(s, "rw_data_size", UINT32_MAX, &rw) ||
	    read_number(s, "stack_size", UINT32_MAX, &stack) || require_end(s))
		return -1;
	program->ro_size = (uint32_t)ro;
	program->rw_size = (uint32_t)rw;
	program->stack_size = (uint32_t)stack;
	return 0;
}

static int parse_section(struct section *s, struct loader_program *program)
{
	switch (s->id) {
	case LOADER_POLKAVM_MEMORY:
		return parse_memory(s, program);
	case LOADER_POLKAVM_RO_DATA:
		return parse_data(s, program->ro_size, "read-only", "ro_data_size", &program->ro_data,
				  &program->ro_length);
	case LOADER_POLKAVM_RW_DATA:
		return parse_data(s, program->rw_size, "read-write", "rw_data_size", &program->rw_data,
				  &program->rw_length);
	case LOADER_POLKAVM_IMPORTS:
		return parse_symbols(s, false, &program->imports);
	case LOADER_POLKAVM_EXPORTS:
		return parse_symbols(s, true, &program->exports);
	case LOADER_POLKAVM_CODE:
		program->blob = s->bytes + s->at;
		program->blob_length = s->end - s->at;
		return 0;
	}
	if (s->id >= LOADER_POLKAVM_OPTIONAL_ID)
		return 0;
	return section_fail(s, s->start,
			    "no such section: ids 1 to 6 are defined, and only ids 0x80 and above may be skipped");
}

/* What the sections say together: the code, the exports' pcs, the layout. */
static int check_whole(const uint8_t *bytes, size_t length, size_t code_at, struct loader_program *program,
		       struct pvm_error *error)
{
	if (!program->blob)
		return fail(error, length, "no code section (id %u): a .polkavm container must have one",
			    LOADER_POLKAVM_CODE);
	struct pvm_blob blob;
	struct pvm_error problem;
	if (pvm_blob_parse(&blob, program->blob, program->blob_length, &problem))
		return fail(error, code_at + problem.offset,
			    "the code section at byte %zu is not a program blob (offsets from its start): %s", code_at,
			    problem.message);
	size_t at = 0;
	for (uint32_t i = 0; i < program->exports.count; i++) {
		struct loader_symbol symbol;
		size_t entry = at;
		loader_symbol_next(&program->exports, &at, &symbol);
		if (symbol.pc >= blob.code_length)
			return fail(error, (size_t)(program->exports.bytes - bytes) + entry,
				    "export %u \"%.*s\" is at pc %u, past the end of the %u-byte code", i,
				    (int)symbol.name_length, (const char *)symbol.name, symbol.pc, blob.code_length);
	}
	uint64_t rw_pages = ((uint64_t)program->rw_size + CORRAL_PAGE_SIZE - 1) / CORRAL_PAGE_SIZE;
	uint64_t data_pages = ((uint64_t)program->rw_length + CORRAL_PAGE_SIZE - 1) / CORRAL_PAGE_SIZE;
	program->heap_pages = (uint32_t)(rw_pages - data_pages);
	if (loader_layout_check(program, &problem))
		return fail(error, 0, "the memory section's sizes: %s", problem.message);
	return 0;
}

int loader_polkavm_parse(const uint8_t *bytes, size_t length, struct loader_program *program, struct pvm_error *error)
{
	*program = (struct loader_program){.format = CORRAL_FORMAT_POLKAVM};
	if (parse_header(bytes, length, program, error))
		return -1;
	size_t at = LOADER_POLKAVM_HEADER, code_at = 0;
	int last = -1;
	for (;;) {
		if (at >= length)
			return fail(error, at, "the file ends at byte %zu without the end section (id 0)", at);
		struct section s = {.bytes = bytes, .start = at, .id = bytes[at], .error = error};
		uint64_t n;
		s.at = at + 1;
		if (s.at >= length)
			return section_fail(&s, s.at, "the file ends at byte %zu where the section's length should be",
					    s.at);
		if (pvm_varint_read(bytes, length, &s.at, &n))
			return section_fail(&s, at + 1, "its length at byte %zu is a truncated or non-canonical number",
					    at + 1);
		if (n > length - s.at)
			return section_fail(&s, s.at, "it says %llu bytes, but only %zu follow its length",
					    (unsigned long long)n, length - s.at);
		s.end = s.at + (size_t)n;
		if (s.id == LOADER_POLKAVM_END) {
			if (n)
				return section_fail(&s, s.at, "it must be empty, but says %llu bytes",
						    (unsigned long long)n);
			if (s.end != length)
				return section_fail(
					&s, s.end,
					"%zu bytes follow it at byte %zu: the end section must be the last thing in the file",
					length - s.end, s.end);
			break;
		}
		if ((int)s.id == last)
			return section_fail(&s, at, "a second one: each section appears at most once");
		if ((int)s.id < last)
			return section_fail(&s, at, "it comes after the %s section (id %d): ids must ascend",
					    section_name((unsigned)last), last);
		last = (int)s.id;
		if (s.id == LOADER_POLKAVM_CODE)
			code_at = s.at;
		if (parse_section(&s, program))
			return -1;
		at = s.end;
	}
	return check_whole(bytes, length, code_at, program, error);
}

/* ---- writing ---------------------------------------------------------------- */

struct output {
	uint8_t *bytes;
	size_t length, capacity;
	bool failed;
};

static void put(struct output *out, const void *data, size_t n)
{
	if (out->failed || n == 0)
		return;
	if (n > SIZE_MAX - out->length) {
		out->failed = true;
		return;
	}
	if (out->length + n > out->capacity) {
		size_t capacity = out->capacity ? out->capacity : 256;
		while (capacity < out->length + n)
			capacity = capacity > SIZE_MAX / 2 ? out->length + n : capacity * 2;
		uint8_t *bigger = realloc(out->bytes, capacity);
		if (!bigger) {
			out->failed = true;
			return;
		}
		out->bytes = bigger;
		out->capacity = capacity;
	}
	memcpy(out->bytes + out->length, data, n);
	out->length += n;
}

static void put_varint(struct output *out, uint64_t value)
{
	uint8_t bytes[VARINT_MAX];
	put(out, bytes, pvm_varint_write(value, bytes));
}

static void put_name(struct output *out, const char *name)
{
	size_t n = strlen(name);
	put_varint(out, n);
	put(out, name, n);
}

/* Moves `body` into `out` as section `id`. */
static void put_section(struct output *out, unsigned id, struct output *body)
{
	uint8_t byte = (uint8_t)id;
	put(out, &byte, 1);
	put_varint(out, body->length);
	put(out, body->bytes, body->length);
	out->failed |= body->failed;
	free(body->bytes);
	*body = (struct output){0};
}

static void put_sections(struct output *out, const struct loader_polkavm_parts *parts)
{
	struct output body = {0};

	put_varint(&body, parts->ro_data_size);
	put_varint(&body, parts->rw_data_size);
	put_varint(&body, parts->stack_size);
	put_section(out, LOADER_POLKAVM_MEMORY, &body);
	if (parts->ro_data_length) {
		put(&body, parts->ro_data, parts->ro_data_length);
		put_section(out, LOADER_POLKAVM_RO_DATA, &body);
	}
	if (parts->rw_data_length) {
		put(&body, parts->rw_data, parts->rw_data_length);
		put_section(out, LOADER_POLKAVM_RW_DATA, &body);
	}
	if (parts->import_count) {
		put_varint(&body, parts->import_count);
		for (size_t i = 0; i < parts->import_count; i++)
			put_name(&body, parts->imports[i]);
		put_section(out, LOADER_POLKAVM_IMPORTS, &body);
	}
	if (parts->export_count) {
		put_varint(&body, parts->export_count);
		for (size_t i = 0; i < parts->export_count; i++) {
			put_varint(&body, parts->exports[i].pc);
			put_name(&body, parts->exports[i].name);
		}
		put_section(out, LOADER_POLKAVM_EXPORTS, &body);
	}
	put(&body, parts->blob, parts->blob_length);
	put_section(out, LOADER_POLKAVM_CODE, &body);
	put_section(out, LOADER_POLKAVM_END, &body);
}

int loader_polkavm_write(const struct loader_polkavm_parts *parts, uint8_t **out, size_t *length,
			 struct pvm_error *error)
{
	*out = NULL;
	*length = 0;
	if (parts->isa != CORRAL_ISA_GP07 && parts->isa != CORRAL_ISA_GP08)
		return fail(error, 0, "unknown ISA %u: a .polkavm container holds GP 0.7 or GP 0.8 code",
			    (unsigned)parts->isa);
	for (size_t i = 0; i < parts->import_count; i++)
		if (!parts->imports[i])
			return fail(error, 0, "import %zu has no name", i);
	for (size_t i = 0; i < parts->export_count; i++)
		if (!parts->exports[i].name)
			return fail(error, 0, "export %zu has no name", i);

	struct output file = {0};
	uint8_t header[LOADER_POLKAVM_HEADER] = {'P', 'V', 'M', 0};
	header[4] = parts->isa == CORRAL_ISA_GP08 ? LOADER_POLKAVM_GP08 : LOADER_POLKAVM_GP07;
	put(&file, header, sizeof header);
	put_sections(&file, parts);
	if (file.failed) {
		free(file.bytes);
		return fail(error, 0, "out of memory writing a .polkavm container");
	}
	for (unsigned i = 0; i < 8; i++)
		file.bytes[5 + i] = (uint8_t)((uint64_t)file.length >> (8 * i));

	struct loader_program program;
	if (loader_polkavm_parse(file.bytes, file.length, &program, error)) {
		free(file.bytes);
		return -1;
	}
	*out = file.bytes;
	*length = file.length;
	return 0;
}
