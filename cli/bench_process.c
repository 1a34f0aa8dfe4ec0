/* A run of a target that is a program of its own (the native build, node
 * with runner.mjs, qemu-riscv64): its stdout is the workload's output, and
 * its stderr carries what its runner measured as `bench KEY VALUE` lines.
 * Both go to memfds, read once the program has exited, so that neither
 * pipe can fill and stall it while it is timed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/bench.h"

extern char **environ;

void bench_output_append(struct bench_output *output, const void *bytes, size_t length)
{
	if (output->length + length > output->capacity) {
		size_t capacity = output->capacity ? output->capacity : 256;
		while (capacity < output->length + length)
			capacity *= 2;
		char *grown = realloc(output->bytes, capacity);
		if (!grown)
			return; /* the output then differs from the others' and the run fails on it */
		output->bytes = grown;
		output->capacity = capacity;
	}
	memcpy(output->bytes + output->length, bytes, length);
	output->length += length;
}

void bench_output_free(struct bench_output *output)
{
	free(output->bytes);
	*output = (struct bench_output){0};
}

bool bench_find_program(const char *name, char *path, size_t size)
{
	if (strchr(name, '/')) {
		snprintf(path, size, "%s", name);
		return access(path, X_OK) == 0;
	}
	const char *search = getenv("PATH");
	if (!search)
		search = "/usr/local/bin:/usr/bin:/bin";
	while (*search) {
		size_t length = strcspn(search, ":");
		snprintf(path, size, "%.*s/%s", (int)length, search, name);
		if (length && access(path, X_OK) == 0)
			return true;
		search += length + (search[length] == ':');
	}
	return false;
}

/* Everything written to a memfd, NUL-terminated; NULL when out of memory. */
static char *read_all(int fd, size_t *length)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char *text = malloc(size > 0 ? (size_t)size + 1 : 1);
	if (!text)
		return NULL;
	ssize_t got = size > 0 ? pread(fd, text, (size_t)size, 0) : 0;
	*length = got > 0 ? (size_t)got : 0;
	text[*length] = 0;
	return text;
}

/* Runs argv with stdout and stderr into the two memfds; the exit status as
 * the shell gives it (128 + the signal), or -1 with `why`. */
static int spawn_and_wait(char *const argv[], int out, int err, char *why, size_t why_size)
{
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&actions, err, STDERR_FILENO);
	pid_t pid;
	int error = posix_spawn(&pid, argv[0], &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	if (error) {
		snprintf(why, why_size, "cannot run %s: %s", argv[0], strerror(error));
		return -1;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, why_size, "waiting for %s: %s", argv[0], strerror(errno));
			return -1;
		}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The `bench KEY VALUE` lines into figures; every other line is left for
 * the message when the run failed. */
static void parse_figures(const char *text, bench_figures figures)
{
	for (const char *line = text; *line;) {
		size_t length = strcspn(line, "\n");
		if (!strncmp(line, "bench ", 6)) {
			const char *key = line + 6;
			size_t key_length = strcspn(key, " \n");
			enum bench_figure figure = bench_figure_by_key(key, key_length);
			char *end;
			double value = strtod(key + key_length, &end);
			if (figure != BENCH_FIGURE_COUNT && end != key + key_length)
				figures[figure] = value;
		}
		line += length + (line[length] == '\n');
	}
}

/* The first line of text that is not a figure: what a failing program said. */
static void first_complaint(const char *text, char *why, size_t why_size)
{
	for (const char *line = text; *line;) {
		size_t length = strcspn(line, "\n");
		if (strncmp(line, "bench ", 6) && length) {
			snprintf(why, why_size, "%.*s", (int)length, line);
			return;
		}
		line += length + (line[length] == '\n');
	}
	snprintf(why, why_size, "nothing on stderr");
}

int bench_process_run(char *const argv[], bench_figures figures, struct bench_output *output, char *why,
		      size_t why_size)
{
	int out = memfd_create("corral-bench-stdout", MFD_CLOEXEC),
	    err = memfd_create("corral-bench-stderr", MFD_CLOEXEC);
	int result = -1;
	if (out < 0 || err < 0) {
		snprintf(why, why_size, "memfd_create: %s", strerror(errno));
		goto done;
	}
	int status = spawn_and_wait(argv, out, err, why, why_size);
	if (status < 0)
		goto done;
	size_t out_length, err_length;
	char *text = read_all(out, &out_length), *errors = read_all(err, &err_length);
	if (!text || !errors) {
		snprintf(why, why_size, "out of memory");
	} else if (status != 0) {
		char complaint[256];
		first_complaint(errors, complaint, sizeof complaint);
		snprintf(why, why_size, "%s exited with status %d: %s", argv[0], status, complaint);
	} else {
		parse_figures(errors, figures);
		bench_output_append(output, text, out_length);
		result = 0;
		if (isnan(figures[BENCH_RUN])) {
			snprintf(why, why_size, "%s printed no `bench run_ns` line on stderr", argv[0]);
			result = -1;
		}
	}
	free(text);
	free(errors);
done:
	if (out >= 0)
		close(out);
	if (err >= 0)
		close(err);
	return result;
}

char *bench_process_line(char *const argv[])
{
	int out = memfd_create("corral-bench-version", MFD_CLOEXEC), err = open("/dev/null", O_WRONLY | O_CLOEXEC);
	char why[256], *line = NULL;
	if (out >= 0 && err >= 0 && spawn_and_wait(argv, out, err, why, sizeof why) == 0) {
		size_t length;
		char *text = read_all(out, &length);
		if (text) {
			text[strcspn(text, "\n")] = 0;
			line = text;
		}
	}
	if (out >= 0)
		close(out);
	if (err >= 0)
		close(err);
	return line;
}
