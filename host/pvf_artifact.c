/* Artifacts on disk (host/pvf_artifact.h): their format, their names, the
 * atomic write, the checked read, and pruning. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/internal.h"
#include "host/pvf_artifact.h"
#include "host/pvf_prepare.h"
#include "host/worker.h"

#define MAGIC          "CORPVFA1"
#define FORMAT_VERSION 1
#define CHECKSUM_AT    160
#define BUILD_NAME     8  /* bytes of the build id in a file name */
#define TOUCH_AFTER_S  60 /* a use renews the modification time at most this often */
#define SUFFIX         ".artifact"
#define TEMP_SUFFIX    ".part"

/* ---- little-endian fields -------------------------------------------------- */

static void put32(uint8_t *at, uint32_t value)
{
	for (unsigned i = 0; i < 4; i++)
		at[i] = (uint8_t)(value >> (8 * i));
}

static void put64(uint8_t *at, uint64_t value)
{
	for (unsigned i = 0; i < 8; i++)
		at[i] = (uint8_t)(value >> (8 * i));
}

static uint32_t get32(const uint8_t *at)
{
	return (uint32_t)at[0] | (uint32_t)at[1] << 8 | (uint32_t)at[2] << 16 | (uint32_t)at[3] << 24;
}

static uint64_t get64(const uint8_t *at)
{
	return (uint64_t)get32(at) | (uint64_t)get32(at + 4) << 32;
}

/* ---- the build id and the key ------------------------------------------------ */

static uint8_t build_id[HOST_SHA256_SIZE];
static pthread_once_t build_once = PTHREAD_ONCE_INIT;

static void compute_build_id(void)
{
	static const char domain[] = "corral-pvf-build\0" CORRAL_VERSION;
	uint8_t version[4];
	put32(version, FORMAT_VERSION);
	struct host_sha256 hash;
	host_sha256_init(&hash);
	host_sha256_update(&hash, domain, sizeof domain);
	host_sha256_update(&hash, version, sizeof version);
	host_sha256_update(&hash, host_pvf_prepare_release.bytes, host_pvf_prepare_release.length);
	host_sha256_update(&hash, host_zygote_release.bytes, host_zygote_release.length);
	host_sha256_final(&hash, build_id);
}

const uint8_t *host_pvf_build_id(void)
{
	pthread_once(&build_once, compute_build_id);
	return build_id;
}

void host_pvf_key(const uint8_t program_hash[HOST_SHA256_SIZE], const corral_module_config *config,
		  uint8_t key[HOST_PVF_KEY_SIZE])
{
	static const char domain[] = "corral-pvf-key";
	uint8_t settings[16];
	put32(settings, config->isa);
	put32(settings + 4, config->format);
	put32(settings + 8, config->gas_model);
	put32(settings + 12, config->metering);
	struct host_sha256 hash;
	host_sha256_init(&hash);
	host_sha256_update(&hash, domain, sizeof domain);
	host_sha256_update(&hash, program_hash, HOST_SHA256_SIZE);
	host_sha256_update(&hash, settings, sizeof settings);
	if (config->gas_model == CORRAL_GAS_TABLE)
		for (size_t i = 0; i < config->block_cost_count; i++) {
			uint8_t entry[12];
			put32(entry, config->block_costs[i].pc);
			put64(entry + 4, config->block_costs[i].cost);
			host_sha256_update(&hash, entry, sizeof entry);
		}
	host_sha256_final(&hash, key);
}

/* ---- the format -------------------------------------------------------------- */

#define SITE_SIZE 16

static uint64_t body_length(const struct host_pvf_code *code)
{
	return code->code_size + (uint64_t)code->site_count * SITE_SIZE + (uint64_t)code->jump_count * 4;
}

static void checksum(const uint8_t *bytes, size_t length, uint8_t digest[HOST_SHA256_SIZE])
{
	struct host_sha256 hash;
	host_sha256_init(&hash);
	host_sha256_update(&hash, bytes, CHECKSUM_AT);
	host_sha256_update(&hash, bytes + HOST_PVF_HEADER_SIZE, length - HOST_PVF_HEADER_SIZE);
	host_sha256_final(&hash, digest);
}

corral_result host_pvf_artifact_encode(const uint8_t key[HOST_PVF_KEY_SIZE],
				       const uint8_t program_hash[HOST_SHA256_SIZE], uint64_t program_length,
				       const struct host_pvf_code *code, uint8_t **out, size_t *length,
				       corral_error *error)
{
	uint64_t body = body_length(code);
	if (body > HOST_PVF_MAX_ARTIFACT)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "an artifact of %llu bytes is over the limit of %llu",
				 (unsigned long long)body, (unsigned long long)HOST_PVF_MAX_ARTIFACT);
	uint8_t *bytes = calloc(1, HOST_PVF_HEADER_SIZE + body);
	if (!bytes)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "cannot allocate an artifact of %llu bytes",
				 (unsigned long long)body);
	memcpy(bytes, MAGIC, 8);
	put32(bytes + 8, FORMAT_VERSION);
	put32(bytes + 12, HOST_PVF_HEADER_SIZE);
	memcpy(bytes + 16, host_pvf_build_id(), HOST_SHA256_SIZE);
	memcpy(bytes + 48, key, HOST_PVF_KEY_SIZE);
	memcpy(bytes + 80, program_hash, HOST_SHA256_SIZE);
	put64(bytes + 112, program_length);
	put64(bytes + 120, code->code_size);
	const uint32_t fields[] = {code->site_count,   code->jump_count,  code->enter_offset,
				   code->fault_offset, code->cold_offset, code->instruction_count};
	for (unsigned i = 0; i < 6; i++)
		put32(bytes + 128 + 4 * i, fields[i]);
	put64(bytes + 152, body);
	uint8_t *at = bytes + HOST_PVF_HEADER_SIZE;
	memcpy(at, code->code, code->code_size);
	at += code->code_size;
	memcpy(at, code->sites, (size_t)code->site_count * SITE_SIZE);
	at += (size_t)code->site_count * SITE_SIZE;
	memcpy(at, code->jump_offsets, (size_t)code->jump_count * 4);
	*length = HOST_PVF_HEADER_SIZE + body;
	checksum(bytes, *length, bytes + CHECKSUM_AT);
	*out = bytes;
	return CORRAL_OK;
}

static corral_result corrupt(corral_error *error, const char *path, const char *what)
{
	return host_fail(error, CORRAL_ERROR_MALFORMED, "artifact %s: %s", path, what);
}

corral_result host_pvf_artifact_decode(const char *path, const uint8_t *bytes, size_t length,
				       const uint8_t key[HOST_PVF_KEY_SIZE],
				       const uint8_t program_hash[HOST_SHA256_SIZE], uint64_t program_length,
				       struct host_pvf_code *code, corral_error *error)
{
	if (length < HOST_PVF_HEADER_SIZE)
		return corrupt(error, path, "shorter than its header");
	if (memcmp(bytes, MAGIC, 8))
		return corrupt(error, path, "not an artifact (no CORPVFA1 at its start)");
	if (get32(bytes + 8) != FORMAT_VERSION || get32(bytes + 12) != HOST_PVF_HEADER_SIZE)
		return corrupt(error, path, "a format version this build does not read");
	if (memcmp(bytes + 16, host_pvf_build_id(), HOST_SHA256_SIZE))
		return corrupt(error, path, "made by another build of corral");
	if (memcmp(bytes + 48, key, HOST_PVF_KEY_SIZE))
		return corrupt(error, path, "the artifact of another program or configuration");
	if (memcmp(bytes + 80, program_hash, HOST_SHA256_SIZE) || get64(bytes + 112) != program_length)
		return corrupt(error, path, "made from other program bytes");
	*code = (struct host_pvf_code){
		.code_size = get64(bytes + 120),
		.site_count = get32(bytes + 128),
		.jump_count = get32(bytes + 132),
		.enter_offset = get32(bytes + 136),
		.fault_offset = get32(bytes + 140),
		.cold_offset = get32(bytes + 144),
		.instruction_count = get32(bytes + 148),
	};
	uint64_t body = get64(bytes + 152);
	if (code->code_size > HOST_PVF_MAX_ARTIFACT || body != body_length(code) ||
	    body != length - HOST_PVF_HEADER_SIZE)
		return corrupt(error, path, "its lengths do not add up to its size");
	uint8_t digest[HOST_SHA256_SIZE];
	checksum(bytes, length, digest);
	if (memcmp(digest, bytes + CHECKSUM_AT, HOST_SHA256_SIZE))
		return corrupt(error, path, "its checksum does not match its contents");
	const uint8_t *at = bytes + HOST_PVF_HEADER_SIZE;
	code->code = at;
	code->sites = (const struct prepare_site *)(at + code->code_size);
	code->jump_offsets = at + code->code_size + (size_t)code->site_count * SITE_SIZE;
	return CORRAL_OK;
}

/* ---- files ------------------------------------------------------------------ */

static void build_name(char text[2 * BUILD_NAME + 1])
{
	host_hex(host_pvf_build_id(), BUILD_NAME, text);
}

void host_pvf_artifact_path(const char *dir, const uint8_t key[HOST_PVF_KEY_SIZE], char path[HOST_PVF_PATH_MAX])
{
	char key_text[2 * HOST_PVF_KEY_SIZE + 1], build[2 * BUILD_NAME + 1];
	host_hex(key, HOST_PVF_KEY_SIZE, key_text);
	build_name(build);
	snprintf(path, HOST_PVF_PATH_MAX, "%s/%s-%s" SUFFIX, dir, key_text, build);
}

static void identity_of(const struct stat *status, struct host_pvf_identity *identity)
{
	*identity = (struct host_pvf_identity){
		.device = status->st_dev,
		.inode = status->st_ino,
		.size = status->st_size,
		.modified = status->st_mtim,
		.changed = status->st_ctim,
	};
}

static bool same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool host_pvf_artifact_unchanged(const char *path, const struct host_pvf_identity *identity)
{
	struct stat status;
	if (stat(path, &status))
		return false;
	return status.st_dev == identity->device && status.st_ino == identity->inode &&
	       status.st_size == identity->size && same_time(status.st_mtim, identity->modified) &&
	       same_time(status.st_ctim, identity->changed);
}

void host_pvf_artifact_touch(const char *path, struct host_pvf_identity *identity)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec - identity->modified.tv_sec < TOUCH_AFTER_S)
		return;
	struct stat status;
	if (!utimensat(AT_FDCWD, path, NULL, 0) && !stat(path, &status))
		identity_of(&status, identity);
}

static corral_result write_all(int fd, const uint8_t *bytes, size_t length)
{
	while (length) {
		ssize_t wrote = write(fd, bytes, length);
		if (wrote < 0 && errno == EINTR)
			continue;
		if (wrote <= 0) {
			if (wrote == 0)
				errno = ENOSPC;
			return CORRAL_ERROR_SYSTEM;
		}
		bytes += wrote;
		length -= (size_t)wrote;
	}
	return CORRAL_OK;
}

corral_result host_pvf_artifact_write(const char *dir, const uint8_t key[HOST_PVF_KEY_SIZE], const uint8_t *bytes,
				      size_t length, struct host_pvf_identity *identity, corral_error *error)
{
	static unsigned counter;
	char path[HOST_PVF_PATH_MAX], temp[HOST_PVF_PATH_MAX], key_text[2 * HOST_PVF_KEY_SIZE + 1];
	host_pvf_artifact_path(dir, key, path);
	host_hex(key, HOST_PVF_KEY_SIZE, key_text);
	snprintf(temp, sizeof temp, "%s/.%s-%ld-%u" TEMP_SUFFIX, dir, key_text, (long)getpid(),
		 __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
	const char *step = "create";
	int fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		goto failed;
	step = "write";
	if (write_all(fd, bytes, length) != CORRAL_OK)
		goto failed;
	step = "fsync";
	if (fsync(fd))
		goto failed;
	close(fd);
	fd = -1;
	step = "rename";
	if (rename(temp, path))
		goto failed;
	/* The rename itself is durable only once the folder is. */
	int folder = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (folder >= 0) {
		fsync(folder);
		close(folder);
	}
	struct stat status;
	step = "stat";
	if (stat(path, &status))
		goto failed;
	identity_of(&status, identity);
	return CORRAL_OK;
failed:;
	int saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(temp);
	return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot %s the artifact %s (through %s): %s", step, path, temp,
			 strerror(saved));
}

corral_result host_pvf_artifact_read(const char *path, uint8_t **out, size_t *length,
				     struct host_pvf_identity *identity, bool *missing, corral_error *error)
{
	*out = NULL;
	*missing = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		*missing = errno == ENOENT;
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot open the artifact %s: %s", path, strerror(errno));
	}
	struct stat status;
	if (fstat(fd, &status)) {
		int saved = errno;
		close(fd);
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot stat the artifact %s: %s", path, strerror(saved));
	}
	if (!S_ISREG(status.st_mode) || (uint64_t)status.st_size > HOST_PVF_MAX_ARTIFACT) {
		close(fd);
		return corrupt(error, path, "not a regular file, or larger than any artifact");
	}
	uint8_t *bytes = malloc(status.st_size ? (size_t)status.st_size : 1);
	size_t done = 0;
	while (bytes && done < (size_t)status.st_size) {
		ssize_t got = read(fd, bytes + done, (size_t)status.st_size - done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		done += (size_t)got;
	}
	int saved = errno;
	close(fd);
	if (!bytes || done != (size_t)status.st_size) {
		free(bytes);
		return host_fail(error, bytes ? CORRAL_ERROR_SYSTEM : CORRAL_ERROR_OUT_OF_MEMORY,
				 "cannot read the artifact %s: %s", path,
				 bytes ? (saved ? strerror(saved) : "it shrank while read") : "no memory");
	}
	identity_of(&status, identity);
	*out = bytes;
	*length = done;
	return CORRAL_OK;
}

corral_result host_pvf_cache_open(const char *dir, corral_error *error)
{
	struct stat status;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot make the artifact cache %s: %s", dir,
				 strerror(errno));
	if (stat(dir, &status) || !S_ISDIR(status.st_mode))
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "the artifact cache %s is not a folder", dir);
	if (access(dir, R_OK | W_OK | X_OK))
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot use the artifact cache %s: %s", dir,
				 strerror(errno));
	return CORRAL_OK;
}

/* ---- pruning ----------------------------------------------------------------- */

struct cached {
	uint8_t key[HOST_PVF_KEY_SIZE];
	time_t used;
	off_t size;
	char name[256];
};

static bool parse_hex(const char *text, size_t bytes, uint8_t *out)
{
	for (size_t i = 0; i < 2 * bytes; i++) {
		char c = text[i];
		int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (digit < 0)
			return false;
		if (out)
			out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | digit : digit << 4);
	}
	return true;
}

/* "<key>-<build>.artifact": the key, and whether the build is ours. */
static bool artifact_name(const char *name, uint8_t key[HOST_PVF_KEY_SIZE], bool *ours)
{
	char build[2 * BUILD_NAME + 1];
	size_t key_hex = 2 * HOST_PVF_KEY_SIZE, build_hex = 2 * BUILD_NAME;
	if (strlen(name) != key_hex + 1 + build_hex + strlen(SUFFIX) || name[key_hex] != '-' ||
	    strcmp(name + key_hex + 1 + build_hex, SUFFIX) || !parse_hex(name, HOST_PVF_KEY_SIZE, key) ||
	    !parse_hex(name + key_hex + 1, BUILD_NAME, NULL))
		return false;
	build_name(build);
	*ours = !memcmp(name + key_hex + 1, build, build_hex);
	return true;
}

/* ".<key>-<pid>-<n>.part" of a process that no longer runs. */
static bool stale_temp(const char *name)
{
	size_t length = strlen(name), key_hex = 2 * HOST_PVF_KEY_SIZE;
	if (name[0] != '.' || length < 1 + key_hex + 1 + strlen(TEMP_SUFFIX) || name[1 + key_hex] != '-' ||
	    strcmp(name + length - strlen(TEMP_SUFFIX), TEMP_SUFFIX) || !parse_hex(name + 1, HOST_PVF_KEY_SIZE, NULL))
		return false;
	long pid = strtol(name + 1 + key_hex + 1, NULL, 10);
	return pid > 0 && pid != getpid() && kill((pid_t)pid, 0) && errno == ESRCH;
}

static int oldest_first(const void *a, const void *b)
{
	const struct cached *x = a, *y = b;
	return x->used < y->used ? -1 : x->used > y->used;
}

static void remove_file(const char *dir, const char *name)
{
	char path[HOST_PVF_PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
}

size_t host_pvf_cache_prune(const char *dir, bool other_builds, uint32_t max_age_s, uint64_t max_bytes,
			    const uint8_t *keep, void (*removed)(void *context, const uint8_t key[HOST_PVF_KEY_SIZE]),
			    void *context)
{
	DIR *folder = opendir(dir);
	if (!folder)
		return 0;
	struct cached *list = NULL;
	size_t count = 0, capacity = 0, gone = 0;
	time_t now = time(NULL);
	struct dirent *entry;
	while ((entry = readdir(folder))) {
		struct cached item;
		bool ours;
		if (stale_temp(entry->d_name)) {
			remove_file(dir, entry->d_name);
			gone++;
			continue;
		}
		if (!artifact_name(entry->d_name, item.key, &ours))
			continue;
		if (!ours) {
			if (other_builds) {
				remove_file(dir, entry->d_name);
				gone++;
			}
			continue;
		}
		struct stat status;
		if (fstatat(dirfd(folder), entry->d_name, &status, AT_SYMLINK_NOFOLLOW) || !S_ISREG(status.st_mode))
			continue;
		item.used = status.st_mtime;
		item.size = status.st_size;
		snprintf(item.name, sizeof item.name, "%s", entry->d_name);
		if (count == capacity) {
			size_t grown = capacity ? 2 * capacity : 64;
			struct cached *bigger = realloc(list, grown * sizeof *list);
			if (!bigger)
				break;
			list = bigger;
			capacity = grown;
		}
		list[count++] = item;
	}
	closedir(folder);
	if (count)
		qsort(list, count, sizeof *list, oldest_first);
	uint64_t total = 0;
	for (size_t i = 0; i < count; i++)
		total += (uint64_t)list[i].size;
	for (size_t i = 0; i < count; i++) {
		bool kept = keep && !memcmp(list[i].key, keep, HOST_PVF_KEY_SIZE);
		bool old = max_age_s && now - list[i].used > (time_t)max_age_s;
		if (kept || (!old && total <= max_bytes))
			continue;
		remove_file(dir, list[i].name);
		total -= (uint64_t)list[i].size;
		gone++;
		if (removed)
			removed(context, list[i].key);
	}
	free(list);
	return gone;
}
