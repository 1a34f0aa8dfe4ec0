/* Modules from artifacts (host/pvf_module.h). The code goes into a sealed
 * memfd exactly as code compiled here would (host/jit_code.c): written,
 * sealed against writes, mapped read-only by us and read+execute by the
 * zygotes that run it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/internal.h"
#include "host/pvf_module.h"
#include "zygote/protocol.h"

static uint32_t get32(const uint8_t *at)
{
	uint32_t value;
	memcpy(&value, at, sizeof value);
	return value;
}

static struct pvm_jit_site site_at(const struct host_pvf_code *code, uint32_t index)
{
	struct pvm_jit_site site;
	memcpy(&site, (const uint8_t *)code->sites + (size_t)index * sizeof site, sizeof site);
	return site;
}

/* Whether the tables are what the compiler makes of this program (see
 * pvm_jit_compile): else `why` says where they are not. */
static bool tables_match(const struct pvm_program *program, const struct host_pvf_code *code, char *why, size_t size)
{
	if (code->code_size == 0 || code->code_size > ZYGOTE_CODE_MAX) {
		snprintf(why, size, "its code is %llu bytes", (unsigned long long)code->code_size);
		return false;
	}
	if (code->instruction_count != program->instruction_count || code->jump_count != program->blob.jump_count ||
	    code->jump_count > ZYGOTE_JUMP_TABLE_MAX) {
		snprintf(why, size, "it has %u instructions and %u jump-table entries where the program has %u and %u",
			 code->instruction_count, code->jump_count, program->instruction_count,
			 program->blob.jump_count);
		return false;
	}
	uint64_t end = code->code_size;
	if (code->enter_offset >= end || code->fault_offset >= end || code->cold_offset > end) {
		snprintf(why, size, "a trampoline lies outside its %llu bytes of code", (unsigned long long)end);
		return false;
	}
	/* Sites in the compiler's order: block by block, instruction by
	 * instruction, each one's entry, charge and body in order, and each
	 * before the next; all before the cold code. */
	uint32_t index = 0, previous_body = 0;
	struct pvm_inst inst;
	for (uint32_t b = 0; b < program->block_count; b++) {
		const struct pvm_block *block = &program->blocks[b];
		uint32_t pc = block->pc;
		for (uint32_t i = 0; i < block->count; i++, index++) {
			if (index >= code->site_count) {
				snprintf(why, size, "it has %u sites, fewer than the program's instructions",
					 code->site_count);
				return false;
			}
			struct pvm_jit_site site = site_at(code, index);
			if (site.pc != pc || site.entry < previous_body || site.entry > site.charge ||
			    site.charge > site.body || site.body >= code->cold_offset) {
				snprintf(why, size,
					 "site %u (pc %u) is not where the program's instruction at pc %u is", index,
					 site.pc, pc);
				return false;
			}
			previous_body = site.body;
			pvm_decode(&program->code, pc, &inst);
			pc = inst.next;
		}
	}
	if (index != code->site_count) {
		snprintf(why, size, "it has %u sites where the program has %u instructions in blocks", code->site_count,
			 index);
		return false;
	}
	for (uint32_t j = 0; j < code->jump_count; j++)
		if (get32(code->jump_offsets + 4 * (size_t)j) >= end) {
			snprintf(why, size, "jump-table entry %u points outside the code", j);
			return false;
		}
	return true;
}

static size_t round_to_pages(uint64_t bytes)
{
	return (size_t)((bytes + PVM_PAGE_SIZE - 1) & ~(uint64_t)(PVM_PAGE_SIZE - 1));
}

/* The code into a sealed memfd, and the tables into the arrays
 * pvm_jit_free releases (sized as the compiler sizes them). */
static corral_result install(corral_module *module, const struct host_pvf_code *code, corral_error *error)
{
	struct host_jit *jit = &module->jit;
	const struct pvm_program *program = &module->program;
	size_t mapped = round_to_pages(code->code_size);
	*jit = (struct host_jit){.memfd = -1};
	jit->code = (struct pvm_jit_code){
		.program = program,
		.options = host_jit_options(module, HOST_JIT_PLAIN),
		.size = code->code_size,
		.site_count = code->site_count,
		.jump_count = code->jump_count,
		.enter_offset = code->enter_offset,
		.fault_offset = code->fault_offset,
		.cold_offset = code->cold_offset,
	};
	jit->code.sites = calloc(program->instruction_count ? program->instruction_count : 1, sizeof *jit->code.sites);
	jit->code.jump_offsets = calloc(code->jump_count ? code->jump_count : 1, sizeof *jit->code.jump_offsets);
	if (!jit->code.sites || !jit->code.jump_offsets) {
		pvm_jit_free(&jit->code, &libc_allocator);
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "%s: no memory for the artifact's tables",
				 module->name);
	}
	for (uint32_t i = 0; i < code->site_count; i++)
		jit->code.sites[i] = site_at(code, i);
	for (uint32_t j = 0; j < code->jump_count; j++)
		jit->code.jump_offsets[j] = get32(code->jump_offsets + 4 * (size_t)j);
	jit->ready = true; /* from here on host_jit_release frees what there is */

	const char *step = "create a memfd for";
	jit->memfd = memfd_create("corral-code", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (jit->memfd < 0)
		goto failed;
	step = "size the memfd of";
	if (ftruncate(jit->memfd, (off_t)mapped))
		goto failed;
	step = "write";
	for (size_t done = 0; done < code->code_size;) {
		ssize_t wrote = pwrite(jit->memfd, code->code + done, code->code_size - done, (off_t)done);
		if (wrote < 0 && errno == EINTR)
			continue;
		if (wrote <= 0)
			goto failed;
		done += (size_t)wrote;
	}
	step = "seal";
	if (fcntl(jit->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL))
		goto failed;
	step = "map";
	void *view = mmap(NULL, mapped, PROT_READ, MAP_SHARED, jit->memfd, 0);
	if (view == MAP_FAILED)
		goto failed;
	jit->code.bytes = view;
	jit->mapped = mapped;
	jit->address = ZYGOTE_CODE_ADDRESS;
	jit->id = host_jit_next_id();
	return host_jit_dump(module, &jit->code, error);
failed:;
	int saved = errno;
	host_jit_release(jit);
	return host_fail(error, CORRAL_ERROR_SYSTEM, "%s: cannot %s the artifact's code: %s", module->name, step,
			 strerror(saved));
}

corral_result host_pvf_module_new(corral_engine *engine, const uint8_t *program, size_t length, const char *name,
				  const corral_module_config *config, const struct host_pvf_code *code,
				  corral_module **out, bool *mismatch, corral_error *error)
{
	*out = NULL;
	*mismatch = false;
	if (!engine || engine->sandbox != CORRAL_SANDBOX_LINUX)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "%s: artifacts run in the linux sandbox only",
				 name ? name : "program");
	corral_module *module;
	corral_result result = host_module_new(engine, program, length, name, config, false, &module, error);
	if (result != CORRAL_OK)
		return result;
	char why[256];
	if (!tables_match(&module->program, code, why, sizeof why)) {
		*mismatch = true;
		result = host_fail(error, CORRAL_ERROR_MALFORMED,
				   "%s: the compiled code does not match the program: %s", module->name, why);
	}
	if (result == CORRAL_OK)
		result = install(module, code, error);
	if (result != CORRAL_OK) {
		corral_module_free(module);
		return result;
	}
	*out = module;
	return CORRAL_OK;
}
