/* The RISC-V → PVM lowering, one corner at a time: each case is a few lines
 * of RISC-V assembly assembled by clang-19, linked by ld.lld-19 with
 * guest/corral.ld, translated by loader_link and run; a0 at the halt must be
 * what RISC-V says. The corners: x0 as an operand of instructions with no
 * immediate form, branches on x0, atomics whose registers alias, lr/sc,
 * link registers other than ra, function pointers in the same section. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corral.h"
#include "loader/link.h"
#include "tests/guest_run.h"

struct lower_case {
	char name[24];
	char assembly[320]; /* the body of _start; it ends by returning to the halt address */
	int64_t a0;
};

static const struct lower_case cases[] = {
	{"max with x0", "li a0, -5\nmax a0, a0, zero\nret", 0},
	{"max x0 first", "li a1, 7\nmax a0, zero, a1\nret", 7},
	{"min with x0", "li a0, 5\nmin a0, a0, zero\nret", 0},
	{"maxu with x0", "li a0, 3\nmaxu a0, a0, zero\nret", 3},
	{"minu same reg", "li a0, 3\nminu a0, zero, a0\nret", 0},
	{"neg", "li a1, 9\nsub a0, zero, a1\nret", -9},
	{"negw", "li a1, 9\nsubw a0, zero, a1\nret", -9},
	{"snez", "li a1, 3\nsltu a0, zero, a1\nret", 1},
	{"sltz and sgtz", "li a1, -3\nslt a0, zero, a1\nslt a2, a1, zero\nslli a2, a2, 1\nor a0, a0, a2\nret", 2},
	{"shift x0", "li a1, 12\nli a0, 5\nsll a0, zero, a1\nret", 0},
	{"clz cpop ctzw of x0", "clz a0, zero\ncpop a1, zero\nctzw a2, zero\nadd a0, a0, a1\nadd a0, a0, a2\nret", 96},
	{"div by x0", "li a1, 100\ndiv a0, a1, zero\nret", -1},
	{"rem by x0", "li a1, 100\nrem a0, a1, zero\nret", 100},
	{"remuw by x0", "li a1, -100\nremuw a0, a1, zero\nret", -100},
	{"divu of x0", "li a1, 7\ndivu a0, zero, a1\nret", 0},
	{"andn orn xnor x0",
	 "li a1, 6\nandn a0, a1, zero\norn a2, zero, zero\nxnor a3, a1, zero\nadd a0, a0, a2\nadd a0, "
	 "a0, a3\nret",
	 6 - 1 - 7},
	{"mulh with x0", "li a1, -1\nmulh a0, a1, zero\nmulhu a2, zero, a1\nor a0, a0, a2\nret", 0},
	{"rol ror x0", "li a1, 3\nli a0, 9\nrol a0, a0, zero\nror a2, zero, a1\nadd a0, a0, a2\nret", 9},
	{"blt x0 left", "li a1, 5\nblt zero, a1, 1f\nli a0, 0\nret\n1: li a0, 1\nret", 1},
	{"bgeu x0 left", "li a1, 5\nli a0, 1\nbgeu zero, a1, 1f\nli a0, 2\n1: ret", 2},
	{"bltu never", "li a0, 4\nbltu a0, zero, 1f\nli a0, 3\n1: ret", 3},
	{"store x0", "li a0, -1\nsd a0, -48(sp)\nsw zero, -48(sp)\nld a0, -48(sp)\nret",
	 (int64_t)0xFFFFFFFF00000000ull},
	{"amoadd rd = rs2",
	 "addi a1, sp, -32\nli a2, 5\nsd a2, 0(a1)\nli a0, 7\namoadd.d a0, a0, (a1)\nld a2, "
	 "0(a1)\nslli a2, a2, 8\nor a0, a0, a2\nret",
	 (12 << 8) | 5},
	{"amoswap rd = rs1",
	 "addi a1, sp, -32\nmv a3, a1\nli a2, 0x11\nsw a2, 0(a1)\nli a2, 0x22\namoswap.w a1, a2, "
	 "(a1)\nlw a0, 0(a3)\nslli a0, a0, 8\nor a0, a0, a1\nret",
	 0x2211},
	{"amomin.w sign",
	 "addi a1, sp, -32\nli a2, -1\nsw a2, 0(a1)\nli a2, 1\namominu.w a0, a2, (a1)\nlw a2, "
	 "0(a1)\nadd a0, a0, a2\nret",
	 0},
	{"amoor x0 result",
	 "addi a1, sp, -32\nli a2, 0x30\nsd a2, 0(a1)\nli a2, 3\namoor.d zero, a2, (a1)\nld a0, "
	 "0(a1)\nret",
	 0x33},
	{"lr sc",
	 "addi a1, sp, -32\nli a2, 41\nsd a2, 0(a1)\nlr.d a0, (a1)\naddi a0, a0, 1\nsc.d a2, a0, (a1)\nld a0, "
	 "0(a1)\nadd a0, a0, a2\nret",
	 42},
	{"lui sign", "lui a0, 0x80000\nret", (int64_t)0xFFFFFFFF80000000ull},
	{"srliw", "li a0, -1\nsrliw a0, a0, 1\nret", 0x7FFFFFFF},
	{"t0 as link", "li a0, 1\njal t0, 2f\naddi a0, a0, 10\nret\n2: addi a0, a0, 100\njr t0", 111},
	/* lui/auipc with the addi or load after them: one constant or one load */
	{"li 32-bit", "li a0, 0x12345678\nret", 0x12345678},
	{"li negative 32-bit", "li a0, -0x12345678\nret", -0x12345678},
	{"lui addiw wraps", "lui a0, 0x80000\naddiw a0, a0, -1\nret", 0x7FFFFFFF},
	{"lui addi does not wrap", "lui a0, 0x80000\naddi a0, a0, -1\nret", -0x80000001ll},
	{"load by symbol", "ld a0, 9f\nret\n.section .rodata\n9: .dword 77\n.text", 77},
	{"label inside a pair",
	 "li a1, 2\nli a0, 0\nlui a2, 1\n1: addi a2, a2, 1\nadd a0, a0, a2\naddi a1, a1, "
	 "-1\nbnez a1, 1b\nret",
	 8195},
	{"jalr rd = rs1", "mv s1, ra\nla ra, 3f\njalr ra, 0(ra)\nmv ra, s1\nret\n3: li a0, 43\nret", 43},
	{"pointer in section", "mv s1, ra\nla a1, 3f\njalr a1\nmv ra, s1\nret\n3: li a0, 42\nret", 42},
};

ParameterizedTestParameters(lower, runs_as_risc_v_says)
{
	return cr_make_param_array(struct lower_case, (void *)cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(const struct lower_case *test, lower, runs_as_risc_v_says, .timeout = 60)
{
	const char *missing = guest_toolchain_missing();
	if (missing)
		cr_skip_test("%s", missing);
	const char *build = getenv("CORRAL_BUILD") && *getenv("CORRAL_BUILD") ? getenv("CORRAL_BUILD") : "build";
	char folder[PATH_MAX], path[PATH_MAX + 16], command[6 * PATH_MAX];
	guest_workspace(folder, sizeof folder);
	snprintf(path, sizeof path, "%s/case.s", folder);
	FILE *file = fopen(path, "w");
	cr_assert_not_null(file);
	fprintf(file, ".option norelax\n.text\n.globl _start\n_start:\n%s\n", test->assembly);
	fclose(file);
	snprintf(
		command, sizeof command,
		"clang-19 --target=riscv64 -march=rv64emac_zbb -mabi=lp64e -c '%s/case.s' -o '%s/case.o' && "
		"ld.lld-19 -static -z norelro --no-relax --emit-relocs -T '%s/sdk/corral.ld' '%s/case.o' -o '%s/case.elf'",
		folder, folder, build, folder, folder);
	struct process_result result;
	guest_shell(folder, command, NULL, &result);
	cr_assert_eq(result.status, 0, "%s: %s", test->name, result.errors);
	guest_result_free(&result);

	snprintf(path, sizeof path, "%s/case.elf", folder);
	file = fopen(path, "rb");
	cr_assert_not_null(file);
	fseek(file, 0, SEEK_END);
	size_t length = (size_t)ftell(file);
	rewind(file);
	uint8_t *elf = malloc(length);
	cr_assert_eq(fread(elf, 1, length, file), length);
	fclose(file);
	guest_cleanup(folder);

	struct link_options options;
	link_options_init(&options);
	uint8_t *program;
	size_t program_length;
	struct pvm_error error;
	cr_assert_eq(loader_link(elf, length, &options, &program, &program_length, NULL, &error), 0, "%s: %s",
		     test->name, error.message);
	corral_engine *engine;
	corral_module *module;
	corral_instance *instance;
	corral_module_config config;
	corral_instance_config instance_config;
	corral_error problem;
	corral_module_config_init(&config);
	corral_instance_config_init(&instance_config);
	instance_config.gas = 1000000;
	cr_assert_eq(corral_engine_new(NULL, &engine, &problem), CORRAL_OK);
	cr_assert_eq(corral_module_new(engine, program, program_length, test->name, &config, &module, &problem),
		     CORRAL_OK, "%s", problem.message);
	cr_assert_eq(corral_instance_new(module, &instance_config, &instance, &problem), CORRAL_OK);
	corral_interrupt stop = corral_instance_run(instance);
	cr_expect_eq(stop.kind, CORRAL_FINISHED, "%s: stopped with %s at pc %u", test->name,
		     corral_interrupt_name(stop.kind), stop.pc);
	int64_t a0 = (int64_t)corral_instance_reg(instance, 7);
	cr_expect_eq(a0, test->a0, "%s: a0 = %lld (0x%llx), RISC-V says %lld", test->name, (long long)a0,
		     (unsigned long long)a0, (long long)test->a0);
	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine);
	free(program);
	free(elf);
}
