/* Artifacts: a program's compiled code and the tables that go with it, as
 * a prepare job made them, kept on disk so that a program is compiled once
 * per build of corral and not once per run.
 *
 * An artifact is named by its key (SHA-256 of the program's hash and the
 * module configuration that compiled it) and corral's build id:
 * <key>-<first 8 bytes of the build id>.artifact in the cache folder. The
 * file, all little-endian:
 *
 *     0  "CORPVFA1"
 *     8  u32 format version (1), u32 header size (192)
 *    16  the build id (32 bytes), the key (32), the program's hash (32)
 *   112  u64 program length, u64 code size
 *   128  u32 site count, jump count, enter offset, fault offset, cold
 *        offset, instruction count
 *   152  u64 body length
 *   160  SHA-256 of the header's first 160 bytes and of the body
 *   192  the body: the code, the sites (pc, entry, body, charge: 4 x u32
 *        each), the jump offsets (u32 each)
 *
 * Reading one checks everything: the size, the magic, the version, the
 * build id, the key, the program's hash and length, the lengths against
 * each other, and the checksum; host/pvf_module.c then checks the tables
 * against the program as the host decodes it. A file that fails any check
 * is never executed: it is removed and the program prepared again.
 *
 * Written atomically (a temporary file in the same folder, fsync, rename,
 * fsync of the folder), so that a crash leaves the old artifact, the new
 * one, or a temporary file that the next start removes; never half of
 * one. */
#ifndef HOST_PVF_ARTIFACT_H
#define HOST_PVF_ARTIFACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "corral.h"
#include "host/sha256.h"
#include "zygote/prepare_protocol.h"

#define HOST_PVF_KEY_SIZE     HOST_SHA256_SIZE
#define HOST_PVF_HEADER_SIZE  192
#define HOST_PVF_PATH_MAX     4096
#define HOST_PVF_MAX_ARTIFACT (2ull << 30) /* refused as corrupt beyond this */

/* Compiled code and its tables (struct pvm_jit_code without the program),
 * borrowed from whoever holds the bytes. */
struct host_pvf_code {
	const uint8_t *code;
	uint64_t code_size;
	const struct prepare_site *sites; /* not necessarily aligned: read with memcpy */
	uint32_t site_count;
	const uint8_t *jump_offsets; /* jump_count little-endian u32, likewise */
	uint32_t jump_count;
	uint32_t enter_offset, fault_offset, cold_offset;
	uint32_t instruction_count;
};

/* What a file was when it was last read or written: a different one at
 * the same path is read and checked again before it is used. */
struct host_pvf_identity {
	dev_t device;
	ino_t inode;
	off_t size;
	struct timespec modified, changed;
};

/* corral's build id: SHA-256 of the artifact format, the version, and the
 * two images that make and run artifacts (the prepare job, which holds
 * the compiler, and the zygote). */
const uint8_t *host_pvf_build_id(void);

/* An artifact's key: the program's hash and every setting of `config`
 * that changes the compiled code (isa, format, gas model and its table,
 * metering). */
void host_pvf_key(const uint8_t program_hash[HOST_SHA256_SIZE], const corral_module_config *config,
		  uint8_t key[HOST_PVF_KEY_SIZE]);

/* The whole file for `code`, malloc'd. */
corral_result host_pvf_artifact_encode(const uint8_t key[HOST_PVF_KEY_SIZE],
				       const uint8_t program_hash[HOST_SHA256_SIZE], uint64_t program_length,
				       const struct host_pvf_code *code, uint8_t **bytes, size_t *length,
				       corral_error *error);

/* Checks a file's bytes (see the top) and points `code` into them. The
 * error names `path` and the first check that failed. */
corral_result host_pvf_artifact_decode(const char *path, const uint8_t *bytes, size_t length,
				       const uint8_t key[HOST_PVF_KEY_SIZE],
				       const uint8_t program_hash[HOST_SHA256_SIZE], uint64_t program_length,
				       struct host_pvf_code *code, corral_error *error);

/* <dir>/<key>-<build>.artifact */
void host_pvf_artifact_path(const char *dir, const uint8_t key[HOST_PVF_KEY_SIZE], char path[HOST_PVF_PATH_MAX]);

/* Writes atomically (see the top) and says what was written. */
corral_result host_pvf_artifact_write(const char *dir, const uint8_t key[HOST_PVF_KEY_SIZE], const uint8_t *bytes,
				      size_t length, struct host_pvf_identity *identity, corral_error *error);

/* Reads a whole artifact file (malloc'd). *missing says the file is not
 * there (the error says so too). */
corral_result host_pvf_artifact_read(const char *path, uint8_t **bytes, size_t *length,
				     struct host_pvf_identity *identity, bool *missing, corral_error *error);

/* Whether the file at `path` is still the one `identity` describes. */
bool host_pvf_artifact_unchanged(const char *path, const struct host_pvf_identity *identity);

/* Renews the file's modification time (its last use, for pruning) when it
 * is older than a minute; `identity` follows. */
void host_pvf_artifact_touch(const char *path, struct host_pvf_identity *identity);

/* The cache folder: made if missing. */
corral_result host_pvf_cache_open(const char *dir, corral_error *error);

/* Removes from `dir`: temporary files of processes that are gone;
 * artifacts of other builds (when `other_builds`); artifacts unused for
 * max_age_s; then the least recently used until the rest fit in
 * max_bytes. Never the artifact of key `keep` (may be NULL). Calls
 * `removed` with each removed artifact's key of this build. Returns how
 * many files it removed. */
size_t host_pvf_cache_prune(const char *dir, bool other_builds, uint32_t max_age_s, uint64_t max_bytes,
			    const uint8_t *keep, void (*removed)(void *context, const uint8_t key[HOST_PVF_KEY_SIZE]),
			    void *context);

#endif
