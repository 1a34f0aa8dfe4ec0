/* C programs built twice, natively with gcc -O2 and as PVM guests with
 * corral cc, must print the same bytes and exit with the same status: the
 * examples, one program per language feature, and the relocation styles
 * other code models and position-independent code produce. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/guest_run.h"

/* Strings are held in the parameter itself: Criterion copies parameters
 * into the process that runs the test, where pointers would dangle. */
struct guest_case {
	char source[80];   /* one or more, separated by spaces */
	char cc_flags[24]; /* for corral cc, besides the source */
	char args[32];     /* shell words after the program */
	char input[64];    /* stdin */
};

static const struct guest_case cases[] = {
	{"guest/examples/hello.c", "", "one 'two words' three", ""},
	{"guest/examples/sieve.c", "", "", ""},
	{"guest/examples/sha256.c", "", "", ""},
	{"guest/examples/interp.c", "", "", ""},
	{"guest/examples/malloc.c", "", "", ""},
	{"tests/guest/switch_table.c", "", "", ""},
	{"tests/guest/function_pointers.c", "", "", ""},
	{"tests/guest/recursion.c", "", "", ""},
	{"tests/guest/muldiv64.c", "", "", ""},
	{"tests/guest/memcpy_unaligned.c", "", "", ""},
	{"tests/guest/static_data.c", "", "", ""},
	{"tests/guest/exit_code.c", "", "", ""},
	{"tests/guest/stdin_echo.c", "", "", "first line\nSecond Line\n\nlast, without a newline"},
	{"tests/guest/printf_format.c", "", "", ""},
	{"tests/guest/abort_trap.c", "", "", ""},
	{"tests/guest/malloc_stress.c", "", "", ""},
	{"tests/guest/string_functions.c", "", "", ""},
	{"tests/guest/number_conversions.c", "", "", ""},
	{"tests/guest/sort_search.c", "", "", ""},
	/* The A extension: amo*, lr/sc, lowered to loads and stores. */
	{"tests/guest/atomics.c", "", "", ""},
	/* Switch tables as label differences (R_RISCV_ADD32/SUB32 pairs). */
	{"tests/guest/switch_table.c", "-fPIE", "", ""},
	{"tests/guest/function_pointers.c", "-fPIE", "", ""},
	/* Absolute addresses built by lui + addi (R_RISCV_HI20/LO12). */
	{"tests/guest/switch_table.c", "-mcmodel=medlow", "", ""},
	{"tests/guest/static_data.c", "-mcmodel=medlow", "", ""},
	{"tests/guest/function_pointers.c", "-mcmodel=medlow", "", ""},
	/* Debug information: relocations in sections the program does not keep. */
	{"guest/examples/sieve.c", "-g", "", ""},
	/* Other optimisation levels make other code. */
	{"guest/examples/interp.c", "-O0", "", ""},
	{"tests/guest/muldiv64.c", "-Os", "", ""},
	/* Two translation units. */
	{"tests/guest/multi/main.c tests/guest/multi/util.c", "", "alpha beta gamma delta", ""},
	/* The .polkavm container: host calls by import name. */
	{"guest/examples/hello.c", "--format polkavm", "a b", ""},
	{"guest/examples/sha256.c", "--format polkavm", "", ""},
};

ParameterizedTestParameters(guests, same_as_native)
{
	return cr_make_param_array(struct guest_case, (void *)cases, sizeof cases / sizeof cases[0]);
}

/* The sources as quoted absolute paths. */
static void source_paths(const char *root, const char *sources, char *out, size_t size)
{
	size_t used = 0;
	out[0] = 0;
	for (const char *at = sources; *at;) {
		size_t n = strcspn(at, " ");
		int wrote = snprintf(out + used, size - used, "%s'%s/%.*s'", used ? " " : "", root, (int)n, at);
		cr_assert(wrote > 0 && (size_t)wrote < size - used, "the source list is too long");
		used += (size_t)wrote;
		at += n + strspn(at + n, " ");
	}
}

ParameterizedTest(const struct guest_case *test, guests, same_as_native, .timeout = 120)
{
	const char *missing = guest_toolchain_missing();
	if (missing)
		cr_skip_test("%s", missing);
	char folder[PATH_MAX], root[PATH_MAX], command[8 * PATH_MAX], sources[2 * PATH_MAX];
	cr_assert_not_null(getcwd(root, sizeof root));
	source_paths(root, test->source, sources, sizeof sources);
	guest_workspace(folder, sizeof folder);
	struct process_result native, guest;

	snprintf(command, sizeof command, "mkdir -p '%s/native' '%s/guest' && gcc -O2 -w -o '%s/native/prog' %s",
		 folder, folder, folder, sources);
	guest_shell(folder, command, NULL, &native);
	cr_assert_eq(native.status, 0, "%s does not build natively: %s", test->source, native.errors);
	guest_result_free(&native);
	snprintf(command, sizeof command, "'%s/%s' cc %s %s -o '%s/guest/prog'", root, guest_corral(), test->cc_flags,
		 sources, folder);
	guest_shell(folder, command, NULL, &guest);
	cr_assert_eq(guest.status, 0, "corral cc %s %s failed: %s", test->cc_flags, test->source, guest.errors);
	guest_result_free(&guest);

	snprintf(command, sizeof command, "cd '%s/native' && ./prog %s", folder, test->args);
	guest_shell(folder, command, test->input, &native);
	snprintf(command, sizeof command, "cd '%s/guest' && '%s/%s' run ./prog %s", folder, root, guest_corral(),
		 test->args);
	guest_shell(folder, command, test->input, &guest);

	cr_expect_eq(guest.status, native.status, "%s %s: exit status %d as a guest, %d natively (stderr: %s)",
		     test->source, test->cc_flags, guest.status, native.status, guest.errors);
	cr_expect(native.length > 0 || native.status != 0, "%s prints nothing natively", test->source);
	cr_expect(guest.length == native.length && !memcmp(guest.output, native.output, native.length),
		  "%s %s: stdout differs\n--- native (%zu bytes)\n%.2000s\n--- guest (%zu bytes)\n%.2000s",
		  test->source, test->cc_flags, native.length, native.output, guest.length, guest.output);
	guest_result_free(&native);
	guest_result_free(&guest);
	guest_cleanup(folder);
}
