/* The in-process JIT backend (host/jit_*.c, host/cross_check.c): engine and
 * module options, the compiled code's mapping, guest memory whose host
 * protection mirrors the guest's access, hardware faults turned into traps
 * and page faults at every width and boundary, host calls, sbrk, gas, single
 * steps, signal handlers installed before corral's, threads, and the
 * cross-check. Wherever the compiler's result matters, the same program runs
 * on the interpreter too and the two must agree. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/internal.h"
#include "tests/raw_program.h"
#include "tests/support.h"

#define assert_contains(haystack, needle) \
	cr_assert(strstr((haystack), (needle)) != NULL, "expected \"%s\" in: %s", (needle), (haystack))

#define HALT     "load_imm r0, -65536\njump_ind r0, 0\n"
#define DATA     0x20000u
#define TOP_PAGE 0xFFFFF000u

enum backend {
	INTERP,
	JIT,
	CROSS,   /* the JIT, cross-checked against the interpreter */
	SANDBOX, /* the JIT in a linux sandbox worker */
};

static const char *const backend_names[] = {"interpreter", "jit", "cross-checked jit", "sandboxed jit"};

static corral_result engine_new(enum backend backend, corral_engine **engine, corral_error *error)
{
	corral_engine_config config;
	corral_engine_config_init(&config);
	config.backend = backend == INTERP ? CORRAL_BACKEND_INTERPRETER : CORRAL_BACKEND_JIT;
	config.cross_check = backend == CROSS;
	config.sandbox = backend == SANDBOX ? CORRAL_SANDBOX_LINUX : CORRAL_SANDBOX_NONE;
	return corral_engine_new(&config, engine, error);
}

static void build_bytes(struct machine *m, enum backend backend, const uint8_t *bytes, size_t length,
			corral_gas_metering metering, int64_t gas)
{
	corral_error error;
	memset(m, 0, sizeof *m);
	cr_assert_eq(engine_new(backend, &m->engine, &error), CORRAL_OK, "engine: %s", error.message);
	corral_module_config config = raw_config(CORRAL_ISA_GP07);
	config.metering = metering;
	cr_assert_eq(corral_module_new(m->engine, bytes, length, "test", &config, &m->module, &error), CORRAL_OK,
		     "module: %s", error.message);
	corral_instance_config instance;
	corral_instance_config_init(&instance);
	instance.gas = gas;
	cr_assert_eq(corral_instance_new(m->module, &instance, &m->instance, &error), CORRAL_OK, "instance: %s",
		     error.message);
}

static void build(struct machine *m, enum backend backend, const char *source, int64_t gas)
{
	size_t length;
	uint8_t *bytes = support_assemble(source, &length);
	build_bytes(m, backend, bytes, length, CORRAL_METERING_SYNC, gas);
	free(bytes);
}

static char *read_asm(const char *name)
{
	char path[256];
	size_t length;
	snprintf(path, sizeof path, "tests/asm/%s", name);
	uint8_t *text = support_read_file(path, &length);
	text[length] = 0; /* support_read_file leaves a byte for it */
	return (char *)text;
}

static void map(struct machine *m, uint32_t address, uint32_t length, corral_page_access access)
{
	machine_map(m, address, length, access);
}

static void assert_same_interrupt(corral_interrupt got, corral_interrupt expected, const char *what)
{
	cr_assert_eq(got.kind, expected.kind, "%s: stopped with %s, the interpreter with %s", what,
		     corral_interrupt_name(got.kind), corral_interrupt_name(expected.kind));
	cr_assert_eq(got.pc, expected.pc, "%s: stopped at pc %u, the interpreter at %u", what, got.pc, expected.pc);
	if (got.kind == CORRAL_HOST_CALL)
		cr_assert_eq(got.host_call, expected.host_call, "%s: host call %llu, the interpreter's %llu", what,
			     (unsigned long long)got.host_call, (unsigned long long)expected.host_call);
	if (got.kind == CORRAL_PAGE_FAULT)
		cr_assert_eq(got.address, expected.address, "%s: fault at 0x%x, the interpreter's at 0x%x", what,
			     got.address, expected.address);
}

static void assert_same_state(struct machine *got, struct machine *expected, const char *what)
{
	for (unsigned i = 0; i < CORRAL_REGISTER_COUNT; i++)
		cr_assert_eq(machine_reg(got, i), machine_reg(expected, i),
			     "%s: r%u is 0x%llx, the interpreter's 0x%llx", what, i,
			     (unsigned long long)machine_reg(got, i), (unsigned long long)machine_reg(expected, i));
	cr_assert_eq(corral_instance_pc(got->instance), corral_instance_pc(expected->instance),
		     "%s: pc %u, expected %u", what, corral_instance_pc(got->instance),
		     corral_instance_pc(expected->instance));
	cr_assert_eq(corral_instance_gas(got->instance), corral_instance_gas(expected->instance),
		     "%s: gas %lld, the interpreter's %lld", what, (long long)corral_instance_gas(got->instance),
		     (long long)corral_instance_gas(expected->instance));
}

/* The bytes of [address, address + length) agree wherever both have them
 * mapped, and the pages' access does. */
static void assert_same_memory(struct machine *got, struct machine *expected, uint32_t address, uint32_t length,
			       const char *what)
{
	for (uint32_t i = 0; i < length; i++) {
		uint32_t at = address + i;
		corral_page_access access = corral_instance_page_access(got->instance, at);
		cr_assert_eq(access, corral_instance_page_access(expected->instance, at), "%s: access of 0x%x", what,
			     at);
		if (access == CORRAL_PAGE_NONE)
			continue;
		uint8_t x, y;
		corral_error error;
		cr_assert_eq(corral_instance_read(got->instance, at, &x, 1, &error), CORRAL_OK, "%s", error.message);
		cr_assert_eq(corral_instance_read(expected->instance, at, &y, 1, &error), CORRAL_OK, "%s",
			     error.message);
		cr_assert_eq(x, y, "%s: byte at 0x%x is 0x%02x, the interpreter's 0x%02x", what, at, x, y);
	}
}

/* ---- engine and module options ---------------------------------------- */

Test(jit_host, the_jit_engine_is_accepted_on_this_cpu)
{
	corral_engine *engine;
	corral_error error;
	cr_assert_eq(engine_new(JIT, &engine, &error), CORRAL_OK, "%s", error.message);
	corral_engine_free(engine);
	cr_assert_eq(host_jit_check_cpu(&error), CORRAL_OK, "%s", error.message);
}

Test(jit_host, cross_check_needs_the_jit)
{
	corral_engine_config config;
	corral_engine_config_init(&config);
	config.cross_check = true;
	corral_engine *engine = (corral_engine *)&config;
	corral_error error;
	cr_assert_eq(corral_engine_new(&config, &engine, &error), CORRAL_ERROR_ARGUMENT);
	cr_assert_null(engine);
	assert_contains(error.message, "cross-check");
	assert_contains(error.message, "jit backend");
}

Test(jit_host, unknown_sandboxes_and_backends_are_refused)
{
	corral_engine_config config;
	corral_engine_config_init(&config);
	config.backend = CORRAL_BACKEND_JIT;
	config.sandbox = (corral_sandbox)3;
	corral_engine *engine;
	corral_error error;
	cr_assert_eq(corral_engine_new(&config, &engine, &error), CORRAL_ERROR_ARGUMENT);
	assert_contains(error.message, "unknown sandbox 3");
	config.sandbox = CORRAL_SANDBOX_NONE;
	config.backend = (corral_backend)2;
	cr_assert_eq(corral_engine_new(&config, &engine, &error), CORRAL_ERROR_ARGUMENT);
	assert_contains(error.message, "unknown backend 2");
}

static corral_result try_module(enum backend backend, corral_gas_metering metering, corral_error *error)
{
	corral_engine *engine;
	corral_module *module = NULL;
	size_t length;
	uint8_t *bytes = support_assemble("trap\n", &length);
	cr_assert_eq(engine_new(backend, &engine, error), CORRAL_OK, "%s", error->message);
	corral_module_config config = raw_config(CORRAL_ISA_GP07);
	config.metering = metering;
	corral_result result = corral_module_new(engine, bytes, length, "m.bin", &config, &module, error);
	if (result != CORRAL_OK)
		cr_assert_null(module);
	corral_module_free(module);
	corral_engine_free(engine);
	free(bytes);
	return result;
}

Test(jit_host, metering_other_than_exact_needs_the_jit_alone)
{
	corral_error error;
	cr_assert_eq(try_module(INTERP, CORRAL_METERING_ASYNC, &error), CORRAL_ERROR_ARGUMENT);
	cr_assert_str_eq(error.message,
			 "m.bin: the interpreter meters gas exactly; --gas-metering async needs the jit backend");
	cr_assert_eq(try_module(INTERP, CORRAL_METERING_OFF, &error), CORRAL_ERROR_ARGUMENT);
	assert_contains(error.message, "--gas-metering off needs the jit backend");
	cr_assert_eq(try_module(CROSS, CORRAL_METERING_ASYNC, &error), CORRAL_ERROR_ARGUMENT);
	assert_contains(error.message, "m.bin: the cross-check compares gas");
	cr_assert_eq(try_module(JIT, (corral_gas_metering)7, &error), CORRAL_ERROR_ARGUMENT);
	cr_assert_str_eq(error.message, "m.bin: unknown gas metering 7");
	cr_assert_eq(try_module(INTERP, CORRAL_METERING_SYNC, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(try_module(JIT, CORRAL_METERING_ASYNC, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(try_module(JIT, CORRAL_METERING_OFF, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(try_module(CROSS, CORRAL_METERING_SYNC, &error), CORRAL_OK, "%s", error.message);
}

/* ---- the compiled code ------------------------------------------------- */

static const char *const three_blocks = "load_imm r1, 5\n"
					"loop: add_imm_64 r2, r2, 3\n"
					"add_imm_64 r1, r1, -1\n"
					"branch_ne_imm r1, 0, @loop\n" HALT;

Test(jit_host, native_code_is_split_by_instruction)
{
	struct machine m;
	build(&m, JIT, three_blocks, 1000);
	size_t length;
	const uint8_t *code = corral_module_native(m.module, &length);
	cr_assert_not_null(code);
	cr_assert_gt(length, 0);
	size_t end = 0;
	unsigned count = 0;
	for (uint32_t pc = 0; pc < 64; pc++) {
		size_t offset = 12345;
		size_t bytes = corral_module_native_at(m.module, pc, &offset);
		if (!bytes) {
			cr_assert_eq(offset, 0, "pc %u starts no instruction: offset 0", pc);
			continue;
		}
		count++;
		cr_assert_geq(offset, end, "pc %u's code starts before the last one's ends", pc);
		cr_assert_leq(offset + bytes, length);
		end = offset + bytes;
	}
	corral_module_info info;
	corral_module_get_info(m.module, &info);
	cr_assert_eq(count, info.instruction_count, "every instruction (the trap past the end too) has code");
	machine_free(&m);

	build(&m, INTERP, three_blocks, 1000);
	cr_assert_null(corral_module_native(m.module, &length));
	cr_assert_eq(length, 0);
	size_t offset = 7;
	cr_assert_eq(corral_module_native_at(m.module, 0, &offset), 0);
	machine_free(&m);
}

/* The permissions of the mapping that holds `address`, from /proc/self/maps. */
static void mapping_permissions(const void *address, char permissions[5])
{
	FILE *maps = fopen("/proc/self/maps", "r");
	cr_assert_not_null(maps);
	char line[512];
	permissions[0] = 0;
	while (fgets(line, sizeof line, maps)) {
		unsigned long start, end;
		char perms[5];
		if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) != 3)
			continue;
		if ((uintptr_t)address >= start && (uintptr_t)address < end) {
			memcpy(permissions, perms, 5);
			break;
		}
	}
	fclose(maps);
	cr_assert(permissions[0], "no mapping holds %p", address);
}

Test(jit_host, compiled_code_is_never_writable)
{
	struct machine m;
	build(&m, JIT, three_blocks, 1000);
	size_t length;
	const uint8_t *code = corral_module_native(m.module, &length);
	char permissions[5];
	mapping_permissions(code, permissions);
	cr_assert_str_eq(permissions, "r-xp");
	mapping_permissions(code + length - 1, permissions);
	cr_assert_str_eq(permissions, "r-xp");
	/* The step-mode variant, compiled on the first step, too. */
	corral_instance_set_single_step(m.instance, true);
	assert_stop(machine_run(&m), CORRAL_STEP, 3);
	cr_assert(m.module->step.ready);
	mapping_permissions(m.module->step.jit.code.bytes, permissions);
	cr_assert_str_eq(permissions, "r-xp");
	machine_free(&m);
}

/* A program past the size whose code is compiled into 2 MiB pages
 * (host/jit_code.c): the code starts on a 2 MiB boundary, is read+execute
 * only up to its last page, nothing of the mapping is left past it, and it
 * computes what the interpreter does. */
Test(jit_host, a_large_program_is_compiled_to_an_aligned_mapping_trimmed_to_its_code)
{
	enum { INSTRUCTIONS = 40000 };
	static const char step[] = "add_imm_64 r1, r1, 3\n";
	char *source = malloc(INSTRUCTIONS * (sizeof step - 1) + sizeof HALT);
	cr_assert_not_null(source);
	char *at = source;
	for (int i = 0; i < INSTRUCTIONS; i++)
		at = stpcpy(at, step);
	strcpy(at, HALT);
	for (enum backend backend = INTERP; backend <= JIT; backend++) {
		corral_engine *engine;
		corral_error error;
		cr_assert_eq(engine_new(backend, &engine, &error), CORRAL_OK, "%s", error.message);
		corral_module *module = support_module(engine, source, CORRAL_METERING_SYNC);
		corral_instance *instance = support_instance(module, 1000000);
		cr_assert_eq(corral_instance_run(instance).kind, CORRAL_FINISHED, "on the %s", backend_names[backend]);
		cr_assert_eq(corral_instance_reg(instance, 1), 3ull * INSTRUCTIONS, "on the %s",
			     backend_names[backend]);
		if (backend == JIT) {
			size_t length;
			const uint8_t *code = corral_module_native(module, &length);
			cr_assert_eq((uintptr_t)code % (2u << 20), 0, "the code at %p is not on a 2 MiB boundary",
				     code);
			cr_assert_gt(length, 100000, "%zu bytes of code: too few to reach past a page", length);
			char permissions[5];
			mapping_permissions(code + length - 1, permissions);
			cr_assert_str_eq(permissions, "r-xp");
			size_t past = (length + 4095) & ~(size_t)4095;
			cr_assert_eq(msync((void *)(code + past), 4096, MS_ASYNC), -1,
				     "the mapping goes on past its code");
			cr_assert_eq(errno, ENOMEM);
		}
		corral_instance_free(instance);
		corral_module_free(module);
		corral_engine_free(engine);
	}
	free(source);
}

Test(jit_host, guest_pages_are_protected_as_the_guest_sees_them)
{
	struct machine m;
	build(&m, JIT, "trap\n", 0);
	map(&m, DATA, 0x1000, CORRAL_PAGE_READ);
	map(&m, DATA + 0x1000, 0x1000, CORRAL_PAGE_WRITE);
	uint8_t *base = m.instance->memory.core.base;
	char permissions[5];
	mapping_permissions(base + DATA, permissions);
	cr_assert_str_eq(permissions, "r--p");
	mapping_permissions(base + DATA + 0x1000, permissions);
	cr_assert_str_eq(permissions, "rw-p");
	mapping_permissions(base + DATA + 0x2000, permissions);
	cr_assert_str_eq(permissions, "---p");
	/* The context and jump table below the anchor are the host's. */
	mapping_permissions(base - 1, permissions);
	cr_assert_str_eq(permissions, "rw-p");
	/* The embedder's write opens a read-only page only for the copy. */
	static const char text[] = "written by the embedder";
	corral_error error;
	cr_assert_eq(corral_instance_write(m.instance, DATA + 0xff0, text, sizeof text, &error), CORRAL_OK, "%s",
		     error.message);
	mapping_permissions(base + DATA, permissions);
	cr_assert_str_eq(permissions, "r--p");
	mapping_permissions(base + DATA + 0x1000, permissions);
	cr_assert_str_eq(permissions, "rw-p");
	cr_assert_str_eq((const char *)base + DATA + 0xff0, text);
	machine_free(&m);

	/* And the guest still may not write there. */
	build(&m, JIT, "store_u8 r1, 0x20f00\n" HALT, 100);
	map(&m, DATA, 0x1000, CORRAL_PAGE_READ);
	cr_assert_eq(corral_instance_write(m.instance, DATA + 0xf00, text, sizeof text, &error), CORRAL_OK, "%s",
		     error.message);
	assert_stop(machine_run(&m), CORRAL_TRAP, 0);
	cr_assert_eq(*(m.instance->memory.core.base + DATA + 0xf00), 'w');
	machine_free(&m);
}

Test(jit_host, a_fault_the_access_table_allows_is_an_internal_error)
{
	struct machine m;
	build(&m, JIT, "load_u8 r1, 0x20000\n" HALT, 100);
	map(&m, DATA, 0x1000, CORRAL_PAGE_WRITE);
	/* Behind the access table's back: only a bug in corral does this. */
	cr_assert_eq(mprotect(m.instance->memory.core.base + DATA, 0x1000, PROT_NONE), 0);
	assert_stop(machine_run(&m), CORRAL_TRAP, 0);
	const char *divergence = corral_instance_divergence(m.instance);
	cr_assert_not_null(divergence);
	cr_assert_str_eq(divergence, "internal error: the compiled code of pc 0 (load_u8 r1, 0x20000) faulted on 1 "
				     "bytes at 0x20000, which the guest may read");
	machine_free(&m);
}

Test(jit_host, code_is_dumped_where_asked)
{
	char dir[] = "/tmp/corral-dump-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	setenv("CORRAL_JIT_DUMP_DIR", dir, 1);
	struct machine m;
	build(&m, JIT, three_blocks, 1000);
	corral_instance_set_single_step(m.instance, true);
	assert_stop(machine_run(&m), CORRAL_STEP, 3);
	unsetenv("CORRAL_JIT_DUMP_DIR");

	size_t length;
	const uint8_t *code = corral_module_native(m.module, &length);
	const struct pvm_jit_code *step = &m.module->step.jit.code;
	char path[300];
	int found = 0;
	for (unsigned n = 0; n < 1000 && found < 2; n++) {
		snprintf(path, sizeof path, "%s/%ld-%u.bin", dir, (long)getpid(), n);
		if (access(path, F_OK))
			continue;
		size_t size;
		uint8_t *bytes = support_read_file(path, &size);
		const uint8_t *expected = found == 0 ? code : step->bytes;
		size_t expected_size = found == 0 ? length : step->size;
		cr_assert_eq(size, expected_size, "%s: %zu bytes, expected %zu", path, size, expected_size);
		cr_assert_arr_eq(bytes, expected, size, "%s differs from the code", path);
		free(bytes);
		unlink(path);
		found++;
	}
	cr_assert_eq(found, 2, "the normal and the step-mode code are both dumped");
	rmdir(dir);
	machine_free(&m);
}

Test(jit_host, an_unwritable_dump_folder_is_an_error_naming_the_module)
{
	setenv("CORRAL_JIT_DUMP_DIR", "/nonexistent/corral", 1);
	corral_error error;
	cr_assert_eq(try_module(JIT, CORRAL_METERING_SYNC, &error), CORRAL_ERROR_SYSTEM);
	assert_contains(error.message, "m.bin: cannot create /nonexistent/corral/");
	unsetenv("CORRAL_JIT_DUMP_DIR");
}

/* ---- loads and stores that fault --------------------------------------- */

struct access_case {
	const char *text; /* %s: the address operand(s) */
	unsigned width;
	bool store;
	bool indirect; /* the address is r3 + 16 */
};

static const struct access_case access_cases[] = {
	{"load_u8 r1, %s", 1, false, false},
	{"load_i8 r1, %s", 1, false, false},
	{"load_u16 r1, %s", 2, false, false},
	{"load_i16 r1, %s", 2, false, false},
	{"load_u32 r1, %s", 4, false, false},
	{"load_i32 r1, %s", 4, false, false},
	{"load_u64 r1, %s", 8, false, false},
	{"load_ind_u8 r1, r3, %s", 1, false, true},
	{"load_ind_i8 r1, r3, %s", 1, false, true},
	{"load_ind_u16 r1, r3, %s", 2, false, true},
	{"load_ind_i16 r1, r3, %s", 2, false, true},
	{"load_ind_u32 r1, r3, %s", 4, false, true},
	{"load_ind_i32 r1, r3, %s", 4, false, true},
	{"load_ind_u64 r1, r3, %s", 8, false, true},
	{"store_u8 r2, %s", 1, true, false},
	{"store_u16 r2, %s", 2, true, false},
	{"store_u32 r2, %s", 4, true, false},
	{"store_u64 r2, %s", 8, true, false},
	{"store_imm_u8 %s, -91", 1, true, false},
	{"store_imm_u16 %s, -23131", 2, true, false},
	{"store_imm_u32 %s, -1515870811", 4, true, false},
	{"store_imm_u64 %s, -1515870811", 8, true, false},
	{"store_ind_u8 r2, r3, %s", 1, true, true},
	{"store_ind_u16 r2, r3, %s", 2, true, true},
	{"store_ind_u32 r2, r3, %s", 4, true, true},
	{"store_ind_u64 r2, r3, %s", 8, true, true},
	{"store_imm_ind_u8 r3, %s, 90", 1, true, true},
	{"store_imm_ind_u16 r3, %s, 23130", 2, true, true},
	{"store_imm_ind_u32 r3, %s, 1515870810", 4, true, true},
	{"store_imm_ind_u64 r3, %s, -2", 8, true, true},
};

#define ACCESS_CASES (sizeof access_cases / sizeof access_cases[0])

struct page {
	uint32_t address;
	corral_page_access access;
};

/* Runs one access of `test` at `address` on the interpreter and the JIT
 * with the same pages, checks they agree (state and the bytes around the
 * address) and returns the JIT's interrupt. */
static corral_interrupt run_access(const struct access_case *test, uint32_t address, const struct page *pages,
				   size_t page_count, enum backend backend)
{
	char operand[32], source[160], what[200];
	snprintf(operand, sizeof operand, "%d", test->indirect ? 16 : (int32_t)address);
	char instruction[100];
	snprintf(instruction, sizeof instruction, test->text, operand);
	snprintf(source, sizeof source, "%s\n" HALT, instruction);
	snprintf(what, sizeof what, "%s at 0x%x on the %s", instruction, address, backend_names[backend]);

	struct machine machines[2];
	corral_interrupt stops[2];
	enum backend backends[2] = {INTERP, backend};
	for (int i = 0; i < 2; i++) {
		struct machine *m = &machines[i];
		build(m, backends[i], source, 100);
		for (size_t p = 0; p < page_count; p++)
			map(m, pages[p].address, CORRAL_PAGE_SIZE, pages[p].access);
		/* Recognisable bytes where the access goes, where mapped. */
		for (uint32_t b = 0; b < 16; b++) {
			uint8_t value = (uint8_t)(0x80 + b);
			if (corral_instance_page_access(m->instance, address + b) != CORRAL_PAGE_NONE)
				corral_instance_write(m->instance, address + b, &value, 1, NULL);
		}
		for (unsigned r = 0; r < CORRAL_REGISTER_COUNT; r++)
			corral_instance_set_reg(m->instance, r, UNTOUCHED);
		corral_instance_set_reg(m->instance, 2, 0x1122334455667788ull);
		corral_instance_set_reg(m->instance, 3, (uint64_t)address - 16);
		stops[i] = machine_run(m);
	}
	assert_same_interrupt(stops[1], stops[0], what);
	assert_same_state(&machines[1], &machines[0], what);
	assert_same_memory(&machines[1], &machines[0], address - 8, 24, what);
	cr_assert_null(corral_instance_divergence(machines[1].instance), "%s: %s", what,
		       corral_instance_divergence(machines[1].instance));
	machine_free(&machines[0]);
	machine_free(&machines[1]);
	return stops[1];
}

static void assert_fault(corral_interrupt stop, uint32_t page, const char *what)
{
	cr_assert_eq(stop.kind, CORRAL_PAGE_FAULT, "%s: %s", what, corral_interrupt_name(stop.kind));
	cr_assert_eq(stop.pc, 0, "%s", what);
	cr_assert_eq(stop.address, page, "%s: page 0x%x, expected 0x%x", what, stop.address, page);
}

static void assert_kind(corral_interrupt stop, corral_interrupt_kind kind, const char *what)
{
	cr_assert_eq(stop.kind, kind, "%s: %s, expected %s", what, corral_interrupt_name(stop.kind),
		     corral_interrupt_name(kind));
}

static void each_access(enum backend backend)
{
	for (size_t i = 0; i < ACCESS_CASES; i++) {
		const struct access_case *test = &access_cases[i];
		const char *what = test->text;
		/* Unmapped: a page fault naming the page. */
		assert_fault(run_access(test, DATA + 0x100, NULL, 0, backend), DATA, what);
		/* Mapped read-write: done. */
		struct page writable = {DATA, CORRAL_PAGE_WRITE};
		assert_kind(run_access(test, DATA + 0x100, &writable, 1, backend), CORRAL_FINISHED, what);
		/* Read-only: loads work, stores panic. */
		struct page read_only = {DATA, CORRAL_PAGE_READ};
		corral_interrupt stop = run_access(test, DATA + 0x100, &read_only, 1, backend);
		cr_assert_eq(stop.kind, test->store ? CORRAL_TRAP : CORRAL_FINISHED, "%s on a read-only page", what);
		/* Below 64 KiB: a panic whatever is mapped. */
		assert_stop(run_access(test, 0x100, NULL, 0, backend), CORRAL_TRAP, 0);
		if (test->width == 1)
			continue;
		/* Across a page boundary, the second page unmapped or read-only. */
		uint32_t across = DATA + 0x1000 - test->width / 2;
		assert_fault(run_access(test, across, &writable, 1, backend), DATA + 0x1000, what);
		struct page both[] = {{DATA, CORRAL_PAGE_WRITE}, {DATA + 0x1000, CORRAL_PAGE_READ}};
		stop = run_access(test, across, both, 2, backend);
		cr_assert_eq(stop.kind, test->store ? CORRAL_TRAP : CORRAL_FINISHED, "%s across into read-only", what);
		both[1].access = CORRAL_PAGE_WRITE;
		assert_kind(run_access(test, across, both, 2, backend), CORRAL_FINISHED, what);
		/* Across 2^32: the wrapped bytes are below 64 KiB and panic,
		 * unless the top page itself faults first. */
		uint32_t wrap = (uint32_t)(0 - test->width / 2);
		struct page top = {TOP_PAGE, CORRAL_PAGE_WRITE};
		assert_stop(run_access(test, wrap, &top, 1, backend), CORRAL_TRAP, 0);
		assert_fault(run_access(test, wrap, NULL, 0, backend), TOP_PAGE, what);
		/* The last bytes of the top page are fine. */
		assert_kind(run_access(test, (uint32_t)(0 - test->width), &top, 1, backend), CORRAL_FINISHED, what);
	}
}

Test(jit_host, every_load_and_store_faults_as_the_interpreter_does, .timeout = 120)
{
	each_access(JIT);
}

Test(jit_host, every_load_and_store_cross_checks, .timeout = 120)
{
	each_access(CROSS);
}

Test(jit_host, every_load_and_store_faults_in_the_sandbox_as_the_interpreter_does, .timeout = 300)
{
	support_require_sandbox();
	each_access(SANDBOX);
}

Test(jit_host, a_page_fault_resumes_at_the_faulting_instruction)
{
	struct machine m;
	build(&m, JIT, "load_imm r1, 7\nstore_u32 r1, 0x20ffe\nload_u32 r2, 0x20ffe\n" HALT, 100);
	map(&m, DATA, 0x1000, CORRAL_PAGE_WRITE);
	corral_interrupt stop = machine_run(&m);
	assert_stop(stop, CORRAL_PAGE_FAULT, 3);
	cr_assert_eq(stop.address, DATA + 0x1000);
	cr_assert_eq(corral_instance_pc(m.instance), 3);
	int64_t gas = corral_instance_gas(m.instance);
	map(&m, DATA + 0x1000, 0x1000, CORRAL_PAGE_WRITE);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 18);
	cr_assert_eq(machine_reg(&m, 2), 7);
	cr_assert_eq(corral_instance_gas(m.instance), gas, "the block is not charged twice");
	machine_free(&m);
}

/* ---- host calls, sbrk, gas ----------------------------------------------- */

/* Runs a program to its end on the interpreter and on `backend`, answering
 * host calls the same way (r7 = the call's index times 10, up to `calls`
 * of them, then 0) and comparing every interrupt and the state after it. */
static void run_alike(const char *source, enum backend backend, int64_t gas, bool single_step,
		      void (*prepare)(struct machine *m))
{
	struct machine machines[2];
	enum backend backends[2] = {INTERP, backend};
	for (int i = 0; i < 2; i++) {
		build(&machines[i], backends[i], source, gas);
		if (prepare)
			prepare(&machines[i]);
		corral_instance_set_single_step(machines[i].instance, single_step);
	}
	for (unsigned n = 0; n < 100000; n++) {
		char what[64];
		snprintf(what, sizeof what, "%s, stop %u", backend_names[backend], n);
		corral_interrupt expected = machine_run(&machines[0]);
		corral_interrupt got = machine_run(&machines[1]);
		cr_assert_null(corral_instance_divergence(machines[1].instance), "%s: %s", what,
			       corral_instance_divergence(machines[1].instance));
		assert_same_interrupt(got, expected, what);
		assert_same_state(&machines[1], &machines[0], what);
		if (expected.kind == CORRAL_HOST_CALL) {
			uint64_t answer = n < 20 ? expected.host_call * 10 + n : 0;
			corral_instance_set_reg(machines[0].instance, 7, answer);
			corral_instance_set_reg(machines[1].instance, 7, answer);
			continue;
		}
		if (expected.kind == CORRAL_PAGE_FAULT) {
			map(&machines[0], expected.address, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
			map(&machines[1], expected.address, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
			continue;
		}
		if (expected.kind != CORRAL_STEP)
			break;
	}
	machine_free(&machines[0]);
	machine_free(&machines[1]);
}

static void run_asm_alike(const char *name, enum backend backend, int64_t gas, bool single_step,
			  void (*prepare)(struct machine *m))
{
	char *source = read_asm(name);
	run_alike(source, backend, gas, single_step, prepare);
	free(source);
}

Test(jit_host, host_calls_stop_and_resume_after_the_ecalli)
{
	struct machine m;
	build(&m, JIT, "ecalli 5\nadd_imm_64 r7, r7, 1\necalli -1\n" HALT, 100);
	corral_interrupt stop = machine_run(&m);
	assert_stop(stop, CORRAL_HOST_CALL, 0);
	cr_assert_eq(stop.host_call, 5);
	cr_assert_eq(corral_instance_pc(m.instance), 2, "the next run starts after the ecalli");
	int64_t gas = corral_instance_gas(m.instance);
	corral_instance_set_reg(m.instance, 7, 41);
	stop = machine_run(&m);
	assert_stop(stop, CORRAL_HOST_CALL, 5);
	cr_assert_eq(stop.host_call, UINT64_MAX, "the index sign-extends as the interpreter's");
	cr_assert_eq(machine_reg(&m, 7), 42);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 12);
	cr_assert_eq(corral_instance_gas(m.instance), gas, "one block, charged once");
	machine_free(&m);
	run_asm_alike("host_sum.s", JIT, 10000, false, NULL);
}

/* The run after a host call resumes at the instruction after the ecalli
 * without looking it up; wherever the embedder puts the pc instead, and
 * in step mode (other code), it goes there. */
static void resume_elsewhere(enum backend backend)
{
	static const char source[] = "ecalli 1\n"            /* 0 */
				     "load_imm r2, 5\n"      /* 2 */
				     "ecalli 2\n"            /* 5 */
				     "load_imm r3, 6\n"      /* 7 */
				     "trap\n"                /* 10 */
				     "@11: load_imm r4, 7\n" /* a jump target: the ecalli's pc + 11 */
				     "ecalli 3\n" HALT;
	struct machine m;
	build(&m, backend, source, 1000);
	assert_stop(machine_run(&m), CORRAL_HOST_CALL, 0);
	corral_instance_set_pc(m.instance, 11);
	assert_stop(machine_run(&m), CORRAL_HOST_CALL, 14);
	cr_assert_eq(machine_reg(&m, 4), 7, "%s: the run went where the embedder put the pc", backend_names[backend]);
	cr_assert_eq(machine_reg(&m, 2), 0, "%s: not where the host call stopped", backend_names[backend]);
	corral_instance_set_pc(m.instance, 0);
	assert_stop(machine_run(&m), CORRAL_HOST_CALL, 0);
	corral_instance_set_single_step(m.instance, true);
	assert_stop(machine_run(&m), CORRAL_STEP, 5);
	cr_assert_eq(machine_reg(&m, 2), 5, "%s: the step ran the instruction after the ecalli",
		     backend_names[backend]);
	assert_stop(machine_run(&m), CORRAL_HOST_CALL, 5);
	corral_instance_set_single_step(m.instance, false);
	assert_stop(machine_run(&m), CORRAL_TRAP, 10);
	cr_assert_eq(machine_reg(&m, 3), 6);
	machine_free(&m);
}

Test(jit_host, after_a_host_call_the_next_run_goes_where_the_pc_says)
{
	resume_elsewhere(JIT);
	resume_elsewhere(CROSS);
}

Test(jit_host, after_a_host_call_the_next_run_goes_where_the_pc_says_in_the_sandbox)
{
	support_require_sandbox();
	resume_elsewhere(SANDBOX);
}

Test(jit_host, sbrk_runs_in_the_host_and_the_code_goes_on)
{
	run_asm_alike("sbrk.s", JIT, 1000, false, NULL);
	run_asm_alike("sbrk_limits.s", JIT, 1000, false, NULL);
	run_asm_alike("sbrk.s", JIT, 1000, true, NULL);
	struct machine m;
	char *source = read_asm("sbrk.s");
	build(&m, JIT, source, 1000);
	free(source);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 53);
	cr_assert_eq(machine_reg(&m, 7), 0x11223344);
	cr_assert_eq(machine_reg(&m, 8), 0x7788);
	cr_assert_eq(corral_instance_page_access(m.instance, 0x12000), CORRAL_PAGE_WRITE);
	machine_free(&m);
}

static void prepare_fibonacci(struct machine *m)
{
	corral_instance_set_reg(m->instance, 1, 50);
}

static void prepare_copy(struct machine *m)
{
	map(m, DATA, 0x3000, CORRAL_PAGE_WRITE);
	uint8_t bytes[600];
	for (size_t i = 0; i < sizeof bytes; i++)
		bytes[i] = (uint8_t)(i * 7);
	cr_assert_eq(corral_instance_write(m->instance, DATA + 0xf00, bytes, sizeof bytes, NULL), CORRAL_OK);
	corral_instance_set_reg(m->instance, 1, DATA + 0xf00);
	corral_instance_set_reg(m->instance, 2, DATA + 0x1f80);
	corral_instance_set_reg(m->instance, 3, sizeof bytes);
}

Test(jit_host, sync_gas_runs_out_at_a_block_start_with_gas_unchanged)
{
	struct machine m;
	char *source = read_asm("gas_loop.s");
	build(&m, JIT, source, 2 + 3 * 4 + 2);
	corral_interrupt stop = machine_run(&m);
	assert_stop(stop, CORRAL_OUT_OF_GAS, 3);
	cr_assert_eq(corral_instance_gas(m.instance), 2);
	cr_assert_eq(machine_reg(&m, 1), 4);
	/* More gas: it goes on from the block it could not pay. */
	corral_instance_set_gas(m.instance, 3);
	assert_stop(machine_run(&m), CORRAL_OUT_OF_GAS, 3);
	cr_assert_eq(machine_reg(&m, 1), 5);
	cr_assert_eq(corral_instance_gas(m.instance), 0);
	machine_free(&m);
	for (int64_t gas = 0; gas < 20; gas++)
		run_alike(source, JIT, gas, false, NULL);
	free(source);
}

Test(jit_host, entering_mid_block_pays_the_whole_block_first)
{
	static const char source[] = "load_imm r1, 1\nload_imm r2, 2\nload_imm r3, 3\n" HALT;
	for (int64_t gas = 0; gas < 8; gas++) {
		struct machine machines[2];
		enum backend backends[2] = {INTERP, JIT};
		corral_interrupt stops[2];
		for (int i = 0; i < 2; i++) {
			build(&machines[i], backends[i], source, gas);
			corral_instance_set_pc(machines[i].instance, 3);
			stops[i] = machine_run(&machines[i]);
		}
		assert_same_interrupt(stops[1], stops[0], "mid-block");
		assert_same_state(&machines[1], &machines[0], "mid-block");
		cr_assert_eq(machine_reg(&machines[1], 1), 0);
		machine_free(&machines[0]);
		machine_free(&machines[1]);
	}
	/* No instruction at the pc: a trap there. */
	struct machine m;
	build(&m, JIT, source, 100);
	corral_instance_set_pc(m.instance, 1);
	assert_stop(machine_run(&m), CORRAL_TRAP, 1);
	cr_assert_eq(corral_instance_gas(m.instance), 100);
	corral_instance_set_pc(m.instance, 1000);
	assert_stop(machine_run(&m), CORRAL_TRAP, 1000);
	machine_free(&m);
}

static int64_t run_metered(corral_gas_metering metering, int64_t gas, corral_interrupt *stop)
{
	struct machine m;
	size_t length;
	char *source = read_asm("gas_loop.s");
	uint8_t *bytes = support_assemble(source, &length);
	build_bytes(&m, JIT, bytes, length, metering, gas);
	free(bytes);
	free(source);
	*stop = machine_run(&m);
	int64_t left = corral_instance_gas(m.instance);
	machine_free(&m);
	return left;
}

Test(jit_host, async_gas_stops_late_and_off_never_charges)
{
	corral_interrupt stop;
	int64_t left = run_metered(CORRAL_METERING_ASYNC, 1000, &stop);
	cr_assert_eq(stop.kind, CORRAL_OUT_OF_GAS, "%s", corral_interrupt_name(stop.kind));
	cr_assert_lt(left, 0, "async metering leaves the overdraft");
	cr_assert_geq(left, -3, "at most one trip late");
	left = run_metered(CORRAL_METERING_ASYNC, -5, &stop);
	cr_assert_eq(stop.kind, CORRAL_OUT_OF_GAS);

	/* Off: the loop never ends by itself; a host call ends it here. */
	struct machine m;
	size_t length;
	uint8_t *bytes = support_assemble("load_imm r1, 1000\nfallthrough\nloop: add_imm_64 r1, r1, -1\n"
					  "branch_ne_imm r1, 0, @loop\necalli 9\n" HALT,
					  &length);
	build_bytes(&m, JIT, bytes, length, CORRAL_METERING_OFF, 10);
	free(bytes);
	stop = machine_run(&m);
	assert_stop(stop, CORRAL_HOST_CALL, 11);
	cr_assert_eq(machine_reg(&m, 1), 0);
	cr_assert_eq(corral_instance_gas(m.instance), 10);
	corral_instance_set_pc(m.instance, 8);
	assert_stop(machine_run(&m), CORRAL_HOST_CALL, 11);
	cr_assert_eq(corral_instance_gas(m.instance), 10, "nor mid-block");
	machine_free(&m);
}

/* ---- single steps --------------------------------------------------------- */

Test(jit_host, single_steps_match_the_interpreter)
{
	run_asm_alike("fibonacci.s", JIT, 10000, true, prepare_fibonacci);
	run_asm_alike("gas_loop.s", JIT, 40, true, NULL);
	run_asm_alike("host_sum.s", JIT, 10000, true, NULL);
	run_asm_alike("dispatch.s", JIT, 10000, true, NULL);
	run_asm_alike("copy.s", JIT, 100000, true, prepare_copy);
	run_asm_alike("sbrk_limits.s", JIT, 1000, true, NULL);
}

Test(jit_host, switching_between_steps_and_runs_keeps_the_state)
{
	char *source = read_asm("fibonacci.s");
	struct machine machines[2];
	enum backend backends[2] = {INTERP, JIT};
	for (int i = 0; i < 2; i++) {
		build(&machines[i], backends[i], source, 100000);
		prepare_fibonacci(&machines[i]);
	}
	free(source);
	for (unsigned n = 0;; n++) {
		corral_interrupt stops[2];
		for (int i = 0; i < 2; i++) {
			corral_instance_set_single_step(machines[i].instance, n % 3 != 2);
			stops[i] = machine_run(&machines[i]);
		}
		assert_same_interrupt(stops[1], stops[0], "alternating");
		assert_same_state(&machines[1], &machines[0], "alternating");
		if (stops[0].kind != CORRAL_STEP)
			break;
	}
	machine_free(&machines[0]);
	machine_free(&machines[1]);
}

/* ---- programs on every backend ------------------------------------------- */

static void prepare_dispatch(struct machine *m)
{
	corral_instance_set_reg(m->instance, 1, 2);
}

static void prepare_low_memory(struct machine *m)
{
	map(m, 0x10000, 0x1000, CORRAL_PAGE_READ);
}

static void programs_alike(enum backend backend)
{
	run_asm_alike("fibonacci.s", backend, 10000, false, prepare_fibonacci);
	run_asm_alike("copy.s", backend, 100000, false, prepare_copy);
	run_asm_alike("dispatch.s", backend, 100, false, prepare_dispatch);
	run_asm_alike("gas_loop.s", backend, 1000, false, NULL);
	run_asm_alike("host_sum.s", backend, 10000, false, NULL);
	run_asm_alike("sbrk.s", backend, 1000, false, NULL);
	run_asm_alike("sbrk_limits.s", backend, 1000, false, NULL);
	run_asm_alike("low_memory.s", backend, 1000, false, prepare_low_memory);
	run_asm_alike("cmov_imm.s", backend, 1000, false, NULL);
}

Test(jit_host, programs_run_as_on_the_interpreter)
{
	programs_alike(JIT);
}

Test(jit_host, programs_cross_check)
{
	programs_alike(CROSS);
}

Test(jit_host, programs_run_in_the_sandbox_as_on_the_interpreter, .timeout = 120)
{
	support_require_sandbox();
	programs_alike(SANDBOX);
	run_asm_alike("fibonacci.s", SANDBOX, 10000, true, prepare_fibonacci);
	run_asm_alike("copy.s", SANDBOX, 100000, true, prepare_copy);
}

Test(jit_host, a_cross_checked_single_step_is_one_instruction)
{
	run_asm_alike("fibonacci.s", CROSS, 10000, true, prepare_fibonacci);
	run_asm_alike("copy.s", CROSS, 100000, true, prepare_copy);
}

Test(jit_host, the_cross_check_reports_the_first_difference)
{
	struct machine m;
	build(&m, CROSS, "load_imm r1, 1\nload_u8 r2, 0x20000\nstore_u8 r2, 0x20001\n" HALT, 100);
	map(&m, DATA, 0x1000, CORRAL_PAGE_WRITE);
	cr_assert_null(corral_instance_divergence(m.instance));
	/* What no embedder can do: change the interpreter's memory alone. */
	m.instance->twin->memory.core.base[DATA] = 0x15;
	corral_interrupt stop = machine_run(&m);
	assert_stop(stop, CORRAL_TRAP, 3);
	const char *divergence = corral_instance_divergence(m.instance);
	cr_assert_not_null(divergence);
	cr_assert_str_eq(divergence, "after pc 3 (load_u8 r2, 0x20000): r2 jit=0x0 interp=0x15");

	/* A store that differs: the bytes it wrote too. */
	stop = machine_run(&m);
	assert_stop(stop, CORRAL_TRAP, 8);
	divergence = corral_instance_divergence(m.instance);
	cr_assert_not_null(divergence);
	cr_assert_str_eq(divergence, "after pc 8 (store_u8 r2, 0x20001): r2 jit=0x0 interp=0x15; "
				     "byte at 0x20001 jit=0x0 interp=0x15");
	/* Every later run starts without it. */
	m.instance->twin->state.regs[2] = 0;
	uint8_t zero = 0;
	cr_assert_eq(corral_instance_write(m.instance, DATA + 1, &zero, 1, NULL), CORRAL_OK);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 18);
	cr_assert_null(corral_instance_divergence(m.instance));
	machine_free(&m);
}

Test(jit_host, embedder_changes_reach_the_cross_check_twin)
{
	struct machine m;
	build(&m, CROSS, "load_u64 r1, 0x20000\nadd_64 r1, r1, r2\nstore_u64 r1, 0x20008\necalli 1\n" HALT, 100);
	map(&m, DATA, 0x1000, CORRAL_PAGE_READ);
	uint64_t value = 40;
	cr_assert_eq(corral_instance_write(m.instance, DATA, &value, sizeof value, NULL), CORRAL_OK);
	corral_instance_set_reg(m.instance, 2, 2);
	corral_interrupt stop = machine_run(&m);
	assert_stop(stop, CORRAL_TRAP, 8);
	cr_assert_null(corral_instance_divergence(m.instance), "%s", corral_instance_divergence(m.instance));
	map(&m, DATA, 0x1000, CORRAL_PAGE_WRITE);
	stop = machine_run(&m);
	assert_stop(stop, CORRAL_HOST_CALL, 13);
	cr_assert_eq(corral_instance_sbrk(m.instance, 0), corral_instance_sbrk(m.instance, 0));
	cr_assert_neq(corral_instance_sbrk(m.instance, 100), 0);
	corral_instance_set_gas(m.instance, 77);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 20);
	cr_assert_null(corral_instance_divergence(m.instance), "%s", corral_instance_divergence(m.instance));
	cr_assert_eq(m.instance->twin->state.gas, corral_instance_gas(m.instance));
	cr_assert_eq(m.instance->twin->memory.core.heap_top, m.instance->memory.core.heap_top);
	cr_assert_eq(machine_reg(&m, 1), 42);
	machine_free(&m);
}

/* ---- signals --------------------------------------------------------------- */

static sigjmp_buf escape;
/* An address no process maps, hidden from the compiler's bounds checks. */
static int *volatile nowhere = (int *)16;
static volatile sig_atomic_t embedder_faults;

static void embedder_handler(int signal, siginfo_t *info, void *context)
{
	(void)signal;
	(void)info;
	(void)context;
	embedder_faults++;
	siglongjmp(escape, 1);
}

static void fault_outside_compiled_code(void)
{
	if (!sigsetjmp(escape, 1)) {
		*nowhere = 1;
		cr_assert_fail("the store to address 16 did not fault");
	}
}

Test(jit_host, a_handler_installed_before_corrals_still_gets_its_faults)
{
	struct sigaction action = {.sa_sigaction = embedder_handler, .sa_flags = SA_SIGINFO};
	sigemptyset(&action.sa_mask);
	cr_assert_eq(sigaction(SIGSEGV, &action, NULL), 0);
	struct machine m;
	build(&m, JIT, "load_u32 r1, 0x20000\n" HALT, 100);
	struct sigaction now;
	sigaction(SIGSEGV, NULL, &now);
	cr_assert_neq((void *)now.sa_sigaction, (void *)embedder_handler, "corral's handler goes in front");

	fault_outside_compiled_code();
	cr_assert_eq(embedder_faults, 1);
	/* Guest faults stay corral's. */
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_PAGE_FAULT);
	cr_assert_eq(embedder_faults, 1);
	fault_outside_compiled_code();
	cr_assert_eq(embedder_faults, 2, "and the embedder's again");
	map(&m, DATA, 0x1000, CORRAL_PAGE_READ);
	assert_stop(machine_run(&m), CORRAL_FINISHED, 10);
	machine_free(&m);
}

Test(jit_host, a_fault_outside_compiled_code_still_kills_by_default)
{
	pid_t child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		/* Quiet: a sanitizer's report of this fault is expected. */
		freopen("/dev/null", "w", stderr);
		struct machine m;
		build(&m, JIT, "trap\n", 0);
		*nowhere = 1;
		_exit(0);
	}
	int status;
	cr_assert_eq(waitpid(child, &status, 0), child);
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer's handler was there first: it reports and exits. */
	cr_assert(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0));
#else
	cr_assert(WIFSIGNALED(status), "the child exited with %d", WEXITSTATUS(status));
	cr_assert_eq(WTERMSIG(status), SIGSEGV);
#endif
}

struct faulting_thread {
	corral_module *module;
	unsigned faults;
	bool ok;
};

/* Many page faults, each mapped and resumed, on a thread of its own. */
static void *fault_repeatedly(void *argument)
{
	struct faulting_thread *thread = argument;
	corral_instance *instance;
	if (corral_instance_new(thread->module, NULL, &instance, NULL) != CORRAL_OK)
		return NULL;
	corral_instance_set_reg(instance, 1, DATA);
	corral_instance_set_reg(instance, 3, 200);
	corral_instance_set_gas(instance, INT64_MAX);
	thread->ok = true;
	for (;;) {
		corral_interrupt stop = corral_instance_run(instance);
		if (stop.kind == CORRAL_PAGE_FAULT) {
			thread->faults++;
			thread->ok &= corral_instance_map(instance, stop.address, 0x1000, CORRAL_PAGE_WRITE, NULL) ==
				      CORRAL_OK;
			continue;
		}
		thread->ok &= stop.kind == CORRAL_FINISHED;
		break;
	}
	corral_instance_free(instance);
	return NULL;
}

Test(jit_host, threads_fault_independently)
{
	/* Touches r3 pages from r1 on, one store each. */
	struct machine m;
	build(&m, JIT,
	      "fallthrough\nloop: branch_eq_imm r3, 0, @done\nstore_ind_u64 r3, r1, 8\n"
	      "add_imm_64 r1, r1, 4096\nadd_imm_64 r3, r3, -1\njump @loop\ndone: " HALT,
	      0);
	pthread_t threads[4];
	struct faulting_thread state[4];
	for (int i = 0; i < 4; i++) {
		state[i] = (struct faulting_thread){.module = m.module};
		cr_assert_eq(pthread_create(&threads[i], NULL, fault_repeatedly, &state[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
		cr_assert(state[i].ok, "thread %d", i);
		cr_assert_eq(state[i].faults, 200, "thread %d saw %u faults", i, state[i].faults);
	}
	machine_free(&m);
}

/* In this process compiled code anchors in GS's base where FSGSBASE allows
 * (PVM_JIT_ANCHOR_GS). A thread that has a base of its own gets it back
 * after every run, host calls included, and a memory access in guest code
 * still reaches guest memory. */
Test(jit_host, a_thread_keeps_its_own_gs_base)
{
	if (!host_jit_fsgsbase())
		cr_skip_test("no FSGSBASE here: compiled code anchors in r15 and never touches GS");
	static uint64_t own_area[4];
	uint64_t own = (uint64_t)(uintptr_t)own_area, base;
	__asm__ volatile("rdgsbase %0" : "=r"(base));
	__asm__ volatile("wrgsbase %0" : : "r"(own) : "memory");
	struct machine m;
	build(&m, JIT, "load_imm r1, 0x20000\nstore_imm_ind_u32 r1, 0, 7\necalli 1\nload_ind_u32 r2, r1, 0\n" HALT,
	      100);
	map(&m, DATA, 4096, CORRAL_PAGE_WRITE);
	cr_assert_eq(m.module->jit.code.options.anchor, PVM_JIT_ANCHOR_GS);
	assert_stop(machine_run(&m), CORRAL_HOST_CALL, 8);
	uint64_t after_call, after_halt;
	__asm__ volatile("rdgsbase %0" : "=r"(after_call));
	cr_assert_eq(machine_run(&m).kind, CORRAL_FINISHED);
	__asm__ volatile("rdgsbase %0" : "=r"(after_halt));
	__asm__ volatile("wrgsbase %0" : : "r"(base) : "memory");
	cr_assert_eq(after_call, own, "GS's base after the host call: 0x%llx", (unsigned long long)after_call);
	cr_assert_eq(after_halt, own, "GS's base after the run: 0x%llx", (unsigned long long)after_halt);
	cr_assert_eq(machine_reg(&m, 2), 7, "the load read guest memory");
	machine_free(&m);
}
