/* What the two halves of the linker share: link.c reads the ELF, lays out
 * data and resolves addresses; lower.c turns each RISC-V instruction into
 * PVM instructions. */
#ifndef LOADER_LINK_INTERNAL_H
#define LOADER_LINK_INTERNAL_H

#include <stdbool.h>

#include "loader/builder.h"
#include "loader/elf.h"
#include "loader/link.h"
#include "loader/riscv.h"

enum code_flag {
	CODE_BRANCH_TARGET = 1 << 0, /* a jump or branch lands here: a block must start */
	CODE_TAKEN = 1 << 1,         /* its address is a value somewhere: it needs a jump-table entry */
	CODE_CALL_HI = 1 << 2,       /* the auipc of an auipc + jalr call: emits nothing */
	CODE_CALL_LO = 1 << 3,       /* the jalr of such a call: `target` is the callee */
	CODE_HI_TO_CODE = 1 << 4,    /* lui/auipc of a code address: `target` is that address */
};

struct code_inst {
	uint64_t address;
	struct riscv_inst inst;
	uint32_t flags;
	uint32_t label; /* BUILDER_NO_LABEL until something refers to it */
	uint64_t target;
};

/* A host call the guest declared with CORRAL_IMPORT. */
struct link_import {
	uint32_t number;
	const char *name;
	bool used;
	uint32_t index; /* in a .polkavm container's import list */
};

struct link_export {
	const char *name;
	uint64_t address;
	uint32_t label;
};

struct linker {
	const struct link_options *options;
	struct pvm_error *error;
	uint32_t stack_size; /* the option's, or the program's own */
	struct elf_file elf;

	struct code_inst *code; /* every instruction of every code section, by address */
	size_t code_count;
	uint64_t code_start, code_end;

	uint64_t *taken; /* sorted code addresses that need jump-table entries */
	size_t taken_count;
	uint32_t end_label; /* where a return address past the last instruction leads */
	bool end_used;

	struct link_import *imports;
	size_t import_count;
	struct link_export *exports;
	size_t export_count;

	struct builder builder;
	bool last_terminates; /* the last PVM instruction emitted ends a block */
	uint32_t emitted;
};

/* Fails the link with a message about the instruction at code[index]:
 * "function+offset (address): 'instruction': what". */
int link_fail_at(struct linker *linker, size_t index, const char *format, ...) __attribute__((format(printf, 3, 4)));
int link_fail(struct linker *linker, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* The instruction starting exactly at address, or -1. */
int64_t link_find_code(const struct linker *linker, uint64_t address);
/* The label of code[index], made on first use. */
uint32_t link_label(struct linker *linker, size_t index);
/* The jump-table address (2 * (entry + 1)) of a taken code address. */
uint64_t link_jump_address(const struct linker *linker, uint64_t address);
/* The label a jump-table entry or return address for `address` leads to. */
uint32_t link_label_at(struct linker *linker, uint64_t address);

/* Appends one PVM instruction (target_label: BUILDER_NO_LABEL or the label
 * its static target goes to). */
int link_emit(struct linker *linker, const struct pvm_inst *inst, uint32_t target_label);

/* Translates code[index], and the instruction after it when the two become
 * one (*consumed says how many were used). */
int lower_instruction(struct linker *linker, size_t index, size_t *consumed);

#endif
