/* SHA-256 (FIPS 180-4), for what the validation pipeline must not confuse:
 * a program's content hash (the artifact's name on disk, so a collision
 * would run one program's code for another), corral's build id, and the
 * checksum that proves an artifact file is the one written. */
#ifndef HOST_SHA256_H
#define HOST_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define HOST_SHA256_SIZE 32

struct host_sha256 {
	uint32_t state[8];
	uint64_t length; /* bytes hashed so far */
	uint8_t block[64];
	size_t used; /* bytes of block filled */
};

void host_sha256_init(struct host_sha256 *hash);
void host_sha256_update(struct host_sha256 *hash, const void *bytes, size_t length);
void host_sha256_final(struct host_sha256 *hash, uint8_t digest[HOST_SHA256_SIZE]);

/* The digest of one buffer. */
void host_sha256(const void *bytes, size_t length, uint8_t digest[HOST_SHA256_SIZE]);

/* Lower-case hex of `length` bytes into `text` (2 * length + 1 bytes). */
void host_hex(const uint8_t *bytes, size_t length, char *text);

#endif
