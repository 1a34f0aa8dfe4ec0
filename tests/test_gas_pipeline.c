/* The GP 0.8 draft pipeline gas model (core/gas_pipeline.c): every block cost
 * of the gas-model vectors, and the model's corners worked out by hand from
 * appendix A.9 / A.10. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/json.h"
#include "core/gas_pipeline.h"
#include "core/program.h"
#include "loader/allocator.h"
#include "tests/support.h"

static void program_from_bytes(struct pvm_program *program, const uint8_t *bytes, size_t length, const char *what)
{
	struct pvm_error error;
	cr_assert_eq(pvm_program_init(program, bytes, length, PVM_ISA_GP07, &libc_allocator, &error), 0, "%s: %s", what,
		     error.message);
}

/* ---- the vectors ------------------------------------------------------ */

struct vector_result {
	uint32_t blocks, matched;
	char mismatches[600];
	size_t mismatches_length;
};

static void note_mismatch(struct vector_result *result, uint32_t pc, uint64_t want, uint64_t got)
{
	size_t room = sizeof result->mismatches - result->mismatches_length;
	int n = snprintf(result->mismatches + result->mismatches_length, room, " pc %u want %llu got %llu;", pc,
			 (unsigned long long)want, (unsigned long long)got);
	if (n > 0 && (size_t)n < room)
		result->mismatches_length += (size_t)n;
}

/* A vector file's JSON and its program, ready to cost. */
struct vector_file {
	struct json_value root;
	uint8_t *bytes;
	struct pvm_program program;
};

static void vector_open(struct vector_file *file, const char *path)
{
	size_t text_length;
	char *text = (char *)support_read_file(path, &text_length);
	char error[200];
	cr_assert_eq(json_parse(text, text_length, &file->root, error, sizeof error), 0, "%s: %s", path, error);
	free(text);
	const struct json_value *array = json_get(&file->root, "program");
	size_t length, bad;
	cr_assert(json_to_bytes(array, &file->bytes, &length, &bad),
		  "%s: \"program\" is not an array of bytes (item %zu)", path, bad);
	program_from_bytes(&file->program, file->bytes, length, path);
}

static void vector_close(struct vector_file *file)
{
	pvm_program_free(&file->program, &libc_allocator);
	free(file->bytes);
	json_free(&file->root);
}

/* Costs every block the file lists and compares. */
static void check_vector(const char *path, struct vector_result *result)
{
	struct vector_file file;
	vector_open(&file, path);
	const struct json_value *costs = json_get(&file.root, "block-gas-costs");
	cr_assert(costs && costs->type == JSON_OBJECT, "%s: no \"block-gas-costs\" object", path);

	*result = (struct vector_result){0};
	for (size_t i = 0; i < costs->count; i++) {
		uint64_t want;
		char *end;
		unsigned long pc = strtoul(costs->members[i].key, &end, 10);
		cr_assert(*end == 0 && json_to_u64(&costs->members[i].value, &want), "%s: bad block-gas-costs entry %s",
			  path, costs->members[i].key);
		/* The model's blocks must be the program's gas blocks. */
		int64_t block = pvm_program_block_at(&file.program, (uint32_t)pc);
		cr_expect(block >= 0 && file.program.blocks[block].pc == pc, "%s: pc %lu starts no gas block", path,
			  pc);
		uint64_t got = pvm_gas_pipeline_block_cost(&file.program, (uint32_t)pc);
		result->blocks++;
		if (got == want)
			result->matched++;
		else
			note_mismatch(result, (uint32_t)pc, want, got);
	}
	vector_close(&file);
}

static const char *vectors_or_skip(void)
{
	const char *root = support_vectors();
	if (!root)
		cr_skip_test("CORRAL_VECTORS is not set: no gas-model vectors to compare with");
	return root;
}

Test(gas_pipeline, every_gas_model_program_vector)
{
	const char *root = vectors_or_skip();
	char folder[1024];
	snprintf(folder, sizeof folder, "%s/pvm/gas-model/programs", root);
	struct dirent **entries;
	int n = scandir(folder, &entries, NULL, alphasort);
	cr_assert_geq(n, 0, "cannot list %s", folder);
	uint32_t files = 0, files_matched = 0;
	char failures[4000] = "";
	size_t failures_length = 0;
	for (int i = 0; i < n; i++) {
		const char *name = entries[i]->d_name;
		size_t name_length = strlen(name);
		if (name_length > 5 && !strcmp(name + name_length - 5, ".json")) {
			char path[1400];
			struct vector_result result;
			snprintf(path, sizeof path, "%s/%s", folder, name);
			check_vector(path, &result);
			files++;
			if (result.matched == result.blocks) {
				files_matched++;
			} else if (failures_length < sizeof failures - 1) {
				int w = snprintf(failures + failures_length, sizeof failures - failures_length,
						 "\n  %s:%s", name, result.mismatches);
				if (w > 0)
					failures_length += (size_t)w;
			}
		}
		free(entries[i]);
	}
	free(entries);
	cr_assert_gt(files, 0, "no vectors in %s", folder);
	cr_expect_eq(files_matched, files, "%u of %u program vectors match; mismatches:%s", files_matched, files,
		     failures);
}

static void check_integration(const char *name)
{
	const char *root = vectors_or_skip();
	char path[1024];
	snprintf(path, sizeof path, "%s/pvm/gas-model/integration/%s", root, name);
	struct vector_result result;
	check_vector(path, &result);
	cr_expect_eq(result.matched, result.blocks, "%s: %u of %u blocks match:%s", name, result.matched, result.blocks,
		     result.mismatches);
}

Test(gas_pipeline, integration_pinky)
{
	check_integration("pinky.json");
}

Test(gas_pipeline, integration_prime_sieve)
{
	check_integration("prime-sieve.json");
}

/* Blocks per second over prime-sieve's 3810 blocks, for the report. */
Test(gas_pipeline, speed_on_prime_sieve)
{
	const char *root = vectors_or_skip();
	char path[1024];
	snprintf(path, sizeof path, "%s/pvm/gas-model/integration/prime-sieve.json", root);
	struct vector_file file;
	vector_open(&file, path);
	struct timespec begin, end;
	clock_gettime(CLOCK_MONOTONIC, &begin);
	uint32_t rounds = 20;
	for (uint32_t round = 0; round < rounds; round++)
		pvm_gas_pipeline_cost_blocks(&file.program);
	clock_gettime(CLOCK_MONOTONIC, &end);
	double seconds = (double)(end.tv_sec - begin.tv_sec) + (double)(end.tv_nsec - begin.tv_nsec) / 1e9;
	cr_log_info("prime-sieve: %u blocks x %u in %.3f s: %.0f blocks/s", file.program.block_count, rounds, seconds,
		    (double)file.program.block_count * rounds / seconds);
	vector_close(&file);
}

/* ---- corners, worked by hand from A.45-A.57 --------------------------- */

/* The cost of the block at 0 of a GP 0.7 assembly program. */
static uint64_t cost_at_0(const char *source)
{
	size_t length;
	uint8_t *bytes = support_assemble(source, &length);
	struct pvm_program program;
	program_from_bytes(&program, bytes, length, source);
	uint64_t cost = pvm_gas_pipeline_block_cost(&program, 0);
	pvm_program_free(&program, &libc_allocator);
	free(bytes);
	return cost;
}

static void expect_cost(const char *source, uint64_t want)
{
	uint64_t got = cost_at_0(source);
	cr_expect_eq(got, want, "cost %llu, expected %llu, for:\n%s", (unsigned long long)got, (unsigned long long)want,
		     source);
}

/* Decoded at cycle 0, waiting at 1, executing at 1 for two cycles, done at 4
 * and retired at 5: max(5 - 3, 1) = 2. */
Test(gas_pipeline, a_lone_trap_costs_two)
{
	expect_cost("trap\n", 2);
	expect_cost("fallthrough\n", 2);
}

/* move_reg takes a decode slot but no buffer entry: the block costs what its
 * trap alone does. */
Test(gas_pipeline, move_reg_is_eliminated_in_the_front_end)
{
	expect_cost("move_reg r1, r2\ntrap\n", 2);
}

/* The divide starts at cycle 1 and its 60 cycles end at 61; the add reads r4,
 * which the move made an alias of the divide's r3, so it starts at 61 and the
 * last retirement is at 64: 61. Without the alias it would not wait: 60. */
Test(gas_pipeline, move_reg_aliases_its_source_producer)
{
	expect_cost("div_u_64 r3, r1, r2\nmove_reg r4, r3\nadd_64 r5, r4, r4\ntrap\n", 61);
	expect_cost("div_u_64 r3, r1, r2\nmove_reg r4, r6\nadd_64 r5, r4, r4\ntrap\n", 60);
}

/* A divide alone: 60. Each dependent add starts as its producer's count
 * reaches 0 (61, 62) and retirement ends at 65: 62. */
Test(gas_pipeline, divide_then_dependent_instructions)
{
	expect_cost("div_u_64 r3, r1, r2\ntrap\n", 60);
	expect_cost("div_u_64 r3, r1, r2\nadd_64 r4, r3, r3\nadd_64 r5, r4, r4\ntrap\n", 62);
}

/* One divide unit: the second divide waits for the first to free it at 61,
 * finishes at 121 and retires at 123: 120. */
Test(gas_pipeline, a_busy_unit_delays_the_next_user)
{
	expect_cost("div_u_64 r3, r1, r2\ndiv_u_64 r6, r4, r5\ntrap\n", 120);
}

/* The divide holds the oldest entry until it retires at 63. With 30 loads
 * behind it the trap still gets the 32nd entry at cycle 8 and all retire at
 * 63: 60. With 31 the buffer is full; the trap decodes only at 63 and retires
 * at 68: 65. */
Test(gas_pipeline, a_full_reorder_buffer_stalls_decoding)
{
	char source[2000];
	for (int loads = 30; loads <= 31; loads++) {
		size_t at = (size_t)snprintf(source, sizeof source, "div_u_64 r3, r1, r2\n");
		for (int i = 0; i < loads; i++)
			at += (size_t)snprintf(source + at, sizeof source - at, "load_imm r%d, %d\n", i % 13, i);
		snprintf(source + at, sizeof source - at, "trap\n");
		expect_cost(source, loads == 30 ? 60 : 65);
	}
}

/* Two adds whose destination is also a source take one slot each (P(1, 2)):
 * all three decode at cycle 0 and the block costs 2. With fresh destinations
 * they take two each, the trap waits a cycle: 3. */
Test(gas_pipeline, overlapping_registers_decode_cheaper)
{
	expect_cost("add_64 r1, r1, r2\nadd_64 r3, r3, r2\ntrap\n", 2);
	expect_cost("add_64 r4, r1, r2\nadd_64 r5, r3, r2\ntrap\n", 3);
}

/* A branch costs 20 cycles, or 1 when either way leads to trap or unlikely. */
Test(gas_pipeline, branch_cost_depends_on_its_targets)
{
	expect_cost("branch_eq_imm r1, 0, @t\nfallthrough\nt: load_imm r2, 1\ntrap\n", 20);
	expect_cost("branch_eq_imm r1, 0, @t\ntrap\nt: load_imm r2, 1\ntrap\n", 1);
	expect_cost("branch_eq_imm r1, 0, @t\nfallthrough\nt: unlikely\ntrap\n", 1);
	expect_cost("branch_eq_imm r1, 0, @t\nfallthrough\nt: trap\n", 1);
}

/* A.46 as written ends the block once the buffer is empty, even with
 * instructions still to decode: four move_regs use up cycle 0's slots, the
 * buffer is empty, and the trap (or a divide) is never counted: cost 1.
 * This pins the literal reading; see core/gas_pipeline.c. */
Test(gas_pipeline, decode_stall_with_an_empty_buffer_ends_the_block)
{
	expect_cost("move_reg r1, r2\nmove_reg r3, r4\nmove_reg r5, r6\ntrap\n", 2);
	expect_cost("move_reg r1, r2\nmove_reg r3, r4\nmove_reg r5, r6\nmove_reg r7, r8\ntrap\n", 1);
	expect_cost("move_reg r1, r2\nmove_reg r3, r4\nmove_reg r5, r6\nmove_reg r7, r8\ndiv_u_64 r3, r1, r2\ntrap\n",
		    1);
}
