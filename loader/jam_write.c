#include "loader/jam_write.h"

#include <stdlib.h>
#include <string.h>

#include "core/encode.h"

static uint8_t *put_fixed(uint8_t *at, uint64_t value, unsigned width)
{
	for (unsigned i = 0; i < width; i++)
		at[i] = (uint8_t)(value >> (8 * i));
	return at + width;
}

static uint8_t *put_bytes(uint8_t *at, const uint8_t *bytes, size_t length)
{
	if (length)
		memcpy(at, bytes, length);
	return at + length;
}

/* The largest numbers E2, E3 and E4 (fixed-width fields) hold. */
#define E2_MAX 0xFFFFu
#define E3_MAX 0xFFFFFFu
#define E4_MAX 0xFFFFFFFFu

/* Each length has a field of fixed width: say which one overflows. */
static int check_limits(const struct loader_jam_parts *parts, struct pvm_error *error)
{
	if (parts->ro_length > E3_MAX)
		pvm_error_set(
			error, 0,
			"the read-only data is %llu bytes, but a JAM standard program holds at most 16777215 (2^24 - 1)",
			(unsigned long long)parts->ro_length);
	else if (parts->rw_length > E3_MAX)
		pvm_error_set(
			error, 0,
			"the read-write data is %llu bytes, but a JAM standard program holds at most 16777215 (2^24 - 1)",
			(unsigned long long)parts->rw_length);
	else if (parts->heap_pages > E2_MAX)
		pvm_error_set(error, 0, "%llu heap pages are more than a JAM standard program can ask for (65535)",
			      (unsigned long long)parts->heap_pages);
	else if (parts->stack_size > E3_MAX)
		pvm_error_set(error, 0,
			      "a stack of %llu bytes is more than a JAM standard program can ask for (16777215)",
			      (unsigned long long)parts->stack_size);
	else if (parts->blob_length > E4_MAX)
		pvm_error_set(error, 0,
			      "the code is %llu bytes, but a JAM standard program holds at most 4294967295 (2^32 - 1)",
			      (unsigned long long)parts->blob_length);
	else
		return 0;
	return -1;
}

int loader_jam_write(const struct loader_jam_parts *parts, uint8_t **out, size_t *length, struct pvm_error *error)
{
	*out = NULL;
	*length = 0;
	if (check_limits(parts, error))
		return -1;
	uint8_t prefix[9];
	uint32_t prefix_length = parts->has_metadata ? pvm_varint_write(parts->metadata_length, prefix) : 0;
	size_t metadata_length = parts->has_metadata ? parts->metadata_length : 0;
	/* Within the limits, and with the metadata in memory, this fits. */
	size_t total =
		prefix_length + metadata_length + 11 + parts->ro_length + parts->rw_length + 4 + parts->blob_length;
	uint8_t *program = malloc(total);
	if (!program) {
		pvm_error_set(error, 0, "out of memory for a %llu-byte program", (unsigned long long)total);
		return -1;
	}
	uint8_t *at = put_bytes(program, prefix, prefix_length);
	at = put_bytes(at, parts->metadata, metadata_length);
	at = put_fixed(at, parts->ro_length, 3);
	at = put_fixed(at, parts->rw_length, 3);
	at = put_fixed(at, parts->heap_pages, 2);
	at = put_fixed(at, parts->stack_size, 3);
	at = put_bytes(at, parts->ro_data, parts->ro_length);
	at = put_bytes(at, parts->rw_data, parts->rw_length);
	at = put_fixed(at, parts->blob_length, 4);
	put_bytes(at, parts->blob, parts->blob_length);
	*out = program;
	*length = total;
	return 0;
}
