/* The code builder (loader/builder.h): where labels and targets land as
 * jump offsets grow, that every offset ends as short as it can be even in
 * big programs and long chains of growth, the jump table, the errors and
 * what they point at; and the JAM standard-program writer
 * (loader/jam_write.h), through loader_parse and at its limits. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "core/encode.h"
#include "loader/builder.h"
#include "loader/container.h"
#include "loader/jam_write.h"

#define assert_contains(haystack, needle) \
	cr_assert(strstr((haystack), (needle)) != NULL, "expected \"%s\" in: %s", (needle), (haystack))

static const struct pvm_inst fallthrough = {.op = PVM_OP_FALLTHROUGH};
static const struct pvm_inst trap = {.op = PVM_OP_TRAP};

static struct pvm_inst jump_to(uint64_t target)
{
	return (struct pvm_inst){.op = PVM_OP_JUMP, .imm_x = target};
}

static struct pvm_inst branch_eq(uint8_t ra, uint8_t rb)
{
	return (struct pvm_inst){.op = PVM_OP_BRANCH_EQ, .ra = ra, .rb = rb};
}

static void append(struct builder *builder, struct pvm_inst inst, uint32_t label)
{
	cr_assert_eq(builder_append(builder, &inst, label), 0);
}

static uint32_t placed_label(struct builder *builder)
{
	uint32_t label = builder_new_label(builder);
	cr_assert_neq(label, BUILDER_NO_LABEL);
	cr_assert_eq(builder_place_label(builder, label), 0);
	return label;
}

/* A finished blob, parsed, to decode from. */
struct built {
	uint8_t *bytes;
	size_t length;
	struct pvm_blob blob;
	struct pvm_opcode_map map;
	struct pvm_code code;
};

static void finish(struct builder *builder, struct built *built)
{
	struct builder_error error;
	cr_assert_eq(builder_finish(builder, &built->bytes, &built->length, &error), 0, "%s", error.message);
	struct pvm_error problem;
	cr_assert_eq(pvm_blob_parse(&built->blob, built->bytes, built->length, &problem), 0, "%s", problem.message);
	pvm_opcode_map_init(&built->map, builder->isa);
	built->code = (struct pvm_code){built->blob.code, built->blob.code_length, built->blob.bitmask, &built->map};
}

static struct pvm_inst decode(const struct built *built, uint32_t pc)
{
	struct pvm_inst inst;
	pvm_decode(&built->code, pc, &inst);
	return inst;
}

static int64_t target_at(const struct built *built, uint32_t pc)
{
	struct pvm_inst inst = decode(built, pc);
	int64_t target;
	cr_assert(pvm_inst_target(&inst, &target), "no target at %u", pc);
	return target;
}

/* The builder must fail; the error is returned for the caller to check. */
static struct builder_error finish_fails(struct builder *builder)
{
	struct builder_error error;
	uint8_t *bytes = (uint8_t *)&error;
	size_t length = 1;
	cr_assert_eq(builder_finish(builder, &bytes, &length, &error), -1);
	cr_assert_null(bytes);
	cr_assert_eq(length, 0);
	return error;
}

/* Every instruction is encoded as pvm_encode would encode it alone at its
 * offset: no jump offset is longer than its distance needs. */
static void assert_canonical(const struct builder *builder, const struct built *built)
{
	for (uint32_t pc = 0; pc < built->blob.code_length;) {
		struct pvm_inst inst = decode(built, pc);
		uint8_t bytes[PVM_MAX_ENCODED];
		struct pvm_error problem;
		uint32_t size = pvm_encode(&inst, builder->isa, 0, bytes, &problem);
		cr_assert_eq(size, inst.next - pc, "%s at %u takes %u bytes, not the fewest, %u", pvm_ops[inst.op].name,
			     pc, inst.next - pc, size);
		cr_assert_arr_eq(bytes, built->blob.code + pc, size);
		pc = inst.next;
	}
}

/* ---- labels and offsets ----------------------------------------------- */

Test(builder, branches_over_300_bytes_take_two_byte_offsets_both_ways)
{
	struct builder builder;
	builder_init(&builder, PVM_ISA_GP07);
	uint32_t end = builder_new_label(&builder);
	append(&builder, fallthrough, BUILDER_NO_LABEL);
	uint32_t back = placed_label(&builder);
	append(&builder, fallthrough, BUILDER_NO_LABEL);
	append(&builder, jump_to(0), end); /* at 2 */
	for (int i = 0; i < 300; i++)
		append(&builder, fallthrough, BUILDER_NO_LABEL);
	cr_assert_eq(builder_place_label(&builder, end), 0);
	append(&builder, branch_eq(1, 2), back);
	append(&builder, trap, BUILDER_NO_LABEL);
	struct built built;
	finish(&builder, &built);

	/* The jump is 3 bytes (an offset of 303 needs 2), so `end` is at
	 * 2 + 3 + 300; the branch back is 4 (-304 needs 2 as well). */
	cr_assert_eq(builder_label_offset(&builder, back), 1);
	cr_assert_eq(builder_label_offset(&builder, end), 305);
	cr_assert_eq(builder_item_offset(&builder, 2), 2);
	cr_assert_eq(builder_item_offset(&builder, 303), 305);
	cr_assert_eq(builder_item_offset(&builder, 304), 309);
	cr_assert_eq(built.blob.code_length, 310);
	static const uint8_t jump[] = {0x28, 0x2f, 0x01}, branch[] = {0xaa, 0x21, 0xd0, 0xfe};
	cr_assert_arr_eq(built.blob.code + 2, jump, sizeof jump);
	cr_assert_arr_eq(built.blob.code + 305, branch, sizeof branch);
	cr_assert_eq(target_at(&built, 2), 305);
	cr_assert_eq(target_at(&built, 305), 1);
	assert_canonical(&builder, &built);
	free(built.bytes);
	builder_release(&builder);
}

Test(builder, forward_jumps_far_into_the_code_take_the_fewest_bytes)
{
	/* Before the builder, the first layout round saw every label ahead at
	 * offset 0, and a jump 40000 bytes in kept the 3-byte offset that
	 * distance needs forever. */
	struct builder builder;
	builder_init(&builder, PVM_ISA_GP07);
	for (int i = 0; i < 40000; i++)
		append(&builder, fallthrough, BUILDER_NO_LABEL);
	uint32_t end = builder_new_label(&builder);
	append(&builder, jump_to(0), end);
	append(&builder, fallthrough, BUILDER_NO_LABEL);
	cr_assert_eq(builder_place_label(&builder, end), 0);
	append(&builder, trap, BUILDER_NO_LABEL);
	struct built built;
	finish(&builder, &built);
	static const uint8_t jump[] = {0x28, 0x03};
	cr_assert_arr_eq(built.blob.code + 40000, jump, sizeof jump);
	cr_assert_eq(builder_label_offset(&builder, end), 40003);
	free(built.bytes);
	builder_release(&builder);
}

Test(builder, a_label_at_the_end_of_the_code_is_the_code_length)
{
	/* A jump that is the last item, to a label after it: the end moves as
	 * the jump grows (once, this jumped to 0). */
	struct builder builder;
	builder_init(&builder, PVM_ISA_GP07);
	uint32_t end = builder_new_label(&builder);
	append(&builder, jump_to(0), end);
	cr_assert_eq(builder_place_label(&builder, end), 0);
	struct built built;
	finish(&builder, &built);
	cr_assert_eq(built.blob.code_length, 2);
	cr_assert_eq(builder_label_offset(&builder, end), 2);
	cr_assert_eq(target_at(&built, 0), 2);
	free(built.bytes);
	builder_release(&builder);
}

Test(builder, absolute_targets_and_load_imm_jump)
{
	struct builder builder;
	builder_init(&builder, PVM_ISA_GP08);
	uint32_t start = placed_label(&builder);
	append(&builder, jump_to(0x1234), BUILDER_NO_LABEL);
	struct pvm_inst call = {.op = PVM_OP_LOAD_IMM_JUMP, .ra = 0, .imm_x = 77};
	append(&builder, call, start);
	append(&builder, (struct pvm_inst){.op = PVM_OP_BRANCH_NE_IMM, .ra = 3, .imm_x = 5, .imm_y = 1},
	       BUILDER_NO_LABEL);
	struct built built;
	finish(&builder, &built);
	cr_assert_eq(target_at(&built, 0), 0x1234);
	uint32_t at = builder_item_offset(&builder, 1);
	struct pvm_inst got = decode(&built, at);
	cr_assert_eq(got.op, PVM_OP_LOAD_IMM_JUMP);
	cr_assert_eq(got.imm_x, 77);
	cr_assert_eq(got.imm_y, 0);
	cr_assert_eq(target_at(&built, builder_item_offset(&builder, 2)), 1);
	assert_canonical(&builder, &built);
	free(built.bytes);
	builder_release(&builder);
}

Test(builder, an_empty_builder_gives_the_empty_blob)
{
	struct builder builder;
	builder_init(&builder, PVM_ISA_GP07);
	uint32_t end = placed_label(&builder);
	struct built built;
	finish(&builder, &built);
	static const uint8_t empty[] = {0, 0, 0};
	cr_assert_eq(built.length, sizeof empty);
	cr_assert_arr_eq(built.bytes, empty, sizeof empty);
	cr_assert_eq(builder_label_offset(&builder, end), 0);
	cr_assert_eq(builder_item_count(&builder), 0);
	free(built.bytes);
	builder_release(&builder);
}

/* ---- the jump table --------------------------------------------------- */

Test(builder, jump_table_entries_hold_their_labels_offsets)
{
	struct builder builder;
	builder_init(&builder, PVM_ISA_GP07);
	uint32_t first = placed_label(&builder), middle = builder_new_label(&builder),
		 end = builder_new_label(&builder);
	/* Entries may come before their labels are placed. */
	cr_assert_eq(builder_jump_entry(&builder, middle), 0);
	cr_assert_eq(builder_jump_entry(&builder, first), 0);
	for (int i = 0; i < 200; i++)
		append(&builder, fallthrough, BUILDER_NO_LABEL);
	cr_assert_eq(builder_place_label(&builder, middle), 0);
	for (int i = 0; i < 100; i++)
		append(&builder, fallthrough, BUILDER_NO_LABEL);
	cr_assert_eq(builder_place_label(&builder, end), 0);
	cr_assert_eq(builder_jump_entry(&builder, end), 0);
	cr_assert_eq(builder_jump_entry_value(&builder, 7), 0);
	struct built built;
	finish(&builder, &built);
	cr_assert_eq(built.blob.jump_count, 4);
	cr_assert_eq(built.blob.jump_entry_size, 2, "300 needs two bytes");
	cr_assert_eq(pvm_blob_jump_entry(&built.blob, 0), 200);
	cr_assert_eq(pvm_blob_jump_entry(&built.blob, 1), 0);
	cr_assert_eq(pvm_blob_jump_entry(&built.blob, 2), 300);
	cr_assert_eq(pvm_blob_jump_entry(&built.blob, 3), 7);
	free(built.bytes);
	builder_release(&builder);
}

Test(builder, a_fixed_entry_size_is_kept_and_checked)
{
	struct builder builder;
	builder_init(&builder, PVM_ISA_GP07);
	builder.jump_entry_size = 4;
	builder.tag = 11;
	cr_assert_eq(builder_jump_entry_value(&builder, 1), 0);
	append(&builder, trap, BUILDER_NO_LABEL);
	struct built built;
	finish(&builder, &built);
	cr_assert_eq(built.blob.jump_entry_size, 4);
	free(built.bytes);
	builder_release(&builder);

	builder_init(&builder, PVM_ISA_GP07);
	builder.jump_entry_size = 1;
	cr_assert_eq(builder_jump_entry_value(&builder, 1), 0);
	builder.tag = 12;
	cr_assert_eq(builder_jump_entry_value(&builder, 300), 0);
	struct builder_error error = finish_fails(&builder);
	cr_assert_eq(error.entry, 1);
	cr_assert_eq(error.item, SIZE_MAX);
	cr_assert_eq(error.tag, 12);
	cr_assert_str_eq(error.message, "jump-table entry 300 does not fit 1 bytes");
	builder_release(&builder);
}

/* ---- errors ----------------------------------------------------------- */

Test(builder, a_label_used_but_never_placed_is_an_error_naming_it)
{
	struct builder builder;
	builder_init(&builder, PVM_ISA_GP07);
	uint32_t unused = builder_new_label(&builder); /* never used: no error */
	uint32_t placed = placed_label(&builder);
	uint32_t missing = builder_new_label(&builder);
	append(&builder, jump_to(0), placed);
	append(&builder, jump_to(0), missing);
	struct builder_error error = finish_fails(&builder);
	cr_assert_eq(error.label, missing);
	cr_assert_eq(error.item, SIZE_MAX);
	assert_contains(error.message, "label 2 is used but never placed");
	cr_assert_eq(builder_label_offset(&builder, unused), UINT32_MAX);
	builder_release(&builder);

	/* A jump-table entry uses its label too. */
	builder_init(&builder, PVM_ISA_GP07);
	missing = builder_new_label(&builder);
	cr_assert_eq(builder_jump_entry(&builder, missing), 0);
	error = finish_fails(&builder);
	cr_assert_eq(error.label, missing);
	builder_release(&builder);
}

Test(builder, an_instruction_that_does_not_encode_is_an_error_at_its_item)
{
	struct builder builder;
	builder_init(&builder, PVM_ISA_GP08);
	append(&builder, trap, BUILDER_NO_LABEL);
	builder.tag = 42;
	append(&builder, (struct pvm_inst){.op = PVM_OP_LOAD_IMM, .ra = 1, .imm_x = 0x80000000}, BUILDER_NO_LABEL);
	struct builder_error error = finish_fails(&builder);
	cr_assert_eq(error.item, 1);
	cr_assert_eq(error.tag, 42);
	assert_contains(error.message, "load_imm immediate 0x80000000 does not fit");
	builder_release(&builder);

	builder_init(&builder, PVM_ISA_GP08);
	append(&builder, (struct pvm_inst){.op = PVM_OP_SBRK, .rd = 1, .ra = 2}, BUILDER_NO_LABEL);
	error = finish_fails(&builder);
	cr_assert_eq(error.item, 0);
	assert_contains(error.message, "sbrk does not exist in gp0.8");
	builder_release(&builder);
}

Test(builder, a_target_out_of_reach_is_an_error_at_its_final_offset)
{
	struct builder builder;
	builder_init(&builder, PVM_ISA_GP07);
	append(&builder, fallthrough, BUILDER_NO_LABEL);
	append(&builder, jump_to(1ull << 32), BUILDER_NO_LABEL);
	struct builder_error error = finish_fails(&builder);
	cr_assert_eq(error.item, 1);
	assert_contains(error.message, "jump target 4294967296 is out of reach of pc 1");
	builder_release(&builder);
}

Test(builder, offset_assertions_are_checked_after_the_layout)
{
	struct builder builder;
	builder_init(&builder, PVM_ISA_GP07);
	uint32_t far = builder_new_label(&builder);
	cr_assert_eq(builder_assert_offset(&builder, 0), 0);
	append(&builder, jump_to(0), far);
	cr_assert_eq(builder_assert_offset(&builder, 3), 0);
	append(&builder, trap, BUILDER_NO_LABEL);
	for (int i = 0; i < 200; i++)
		append(&builder, fallthrough, BUILDER_NO_LABEL);
	cr_assert_eq(builder_place_label(&builder, far), 0);
	cr_assert_eq(builder_assert_offset(&builder, 204), 0);
	struct built built;
	finish(&builder, &built);
	free(built.bytes);
	builder_release(&builder);

	/* Right for a one-byte offset, wrong once the jump has grown. */
	builder_init(&builder, PVM_ISA_GP07);
	far = builder_new_label(&builder);
	append(&builder, jump_to(0), far);
	cr_assert_eq(builder_assert_offset(&builder, 2), 0);
	builder.tag = 5;
	append(&builder, trap, BUILDER_NO_LABEL);
	for (int i = 0; i < 200; i++)
		append(&builder, fallthrough, BUILDER_NO_LABEL);
	cr_assert_eq(builder_place_label(&builder, far), 0);
	struct builder_error error = finish_fails(&builder);
	cr_assert_eq(error.item, 1);
	cr_assert_eq(error.tag, 5);
	cr_assert_str_eq(error.message, "this is at offset 3, not 2");
	builder_release(&builder);

	/* At the end of the code, the tag is the assertion's. */
	builder_init(&builder, PVM_ISA_GP07);
	append(&builder, trap, BUILDER_NO_LABEL);
	builder.tag = 9;
	cr_assert_eq(builder_assert_offset(&builder, 5), 0);
	error = finish_fails(&builder);
	cr_assert_eq(error.item, 1, "the end of the code is item 1");
	cr_assert_eq(error.tag, 9);
	cr_assert_str_eq(error.message, "the code ends at offset 1, not 5");
	builder_release(&builder);
}

Test(builder, explicit_bytes_must_decode_to_their_instruction)
{
	struct builder builder;
	builder_init(&builder, PVM_ISA_GP07);
	uint32_t start = placed_label(&builder);
	static const uint8_t data[] = {0xde, 0xad};
	cr_assert_eq(builder_append_bytes(&builder, data, sizeof data), 0);
	/* A padded jump back to the start. */
	static const uint8_t padded[] = {0x28, 0xfe, 0xff, 0xff};
	cr_assert_eq(builder_append_encoded(&builder, &(struct pvm_inst){.op = PVM_OP_JUMP}, start, padded, 4), 0);
	append(&builder, trap, BUILDER_NO_LABEL);
	struct built built;
	finish(&builder, &built);
	static const uint8_t code[] = {0xde, 0xad, 0x28, 0xfe, 0xff, 0xff, 0x00};
	cr_assert_eq(built.blob.code_length, sizeof code);
	cr_assert_arr_eq(built.blob.code, code, sizeof code);
	cr_assert_eq(built.blob.bitmask[0], 0x44, "the bytes hold no opcode");
	free(built.bytes);
	builder_release(&builder);

	builder_init(&builder, PVM_ISA_GP07);
	append(&builder, trap, BUILDER_NO_LABEL);
	builder.tag = 3;
	static const uint8_t wrong[] = {0x33, 0x00, 0x01};
	cr_assert_eq(builder_append_encoded(&builder, &(struct pvm_inst){.op = PVM_OP_LOAD_IMM, .imm_x = 2},
					    BUILDER_NO_LABEL, wrong, sizeof wrong),
		     0);
	struct builder_error error = finish_fails(&builder);
	cr_assert_eq(error.item, 1);
	cr_assert_eq(error.tag, 3);
	cr_assert_str_eq(error.message, "'load_imm r0, 2' is encoded as bytes that decode to 'load_imm r0, 1' here");
	builder_release(&builder);
}

Test(builder, misuse_is_refused_when_it_is_made)
{
	struct builder builder;
	builder_init(&builder, PVM_ISA_GP07);
	uint32_t label = placed_label(&builder);
	cr_assert_eq(builder_place_label(&builder, label), -1, "placed twice");
	cr_assert_eq(builder_place_label(&builder, label + 1), -1, "no such label");
	struct pvm_inst add = {.op = PVM_OP_ADD_64, .rd = 1, .ra = 2, .rb = 3};
	cr_assert_eq(builder_append(&builder, &add, label), -1, "add_64 has no target");
	struct pvm_inst jump = jump_to(0);
	cr_assert_eq(builder_append(&builder, &jump, label + 1), -1, "no such label");
	cr_assert_eq(builder_jump_entry(&builder, label + 1), -1);
	uint8_t bytes[26] = {0x28};
	cr_assert_eq(builder_append_encoded(&builder, &jump, label, bytes, 0), -1);
	cr_assert_eq(builder_append_encoded(&builder, &jump, label, bytes, 26), -1);
	cr_assert_eq(builder_item_count(&builder), 0, "nothing refused was kept");
	builder_release(&builder);
}

/* ---- big programs ----------------------------------------------------- */

static uint64_t next_random(uint64_t *state)
{
	*state = *state * 6364136223846793005ull + 1442695040888963407ull;
	return *state >> 33;
}

Test(builder, a_100k_instruction_program_with_many_branches_settles, .timeout = 30)
{
	enum { COUNT = 100000, LABELS = COUNT / 40 };
	struct builder builder;
	builder_init(&builder, PVM_ISA_GP07);
	uint32_t *labels = malloc(LABELS * sizeof *labels);
	uint32_t *targets = malloc(COUNT * sizeof *targets); /* per item: its label, or BUILDER_NO_LABEL */
	cr_assert(labels && targets);
	for (int i = 0; i < LABELS; i++)
		labels[i] = builder_new_label(&builder);
	uint64_t state = 1;
	for (uint32_t i = 0; i < COUNT; i++) {
		if (i % 40 == 0)
			cr_assert_eq(builder_place_label(&builder, labels[i / 40]), 0);
		uint64_t pick = next_random(&state) % 100;
		/* Near and far, ahead and behind. */
		uint32_t label = labels[pick < 5 ? next_random(&state) % LABELS
						 : (i / 40 + LABELS - 3 + next_random(&state) % 7) % LABELS];
		targets[i] = BUILDER_NO_LABEL;
		if (pick < 12) {
			targets[i] = label;
			append(&builder, pick % 2 ? jump_to(0) : branch_eq(1, 2), label);
		} else if (pick < 14) {
			targets[i] = label;
			append(&builder, (struct pvm_inst){.op = PVM_OP_BRANCH_LT_U_IMM, .ra = 4, .imm_x = 1000},
			       label);
		} else {
			append(&builder,
			       (struct pvm_inst){
				       .op = PVM_OP_ADD_IMM_64, .ra = 1, .rb = 2, .imm_x = next_random(&state)},
			       BUILDER_NO_LABEL);
		}
	}
	cr_assert_eq(builder_jump_entry(&builder, labels[LABELS / 2]), 0);
	struct built built;
	finish(&builder, &built);
	cr_assert_leq(builder.rounds, 8, "%u rounds", builder.rounds);
	for (uint32_t i = 0; i < COUNT; i++)
		if (targets[i] != BUILDER_NO_LABEL)
			cr_assert_eq(target_at(&built, builder_item_offset(&builder, i)),
				     builder_label_offset(&builder, targets[i]), "item %u", i);
	cr_assert_eq(pvm_blob_jump_entry(&built.blob, 0), builder_label_offset(&builder, labels[LABELS / 2]));
	assert_canonical(&builder, &built);
	free(built.bytes);
	free(labels);
	free(targets);
	builder_release(&builder);
}

Test(builder, a_chain_of_growing_jumps_takes_a_round_per_link)
{
	/* Jumps 0..N-1 in a row, jump i to label i, label i after 126 - 3(N-1-i)
	 * more bytes of padding than the jumps: jump i needs a second offset
	 * byte only once every later jump has grown, and sees that one round
	 * after the last of them did. So the layout takes over N rounds: no
	 * small fixed number of rounds is enough. */
	enum { N = 40 };
	struct builder builder;
	builder_init(&builder, PVM_ISA_GP07);
	uint32_t labels[N];
	for (int i = 0; i < N; i++) {
		labels[i] = builder_new_label(&builder);
		append(&builder, jump_to(0), labels[i]);
	}
	int padding = 0;
	for (int i = 0; i < N; i++) {
		for (; padding < 126 - 3 * (N - 1 - i); padding++)
			append(&builder, fallthrough, BUILDER_NO_LABEL);
		cr_assert_eq(builder_place_label(&builder, labels[i]), 0);
	}
	append(&builder, trap, BUILDER_NO_LABEL);
	struct built built;
	finish(&builder, &built);
	cr_assert_geq(builder.rounds, N, "%u rounds", builder.rounds);
	for (int i = 0; i < N; i++) {
		uint32_t at = builder_item_offset(&builder, (size_t)i);
		cr_assert_eq(at, 3 * (uint32_t)i, "every jump has a 2-byte offset");
		cr_assert_eq(target_at(&built, at), builder_label_offset(&builder, labels[i]));
	}
	assert_canonical(&builder, &built);
	free(built.bytes);
	builder_release(&builder);
}

/* ---- JAM standard programs -------------------------------------------- */

static void assert_same_bytes(const uint8_t *got, size_t got_length, const uint8_t *want, size_t want_length)
{
	cr_assert_eq(got_length, want_length);
	if (want_length)
		cr_assert_arr_eq(got, want, want_length);
}

static void assert_parses_back(const struct loader_jam_parts *parts)
{
	uint8_t *bytes;
	size_t length;
	struct pvm_error error;
	cr_assert_eq(loader_jam_write(parts, &bytes, &length, &error), 0, "%s", error.message);
	struct loader_program program;
	cr_assert_eq(loader_parse(bytes, length, CORRAL_FORMAT_JAM, &program, &error), 0, "%s", error.message);
	cr_assert_eq(program.format, CORRAL_FORMAT_JAM);
	cr_assert_eq(program.has_metadata, parts->has_metadata);
	if (parts->has_metadata)
		assert_same_bytes(program.metadata, program.metadata_length, parts->metadata, parts->metadata_length);
	assert_same_bytes(program.ro_data, program.ro_length, parts->ro_data, parts->ro_length);
	assert_same_bytes(program.rw_data, program.rw_length, parts->rw_data, parts->rw_length);
	cr_assert_eq(program.heap_pages, parts->heap_pages);
	cr_assert_eq(program.stack_size, parts->stack_size);
	assert_same_bytes(program.blob, program.blob_length, parts->blob, parts->blob_length);
	free(bytes);
}

Test(builder, jam_write_output_parses_back_into_its_parts)
{
	struct builder builder;
	builder_init(&builder, PVM_ISA_GP07);
	append(&builder, (struct pvm_inst){.op = PVM_OP_LOAD_IMM, .ra = 7, .imm_x = 42}, BUILDER_NO_LABEL);
	append(&builder, trap, BUILDER_NO_LABEL);
	struct built built;
	finish(&builder, &built);

	uint8_t metadata[300], ro[5000], rw[3];
	for (size_t i = 0; i < sizeof metadata; i++)
		metadata[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < sizeof ro; i++)
		ro[i] = (uint8_t)i;
	memset(rw, 0xab, sizeof rw);
	struct loader_jam_parts parts = {
		.has_metadata = true,
		.metadata = metadata,
		.metadata_length = sizeof metadata, /* a two-byte length */
		.ro_data = ro,
		.ro_length = sizeof ro,
		.rw_data = rw,
		.rw_length = sizeof rw,
		.heap_pages = 0x102,
		.stack_size = 0x30201,
		.blob = built.bytes,
		.blob_length = built.length,
	};
	assert_parses_back(&parts);
	parts.metadata_length = 0;
	assert_parses_back(&parts);
	parts.has_metadata = false;
	assert_parses_back(&parts);
	parts = (struct loader_jam_parts){.blob = built.bytes, .blob_length = built.length};
	assert_parses_back(&parts);

	/* The exact bytes of the smallest. */
	uint8_t *bytes;
	size_t length;
	struct pvm_error error;
	cr_assert_eq(loader_jam_write(&parts, &bytes, &length, &error), 0);
	cr_assert_eq(length, 11 + 4 + built.length);
	static const uint8_t header[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	cr_assert_arr_eq(bytes, header, sizeof header);
	cr_assert_eq(bytes[11], built.length);
	cr_assert_arr_eq(bytes + 15, built.bytes, built.length);
	free(bytes);
	free(built.bytes);
	builder_release(&builder);
}

Test(builder, jam_write_refuses_what_its_fields_cannot_hold)
{
	static const uint8_t blob[] = {0, 0, 0};
	static const struct {
		struct loader_jam_parts parts;
		const char *problem;
	} cases[] = {
		{{.ro_length = 0x1000000}, "the read-only data is 16777216 bytes"},
		{{.rw_length = 0x1000000}, "the read-write data is 16777216 bytes"},
		{{.heap_pages = 0x10000}, "65536 heap pages"},
		{{.stack_size = 0x1000000}, "a stack of 16777216 bytes"},
		{{.blob_length = 0x100000000}, "the code is 4294967296 bytes"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		/* The lengths are checked before any byte is read. */
		uint8_t *bytes = (uint8_t *)blob;
		size_t length = 1;
		struct pvm_error error;
		cr_assert_eq(loader_jam_write(&cases[i].parts, &bytes, &length, &error), -1, "%s", cases[i].problem);
		cr_assert_null(bytes);
		cr_assert_eq(length, 0);
		assert_contains(error.message, cases[i].problem);
	}

	/* One less is fine. */
	uint8_t *big = calloc(0xFFFFFF, 1);
	cr_assert_not_null(big);
	struct loader_jam_parts most = {
		.ro_data = big,
		.ro_length = 0xFFFFFF,
		.rw_data = big,
		.rw_length = 0xFFFFFF,
		.heap_pages = 0xFFFF,
		.stack_size = 0xFFFFFF,
		.blob = blob,
		.blob_length = sizeof blob,
	};
	assert_parses_back(&most);
	free(big);
}
