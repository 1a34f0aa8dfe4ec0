/* corral-bench: the speed figures `make bench` prints.
 *
 * Every figure is measured here and now with CLOCK_MONOTONIC and printed;
 * none is compared with a threshold. What the bench does check, and stops
 * on, is that every program it times computed the right answer: a fast wrong
 * interpreter must not report a figure. */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "corral.h"

/* ---- the run as a whole (main.c, machine.c) --------------------------- */

/* Prints "corral-bench: FAILED: ..." on stderr and exits with status 1. */
void bench_fail(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

/* The lines that open and close the output: what machine, how loaded. */
void bench_print_header(void);
void bench_print_footer(double elapsed_seconds);

/* ---- measuring (samples.c) -------------------------------------------- */

/* Seconds on CLOCK_MONOTONIC from an arbitrary origin. */
double bench_now(void);

#define BENCH_RUNS 5
/* A figure cheap enough to take many samples of (a compile) takes up to
 * this many. */
#define BENCH_MAX_SAMPLES 64

struct bench_samples {
	double seconds[BENCH_MAX_SAMPLES];
	unsigned count;
};

struct bench_summary {
	double best;   /* the fastest sample */
	double median; /* of the samples */
	double spread; /* (slowest - fastest) / median */
};

void bench_samples_add(struct bench_samples *samples, double seconds);
void bench_summarize(const struct bench_samples *samples, struct bench_summary *summary);

/* ---- the programs the interpreter is timed on (loops.c) --------------- */

/* Where loops with data find their read-write pages. */
#define BENCH_DATA_ADDRESS 0x20000u

/* What a loop leaves behind that the bench checks. */
struct bench_outcome {
	uint64_t value;       /* the loop's result register */
	uint64_t memory_hash; /* bench_hash of its data pages; 0 without any */
};

struct bench_loop {
	const char *name;
	const char *what;   /* the instructions it exercises, for the reader */
	const char *source; /* PVM assembly; r7 holds the count on entry */
	unsigned result_register;
	uint32_t data_pages; /* mapped read-write at BENCH_DATA_ADDRESS */
	/* A count that runs about 100k instructions: the single-step cross
	 * check uses it, and calibration starts from a hundred times it. */
	uint64_t small_count;
	/* The same computation in C. */
	void (*reference)(uint64_t count, struct bench_outcome *expected);
};

extern const struct bench_loop bench_loops[];
extern const unsigned bench_loop_count;

/* FNV-1a, 64-bit. */
uint64_t bench_hash(const void *bytes, size_t length);

/* ---- the sections (interp_speed.c, decode_speed.c) -------------------- */

void bench_interp_speed(void);
void bench_decode_speed(void);
void bench_gas_speed(void);
void bench_guest_speed(const char *folder, const char *corral);
/* With the folder of built guests (or NULL), their execution too. */
void bench_sandbox_speed(const char *guests);
/* Dynamic paging: page-fault service latency and pages per second. */
void bench_paging_speed(void);
void bench_audit_speed(void);
/* The validation pipeline, with the folder of built guests (or NULL). */
void bench_pvf_speed(const char *guests);

/* A whole file, malloc'd; stops the bench if it cannot be read. */
uint8_t *bench_read_file(const char *path, size_t *length);

#endif
