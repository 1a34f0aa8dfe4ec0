#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cli_error(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	fputs("corral: ", stderr);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
	va_end(args);
	return 1;
}

int cli_usage_error(const struct command *command, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	fprintf(stderr, "corral %s: ", command->name);
	vfprintf(stderr, format, args);
	fprintf(stderr, "\nusage: corral %s %s\n", command->name, command->usage);
	va_end(args);
	return 2;
}

uint8_t *cli_read_file(const char *path, size_t *length)
{
	FILE *file = fopen(path, "rb");
	if (!file) {
		cli_error("%s: %s", path, strerror(errno));
		return NULL;
	}
	size_t capacity = 1 << 16, used = 0;
	uint8_t *bytes = malloc(capacity);
	while (bytes) {
		used += fread(bytes + used, 1, capacity - used, file);
		if (used < capacity)
			break;
		uint8_t *bigger = capacity > SIZE_MAX / 2 ? NULL : realloc(bytes, capacity * 2);
		if (!bigger) {
			free(bytes);
			bytes = NULL;
			break;
		}
		bytes = bigger;
		capacity *= 2;
	}
	if (!bytes) {
		fclose(file);
		cli_error("%s: out of memory reading the file", path);
		return NULL;
	}
	if (ferror(file)) {
		cli_error("%s: %s", path, strerror(errno));
		fclose(file);
		free(bytes);
		return NULL;
	}
	fclose(file);
	*length = used;
	return bytes;
}

int cli_write_file(const char *path, const uint8_t *bytes, size_t length)
{
	FILE *file = fopen(path, "wb");
	if (!file)
		return cli_error("%s: %s", path, strerror(errno));
	if (fwrite(bytes, 1, length, file) != length || fclose(file)) {
		int saved = errno;
		return cli_error("%s: cannot write: %s", path, strerror(saved));
	}
	return 0;
}

bool cli_parse_u64(const char *text, uint64_t *value)
{
	if (!*text || *text == '-' || *text == '+' || *text == ' ')
		return false;
	char *end;
	errno = 0;
	unsigned long long parsed = strtoull(text, &end, 0);
	if (errno || *end)
		return false;
	*value = parsed;
	return true;
}

bool cli_parse_i64(const char *text, int64_t *value)
{
	if (!*text || *text == ' ')
		return false;
	char *end;
	errno = 0;
	long long parsed = strtoll(text, &end, 0);
	if (errno || *end)
		return false;
	*value = parsed;
	return true;
}

bool cli_parse_gas_model(const char *text, corral_gas_model *model)
{
	if (!strcmp(text, "naive")) {
		*model = CORRAL_GAS_NAIVE;
		return true;
	}
	if (!strcmp(text, "gp08") || !strcmp(text, "gp0.8")) {
		*model = CORRAL_GAS_GP08;
		return true;
	}
	return false;
}

bool cli_parse_isa(const char *text, corral_isa *isa)
{
	if (!strcmp(text, "gp0.7")) {
		*isa = CORRAL_ISA_GP07;
		return true;
	}
	if (!strcmp(text, "gp0.8") || !strcmp(text, "jamv1")) {
		*isa = CORRAL_ISA_GP08;
		return true;
	}
	return false;
}

const char cli_format_choices[] = "auto, blob, jam or polkavm";

bool cli_parse_format(const char *text, corral_format *format)
{
	static const struct {
		const char *name;
		corral_format format;
	} formats[] = {{"auto", CORRAL_FORMAT_AUTO},
		       {"blob", CORRAL_FORMAT_BLOB},
		       {"jam", CORRAL_FORMAT_JAM},
		       {"polkavm", CORRAL_FORMAT_POLKAVM}};
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		if (!strcmp(text, formats[i].name)) {
			*format = formats[i].format;
			return true;
		}
	}
	return false;
}

bool cli_option(int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t n = strlen(name);
	const char *arg = argv[*i];
	if (strncmp(arg, name, n) || (arg[n] != '=' && arg[n] != 0))
		return false;
	if (arg[n] == '=')
		*value = arg + n + 1;
	else
		*value = *i + 1 < argc ? argv[++*i] : NULL;
	return true;
}

int cli_input_argument(const struct command *command, const char *argument, const char **path)
{
	if (argument[0] == '-' && argument[1])
		return cli_usage_error(command, "unknown option %s", argument);
	if (*path)
		return cli_usage_error(command, "one input at a time (got %s and %s)", *path, argument);
	*path = argument;
	return 0;
}
