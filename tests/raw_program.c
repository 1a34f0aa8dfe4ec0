#include "tests/raw_program.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* The Gray Paper's natural-number encoding E (GP C.1), written from the
 * paper: 2^(7l) <= x < 2^(7(l+1)) takes a prefix byte and l little-endian
 * bytes. */
static size_t put_natural(uint8_t *out, uint64_t x)
{
	if (x < 128) {
		out[0] = (uint8_t)x;
		return 1;
	}
	for (unsigned l = 1; l < 8; l++) {
		if (x < 1ull << (7 * (l + 1))) {
			out[0] = (uint8_t)(256 - (256 >> l) + (x >> (8 * l)));
			for (unsigned i = 0; i < l; i++)
				out[1 + i] = (uint8_t)(x >> (8 * i));
			return 1 + l;
		}
	}
	out[0] = 255;
	for (unsigned i = 0; i < 8; i++)
		out[1 + i] = (uint8_t)(x >> (8 * i));
	return 9;
}

size_t raw_blob(uint8_t *out, const uint8_t *code, size_t code_length, const char *starts, const uint32_t *jumps,
		size_t jump_count, unsigned entry_size)
{
	cr_assert_eq(strlen(starts), code_length, "one start mark per code byte: %zu marks for %zu bytes",
		     strlen(starts), code_length);
	cr_assert_leq(32 + jump_count * entry_size + code_length + code_length / 8, RAW_MAX_BLOB);
	size_t n = put_natural(out, jump_count);
	out[n++] = (uint8_t)entry_size;
	n += put_natural(out + n, code_length);
	for (size_t i = 0; i < jump_count; i++)
		for (unsigned b = 0; b < entry_size; b++)
			out[n++] = b < 4 ? (uint8_t)(jumps[i] >> (8 * b)) : 0;
	if (code_length)
		memcpy(out + n, code, code_length);
	n += code_length;
	size_t mask_bytes = (code_length + 7) / 8;
	memset(out + n, 0, mask_bytes);
	for (size_t i = 0; i < code_length; i++)
		if (starts[i] == '1')
			out[n + i / 8] |= (uint8_t)(1u << (i % 8));
	return n + mask_bytes;
}

corral_module_config raw_config(corral_isa isa)
{
	corral_module_config config;
	corral_module_config_init(&config);
	config.format = CORRAL_FORMAT_BLOB;
	config.isa = isa;
	return config;
}

void machine_from_code(struct machine *machine, corral_isa isa, const uint8_t *code, size_t code_length,
		       const char *starts, int64_t gas)
{
	uint8_t blob[RAW_MAX_BLOB];
	size_t length = raw_blob(blob, code, code_length, starts, NULL, 0, 0);
	corral_module_config config = raw_config(isa);
	machine_from_bytes(machine, blob, length, &config, gas);
}

void machine_from_asm(struct machine *machine, corral_isa isa, const char *source, int64_t gas)
{
	corral_module_config config = raw_config(isa);
	machine_from_source(machine, source, &config, gas);
}
