/* SHA-256 as FIPS 180-4 section 6.2 gives it: one 64-round compression per
 * 64-byte block, the message padded with 0x80, zeros and its bit length. */
#include <string.h>

#include "host/sha256.h"

static const uint32_t round_constants[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t initial_state[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static uint32_t rotate(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void compress(uint32_t state[8], const uint8_t block[64])
{
	uint32_t w[64];
	for (unsigned i = 0; i < 16; i++)
		w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 |
		       (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
	for (unsigned i = 16; i < 64; i++) {
		uint32_t s0 = rotate(w[i - 15], 7) ^ rotate(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = rotate(w[i - 2], 17) ^ rotate(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
	uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
	for (unsigned i = 0; i < 64; i++) {
		uint32_t t1 = h + (rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25)) + ((e & f) ^ (~e & g)) +
			      round_constants[i] + w[i];
		uint32_t t2 = (rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	state[0] += a;
	state[1] += b;
	state[2] += c;
	state[3] += d;
	state[4] += e;
	state[5] += f;
	state[6] += g;
	state[7] += h;
}

void host_sha256_init(struct host_sha256 *hash)
{
	memcpy(hash->state, initial_state, sizeof initial_state);
	hash->length = 0;
	hash->used = 0;
}

void host_sha256_update(struct host_sha256 *hash, const void *bytes, size_t length)
{
	const uint8_t *in = bytes;
	hash->length += length;
	if (hash->used) {
		size_t take = length < 64 - hash->used ? length : 64 - hash->used;
		memcpy(hash->block + hash->used, in, take);
		hash->used += take;
		in += take;
		length -= take;
		if (hash->used < 64)
			return;
		compress(hash->state, hash->block);
		hash->used = 0;
	}
	for (; length >= 64; in += 64, length -= 64)
		compress(hash->state, in);
	memcpy(hash->block, in, length);
	hash->used = length;
}

void host_sha256_final(struct host_sha256 *hash, uint8_t digest[HOST_SHA256_SIZE])
{
	uint64_t bits = hash->length * 8;
	uint8_t pad[72] = {0x80};
	/* 0x80, then zeros up to 56 bytes into a block, then the bit length. */
	size_t pad_length = (hash->used < 56 ? 56 : 120) - hash->used;
	for (unsigned i = 0; i < 8; i++)
		pad[pad_length + i] = (uint8_t)(bits >> (56 - 8 * i));
	host_sha256_update(hash, pad, pad_length + 8);
	for (unsigned i = 0; i < 8; i++)
		for (unsigned j = 0; j < 4; j++)
			digest[4 * i + j] = (uint8_t)(hash->state[i] >> (24 - 8 * j));
}

void host_sha256(const void *bytes, size_t length, uint8_t digest[HOST_SHA256_SIZE])
{
	struct host_sha256 hash;
	host_sha256_init(&hash);
	host_sha256_update(&hash, bytes, length);
	host_sha256_final(&hash, digest);
}

void host_hex(const uint8_t *bytes, size_t length, char *text)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < length; i++) {
		text[2 * i] = digits[bytes[i] >> 4];
		text[2 * i + 1] = digits[bytes[i] & 15];
	}
	text[2 * length] = 0;
}
