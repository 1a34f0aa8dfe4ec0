/* PVM code under construction: instructions, labels and jump-table entries
 * appended in order, then laid out, encoded and written as a raw program
 * blob (GP A.2). The assembler (loader/asm.c) and the RISC-V linker both
 * build their code here.
 *
 * A jump or branch offset takes 0 to 4 bytes (GP A.5), so where a target
 * lands depends on how long the offsets before it are, and how long an
 * offset must be depends on where its target lands. builder_finish settles
 * this in rounds over the items and gives every offset the fewest bytes it
 * can have (see lay_out in builder.c). Labels are plain indices, so a round
 * is linear in the items.
 *
 *	struct builder b;
 *	builder_init(&b, PVM_ISA_GP07);
 *	uint32_t loop = builder_new_label(&b);
 *	builder_place_label(&b, loop);
 *	builder_append(&b, &(struct pvm_inst){.op = PVM_OP_JUMP}, loop);
 *	builder_finish(&b, &blob, &length, &error);
 *	builder_release(&b); */
#ifndef LOADER_BUILDER_H
#define LOADER_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "core/decode.h"

#define BUILDER_NO_LABEL UINT32_MAX

struct builder_item;
struct builder_label;
struct builder_entry;
struct builder_assertion;

struct builder {
	/* Settings: the caller may change them until builder_finish. */
	enum pvm_isa isa;
	uint64_t tag;             /* copied into what is appended; an error names the tag at fault */
	unsigned jump_entry_size; /* bytes per jump-table entry, 1..8; 0: the fewest that hold them all */
	/* The rest is the builder's own. */
	struct builder_item *items;
	size_t item_count, item_capacity;
	struct builder_label *labels;
	size_t label_count, label_capacity;
	struct builder_entry *entries;
	size_t entry_count, entry_capacity;
	struct builder_assertion *assertions;
	size_t assertion_count, assertion_capacity;
	uint8_t *bytes; /* the bytes of explicit encodings and of byte items */
	size_t byte_count, byte_capacity;
	unsigned rounds; /* how many layout rounds builder_finish took */
};

struct builder_error {
	size_t item;    /* the item at fault (the item count: the end of the code), or SIZE_MAX */
	size_t entry;   /* the jump-table entry at fault, or SIZE_MAX */
	uint32_t label; /* the label at fault, or BUILDER_NO_LABEL */
	uint64_t tag;   /* the tag of that item, entry or offset assertion */
	char message[256];
};

void builder_init(struct builder *builder, enum pvm_isa isa);
void builder_release(struct builder *builder);

/* A new label, not yet placed; BUILDER_NO_LABEL when out of memory. */
uint32_t builder_new_label(struct builder *builder);
/* Places the label at the next item appended, or at the end of the code if
 * none follows. -1 when it is placed already or no such label exists. */
int builder_place_label(struct builder *builder, uint32_t label);

/* Appends an instruction (inst->pc and inst->next are ignored). An
 * instruction with a static target (jump, branch_*, load_imm_jump) goes to
 * `target_label`'s final offset, or, given BUILDER_NO_LABEL, to the absolute
 * offset already in its target field (imm_y for load_imm_jump and
 * branch_*_imm, else imm_x). Fields the instruction does not have must be 0:
 * builder_finish compares what was appended with what decodes. Returns 0,
 * or -1 when out of memory, when the label does not exist, or when a label
 * is given to an instruction with no static target. */
int builder_append(struct builder *builder, const struct pvm_inst *inst, uint32_t target_label);
/* The same, written as exactly these 1 to 25 bytes, which must decode to
 * `inst` where they land (builder_finish checks). Its offset never grows. */
int builder_append_encoded(struct builder *builder, const struct pvm_inst *inst, uint32_t target_label,
			   const uint8_t *bytes, size_t length);
/* Bytes in the code that no instruction starts in. */
int builder_append_bytes(struct builder *builder, const uint8_t *bytes, size_t length);

/* Appends a jump-table entry holding the label's final offset. */
int builder_jump_entry(struct builder *builder, uint32_t label);
/* Appends a jump-table entry holding `value`, any natural number that fits
 * the entry size (it need not be a code offset). */
int builder_jump_entry_value(struct builder *builder, uint64_t value);

/* Asks builder_finish to check that the next item appended, or the end of
 * the code if none follows, lands at `offset`. */
int builder_assert_offset(struct builder *builder, uint64_t offset);

/* Lays out, encodes with pvm_encode, builds the raw program blob
 * (E(|j|) E1(z) E(|c|) Ez(j) c k) and checks that it decodes back to what was
 * appended. *blob is malloc'd. On failure returns -1 with the reason and
 * where: a label used but never placed, an instruction that does not encode,
 * an offset assertion that does not hold, a jump-table entry that does not
 * fit its size, explicit bytes that decode to something else. Call it once. */
int builder_finish(struct builder *builder, uint8_t **blob, size_t *length, struct builder_error *error);

/* After builder_finish: where a label or an item landed. A label never
 * placed gives UINT32_MAX. */
uint32_t builder_label_offset(const struct builder *builder, uint32_t label);
uint32_t builder_item_offset(const struct builder *builder, size_t item);
size_t builder_item_count(const struct builder *builder);

#endif
