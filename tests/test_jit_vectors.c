/* The x86-64 compiler through the command line, as a user meets it: every
 * conformance vector passes on the JIT as on the interpreter (status, pc,
 * registers, gas, memory), also cross-checked instruction by instruction;
 * the backend options refuse what they cannot do and say why; and
 * `corral disasm --native` shows each instruction's x86-64 code under it. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/guest_run.h"
#include "tests/support.h"

struct vector_case {
	char folder[48];      /* under $CORRAL_VECTORS/pvm */
	char flags[64];       /* for corral vectors */
	char environment[48]; /* before the command */
};

static const struct vector_case vector_cases[] = {
	{"v0.4/programs", "--backend jit --sandbox none", ""},
	{"v0.4/programs", "--backend jit --sandbox linux", ""},
	{"v0.4/programs", "--backend interp", ""},
	{"v0.4/programs", "--backend jit --sandbox none --cross-check", ""},
	{"v0.4/programs", "--backend jit --sandbox linux --cross-check", ""},
	/* the per-block costs the vectors list */
	{"gas-model/programs", "--backend jit --sandbox none", ""},
	{"gas-model/programs", "--backend jit --sandbox linux", ""},
	{"gas-model/programs", "--backend interp", ""},
	{"gas-model/programs", "--backend jit --sandbox none --cross-check", ""},
	/* the anchor in r15 and the balance in the context, as on a CPU without FSGSBASE */
	{"gas-model/programs", "--backend jit --sandbox none", "CORRAL_JIT_NO_FSGSBASE=1"},
	{"v0.4/programs", "--backend jit --sandbox none", "CORRAL_JIT_NO_FSGSBASE=1"},
	/* the same costs, computed by the GP 0.8 pipeline model */
	{"gas-model/programs", "--backend jit --gas-model gp08", ""},
	/* GP 0.8 numbering */
	{"jamv1-sample", "--backend jit --sandbox none", ""},
	{"jamv1-sample", "--backend jit --sandbox linux", ""},
	{"jamv1-sample", "--backend jit --cross-check", ""},
};

ParameterizedTestParameters(jit_vectors, all_pass)
{
	return cr_make_param_array(struct vector_case, (void *)vector_cases,
				   sizeof vector_cases / sizeof vector_cases[0]);
}

static size_t count_json(const char *folder)
{
	DIR *dir = opendir(folder);
	cr_assert_not_null(dir, "cannot list %s", folder);
	size_t count = 0;
	for (struct dirent *entry; (entry = readdir(dir));) {
		size_t n = strlen(entry->d_name);
		count += n > 5 && !strcmp(entry->d_name + n - 5, ".json");
	}
	closedir(dir);
	return count;
}

ParameterizedTest(const struct vector_case *test, jit_vectors, all_pass, .timeout = 300)
{
	const char *vectors = support_vectors();
	if (!vectors)
		cr_skip_test("no test vectors: set CORRAL_VECTORS to the shared vectors folder");
	if (strstr(test->flags, "--sandbox linux"))
		support_require_sandbox();
	char folder[PATH_MAX], root[PATH_MAX], work[PATH_MAX], command[4 * PATH_MAX], expected[64];
	snprintf(folder, sizeof folder, "%s/pvm/%s", vectors, test->folder);
	if (access(folder, R_OK))
		cr_skip_test("no vectors in %s", folder);
	size_t count = count_json(folder);
	cr_assert_gt(count, 0, "%s holds no vectors", folder);
	cr_assert_not_null(getcwd(root, sizeof root));
	guest_workspace(work, sizeof work);
	snprintf(command, sizeof command, "%s '%s/%s' vectors %s '%s'", test->environment, root, guest_corral(),
		 test->flags, folder);
	struct process_result result;
	guest_shell(work, command, NULL, &result);
	snprintf(expected, sizeof expected, "%zu passed, 0 failed\n", count);
	size_t n = strlen(expected);
	cr_expect(result.length >= n && !strcmp(result.output + result.length - n, expected),
		  "corral vectors %s %s: expected '%.*s' at the end; got (exit %d):\n%.3000s\n%.1000s", test->flags,
		  test->folder, (int)n - 1, expected, result.status, result.output, result.errors);
	cr_expect_eq(result.status, 0, "corral vectors %s %s: exit status %d", test->flags, test->folder,
		     result.status);
	guest_result_free(&result);
	guest_cleanup(work);
}

/* ---- the backend options --------------------------------------------- */

struct option_case {
	char arguments[96]; /* after `corral` */
	int status;
	char says[80]; /* in stderr */
};

static const struct option_case option_cases[] = {
	{"vectors --backend jit --gas-metering async x.json", 2, "only sync metering"},
	{"vectors --backend jit --gas-metering off x.json", 2, "only sync metering"},
	{"vectors --backend wasm x.json", 2, "--backend takes interp or jit"},
	{"run --sandbox zygote x.jam", 2, "--sandbox takes linux, none or auto"},
	{"run --gas-metering async x.jam", 2, "needs --backend jit"},
	{"run --cross-check x.jam", 2, "needs --backend jit"},
	{"run --backend jit --gas-metering fast x.jam", 2, "--gas-metering takes sync, async or off"},
	{"disasm --gas-metering off x.jam", 2, "--native"},
};

ParameterizedTestParameters(jit_cli, refuses_with_a_reason)
{
	return cr_make_param_array(struct option_case, (void *)option_cases,
				   sizeof option_cases / sizeof option_cases[0]);
}

ParameterizedTest(const struct option_case *test, jit_cli, refuses_with_a_reason)
{
	char root[PATH_MAX], work[PATH_MAX], command[4 * PATH_MAX];
	cr_assert_not_null(getcwd(root, sizeof root));
	guest_workspace(work, sizeof work);
	/* The files exist, so that only the options can be wrong. */
	snprintf(command, sizeof command, "cd '%s' && touch x.json x.jam && '%s/%s' %s", work, root, guest_corral(),
		 test->arguments);
	struct process_result result;
	guest_shell(work, command, NULL, &result);
	cr_expect_eq(result.status, test->status, "corral %s: exit status %d, expected %d (stderr: %s)",
		     test->arguments, result.status, test->status, result.errors);
	cr_expect(strstr(result.errors, test->says), "corral %s: stderr does not say '%s': %s", test->arguments,
		  test->says, result.errors);
	guest_result_free(&result);
	guest_cleanup(work);
}

/* ---- disasm --native --------------------------------------------------- */

static const char native_program[] = "\t\tload_imm r7, 7\n"
				     "\t\tload_imm r8, 5\n"
				     "\t\tadd_64 r9, r7, r8\n"
				     "\t\tecalli 3\n"
				     "\t\tload_imm r0, -65536\n"
				     "\t\tjump_ind r0, 0\n";

/* The listing's lines under the instruction whose text starts with
 * `instruction`, up to the next line that is not native code. */
static void native_under(const char *listing, const char *instruction, char *out, size_t size)
{
	out[0] = 0;
	const char *at = strstr(listing, instruction);
	cr_assert_not_null(at, "no '%s' in the listing:\n%s", instruction, listing);
	at = strchr(at, '\n');
	size_t used = 0;
	while (at && !strncmp(at + 1, "          ; ", 12)) {
		const char *end = strchr(at + 1, '\n');
		size_t n = end ? (size_t)(end - at) : strlen(at);
		if (used + n < size) {
			memcpy(out + used, at, n);
			used += n;
			out[used] = 0;
		}
		at = end;
	}
}

static void write_text(const char *path, const char *text)
{
	FILE *file = fopen(path, "w");
	cr_assert_not_null(file, "cannot create %s", path);
	fputs(text, file);
	fclose(file);
}

Test(jit_cli, disasm_native_shows_each_instructions_code, .timeout = 60)
{
	char root[PATH_MAX], work[PATH_MAX], path[PATH_MAX + 16], command[8 * PATH_MAX], code[4096];
	cr_assert_not_null(getcwd(root, sizeof root));
	guest_workspace(work, sizeof work);
	snprintf(path, sizeof path, "%s/add.s", work);
	write_text(path, native_program);
	struct process_result result;
	snprintf(command, sizeof command,
		 "cd '%s' && '%s/%s' asm add.s -o add.jam && '%s/%s' disasm --native add.jam -o native.s && cat "
		 "native.s && '%s/%s' asm native.s -o again.jam && cmp add.jam again.jam",
		 work, root, guest_corral(), root, guest_corral(), root, guest_corral());
	guest_shell(work, command, NULL, &result);
	cr_assert_eq(result.status, 0, "disasm --native failed (exit %d): %s\n%s", result.status, result.errors,
		     result.output);
	native_under(result.output, "add_64 r9, r7, r8", code, sizeof code);
	cr_expect(strstr(code, " add ") || strstr(code, " lea ") || strstr(code, " add\n"),
		  "no add or lea under add_64:\n%s\n--- listing:\n%s", code, result.output);
	native_under(result.output, "load_imm r7, 7", code, sizeof code);
	cr_expect(strstr(code, "mov"), "no mov under load_imm:\n%s", code);
	cr_expect(strstr(result.output, "; trampolines and out-of-line stubs"), "no trampolines:\n%s", result.output);
	/* never what the scan forbids */
	cr_expect(!strstr(result.output, "syscall") && !strstr(result.output, "cpuid") &&
			  !strstr(result.output, "rdtsc"),
		  "%s", result.output);
	guest_result_free(&result);

	/* without metering there is no gas charge before the first instruction */
	snprintf(command, sizeof command, "cd '%s' && '%s/%s' disasm --native --gas-metering off add.jam", work, root,
		 guest_corral());
	guest_shell(work, command, NULL, &result);
	cr_expect_eq(result.status, 0, "disasm --native --gas-metering off: %s", result.errors);
	cr_expect(strstr(result.output, "gas metering off"), "%s", result.output);
	guest_result_free(&result);

	/* objdump missing: one line that says so */
	snprintf(command, sizeof command, "cd '%s' && PATH=/nonexistent '%s/%s' disasm --native add.jam", work, root,
		 guest_corral());
	guest_shell(work, command, NULL, &result);
	cr_expect_eq(result.status, 1, "without objdump: exit %d", result.status);
	cr_expect(strstr(result.errors, "objdump is not installed") &&
			  strchr(result.errors, '\n') == result.errors + strlen(result.errors) - 1,
		  "without objdump: %s", result.errors);
	guest_result_free(&result);
	guest_cleanup(work);
}
