#include "tests/vector_programs.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/json.h"
#include "loader/container.h"
#include "tests/support.h"

static bool ends_with(const char *text, const char *suffix)
{
	size_t n = strlen(text), m = strlen(suffix);
	return n >= m && !strcmp(text + n - m, suffix);
}

/* The "program" array of a vector file; false for JSON files that are not
 * vectors (schema.json, say). */
static bool json_program(const char *path, uint8_t **bytes, size_t *length)
{
	size_t text_length;
	char *text = (char *)support_read_file(path, &text_length);
	struct json_value root;
	char error[200];
	cr_assert_eq(json_parse(text, text_length, &root, error, sizeof error), 0, "%s: %s", path, error);
	free(text);
	const struct json_value *program = json_get(&root, "program");
	if (!program) {
		json_free(&root);
		return false;
	}
	size_t bad;
	cr_assert(json_to_bytes(program, bytes, length, &bad), "%s: \"program\" is not an array of bytes (item %zu)",
		  path, bad);
	json_free(&root);
	return true;
}

static size_t walk(const char *folder, unsigned kinds, vector_visit *visit, void *context)
{
	struct dirent **entries;
	int n = scandir(folder, &entries, NULL, alphasort);
	cr_assert_geq(n, 0, "cannot list %s", folder);
	size_t count = 0;
	for (int i = 0; i < n; i++) {
		char path[1024];
		struct stat info;
		const char *name = entries[i]->d_name;
		snprintf(path, sizeof path, "%s/%s", folder, name);
		if (name[0] == '.' || stat(path, &info)) {
			free(entries[i]);
			continue;
		}
		struct vector_program program = {
			.path = path,
			.isa = strstr(path, "jamv1") ? CORRAL_ISA_GP08 : CORRAL_ISA_GP07,
		};
		uint8_t *bytes = NULL;
		if (S_ISDIR(info.st_mode)) {
			count += walk(path, kinds, visit, context);
		} else if ((kinds & VECTOR_JSON) && ends_with(name, ".json") &&
			   json_program(path, &bytes, &program.length)) {
			program.format = CORRAL_FORMAT_BLOB;
		} else if ((kinds & VECTOR_SERVICES) && ends_with(name, ".jam")) {
			bytes = support_read_file(path, &program.length);
			program.format = CORRAL_FORMAT_JAM;
		}
		if (bytes) {
			program.bytes = bytes;
			visit(&program, context);
			count++;
			free(bytes);
		}
		free(entries[i]);
	}
	free(entries);
	return count;
}

size_t vector_programs_each(const char *root, unsigned kinds, vector_visit *visit, void *context)
{
	char folder[1024];
	snprintf(folder, sizeof folder, "%s/pvm", root);
	return walk(folder, kinds, visit, context);
}

void vector_service_code(const uint8_t *bytes, size_t length, const uint8_t **code, size_t *code_length)
{
	struct loader_program program;
	struct pvm_error error;
	cr_assert_eq(loader_parse(bytes, length, CORRAL_FORMAT_JAM, &program, &error), 0, "%s", error.message);
	*code = program.blob;
	*code_length = program.blob_length;
}
