/* C programs built twice, natively with gcc -O2 and as PVM guests with
 * corral cc, must print the same bytes and exit with the same status: the
 * examples, one program per language feature, and the relocation styles
 * other code models and position-independent code produce. Every guest runs
 * on the interpreter and on the x86-64 compiler (exact gas metering); a few
 * also with the compiler's other metering modes and cross-checked against
 * the interpreter instruction by instruction. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/guest_run.h"
#include "tests/support.h"

/* Strings are held in the parameter itself: Criterion copies parameters
 * into the process that runs the test, where pointers would dangle. */
struct guest_case {
	char source[80];    /* one or more, separated by spaces */
	char cc_flags[40];  /* for corral cc, besides the source */
	char args[32];      /* shell words after the program */
	char input[64];     /* stdin */
	char run_flags[16]; /* for corral run */
	char jit_flags[32]; /* one more run with --backend jit and these */
};

static const struct guest_case cases[] = {
	{"guest/examples/hello.c", "", "one 'two words' three", "", "", "--cross-check"},
	{"guest/examples/sieve.c", "", "", "", "", "--gas-metering async"},
	{"guest/examples/sha256.c", "", "", "", "", "--gas-metering off"},
	{"guest/examples/interp.c", "", "", "", "", ""},
	{"guest/examples/malloc.c", "", "", "", "", ""},
	{"tests/guest/switch_table.c", "", "", "", "", ""},
	{"tests/guest/function_pointers.c", "", "", "", "", ""},
	{"tests/guest/recursion.c", "", "", "", "", ""},
	{"tests/guest/muldiv64.c", "", "", "", "", ""},
	{"tests/guest/memcpy_unaligned.c", "", "", "", "", ""},
	{"tests/guest/static_data.c", "", "", "", "", ""},
	{"tests/guest/exit_code.c", "", "", "", "", ""},
	{"tests/guest/stdin_echo.c", "", "", "first line\nSecond Line\n\nlast, without a newline", "", ""},
	{"tests/guest/printf_format.c", "", "", "", "", ""},
	{"tests/guest/abort_trap.c", "", "", "", "", "--cross-check"},
	{"tests/guest/malloc_stress.c", "", "", "", "", ""},
	{"tests/guest/string_functions.c", "", "", "", "", ""},
	{"tests/guest/number_conversions.c", "", "", "", "", ""},
	{"tests/guest/sort_search.c", "", "", "", "", ""},
	/* The A extension: amo*, lr/sc, lowered to loads and stores. */
	{"tests/guest/atomics.c", "", "", "", "", ""},
	/* Switch tables as label differences (R_RISCV_ADD32/SUB32 pairs). */
	{"tests/guest/switch_table.c", "-fPIE", "", "", "", ""},
	{"tests/guest/function_pointers.c", "-fPIE", "", "", "", ""},
	/* Absolute addresses built by lui + addi (R_RISCV_HI20/LO12). */
	{"tests/guest/switch_table.c", "-mcmodel=medlow", "", "", "", ""},
	{"tests/guest/static_data.c", "-mcmodel=medlow", "", "", "", ""},
	{"tests/guest/function_pointers.c", "-mcmodel=medlow", "", "", "", ""},
	/* Debug information: relocations in sections the program does not keep. */
	{"guest/examples/sieve.c", "-g", "", "", "", ""},
	/* Other optimisation levels make other code. */
	{"guest/examples/interp.c", "-O0", "", "", "", ""},
	{"tests/guest/muldiv64.c", "-Os", "", "", "", ""},
	/* Two translation units. */
	{"tests/guest/multi/main.c tests/guest/multi/util.c", "", "alpha beta gamma delta", "", "", ""},
	/* The .polkavm container: host calls by import name. */
	{"guest/examples/hello.c", "--format polkavm", "a b", "", "", ""},
	{"guest/examples/sha256.c", "--format polkavm", "", "", "", ""},
	/* GP 0.8 (JamV1) numbering: sbrk is host call 1003. A JAM program cannot
	 * say its numbering to corral run; a .polkavm container's version does. */
	{"guest/examples/hello.c", "--isa gp0.8", "x 'y z'", "", "--isa gp0.8", ""},
	{"guest/examples/sha256.c", "--isa gp0.8", "", "", "--isa gp0.8", ""},
	{"guest/examples/malloc.c", "--isa gp0.8", "", "", "--isa gp0.8", "--gas-metering async"},
	{"tests/guest/malloc_stress.c", "--isa gp0.8", "", "", "--isa gp0.8", ""},
	{"guest/examples/malloc.c", "--isa gp0.8 --format polkavm", "", "", "", ""},
	{"guest/examples/hello.c", "--isa gp0.8 --format polkavm", "a b", "", "", ""},
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

ParameterizedTest(const struct guest_case *test, guests, same_as_native, .timeout = 300)
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
	cr_expect(native.length > 0 || native.status != 0, "%s prints nothing natively", test->source);

	char jit_extra[64];
	snprintf(jit_extra, sizeof jit_extra, "--backend jit %s", test->jit_flags);
	const char *const backends[] = {"--backend interp", "--backend jit --sandbox none",
					support_sandbox_works(NULL) ? "--backend jit --sandbox linux" : "",
					test->jit_flags[0] ? jit_extra : NULL};
	for (size_t b = 0; b < sizeof backends / sizeof backends[0] && backends[b]; b++) {
		if (!backends[b][0])
			continue; /* the sandbox cannot run here: its own tests say why and skip */
		snprintf(command, sizeof command, "cd '%s/guest' && '%s/%s' run %s %s ./prog %s", folder, root,
			 guest_corral(), backends[b], test->run_flags, test->args);
		guest_shell(folder, command, test->input, &guest);
		cr_expect_eq(guest.status, native.status,
			     "%s %s, run %s: exit status %d as a guest, %d natively (stderr: %s)", test->source,
			     test->cc_flags, backends[b], guest.status, native.status, guest.errors);
		cr_expect(guest.length == native.length && !memcmp(guest.output, native.output, native.length),
			  "%s %s, run %s: stdout differs\n--- native (%zu bytes)\n%.2000s\n--- guest (%zu "
			  "bytes)\n%.2000s",
			  test->source, test->cc_flags, backends[b], native.length, native.output, guest.length,
			  guest.output);
		guest_result_free(&guest);
	}
	guest_result_free(&native);
	guest_cleanup(folder);
}

/* GP 0.8's sbrk is a host call, which must answer as GP 0.7's sbrk
 * instruction does: at the start, page boundaries, requests too large or
 * wrapping round, and growing until the heap reaches the stack's guard; on
 * the interpreter and on the JIT alike. */
static const char sbrk_program[] =
	"#include <corral_guest.h>\n"
	"#include <stdio.h>\n"
	"static unsigned long grow(unsigned long n) { return (unsigned long)corral_sbrk(n); }\n"
	"int main(void)\n"
	"{\n"
	"	unsigned long start = grow(0), steps = 0;\n"
	"	printf(\"start %lx\\n\", start);\n"
	"	printf(\"one %lx\\n\", grow(1) - start);\n"
	"	printf(\"rest of the page %lx\\n\", grow(4095) - start);\n"
	"	printf(\"page %lx\\n\", grow(4096) - start);\n"
	"	printf(\"huge %lx\\n\", grow(1ul << 40));\n"
	"	printf(\"wraps %lx\\n\", grow(-1ul));\n"
	"	printf(\"after the failures %lx\\n\", grow(0) - start);\n"
	"	volatile unsigned char *fresh = (unsigned char *)grow(5000);\n"
	"	printf(\"fresh %d %d\\n\", fresh[0], fresh[4999]);\n"
	"	fresh[4999] = 9;\n"
	"	for (unsigned long step = 1ul << 24; step; step >>= 4)\n"
	"		while (grow(step))\n"
	"			steps++;\n"
	"	unsigned long end = grow(0);\n"
	"	volatile unsigned char *last = (unsigned char *)(end - 1);\n"
	"	printf(\"end %lx after %lu steps; last byte %d\\n\", end, steps, *last);\n"
	"	*last = 7;\n"
	"	printf(\"written %d; one more %lx; still %lx\\n\", *last, grow(1), grow(0));\n"
	"	return fresh[4999];\n"
	"}\n";

Test(guests, gp08_sbrk_answers_as_the_instruction, .timeout = 180)
{
	const char *missing = guest_toolchain_missing();
	if (missing)
		cr_skip_test("%s", missing);
	static const char *const formats[] = {"jam", "polkavm"};
	char folder[PATH_MAX], root[PATH_MAX], path[PATH_MAX + 16], command[8 * PATH_MAX];
	cr_assert_not_null(getcwd(root, sizeof root));
	guest_workspace(folder, sizeof folder);
	snprintf(path, sizeof path, "%s/sbrk.c", folder);
	FILE *file = fopen(path, "w");
	cr_assert_not_null(file);
	fputs(sbrk_program, file);
	fclose(file);
	for (size_t f = 0; f < 2; f++) {
		struct process_result runs[2];
		for (int gp08 = 0; gp08 < 2; gp08++) {
			const char *isa = gp08 ? "gp0.8" : "gp0.7";
			snprintf(command, sizeof command,
				 "'%s/%s' cc --isa %s --format %s '%s/sbrk.c' -o '%s/prog' && '%s/%s' run --isa %s "
				 "'%s/prog'",
				 root, guest_corral(), isa, formats[f], folder, folder, root, guest_corral(), isa,
				 folder);
			guest_shell(folder, command, NULL, &runs[gp08]);
			cr_expect_eq(runs[gp08].status, 9, "%s %s: exit status %d (stderr: %s)", isa, formats[f],
				     runs[gp08].status, runs[gp08].errors);
			/* The compiled code leaves for the host at sbrk (GP 0.7) as at a host call. */
			struct process_result jit;
			snprintf(command, sizeof command, "'%s/%s' run --backend jit --isa %s '%s/prog'", root,
				 guest_corral(), isa, folder);
			guest_shell(folder, command, NULL, &jit);
			cr_expect_eq(jit.status, 9, "%s %s on the JIT: exit status %d (stderr: %s)", isa, formats[f],
				     jit.status, jit.errors);
			cr_expect_str_eq(jit.output, runs[gp08].output,
					 "%s %s: the JIT (first) and the interpreter differ", isa, formats[f]);
			guest_result_free(&jit);
		}
		cr_expect_str_eq(runs[1].output, runs[0].output, "%s: GP 0.8 (first) and GP 0.7 differ", formats[f]);
		cr_expect(strstr(runs[1].output, "huge 0\nwraps 0\n") && strstr(runs[1].output, "fresh 0 0\n") &&
				  strstr(runs[1].output, "last byte 0\nwritten 7; one more 0;"),
			  "%s: %s", formats[f], runs[1].output);
		guest_result_free(&runs[0]);
		guest_result_free(&runs[1]);
	}
	guest_cleanup(folder);
}
