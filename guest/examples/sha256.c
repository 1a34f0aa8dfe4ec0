/*
 * sha256.c: SHA-256 (FIPS 180-4), checked against the standard's test vectors, then run
 * over 768 KiB of data from a xorshift generator, fed in pieces of varying size.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct sha256 {
	uint32_t state[8];
	uint64_t length;
	unsigned char block[64];
	size_t used;
};

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

static uint32_t rotr(uint32_t x, unsigned n)
{
	return x >> n | x << (32 - n);
}

static void compress(uint32_t state[8], const unsigned char block[64])
{
	uint32_t w[64];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 |
		       (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ w[i - 15] >> 3;
		uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ w[i - 2] >> 10;
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
	uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 =
			h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + round_constants[i] + w[i];
		uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
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

static void sha256_init(struct sha256 *s)
{
	static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(s->state, initial, sizeof initial);
	s->length = 0;
	s->used = 0;
}

static void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	const unsigned char *p = data;
	s->length += len;
	if (s->used > 0) {
		size_t n = 64 - s->used < len ? 64 - s->used : len;
		memcpy(s->block + s->used, p, n);
		s->used += n;
		p += n;
		len -= n;
		if (s->used < 64)
			return;
		compress(s->state, s->block);
		s->used = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		compress(s->state, p);
	memcpy(s->block, p, len);
	s->used = len;
}

static void sha256_final(struct sha256 *s, unsigned char digest[32])
{
	uint64_t bits = s->length * 8;
	unsigned char pad[72] = {0x80};
	size_t pad_len = (s->used < 56 ? 56 : 120) - s->used;
	for (int i = 0; i < 8; i++)
		pad[pad_len + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(s, pad, pad_len + 8);
	for (int i = 0; i < 32; i++)
		digest[i] = (unsigned char)(s->state[i / 4] >> (24 - 8 * (i % 4)));
}

static void to_hex(const unsigned char digest[32], char hex[65])
{
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", digest[i]);
}

static int check(const char *message, size_t repeat, const char *expected)
{
	struct sha256 s;
	unsigned char digest[32];
	char hex[65];
	sha256_init(&s);
	for (size_t i = 0; i < repeat; i++)
		sha256_update(&s, message, strlen(message));
	sha256_final(&s, digest);
	to_hex(digest, hex);
	int ok = strcmp(hex, expected) == 0;
	printf("%s sha256(\"%.20s%s\" x %zu) = %s\n", ok ? "ok  " : "FAIL", message, strlen(message) > 20 ? "..." : "",
	       repeat, hex);
	return ok;
}

static uint64_t xorshift_state = 0x9e3779b97f4a7c15ULL;

static uint64_t next_random(void)
{
	uint64_t x = xorshift_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return xorshift_state = x;
}

#define DATA_SIZE (768 * 1024)

static unsigned char data[DATA_SIZE];

int main(void)
{
	int ok = 1;
	ok &= check("abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ok &= check("", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ok &= check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
		    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	ok &= check("a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

	for (size_t i = 0; i < DATA_SIZE; i += 8) {
		uint64_t r = next_random();
		for (int j = 0; j < 8; j++)
			data[i + j] = (unsigned char)(r >> (8 * j));
	}

	/* The same data at once and in irregular pieces must hash alike. */
	struct sha256 whole, pieces;
	unsigned char digest[32], digest2[32];
	char hex[65];
	sha256_init(&whole);
	sha256_update(&whole, data, DATA_SIZE);
	sha256_final(&whole, digest);
	sha256_init(&pieces);
	for (size_t at = 0, step = 1; at < DATA_SIZE; step = step * 7 % 1021 + 1) {
		size_t n = DATA_SIZE - at < step ? DATA_SIZE - at : step;
		sha256_update(&pieces, data + at, n);
		at += n;
	}
	sha256_final(&pieces, digest2);
	to_hex(digest, hex);
	printf("sha256(%d KiB of xorshift data) = %s\n", DATA_SIZE / 1024, hex);
	if (memcmp(digest, digest2, 32) != 0) {
		printf("FAIL: piecewise hashing differs\n");
		ok = 0;
	} else {
		printf("piecewise hashing agrees\n");
	}
	return ok ? 0 : 1;
}
