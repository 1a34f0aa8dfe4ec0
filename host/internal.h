/* What lies behind corral.h's opaque types, shared by the files of host/. */
#ifndef HOST_INTERNAL_H
#define HOST_INTERNAL_H

#include "core/alloc.h"
#include "core/interp.h"
#include "core/program.h"
#include "corral.h"
#include "loader/allocator.h"
#include "loader/container.h"

struct corral_engine {
	corral_engine_config config;
};

/* An import or export, its name copied out and NUL-terminated. */
struct host_symbol {
	char *name;
	uint32_t pc; /* exports */
};

struct corral_module {
	corral_engine *engine;
	uint8_t *bytes; /* our copy: the program borrows from it */
	size_t length;
	char *name;
	struct loader_program container;
	struct host_symbol *imports, *exports;
	size_t import_count, export_count;
	char *symbol_names; /* every symbol's name, one allocation */
	struct pvm_program program;
	struct pvm_interp_code interp;
	bool interp_ready;
	corral_isa isa;
};

/* Guest memory: a 4 GiB PROT_NONE reservation whose pages are opened with
 * mprotect as they are mapped, and one access byte per page for the core. */
struct host_memory {
	struct pvm_memory core;
};

struct corral_instance {
	corral_module *module;
	struct host_memory memory;
	struct pvm_state state;
	bool single_step;
};

/* Fills `error` (if any) and returns `code`. */
corral_result host_fail(corral_error *error, corral_result code, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

corral_result host_memory_init(struct host_memory *memory, corral_error *error);
void host_memory_free(struct host_memory *memory);
corral_result host_memory_set_access(struct host_memory *memory, uint32_t address, uint64_t length,
				     corral_page_access access, corral_error *error);
corral_result host_memory_copy(struct host_memory *memory, uint32_t address, void *buffer, size_t length, bool write,
			       corral_error *error);

#endif
