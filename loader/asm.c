/* The assembler: one pass to read the lines, a layout loop for the
 * variable-length jump offsets, then encoding, and a last check that the
 * result decodes to exactly what was written. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "core/disasm.h"
#include "core/encode.h"
#include "loader/array.h"
#include "loader/asm.h"

enum item_kind { ITEM_INSTRUCTION, ITEM_BYTES };

/* Where an instruction's static target comes from. */
enum target_kind { TARGET_NONE, TARGET_OFFSET, TARGET_LABEL };

struct item {
	enum item_kind kind;
	uint32_t line;
	struct pvm_inst inst;
	enum target_kind target;
	int64_t target_offset; /* TARGET_OFFSET */
	uint32_t target_label; /* TARGET_LABEL */
	uint8_t *raw;          /* explicit bytes ("= ..") or .bytes */
	uint32_t raw_length;
	int64_t asserted_offset; /* "N:" in front of it, or -1 */
	uint32_t offset_length;  /* bytes given to the jump offset */
	uint32_t offset;
	uint32_t size;
	uint8_t encoded[PVM_MAX_ENCODED];
};

struct label {
	char *name;
	uint32_t line;
	int64_t item; /* the item it precedes; -1 until defined */
};

struct jump_entry {
	uint32_t line;
	enum target_kind kind;
	int64_t offset;
	uint32_t label;
};

struct bytes {
	uint8_t *data;
	size_t length, capacity;
};

struct assembler {
	const char *name;
	uint32_t line;
	char *error;
	size_t error_size;
	bool failed;
	enum pvm_isa isa;
	bool isa_set;
	struct item *items;
	size_t item_count, item_capacity;
	struct label *labels;
	size_t label_count, label_capacity;
	struct jump_entry *jumps;
	size_t jump_count, jump_capacity;
	int entry_size; /* -1: the fewest bytes */
	/* JAM standard program */
	bool jam;
	struct bytes ro, rw, metadata;
	bool has_metadata;
	uint64_t heap_pages, stack_size;
	/* an "@N:" or "N:" waiting for the next item */
	int64_t pending_assert;
	uint32_t pending_assert_line;
};

static int failf(struct assembler *as, const char *format, ...) __attribute__((format(printf, 2, 3)));

static int failf(struct assembler *as, const char *format, ...)
{
	if (as->failed)
		return -1;
	as->failed = true;
	char what[256];
	va_list args;
	va_start(args, format);
	vsnprintf(what, sizeof what, format, args);
	va_end(args);
	snprintf(as->error, as->error_size, "%s:%u: %s", as->name, as->line, what);
	return -1;
}

static int append_bytes(struct assembler *as, struct bytes *bytes, const uint8_t *data, size_t length)
{
	if (!array_reserve((void **)&bytes->data, &bytes->capacity, bytes->length + length, 1))
		return failf(as, "out of memory");
	if (length)
		memcpy(bytes->data + bytes->length, data, length);
	bytes->length += length;
	return 0;
}

/* ---- tokens ----------------------------------------------------------- */

struct cursor {
	const char *at, *end;
};

static void skip_blanks(struct cursor *c)
{
	while (c->at < c->end && (*c->at == ' ' || *c->at == '\t' || *c->at == '\r'))
		c->at++;
}

static bool at_end(struct cursor *c)
{
	skip_blanks(c);
	return c->at >= c->end || *c->at == ';' || *c->at == '#';
}

static bool is_word_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '.';
}

/* A word: letters, digits, '_' and '.'; its length, 0 if none. */
static size_t word(struct cursor *c, const char **start)
{
	skip_blanks(c);
	*start = c->at;
	while (c->at < c->end && is_word_char(*c->at))
		c->at++;
	return (size_t)(c->at - *start);
}

static bool eat(struct cursor *c, char ch)
{
	skip_blanks(c);
	if (c->at < c->end && *c->at == ch) {
		c->at++;
		return true;
	}
	return false;
}

static bool same_word(const char *a, size_t n, const char *b)
{
	return strlen(b) == n && !strncmp(a, b, n);
}

/* [-]decimal or [-]0xhex, as a 64-bit pattern. */
static int number(struct assembler *as, struct cursor *c, uint64_t *value, bool *negative_out)
{
	skip_blanks(c);
	bool negative = eat(c, '-');
	const char *start;
	size_t n = word(c, &start);
	if (!n || !isdigit((unsigned char)start[0]))
		return failf(as, "expected a number at '%.*s'", (int)(c->end - start > 20 ? 20 : c->end - start),
			     start);
	char text[80];
	if (n >= sizeof text)
		return failf(as, "number '%.*s...' is too long", 20, start);
	memcpy(text, start, n);
	text[n] = 0;
	char *stop;
	errno = 0;
	/* Decimal or 0x-hex only: a leading zero is not octal here. */
	bool hex = text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
	unsigned long long magnitude = strtoull(hex ? text + 2 : text, &stop, hex ? 16 : 10);
	if (hex && !isxdigit((unsigned char)text[2]))
		stop = text;
	if (errno || *stop)
		return failf(as, "'%s' is not a number that fits 64 bits", text);
	if (negative && magnitude > (1ull << 63))
		return failf(as, "-%s is below -2^63", text);
	*value = negative ? 0 - (uint64_t)magnitude : (uint64_t)magnitude;
	if (negative_out)
		*negative_out = negative;
	return 0;
}

static const char *const abi_names[13] = {"ra", "sp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5"};

static int reg(struct assembler *as, struct cursor *c, uint8_t *out)
{
	const char *start;
	size_t n = word(c, &start);
	for (uint8_t i = 0; i < 13; i++) {
		char name[4];
		snprintf(name, sizeof name, "r%u", i);
		if (same_word(start, n, name) || same_word(start, n, abi_names[i])) {
			*out = i;
			return 0;
		}
	}
	if (n == 0)
		return failf(as, "expected a register (r0..r12)");
	return failf(as, "'%.*s' is not a register (r0..r12, or ra sp t0-t2 s0 s1 a0-a5)", (int)n, start);
}

static int64_t find_label(struct assembler *as, const char *name, size_t n)
{
	for (size_t i = 0; i < as->label_count; i++)
		if (same_word(name, n, as->labels[i].name))
			return (int64_t)i;
	return -1;
}

static int64_t label_index(struct assembler *as, const char *name, size_t n)
{
	int64_t found = find_label(as, name, n);
	if (found >= 0)
		return found;
	if (!array_reserve((void **)&as->labels, &as->label_capacity, as->label_count + 1, sizeof *as->labels))
		return failf(as, "out of memory");
	struct label *label = &as->labels[as->label_count];
	label->name = strndup(name, n);
	if (!label->name)
		return failf(as, "out of memory");
	label->line = as->line;
	label->item = -1;
	return (int64_t)as->label_count++;
}

/* @N, @label or label. */
static int target(struct assembler *as, struct cursor *c, enum target_kind *kind, int64_t *offset, uint32_t *label,
		  bool *negative)
{
	skip_blanks(c);
	bool at = eat(c, '@');
	skip_blanks(c);
	if (c->at < c->end && (isdigit((unsigned char)*c->at) || *c->at == '-')) {
		uint64_t value;
		if (!at)
			return failf(as, "a numeric target is written @N");
		if (number(as, c, &value, negative))
			return -1;
		*kind = TARGET_OFFSET;
		*offset = (int64_t)value;
		return 0;
	}
	const char *start;
	size_t n = word(c, &start);
	if (!n)
		return failf(as, "expected a jump target (@label or @offset)");
	int64_t index = label_index(as, start, n);
	if (index < 0)
		return -1;
	*kind = TARGET_LABEL;
	*label = (uint32_t)index;
	return 0;
}

static int comma(struct assembler *as, struct cursor *c)
{
	return eat(c, ',') ? 0 : failf(as, "expected ','");
}

static int hex_bytes(struct assembler *as, struct cursor *c, struct bytes *out)
{
	for (;;) {
		if (at_end(c))
			return 0;
		const char *start;
		size_t n = word(c, &start);
		if (!n || n % 2)
			return failf(as, "expected hex bytes, two digits each, at '%.*s'", (int)(n ? n : 1), start);
		for (size_t i = 0; i < n; i += 2) {
			if (!isxdigit((unsigned char)start[i]) || !isxdigit((unsigned char)start[i + 1]))
				return failf(as, "'%.*s' is not a hex byte", 2, start + i);
			char pair[3] = {start[i], start[i + 1], 0};
			uint8_t byte = (uint8_t)strtoul(pair, NULL, 16);
			if (append_bytes(as, out, &byte, 1))
				return -1;
		}
	}
}

/* ---- statements ------------------------------------------------------- */

static struct item *new_item(struct assembler *as, enum item_kind kind)
{
	if (!array_reserve((void **)&as->items, &as->item_capacity, as->item_count + 1, sizeof *as->items)) {
		failf(as, "out of memory");
		return NULL;
	}
	struct item *item = &as->items[as->item_count++];
	memset(item, 0, sizeof *item);
	item->kind = kind;
	item->line = as->line;
	item->asserted_offset = as->pending_assert;
	as->pending_assert = -1;
	/* Labels defined just before this item point at it. */
	for (size_t i = 0; i < as->label_count; i++)
		if (as->labels[i].item == -2)
			as->labels[i].item = (int64_t)(as->item_count - 1);
	return item;
}

static int operands(struct assembler *as, struct cursor *c, struct item *item)
{
	struct pvm_inst *inst = &item->inst;
	const struct pvm_op_info *info = &pvm_ops[inst->op];
	uint64_t *target_field = NULL;
	int status = 0;

	switch (info->args) {
	case PVM_ARGS_NONE:
		break;
	case PVM_ARGS_IMM:
		status = number(as, c, &inst->imm_x, NULL);
		break;
	case PVM_ARGS_REG_IMM64:
	case PVM_ARGS_REG_IMM:
		status = reg(as, c, &inst->ra) || comma(as, c) || number(as, c, &inst->imm_x, NULL);
		break;
	case PVM_ARGS_IMM2:
		status = number(as, c, &inst->imm_x, NULL) || comma(as, c) || number(as, c, &inst->imm_y, NULL);
		break;
	case PVM_ARGS_OFFSET:
		target_field = &inst->imm_x;
		break;
	case PVM_ARGS_REG_IMM2:
		status = reg(as, c, &inst->ra) || comma(as, c) || number(as, c, &inst->imm_x, NULL) || comma(as, c) ||
			 number(as, c, &inst->imm_y, NULL);
		break;
	case PVM_ARGS_REG_IMM_OFFSET:
		status = reg(as, c, &inst->ra) || comma(as, c) || number(as, c, &inst->imm_x, NULL) || comma(as, c);
		target_field = &inst->imm_y;
		break;
	case PVM_ARGS_REG2:
		status = reg(as, c, &inst->rd) || comma(as, c) || reg(as, c, &inst->ra);
		break;
	case PVM_ARGS_REG2_IMM:
		status = reg(as, c, &inst->ra) || comma(as, c) || reg(as, c, &inst->rb) || comma(as, c) ||
			 number(as, c, &inst->imm_x, NULL);
		break;
	case PVM_ARGS_REG2_OFFSET:
		status = reg(as, c, &inst->ra) || comma(as, c) || reg(as, c, &inst->rb) || comma(as, c);
		target_field = &inst->imm_x;
		break;
	case PVM_ARGS_REG2_IMM2:
		status = reg(as, c, &inst->ra) || comma(as, c) || reg(as, c, &inst->rb) || comma(as, c) ||
			 number(as, c, &inst->imm_x, NULL) || comma(as, c) || number(as, c, &inst->imm_y, NULL);
		break;
	case PVM_ARGS_REG3:
		status = reg(as, c, &inst->rd) || comma(as, c) || reg(as, c, &inst->ra) || comma(as, c) ||
			 reg(as, c, &inst->rb);
		break;
	}
	if (status)
		return -1;
	if (target_field && target(as, c, &item->target, &item->target_offset, &item->target_label, NULL))
		return -1;
	return 0;
}

static int instruction(struct assembler *as, struct cursor *c, const char *mnemonic, size_t n)
{
	enum pvm_op op = pvm_op_by_name(mnemonic, (uint32_t)n);
	if (op == PVM_OP_COUNT)
		return failf(as, "unknown instruction '%.*s'", (int)n, mnemonic);
	struct item *item = new_item(as, ITEM_INSTRUCTION);
	if (!item)
		return -1;
	item->inst.op = (uint8_t)op;
	if (operands(as, c, item))
		return -1;
	if (eat(c, '=')) {
		struct bytes raw = {0};
		if (hex_bytes(as, c, &raw)) {
			free(raw.data);
			return -1;
		}
		if (raw.length < 1 || raw.length > 1 + PVM_MAX_SKIP) {
			free(raw.data);
			return failf(as, "explicit encodings are 1 to 25 bytes long, not %zu", raw.length);
		}
		item->raw = raw.data;
		item->raw_length = (uint32_t)raw.length;
	}
	if (!at_end(c))
		return failf(as, "unexpected '%.*s' after the operands",
			     (int)(c->end - c->at > 20 ? 20 : c->end - c->at), c->at);
	return 0;
}

static int directive_number(struct assembler *as, struct cursor *c, uint64_t limit, uint64_t *value)
{
	bool negative;
	if (number(as, c, value, &negative))
		return -1;
	if (negative || *value > limit)
		return failf(as, "expected a number from 0 to %llu", (unsigned long long)limit);
	return 0;
}

static int directive(struct assembler *as, struct cursor *c, const char *name, size_t n)
{
	uint64_t value;
	const char *start;
	size_t length;

	if (same_word(name, n, ".isa")) {
		length = word(c, &start);
		char text[16] = {0};
		memcpy(text, start, length < sizeof text - 1 ? length : sizeof text - 1);
		if (as->item_count)
			return failf(as, ".isa must come before the first instruction");
		if (!pvm_isa_parse(text, &as->isa))
			return failf(as, "unknown ISA '%s' (gp0.7 or gp0.8)", text);
		as->isa_set = true;
	} else if (same_word(name, n, ".jump_table")) {
		do {
			if (!array_reserve((void **)&as->jumps, &as->jump_capacity, as->jump_count + 1,
					   sizeof *as->jumps))
				return failf(as, "out of memory");
			struct jump_entry *entry = &as->jumps[as->jump_count++];
			entry->line = as->line;
			bool negative = false;
			if (target(as, c, &entry->kind, &entry->offset, &entry->label, &negative))
				return -1;
			if (negative)
				return failf(as, "jump-table entry %zu is negative", as->jump_count - 1);
		} while (eat(c, ','));
	} else if (same_word(name, n, ".jump_entry_size")) {
		if (directive_number(as, c, 8, &value))
			return -1;
		as->entry_size = (int)value;
	} else if (same_word(name, n, ".bytes")) {
		struct bytes raw = {0};
		if (hex_bytes(as, c, &raw)) {
			free(raw.data);
			return -1;
		}
		struct item *item = new_item(as, ITEM_BYTES);
		if (!item) {
			free(raw.data);
			return -1;
		}
		item->raw = raw.data;
		item->raw_length = (uint32_t)raw.length;
	} else if (same_word(name, n, ".format")) {
		length = word(c, &start);
		if (same_word(start, length, "jam"))
			as->jam = true;
		else if (!same_word(start, length, "blob"))
			return failf(as, ".format takes jam or blob");
	} else if (same_word(name, n, ".ro_data")) {
		as->jam = true;
		return hex_bytes(as, c, &as->ro);
	} else if (same_word(name, n, ".rw_data")) {
		as->jam = true;
		return hex_bytes(as, c, &as->rw);
	} else if (same_word(name, n, ".metadata")) {
		as->jam = true;
		as->has_metadata = true;
		return hex_bytes(as, c, &as->metadata);
	} else if (same_word(name, n, ".heap_pages")) {
		as->jam = true;
		return directive_number(as, c, 0xFFFF, &as->heap_pages);
	} else if (same_word(name, n, ".stack_size")) {
		as->jam = true;
		return directive_number(as, c, 0xFFFFFF, &as->stack_size);
	} else {
		return failf(as, "unknown directive '%.*s'", (int)n, name);
	}
	if (!at_end(c))
		return failf(as, "unexpected text after %.*s", (int)n, name);
	return 0;
}

static int assert_offset(struct assembler *as, int64_t offset)
{
	if (as->pending_assert >= 0 && as->pending_assert != offset)
		return failf(as, "two different offsets (%lld and %lld) for the same place",
			     (long long)as->pending_assert, (long long)offset);
	as->pending_assert = offset;
	as->pending_assert_line = as->line;
	return 0;
}

static int line(struct assembler *as, struct cursor *c)
{
	const char *start;
	size_t n;
	/* Any number of "label:", "@N:" and "N:" prefixes. */
	for (;;) {
		if (at_end(c))
			return 0;
		struct cursor save = *c;
		uint64_t value;
		if (eat(c, '@')) {
			if (number(as, c, &value, NULL) || !eat(c, ':'))
				return failf(as, "expected '@N:' (an offset marker)");
			if (assert_offset(as, (int64_t)value))
				return -1;
			continue;
		}
		n = word(c, &start);
		if (n && eat(c, ':')) {
			if (isdigit((unsigned char)start[0])) {
				*c = save;
				if (number(as, c, &value, NULL) || !eat(c, ':'))
					return -1;
				if (assert_offset(as, (int64_t)value))
					return -1;
				continue;
			}
			int64_t index = label_index(as, start, n);
			if (index < 0)
				return -1;
			struct label *label = &as->labels[index];
			if (label->item != -1)
				return failf(as, "label '%s' is already defined on line %u", label->name, label->line);
			label->item = -2; /* the next item */
			label->line = as->line;
			continue;
		}
		break;
	}
	if (!n)
		return failf(as, "expected an instruction or a directive at '%.*s'",
			     (int)(c->end - c->at > 20 ? 20 : c->end - c->at), c->at);
	if (start[0] == '.')
		return directive(as, c, start, n);
	return instruction(as, c, start, n);
}

/* ---- layout and output ------------------------------------------------ */

static uint32_t code_end(const struct assembler *as)
{
	return as->item_count ? as->items[as->item_count - 1].offset + as->items[as->item_count - 1].size : 0;
}

static int64_t resolve(struct assembler *as, enum target_kind kind, int64_t offset, uint32_t label)
{
	if (kind == TARGET_OFFSET)
		return offset;
	int64_t item = as->labels[label].item;
	return item < (int64_t)as->item_count ? as->items[item].offset : code_end(as);
}

static int encode_all(struct assembler *as, bool *grew)
{
	struct pvm_error problem;
	uint32_t offset = 0;
	*grew = false;
	for (size_t i = 0; i < as->item_count; i++) {
		struct item *item = &as->items[i];
		/* Labels ahead resolve to last pass's offsets: when an offset
		 * moves, targets may need more bytes, so go round again. */
		if (item->offset != offset)
			*grew = true;
		item->offset = offset;
		int64_t destination = 0;
		if (item->kind == ITEM_INSTRUCTION) {
			item->inst.pc = offset;
			if (item->target != TARGET_NONE) {
				destination = resolve(as, item->target, item->target_offset, item->target_label);
				uint64_t *field = pvm_ops[item->inst.op].args == PVM_ARGS_REG_IMM_OFFSET
							  ? &item->inst.imm_y
							  : &item->inst.imm_x;
				*field = (uint64_t)destination;
			}
		}
		if (item->raw) {
			item->size = item->raw_length;
		} else {
			/* Offsets only ever lengthen, so the layout loop ends. */
			if (item->target != TARGET_NONE) {
				uint32_t needed = pvm_immediate_length((uint64_t)(destination - (int64_t)offset));
				if (needed <= 4 && needed > item->offset_length) {
					item->offset_length = needed;
					*grew = true;
				}
			}
			uint32_t size = pvm_encode(&item->inst, as->isa, item->offset_length, item->encoded, &problem);
			if (!size) {
				as->line = item->line;
				return failf(as, "%s", problem.message);
			}
			item->size = size;
		}
		offset += item->size;
	}
	return 0;
}

static int lay_out(struct assembler *as)
{
	for (size_t i = 0; i < as->label_count; i++) {
		if (as->labels[i].item == -1) {
			as->line = as->labels[i].line;
			return failf(as, "label '%s' is used but never defined", as->labels[i].name);
		}
		if (as->labels[i].item == -2)
			as->labels[i].item = (int64_t)as->item_count; /* the end of the code */
	}
	bool grew = true;
	for (int round = 0; grew; round++) {
		if (round > 8)
			return failf(as, "jump offsets do not settle");
		if (encode_all(as, &grew))
			return -1;
	}
	for (size_t i = 0; i < as->item_count; i++) {
		struct item *item = &as->items[i];
		if (item->asserted_offset >= 0 && item->asserted_offset != item->offset) {
			as->line = item->line;
			return failf(as, "this is at offset %u, not %lld", item->offset,
				     (long long)item->asserted_offset);
		}
	}
	if (as->pending_assert >= 0 && as->pending_assert != code_end(as)) {
		as->line = as->pending_assert_line;
		return failf(as, "the code ends at offset %u, not %lld", code_end(as), (long long)as->pending_assert);
	}
	return 0;
}

static void put_fixed(uint8_t *out, uint64_t value, unsigned width)
{
	for (unsigned i = 0; i < width; i++)
		out[i] = (uint8_t)(value >> (8 * i));
}

/* The code as a raw blob: E(|j|) E1(z) E(|c|) Ez(j) c k. */
static int build_blob(struct assembler *as, struct bytes *blob)
{
	uint32_t length = code_end(as);
	uint64_t largest = 0;
	uint64_t *entries = calloc(as->jump_count + 1, sizeof *entries);
	uint8_t *mask = calloc((length + 7) / 8 + 1, 1);
	uint8_t header[32];
	int status = 0;
	if (!entries || !mask) {
		free(entries);
		free(mask);
		return failf(as, "out of memory");
	}
	for (size_t i = 0; i < as->jump_count; i++) {
		struct jump_entry *entry = &as->jumps[i];
		/* An entry is a natural number of up to 64 bits (wider than
		 * any offset, so it need not be a real one): @N keeps its bits. */
		entries[i] = (uint64_t)resolve(as, entry->kind, entry->offset, entry->label);
		if (entries[i] > largest)
			largest = entries[i];
	}
	unsigned size = 0;
	if (as->entry_size >= 0) {
		size = (unsigned)as->entry_size;
	} else if (as->jump_count) {
		for (size = 1; size < 8 && (largest >> (8 * size)); size++)
			;
	}
	if (size == 0 && as->jump_count) {
		as->line = as->jumps[0].line;
		status = failf(as, "the jump table has entries, but .jump_entry_size gives them 0 bytes");
		goto done;
	}
	for (size_t i = 0; i < as->jump_count; i++) {
		if (size < 8 && entries[i] >> (8 * size)) {
			as->line = as->jumps[i].line;
			status = failf(as, "jump-table entry %llu does not fit %u bytes",
				       (unsigned long long)entries[i], size);
			goto done;
		}
	}
	uint32_t n = pvm_varint_write(as->jump_count, header);
	header[n++] = (uint8_t)size;
	n += pvm_varint_write(length, header + n);
	if (append_bytes(as, blob, header, n))
		goto fail;
	for (size_t i = 0; i < as->jump_count; i++) {
		uint8_t entry[8];
		put_fixed(entry, entries[i], size);
		if (append_bytes(as, blob, entry, size))
			goto fail;
	}
	for (size_t i = 0; i < as->item_count; i++) {
		struct item *item = &as->items[i];
		if (item->kind == ITEM_INSTRUCTION)
			mask[item->offset / 8] |= (uint8_t)(1u << (item->offset % 8));
		if (append_bytes(as, blob, item->raw ? item->raw : item->encoded, item->size))
			goto fail;
	}
	if (append_bytes(as, blob, mask, (length + 7) / 8))
		goto fail;
	goto done;
fail:
	status = -1;
done:
	free(entries);
	free(mask);
	return status;
}

/* Decodes the result in place and compares it with what was written: an
 * explicit encoding has to mean what its line says. */
static int verify(struct assembler *as, const struct bytes *blob)
{
	struct pvm_error problem;
	struct pvm_blob parsed;
	if (pvm_blob_parse(&parsed, blob->data, blob->length, &problem))
		return failf(as, "internal error: the output does not parse: %s", problem.message);
	struct pvm_opcode_map map;
	pvm_opcode_map_init(&map, as->isa);
	struct pvm_code code = {parsed.code, parsed.code_length, parsed.bitmask, &map};
	for (size_t i = 0; i < as->item_count; i++) {
		struct item *item = &as->items[i];
		if (item->kind != ITEM_INSTRUCTION)
			continue;
		struct pvm_inst got;
		pvm_decode(&code, item->offset, &got);
		const struct pvm_inst *want = &item->inst;
		if (got.op != want->op || got.ra != want->ra || got.rb != want->rb || got.rd != want->rd ||
		    got.imm_x != want->imm_x || got.imm_y != want->imm_y || got.next != item->offset + item->size) {
			char wrote[128], decoded[128];
			struct pvm_text text;
			struct pvm_inst shown = *want;
			shown.pc = item->offset;
			pvm_text_init(&text, wrote, sizeof wrote);
			pvm_disasm_inst(&text, &shown);
			pvm_text_init(&text, decoded, sizeof decoded);
			pvm_disasm_inst(&text, &got);
			as->line = item->line;
			if (got.next != item->offset + item->size)
				return failf(as, "'%s' takes %u bytes here but the next opcode is %u bytes on", wrote,
					     item->size, got.next - item->offset);
			return failf(as, "'%s' is encoded as bytes that decode to '%s' here", wrote, decoded);
		}
	}
	return 0;
}

static int build_jam(struct assembler *as, const struct bytes *blob, struct bytes *out)
{
	uint8_t header[16];
	if (as->ro.length > 0xFFFFFF || as->rw.length > 0xFFFFFF)
		return failf(as, "read-only and read-write data are limited to 16 MiB each");
	if (blob->length > 0xFFFFFFFF)
		return failf(as, "the code is over 4 GiB");
	if (as->has_metadata) {
		uint32_t n = pvm_varint_write(as->metadata.length, header);
		if (append_bytes(as, out, header, n) || append_bytes(as, out, as->metadata.data, as->metadata.length))
			return -1;
	}
	put_fixed(header, as->ro.length, 3);
	put_fixed(header + 3, as->rw.length, 3);
	put_fixed(header + 6, as->heap_pages, 2);
	put_fixed(header + 8, as->stack_size, 3);
	if (append_bytes(as, out, header, 11) || append_bytes(as, out, as->ro.data, as->ro.length) ||
	    append_bytes(as, out, as->rw.data, as->rw.length))
		return -1;
	put_fixed(header, blob->length, 4);
	if (append_bytes(as, out, header, 4) || append_bytes(as, out, blob->data, blob->length))
		return -1;
	return 0;
}

static void release(struct assembler *as)
{
	for (size_t i = 0; i < as->item_count; i++)
		free(as->items[i].raw);
	for (size_t i = 0; i < as->label_count; i++)
		free(as->labels[i].name);
	free(as->items);
	free(as->labels);
	free(as->jumps);
	free(as->ro.data);
	free(as->rw.data);
	free(as->metadata.data);
}

int loader_assemble(const char *source, size_t length, const char *name, uint8_t **output, size_t *output_length,
		    char *error, size_t error_size)
{
	struct assembler as = {
		.name = name,
		.error = error,
		.error_size = error_size,
		.isa = PVM_ISA_GP07,
		.entry_size = -1,
		.pending_assert = -1,
	};
	struct bytes blob = {0}, jam = {0};
	const char *at = source, *end = source + length;
	int status = 0;

	while (at < end && !status) {
		const char *stop = memchr(at, '\n', (size_t)(end - at));
		if (!stop)
			stop = end;
		as.line++;
		struct cursor cursor = {at, stop};
		status = line(&as, &cursor);
		at = stop + 1;
	}
	if (!status && memchr(source, 0, length))
		status = failf(&as, "the source contains a NUL byte");
	if (!status)
		status = lay_out(&as);
	if (!status)
		status = build_blob(&as, &blob);
	if (!status)
		status = verify(&as, &blob);
	if (!status && as.jam)
		status = build_jam(&as, &blob, &jam);
	if (!status) {
		struct bytes *result = as.jam ? &jam : &blob;
		*output = result->data ? result->data : malloc(1);
		*output_length = result->length;
		result->data = NULL;
		if (!*output)
			status = failf(&as, "out of memory");
	}
	free(blob.data);
	free(jam.data);
	release(&as);
	return status;
}
