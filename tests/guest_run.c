#include "tests/guest_run.h"
#include "tests/support.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *guest_corral(void)
{
	static char path[PATH_MAX];
	const char *build = getenv("CORRAL_BUILD");
	snprintf(path, sizeof path, "%.*s/corral", PATH_MAX - 16, build && *build ? build : "build");
	return path;
}

static bool on_path(const char *tool)
{
	char command[256];
	snprintf(command, sizeof command, "command -v %s >/dev/null 2>&1", tool);
	return system(command) == 0;
}

const char *guest_toolchain_missing(void)
{
	static char reason[PATH_MAX + 64];
	char cflags[PATH_MAX];
	struct stat info;
	if (!on_path("clang-19"))
		return "clang-19 is not installed (make deps installs it)";
	if (!on_path("ld.lld-19"))
		return "ld.lld-19 is not installed (make deps installs lld-19)";
	const char *build = getenv("CORRAL_BUILD");
	snprintf(cflags, sizeof cflags, "%s/sdk/cflags", build && *build ? build : "build");
	if (stat(cflags, &info)) {
		snprintf(reason, sizeof reason, "no guest SDK at %.*s (make builds it)", PATH_MAX, cflags);
		return reason;
	}
	return NULL;
}

void guest_workspace(char *folder, size_t size)
{
	const char *base = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(folder, size, "%s/corral-guest-test-XXXXXX", base);
	cr_assert_not_null(mkdtemp(folder), "cannot make a temporary folder");
}

void guest_cleanup(const char *folder)
{
	char command[PATH_MAX + 16];
	snprintf(command, sizeof command, "rm -rf '%s'", folder);
	cr_expect_eq(system(command), 0);
}

/* A whole file, NUL-terminated (support_read_file leaves room for it). */
static char *slurp(const char *path, size_t *length)
{
	char *data = (char *)support_read_file(path, length);
	data[*length] = 0;
	return data;
}

void guest_shell(const char *folder, const char *command, const char *input, struct process_result *result)
{
	char in[PATH_MAX], out[PATH_MAX], err[PATH_MAX], line[3 * PATH_MAX + 4096];
	snprintf(in, sizeof in, "%s/stdin", folder);
	snprintf(out, sizeof out, "%s/stdout", folder);
	snprintf(err, sizeof err, "%s/stderr", folder);
	FILE *file = fopen(in, "wb");
	cr_assert_not_null(file);
	if (input)
		fputs(input, file);
	fclose(file);
	snprintf(line, sizeof line, "(%s; exit $?) <'%s' >'%s' 2>'%s'", command, in, out, err);
	int status = system(line);
	cr_assert_neq(status, -1, "cannot run a shell");
	result->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	size_t ignored;
	result->output = slurp(out, &result->length);
	result->errors = slurp(err, &ignored);
}

void guest_result_free(struct process_result *result)
{
	free(result->output);
	free(result->errors);
}
