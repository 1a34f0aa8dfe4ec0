/* corral disasm --native: the plain listing with, under each instruction,
 * the x86-64 code the compiler made of it. objdump disassembles the whole
 * code buffer once (at the address it runs at, so jump targets read as the
 * addresses the listing shows); its lines are then handed out by offset to
 * the instructions that own them, and what no instruction owns (the
 * trampolines and out-of-line stubs) is printed at the end. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "loader/array.h"

extern char **environ;

struct native_line {
	size_t offset; /* into the code buffer */
	char *text;    /* mnemonic and operands, as objdump prints them */
	bool printed;
};

struct native_lines {
	struct native_line *lines;
	size_t count, capacity;
};

static void free_lines(struct native_lines *lines)
{
	for (size_t i = 0; i < lines->count; i++)
		free(lines->lines[i].text);
	free(lines->lines);
}

/* "  7f12a4c01000:\tmov    %rax,%rbx": the address, then the instruction
 * (--no-show-raw-insn: one line per instruction, no byte columns). */
static int parse_line(char *line, uint64_t base, size_t length, struct native_lines *lines)
{
	char *end;
	const char *at = line + strspn(line, " ");
	errno = 0;
	unsigned long long address = strtoull(at, &end, 16);
	if (end == at || errno || end[0] != ':' || end[1] != '\t' || address < base || address - base >= length)
		return 0; /* a header line, or a blank one */
	char *text = end + 2;
	text[strcspn(text, "\n")] = 0;
	for (char *tab = strchr(text, '\t'); tab; tab = strchr(tab, '\t'))
		*tab = ' ';
	if (!array_reserve((void **)&lines->lines, &lines->capacity, lines->count + 1, sizeof *lines->lines))
		return -1;
	lines->lines[lines->count].offset = (size_t)(address - base);
	lines->lines[lines->count].printed = false;
	if (!(lines->lines[lines->count].text = strdup(text)))
		return -1;
	lines->count++;
	return 0;
}

/* Runs objdump on `code` (written to a temporary file) and reads its lines. */
static int disassemble(const uint8_t *code, size_t length, struct native_lines *lines)
{
	const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char path[4096], vma[64];
	snprintf(path, sizeof path, "%s/corral-native-XXXXXX", tmp);
	int fd = mkstemp(path);
	if (fd < 0)
		return cli_error("%s: cannot create a temporary file for objdump: %s", path, strerror(errno));
	FILE *file = fdopen(fd, "wb");
	bool wrote = file && fwrite(code, 1, length, file) == length;
	if (!file || fclose(file) || !wrote) {
		unlink(path);
		return cli_error("%s: cannot write the compiled code for objdump", path);
	}
	int pipe_fds[2];
	if (pipe(pipe_fds)) {
		unlink(path);
		return cli_error("cannot make a pipe for objdump: %s", strerror(errno));
	}
	snprintf(vma, sizeof vma, "--adjust-vma=0x%" PRIxPTR, (uintptr_t)code);
	char *argv[] = {"objdump", "-D", "-b", "binary", "-mi386:x86-64", "--no-show-raw-insn", vma, path, NULL};
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
	pid_t pid;
	int error = posix_spawnp(&pid, "objdump", &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(pipe_fds[1]);
	if (error) {
		close(pipe_fds[0]);
		unlink(path);
		if (error == ENOENT)
			return cli_error("disasm --native: objdump is not installed (it comes with binutils: apt-get "
					 "install binutils); it disassembles the x86-64 code");
		return cli_error("disasm --native: cannot run objdump: %s", strerror(error));
	}
	FILE *output = fdopen(pipe_fds[0], "r");
	char *line = NULL;
	size_t capacity = 0;
	int status = output ? 0 : cli_error("cannot read objdump's output: %s", strerror(errno));
	while (!status && getline(&line, &capacity, output) >= 0)
		if (parse_line(line, (uintptr_t)code, length, lines))
			status = cli_error("out of memory reading objdump's output");
	free(line);
	if (output)
		fclose(output);
	else
		close(pipe_fds[0]);
	int exit_status;
	while (waitpid(pid, &exit_status, 0) < 0 && errno == EINTR)
		;
	unlink(path);
	if (!status && (!WIFEXITED(exit_status) || WEXITSTATUS(exit_status)))
		status = cli_error("disasm --native: objdump failed on the compiled code (%zu bytes)", length);
	if (!status && lines->count == 0)
		status = cli_error("disasm --native: objdump printed no instructions for %zu bytes of code", length);
	return status;
}

/* The line an instruction of the plain listing starts with: "%8u: ". */
static bool instruction_pc(const char *line, uint32_t *pc)
{
	const char *at = line + strspn(line, " ");
	char *end;
	if (*at < '0' || *at > '9')
		return false;
	unsigned long value = strtoul(at, &end, 10);
	if (*end != ':' || value > UINT32_MAX)
		return false;
	*pc = (uint32_t)value;
	return true;
}

static void print_native(FILE *out, struct native_line *line, uint64_t base)
{
	fprintf(out, "          ; %" PRIx64 ":  %s\n", base + line->offset, line->text);
	line->printed = true;
}

int cli_native_listing(const corral_module *module, const char *listing, FILE *out)
{
	size_t length;
	const uint8_t *code = corral_module_native(module, &length);
	if (!code || !length)
		return cli_error("disasm --native: the module has no compiled code");
	struct native_lines lines = {0};
	int status = disassemble(code, length, &lines);
	if (status) {
		free_lines(&lines);
		return status;
	}
	uint64_t base = (uintptr_t)code;
	size_t next = 0; /* lines and sites are both in code order */
	for (const char *at = listing; *at;) {
		size_t n = strcspn(at, "\n");
		fprintf(out, "%.*s\n", (int)n, at);
		uint32_t pc;
		size_t offset;
		size_t size = instruction_pc(at, &pc) ? corral_module_native_at(module, pc, &offset) : 0;
		if (size) {
			while (next < lines.count && lines.lines[next].offset < offset)
				next++;
			for (size_t i = next; i < lines.count && lines.lines[i].offset < offset + size; i++)
				print_native(out, &lines.lines[i], base);
		}
		at += n + (at[n] == '\n');
	}
	fprintf(out, "\n; trampolines and out-of-line stubs: the compiled code no instruction owns\n");
	for (size_t i = 0; i < lines.count; i++)
		if (!lines.lines[i].printed)
			print_native(out, &lines.lines[i], base);
	fprintf(out, "; %zu bytes of x86-64 code at 0x%" PRIx64 ", %zu instructions\n", length, base, lines.count);
	free_lines(&lines);
	return 0;
}
