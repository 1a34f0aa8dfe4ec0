/* corral cc: C sources to a PVM program in one command. It compiles with
 * clang-19 for RV64E, links with ld.lld-19 against the guest SDK (crt0, the
 * small libc and the linker script, built into build/sdk by make), and runs
 * corral link on the result. */
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/link_options.h"

extern char **environ;

#define MAX_ARGS 512

struct cc_options {
	const char *sources[MAX_ARGS];
	int source_count;
	const char *compile_flags[MAX_ARGS]; /* -O, -I, -D, -W, -g, -std=... passed to clang */
	int compile_flag_count;
	const char *output;
	struct link_options link;
	bool verbose;
	bool keep;
};

struct command_line {
	const char *argv[MAX_ARGS * 2 + 64];
	int argc;
};

static int push(struct command_line *line, const char *argument)
{
	if (line->argc + 1 >= (int)(sizeof line->argv / sizeof line->argv[0]))
		return cli_error("cc: too many arguments");
	line->argv[line->argc++] = argument;
	line->argv[line->argc] = NULL;
	return 0;
}

/* Runs a tool and waits; its own messages go to our stderr. */
static int run_tool(const struct command_line *line, bool verbose)
{
	if (verbose) {
		for (int i = 0; i < line->argc; i++)
			fprintf(stderr, "%s%s", i ? " " : "", line->argv[i]);
		fputc('\n', stderr);
	}
	pid_t pid;
	int error = posix_spawnp(&pid, line->argv[0], NULL, NULL, (char *const *)line->argv, environ);
	if (error)
		return cli_error("cc: cannot run %s: %s (make deps installs clang-19 and lld-19)", line->argv[0],
				 strerror(error));
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return cli_error("cc: waiting for %s: %s", line->argv[0], strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return cli_error("cc: %s was killed by signal %d", line->argv[0], WTERMSIG(status));
	return 1; /* the tool said why */
}

/* dir/name into out; false when it does not fit. */
static bool join(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);
	return n >= 0 && (size_t)n < size;
}

/* The SDK: $CORRAL_SDK, else sdk/ beside the corral executable. */
static int find_sdk(char *sdk, size_t size)
{
	const char *from_environment = getenv("CORRAL_SDK");
	if (from_environment && *from_environment) {
		snprintf(sdk, size, "%s", from_environment);
	} else {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
		if (n < 0)
			return cli_error("cc: cannot find the corral executable: %s", strerror(errno));
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash)
			*slash = 0;
		if (!join(sdk, size, self, "sdk"))
			return cli_error("cc: the path of the corral executable is too long");
	}
	char probe[PATH_MAX];
	struct stat info;
	if (!join(probe, sizeof probe, sdk, "cflags") || stat(probe, &info))
		return cli_error("cc: no guest SDK at %s (build it with make, or set CORRAL_SDK)", sdk);
	return 0;
}

/* The SDK's compile flags: one line, written when the SDK was built. */
static char *read_flags(const char *sdk, struct command_line *line)
{
	char path[PATH_MAX];
	if (!join(path, sizeof path, sdk, "cflags"))
		return NULL;
	size_t length;
	uint8_t *bytes = cli_read_file(path, &length);
	if (!bytes)
		return NULL;
	char *text = realloc(bytes, length + 1);
	if (!text) {
		free(bytes);
		return NULL;
	}
	text[length] = 0;
	for (char *word = strtok(text, " \t\n"); word; word = strtok(NULL, " \t\n"))
		if (push(line, word)) {
			free(text);
			return NULL;
		}
	return text;
}

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);
	return n >= m && !strcmp(name + n - m, suffix);
}

static bool is_compile_flag(const char *argument)
{
	static const char *const prefixes[] = {"-O", "-I", "-D", "-U", "-W", "-g", "-std=", "-f", "-m"};
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (!strncmp(argument, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static int parse(int argc, char **argv, struct cc_options *options)
{
	const struct command *self = cli_command("cc");
	const char *value;
	int status;
	link_options_init(&options->link);
	options->link.stack_size = 0; /* the program's own __corral_stack_size */
	for (int i = 1; i < argc; i++) {
		if (cli_option(argc, argv, &i, "-o", &value)) {
			if (!value)
				return cli_usage_error(self, "-o needs a file name");
			options->output = value;
		} else if ((status = cli_link_option(self, argc, argv, &i, &options->link)) != CLI_LINK_NOT_MINE) {
			if (status)
				return status;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			options->verbose = true;
		} else if (!strcmp(argv[i], "--keep")) {
			options->keep = true;
		} else if ((!strcmp(argv[i], "-I") || !strcmp(argv[i], "-D")) && i + 1 < argc) {
			if (options->compile_flag_count + 2 > MAX_ARGS)
				return cli_usage_error(self, "too many flags");
			options->compile_flags[options->compile_flag_count++] = argv[i];
			options->compile_flags[options->compile_flag_count++] = argv[++i];
		} else if (argv[i][0] == '-' && is_compile_flag(argv[i])) {
			if (options->compile_flag_count == MAX_ARGS)
				return cli_usage_error(self, "too many flags");
			options->compile_flags[options->compile_flag_count++] = argv[i];
		} else if (argv[i][0] == '-') {
			return cli_usage_error(self, "unknown option '%s'", argv[i]);
		} else if (has_suffix(argv[i], ".c") || has_suffix(argv[i], ".s") || has_suffix(argv[i], ".S")) {
			if (options->source_count == MAX_ARGS)
				return cli_usage_error(self, "too many sources");
			options->sources[options->source_count++] = argv[i];
		} else {
			return cli_usage_error(self, "'%s' is not a C (.c) or assembly (.s, .S) source", argv[i]);
		}
	}
	if (!options->source_count)
		return cli_usage_error(self, "no sources");
	if (!options->output)
		return cli_usage_error(self, "needs -o OUTPUT");
	return 0;
}

static int compile_and_link(const struct cc_options *options, const char *sdk, const char *temp, char *elf,
			    size_t elf_size)
{
	struct command_line link = {0};
	char sdk_files[3][PATH_MAX];
	if (!join(sdk_files[0], sizeof sdk_files[0], sdk, "corral.ld") ||
	    !join(sdk_files[1], sizeof sdk_files[1], sdk, "crt0.o") ||
	    !join(sdk_files[2], sizeof sdk_files[2], sdk, "libc.a") || !join(elf, elf_size, temp, "program.elf"))
		return cli_error("cc: the SDK's path is too long");
	static const char *const link_flags[] = {"-static",       "-z", "norelro", "--no-relax", "--emit-relocs",
						 "--gc-sections", "-T"};
	const char *lld = getenv("CORRAL_LLD") ? getenv("CORRAL_LLD") : "ld.lld-19";
	const char *clang = getenv("CORRAL_CLANG") ? getenv("CORRAL_CLANG") : "clang-19";
	static char objects[MAX_ARGS][PATH_MAX];
	int status = push(&link, lld);
	for (size_t i = 0; i < sizeof link_flags / sizeof link_flags[0] && !status; i++)
		status = push(&link, link_flags[i]);
	if (status || push(&link, sdk_files[0]) || push(&link, sdk_files[1]))
		return 1;
	for (int i = 0; i < options->source_count; i++) {
		struct command_line compile = {0};
		char name[16];
		snprintf(name, sizeof name, "%d.o", i);
		if (!join(objects[i], sizeof objects[i], temp, name))
			return cli_error("cc: the temporary folder's path is too long");
		char *flags;
		if (push(&compile, clang) || !(flags = read_flags(sdk, &compile)))
			return 1;
		for (int j = 0; j < options->compile_flag_count && !status; j++)
			status = push(&compile, options->compile_flags[j]);
		if (status || push(&compile, "-c") || push(&compile, options->sources[i]) || push(&compile, "-o") ||
		    push(&compile, objects[i]) || run_tool(&compile, options->verbose)) {
			free(flags);
			return 1;
		}
		free(flags);
		if (push(&link, objects[i]))
			return 1;
	}
	if (push(&link, sdk_files[2]) || push(&link, "-o") || push(&link, elf))
		return 1;
	return run_tool(&link, options->verbose);
}

static void remove_temp(const char *temp, int source_count, const char *elf)
{
	char path[PATH_MAX], name[16];
	for (int i = 0; i < source_count; i++) {
		snprintf(name, sizeof name, "%d.o", i);
		if (join(path, sizeof path, temp, name))
			unlink(path);
	}
	if (*elf)
		unlink(elf);
	rmdir(temp);
}

int cmd_cc(int argc, char **argv)
{
	static struct cc_options options;
	memset(&options, 0, sizeof options);
	int status = parse(argc, argv, &options);
	if (status)
		return status;
	char sdk[PATH_MAX];
	if (find_sdk(sdk, sizeof sdk))
		return 1;
	const char *base = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char temp[PATH_MAX], elf[PATH_MAX] = "";
	if (!join(temp, sizeof temp, base, "corral-cc-XXXXXX") || !mkdtemp(temp))
		return cli_error("cc: cannot make a temporary folder in %s: %s", base, strerror(errno));
	status = compile_and_link(&options, sdk, temp, elf, sizeof elf);
	if (!status)
		status = cli_link_file(elf, options.output, &options.link, options.verbose);
	if (options.keep)
		fprintf(stderr, "corral cc: kept %s (objects and program.elf)\n", temp);
	else
		remove_temp(temp, options.source_count, elf);
	return status;
}
