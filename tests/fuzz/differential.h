/* Running one program every way corral can and comparing everything: the
 * check that fuzz_exec (any raw blob; the interpreter's two ways) and
 * fuzz_diff (generated valid programs; every way) share. Only a harness
 * includes it, once.
 *
 * The ways: the interpreter straight through and single-stepped; the x86-64
 * compiler (JIT) with exact gas metering, straight through and
 * single-stepped; the JIT with asynchronous metering and with none; the JIT
 * under dynamic paging (its pages served through userfaultfd), in this
 * process and in the sandbox; the sandboxed JIT with async metering too;
 * and, for the programs a harness asks it for, the JIT in lock step with
 * the interpreter (the engine's cross_check). Each starts from the same
 * state (the pages below, filled with patterns, the registers below, a pc and a
 * budget), answers host calls the same way, serves page faults by mapping
 * the page, and must meet the same interrupts and end in the same state
 * (registers, pc, gas, memory) as the interpreter straight through, except
 * where a metering mode says otherwise:
 *   - async: where the interpreter never ran out of gas, everything is the
 *     same; where it did, the JIT ends out of gas too, after the same
 *     interrupts, with a negative balance (the overdraft);
 *   - off: only for runs that never ran out of gas on the interpreter (an
 *     unmetered loop would never end): the same, and the gas untouched.
 * Gas must never rise, and under exact metering never go below zero. */
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

struct page_spec {
	uint32_t address;
	corral_page_access access;
};

static const struct page_spec initial_pages[] = {
	/* 64 KiB up stays free: a raw blob's heap starts there, and sbrk
	 * grows it only over unmapped pages. */
	{0x20000, CORRAL_PAGE_WRITE},
	{0x21000, CORRAL_PAGE_WRITE},
	{0x30000, CORRAL_PAGE_READ},
	{0x31000, CORRAL_PAGE_READ},
};
#define INITIAL_PAGES (sizeof initial_pages / sizeof initial_pages[0])

/* Layouts of the top of the 4 GiB space, where accesses wrap round to
 * addresses below 64 KiB: the top pages unmapped (a fault maps them), or
 * mapped read-write or read-only, so that an access crossing 2^32 runs from
 * an allowed page into a forbidden one. */
#define TOP_LAYOUTS   4
#define MAX_TOP_PAGES 2
static const struct page_spec top_pages[TOP_LAYOUTS][MAX_TOP_PAGES] = {
	{{0, CORRAL_PAGE_NONE}, {0, CORRAL_PAGE_NONE}},
	{{0xFFFFF000, CORRAL_PAGE_WRITE}, {0, CORRAL_PAGE_NONE}},
	{{0xFFFFF000, CORRAL_PAGE_READ}, {0, CORRAL_PAGE_NONE}},
	{{0xFFFFE000, CORRAL_PAGE_READ}, {0xFFFFF000, CORRAL_PAGE_WRITE}},
};
#define MAX_PAGES (INITIAL_PAGES + MAX_TOP_PAGES + MAX_INTERRUPTS)

/* The halt address in r0 (where a JAM entry point returns to), a stack
 * pointer, and registers pointing into the mapped pages, at the top of the
 * address space and at jump-table address 2, so that loads, stores and
 * jumps go somewhere before the fuzzer learns to load addresses itself. */
static const uint64_t initial_regs[CORRAL_REGISTER_COUNT] = {
	0xFFFF0000, 0x22000, 0, 0xFFFFF000, (uint64_t)-8, 0, 0, 0x30000, 16, 0x20000, 2, 0x31000, UINT64_MAX,
};

/* How one run meters gas, for the invariants differential_run checks. */
enum differential_metering {
	METER_EXACT, /* the interpreter, and the JIT's sync metering */
	METER_ASYNC,
	METER_OFF,
};

struct machine {
	corral_instance *instance;
	unsigned layout;           /* the top pages: an index into top_pages */
	uint32_t pages[MAX_PAGES]; /* every page mapped, in the order it was */
	uint32_t page_count;
};

/* What a run met, bar single steps, and where it ended. */
struct trace {
	const char *way; /* for messages */
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

static void map_filled(struct machine *m, const struct page_spec *spec, unsigned seed)
{
	corral_error error;
	uint8_t fill[CORRAL_PAGE_SIZE];
	for (uint32_t b = 0; b < sizeof fill; b++)
		fill[b] = (uint8_t)(b * 31 + seed);
	map_page(m, spec->address, spec->access);
	if (corral_instance_write(m->instance, spec->address, fill, sizeof fill, &error))
		failed("cannot fill page 0x%x: %s", spec->address, error.message);
}

/* The same start for every run: only the initial pages and the layout's
 * top pages mapped, each filled with its own pattern, the initial
 * registers, the pc and the full budget. */
static void reset(struct machine *m, uint32_t pc, int64_t gas)
{
	corral_error error;
	for (uint32_t i = 0; i < m->page_count; i++)
		if (corral_instance_map(m->instance, m->pages[i], CORRAL_PAGE_SIZE, CORRAL_PAGE_NONE, &error))
			failed("cannot unmap page 0x%x: %s", m->pages[i], error.message);
	m->page_count = 0;
	for (uint32_t i = 0; i < INITIAL_PAGES; i++)
		map_filled(m, &initial_pages[i], i);
	for (uint32_t i = 0; i < MAX_TOP_PAGES; i++)
		if (top_pages[m->layout][i].access != CORRAL_PAGE_NONE)
			map_filled(m, &top_pages[m->layout][i], INITIAL_PAGES + i);
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

static void serve_page_fault(struct machine *m, uint32_t address, const char *way)
{
	if (address % CORRAL_PAGE_SIZE || address < 0x10000)
		failed("%s: a page fault at 0x%x, which no page starts at or may be mapped", way, address);
	if (corral_instance_page_access(m->instance, address) != CORRAL_PAGE_NONE)
		failed("%s: a page fault at 0x%x, which is mapped", way, address);
	if (m->page_count == MAX_PAGES)
		failed("%s: more page faults than there are interrupts", way);
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

static void differential_run(struct machine *m, bool single_step, enum differential_metering metering,
			     struct trace *trace)
{
	int64_t gas = corral_instance_gas(m->instance);
	uint32_t steps = 0;
	const char *way = trace->way;

	*trace = (struct trace){.way = way};
	corral_instance_set_single_step(m->instance, single_step);
	while (trace->count < MAX_INTERRUPTS) {
		corral_interrupt stop = corral_instance_run(m->instance);
		const char *divergence = corral_instance_divergence(m->instance);
		if (divergence)
			failed("%s: the compiled code and the interpreter differ (%s at pc %u): %s", way,
			       corral_interrupt_name(stop.kind), stop.pc, divergence);
		int64_t now = corral_instance_gas(m->instance);
		bool overdrawn = metering == METER_ASYNC && stop.kind == CORRAL_OUT_OF_GAS;
		if (now > gas || (now < 0 && !overdrawn) || (metering == METER_OFF && now != gas))
			failed("%s: gas went from %lld to %lld (%s at pc %u)", way, (long long)gas, (long long)now,
			       corral_interrupt_name(stop.kind), stop.pc);
		gas = now;
		if (stop.kind == CORRAL_STEP) {
			if (!single_step)
				failed("%s: a single-step interrupt at pc %u outside single-step mode", way, stop.pc);
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
			serve_page_fault(m, stop.address, way);
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

static bool ran_out_of_gas(const struct trace *trace)
{
	return trace->count && trace->interrupts[trace->count - 1].kind == CORRAL_OUT_OF_GAS;
}

static void compare_interrupts(const struct trace *a, const struct trace *b, uint32_t count)
{
	for (uint32_t i = 0; i < count && i < a->count && i < b->count; i++)
		if (!same_interrupt(&a->interrupts[i], &b->interrupts[i]))
			failed("interrupt %u: %s (0x%llx, 0x%x) at pc %u on %s, %s (0x%llx, 0x%x) at pc %u on %s", i,
			       corral_interrupt_name(a->interrupts[i].kind),
			       (unsigned long long)a->interrupts[i].host_call, a->interrupts[i].address,
			       a->interrupts[i].pc, a->way, corral_interrupt_name(b->interrupts[i].kind),
			       (unsigned long long)b->interrupts[i].host_call, b->interrupts[i].address,
			       b->interrupts[i].pc, b->way);
}

static void compare_registers(const struct trace *a, const struct trace *b)
{
	for (unsigned r = 0; r < CORRAL_REGISTER_COUNT; r++)
		if (a->regs[r] != b->regs[r])
			failed("r%u is 0x%llx on %s, 0x%llx on %s", r, (unsigned long long)a->regs[r], a->way,
			       (unsigned long long)b->regs[r], b->way);
}

/* `b` against the reference `a`. A single-stepped run may stop early; up
 * to there it must agree. With `compare_gas` false, gas is not compared. */
static void differential_compare(const struct trace *a, const struct trace *b, bool compare_gas)
{
	compare_interrupts(a, b, UINT32_MAX);
	if (a->cut_by_steps || b->cut_by_steps)
		return;
	if (b->count != a->count)
		failed("%u interrupts on %s, %u on %s", a->count, a->way, b->count, b->way);
	if (b->pc != a->pc || (compare_gas && b->gas != a->gas))
		failed("pc %u gas %lld on %s, pc %u gas %lld on %s", a->pc, (long long)a->gas, a->way, b->pc,
		       (long long)b->gas, b->way);
	compare_registers(a, b);
	if (b->memory != a->memory)
		failed("memory differs between %s and %s", a->way, b->way);
}

/* Async metering where the interpreter ran out: the same interrupts up to
 * the last, then out of gas with an overdraft. Where it stopped and what
 * it did after the budget ran out is not defined. */
static void differential_compare_overdraft(const struct trace *exact, const struct trace *async)
{
	compare_interrupts(exact, async, exact->count - 1);
	if (async->count != exact->count || !ran_out_of_gas(async))
		failed("%s ran out of gas after %u interrupts; %s stopped with %s after %u", exact->way, exact->count,
		       async->way, async->count ? corral_interrupt_name(async->interrupts[async->count - 1].kind) : "-",
		       async->count);
	if (async->gas >= 0)
		failed("%s ran out of gas but left %lld, not an overdraft", async->way, (long long)async->gas);
}

/* ---- engines and modules ---------------------------------------------- */

enum differential_engine {
	ENGINE_INTERP,
	ENGINE_JIT,
	ENGINE_CROSS_CHECK, /* the JIT in lock step with the interpreter */
	ENGINE_SANDBOX,     /* the JIT in a linux sandbox worker (absolute addressing) */
	ENGINE_COUNT,
};

/* One engine of each kind for the whole fuzzing run, made on first use. */
static corral_engine *differential_engine_of(enum differential_engine kind)
{
	static corral_engine *engines[ENGINE_COUNT];
	corral_error error;
	if (!engines[kind]) {
		corral_engine_config config;
		corral_engine_config_init(&config);
		config.backend = kind == ENGINE_INTERP ? CORRAL_BACKEND_INTERPRETER : CORRAL_BACKEND_JIT;
		config.sandbox = kind == ENGINE_SANDBOX ? CORRAL_SANDBOX_LINUX : CORRAL_SANDBOX_NONE;
		config.cross_check = kind == ENGINE_CROSS_CHECK;
		if (corral_engine_new(&config, &engines[kind], &error))
			failed("no engine: %s", error.message);
	}
	return engines[kind];
}

/* Whether the sandbox can run here; if not, said once and its way left out. */
static bool differential_sandbox_works(void)
{
	static int known; /* 0: not probed, 1: works, 2: does not */
	if (!known) {
		corral_engine_config config;
		corral_engine_config_init(&config);
		config.backend = CORRAL_BACKEND_JIT;
		config.sandbox = CORRAL_SANDBOX_LINUX;
		corral_engine *engine;
		corral_error error;
		known = corral_engine_new(&config, &engine, &error) == CORRAL_OK ? 1 : 2;
		if (known == 1)
			corral_engine_free(engine);
		else
			fprintf(stderr, "differential: the sandboxed JIT is left out: %s\n", error.message);
	}
	return known == 1;
}

static corral_engine *differential_engine(void)
{
	return differential_engine_of(ENGINE_INTERP);
}

/* A program and how to start it. */
struct differential_program {
	const uint8_t *bytes;
	size_t length;
	corral_module_config config; /* its metering is set per run */
	uint32_t pc;
	int64_t gas;
	unsigned layout; /* the top pages: below TOP_LAYOUTS */
	bool lock_step;  /* also run the JIT in lock step with the interpreter */
};

static corral_module *differential_module(const struct differential_program *program, enum differential_engine engine,
					  corral_gas_metering metering)
{
	corral_module_config config = program->config;
	corral_module *module;
	corral_error error;
	config.metering = metering;
	if (corral_module_new(differential_engine_of(engine), program->bytes, program->length, "input", &config,
			      &module, &error))
		failed("the interpreter took the program, the JIT (metering %d%s) refuses it: %s", (int)metering,
		       engine == ENGINE_CROSS_CHECK ? ", cross-checked" : "", error.message);
	return module;
}

/* One way: a fresh instance of `module` (under dynamic paging if
 * `paged`), reset, run. */
static void differential_way(const struct differential_program *program, corral_module *module, const char *way,
			     bool single_step, bool paged, enum differential_metering metering, struct trace *trace)
{
	corral_error error;
	struct machine m = {.layout = program->layout % TOP_LAYOUTS};
	corral_instance_config config;
	corral_instance_config_init(&config);
	config.dynamic_paging = paged;
	if (corral_instance_new(module, &config, &m.instance, &error))
		failed("%s: no instance for a valid module: %s", way, error.message);
	reset(&m, program->pc, program->gas);
	trace->way = way;
	differential_run(&m, single_step, metering, trace);
	corral_instance_free(m.instance);
}

/* The interpreter's two ways on a module already built (fuzz_exec): with
 * `comparable` false only each run's own invariants are checked. */
static void differential_check(corral_module *module, uint32_t pc, bool comparable)
{
	struct differential_program program = {.pc = pc, .gas = GAS};
	struct trace straight, stepped;
	differential_way(&program, module, "the interpreter", false, false, METER_EXACT, &straight);
	differential_way(&program, module, "the interpreter single-stepped", true, false, METER_EXACT, &stepped);
	if (comparable)
		differential_compare(&straight, &stepped, true);
}

/* Async metering, whose balance lives in rsp in the sandbox: as exact
 * metering where the interpreter never ran out, else an overdraft. */
static void differential_async(const struct differential_program *program, enum differential_engine kind,
			       const char *way, const struct trace *interp)
{
	struct trace async;
	corral_module *module = differential_module(program, kind, CORRAL_METERING_ASYNC);
	differential_way(program, module, way, false, false, METER_ASYNC, &async);
	corral_module_free(module);
	if (ran_out_of_gas(interp))
		differential_compare_overdraft(interp, &async);
	else
		differential_compare(interp, &async, true);
}

/* Runs the program every way and compares. Returns false, with `error`
 * filled, when the interpreter refuses the program (the caller decides
 * whether that is a bug). Every way gets an instance of its own, so sbrk's
 * heap top starts afresh in each. */
static bool differential_check_program(const struct differential_program *program, corral_error *error)
{
	corral_module *module;
	if (corral_module_new(differential_engine(), program->bytes, program->length, "input", &program->config,
			      &module, error))
		return false;
	struct trace interp, stepped, jit, other;
	differential_way(program, module, "the interpreter", false, false, METER_EXACT, &interp);
	differential_way(program, module, "the interpreter single-stepped", true, false, METER_EXACT, &stepped);
	corral_module_free(module);
	differential_compare(&interp, &stepped, true);

	module = differential_module(program, ENGINE_JIT, CORRAL_METERING_SYNC);
	differential_way(program, module, "the JIT", false, false, METER_EXACT, &jit);
	differential_way(program, module, "the JIT single-stepped", true, false, METER_EXACT, &other);
	differential_compare(&interp, &jit, true);
	differential_compare(&interp, &other, true);
	differential_way(program, module, "the JIT with dynamic paging", false, true, METER_EXACT, &other);
	corral_module_free(module);
	differential_compare(&interp, &other, true);

	differential_async(program, ENGINE_JIT, "the JIT with async metering", &interp);

	/* Unmetered, a loop the budget ended on the interpreter never ends. */
	if (!ran_out_of_gas(&interp)) {
		module = differential_module(program, ENGINE_JIT, CORRAL_METERING_OFF);
		differential_way(program, module, "the JIT without metering", false, false, METER_OFF, &other);
		corral_module_free(module);
		differential_compare(&interp, &other, false);
		if (other.gas != program->gas)
			failed("the JIT without metering charged gas: %lld of %lld left", (long long)other.gas,
			       (long long)program->gas);
	}

	if (differential_sandbox_works()) {
		module = differential_module(program, ENGINE_SANDBOX, CORRAL_METERING_SYNC);
		differential_way(program, module, "the JIT in the sandbox", false, false, METER_EXACT, &other);
		differential_compare(&interp, &other, true);
		differential_way(program, module, "the JIT in the sandbox with dynamic paging", false, true,
				 METER_EXACT, &other);
		corral_module_free(module);
		differential_compare(&interp, &other, true);
		differential_async(program, ENGINE_SANDBOX, "the JIT in the sandbox with async metering", &interp);
	}

	if (program->lock_step) {
		module = differential_module(program, ENGINE_CROSS_CHECK, CORRAL_METERING_SYNC);
		differential_way(program, module, "the JIT in lock step", false, false, METER_EXACT, &other);
		corral_module_free(module);
		differential_compare(&interp, &other, true);
	}
	return true;
}

#endif
