/* The assembler: one pass reads the lines into a builder (loader/builder.h),
 * which lays out, encodes and checks the code; the JAM container, if asked
 * for, goes around it (loader/jam_write.h). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/array.h"
#include "loader/asm.h"
#include "loader/builder.h"
#include "loader/jam_write.h"

/* Names to builder labels: label i here is label i in the builder. */
struct label {
	const char *name; /* in the source */
	size_t length;
	uint32_t line; /* where it is defined, or first used */
	bool defined;
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
	struct builder code;
	struct label *labels;
	size_t label_count, label_capacity;
	uint32_t *label_slots; /* a hash table of label index + 1, 0 for empty */
	size_t slot_count;     /* a power of two, or 0 */
	size_t jump_count;
	uint32_t first_jump_line;
	int entry_size;       /* -1: the fewest bytes */
	struct bytes scratch; /* explicit bytes, before they go to the builder */
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

static const char *const numbered_names[13] = {"r0", "r1", "r2", "r3",  "r4",  "r5", "r6",
					       "r7", "r8", "r9", "r10", "r11", "r12"};
static const char *const abi_names[13] = {"ra", "sp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5"};

static int reg(struct assembler *as, struct cursor *c, uint8_t *out)
{
	const char *start;
	size_t n = word(c, &start);
	for (uint8_t i = 0; i < 13; i++) {
		if (same_word(start, n, numbered_names[i]) || same_word(start, n, abi_names[i])) {
			*out = i;
			return 0;
		}
	}
	if (n == 0)
		return failf(as, "expected a register (r0..r12)");
	return failf(as, "'%.*s' is not a register (r0..r12, or ra sp t0-t2 s0 s1 a0-a5)", (int)n, start);
}

/* ---- labels ----------------------------------------------------------- */

/* FNV-1a */
static size_t hash_name(const char *name, size_t n)
{
	uint64_t hash = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		hash = (hash ^ (uint8_t)name[i]) * 0x100000001b3ull;
	return (size_t)hash;
}

/* The slot holding the name, or the empty slot where it would go. */
static uint32_t *label_slot(struct assembler *as, const char *name, size_t n)
{
	for (size_t i = hash_name(name, n) & (as->slot_count - 1);; i = (i + 1) & (as->slot_count - 1)) {
		uint32_t *slot = &as->label_slots[i];
		if (!*slot)
			return slot;
		const struct label *label = &as->labels[*slot - 1];
		if (label->length == n && !memcmp(label->name, name, n))
			return slot;
	}
}

/* Keeps the table at most half full, so probes stay short. */
static int grow_label_slots(struct assembler *as)
{
	if (as->label_count < as->slot_count / 2)
		return 0;
	size_t count = as->slot_count ? as->slot_count * 2 : 64;
	uint32_t *slots = calloc(count, sizeof *slots);
	if (!slots)
		return failf(as, "out of memory");
	free(as->label_slots);
	as->label_slots = slots;
	as->slot_count = count;
	for (size_t i = 0; i < as->label_count; i++)
		*label_slot(as, as->labels[i].name, as->labels[i].length) = (uint32_t)i + 1;
	return 0;
}

static int64_t label_index(struct assembler *as, const char *name, size_t n)
{
	if (grow_label_slots(as))
		return -1;
	uint32_t *slot = label_slot(as, name, n);
	if (*slot)
		return *slot - 1;
	if (!array_reserve((void **)&as->labels, &as->label_capacity, as->label_count + 1, sizeof *as->labels) ||
	    builder_new_label(&as->code) != as->label_count)
		return failf(as, "out of memory");
	as->labels[as->label_count] = (struct label){name, n, as->line, false};
	*slot = (uint32_t)++as->label_count;
	return *slot - 1;
}

/* @N, @label or label: *label is the label, or BUILDER_NO_LABEL and *offset
 * the offset. */
static int target(struct assembler *as, struct cursor *c, uint32_t *label, uint64_t *offset, bool *negative)
{
	skip_blanks(c);
	bool at = eat(c, '@');
	skip_blanks(c);
	if (c->at < c->end && (isdigit((unsigned char)*c->at) || *c->at == '-')) {
		if (!at)
			return failf(as, "a numeric target is written @N");
		if (number(as, c, offset, negative))
			return -1;
		*label = BUILDER_NO_LABEL;
		return 0;
	}
	const char *start;
	size_t n = word(c, &start);
	if (!n)
		return failf(as, "expected a jump target (@label or @offset)");
	int64_t index = label_index(as, start, n);
	if (index < 0)
		return -1;
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

/* An "@N:" or "N:" before an item holds for it: the builder checks it. */
static int before_item(struct assembler *as)
{
	if (as->pending_assert >= 0 && builder_assert_offset(&as->code, (uint64_t)as->pending_assert))
		return failf(as, "out of memory");
	as->pending_assert = -1;
	return 0;
}

static int operands(struct assembler *as, struct cursor *c, struct pvm_inst *inst, uint32_t *label)
{
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
	if (target_field && target(as, c, label, target_field, NULL))
		return -1;
	return 0;
}

static int instruction(struct assembler *as, struct cursor *c, const char *mnemonic, size_t n)
{
	enum pvm_op op = pvm_op_by_name(mnemonic, (uint32_t)n);
	if (op == PVM_OP_COUNT)
		return failf(as, "unknown instruction '%.*s'", (int)n, mnemonic);
	struct pvm_inst inst = {.op = (uint8_t)op};
	uint32_t label = BUILDER_NO_LABEL;
	if (operands(as, c, &inst, &label))
		return -1;
	bool explicit = eat(c, '=');
	struct bytes *raw = &as->scratch;
	raw->length = 0;
	if (explicit) {
		if (hex_bytes(as, c, raw))
			return -1;
		if (raw->length < 1 || raw->length > 1 + PVM_MAX_SKIP)
			return failf(as, "explicit encodings are 1 to 25 bytes long, not %zu", raw->length);
	}
	if (!at_end(c))
		return failf(as, "unexpected '%.*s' after the operands",
			     (int)(c->end - c->at > 20 ? 20 : c->end - c->at), c->at);
	if (before_item(as))
		return -1;
	int status = explicit ? builder_append_encoded(&as->code, &inst, label, raw->data, raw->length)
			      : builder_append(&as->code, &inst, label);
	return status ? failf(as, "out of memory") : 0;
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
		if (builder_item_count(&as->code))
			return failf(as, ".isa must come before the first instruction");
		if (!pvm_isa_parse(text, &as->code.isa))
			return failf(as, "unknown ISA '%s' (gp0.7 or gp0.8)", text);
	} else if (same_word(name, n, ".jump_table")) {
		do {
			uint32_t label;
			bool negative = false;
			if (target(as, c, &label, &value, &negative))
				return -1;
			if (negative)
				return failf(as, "jump-table entry %zu is negative", as->jump_count);
			if (label == BUILDER_NO_LABEL ? builder_jump_entry_value(&as->code, value)
						      : builder_jump_entry(&as->code, label))
				return failf(as, "out of memory");
			if (!as->jump_count++)
				as->first_jump_line = as->line;
		} while (eat(c, ','));
	} else if (same_word(name, n, ".jump_entry_size")) {
		if (directive_number(as, c, 8, &value))
			return -1;
		as->entry_size = (int)value;
		/* 0 is refused later, if there are entries to hold. */
		as->code.jump_entry_size = (unsigned)value;
	} else if (same_word(name, n, ".bytes")) {
		as->scratch.length = 0;
		if (hex_bytes(as, c, &as->scratch) || before_item(as))
			return -1;
		if (builder_append_bytes(&as->code, as->scratch.data, as->scratch.length))
			return failf(as, "out of memory");
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
			if (label->defined)
				return failf(as, "label '%.*s' is already defined on line %u", (int)label->length,
					     label->name, label->line);
			label->defined = true;
			label->line = as->line;
			if (builder_place_label(&as->code, (uint32_t)index))
				return failf(as, "internal error: label %lld is placed twice", (long long)index);
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

/* ---- output ----------------------------------------------------------- */

/* The code as a raw blob, from the builder. */
static int build_blob(struct assembler *as, uint8_t **blob, size_t *length)
{
	struct builder_error problem;
	if (as->pending_assert >= 0) {
		/* It holds for the end of the code. */
		as->code.tag = as->pending_assert_line;
		if (before_item(as))
			return -1;
	}
	if (builder_finish(&as->code, blob, length, &problem)) {
		if (problem.label != BUILDER_NO_LABEL) {
			const struct label *label = &as->labels[problem.label];
			as->line = label->line;
			return failf(as, "label '%.*s' is used but never defined", (int)label->length, label->name);
		}
		if (problem.item != SIZE_MAX || problem.entry != SIZE_MAX)
			as->line = (uint32_t)problem.tag;
		return failf(as, "%s", problem.message);
	}
	/* ".jump_entry_size 0" with entries: the builder gave them the fewest
	 * bytes instead, and the mistake is the source's, on its first entry. */
	if (as->entry_size == 0 && as->jump_count) {
		free(*blob);
		*blob = NULL;
		as->line = as->first_jump_line;
		return failf(as, "the jump table has entries, but .jump_entry_size gives them 0 bytes");
	}
	return 0;
}

static int build_jam(struct assembler *as, const uint8_t *blob, size_t blob_length, uint8_t **jam, size_t *length)
{
	const struct loader_jam_parts parts = {
		.has_metadata = as->has_metadata,
		.metadata = as->metadata.data,
		.metadata_length = as->metadata.length,
		.ro_data = as->ro.data,
		.ro_length = as->ro.length,
		.rw_data = as->rw.data,
		.rw_length = as->rw.length,
		.heap_pages = as->heap_pages,
		.stack_size = as->stack_size,
		.blob = blob,
		.blob_length = blob_length,
	};
	struct pvm_error problem;
	if (loader_jam_write(&parts, jam, length, &problem))
		return failf(as, "%s", problem.message);
	return 0;
}

static void release(struct assembler *as)
{
	builder_release(&as->code);
	free(as->labels);
	free(as->label_slots);
	free(as->scratch.data);
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
		.entry_size = -1,
		.pending_assert = -1,
	};
	builder_init(&as.code, PVM_ISA_GP07);
	uint8_t *blob = NULL;
	size_t blob_length = 0;
	const char *at = source, *end = source + length;
	int status = 0;

	*output = NULL;
	*output_length = 0;
	while (at < end && !status) {
		const char *stop = memchr(at, '\n', (size_t)(end - at));
		if (!stop)
			stop = end;
		as.line++;
		as.code.tag = as.line;
		struct cursor cursor = {at, stop};
		status = line(&as, &cursor);
		at = stop + 1;
	}
	if (!status && memchr(source, 0, length))
		status = failf(&as, "the source contains a NUL byte");
	if (!status)
		status = build_blob(&as, &blob, &blob_length);
	if (!status && as.jam) {
		status = build_jam(&as, blob, blob_length, output, output_length);
	} else if (!status) {
		*output = blob;
		*output_length = blob_length;
		blob = NULL;
	}
	free(blob);
	release(&as);
	return status;
}
