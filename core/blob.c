#include "blob.h"

#include <stdbool.h>

int pvm_varint_read(const uint8_t *bytes, size_t length, size_t *offset, uint64_t *value)
{
	if (*offset >= length)
		return -1;
	uint8_t first = bytes[*offset];
	unsigned extra = 0; /* leading one bits of the first byte */
	while (extra < 8 && (first & (0x80u >> extra)))
		extra++;
	if (length - *offset - 1 < extra)
		return -1;
	uint64_t low = 0;
	for (unsigned i = 0; i < extra; i++)
		low |= (uint64_t)bytes[*offset + 1 + i] << (8 * i);
	uint64_t result;
	if (extra == 8) {
		result = low;
		if (result < (1ull << 56))
			return -1;
	} else {
		uint64_t high = first & (0xFFu >> (extra + 1));
		result = (high << (8 * extra)) | low;
		if (extra > 0 && result < (1ull << (7 * extra)))
			return -1;
	}
	*offset += 1 + extra;
	*value = result;
	return 0;
}

static int read_length(const uint8_t *bytes, size_t length, size_t *offset, uint64_t *value, const char *what,
		       struct pvm_error *error)
{
	size_t at = *offset;
	if (pvm_varint_read(bytes, length, offset, value) == 0)
		return 0;
	if (at >= length)
		pvm_error_set(error, (uint32_t)at, "blob ends at byte %u where the %s should be", (unsigned)at, what);
	else
		pvm_error_set(error, (uint32_t)at, "the %s at byte %u is a truncated or non-canonical number", what,
			      (unsigned)at);
	return -1;
}

int pvm_blob_parse(struct pvm_blob *blob, const uint8_t *bytes, size_t length, struct pvm_error *error)
{
	size_t offset = 0;
	uint64_t jump_count, code_length;

	if (read_length(bytes, length, &offset, &jump_count, "jump-table length", error))
		return -1;
	if (offset >= length) {
		pvm_error_set(error, (uint32_t)offset, "blob ends at byte %u where the jump-table entry size should be",
			      (unsigned)offset);
		return -1;
	}
	uint8_t entry_size = bytes[offset++];
	if (read_length(bytes, length, &offset, &code_length, "code length", error))
		return -1;

	if (code_length > UINT32_MAX - 1) {
		pvm_error_set(error, 0, "code length %llu is over the 4 GiB a pc can address",
			      (unsigned long long)code_length);
		return -1;
	}
	/* Division, not multiplication: a hostile count must not overflow. */
	size_t left = length - offset;
	if (jump_count > 0 && (entry_size == 0 || jump_count > left / entry_size)) {
		if (entry_size == 0)
			pvm_error_set(error, 1, "the jump table has %llu entries of 0 bytes each",
				      (unsigned long long)jump_count);
		else
			pvm_error_set(error, (uint32_t)offset,
				      "jump table of %llu entries x %u bytes runs past the end of the %u-byte blob",
				      (unsigned long long)jump_count, entry_size, (unsigned)length);
		return -1;
	}
	size_t table_bytes = (size_t)jump_count * entry_size;
	blob->jump_table = bytes + offset;
	blob->jump_count = (uint32_t)jump_count;
	blob->jump_entry_size = entry_size;
	offset += table_bytes;

	size_t mask_bytes = (size_t)((code_length + 7) / 8);
	left = length - offset;
	if (code_length > left || mask_bytes > left - code_length) {
		pvm_error_set(
			error, (uint32_t)offset,
			"code (%llu bytes) and bitmask (%u bytes) starting at byte %u run past the end of the %u-byte blob",
			(unsigned long long)code_length, (unsigned)mask_bytes, (unsigned)offset, (unsigned)length);
		return -1;
	}
	blob->code = bytes + offset;
	blob->code_length = (uint32_t)code_length;
	offset += code_length;
	blob->bitmask = bytes + offset;
	offset += mask_bytes;

	if (offset != length) {
		pvm_error_set(error, (uint32_t)offset,
			      "%u bytes of trailing data after the bitmask, which ends at byte %u",
			      (unsigned)(length - offset), (unsigned)offset);
		return -1;
	}
	unsigned used_bits = code_length % 8;
	if (used_bits && (blob->bitmask[mask_bytes - 1] >> used_bits)) {
		pvm_error_set(error, (uint32_t)(offset - 1),
			      "bitmask padding bits in byte %u are not zero (code is %llu bytes)",
			      (unsigned)(offset - 1), (unsigned long long)code_length);
		return -1;
	}
	return 0;
}

uint32_t pvm_blob_jump_entry(const struct pvm_blob *blob, uint32_t index)
{
	const uint8_t *entry = blob->jump_table + (size_t)index * blob->jump_entry_size;
	uint64_t value = 0;
	for (unsigned i = 0; i < blob->jump_entry_size; i++) {
		if (i >= 4) {
			if (entry[i])
				return UINT32_MAX;
			continue;
		}
		value |= (uint64_t)entry[i] << (8 * i);
	}
	return (uint32_t)value;
}
