/* Dynamic paging (corral_instance_config.dynamic_paging; host/pager.c,
 * host/guest_memory.c) as an embedder meets it, on each backend: the
 * interpreter (its page table), the JIT in this process (a userfaultfd of
 * ours, else page protections) and the JIT in the sandbox (the zygote's
 * userfaultfd). Every scenario runs the same way on all three, against the
 * same expected stops, registers, gas and memory: page faults at every kind
 * of access, resumed in the middle of a block without charging it twice;
 * write protection; freeing and faulting a page again; a guest touching
 * 100,000 scattered pages with nothing left behind; and a zygote that dies
 * while the embedder is serving its fault. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host/features.h"
#include "host/internal.h"
#include "host/pool.h"
#include "tests/support.h"

enum way { INTERP, JIT, SANDBOX };

static const char *const way_names[] = {
	[INTERP] = "the interpreter",
	[JIT] = "the JIT in this process",
	[SANDBOX] = "the JIT in the sandbox",
};

#define HALT "load_imm r0, -65536\njump_ind r0, 0\n"

/* Each scenario once per way; the sandbox's skips where it cannot run. */
#define EACH_WAY(scenario, ...)                                           \
	Test(paging, scenario##_on_the_interpreter, ##__VA_ARGS__)        \
	{                                                                 \
		scenario(INTERP);                                         \
	}                                                                 \
	Test(paging, scenario##_on_the_jit_in_process, ##__VA_ARGS__)     \
	{                                                                 \
		scenario(JIT);                                            \
	}                                                                 \
	Test(paging, scenario##_on_the_jit_in_the_sandbox, ##__VA_ARGS__) \
	{                                                                 \
		scenario(SANDBOX);                                        \
	}

static corral_engine *engine_for(enum way way, bool cross_check)
{
	if (way == SANDBOX)
		support_require_sandbox();
	corral_engine_config config;
	corral_engine_config_init(&config);
	config.backend = way == INTERP ? CORRAL_BACKEND_INTERPRETER : CORRAL_BACKEND_JIT;
	config.sandbox = way == SANDBOX ? CORRAL_SANDBOX_LINUX : CORRAL_SANDBOX_NONE;
	config.cross_check = cross_check;
	corral_engine *engine;
	corral_error error;
	cr_assert_eq(corral_engine_new(&config, &engine, &error), CORRAL_OK, "%s", error.message);
	return engine;
}

static corral_instance *new_instance(corral_module *module, int64_t gas, bool dynamic)
{
	corral_instance_config config;
	corral_instance_config_init(&config);
	config.gas = gas;
	config.dynamic_paging = dynamic;
	corral_instance *instance;
	corral_error error;
	cr_assert_eq(corral_instance_new(module, &config, &instance, &error), CORRAL_OK, "%s", error.message);
	return instance;
}

static void map(corral_instance *instance, uint32_t address, uint64_t length, corral_page_access access)
{
	corral_error error;
	cr_assert_eq(corral_instance_map(instance, address, length, access, &error), CORRAL_OK, "%s", error.message);
}

static void map_bytes(corral_instance *instance, uint32_t address, const uint8_t *bytes, size_t length,
		      corral_page_access access)
{
	corral_error error;
	cr_assert_eq(corral_instance_map_bytes(instance, address, bytes, length, access, &error), CORRAL_OK, "%s",
		     error.message);
}

static void protect(corral_instance *instance, uint32_t address, bool on)
{
	corral_error error;
	cr_assert_eq(corral_instance_protect(instance, address, CORRAL_PAGE_SIZE, on, &error), CORRAL_OK, "%s",
		     error.message);
}

static void read_bytes(corral_instance *instance, uint32_t address, void *buffer, size_t length)
{
	corral_error error;
	cr_assert_eq(corral_instance_read(instance, address, buffer, length, &error), CORRAL_OK, "%s", error.message);
}

/* The offset of the program's instruction number `index` (from 0). */
static uint32_t pc_of(const corral_module *module, unsigned index)
{
	char text[96];
	uint32_t pc = 0;
	while (index--)
		pc = corral_module_instruction(module, pc, text, sizeof text);
	return pc;
}

static void expect_fault(enum way way, corral_interrupt stop, uint32_t pc, uint32_t page, bool write_protected)
{
	cr_assert_eq(stop.kind, CORRAL_PAGE_FAULT, "%s: stopped with %s at pc %u, not a page fault at pc %u",
		     way_names[way], corral_interrupt_name(stop.kind), stop.pc, pc);
	cr_assert_eq(stop.pc, pc, "%s: the fault at pc %u, not %u", way_names[way], stop.pc, pc);
	cr_assert_eq(stop.address, page, "%s: a fault on page 0x%x, not 0x%x", way_names[way], stop.address, page);
	cr_assert_eq(stop.write_protected, write_protected, "%s: write_protected is %d", way_names[way],
		     stop.write_protected);
}

/* ---- a page fault at every kind of access ----------------------------------------- */

/* r1 holds the address, r2 the value stored or the destination. */
static const struct access {
	const char *text; /* a format: %d is the address (signed 32-bit), for the absolute forms */
	uint32_t width;
	bool write, is_signed;
} accesses[] = {
	{"load_ind_u8 r2, r1, 0", 1, false, false},  {"load_ind_i8 r2, r1, 0", 1, false, true},
	{"load_ind_u16 r2, r1, 0", 2, false, false}, {"load_ind_i16 r2, r1, 0", 2, false, true},
	{"load_ind_u32 r2, r1, 0", 4, false, false}, {"load_ind_i32 r2, r1, 0", 4, false, true},
	{"load_ind_u64 r2, r1, 0", 8, false, false}, {"load_u16 r2, %d", 2, false, false},
	{"load_i32 r2, %d", 4, false, true},         {"store_ind_u8 r2, r1, 0", 1, true, false},
	{"store_ind_u16 r2, r1, 0", 2, true, false}, {"store_ind_u32 r2, r1, 0", 4, true, false},
	{"store_ind_u64 r2, r1, 0", 8, true, false}, {"store_u32 r2, %d", 4, true, false},
	{"store_u64 r2, %d", 8, true, false},        {"store_u8 r2, %d", 1, true, false},
};

#define STORED       0x8877665544332211ull
#define ACCESS_BLOCK 5 /* instructions in the one block: its whole gas */

enum placement {
	INSIDE, /* in one page, nothing mapped */
	ACROSS, /* the first page mapped, the second not */
	WRAP,   /* from the top page on past 4 GiB, where it wraps to 0 */
};

static uint8_t pattern(uint32_t page, uint32_t offset)
{
	return (uint8_t)(0x80 + offset * 7 + (page >> 12));
}

static void fill_pattern(uint8_t *bytes, uint32_t page)
{
	for (uint32_t i = 0; i < CORRAL_PAGE_SIZE; i++)
		bytes[i] = pattern(page, i);
}

/* The value a load of `width` bytes from patterned pages gives. */
static uint64_t pattern_load(uint32_t address, const struct access *access)
{
	uint64_t value = 0;
	for (uint32_t i = 0; i < access->width; i++) {
		uint32_t at = address + i;
		value |= (uint64_t)pattern(at & ~(CORRAL_PAGE_SIZE - 1), at & (CORRAL_PAGE_SIZE - 1)) << (8 * i);
	}
	unsigned shift = 64 - 8 * access->width;
	return access->is_signed && shift ? (uint64_t)((int64_t)(value << shift) >> shift) : value;
}

static void one_access(enum way way, corral_engine *engine, const struct access *access, enum placement placement)
{
	uint32_t address = placement == INSIDE   ? 0x20010u
			   : placement == ACROSS ? 0x21000u - access->width / 2
						 : (uint32_t)(0x100000000ull - (access->width + 1) / 2);
	char instruction[64], source[512];
	snprintf(instruction, sizeof instruction, access->text, (int)(int32_t)address);
	snprintf(source, sizeof source, "load_imm_64 r1, %u\nload_imm_64 r2, %llu\n%s\n" HALT, address,
		 (unsigned long long)STORED, instruction);
	corral_module *module = support_module(engine, source, CORRAL_METERING_SYNC);
	corral_instance *instance = new_instance(module, ACCESS_BLOCK, true);
	uint8_t page[CORRAL_PAGE_SIZE];
	uint32_t first = address & ~(CORRAL_PAGE_SIZE - 1), second = first + CORRAL_PAGE_SIZE;
	if (placement == ACROSS) {
		fill_pattern(page, first);
		map_bytes(instance, first, page, sizeof page, CORRAL_PAGE_WRITE);
	}
	uint32_t faulting = placement == ACROSS ? second : first;
	cr_log_info("%s: %s at 0x%x", way_names[way], instruction, address);

	/* Nothing of the instruction happened; its block is paid. */
	expect_fault(way, corral_instance_run(instance), pc_of(module, 2), faulting, false);
	cr_assert_eq(corral_instance_gas(instance), 0, "%s: %s: gas %lld", way_names[way], instruction,
		     (long long)corral_instance_gas(instance));
	cr_assert_eq(corral_instance_reg(instance, 2), STORED, "%s: %s changed r2 before it faulted", way_names[way],
		     instruction);
	if (placement == ACROSS) {
		uint8_t now[CORRAL_PAGE_SIZE];
		read_bytes(instance, first, now, sizeof now);
		cr_assert(!memcmp(now, page, sizeof page), "%s: %s stored part of its bytes before it faulted",
			  way_names[way], instruction);
	}

	/* Mapped and filled, the same instruction runs again, uncharged. */
	fill_pattern(page, faulting);
	map_bytes(instance, faulting, page, sizeof page, CORRAL_PAGE_WRITE);
	corral_interrupt stop = corral_instance_run(instance);
	bool wraps = placement == WRAP && access->width > 1;
	cr_assert_eq(stop.kind, wraps ? CORRAL_TRAP : CORRAL_FINISHED, "%s: %s at 0x%x: %s at pc %u", way_names[way],
		     instruction, address, corral_interrupt_name(stop.kind), stop.pc);
	cr_assert_eq(corral_instance_gas(instance), 0, "%s: %s: resuming charged gas again", way_names[way],
		     instruction);
	if (wraps) {
		/* The bytes past 4 GiB are at 0, below 64 KiB: a panic. */
		cr_assert_eq(stop.pc, pc_of(module, 2));
	} else if (access->write) {
		for (uint32_t i = 0; i < access->width; i++) {
			uint8_t byte;
			read_bytes(instance, address + i, &byte, 1);
			cr_assert_eq(byte, (uint8_t)(STORED >> (8 * i)), "%s: %s: byte %u is 0x%x", way_names[way],
				     instruction, i, byte);
		}
	} else {
		cr_assert_eq(corral_instance_reg(instance, 2), pattern_load(address, access), "%s: %s loaded 0x%llx",
			     way_names[way], instruction, (unsigned long long)corral_instance_reg(instance, 2));
	}
	corral_instance_free(instance);
	corral_module_free(module);
}

/* Compiled code for a paged instance looks the page of each load and store
 * up in the page-access table first (host_jit_page_table), so that a fault
 * leaves as an ordinary exit, not a signal. A page the table refuses then
 * faults even though the hardware would allow the access: the fault can
 * only have come from the check. (The table is changed behind the API's
 * back here; the API keeps it and the hardware in step.) */
static void the_page_table_is_looked_up_first(enum way way)
{
	corral_engine *engine = engine_for(way, false);
	const uint32_t address = 0x20010u, page = 0x20000u;
	for (size_t i = 0; i < sizeof accesses / sizeof *accesses; i++) {
		char instruction[64], source[512];
		snprintf(instruction, sizeof instruction, accesses[i].text, (int)address);
		snprintf(source, sizeof source, "load_imm_64 r1, %u\nload_imm_64 r2, %llu\n%s\n" HALT, address,
			 (unsigned long long)STORED, instruction);
		corral_module *module = support_module(engine, source, CORRAL_METERING_SYNC);
		corral_instance *instance = new_instance(module, ACCESS_BLOCK, true);
		map(instance, page, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
		instance->memory.core.access[page >> 12] = PVM_ACCESS_NONE;
		cr_log_info("%s: %s", way_names[way], instruction);
		expect_fault(way, corral_instance_run(instance), pc_of(module, 2), page, false);
		cr_assert_eq(corral_instance_reg(instance, 2), STORED, "%s: %s changed r2", way_names[way],
			     instruction);
		corral_instance_free(instance);
		corral_module_free(module);
	}
	corral_engine_free(engine);
}

Test(paging, the_page_table_is_looked_up_first_on_the_jit_in_process)
{
	the_page_table_is_looked_up_first(JIT);
}

Test(paging, the_page_table_is_looked_up_first_on_the_jit_in_the_sandbox)
{
	the_page_table_is_looked_up_first(SANDBOX);
}

static void faults_at_every_kind_of_access(enum way way)
{
	corral_engine *engine = engine_for(way, false);
	for (size_t i = 0; i < sizeof accesses / sizeof *accesses; i++)
		for (enum placement placement = INSIDE; placement <= WRAP; placement++)
			if (placement != ACROSS || accesses[i].width > 1)
				one_access(way, engine, &accesses[i], placement);
	corral_engine_free(engine);
}

EACH_WAY(faults_at_every_kind_of_access, .timeout = 60)

/* ---- resuming in the middle of a block ----------------------------------------------- */

/* Two faults in one block of 8 instructions, given exactly 8 gas: paying
 * the block twice would run out. */
static const char two_faults[] = "load_imm r7, 0x30000\n"
				 "add_imm_64 r8, r7, 0\n"
				 "load_ind_u8 r9, r7, 0\n" /* 2: the first fault */
				 "load_ind_u8 r10, r7, 4095\n"
				 "load_ind_u8 r11, r7, 4096\n" /* 4: the second */
				 "add_64 r12, r9, r11\n" HALT;

static void resumes_in_the_middle_of_a_block(enum way way, bool step)
{
	corral_engine *engine = engine_for(way, false);
	corral_module *module = support_module(engine, two_faults, CORRAL_METERING_SYNC);
	corral_instance *instance = new_instance(module, 8, true);
	corral_instance_set_single_step(instance, step);
	corral_interrupt stop;
	while ((stop = corral_instance_run(instance)).kind == CORRAL_STEP)
		;
	expect_fault(way, stop, pc_of(module, 2), 0x30000, false);
	cr_assert_eq(corral_instance_gas(instance), 0);
	uint8_t page[CORRAL_PAGE_SIZE] = {1};
	page[4095] = 2;
	map_bytes(instance, 0x30000, page, sizeof page, CORRAL_PAGE_READ);
	while ((stop = corral_instance_run(instance)).kind == CORRAL_STEP)
		;
	expect_fault(way, stop, pc_of(module, 4), 0x31000, false);
	cr_assert_eq(corral_instance_reg(instance, 9), 1);
	cr_assert_eq(corral_instance_reg(instance, 10), 2);
	cr_assert_eq(corral_instance_gas(instance), 0);
	uint8_t five = 5;
	map_bytes(instance, 0x31000, &five, 1, CORRAL_PAGE_READ);
	while ((stop = corral_instance_run(instance)).kind == CORRAL_STEP)
		;
	cr_assert_eq(stop.kind, CORRAL_FINISHED, "%s: %s at pc %u", way_names[way], corral_interrupt_name(stop.kind),
		     stop.pc);
	cr_assert_eq(corral_instance_reg(instance, 12), 6);
	cr_assert_eq(corral_instance_gas(instance), 0, "%s: a block was charged twice", way_names[way]);
	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine);
}

static void resumes_mid_block_without_charging_twice(enum way way)
{
	resumes_in_the_middle_of_a_block(way, false);
	resumes_in_the_middle_of_a_block(way, true);
}

EACH_WAY(resumes_mid_block_without_charging_twice)

/* ---- write protection ------------------------------------------------------------------ */

static const char protected_store[] = "load_imm r1, 0x20000\n"
				      "load_ind_u64 r2, r1, 0\n"  /* reads the protected page */
				      "store_ind_u64 r3, r1, 8\n" /* 2: stores to it */
				      "load_imm r4, 0x40000\n"
				      "load_ind_u8 r5, r4, 0\n" HALT;

static void write_protection(enum way way, bool dynamic, bool cross_check)
{
	corral_engine *engine = engine_for(way, cross_check);
	corral_module *module = support_module(engine, protected_store, CORRAL_METERING_SYNC);
	corral_instance *instance = new_instance(module, 100, dynamic);
	corral_error error;
	uint8_t page[CORRAL_PAGE_SIZE];
	memset(page, 0x11, sizeof page);
	map_bytes(instance, 0x20000, page, sizeof page, CORRAL_PAGE_WRITE);
	map(instance, 0x40000, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	corral_instance_set_reg(instance, 3, 0xABCDEF);
	protect(instance, 0x20000, true);
	cr_assert(corral_instance_page_protected(instance, 0x20000));
	cr_assert_eq(corral_instance_page_access(instance, 0x20000), CORRAL_PAGE_WRITE);

	/* Only read-write pages can be protected, and only whole ones. */
	cr_assert_eq(corral_instance_protect(instance, 0x40000, CORRAL_PAGE_SIZE, true, &error), CORRAL_ERROR_ARGUMENT);
	cr_assert(strstr(error.message, "page 0x40000 is read-only"), "%s", error.message);
	cr_assert_eq(corral_instance_protect(instance, 0x50000, CORRAL_PAGE_SIZE, true, &error), CORRAL_ERROR_ARGUMENT);
	cr_assert(strstr(error.message, "page 0x50000 is not mapped"), "%s", error.message);
	cr_assert_eq(corral_instance_protect(instance, 0x20001, CORRAL_PAGE_SIZE, true, &error), CORRAL_ERROR_ARGUMENT);

	/* It reads; the store stops, flagged, and stores nothing. */
	expect_fault(way, corral_instance_run(instance), pc_of(module, 2), 0x20000, true);
	cr_assert_eq(corral_instance_reg(instance, 2), 0x1111111111111111ull);
	uint64_t word;
	read_bytes(instance, 0x20008, &word, sizeof word);
	cr_assert_eq(word, 0x1111111111111111ull, "%s: the protected store went through", way_names[way]);
	/* The embedder still writes it; the guest still stops. */
	uint8_t byte = 0x22;
	cr_assert_eq(corral_instance_write(instance, 0x20010, &byte, 1, &error), CORRAL_OK, "%s", error.message);
	expect_fault(way, corral_instance_run(instance), pc_of(module, 2), 0x20000, true);

	protect(instance, 0x20000, false);
	cr_assert(!corral_instance_page_protected(instance, 0x20000));
	corral_interrupt stop = corral_instance_run(instance);
	cr_assert_eq(stop.kind, CORRAL_FINISHED, "%s: %s", way_names[way], corral_interrupt_name(stop.kind));
	read_bytes(instance, 0x20008, &word, sizeof word);
	cr_assert_eq(word, 0xABCDEF);
	read_bytes(instance, 0x20010, &byte, 1);
	cr_assert_eq(byte, 0x22);
	cr_assert_null(corral_instance_divergence(instance));

	/* Mapping a page again clears its protection. */
	protect(instance, 0x20000, true);
	map(instance, 0x20000, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	cr_assert(!corral_instance_page_protected(instance, 0x20000));

	/* A store to a read-only page still panics. */
	corral_instance_set_pc(instance, 0);
	corral_instance_set_reg(instance, 1, 0);
	map(instance, 0x20000, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	stop = corral_instance_run(instance);
	cr_assert_eq(stop.kind, CORRAL_TRAP, "%s: a store to a read-only page: %s", way_names[way],
		     corral_interrupt_name(stop.kind));
	cr_assert_eq(stop.pc, pc_of(module, 2));
	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine);
}

static void protected_pages_fault_flagged(enum way way)
{
	write_protection(way, true, false);
}

EACH_WAY(protected_pages_fault_flagged)

/* The same with page protections only (no dynamic paging), and with the
 * interpreter checking every step of the compiled code. */
static void protected_pages_fault_flagged_without_dynamic_paging(enum way way)
{
	write_protection(way, false, false);
}

EACH_WAY(protected_pages_fault_flagged_without_dynamic_paging)

Test(paging, protected_pages_agree_in_a_cross_check)
{
	write_protection(JIT, true, true);
}

/* ---- freeing and faulting again ----------------------------------------------------------- */

static const char load_then_store[] = "load_imm r1, 0x50000\n"
				      "load_ind_u64 r2, r1, 16\n" /* 1: faults */
				      "store_ind_u64 r3, r1, 16\n" HALT;

static void freed_pages_fault_again_and_read_zero(enum way way)
{
	corral_engine *engine = engine_for(way, false);
	corral_module *module = support_module(engine, load_then_store, CORRAL_METERING_SYNC);
	corral_instance *instance = new_instance(module, 100, true);
	corral_instance_set_reg(instance, 3, 0xFEEDFACECAFEBEEFull);
	expect_fault(way, corral_instance_run(instance), pc_of(module, 1), 0x50000, false);
	map(instance, 0x50000, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	cr_assert_eq(corral_instance_run(instance).kind, CORRAL_FINISHED);
	cr_assert_eq(corral_instance_reg(instance, 2), 0, "%s: a fresh page read 0x%llx", way_names[way],
		     (unsigned long long)corral_instance_reg(instance, 2));

	/* Freed, it is gone for the embedder and the guest alike. */
	map(instance, 0x50000, CORRAL_PAGE_SIZE, CORRAL_PAGE_NONE);
	cr_assert_eq(corral_instance_page_access(instance, 0x50000), CORRAL_PAGE_NONE);
	uint64_t word;
	corral_error error;
	cr_assert_eq(corral_instance_read(instance, 0x50010, &word, sizeof word, &error), CORRAL_ERROR_ACCESS);
	corral_instance_set_pc(instance, 0);
	expect_fault(way, corral_instance_run(instance), pc_of(module, 1), 0x50000, false);
	map(instance, 0x50000, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	cr_assert_eq(corral_instance_run(instance).kind, CORRAL_FINISHED);
	cr_assert_eq(corral_instance_reg(instance, 2), 0, "%s: a freed page read 0x%llx when faulted in again",
		     way_names[way], (unsigned long long)corral_instance_reg(instance, 2));

	/* Filled from bytes, then freed, the same. */
	uint8_t ones[64];
	memset(ones, 0xFF, sizeof ones);
	map_bytes(instance, 0x50000, ones, sizeof ones, CORRAL_PAGE_WRITE);
	map(instance, 0x50000, CORRAL_PAGE_SIZE, CORRAL_PAGE_NONE);
	map(instance, 0x50000, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	read_bytes(instance, 0x50010, &word, sizeof word);
	cr_assert_eq(word, 0);
	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine);
}

EACH_WAY(freed_pages_fault_again_and_read_zero)

/* ---- 100,000 pages ----------------------------------------------------------------------- */

/* i = 1, 2, ...: page (i * K) mod 2^20 (K odd, so no page comes twice),
 * skipping the 16 below 64 KiB, gets i, until 100,000 have been. */
#define TOUCHED 100000u
#define K       0x9E3779B1u
static const char scatter[] = "load_imm r7, 0\n"
			      "load_imm r8, 0\n"
			      "load_imm r10, 100000\n"
			      "fallthrough\n"
			      "next:\n"
			      "add_imm_64 r7, r7, 1\n"
			      "mul_imm_64 r9, r7, -1640531535\n" /* K as a signed 32-bit immediate */
			      "and_imm r9, r9, 0xFFFFF\n"
			      "branch_lt_u_imm r9, 16, @next\n"
			      "shlo_l_imm_64 r9, r9, 12\n"
			      "store_ind_u32 r7, r9, 0\n"
			      "add_imm_64 r8, r8, 1\n"
			      "branch_lt_u r8, r10, @next\n" HALT;

/* What a process holds that a dropped instance must give back. */
struct footprint {
	int fds, memfds;
	long rss_kib;
};

static struct footprint footprint_of(pid_t pid)
{
	struct footprint now = {0};
	char path[64], target[128], line[256];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *dir = opendir(path);
	cr_assert(dir);
	struct dirent *entry;
	while ((entry = readdir(dir))) {
		if (entry->d_name[0] == '.')
			continue;
		char link[384];
		snprintf(link, sizeof link, "%s/%s", path, entry->d_name);
		ssize_t length = readlink(link, target, sizeof target - 1);
		target[length > 0 ? length : 0] = 0;
		now.fds++;
		now.memfds += !strncmp(target, "/memfd:", 7);
	}
	closedir(dir);
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *status = fopen(path, "r");
	cr_assert(status);
	while (fgets(line, sizeof line, status))
		sscanf(line, "VmRSS: %ld", &now.rss_kib);
	fclose(status);
	return now;
}

/* Runs the scatter program, mapping each page it faults on; returns how
 * many faults it took. */
static uint32_t run_scatter(enum way way, corral_instance *instance)
{
	uint32_t faults = 0;
	for (;;) {
		corral_interrupt stop = corral_instance_run(instance);
		if (stop.kind != CORRAL_PAGE_FAULT) {
			cr_assert_eq(stop.kind, CORRAL_FINISHED, "%s: %s at pc %u after %u faults (%s)", way_names[way],
				     corral_interrupt_name(stop.kind), stop.pc, faults,
				     corral_instance_divergence(instance) ? corral_instance_divergence(instance) : "");
			return faults;
		}
		cr_assert(!stop.write_protected);
		map(instance, stop.address, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
		faults++;
	}
}

static void touches_100000_scattered_pages_and_leaks_nothing(enum way way)
{
	corral_engine *engine = engine_for(way, false);
	corral_module *module = support_module(engine, scatter, CORRAL_METERING_SYNC);
	/* A first small instance makes what lasts the process (the sandbox's
	 * event loop, the probe of this process's userfaultfd) and the module
	 * (its page-checking code, compiled on the first run to a fault). */
	corral_instance *instance = new_instance(module, INT64_MAX, true);
	map(instance, 0x10000, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	cr_assert_eq(corral_instance_run(instance).kind, CORRAL_PAGE_FAULT);
	/* Compiled code with page protections needs a mapping per page, and
	 * 100,000 scattered ones pass vm.max_map_count. */
	bool scales = way == INTERP || corral_instance_paging(instance) == CORRAL_PAGING_USERFAULTFD;
	corral_instance_free(instance);
	if (!scales) {
		corral_module_free(module);
		corral_engine_free(engine);
		cr_skip_test("%s cannot page with userfaultfd here (corral check says why)", way_names[way]);
	}
	struct footprint before = footprint_of(getpid());

	instance = new_instance(module, INT64_MAX, true);
	pid_t zygote = instance->worker ? instance->worker->process.pid : 0;
	int guest_fd = instance->worker ? instance->worker->process.guest_fd : -1;
	struct footprint zygote_before = zygote ? footprint_of(zygote) : (struct footprint){0};
	struct timespec start, end;
	clock_gettime(CLOCK_MONOTONIC, &start);
	uint32_t faults = run_scatter(way, instance);
	clock_gettime(CLOCK_MONOTONIC, &end);
	cr_log_info("%s: %u pages faulted in and mapped in %.2f s (%s)", way_names[way], faults,
		    (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9,
		    corral_instance_paging(instance) == CORRAL_PAGING_USERFAULTFD ? "userfaultfd" : "no userfaultfd");
	cr_assert_eq(faults, TOUCHED, "%s: %u faults", way_names[way], faults);
	cr_assert_eq(corral_instance_reg(instance, 8), TOUCHED);
	/* Every page holds its number. */
	uint32_t i = 0, seen = 0;
	while (seen < TOUCHED) {
		uint32_t page = (++i * K) & 0xFFFFF;
		if (page < 16)
			continue;
		seen++;
		if (seen % 997 && seen != TOUCHED)
			continue;
		uint32_t value;
		read_bytes(instance, page << 12, &value, sizeof value);
		cr_assert_eq(value, i, "%s: page 0x%x holds %u, not %u", way_names[way], page << 12, value, i);
	}
	if (zygote)
		cr_assert_gt(footprint_of(zygote).rss_kib, zygote_before.rss_kib + 300000,
			     "%s: the zygote holds the pages", way_names[way]);
	corral_instance_free(instance);

	struct footprint after = footprint_of(getpid());
	cr_assert_eq(after.fds, before.fds, "%s: %d fds before, %d after", way_names[way], before.fds, after.fds);
	cr_assert_eq(after.memfds, before.memfds, "%s: %d memfds before, %d after", way_names[way], before.memfds,
		     after.memfds);
	cr_assert_lt(after.rss_kib, before.rss_kib + 16384, "%s: RSS %ld KiB before, %ld KiB after", way_names[way],
		     before.rss_kib, after.rss_kib);
	if (zygote) {
		/* The worker went back to the pool wiped: its memfd is empty
		 * and the zygote is as small as it was. */
		struct stat file;
		cr_assert_eq(fstat(guest_fd, &file), 0);
		cr_assert_eq(file.st_blocks, 0, "%s: the worker's guest memfd still holds %lld blocks", way_names[way],
			     (long long)file.st_blocks);
		struct footprint zygote_after = footprint_of(zygote);
		cr_assert_lt(zygote_after.rss_kib, zygote_before.rss_kib + 1024,
			     "the zygote: RSS %ld KiB before, %ld after", zygote_before.rss_kib, zygote_after.rss_kib);
		cr_assert_eq(zygote_after.fds, zygote_before.fds);
	}
	corral_module_free(module);
	corral_engine_free(engine);
}

EACH_WAY(touches_100000_scattered_pages_and_leaks_nothing, .timeout = 120)

/* ---- the mechanism ------------------------------------------------------------------------- */

static int mappings_between(pid_t pid, uint64_t low, uint64_t high)
{
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	FILE *maps = fopen(path, "r");
	cr_assert(maps, "cannot open %s", path);
	int count = 0;
	unsigned long long start, end;
	while (fgets(line, sizeof line, maps))
		if (sscanf(line, "%llx-%llx", &start, &end) == 2 && start >= low && end <= high)
			count++;
	fclose(maps);
	return count;
}

/* 2,000 pages, every other one, mapped read-write and read-only by turns. */
static void map_scattered(corral_instance *instance)
{
	for (uint32_t i = 0; i < 2000; i++)
		map(instance, 0x100000 + i * 2 * CORRAL_PAGE_SIZE, CORRAL_PAGE_SIZE,
		    i % 2 ? CORRAL_PAGE_READ : CORRAL_PAGE_WRITE);
}

Test(paging, compiled_code_pages_with_userfaultfd_in_one_mapping)
{
	if (!host_feature_available(HOST_FEATURE_USERFAULTFD))
		cr_skip_test("userfaultfd cannot page here (corral check says why)");
	corral_engine *engine = engine_for(JIT, false);
	corral_module *module = support_module(engine, HALT, CORRAL_METERING_SYNC);
	corral_instance *instance = new_instance(module, 10, true);
	cr_assert_eq(corral_instance_paging(instance), CORRAL_PAGING_USERFAULTFD);
	int mappings = mappings_between(getpid(), 0, UINT64_MAX);
	map_scattered(instance);
	cr_assert_eq(mappings_between(getpid(), 0, UINT64_MAX), mappings, "mapping pages split the view");
	corral_instance_free(instance);
	instance = new_instance(module, 10, false);
	cr_assert_eq(corral_instance_paging(instance), CORRAL_PAGING_MPROTECT);
	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine);

	engine = engine_for(INTERP, false);
	module = support_module(engine, HALT, CORRAL_METERING_SYNC);
	instance = new_instance(module, 10, true);
	cr_assert_eq(corral_instance_paging(instance), CORRAL_PAGING_TABLE);
	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine);
}

Test(paging, the_sandbox_pages_with_the_zygotes_userfaultfd_in_one_mapping)
{
	corral_engine *engine = engine_for(SANDBOX, false);
	corral_module *module = support_module(engine, HALT, CORRAL_METERING_SYNC);
	corral_instance *instance = new_instance(module, 10, true);
	struct host_worker *process = &instance->worker->process;
	if (process->uffd < 0) {
		int why = process->uffd_errno;
		corral_instance_free(instance);
		corral_module_free(module);
		corral_engine_free(engine);
		cr_skip_test("the zygote could make no userfaultfd: %s", strerror(why));
	}
	cr_assert_eq(corral_instance_paging(instance), CORRAL_PAGING_USERFAULTFD);
	char path[64], target[64] = {0};
	snprintf(path, sizeof path, "/proc/self/fd/%d", process->uffd);
	cr_assert_gt(readlink(path, target, sizeof target - 1), 0);
	cr_assert_str_eq(target, "anon_inode:[userfaultfd]");
	/* The zygote kept none: its only fd is its channel. */
	cr_assert_eq(footprint_of(process->pid).fds, 1);
	map_scattered(instance);
	cr_assert_eq(corral_instance_run(instance).kind, CORRAL_FINISHED);
	cr_assert_eq(mappings_between(process->pid, ZYGOTE_GUEST_LOW, ZYGOTE_GUEST_END), 1,
		     "guest memory is split into several mappings in the zygote");
	pid_t pid = process->pid;
	corral_instance_free(instance);

	/* The same worker, without dynamic paging: page protections again,
	 * and no page of the last instance. */
	instance = new_instance(module, 10, false);
	cr_assert_eq(instance->worker->process.pid, pid, "the pool gave another worker");
	cr_assert_eq(corral_instance_paging(instance), CORRAL_PAGING_MPROTECT);
	cr_assert_eq(corral_instance_page_access(instance, 0x100000), CORRAL_PAGE_NONE);
	map(instance, 0x100000, CORRAL_PAGE_SIZE, CORRAL_PAGE_READ);
	uint64_t word;
	read_bytes(instance, 0x100000, &word, sizeof word);
	cr_assert_eq(word, 0);
	cr_assert_eq(corral_instance_run(instance).kind, CORRAL_FINISHED);
	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine);
}

/* ---- a zygote that dies with a fault pending ------------------------------------------------ */

Test(paging, a_zygote_that_dies_while_its_fault_is_served_aborts_the_next_run, .timeout = 30)
{
	corral_engine *engine = engine_for(SANDBOX, false);
	corral_module *module = support_module(engine, load_then_store, CORRAL_METERING_SYNC);
	corral_instance *instance = new_instance(module, 100, true);
	expect_fault(SANDBOX, corral_instance_run(instance), pc_of(module, 1), 0x50000, false);
	pid_t pid = instance->worker->process.pid;
	cr_assert_eq(kill(pid, SIGKILL), 0);
	/* Dead, its memory is gone: serving the fault fails (at once), or
	 * finds nothing left to fail on. */
	for (int i = 0; i < 200 && kill(pid, 0) == 0 && !host_worker_exited(&instance->worker->process); i++)
		usleep(1000);
	corral_error error;
	struct timespec start, end;
	clock_gettime(CLOCK_MONOTONIC, &start);
	corral_result mapped = corral_instance_map(instance, 0x50000, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE, &error);
	if (mapped != CORRAL_OK)
		cr_assert(strstr(error.message, "No such process") && strstr(error.message, "has exited"), "%s",
			  error.message);
	corral_interrupt stop = corral_instance_run(instance);
	clock_gettime(CLOCK_MONOTONIC, &end);
	cr_assert_eq(stop.kind, CORRAL_ABORTED, "%s", corral_interrupt_name(stop.kind));
	cr_assert(corral_instance_aborted(instance));
	const char *why = corral_instance_divergence(instance);
	cr_assert(why && strstr(why, "died") && strstr(why, "SIGKILL"), "%s", why ? why : "(no reason)");
	cr_assert_lt(end.tv_sec - start.tv_sec, 5, "serving the fault and aborting took %ld s",
		     (long)(end.tv_sec - start.tv_sec));
	cr_assert_eq(corral_instance_run(instance).kind, CORRAL_ABORTED);
	corral_instance_free(instance);

	/* The engine carries on with a new worker. */
	instance = new_instance(module, 100, true);
	expect_fault(SANDBOX, corral_instance_run(instance), pc_of(module, 1), 0x50000, false);
	map(instance, 0x50000, CORRAL_PAGE_SIZE, CORRAL_PAGE_WRITE);
	cr_assert_eq(corral_instance_run(instance).kind, CORRAL_FINISHED);
	corral_instance_free(instance);
	corral_module_free(module);
	corral_engine_free(engine);
}

/* ---- standard programs ------------------------------------------------------------------------ */

/* A JAM standard program (GP A.7) with a little ro and rw data and a
 * stack, whose code halts. */
static uint8_t *standard_program(size_t *length)
{
	size_t code_length;
	uint8_t *code = support_assemble(HALT, &code_length);
	static const uint8_t ro[] = "RO", rw[] = "RW";
	uint8_t *bytes = calloc(1, 32 + code_length), *at = bytes;
	cr_assert(bytes);
	uint32_t fields[] = {sizeof ro, sizeof rw};
	for (size_t i = 0; i < 2; i++, at += 3)
		memcpy(at, &fields[i], 3);
	*at++ = 0, *at++ = 0; /* no heap pages */
	uint32_t stack = 4096;
	memcpy(at, &stack, 3), at += 3;
	memcpy(at, ro, sizeof ro), at += sizeof ro;
	memcpy(at, rw, sizeof rw), at += sizeof rw;
	uint32_t code_size = (uint32_t)code_length;
	memcpy(at, &code_size, 4), at += 4;
	memcpy(at, code, code_length), at += code_length;
	free(code);
	*length = (size_t)(at - bytes);
	return bytes;
}

static void standard_programs_start_with_nothing_mapped(enum way way)
{
	corral_engine *engine = engine_for(way, false);
	size_t length;
	uint8_t *bytes = standard_program(&length);
	corral_module_config config;
	corral_module_config_init(&config);
	config.format = CORRAL_FORMAT_JAM;
	corral_module *module;
	corral_error error;
	cr_assert_eq(corral_module_new(engine, bytes, length, "standard", &config, &module, &error), CORRAL_OK, "%s",
		     error.message);
	free(bytes);
	corral_instance *laid_out = new_instance(module, 10, false), *paged = new_instance(module, 10, true);
	cr_assert_eq(corral_instance_page_access(laid_out, 0x10000), CORRAL_PAGE_READ);
	cr_assert_eq(corral_instance_page_access(paged, 0x10000), CORRAL_PAGE_NONE);
	for (unsigned i = 0; i < CORRAL_REGISTER_COUNT; i++)
		cr_assert_eq(corral_instance_reg(paged, i), corral_instance_reg(laid_out, i), "r%u differs", i);
	for (uint64_t page = 0; page < (1ull << 32); page += CORRAL_PAGE_SIZE)
		cr_assert_eq(corral_instance_page_access(paged, (uint32_t)page), CORRAL_PAGE_NONE, "page 0x%llx",
			     (unsigned long long)page);
	/* sbrk still starts where the layout's heap ends. */
	cr_assert_eq(corral_instance_sbrk(paged, 0), corral_instance_sbrk(laid_out, 0));
	corral_instance_free(laid_out);
	corral_instance_free(paged);
	corral_module_free(module);
	corral_engine_free(engine);
}

EACH_WAY(standard_programs_start_with_nothing_mapped)
