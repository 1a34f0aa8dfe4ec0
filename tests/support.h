/* Helpers shared by the Criterion tests: build programs from assembly text
 * or bytes, run them, find the vectors. Every helper fails the calling test
 * (cr_assert) instead of returning an error. */
#ifndef TESTS_SUPPORT_H
#define TESTS_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "corral.h"

struct machine {
	corral_engine *engine;
	corral_module *module;
	corral_instance *instance;
};

/* Assembles `source` (see loader/asm.h) into program bytes. */
uint8_t *support_assemble(const char *source, size_t *length);

/* A module and instance from program bytes, with `gas`; config may be NULL. */
void machine_from_bytes(struct machine *machine, const uint8_t *bytes, size_t length,
			const corral_module_config *config, int64_t gas);
/* The same from assembly text. */
void machine_from_source(struct machine *machine, const char *source, const corral_module_config *config, int64_t gas);
/* From an assembly file under tests/asm/. */
void machine_from_file(struct machine *machine, const char *name, const corral_module_config *config, int64_t gas);
void machine_free(struct machine *machine);

corral_interrupt machine_run(struct machine *machine);
uint64_t machine_reg(struct machine *machine, unsigned index);
void machine_map(struct machine *machine, uint32_t address, uint32_t length, corral_page_access access);

/* A value no test program writes: registers that should be left alone are
 * set to it first. */
#define UNTOUCHED 0x5EED5EED5EED5EEDull

/* Assembles GP 0.7 `source` (tests/raw_program.h's machine_from_asm), with
 * `gas`, and sets every register to UNTOUCHED. */
void machine_load_untouched(struct machine *machine, int64_t gas, const char *source);

/* The run stopped for `kind` at `pc`. */
void assert_stop(corral_interrupt stop, corral_interrupt_kind kind, uint32_t pc);

/* Tries to build a module; returns the result and fills error. */
corral_result module_try(const uint8_t *bytes, size_t length, const corral_module_config *config, corral_error *error);

/* $CORRAL_VECTORS, or NULL when it is not set or not a folder (tests then
 * skip, saying why). */
const char *support_vectors(void);
uint8_t *support_read_file(const char *path, size_t *length);

/* A GP 0.7 raw-blob module of `source` on `engine`, metered as asked, and
 * an instance of a module with `gas`: for tests that choose their engine. */
corral_module *support_module(corral_engine *engine, const char *source, corral_gas_metering metering);
corral_instance *support_instance(corral_module *module, int64_t gas);

/* Skips the calling test, saying why, where the linux sandbox cannot run
 * (no user namespaces, say); CI runs as root, where it always can. */
void support_require_sandbox(void);
/* Whether it can (why not, if not); tests that run other things too use
 * it to leave only the sandboxed part out. */
bool support_sandbox_works(const char **why);

#endif
