/* PVM code under construction: the layout loop for variable-length jump
 * offsets, the blob writer, and a last check that the blob decodes to
 * exactly what was appended. */
#include "loader/builder.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "core/disasm.h"
#include "core/encode.h"
#include "loader/array.h"

enum item_kind {
	ITEM_INSTRUCTION, /* encoded here, its offset as long as it needs */
	ITEM_ENCODED,     /* an instruction as the caller's bytes */
	ITEM_BYTES,       /* bytes no instruction starts in */
};

struct builder_item {
	struct pvm_inst inst; /* the layout fills in pc, and a label's offset as the target */
	uint64_t tag;
	size_t raw_at;  /* ITEM_ENCODED, ITEM_BYTES: where their bytes start in builder->bytes */
	uint32_t label; /* the target, or BUILDER_NO_LABEL */
	uint32_t offset;
	uint32_t size;
	uint8_t kind;
	uint8_t offset_length; /* bytes given to the jump offset: 0..4, and only ever more */
	uint8_t base_size;     /* ITEM_INSTRUCTION: the length with no offset bytes */
	bool relaxes;          /* ITEM_INSTRUCTION with a static target */
	uint8_t encoded[PVM_MAX_ENCODED];
};

#define UNPLACED UINT32_MAX

struct builder_label {
	uint32_t item; /* the item it precedes (the item count: the end), or UNPLACED */
	bool used;
};

struct builder_entry {
	uint32_t label; /* or BUILDER_NO_LABEL, and then the value */
	uint64_t value;
	uint64_t tag;
};

struct builder_assertion {
	uint32_t item; /* as for a label */
	uint64_t offset;
	uint64_t tag;
};

static int fail(struct builder_error *error, size_t item, size_t entry, uint64_t tag, const char *format, ...)
	__attribute__((format(printf, 5, 6)));

static int fail(struct builder_error *error, size_t item, size_t entry, uint64_t tag, const char *format, ...)
{
	error->item = item;
	error->entry = entry;
	error->label = BUILDER_NO_LABEL;
	error->tag = tag;
	va_list args;
	va_start(args, format);
	vsnprintf(error->message, sizeof error->message, format, args);
	va_end(args);
	return -1;
}

void builder_init(struct builder *builder, enum pvm_isa isa)
{
	*builder = (struct builder){.isa = isa};
}

void builder_release(struct builder *builder)
{
	free(builder->items);
	free(builder->labels);
	free(builder->entries);
	free(builder->assertions);
	free(builder->bytes);
	*builder = (struct builder){.isa = builder->isa};
}

/* ---- appending -------------------------------------------------------- */

uint32_t builder_new_label(struct builder *builder)
{
	if (builder->label_count >= BUILDER_NO_LABEL ||
	    !array_reserve((void **)&builder->labels, &builder->label_capacity, builder->label_count + 1,
			   sizeof *builder->labels))
		return BUILDER_NO_LABEL;
	builder->labels[builder->label_count] = (struct builder_label){.item = UNPLACED};
	return (uint32_t)builder->label_count++;
}

int builder_place_label(struct builder *builder, uint32_t label)
{
	if (label >= builder->label_count || builder->labels[label].item != UNPLACED)
		return -1;
	builder->labels[label].item = (uint32_t)builder->item_count;
	return 0;
}

/* Where the instruction keeps its static target, or NULL if it has none. */
static uint64_t *target_field(struct pvm_inst *inst)
{
	switch (pvm_ops[inst->op].args) {
	case PVM_ARGS_OFFSET:
	case PVM_ARGS_REG2_OFFSET:
		return &inst->imm_x;
	case PVM_ARGS_REG_IMM_OFFSET:
		return &inst->imm_y;
	default:
		return NULL;
	}
}

static struct builder_item *new_item(struct builder *builder, enum item_kind kind)
{
	/* Item indices, as labels hold them, stay below UNPLACED. */
	if (builder->item_count >= UNPLACED - 1 || !array_reserve((void **)&builder->items, &builder->item_capacity,
								  builder->item_count + 1, sizeof *builder->items))
		return NULL;
	struct builder_item *item = &builder->items[builder->item_count];
	memset(item, 0, sizeof *item);
	item->kind = (uint8_t)kind;
	item->tag = builder->tag;
	item->label = BUILDER_NO_LABEL;
	return item;
}

static int keep_bytes(struct builder *builder, struct builder_item *item, const uint8_t *bytes, size_t length)
{
	if (length > UINT32_MAX ||
	    !array_reserve((void **)&builder->bytes, &builder->byte_capacity, builder->byte_count + length, 1))
		return -1;
	if (length)
		memcpy(builder->bytes + builder->byte_count, bytes, length);
	item->raw_at = builder->byte_count;
	item->size = (uint32_t)length;
	builder->byte_count += length;
	return 0;
}

static int append_instruction(struct builder *builder, enum item_kind kind, const struct pvm_inst *inst,
			      uint32_t target_label, const uint8_t *bytes, size_t length)
{
	if (inst->op >= PVM_OP_COUNT)
		return -1;
	struct builder_item *item = new_item(builder, kind);
	if (!item)
		return -1;
	item->inst = *inst;
	bool has_target = target_field(&item->inst) != NULL;
	if (target_label != BUILDER_NO_LABEL) {
		if (target_label >= builder->label_count || !has_target)
			return -1;
		builder->labels[target_label].used = true;
		item->label = target_label;
	}
	item->relaxes = kind == ITEM_INSTRUCTION && has_target;
	if (kind == ITEM_ENCODED && keep_bytes(builder, item, bytes, length))
		return -1;
	builder->item_count++;
	return 0;
}

int builder_append(struct builder *builder, const struct pvm_inst *inst, uint32_t target_label)
{
	return append_instruction(builder, ITEM_INSTRUCTION, inst, target_label, NULL, 0);
}

int builder_append_encoded(struct builder *builder, const struct pvm_inst *inst, uint32_t target_label,
			   const uint8_t *bytes, size_t length)
{
	if (length < 1 || length > 1 + PVM_MAX_SKIP)
		return -1;
	return append_instruction(builder, ITEM_ENCODED, inst, target_label, bytes, length);
}

int builder_append_bytes(struct builder *builder, const uint8_t *bytes, size_t length)
{
	struct builder_item *item = new_item(builder, ITEM_BYTES);
	if (!item || keep_bytes(builder, item, bytes, length))
		return -1;
	builder->item_count++;
	return 0;
}

static int add_entry(struct builder *builder, uint32_t label, uint64_t value)
{
	if (!array_reserve((void **)&builder->entries, &builder->entry_capacity, builder->entry_count + 1,
			   sizeof *builder->entries))
		return -1;
	builder->entries[builder->entry_count++] = (struct builder_entry){label, value, builder->tag};
	return 0;
}

int builder_jump_entry(struct builder *builder, uint32_t label)
{
	if (label >= builder->label_count)
		return -1;
	builder->labels[label].used = true;
	return add_entry(builder, label, 0);
}

int builder_jump_entry_value(struct builder *builder, uint64_t value)
{
	return add_entry(builder, BUILDER_NO_LABEL, value);
}

int builder_assert_offset(struct builder *builder, uint64_t offset)
{
	if (!array_reserve((void **)&builder->assertions, &builder->assertion_capacity, builder->assertion_count + 1,
			   sizeof *builder->assertions))
		return -1;
	builder->assertions[builder->assertion_count++] =
		(struct builder_assertion){(uint32_t)builder->item_count, offset, builder->tag};
	return 0;
}

/* ---- layout ----------------------------------------------------------- */

static uint32_t code_end(const struct builder *builder)
{
	if (!builder->item_count)
		return 0;
	const struct builder_item *last = &builder->items[builder->item_count - 1];
	return last->offset + last->size;
}

/* The offset of the item at `index`, or of the end of the code. */
static uint32_t offset_of(const struct builder *builder, uint32_t index)
{
	return index < builder->item_count ? builder->items[index].offset : code_end(builder);
}

/* How far an instruction's target lies from it (target - pc, as 64 bits),
 * measured in lengths from one round, so that it never overstates the
 * final distance: a target behind has landed in this round (the item is
 * about to land at `offset`); a label ahead has landed only in the last,
 * so measure from where the item landed then (`last`) too. */
static uint64_t distance(const struct builder *builder, size_t i, uint32_t last, uint64_t offset)
{
	const struct builder_item *item = &builder->items[i];
	if (item->label == BUILDER_NO_LABEL) {
		int64_t target = 0;
		pvm_inst_target(&item->inst, &target);
		return (uint64_t)target - offset;
	}
	uint32_t at = builder->labels[item->label].item;
	if (at > i)
		return (uint64_t)offset_of(builder, at) - last;
	return at == i ? 0 : (uint64_t)builder->items[at].offset - offset;
}

/* An instruction's length but for its offset bytes, which also checks
 * that it encodes at all; one without a target is encoded for good. */
static int encode_base(struct builder *builder, size_t i, struct builder_error *error)
{
	struct builder_item *item = &builder->items[i];
	struct pvm_inst inst = item->inst;
	inst.pc = item->offset;
	if (item->relaxes)
		*target_field(&inst) = inst.pc;
	struct pvm_error problem;
	uint32_t size = pvm_encode(&inst, builder->isa, 0, item->encoded, &problem);
	if (!size)
		return fail(error, i, SIZE_MAX, item->tag, "%s", problem.message);
	item->base_size = (uint8_t)size;
	item->size = size;
	return 0;
}

/* One round: each item in turn lands where the lengths before it say, and
 * an offset that no longer holds its distance gets more bytes. *moved says
 * whether anything landed or measured differently from the last round. */
static int lay_out_round(struct builder *builder, bool first, bool *moved, struct builder_error *error)
{
	uint64_t offset = 0;
	/* The first round measures against no layout at all. */
	*moved = first;
	for (size_t i = 0; i < builder->item_count; i++) {
		struct builder_item *item = &builder->items[i];
		uint64_t to = item->relaxes ? distance(builder, i, item->offset, offset) : 0;
		if (item->offset != offset)
			*moved = true;
		item->offset = (uint32_t)offset;
		if (first && item->kind == ITEM_INSTRUCTION && encode_base(builder, i, error))
			return -1;
		if (item->relaxes) {
			/* Out of reach (5): the encoding at the end says so. */
			uint32_t needed = pvm_immediate_length(to);
			needed = needed > 4 ? 4 : needed;
			if (needed > item->offset_length) {
				item->offset_length = (uint8_t)needed;
				*moved = true;
			}
			item->size = item->base_size + item->offset_length;
		}
		offset += item->size;
		if (offset > UINT32_MAX)
			return fail(error, i, SIZE_MAX, item->tag, "the code is over 4 GiB");
	}
	return 0;
}

/* Rounds until nothing moves, then the encoding at the final offsets.
 *
 * Offsets start at 0 bytes and only grow, and no distance a round measures
 * is longer than the final one, so each offset ends as short as it can be
 * (for label targets: the least layout in which every offset holds). It
 * ends in at most 4 * J + 2 rounds for J relaxing items: a relaxing item's
 * length is its offset's bytes plus a constant and every other length is
 * fixed, so after the first round has set every offset from the lengths, a
 * later round can move something only by growing an offset, and together
 * they can grow by 4 * J bytes at most. That bound, not a small constant,
 * is the right one: a jump that grows moves a label ahead that an earlier
 * jump sees only in the next round, which may then need a byte more in
 * turn, and so on down a chain (tests/test_builder.c builds one of 40). In
 * compiled code two or three rounds after the first are the rule. */
static int lay_out(struct builder *builder, struct builder_error *error)
{
	size_t relaxing = 0;
	for (size_t i = 0; i < builder->item_count; i++)
		relaxing += builder->items[i].relaxes;
	bool moved = true;
	for (builder->rounds = 0; moved; builder->rounds++) {
		if (builder->rounds > 4 * relaxing + 1)
			return fail(error, SIZE_MAX, SIZE_MAX, 0,
				    "internal error: the layout has not settled after %u rounds", builder->rounds);
		if (lay_out_round(builder, builder->rounds == 0, &moved, error))
			return -1;
	}
	for (size_t i = 0; i < builder->item_count; i++) {
		struct builder_item *item = &builder->items[i];
		item->inst.pc = item->offset;
		if (item->label != BUILDER_NO_LABEL)
			*target_field(&item->inst) = offset_of(builder, builder->labels[item->label].item);
		if (!item->relaxes)
			continue;
		struct pvm_error problem;
		uint32_t size = pvm_encode(&item->inst, builder->isa, item->offset_length, item->encoded, &problem);
		if (!size)
			return fail(error, i, SIZE_MAX, item->tag, "%s", problem.message);
		if (size != item->size)
			return fail(error, i, SIZE_MAX, item->tag,
				    "internal error: %s takes %u bytes, not the %u laid out",
				    pvm_ops[item->inst.op].name, size, item->size);
	}
	return 0;
}

static int check_labels(const struct builder *builder, struct builder_error *error)
{
	for (size_t i = 0; i < builder->label_count; i++) {
		if (builder->labels[i].used && builder->labels[i].item == UNPLACED) {
			fail(error, SIZE_MAX, SIZE_MAX, 0, "label %zu is used but never placed", i);
			error->label = (uint32_t)i;
			return -1;
		}
	}
	return 0;
}

static int check_assertions(const struct builder *builder, struct builder_error *error)
{
	for (size_t i = 0; i < builder->assertion_count; i++) {
		const struct builder_assertion *assertion = &builder->assertions[i];
		uint32_t offset = offset_of(builder, assertion->item);
		if (assertion->offset == offset)
			continue;
		if (assertion->item < builder->item_count)
			return fail(error, assertion->item, SIZE_MAX, builder->items[assertion->item].tag,
				    "this is at offset %u, not %llu", offset, (unsigned long long)assertion->offset);
		return fail(error, assertion->item, SIZE_MAX, assertion->tag, "the code ends at offset %u, not %llu",
			    offset, (unsigned long long)assertion->offset);
	}
	return 0;
}

/* ---- the blob --------------------------------------------------------- */

static uint64_t entry_value(const struct builder *builder, const struct builder_entry *entry)
{
	if (entry->label == BUILDER_NO_LABEL)
		return entry->value;
	return offset_of(builder, builder->labels[entry->label].item);
}

static void put_fixed(uint8_t *out, uint64_t value, unsigned width)
{
	for (unsigned i = 0; i < width; i++)
		out[i] = (uint8_t)(value >> (8 * i));
}

/* E(|j|) E1(z) E(|c|) Ez(j) c k */
static int write_blob(const struct builder *builder, uint8_t **blob, size_t *length, struct builder_error *error)
{
	uint64_t largest = 0;
	for (size_t i = 0; i < builder->entry_count; i++) {
		uint64_t value = entry_value(builder, &builder->entries[i]);
		largest = value > largest ? value : largest;
	}
	unsigned size = builder->jump_entry_size;
	if (size > 8)
		return fail(error, SIZE_MAX, SIZE_MAX, 0, "jump-table entries are 1 to 8 bytes, not %u", size);
	if (size == 0 && builder->entry_count)
		for (size = 1; size < 8 && (largest >> (8 * size)); size++)
			;
	for (size_t i = 0; i < builder->entry_count && size < 8; i++) {
		uint64_t value = entry_value(builder, &builder->entries[i]);
		if (value >> (8 * size))
			return fail(error, SIZE_MAX, i, builder->entries[i].tag,
				    "jump-table entry %llu does not fit %u bytes", (unsigned long long)value, size);
	}

	uint32_t code_length = code_end(builder);
	uint8_t header[2 * 9 + 1];
	uint32_t n = pvm_varint_write(builder->entry_count, header);
	header[n++] = (uint8_t)size;
	n += pvm_varint_write(code_length, header + n);
	size_t total = n + builder->entry_count * size + code_length + (code_length + 7) / 8;
	uint8_t *out = calloc(total, 1);
	if (!out)
		return fail(error, SIZE_MAX, SIZE_MAX, 0, "out of memory");
	memcpy(out, header, n);
	uint8_t *at = out + n;
	for (size_t i = 0; i < builder->entry_count; i++, at += size)
		put_fixed(at, entry_value(builder, &builder->entries[i]), size);
	uint8_t *code = at, *mask = code + code_length;
	for (size_t i = 0; i < builder->item_count; i++) {
		const struct builder_item *item = &builder->items[i];
		if (item->kind == ITEM_INSTRUCTION)
			memcpy(code + item->offset, item->encoded, item->size);
		else if (item->size)
			memcpy(code + item->offset, builder->bytes + item->raw_at, item->size);
		if (item->kind != ITEM_BYTES)
			mask[item->offset / 8] |= (uint8_t)(1u << (item->offset % 8));
	}
	*blob = out;
	*length = total;
	return 0;
}

/* Decodes the blob and compares each instruction with what was appended:
 * explicit bytes have to mean what the caller says they do. */
static int verify(const struct builder *builder, const uint8_t *blob, size_t length, struct builder_error *error)
{
	struct pvm_error problem;
	struct pvm_blob parsed;
	if (pvm_blob_parse(&parsed, blob, length, &problem))
		return fail(error, SIZE_MAX, SIZE_MAX, 0, "internal error: the output does not parse: %s",
			    problem.message);
	struct pvm_opcode_map map;
	pvm_opcode_map_init(&map, builder->isa);
	struct pvm_code code = {parsed.code, parsed.code_length, parsed.bitmask, &map};
	for (size_t i = 0; i < builder->item_count; i++) {
		const struct builder_item *item = &builder->items[i];
		if (item->kind == ITEM_BYTES)
			continue;
		struct pvm_inst got;
		pvm_decode(&code, item->offset, &got);
		const struct pvm_inst *want = &item->inst;
		if (got.op == want->op && got.ra == want->ra && got.rb == want->rb && got.rd == want->rd &&
		    got.imm_x == want->imm_x && got.imm_y == want->imm_y && got.next == item->offset + item->size)
			continue;
		char wrote[128], decoded[128];
		struct pvm_text text;
		pvm_text_init(&text, wrote, sizeof wrote);
		pvm_disasm_inst(&text, want);
		pvm_text_init(&text, decoded, sizeof decoded);
		pvm_disasm_inst(&text, &got);
		if (got.next != item->offset + item->size)
			return fail(error, i, SIZE_MAX, item->tag,
				    "'%s' takes %u bytes here but the next opcode is %u bytes on", wrote, item->size,
				    got.next - item->offset);
		return fail(error, i, SIZE_MAX, item->tag, "'%s' is encoded as bytes that decode to '%s' here", wrote,
			    decoded);
	}
	return 0;
}

int builder_finish(struct builder *builder, uint8_t **blob, size_t *length, struct builder_error *error)
{
	*blob = NULL;
	*length = 0;
	uint8_t *out = NULL;
	size_t out_length = 0;
	if (check_labels(builder, error) || lay_out(builder, error) || check_assertions(builder, error) ||
	    write_blob(builder, &out, &out_length, error))
		return -1;
	if (verify(builder, out, out_length, error)) {
		free(out);
		return -1;
	}
	*blob = out;
	*length = out_length;
	return 0;
}

/* ---- after the layout ------------------------------------------------- */

uint32_t builder_label_offset(const struct builder *builder, uint32_t label)
{
	if (label >= builder->label_count || builder->labels[label].item == UNPLACED)
		return UINT32_MAX;
	return offset_of(builder, builder->labels[label].item);
}

uint32_t builder_item_offset(const struct builder *builder, size_t item)
{
	return item < builder->item_count ? builder->items[item].offset : code_end(builder);
}

size_t builder_item_count(const struct builder *builder)
{
	return builder->item_count;
}
