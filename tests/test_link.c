/* corral link: what it refuses, and how it says so; what it keeps and drops;
 * and that it is deterministic. ELF inputs are built here with clang-19 and
 * ld.lld-19 against the SDK, or written by hand. */
#include <criterion/criterion.h>
#include <elf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corral.h"
#include "loader/container.h"
#include "loader/elf.h"
#include "loader/link.h"
#include "tests/guest_run.h"
#include "tests/support.h"

static const char *build_folder(void)
{
	const char *build = getenv("CORRAL_BUILD");
	return build && *build ? build : "build";
}

/* Compiles `source` with the SDK's flags plus `flags` and links it as corral
 * cc does (but `link_flags` may change that); returns the ELF's bytes. */
static uint8_t *build_elf(const char *source, const char *flags, bool link, size_t *length)
{
	char folder[PATH_MAX], path[PATH_MAX + 16], command[4 * PATH_MAX + 1024];
	guest_workspace(folder, sizeof folder);
	snprintf(path, sizeof path, "%s/test.c", folder);
	FILE *file = fopen(path, "w");
	cr_assert_not_null(file);
	fputs(source, file);
	fclose(file);
	const char *build = build_folder();
	int n = snprintf(command, sizeof command, "clang-19 $(cat '%s/sdk/cflags') %s -c '%s/test.c' -o '%s/test.o'",
			 build, flags, folder, folder);
	if (link)
		snprintf(
			command + n, sizeof command - (size_t)n,
			" && ld.lld-19 -static -z norelro --no-relax --emit-relocs --gc-sections -T '%s/sdk/corral.ld' "
			"'%s/sdk/crt0.o' '%s/test.o' '%s/sdk/libc.a' -o '%s/test.elf'",
			build, build, folder, build, folder);
	struct process_result result;
	guest_shell(folder, command, NULL, &result);
	cr_assert_eq(result.status, 0, "building the test ELF failed: %s", result.errors);
	guest_result_free(&result);
	snprintf(path, sizeof path, "%s/test.%s", folder, link ? "elf" : "o");
	uint8_t *bytes = support_read_file(path, length);
	guest_cleanup(folder);
	return bytes;
}

/* Links and expects a failure whose message contains each of `parts`. */
static void expect_refused(const uint8_t *elf, size_t length, const char *const *parts)
{
	struct link_options options;
	link_options_init(&options);
	uint8_t *output = NULL;
	size_t output_length;
	struct pvm_error error = {0};
	cr_assert_eq(loader_link(elf, length, &options, &output, &output_length, NULL, &error), -1,
		     "the link should fail");
	cr_assert_null(output);
	for (const char *const *part = parts; *part; part++)
		cr_expect(strstr(error.message, *part), "the message '%s' should mention '%s'", error.message, *part);
	cr_expect_null(strchr(error.message, '\n'), "one line: '%s'", error.message);
}

static uint8_t *link_isa(const uint8_t *elf, size_t length, enum link_format format, enum pvm_isa isa,
			 size_t *output_length)
{
	struct link_options options;
	link_options_init(&options);
	options.format = format;
	options.isa = isa;
	uint8_t *output;
	struct pvm_error error;
	cr_assert_eq(loader_link(elf, length, &options, &output, output_length, NULL, &error), 0, "%s", error.message);
	return output;
}

static uint8_t *link_ok(const uint8_t *elf, size_t length, enum link_format format, size_t *output_length)
{
	return link_isa(elf, length, format, PVM_ISA_GP07, output_length);
}

#define MAIN "int main(void) { return 0; }\n"

Test(link, refuses_what_is_not_an_elf)
{
	static const uint8_t text[] = "just some text, long enough to be a header of something";
	expect_refused(text, sizeof text, (const char *const[]){"not an ELF", NULL});
	expect_refused(text, 3, (const char *const[]){"not an ELF", NULL});
}

Test(link, refuses_a_host_executable)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/corral", build_folder());
	FILE *file = fopen(path, "rb");
	cr_assert_not_null(file, "%s is not built", path);
	uint8_t header[4096];
	size_t n = fread(header, 1, sizeof header, file);
	fclose(file);
	expect_refused(header, n, (const char *const[]){"not RISC-V", NULL});
}

Test(link, refuses_truncated_and_corrupted_headers)
{
	REQUIRE_TOOLCHAIN();
	size_t length;
	uint8_t *elf = build_elf(MAIN, "", true, &length);
	expect_refused(elf, 40, (const char *const[]){"not an ELF", NULL});
	expect_refused(elf, length / 2, (const char *const[]){"outside the file", NULL});
	uint8_t *copy = malloc(length);
	memcpy(copy, elf, length);
	copy[0x3C] = 0xFF; /* e_shnum */
	copy[0x3D] = 0x7F;
	expect_refused(copy, length, (const char *const[]){"outside the file", NULL});
	free(copy);
	free(elf);
}

Test(link, refuses_an_object_file)
{
	REQUIRE_TOOLCHAIN();
	size_t length;
	uint8_t *object = build_elf(MAIN, "", false, &length);
	expect_refused(object, length, (const char *const[]){"object file", "link it first", NULL});
	free(object);
}

Test(link, names_the_function_offset_and_instruction_it_cannot_translate)
{
	REQUIRE_TOOLCHAIN();
	size_t length;
	/* fadd.d fa0, fa0, fa1: floating point, which RV64E guests do not have */
	uint8_t *elf = build_elf("__attribute__((noinline)) void uses_float(void) { __asm__ volatile(\"nop\\n.word "
				 "0x02b57553\"); }\nint main(void) { uses_float(); return 0; }\n",
				 "", true, &length);
	expect_refused(elf, length,
		       (const char *const[]){"uses_float+0x", ".insn 0x02b57553", "not an instruction", NULL});
	free(elf);
}

Test(link, refuses_gp_and_tp)
{
	REQUIRE_TOOLCHAIN();
	size_t length;
	uint8_t *elf = build_elf("__attribute__((noinline)) long read_gp(void) { long v; __asm__ volatile(\"mv "
				 "%0, gp\" : \"=r\"(v)); return v; }\nint main(void) { return (int)read_gp(); }\n",
				 "", true, &length);
	expect_refused(elf, length, (const char *const[]){"read_gp+0x", "register gp", NULL});
	free(elf);
}

Test(link, refuses_registers_rv64e_does_not_have)
{
	REQUIRE_TOOLCHAIN();
	size_t length;
	uint8_t *elf = build_elf("__attribute__((noinline)) long high(void) { long v; __asm__ volatile(\".word "
				 "0x00080513\" : \"=r\"(v)); return v; }\nint main(void) { return (int)high(); }\n",
				 "", true, &length); /* addi a0, a6, 0 */
	expect_refused(elf, length, (const char *const[]){"high+0x", "a6", "RV64E", NULL});
	free(elf);
}

Test(link, refuses_system_calls_and_csrs)
{
	REQUIRE_TOOLCHAIN();
	size_t length;
	uint8_t *elf = build_elf("int main(void) { __asm__ volatile(\"ecall\"); return 0; }\n", "", true, &length);
	expect_refused(elf, length, (const char *const[]){"main+0x", "ecall", "CORRAL_IMPORT", NULL});
	free(elf);
	elf = build_elf("int main(void) { long v; __asm__ volatile(\"csrr %0, cycle\" : \"=r\"(v)); return (int)v; }\n",
			"", true, &length);
	expect_refused(elf, length, (const char *const[]){"main+0x", "csr", NULL});
	free(elf);
}

Test(link, refuses_x0_as_a_destination_except_nops)
{
	REQUIRE_TOOLCHAIN();
	size_t length;
	/* add zero, a0, a1: a hint with no PVM meaning; the nop before it is fine */
	uint8_t *elf = build_elf("int main(void) { __asm__ volatile(\"nop\\n.word 0x00b50033\"); return 0; }\n", "",
				 true, &length);
	expect_refused(elf, length, (const char *const[]){"main+0x", "writes x0", NULL});
	free(elf);
}

/* In either numbering; the code must decode cleanly with the one it was
 * linked for (which a JAM program's reader must be told; a .polkavm
 * container's version says it). */
Test(link, output_is_deterministic_and_loads)
{
	REQUIRE_TOOLCHAIN();
	size_t length, first_length, second_length;
	uint8_t *elf = build_elf("#include <stdio.h>\n#include <stdlib.h>\nint main(void) { char *p = malloc(9); "
				 "puts(p ? \"same\" : \"none\"); return 0; }\n",
				 "", true, &length);
	for (int format = LINK_FORMAT_JAM; format <= LINK_FORMAT_POLKAVM; format++)
		for (enum pvm_isa isa = PVM_ISA_GP07; isa <= PVM_ISA_GP08; isa++) {
			uint8_t *first = link_isa(elf, length, format, isa, &first_length);
			uint8_t *second = link_isa(elf, length, format, isa, &second_length);
			cr_assert_eq(first_length, second_length);
			cr_assert_eq(memcmp(first, second, first_length), 0, "two links differ");
			corral_engine *engine;
			corral_module *module;
			corral_module_config config;
			corral_error error;
			corral_module_config_init(&config);
			config.isa = isa == PVM_ISA_GP08 ? CORRAL_ISA_GP08 : CORRAL_ISA_GP07;
			cr_assert_eq(corral_engine_new(NULL, &engine, &error), CORRAL_OK);
			cr_assert_eq(corral_module_new(engine, first, first_length, "linked", &config, &module, &error),
				     CORRAL_OK, "%s", error.message);
			corral_module_info info;
			corral_module_get_info(module, &info);
			cr_expect_eq(info.format,
				     format == LINK_FORMAT_JAM ? CORRAL_FORMAT_JAM : CORRAL_FORMAT_POLKAVM);
			cr_expect_eq(info.isa, config.isa);
			cr_expect_eq(info.bad_static_targets, 0, "every jump lands on a block start");
			cr_expect_eq(info.bad_jump_entries, 0, "every jump-table entry lands on a block start");
			corral_module_free(module);
			corral_engine_free(engine);
			free(first);
			free(second);
		}
	free(elf);
}

/* The option and the library refuse what is neither numbering. */
Test(link, isa_is_gp07_or_gp08)
{
	REQUIRE_TOOLCHAIN();
	size_t length;
	uint8_t *elf = build_elf(MAIN, "", true, &length);
	struct link_options options;
	link_options_init(&options);
	options.isa = (enum pvm_isa)7;
	uint8_t *output = NULL;
	size_t output_length;
	struct pvm_error error = {0};
	cr_expect_eq(loader_link(elf, length, &options, &output, &output_length, NULL, &error), -1);
	cr_expect(strstr(error.message, "GP 0.7 or GP 0.8"), "'%s'", error.message);
	free(elf);

	char folder[PATH_MAX], command[6 * PATH_MAX];
	guest_workspace(folder, sizeof folder);
	snprintf(command, sizeof command, "'%s' link in.elf -o out --isa gp0.9", guest_corral());
	struct process_result result;
	guest_shell(folder, command, NULL, &result);
	cr_expect_eq(result.status, 2, "a usage error");
	cr_expect(strstr(result.errors, "--isa takes gp0.7 or gp0.8"), "stderr: %s", result.errors);
	guest_result_free(&result);
	guest_cleanup(folder);
}

Test(link, dead_code_and_data_are_dropped)
{
	REQUIRE_TOOLCHAIN();
	static const char source[] =
		"#ifdef EXTRA\n"
		"const char unused_table[4096] = {1, 2, 3};\n"
		"long unused_function(long x) { for (int i = 0; i < 100; i++) x = x * 31 + unused_table[i]; return x; }\n"
		"#endif\n" MAIN;
	size_t plain_length, extra_length, a, b;
	uint8_t *plain = build_elf(source, "", true, &plain_length);
	uint8_t *extra = build_elf(source, "-DEXTRA", true, &extra_length);
	uint8_t *without = link_ok(plain, plain_length, LINK_FORMAT_JAM, &a);
	uint8_t *with = link_ok(extra, extra_length, LINK_FORMAT_JAM, &b);
	cr_expect_eq(a, b, "an unused function and table change the output (%zu vs %zu bytes)", a, b);
	cr_expect_eq(memcmp(without, with, a < b ? a : b), 0);
	free(plain);
	free(extra);
	free(without);
	free(with);
}

Test(link, stack_size_comes_from_the_program_or_the_option)
{
	REQUIRE_TOOLCHAIN();
	size_t length, output_length;
	uint8_t *elf = build_elf(MAIN, "", true, &length);
	struct link_options options;
	link_options_init(&options);
	options.stack_size = 0;
	uint8_t *output;
	struct pvm_error error;
	cr_assert_eq(loader_link(elf, length, &options, &output, &output_length, NULL, &error), 0, "%s", error.message);
	corral_engine *engine;
	corral_module *module;
	corral_module_config config;
	corral_error problem;
	corral_module_config_init(&config);
	cr_assert_eq(corral_engine_new(NULL, &engine, &problem), CORRAL_OK);
	cr_assert_eq(corral_module_new(engine, output, output_length, "linked", &config, &module, &problem), CORRAL_OK);
	corral_module_info info;
	corral_module_get_info(module, &info);
	cr_expect_eq(info.stack_size, 1u << 20, "guest/corral.ld asks for 1 MiB");
	corral_module_free(module);
	free(output);
	options.stack_size = 65536;
	cr_assert_eq(loader_link(elf, length, &options, &output, &output_length, NULL, &error), 0);
	cr_assert_eq(corral_module_new(engine, output, output_length, "linked", &config, &module, &problem), CORRAL_OK);
	corral_module_get_info(module, &info);
	cr_expect_eq(info.stack_size, 65536);
	options.stack_size = 1u << 24;
	uint8_t *refused = NULL;
	cr_expect_eq(loader_link(elf, length, &options, &refused, &output_length, NULL, &error), -1);
	corral_module_free(module);
	corral_engine_free(engine);
	free(output);
	free(elf);
}

Test(link, the_cli_prints_one_line_and_fails)
{
	char folder[PATH_MAX], command[6 * PATH_MAX];
	guest_workspace(folder, sizeof folder);
	snprintf(command, sizeof command, "echo 'not an elf' > '%s/bad.elf' && '%s' link '%s/bad.elf' -o '%s/out'",
		 folder, guest_corral(), folder, folder);
	struct process_result result;
	guest_shell(folder, command, NULL, &result);
	cr_expect_eq(result.status, 1);
	cr_expect(strstr(result.errors, "bad.elf") && strstr(result.errors, "not an ELF"), "stderr: %s", result.errors);
	char *newline = strchr(result.errors, '\n');
	cr_expect(newline && newline[1] == 0, "one line: %s", result.errors);
	cr_expect_eq(result.length, 0, "nothing on stdout");
	guest_result_free(&result);
	guest_cleanup(folder);
}

Test(link, constructors_are_refused_when_linking)
{
	REQUIRE_TOOLCHAIN();
	char folder[PATH_MAX], command[6 * PATH_MAX];
	guest_workspace(folder, sizeof folder);
	snprintf(command, sizeof command,
		 "printf '#include <stdio.h>\\n__attribute__((constructor)) static void init(void) { puts(\"early\"); "
		 "}\\nint main(void) { return 0; }\\n' > '%s/ctor.c' && '%s' cc '%s/ctor.c' -o '%s/out'",
		 folder, guest_corral(), folder, folder);
	struct process_result result;
	guest_shell(folder, command, NULL, &result);
	cr_expect_neq(result.status, 0);
	cr_expect(strstr(result.errors, "constructors"), "stderr: %s", result.errors);
	guest_result_free(&result);
	guest_cleanup(folder);
}

/* A program with a table of two function pointers in read-only data; its
 * ELF, and through `table` the table's address in it. */
static uint8_t *build_table_elf(size_t *length, uint64_t *table)
{
	uint8_t *elf = build_elf("__attribute__((noinline)) int one(void) { return 1; }\n"
				 "__attribute__((noinline)) int two(void) { return 2; }\n"
				 "int (*const table[2])(void) = {one, two};\n"
				 "int main(int argc, char **argv) { (void)argv; return table[argc & 1](); }\n",
				 "", true, length);
	struct elf_file file;
	struct pvm_error error;
	cr_assert_eq(elf_read(elf, *length, &file, &error), 0, "%s", error.message);
	*table = 0;
	for (uint32_t i = 0; i < file.symbol_count; i++)
		if (!strcmp(file.symbols[i].name, "table"))
			*table = file.symbols[i].value;
	elf_release(&file);
	cr_assert_geq(*table, LOADER_ZONE_SIZE, "the table is in read-only data");
	return elf;
}

/* A table of function pointers in read-only data: the ELF holds code
 * addresses there, the program must hold jump-table addresses. */
Test(link, code_addresses_in_data_become_jump_addresses)
{
	REQUIRE_TOOLCHAIN();
	size_t length, output_length;
	uint64_t address;
	uint8_t *elf = build_table_elf(&length, &address);
	struct pvm_error error;

	uint8_t *output = link_ok(elf, length, LINK_FORMAT_JAM, &output_length);
	struct loader_program program;
	cr_assert_eq(loader_parse(output, output_length, CORRAL_FORMAT_JAM, &program, &error), 0, "%s", error.message);
	corral_engine *engine;
	corral_module *module;
	corral_module_config config;
	corral_error problem;
	corral_module_config_init(&config);
	cr_assert_eq(corral_engine_new(NULL, &engine, &problem), CORRAL_OK);
	cr_assert_eq(corral_module_new(engine, output, output_length, "linked", &config, &module, &problem), CORRAL_OK);
	corral_module_info info;
	corral_module_get_info(module, &info);
	uint64_t entries[2];
	cr_assert_leq(address - LOADER_ZONE_SIZE + sizeof entries, program.ro_length);
	memcpy(entries, program.ro_data + (address - LOADER_ZONE_SIZE), sizeof entries);
	for (int i = 0; i < 2; i++) {
		cr_expect(entries[i] >= 2 && entries[i] % 2 == 0 && entries[i] <= 2ull * info.jump_table_length,
			  "table[%d] = 0x%llx is not a jump-table address (%u entries)", i,
			  (unsigned long long)entries[i], info.jump_table_length);
	}
	cr_expect_neq(entries[0], entries[1]);
	corral_module_free(module);
	corral_engine_free(engine);
	free(output);
	free(elf);
}

/* Where field `offset` of section header `index` sits in an ELF64 file
 * (e_shoff + index * e_shentsize + offset), checked to hold `width` bytes. */
static uint64_t section_header_field(const uint8_t *elf, size_t length, uint32_t index, unsigned offset, unsigned width)
{
	uint64_t header_table, entry_size = 0;
	memcpy(&header_table, elf + 0x28, sizeof header_table); /* e_shoff */
	memcpy(&entry_size, elf + 0x3A, 2);                     /* e_shentsize */
	uint64_t field = header_table + index * entry_size + offset;
	cr_assert_leq(field + width, length);
	return field;
}

/* A section header that says a section is smaller than its relocations'
 * fields (0 bytes, or 4 under an 8-byte field) is refused by name; it once
 * passed a bounds check that wrapped and patched bytes outside the data. */
Test(link, refuses_a_relocation_wider_than_its_section)
{
	REQUIRE_TOOLCHAIN();
	size_t length;
	uint64_t address;
	uint8_t *elf = build_table_elf(&length, &address);
	struct elf_file file;
	struct pvm_error error;
	cr_assert_eq(elf_read(elf, length, &file, &error), 0, "%s", error.message);
	uint32_t index = 0;
	for (uint32_t i = 1; i < file.section_count; i++) {
		const struct elf_section *section = &file.sections[i];
		if ((section->flags & SHF_ALLOC) && address - section->address < section->size)
			index = i;
	}
	cr_assert_neq(index, 0, "no section holds the table at 0x%llx", (unsigned long long)address);
	char name[64];
	snprintf(name, sizeof name, "section '%s'", file.sections[index].name);
	elf_release(&file);

	uint64_t size_field = section_header_field(elf, length, index, 0x20, 8); /* sh_size */
	for (uint64_t size = 0; size <= 4; size += 4) {
		memcpy(elf + size_field, &size, sizeof size);
		expect_refused(elf, length, (const char *const[]){name, "lies outside it", NULL});
	}
	free(elf);
}

/* A section of import or export records whose header says it has no
 * contents in the file (SHT_NOBITS) is refused by name; the records were
 * once read through its missing data. */
Test(link, refuses_record_sections_without_contents)
{
	REQUIRE_TOOLCHAIN();
	static const char *const names[] = {".corral_imports", ".corral_exports"};
	size_t length;
	uint8_t *pristine =
		build_elf("#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n", "", true, &length);
	struct elf_file file;
	struct pvm_error error;
	cr_assert_eq(elf_read(pristine, length, &file, &error), 0, "%s", error.message);
	for (size_t n = 0; n < sizeof names / sizeof *names; n++) {
		uint32_t index = 0;
		for (uint32_t i = 1; i < file.section_count; i++)
			if (!strcmp(file.sections[i].name, names[n]))
				index = i;
		cr_assert_neq(index, 0, "the program has a section %s", names[n]);
		uint8_t *elf = malloc(length);
		cr_assert_not_null(elf);
		memcpy(elf, pristine, length);
		uint64_t type_field = section_header_field(pristine, length, index, 0x04, 4); /* sh_type */
		uint32_t nobits = SHT_NOBITS;
		memcpy(elf + type_field, &nobits, sizeof nobits);
		char name[64];
		snprintf(name, sizeof name, "section '%s'", names[n]);
		expect_refused(elf, length, (const char *const[]){name, "no contents", NULL});
		free(elf);
	}
	elf_release(&file);
	free(pristine);
}

/* A program with two entry points, in both containers: the first export
 * (crt0's _start) runs by default, --entry picks another. */
Test(link, a_second_export_is_an_entry_point)
{
	REQUIRE_TOOLCHAIN();
	static const char *const formats[] = {"jam", "polkavm"};
	char folder[PATH_MAX], command[6 * PATH_MAX];
	guest_workspace(folder, sizeof folder);
	snprintf(command, sizeof command,
		 "printf '#include <stdio.h>\\n#include <stdlib.h>\\n#include <corral_guest.h>\\n"
		 "void second(void) { puts(\"second entry\"); exit(7); }\\nCORRAL_EXPORT(second);\\n"
		 "int main(void) { puts(\"main\"); return 0; }\\n' > '%s/two.c'",
		 folder);
	struct process_result result;
	guest_shell(folder, command, NULL, &result);
	cr_assert_eq(result.status, 0);
	guest_result_free(&result);
	for (int i = 0; i < 2; i++) {
		snprintf(command, sizeof command, "'%s' cc --format %s '%s/two.c' -o '%s/two'", guest_corral(),
			 formats[i], folder, folder);
		guest_shell(folder, command, NULL, &result);
		cr_assert_eq(result.status, 0, "%s", result.errors);
		guest_result_free(&result);
		snprintf(command, sizeof command, "'%s' run '%s/two'", guest_corral(), folder);
		guest_shell(folder, command, NULL, &result);
		cr_expect_eq(result.status, 0, "%s: %s", formats[i], result.errors);
		cr_expect_str_eq(result.output, "main\n", "%s", formats[i]);
		guest_result_free(&result);
		snprintf(command, sizeof command, "'%s' run --entry second '%s/two'", guest_corral(), folder);
		guest_shell(folder, command, NULL, &result);
		cr_expect_eq(result.status, 7, "%s: %s", formats[i], result.errors);
		cr_expect_str_eq(result.output, "second entry\n", "%s", formats[i]);
		guest_result_free(&result);
		snprintf(command, sizeof command, "'%s' run --entry third '%s/two'", guest_corral(), folder);
		guest_shell(folder, command, NULL, &result);
		cr_expect_eq(result.status, 1);
		cr_expect(strstr(result.errors, "no export named 'third'"), "%s", result.errors);
		guest_result_free(&result);
	}
	guest_cleanup(folder);
}

Test(link, refuses_a_global_offset_table_and_names_the_instruction)
{
	REQUIRE_TOOLCHAIN();
	size_t length;
	uint8_t *elf = build_elf("extern int maybe(void) __attribute__((weak));\n"
				 "int main(void) { return maybe ? maybe() : 3; }\n",
				 "", true, &length);
	expect_refused(elf, length, (const char *const[]){"main+0x", "auipc", "global offset table", NULL});
	free(elf);
}
