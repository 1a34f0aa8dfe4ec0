/* The RISC-V → PVM lowering, one corner at a time: each case is a few lines
 * of RISC-V assembly assembled by clang-19, linked by ld.lld-19 with
 * guest/corral.ld, translated by loader_link and run; a0 at the halt must be
 * what RISC-V says. The corners: x0 as an operand of instructions with no
 * immediate form, branches on x0, atomics whose registers alias, lr/sc,
 * link registers other than ra, function pointers in the same section. Every
 * case runs in both numberings; the custom sbrk is the GP 0.7 instruction
 * or, in GP 0.8, a host call, which only sbrk a0, a0 can become. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corral.h"
#include "loader/link.h"
#include "tests/guest_run.h"
#include "tests/support.h"

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

/* Assembles `assembly` as the body of _start and links it as corral cc
 * would; returns the ELF's bytes. */
static uint8_t *assemble(const char *name, const char *assembly, size_t *length)
{
	const char *build = getenv("CORRAL_BUILD") && *getenv("CORRAL_BUILD") ? getenv("CORRAL_BUILD") : "build";
	char folder[PATH_MAX], path[PATH_MAX + 16], command[6 * PATH_MAX];
	guest_workspace(folder, sizeof folder);
	snprintf(path, sizeof path, "%s/case.s", folder);
	FILE *file = fopen(path, "w");
	cr_assert_not_null(file);
	fprintf(file, ".option norelax\n.text\n.globl _start\n_start:\n%s\n", assembly);
	fclose(file);
	snprintf(
		command, sizeof command,
		"clang-19 --target=riscv64 -march=rv64emac_zbb -mabi=lp64e -c '%s/case.s' -o '%s/case.o' && "
		"ld.lld-19 -static -z norelro --no-relax --emit-relocs -T '%s/sdk/corral.ld' '%s/case.o' -o '%s/case.elf'",
		folder, folder, build, folder, folder);
	struct process_result result;
	guest_shell(folder, command, NULL, &result);
	cr_assert_eq(result.status, 0, "%s: %s", name, result.errors);
	guest_result_free(&result);

	snprintf(path, sizeof path, "%s/case.elf", folder);
	uint8_t *elf = support_read_file(path, length);
	guest_cleanup(folder);
	return elf;
}

/* A program linked for `isa`, loaded with the numbering `read_as` (a JAM
 * program cannot say its own; a .polkavm container's version overrides
 * it), and ready to run. */
struct loaded {
	uint8_t *program;
	corral_engine *engine;
	corral_module *module;
	corral_instance *instance;
};

static void load(struct loaded *loaded, const char *name, const uint8_t *elf, size_t length, enum link_format format,
		 enum pvm_isa isa, corral_isa read_as)
{
	struct link_options options;
	link_options_init(&options);
	options.format = format;
	options.isa = isa;
	size_t program_length;
	struct pvm_error error;
	cr_assert_eq(loader_link(elf, length, &options, &loaded->program, &program_length, NULL, &error), 0, "%s: %s",
		     name, error.message);
	corral_module_config config;
	corral_instance_config instance_config;
	corral_error problem;
	corral_module_config_init(&config);
	config.isa = read_as;
	corral_instance_config_init(&instance_config);
	instance_config.gas = 1000000;
	cr_assert_eq(corral_engine_new(NULL, &loaded->engine, &problem), CORRAL_OK);
	cr_assert_eq(corral_module_new(loaded->engine, loaded->program, program_length, name, &config, &loaded->module,
				       &problem),
		     CORRAL_OK, "%s", problem.message);
	cr_assert_eq(corral_instance_new(loaded->module, &instance_config, &loaded->instance, &problem), CORRAL_OK);
}

static void unload(struct loaded *loaded)
{
	corral_instance_free(loaded->instance);
	corral_module_free(loaded->module);
	corral_engine_free(loaded->engine);
	free(loaded->program);
}

static const char *isa_name(enum pvm_isa isa)
{
	return isa == PVM_ISA_GP08 ? "gp0.8" : "gp0.7";
}

/* Each case in both numberings: the translation must not depend on it. */
ParameterizedTest(const struct lower_case *test, lower, runs_as_risc_v_says, .timeout = 60)
{
	REQUIRE_TOOLCHAIN();
	size_t length;
	uint8_t *elf = assemble(test->name, test->assembly, &length);
	for (enum pvm_isa isa = PVM_ISA_GP07; isa <= PVM_ISA_GP08; isa++) {
		struct loaded loaded;
		load(&loaded, test->name, elf, length, LINK_FORMAT_JAM, isa,
		     isa == PVM_ISA_GP08 ? CORRAL_ISA_GP08 : CORRAL_ISA_GP07);
		corral_interrupt stop = corral_instance_run(loaded.instance);
		cr_expect_eq(stop.kind, CORRAL_FINISHED, "%s (%s): stopped with %s at pc %u", test->name, isa_name(isa),
			     corral_interrupt_name(stop.kind), stop.pc);
		int64_t a0 = (int64_t)corral_instance_reg(loaded.instance, 7);
		cr_expect_eq(a0, test->a0, "%s (%s): a0 = %lld (0x%llx), RISC-V says %lld", test->name, isa_name(isa),
			     (long long)a0, (unsigned long long)a0, (long long)test->a0);
		unload(&loaded);
	}
	free(elf);
}

/* The SDK's sbrk, `.insn i 0x0b, 1, a0, a0, 0`, twice: sbrk(4096), then sbrk(0). */
#define SBRK_A0    ".insn i 0x0b, 1, a0, a0, 0"
#define SBRK_TWICE "li a0, 4096\n" SBRK_A0 "\nmv s1, a0\nli a0, 0\n" SBRK_A0 "\nsub a0, a0, s1\nret"

Test(lower, gp07_sbrk_is_the_instruction)
{
	REQUIRE_TOOLCHAIN();
	size_t length;
	uint8_t *elf = assemble("sbrk", SBRK_TWICE, &length);
	struct loaded loaded;
	load(&loaded, "sbrk", elf, length, LINK_FORMAT_JAM, PVM_ISA_GP07, CORRAL_ISA_GP07);
	corral_interrupt stop = corral_instance_run(loaded.instance);
	cr_expect_eq(stop.kind, CORRAL_FINISHED, "stopped with %s", corral_interrupt_name(stop.kind));
	cr_expect_eq(corral_instance_reg(loaded.instance, 7), 4096, "the heap grew by 4096");
	size_t metadata_length;
	const char *metadata = (const char *)corral_module_metadata(loaded.module, &metadata_length);
	cr_expect_null(memmem(metadata, metadata_length, "corral_sbrk", 11), "no host call for sbrk in GP 0.7");
	cr_expect_null(memmem(metadata, metadata_length, "isa", 3), "GP 0.7 is what a JAM program is by default");
	unload(&loaded);
	free(elf);
}

/* Runs SBRK_TWICE, answering its two host calls (number `host_call`) as a
 * host would: the heap at 0x30000 grows to 0x31000. */
static void run_sbrk_twice(struct loaded *loaded, uint64_t host_call)
{
	static const uint64_t argument[] = {4096, 0}, result[] = {0x30000, 0x31000};
	for (int i = 0; i < 2; i++) {
		corral_interrupt stop = corral_instance_run(loaded->instance);
		cr_assert_eq(stop.kind, CORRAL_HOST_CALL, "stopped with %s at pc %u, not at sbrk's host call",
			     corral_interrupt_name(stop.kind), stop.pc);
		cr_expect_eq(stop.host_call, host_call);
		cr_expect_eq(corral_instance_reg(loaded->instance, 7), argument[i], "sbrk's argument is in a0");
		corral_instance_set_reg(loaded->instance, 7, result[i]);
	}
	corral_interrupt stop = corral_instance_run(loaded->instance);
	cr_expect_eq(stop.kind, CORRAL_FINISHED, "stopped with %s", corral_interrupt_name(stop.kind));
	cr_expect_eq(corral_instance_reg(loaded->instance, 7), 0x1000, "the result is in a0");
}

Test(lower, gp08_sbrk_is_host_call_1003)
{
	REQUIRE_TOOLCHAIN();
	size_t length;
	uint8_t *elf = assemble("sbrk", SBRK_TWICE, &length);
	struct loaded loaded;
	load(&loaded, "sbrk", elf, length, LINK_FORMAT_JAM, PVM_ISA_GP08, CORRAL_ISA_GP08);
	corral_module_info info;
	corral_module_get_info(loaded.module, &info);
	cr_expect_eq(info.isa, CORRAL_ISA_GP08);
	cr_expect_eq(info.bad_static_targets, 0, "the code decodes with the GP 0.8 numbering");
	size_t metadata_length;
	const char *metadata = (const char *)corral_module_metadata(loaded.module, &metadata_length);
	cr_assert_not_null(metadata);
	const char *head = LINK_METADATA_MAGIC LINK_METADATA_ISA_GP08;
	cr_expect(metadata_length > strlen(head) && !memcmp(metadata, head, strlen(head)),
		  "the metadata starts with '%s': '%.*s'", head, (int)metadata_length, metadata);
	cr_expect_not_null(memmem(metadata, metadata_length, "\nimport 1003 corral_sbrk\n", 25),
			   "the metadata lists the host call: '%.*s'", (int)metadata_length, metadata);
	run_sbrk_twice(&loaded, LINK_SBRK_CALL);
	unload(&loaded);
	free(elf);
}

/* Import 0, whatever numbering the configuration asks for: the container's
 * version says GP 0.8. */
Test(lower, gp08_sbrk_is_an_import_in_a_polkavm_container)
{
	REQUIRE_TOOLCHAIN();
	size_t length;
	uint8_t *elf = assemble("sbrk", SBRK_TWICE, &length);
	for (corral_isa read_as = CORRAL_ISA_GP07; read_as <= CORRAL_ISA_GP08; read_as++) {
		struct loaded loaded;
		load(&loaded, "sbrk", elf, length, LINK_FORMAT_POLKAVM, PVM_ISA_GP08, read_as);
		corral_module_info info;
		corral_module_get_info(loaded.module, &info);
		cr_expect_eq(info.format, CORRAL_FORMAT_POLKAVM);
		cr_expect_eq(info.isa, CORRAL_ISA_GP08);
		cr_assert_eq(corral_module_import_count(loaded.module), 1);
		cr_expect_str_eq(corral_module_import_name(loaded.module, 0), LINK_SBRK_NAME);
		run_sbrk_twice(&loaded, 0);
		unload(&loaded);
	}
	free(elf);
}

/* A host call takes a0 and leaves a0: sbrk elsewhere cannot become one. */
Test(lower, gp08_refuses_sbrk_outside_a0)
{
	REQUIRE_TOOLCHAIN();
	static const char *const sources[] = {
		"li a0, 16\n.insn i 0x0b, 1, a1, a0, 0\nret",
		"li a1, 16\n.insn i 0x0b, 1, a0, a1, 0\nret",
		"li s1, 16\n.insn i 0x0b, 1, s1, s1, 0\nret",
	};
	for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
		size_t length;
		uint8_t *elf = assemble("sbrk", sources[i], &length);
		for (int format = LINK_FORMAT_JAM; format <= LINK_FORMAT_POLKAVM; format++) {
			struct link_options options;
			link_options_init(&options);
			options.format = (enum link_format)format;
			uint8_t *program = NULL;
			size_t program_length;
			struct pvm_error error = {0};
			cr_expect_eq(loader_link(elf, length, &options, &program, &program_length, NULL, &error), 0,
				     "GP 0.7 has sbrk in any register: %s", error.message);
			free(program);
			program = NULL;
			options.isa = PVM_ISA_GP08;
			cr_assert_eq(loader_link(elf, length, &options, &program, &program_length, NULL, &error), -1,
				     "case %zu: GP 0.8 must refuse it", i);
			cr_expect_null(program);
			static const char *const parts[] = {"_start+0x", "GP 0.8 has no sbrk", "sbrk a0, a0",
							    "--isa gp0.7"};
			for (size_t j = 0; j < sizeof parts / sizeof parts[0]; j++)
				cr_expect(strstr(error.message, parts[j]), "the message '%s' should mention '%s'",
					  error.message, parts[j]);
			cr_expect_null(strchr(error.message, '\n'), "one line: '%s'", error.message);
		}
		free(elf);
	}
}

/* A guest that names host call 1003 otherwise, or corral_sbrk by another
 * number, conflicts with what GP 0.8 sbrk needs. */
Test(lower, gp08_sbrk_import_conflicts_are_refused)
{
	REQUIRE_TOOLCHAIN();
	static const char *const sources[] = {
		".pushsection .corral_imports,\"a\",@progbits\n.balign 4\n.word 1003\n.asciz \"grow\"\n.popsection\n"
		".insn i 0x0b, 0, x0, x0, 1003\n" SBRK_A0 "\nret",
		".pushsection .corral_imports,\"a\",@progbits\n.balign 4\n.word 7\n.asciz \"corral_sbrk\"\n"
		".popsection\n.insn i 0x0b, 0, x0, x0, 7\n" SBRK_A0 "\nret",
	};
	for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
		size_t length;
		uint8_t *elf = assemble("conflict", sources[i], &length);
		struct link_options options;
		link_options_init(&options);
		options.isa = PVM_ISA_GP08;
		uint8_t *program = NULL;
		size_t program_length;
		struct pvm_error error = {0};
		cr_expect_eq(loader_link(elf, length, &options, &program, &program_length, NULL, &error), -1,
			     "case %zu: the link should fail", i);
		cr_expect(strstr(error.message, "host call 1003 'corral_sbrk'") &&
				  strstr(error.message, "each number needs one name"),
			  "case %zu: '%s'", i, error.message);
		free(program);
		free(elf);
	}
}
