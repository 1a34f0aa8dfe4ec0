/* Running one program two ways and comparing everything: the check that
 * fuzz_exec (any raw blob) and fuzz_diff (generated valid programs) share.
 * Only a harness includes it, once.
 *
 * The ways today: the interpreter straight through, and single-stepped.
 * Each starts from the same state (the pages below, filled with patterns,
 * the registers below, a pc and GAS), answers host calls the same way,
 * serves page faults by mapping the page, and the two must meet the same
 * interrupts and end in the same state (registers, pc, gas, memory). Gas
 * must never rise or go below zero. */
#ifndef FUZZ_DIFFERENTIAL_H
#define FUZZ_DIFFERENTIAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corral.h"

/* The harness's name, for messages. */
static const char *differential_name = "fuzz";

#define GAS            10000
#define MAX_INTERRUPTS 64   /* host calls and page faults served in one run */
#define MAX_STEPS      1000 /* single-stepping stops here: each step is a call */
#define HOST_IO        256  /* bytes a host call reads from guest memory at most */

static const struct {
	uint32_t address;
	corral_page_access access;
} initial_pages[] = {
	/* 64 KiB up stays free: a raw blob's heap starts there, and sbrk
	 * grows it only over unmapped pages. */
	{0x20000, CORRAL_PAGE_WRITE},
	{0x21000, CORRAL_PAGE_WRITE},
	{0x30000, CORRAL_PAGE_READ},
	{0x31000, CORRAL_PAGE_READ},
};
#define INITIAL_PAGES (sizeof initial_pages / sizeof initial_pages[0])
#define MAX_PAGES     (INITIAL_PAGES + MAX_INTERRUPTS)

/* The halt address in r0 (where a JAM entry point returns to), a stack
 * pointer, and registers pointing into the mapped pages and at jump-table
 * address 2, so that loads, stores and jumps go somewhere before the fuzzer
 * learns to load addresses itself. */
static const uint64_t initial_regs[CORRAL_REGISTER_COUNT] = {
	0xFFFF0000, 0x22000, 0, 0, 0, 0, 0, 0x30000, 16, 0x20000, 2, 0x31000, UINT64_MAX,
};

struct machine {
	corral_instance *instance;
	uint32_t pages[MAX_PAGES]; /* every page mapped, in the order it was */
	uint32_t page_count;
};

/* What a run met, bar single steps, and where it ended. */
struct trace {
	corral_interrupt interrupts[MAX_INTERRUPTS];
	uint32_t count;
	bool cut_by_steps; /* stopped at MAX_STEPS rather than by itself */
	uint64_t regs[CORRAL_REGISTER_COUNT];
	uint32_t pc;
	int64_t gas;
	uint64_t memory; /* a hash of every mapped page */
};

static void failed(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

static void failed(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	fprintf(stderr, "%s: ", differential_name);
	vfprintf(stderr, format, args);
	fprintf(stderr, "\n");
	va_end(args);
	abort();
}

static void map_page(struct machine *m, uint32_t address, corral_page_access access)
{
	corral_error error;
	if (corral_instance_map(m->instance, address, CORRAL_PAGE_SIZE, access, &error))
		failed("cannot map page 0x%x: %s", address, error.message);
	m->pages[m->page_count++] = address;
}

/* The same start for both runs: only the initial pages mapped, each filled
 * with its own pattern, the initial registers, the pc and the full budget. */
static void reset(struct machine *m, uint32_t pc, int64_t gas)
{
	corral_error error;
	for (uint32_t i = 0; i < m->page_count; i++)
		if (corral_instance_map(m->instance, m->pages[i], CORRAL_PAGE_SIZE, CORRAL_PAGE_NONE, &error))
			failed("cannot unmap page 0x%x: %s", m->pages[i], error.message);
	m->page_count = 0;
	for (uint32_t i = 0; i < INITIAL_PAGES; i++) {
		uint8_t fill[CORRAL_PAGE_SIZE];
		for (uint32_t b = 0; b < sizeof fill; b++)
			fill[b] = (uint8_t)(b * 31 + i);
		map_page(m, initial_pages[i].address, initial_pages[i].access);
		if (corral_instance_write(m->instance, initial_pages[i].address, fill, sizeof fill, &error))
			failed("cannot fill page 0x%x: %s", initial_pages[i].address, error.message);
	}
	for (unsigned r = 0; r < CORRAL_REGISTER_COUNT; r++)
		corral_instance_set_reg(m->instance, r, initial_regs[r]);
	corral_instance_set_pc(m->instance, pc);
	corral_instance_set_gas(m->instance, gas);
}

/* An embedder's answer: read a buffer the guest names (r7, r8), write one
 * back where r9 points, return a value in r7. Failing accesses are the
 * guest's mistake and change nothing. */
static void answer_host_call(struct machine *m, uint64_t index)
{
	corral_instance *instance = m->instance;
	uint8_t buffer[HOST_IO] = {0};
	uint64_t length = corral_instance_reg(instance, 8);
	if (length > HOST_IO)
		length = HOST_IO;
	uint64_t sum = index;
	if (corral_instance_read(instance, (uint32_t)corral_instance_reg(instance, 7), buffer, length, NULL) ==
	    CORRAL_OK)
		for (uint64_t i = 0; i < length; i++)
			sum = sum * 31 + buffer[i];
	corral_instance_write(instance, (uint32_t)corral_instance_reg(instance, 9), &sum, sizeof sum, NULL);
	corral_instance_set_reg(instance, 7, sum);
}

static void serve_page_fault(struct machine *m, uint32_t address)
{
	if (address % CORRAL_PAGE_SIZE || address < 0x10000)
		failed("a page fault at 0x%x, which no page starts at or may be mapped", address);
	if (corral_instance_page_access(m->instance, address) != CORRAL_PAGE_NONE)
		failed("a page fault at 0x%x, which is mapped", address);
	map_page(m, address, CORRAL_PAGE_WRITE);
}

static uint64_t hash_memory(const struct machine *m)
{
	uint64_t hash = 14695981039346656037ull; /* FNV-1a */
	for (uint32_t i = 0; i < m->page_count; i++) {
		uint8_t page[CORRAL_PAGE_SIZE];
		corral_error error;
		if (corral_instance_read(m->instance, m->pages[i], page, sizeof page, &error))
			failed("cannot read page 0x%x back: %s", m->pages[i], error.message);
		for (uint32_t b = 0; b < sizeof page; b++)
			hash = (hash ^ page[b]) * 1099511628211ull;
	}
	return hash;
}

static void differential_run(struct machine *m, bool single_step, struct trace *trace)
{
	int64_t gas = corral_instance_gas(m->instance);
	uint32_t steps = 0;

	*trace = (struct trace){0};
	corral_instance_set_single_step(m->instance, single_step);
	while (trace->count < MAX_INTERRUPTS) {
		corral_interrupt stop = corral_instance_run(m->instance);
		int64_t now = corral_instance_gas(m->instance);
		if (now > gas || now < 0)
			failed("gas went from %lld to %lld (%s at pc %u)", (long long)gas, (long long)now,
			       corral_interrupt_name(stop.kind), stop.pc);
		gas = now;
		if (stop.kind == CORRAL_STEP) {
			if (!single_step)
				failed("a single-step interrupt at pc %u outside single-step mode", stop.pc);
			if (++steps == MAX_STEPS) {
				trace->cut_by_steps = true;
				break;
			}
			continue;
		}
		trace->interrupts[trace->count++] = stop;
		if (stop.kind == CORRAL_HOST_CALL)
			answer_host_call(m, stop.host_call);
		else if (stop.kind == CORRAL_PAGE_FAULT)
			serve_page_fault(m, stop.address);
		else
			break;
	}
	for (unsigned r = 0; r < CORRAL_REGISTER_COUNT; r++)
		trace->regs[r] = corral_instance_reg(m->instance, r);
	trace->pc = corral_instance_pc(m->instance);
	trace->gas = gas;
	trace->memory = hash_memory(m);
}

static bool same_interrupt(const corral_interrupt *a, const corral_interrupt *b)
{
	return a->kind == b->kind && a->pc == b->pc && a->host_call == b->host_call && a->address == b->address;
}

/* Single-stepping may stop early; up to there it must agree. */
static void differential_compare(const struct trace *straight, const struct trace *stepped)
{
	for (uint32_t i = 0; i < straight->count && i < stepped->count; i++)
		if (!same_interrupt(&straight->interrupts[i], &stepped->interrupts[i]))
			failed("interrupt %u: %s at pc %u straight through, %s at pc %u single-stepped", i,
			       corral_interrupt_name(straight->interrupts[i].kind), straight->interrupts[i].pc,
			       corral_interrupt_name(stepped->interrupts[i].kind), stepped->interrupts[i].pc);
	if (stepped->cut_by_steps)
		return;
	if (stepped->count != straight->count)
		failed("%u interrupts straight through, %u single-stepped", straight->count, stepped->count);
	if (stepped->pc != straight->pc || stepped->gas != straight->gas)
		failed("pc %u gas %lld straight through, pc %u gas %lld single-stepped", straight->pc,
		       (long long)straight->gas, stepped->pc, (long long)stepped->gas);
	for (unsigned r = 0; r < CORRAL_REGISTER_COUNT; r++)
		if (stepped->regs[r] != straight->regs[r])
			failed("r%u is 0x%llx straight through, 0x%llx single-stepped", r,
			       (unsigned long long)straight->regs[r], (unsigned long long)stepped->regs[r]);
	if (stepped->memory != straight->memory)
		failed("memory differs between running straight through and single-stepping");
}

/* One engine for the whole fuzzing run, made on first use. */
static corral_engine *differential_engine(void)
{
	static corral_engine *engine;
	corral_error error;
	if (!engine && corral_engine_new(NULL, &engine, &error))
		failed("no engine: %s", error.message);
	return engine;
}

/* Runs `module` from `pc` with `gas` both ways and compares (unless
 * `comparable` is false: a program with sbrk moves a heap top the API
 * cannot set back, so only its invariants are checked). */
static void differential_check_with_gas(corral_module *module, uint32_t pc, bool comparable, int64_t gas)
{
	corral_error error;
	struct machine m = {0};
	if (corral_instance_new(module, NULL, &m.instance, &error))
		failed("no instance for a valid module: %s", error.message);
	struct trace straight, stepped;
	reset(&m, pc, gas);
	differential_run(&m, false, &straight);
	reset(&m, pc, gas);
	differential_run(&m, true, &stepped);
	if (comparable)
		differential_compare(&straight, &stepped);
	corral_instance_free(m.instance);
}

static void differential_check(corral_module *module, uint32_t pc, bool comparable)
{
	differential_check_with_gas(module, pc, comparable, GAS);
}

#endif
