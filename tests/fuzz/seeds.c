/* Seed inputs for the fuzzers, made at run time by scripts/fuzz.sh. The test
 * vectors are third-party files the repository must not hold, so the seeds
 * made from them are never committed either.
 *
 *   seeds blob OUT FILE...      OUT/NAME.blob: the numbering byte fuzz_blob
 *                               and fuzz_exec read, then the program's code
 *   seeds program OUT FILE...   OUT/NAME.bin: the program file itself, and
 *                               OUT/NAME.polkavm: its code and data in a
 *                               .polkavm container, with a few names
 *   seeds listing OUT FILE...   OUT/NAME.s: the program as assembly
 *
 * A FILE is a test vector (*.json: its "program"), assembly (*.s: what it
 * assembles into) or a program file (anything else: a JAM standard program
 * or a raw blob). A FILE that cannot be read as one is skipped with a
 * warning; only a seed that cannot be written fails. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json.h"
#include "core/blob.h"
#include "loader/asm.h"
#include "loader/container.h"

struct program {
	uint8_t *bytes;
	size_t length;
	corral_isa isa;
};

static bool ends_with(const char *text, const char *suffix)
{
	size_t n = strlen(text), m = strlen(suffix);
	return n >= m && !strcmp(text + n - m, suffix);
}

static char *read_file(const char *path, size_t *length)
{
	FILE *in = fopen(path, "rb");
	if (!in)
		return NULL;
	char *bytes = NULL;
	size_t capacity = 0;
	*length = 0;
	for (;;) {
		if (*length == capacity) {
			capacity = capacity ? 2 * capacity : 1 << 16;
			char *grown = realloc(bytes, capacity);
			if (!grown)
				break;
			bytes = grown;
		}
		size_t got = fread(bytes + *length, 1, capacity - *length, in);
		*length += got;
		if (got == 0)
			break;
	}
	bool bad = ferror(in) || !bytes;
	fclose(in);
	if (bad) {
		free(bytes);
		return NULL;
	}
	return bytes;
}

/* A vector's "program" byte array. Its schema tells the numbering, as the
 * vector runner reads it: one-key steps (no "kind") are the JamV1 schema. */
static bool from_vector(const char *text, size_t length, struct program *program, char *error, size_t error_size)
{
	struct json_value root;
	if (json_parse(text, length, &root, error, error_size))
		return false;
	const struct json_value *code = json_get(&root, "program");
	const struct json_value *steps = json_get(&root, "steps");
	bool ok = code && code->type == JSON_ARRAY;
	program->bytes = malloc(ok && code->count ? code->count : 1);
	for (size_t i = 0; ok && i < code->count; i++) {
		uint64_t byte;
		ok = json_to_u64(&code->items[i], &byte) && byte <= 255;
		if (ok)
			program->bytes[i] = (uint8_t)byte;
	}
	if (ok) {
		program->length = code->count;
		program->isa = steps && steps->type == JSON_ARRAY && steps->count && !json_get(&steps->items[0], "kind")
				       ? CORRAL_ISA_GP08
				       : CORRAL_ISA_GP07;
	} else {
		snprintf(error, error_size, "no \"program\" array of bytes");
	}
	json_free(&root);
	return ok;
}

static bool load(const char *path, struct program *program)
{
	char error[400] = "cannot read it";
	size_t length;
	char *text = read_file(path, &length);
	bool ok = text != NULL;

	*program = (struct program){.isa = CORRAL_ISA_GP07};
	if (ok && ends_with(path, ".json")) {
		ok = from_vector(text, length, program, error, sizeof error);
	} else if (ok && ends_with(path, ".s")) {
		ok = !loader_assemble(text, length, path, &program->bytes, &program->length, error, sizeof error);
		/* Good enough for seeds: the numbering the source asks for. */
		if (ok && (strstr(text, ".isa gp0.8") || strstr(text, ".isa jamv1")))
			program->isa = CORRAL_ISA_GP08;
	} else if (ok) {
		program->bytes = (uint8_t *)text;
		program->length = length;
		text = NULL;
	}
	free(text);
	if (!ok) {
		fprintf(stderr, "seeds: skipping %s: %s\n", path, error);
		free(program->bytes);
	}
	return ok;
}

/* OUT/NAME: NAME is the last three parts of the path, joined by '-', as the
 * vector folders hold files of the same name (v0.4 and gas-model). */
static FILE *create(const char *directory, const char *path, const char *suffix)
{
	const char *base = path + strlen(path);
	for (int parts = 0; base > path && parts < 3; base--)
		if (base[-1] == '/' && ++parts == 3)
			break;
	char name[4096];
	int n = snprintf(name, sizeof name, "%s/", directory);
	for (; *base && n < (int)sizeof name - 1; base++)
		name[n++] = *base == '/' ? '-' : *base;
	snprintf(name + n, sizeof name - n, "%s", suffix);
	FILE *out = fopen(name, "wb");
	if (!out)
		fprintf(stderr, "seeds: cannot create %s\n", name);
	return out;
}

static bool write_seed(const char *directory, const char *path, const char *suffix, const uint8_t *bytes, size_t length)
{
	FILE *out = create(directory, path, suffix);
	bool ok = out && fwrite(bytes, 1, length, out) == length;
	return out && !fclose(out) && ok;
}

/* The program's code and data, rewrapped as a .polkavm container whose
 * regions are larger than their data, with imports and an export at 0. */
static bool polkavm_seed(const char *directory, const char *path, const struct program *program)
{
	static const char *const imports[] = {"gas", "log", "fetch"};
	struct loader_program container;
	struct pvm_blob blob;
	struct pvm_error problem;
	if (loader_parse(program->bytes, program->length, CORRAL_FORMAT_AUTO, &container, &problem) ||
	    pvm_blob_parse(&blob, container.blob, container.blob_length, &problem)) {
		fprintf(stderr, "seeds: no .polkavm seed from %s: %s\n", path, problem.message);
		return true;
	}
	const struct loader_polkavm_export exports[] = {{"main", 0}};
	struct loader_polkavm_parts parts = {
		.isa = program->isa,
		.ro_data = container.ro_data,
		.ro_data_length = container.ro_length,
		.ro_data_size = container.ro_length + 100,
		.rw_data = container.rw_data,
		.rw_data_length = container.rw_length,
		.rw_data_size = container.rw_length + container.heap_pages * 4096,
		.stack_size = container.stack_size,
		.imports = imports,
		.import_count = sizeof imports / sizeof imports[0],
		.exports = exports,
		.export_count = blob.code_length ? 1 : 0,
		.blob = container.blob,
		.blob_length = container.blob_length,
	};
	uint8_t *bytes;
	size_t length;
	if (loader_polkavm_write(&parts, &bytes, &length, &problem)) {
		fprintf(stderr, "seeds: no .polkavm seed from %s: %s\n", path, problem.message);
		return true;
	}
	bool ok = write_seed(directory, path, ".polkavm", bytes, length);
	free(bytes);
	return ok;
}

/* Writes one seed of `kind`; false only when the seed cannot be written. */
static bool make_seed(const char *kind, const char *directory, const char *path)
{
	struct program program;
	if (!load(path, &program))
		return true;
	bool ok = true;
	if (!strcmp(kind, "blob")) {
		struct loader_program container;
		struct pvm_error problem;
		if (loader_parse(program.bytes, program.length, CORRAL_FORMAT_AUTO, &container, &problem)) {
			fprintf(stderr, "seeds: skipping %s: %s\n", path, problem.message);
		} else {
			FILE *out = create(directory, path, ".blob");
			ok = out && fputc(program.isa == CORRAL_ISA_GP08, out) != EOF &&
			     fwrite(container.blob, 1, container.blob_length, out) == container.blob_length;
			ok = out && !fclose(out) && ok;
		}
	} else if (!strcmp(kind, "program")) {
		ok = write_seed(directory, path, ".bin", program.bytes, program.length) &&
		     polkavm_seed(directory, path, &program);
	} else {
		char error[400];
		FILE *out = create(directory, path, ".s");
		if (out && loader_disassemble(program.bytes, program.length, path, CORRAL_FORMAT_AUTO, program.isa, out,
					      error, sizeof error))
			fprintf(stderr, "seeds: skipping %s: %s\n", path, error);
		ok = out && !fclose(out);
	}
	free(program.bytes);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "blob") && strcmp(argv[1], "program") && strcmp(argv[1], "listing"))) {
		fprintf(stderr, "usage: seeds blob|program|listing OUT FILE...\n");
		return 2;
	}
	bool ok = true;
	for (int i = 3; i < argc; i++)
		ok = make_seed(argv[1], argv[2], argv[i]) && ok;
	return ok ? 0 : 1;
}
